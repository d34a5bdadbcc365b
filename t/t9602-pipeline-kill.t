#!/bin/sh
test_description='nothing lost when a stage dies: 10 rounds of 100,000 new events on 3 brokers, each with one stage of the safe consumer pipeline SIGKILLed at a random moment (cycling through all three); clean runs after; every event is in the lake'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"
. "$TEST_DIRECTORY/lib-kill.sh"

test_pipeline_peers test_kafka cluster
ROUNDS=${TEL_TEST_KILL_ROUNDS:-10}

test_expect_success 'setup: an RF 3 topic of 6 partitions on 3 brokers, a bucket' '
	pipeline_topic 6 3 &&
	s3_make_bucket "$bucket" &&
	: >events && : >lake.log && : >kills
'

r=1
while test $r -le $ROUNDS; do
	set -- cat batch put
	shift $(((r - 1) % 3))
	test_expect_success "round $r: $PER new events; stage $1 killed at a random moment" '
		kill_produce '$r' &&
		kill_start k'$r' lake-$(cat topic) spool &&
		kill_stage k'$r' '$1' &&
		kill_wait k'$r'
	'
	r=$((r + 1))
done

test_expect_success 'clean runs until nothing is left; the spool is empty' '
	kill_clean clean spool &&
	kill_drain spool
'

test_expect_success 'the lake: every event; duplicates counted' '
	kill_check
'
test -s "$TRASH/report" && test_diag "$(cat "$TRASH/report" "$TRASH/kills")"

test_done
