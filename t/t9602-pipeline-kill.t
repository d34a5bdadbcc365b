#!/bin/sh
test_description='nothing lost when a stage dies: 10 rounds of 100,000 new events on 3 brokers, each with one stage of the safe consumer pipeline SIGKILLed at a random moment (cycling through all three); clean runs after; every event is in the lake'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"
. "$TEST_DIRECTORY/lib-kill.sh"

test_pipeline_peers test_kafka cluster
kill_setup
kill_rounds 1 cat batch put
kill_finish
test_done
