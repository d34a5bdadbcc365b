#!/bin/sh
test_description='the whole pipeline into MinIO: every event once, every corrupt line accounted for, DuckDB reads the lake'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

test_pipeline_peers test_kafka single
PIPELINE_BATCH_OPTS="--max-records 25000"

# The issue's figure; the window ends at 18:02, so the events span two hours.
N=200000

# named ERR INPUT REJECTED: each line REJECTED holds is named on ERR as
# "tel-kafka-put: line N: ..." with N its line number in INPUT
named() {
	"$PYTHON" - "$@" <<-\EOF
	import re, sys
	err, inp, rej = sys.argv[1:]
	lines = open(inp, "rb").read().split(b"\n")
	nums = [int(m.group(1)) for m in
	        re.finditer(rb"^tel-kafka-put: line (\d+): ", open(err, "rb").read(), re.M)]
	named = sorted(lines[n - 1] for n in nums)
	got = sorted(open(rej, "rb").read().split(b"\n")[:-1])
	if named != got:
	    sys.exit("%d lines named, %d rejected" % (len(named), len(got)))
	EOF
}

test_expect_success 'setup: events with corrupt lines, an RF 1 topic, a bucket' '
	tel-gen -v -n $N -s 42 --corrupt 0.001 --start 2026-11-22T18:02:00Z \
		>events 2>gen.err &&
	test_line_count = $N events &&
	test_grep "\"corrupt\":[1-9]" gen.err &&
	pipeline_topic 4 1 &&
	s3_make_bucket "$bucket"
'

test_expect_success 'producer: corrupt lines come back on stdout, named, exit 1' '
	test_expect_code 1 tel-kafka-put -v -b $B -t $(cat topic) -k session_id \
		<events >failed 2>put.err &&
	test -s failed &&
	named put.err events failed &&
	rejected=$(wc -l <failed) &&
	test_grep "\"rejected\":$rejected," put.err &&
	test_grep "\"acked\":$((N - rejected))," put.err &&
	test_grep "\"failed\":0," put.err
'

test_expect_success 'consumer pipeline: every stage exits 0, the spool is empty' '
	pipeline_once lake spool &&
	test -s lake.log &&
	find spool/ready spool/open -type f >left &&
	test_must_be_empty left
'

test_expect_success 'the lake: each event once, every corrupt line accounted for' '
	lake_check --exact --log lake.log --rejected failed events >summary &&
	cat summary &&
	corrupt=$(sed -n "s/.*\"corrupt\":\([0-9]*\).*/\1/p" gen.err) &&
	test_grep "\"corrupt\": $corrupt," summary &&
	test_grep "\"missing\": 0," summary
'

# The checker can fail: without the rejected lines, they are unaccounted for.
test_expect_success 'the checker bites: corrupt lines left out are named' '
	test_must_fail lake_check --dir lake.neg --exact events >out 2>err &&
	test_grep "corrupt lines neither rejected nor in an error object" err
'

test_expect_success 'DuckDB reads the Hive-style lake: counts by hour match the events' '
	lake_check --duckdb-only events >duck &&
	cat duck &&
	test_grep "\"2026-11-22-17\": [1-9]" duck &&
	test_grep "\"2026-11-22-18\": [1-9]" duck
'

test_expect_success 'a second cron run finds nothing new and stores nothing' '
	s3py ls "$bucket" >before &&
	pipeline_once lake2 spool2 &&
	test_must_be_empty lake2.log &&
	s3py ls "$bucket" >after &&
	test_cmp before after
'

test_done
