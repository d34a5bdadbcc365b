#!/bin/sh
test_description='nothing lost when a group member dies: 10 rounds of 100,000 new events read by three safe consumer pipelines in one group, one stage of one of them SIGKILLed at a random moment each round; clean runs after; every event is in the lake'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"
. "$TEST_DIRECTORY/lib-kill.sh"

test_pipeline_peers test_kafka cluster
ROUNDS=${TEL_TEST_KILL_ROUNDS:-10}
# A member reads a third of a round: one compressing thread at level 9
# keeps it at work long enough for a kill to find it busy.
KILL_BATCH_OPTS="-j 0 -l 9"

test_expect_success 'setup: an RF 3 topic of 6 partitions on 3 brokers, a bucket' '
	pipeline_topic 6 3 &&
	s3_make_bucket "$bucket" &&
	: >events && : >lake.log && : >kills
'

r=1
while test $r -le $ROUNDS; do
	set -- cat batch put
	shift $(((r - 1) % 3))
	m=$(((r - 1) % 3 + 1))
	test_expect_success "round $r: $PER new events, three members; stage $1 of member $m killed" '
		kill_produce '$r' &&
		for i in 1 2 3; do
			kill_start g'$r'.$i lake-$(cat topic) spool$i || return 1
		done &&
		kill_stage g'$r'.'$m' '$1' &&
		kill_wait g'$r'.1 && kill_wait g'$r'.2 && kill_wait g'$r'.3
	'
	r=$((r + 1))
done

test_expect_success 'each spool drained; clean runs until nothing is left' '
	kill_drain spool1 && kill_drain spool2 && kill_drain spool3 &&
	kill_clean clean spool1 &&
	kill_drain spool1
'

test_expect_success 'the lake: every event; duplicates counted' '
	kill_check
'
test -s "$TRASH/report" && test_diag "$(cat "$TRASH/report" "$TRASH/kills")"

test_done
