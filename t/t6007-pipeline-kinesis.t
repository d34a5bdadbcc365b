#!/bin/sh
test_description='the truck pipeline over Kinesis: tel-mkstream; tel-gen --schema truck | tel-kinesis-put -k truck_id; tel-kinesis-cat -e --ack | tel-check | tel-batch | tel-s3-put into MinIO; every record in the lake once, in its hour'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"
. "$TEST_DIRECTORY/lib-kinesis.sh"

test_minio
test_kinesis
"$PYTHON" -c "import jsonschema" 2>/dev/null ||
	test_skip_or_fail "no Python venv with jsonschema ($PYTHON): run t/peers/setup.sh venv"
# One set of credentials for both services, as a host's role would give;
# kinesalite checks none, MinIO these.  Each tool is told its endpoint.
s3_aws_env
unset AWS_ENDPOINT_URL
bucket=$(test_bucket)
K=$KINESIS_ENDPOINT
SCHEMA=$TEL_SRC/contrib/schemas/truck.json
PREFIX='sensor_data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/'

# fleet_run NAME: one cron run of the consumer, in the safe form of tel(7)
fleet_run() {
	rm -f $1.ack && mkfifo $1.ack &&
	{ { tel-kinesis-cat --endpoint "$K" -t $(cat stream) -G lake \
		--state-dir state -e --ack $1.ack 2>$1.cat.err & exec >&-
	    wait $!; echo $? >$1.cat.rc; } |
	{ tel-check "$SCHEMA" 2>$1.check.err; echo $? >$1.check.rc; } |
	{ tel-batch -d spool --time-field timestamp --max-records 700 \
		--time-format "%Y-%m-%d %H:%M:%S" --prefix "$PREFIX" \
		2>$1.batch.err; echo $? >$1.batch.rc; } |
	{ tel-s3-put -B "$bucket" --endpoint "$S3_ENDPOINT" 2>$1.put.err
	  echo $? >$1.put.rc; } |
	tee -a $1.log >$1.ack; } &&
	printf "0\n0\n0\n0\n" >$1.want &&
	cat $1.cat.rc $1.check.rc $1.batch.rc $1.put.rc >$1.rc &&
	test_cmp $1.want $1.rc
}

test_expect_success 'setup: the fleet stream (one shard, 24 h) by tel-mkstream, a bucket' '
	test_stream fleet >stream &&
	tel-mkstream --endpoint "$K" -P 1 --retention 24 $(cat stream) >mk &&
	test_grep "\"result\":\"created\"" mk &&
	kinesispy describe $(cat stream) >desc &&
	test_grep "\"retention\": *24" desc &&
	s3_make_bucket "$bucket"
'

# tel-gen spreads -n records over the five minutes before --start: here
# 13:57 to 14:02, so the lake gets two hours.
test_expect_success 'the fleet sends: 20,000 records of 100 trucks across an hour, 5% breaking a rule' '
	tel-gen --schema truck --trucks 100 --anomalies 0.05 -n 20000 -s 31 \
		--start 2025-01-15T14:02:00Z >trucks &&
	grep -q "\"timestamp\":\"2025-01-15 13:" trucks &&
	grep -q "\"timestamp\":\"2025-01-15 14:" trucks &&
	tel-kinesis-put --endpoint "$K" -t $(cat stream) -k truck_id <trucks >failed &&
	test_must_be_empty failed &&
	test "$(kinesis_count $(cat stream))" = 20000
'

test_expect_success 'a cron run: every stage exits 0; batches of at most 700 records' '
	fleet_run run1 &&
	test $(grep -c "^tel-check: line [0-9]*: /.*at #" run1.check.err) -gt 500 &&
	tail -n 1 run1.log | grep -q "^{\"@tel\":\"checkpoint\"" &&
	"$PYTHON" -c "
import json, sys
n = [json.loads(l)[\"records\"] for l in open(\"run1.log\") if \"\\\"key\\\"\" in l]
assert n and max(n) <= 700, n
"
'

test_expect_success 'the lake: each record once, valid ones in their hour under sensor_data/, the rest as errors' '
	"$PYTHON" "$TEL_SRC/t/py/truck_lake_check.py" --bucket "$bucket" \
		--schema "$SCHEMA" trucks >summary &&
	cat summary &&
	test_grep "\"problems\": 0" summary &&
	"$PYTHON" -c "import json; s = json.load(open(\"summary\")); assert s[\"invalid\"] > 500 and s[\"valid\"] > 15000, s"
'

test_expect_success 'the positions were kept: the next run stores nothing' '
	fleet_run run2 &&
	! grep -q "\"key\":" run2.log
'

test_expect_success 'more records later: the next run stores only those' '
	tel-gen --schema truck --trucks 100 -n 1500 -s 32 --anomalies 0 \
		--start 2025-01-15T17:00:00Z >more &&
	tel-kinesis-put --endpoint "$K" -t $(cat stream) -k truck_id <more &&
	fleet_run run3 &&
	"$PYTHON" -c "
import json
n = sum(json.loads(l).get(\"records\", 0) for l in open(\"run3.log\") if \"\\\"key\\\"\" in l)
assert n == 1500, n
" &&
	cat trucks more >all &&
	"$PYTHON" "$TEL_SRC/t/py/truck_lake_check.py" --bucket "$bucket" \
		--schema "$SCHEMA" all >summary2 &&
	test_grep "\"problems\": 0" summary2
'

test_done
