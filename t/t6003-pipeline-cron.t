#!/bin/sh
test_description='five cron runs of the consumer pipeline, new events between them: each run exits 0, every event lands exactly once'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

test_pipeline_peers test_kafka single
SPOOL=$TRASH/spool

test_expect_success 'setup: topic, bucket' '
	pipeline_topic 4 1 &&
	s3_make_bucket "$bucket"
'

# Each five-minute window its own seed and time, as cron's producer line
# makes them; the fourth run finds nothing new, the fifth two windows.  Each run
# shares the spool and the group with the others, as a crontab line would.
for i in 1 2 3 4 5; do
	test_expect_success "cron run $i: new events in, exactly those out, exit 0" '
		i='$i' && : >gen$i &&
		case $i in 4) ws= ;; 5) ws="5 6" ;; *) ws=$i ;; esac &&
		for w in $ws; do
			tel-gen -n 20000 -s $w --corrupt 0.0005 \
				--start "2026-11-22T18:$((w * 5 + 10)):00Z" >>gen$i || return 1
		done &&
		{ tel-kafka-put -b $B -t $(cat topic) -k session_id <gen$i >failed$i; rc=$?; } &&
		if test -s failed$i; then test $rc = 1; else test $rc = 0; fi &&
		pipeline_once run$i "$SPOOL" &&
		find "$SPOOL/ready" "$SPOOL/open" -type f >left &&
		test_must_be_empty left &&
		want=$(($(wc -l <gen$i) - $(wc -l <failed$i))) &&
		got=$(log_records run$i.log) &&
		echo "run $i: $got records, $want events sent" &&
		test "$got" = "$want"
	'
done

test_expect_success 'the lake: every event of the five runs exactly once' '
	cat run?.log >lake.log &&
	lake_check --exact --log lake.log $(for i in 1 2 3 4 5; do echo --rejected failed$i; done) \
		gen1 gen2 gen3 gen4 gen5 >summary &&
	cat summary &&
	test_grep "\"events\": [1-9]" summary &&
	test_grep "\"missing\": 0," summary
'

test_done
