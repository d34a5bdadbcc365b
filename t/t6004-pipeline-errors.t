#!/bin/sh
test_description='corrupt messages from a producer that does not validate: tel-kafka-cat --raw keeps them, tel-batch files them in error objects, each accounted for'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

test_pipeline_peers test_kafka single
N=30000

test_expect_success 'setup: 1% corrupt events, sent unvalidated' '
	tel-gen -v -n $N -s 64 --corrupt 0.01 --start 2026-11-22T18:02:00Z \
		>events 2>gen.err &&
	corrupt=$(sed -n "s/.*\"corrupt\":\([0-9]*\).*/\1/p" gen.err) &&
	test "$corrupt" -gt 100 && echo $corrupt >corrupt &&
	T=$(test_topic) && echo $T >topic &&
	tel-mktopic -b $B -t $T -P 4 -R 1 >mk &&
	kafka_wait_topic $T 4 &&
	s3_make_bucket "$bucket" &&
	tel-kafka-put --no-validate -b $B -t $T -k session_id <events >failed &&
	test_must_be_empty failed
'

# Error objects are keyed by arrival time: the day the run starts and the
# day it ends (a run may cross midnight) are the only right answers.
test_expect_success 'tel-kafka-cat --raw | tel-batch | tel-s3-put: every stage exits 0' '
	date -u +year=%Y/month=%m/day=%d/ >days &&
	pipeline_once lake spool --raw &&
	date -u +year=%Y/month=%m/day=%d/ >>days &&
	find spool/ready spool/open -type f >left && test_must_be_empty left
'

# A line of bytes that are not UTF-8 is named by tel-kafka-cat, which hands
# it on as an error line; any other corrupt line by tel-batch.
test_expect_success 'each corrupt line named once; they sit in errors/ objects' '
	b=$(grep -c "^tel-batch: line [0-9]*: " lake.batch.err) &&
	k=$(grep -c "handed on as an error line" lake.cat.err) &&
	test $k -gt 0 && test $((b + k)) = $(cat corrupt) &&
	sed -n "s/.*\"key\":\"errors\/processing-failed\/\([^\"]*\/day=[0-9]*\/\).*/\1/p" \
		lake.log | sort -u >got-days &&
	test -s got-days &&
	sort -u days >want-days && comm -23 got-days want-days >stray &&
	test_must_be_empty stray
'

test_expect_success 'the lake: every event once, every corrupt line once in an error record' '
	lake_check --exact --raw-strings --log lake.log events >summary &&
	cat summary &&
	test_grep "\"error_records\": $(cat corrupt)," summary &&
	test_grep "\"missing\": 0," summary
'

test_expect_success 'the checker bites: without --raw-strings the records are no lines' '
	test_must_fail lake_check --dir lake.neg --exact events >out 2>err &&
	test_grep "rawData is no corrupt generated line" err
'

test_done
