#!/bin/sh
test_description='nothing lost when a stage dies, with a filter in the middle (jq, passing control lines on): 10 rounds of 100,000 new events, one stage SIGKILLed at a random moment each round (cycling through all four); every event is in the lake'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"
. "$TEST_DIRECTORY/lib-kill.sh"

test_pipeline_peers test_kafka cluster
ROUNDS=${TEL_TEST_KILL_ROUNDS:-10}
# jq re-serialises the records: the lake holds their JSON values
KILL_FILTER="jq --unbuffered -c ."
KILL_CHECK_OPTS=--canonical

test_expect_success 'setup: an RF 3 topic of 6 partitions on 3 brokers, a bucket' '
	pipeline_topic 6 3 &&
	s3_make_bucket "$bucket" &&
	: >events && : >lake.log && : >kills
'

r=1
while test $r -le $ROUNDS; do
	set -- cat filter batch put
	shift $(((r - 1) % 4))
	test_expect_success "round $r: $PER new events; the $1 stage killed at a random moment" '
		kill_produce '$r' &&
		kill_start f'$r' lake-$(cat topic) spool &&
		kill_stage f'$r' '$1' &&
		kill_wait f'$r'
	'
	r=$((r + 1))
done

test_expect_success 'clean runs (through jq too) until nothing is left; the spool is empty' '
	PIPELINE_FILTER="$KILL_FILTER" && export PIPELINE_FILTER &&
	kill_clean clean spool &&
	kill_drain spool
'

test_expect_success 'the lake: every event; duplicates counted' '
	kill_check
'
test -s "$TRASH/report" && test_diag "$(cat "$TRASH/report" "$TRASH/kills")"

test_done
