#!/bin/sh
test_description='nothing lost when a stage dies, with a filter in the middle (jq, passing control lines on): 10 rounds of 100,000 new events, one stage SIGKILLed at a random moment each round (cycling through all four); every event is in the lake'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"
. "$TEST_DIRECTORY/lib-kill.sh"

test_pipeline_peers test_kafka cluster
# jq re-serialises the records: the lake holds their JSON values
KILL_FILTER="jq --unbuffered -c ."
PIPELINE_FILTER=$KILL_FILTER
export PIPELINE_FILTER
KILL_CHECK_OPTS=--canonical
kill_setup
kill_rounds 1 cat filter batch put
kill_finish
test_done
