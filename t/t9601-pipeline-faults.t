#!/bin/sh
test_description='the pipeline through faults: a broker of three killed while it runs, MinIO cut for 30 s during uploads; nothing lost'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

test_pipeline_peers test_kafka_private cluster
test_s3_proxy
N=90000
CUT=${TEL_TEST_S3_CUT:-30}

# records: the records of the objects stored so far, by the result log
records() {
	"$PYTHON" -c 'import json, sys
print(sum(json.loads(l).get("records", 0) for l in open(sys.argv[1])))' lake.log
}

test_expect_success 'setup: an RF 3 topic on three brokers; a bucket behind a proxy' '
	pipeline_topic 6 3 &&
	s3_make_bucket "$bucket" &&
	s3_proxy_reset
'

# The consumer pipeline runs as a service would (no -e); its batches seal
# every 2 s, so uploads go on all through the run.  Enough attempts that
# the backoff (capped at 20 s) outlasts the cut.
test_expect_success 'the consumer pipeline joins' '
	mkfifo cb bs || return 1
	{ tel-kafka-cat -v -b $B -t $(cat topic) -G lake-$(cat topic) -X session.timeout.ms=6000 \
		>cb 2>cat.err; echo $? >cat.rc; } &
	echo $! >cat.pid
	{ tel-batch -d spool --time-field event_timestamp --max-records 5000 \
		--max-age 2s <cb >bs 2>batch.err; echo $? >batch.rc; } &
	{ tel-s3-put -B "$bucket" --endpoint "$S3_PROXY_ENDPOINT" --max-attempts 40 \
		<bs >lake.log 2>put.err; echo $? >put.rc; } &
	test_atexit "kill -9 $(cat cat.pid)" &&
	test_wait_until 90 test_grep "assigned 6 partitions" cat.err
'

test_expect_success 'a paced producer; broker 1 killed while it runs; MinIO cut during uploads' '
	{ tel-gen -n $N -s 77 -r 6000 | tee events |
		tel-kafka-put -v -b $B -t $(cat topic) -k session_id >failed 2>put.err
	  echo $? >prod.rc; } &
	ppid=$! &&
	test_wait_until 60 test -s lake.log &&
	kafka_kill 1 &&
	toxi disable "$S3_PROXY" &&
	sleep 1 &&
	n0=$(wc -l <lake.log) &&
	sleep $((CUT - 1)) &&
	n1=$(wc -l <lake.log) &&
	toxi enable "$S3_PROXY" &&
	echo "objects stored before the cut: $n0; during: $((n1 - n0))" &&
	test $n1 = $n0 &&
	wait $ppid &&
	echo 0 >want && test_cmp want prod.rc &&
	test_must_be_empty failed &&
	test_grep "\"acked\":$N," put.err &&
	test_line_count = $N events
'

test_expect_success 'the broker comes back; every event reaches the lake' '
	kafka_restart 1 &&
	test_wait_until 180 eval "test \$(records) -ge $N" &&
	test_grep "retrying in" put.err
'

# A member whose session timed out in the failover (the machine is slow,
# the coordinator moved) may have its final commit refused: tel-kafka-cat
# says so and exits 1 (its lines come again: duplicates, never loss).  A
# commit refused before that is only said.  Any other failure is one.
test_expect_success 'SIGTERM: every stage exits 0 (or tel-kafka-cat 1 for a refused commit); the spool is empty' '
	kill -TERM $(pgrep -P $(cat cat.pid) -x tel-kafka-cat) &&
	test_wait_until 60 eval "test -e cat.rc && test -e batch.rc && test -e put.rc" &&
	cat batch.rc put.rc >rc &&
	printf "0\n0\n" >want && test_cmp want rc &&
	if test "$(cat cat.rc)" != 0; then
		echo 1 >want && test_cmp want cat.rc &&
		test_grep "^tel-kafka-cat: commit: " cat.err &&
		grep "^tel-kafka-cat: commit: " cat.err >refused
	fi &&
	find spool/ready spool/open -type f >left && test_must_be_empty left
'
test -s "$TRASH/refused" &&
	test_diag "tel-kafka-cat exited 1: $(head -n 1 "$TRASH/refused")"

test_expect_success 'the lake: nothing lost; duplicates counted' '
	lake_check --log lake.log events >summary &&
	cat summary &&
	test_grep "\"missing\": 0," summary &&
	sed -n "s/.*\"duplicates\": \([0-9]*\).*/duplicates: \1 of $N events/p" summary >report
'
test -s "$TRASH/report" && test_diag "$(cat "$TRASH/report")"

test_done
