#!/bin/sh
test_description='the truck pipeline end to end: tel-gen --schema truck | tel-kafka-put -k truck_id; tel-kafka-cat | tel-check | tel-batch (sensor_data/ by the record time) | tel-s3-put, checkpoints back; every record in the lake once, as data or as an error with its reason'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

test_pipeline_peers test_kafka single
"$PYTHON" -c "import jsonschema" 2>/dev/null ||
	test_skip_or_fail "no Python venv with jsonschema ($PYTHON): run t/peers/setup.sh venv"
SCHEMA=$TEL_SRC/contrib/schemas/truck.json
PREFIX='sensor_data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/'

# truck_run NAME: one cron run of the consumer, in the safe form of tel(7)
truck_run() {
	rm -f $1.ack && mkfifo $1.ack &&
	{ { tel-kafka-cat -b $B -t $(cat topic) -G fleet -e --ack $1.ack \
		2>$1.cat.err & exec >&-
	    wait $!; echo $? >$1.cat.rc; } |
	{ tel-check "$SCHEMA" 2>$1.check.err; echo $? >$1.check.rc; } |
	{ tel-batch -d spool --time-field timestamp \
		--time-format "%Y-%m-%d %H:%M:%S" --prefix "$PREFIX" \
		2>$1.batch.err; echo $? >$1.batch.rc; } |
	{ tel-s3-put -B "$bucket" --endpoint "$S3_ENDPOINT" 2>$1.put.err
	  echo $? >$1.put.rc; } |
	tee -a $1.log >$1.ack; } &&
	printf "0\n0\n0\n0\n" >$1.want &&
	cat $1.cat.rc $1.check.rc $1.batch.rc $1.put.rc >$1.rc &&
	test_cmp $1.want $1.rc
}

test_expect_success 'setup: a one-partition topic (as the fleet stream), a bucket' '
	pipeline_topic 1 1 && s3_make_bucket "$bucket"
'

test_expect_success 'the fleet sends: 20,000 records of 100 trucks, 5% breaking a rule' '
	tel-gen --schema truck --trucks 100 --anomalies 0.05 -n 20000 -s 21 \
		--start 2025-01-15T14:00:00Z >trucks &&
	tel-kafka-put -b $B -t $(cat topic) -k truck_id <trucks >failed &&
	test_must_be_empty failed
'

test_expect_success 'a cron run: every stage exits 0; the refused are named on stderr' '
	truck_run run1 &&
	test $(grep -c "^tel-check: line [0-9]*: /.*at #" run1.check.err) -gt 500 &&
	tail -n 1 run1.log | grep -q "^{\"@tel\":\"checkpoint\""
'

test_expect_success 'the lake: each record once, valid ones by hour under sensor_data/, the rest as errors with their rule' '
	"$PYTHON" "$TEL_SRC/t/py/truck_lake_check.py" --bucket "$bucket" \
		--schema "$SCHEMA" trucks >summary &&
	cat summary &&
	test_grep "\"problems\": 0" summary &&
	"$PYTHON" -c "import json; s = json.load(open(\"summary\")); assert s[\"invalid\"] > 500 and s[\"valid\"] > 15000, s"
'

test_expect_success 'everything was committed: the next run stores nothing' '
	truck_run run2 &&
	! grep -q "\"key\":" run2.log
'

test_done
