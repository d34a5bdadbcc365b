#!/bin/sh
test_description='nothing lost when a group member dies: 10 rounds of 100,000 new events read by three safe consumer pipelines in one group, one stage of one of them SIGKILLed at a random moment each round; clean runs after; every event is in the lake'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"
. "$TEST_DIRECTORY/lib-kill.sh"

test_pipeline_peers test_kafka cluster
# A member reads a third of a round: one compressing thread at level 9
# keeps it at work long enough for a kill to find it busy.
KILL_BATCH_OPTS="-j 0 -l 9"
kill_setup
kill_rounds 3 cat batch put
kill_finish
test_done
