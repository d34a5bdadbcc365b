#!/bin/sh
test_description='three consumer pipelines in one group on three brokers, one killed midway: every event delivered, duplicates counted'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

test_pipeline_peers test_kafka cluster
N=90000
# A crashed member holds its partitions until its session times out.
GROUP_OPTS="-X session.timeout.ms=6000 -X auto.commit.interval.ms=1000"

# pipeline I [CAT-OPTION...]: consumer pipeline I in the background, one
# process per stage (so that one can be killed), joined by FIFOs; its
# spool is spoolI, its files pI.*, each stage's PID in pI.STAGE.pid and
# exit status, once it ends, in pI.STAGE.rc
pipeline() {
	p=p$1
	shift
	rm -f $p.cb $p.bs && mkfifo $p.cb $p.bs || return 1
	{ tel-kafka-cat -v -b $B -t $(cat topic) -G lake-$(cat topic) $GROUP_OPTS "$@" \
		>$p.cb 2>$p.cat.err; echo $? >$p.cat.rc; } &
	echo $! >$p.cat.pid
	{ tel-batch -v -d spool${p#p} --time-field event_timestamp \
		--max-records 5000 <$p.cb >$p.bs 2>$p.batch.err
	  echo $? >$p.batch.rc; } &
	echo $! >$p.batch.pid
	{ tel-s3-put -B "$bucket" --endpoint "$S3_ENDPOINT" <$p.bs \
		>>$p.log 2>$p.put.err; echo $? >$p.put.rc; } &
	echo $! >$p.put.pid
	test_atexit "kill -9 $(cat $p.cat.pid) $(cat $p.batch.pid) $(cat $p.put.pid)"
}

# pid P STAGE: the PID of the process running STAGE of pipeline P, the
# child of the subshell whose PID pipeline() kept
pid() {
	pgrep -P "$(cat $1.$2.pid)" -x "tel-$(echo $2 | sed 's/cat/kafka-cat/; s/put/s3-put/')"
}

assigned() {
	sed -n "s/^tel-kafka-cat: assigned \([0-9]*\) partitions/\1/p" "$1.cat.err" | tail -n 1
}

test_expect_success 'setup: six partitions, RF 3, by tel-mktopic; a bucket' '
	pipeline_topic 6 3 &&
	s3_make_bucket "$bucket"
'

test_expect_success 'three pipelines join the group, two partitions each' '
	pipeline 1 && pipeline 2 && pipeline 3 &&
	test_wait_until 90 eval "test \"\$(assigned p1)\$(assigned p2)\$(assigned p3)\" = 222"
'

# Its reader and its uploader die; its tel-batch, left alive, seals what it
# holds.  (tel-batch killed too could lose its last --sync of input, whose
# offsets tel-kafka-cat may already have committed: see tel-batch(1),
# DURABILITY.)
test_expect_success 'a paced producer; pipeline 1 killed -9 midway (its reader and its uploader)' '
	{ tel-gen -n $N -s 96 -r 9000 | tee events |
		tel-kafka-put -v -b $B -t $(cat topic) -k session_id >failed 2>put.err
	  echo $? >put.rc; } &
	ppid=$! &&
	test_wait_until 60 test -s p1.log &&
	kill -0 $ppid &&
	cat_pid=$(pid p1 cat) && put_pid=$(pid p1 put) &&
	kill -9 $cat_pid $put_pid &&
	test_wait_until 30 test -e p1.batch.rc &&
	wait $ppid &&
	test_line_count = $N events &&
	echo 0 >want && test_cmp want put.rc && test_must_be_empty failed &&
	test_grep "\"acked\":$N," put.err
'

test_expect_success 'the survivors take over its partitions' '
	test_wait_until 60 eval "test \"\$(assigned p2)\$(assigned p3)\" = 33"
'

test_expect_success 'SIGTERM the survivors: each stage exits 0' '
	sleep 2 &&
	kill -TERM $(pid p2 cat) $(pid p3 cat) &&
	test_wait_until 60 eval "test -e p2.put.rc && test -e p3.put.rc" &&
	for s in cat batch put; do cat p2.$s.rc p3.$s.rc; done >rc &&
	printf "0\n0\n0\n0\n0\n0\n" >want && test_cmp want rc
'

# Its tel-batch sees the end of input and seals; writing the manifest it
# may or may not meet the dead uploader (exit 1 or 0): either way the
# batches are in ready/.
test_expect_success 'the killed one: tel-batch sealed its batches; --spool uploads them' '
	grep -qx "[01]" p1.batch.rc &&
	find spool1/open -type f >open && test_must_be_empty open &&
	tel-s3-put -B "$bucket" --endpoint "$S3_ENDPOINT" --spool spool1 >>p1.log &&
	find spool1/ready -type f >left && test_must_be_empty left
'

test_expect_success 'a cron rerun of the survivors reads the rest and exits 0' '
	for i in 2 3; do mv p$i.log p$i.first.log; rm -f p$i.*.rc; done &&
	pipeline 2 -e && pipeline 3 -e &&
	test_wait_until 150 eval "test -e p2.put.rc && test -e p3.put.rc" &&
	for s in cat batch put; do cat p2.$s.rc p3.$s.rc; done >rc &&
	printf "0\n0\n0\n0\n0\n0\n" >want && test_cmp want rc
'

test_expect_success 'every event in the lake; duplicates fewer than pipeline 1 had read' '
	cat p*.log >lake.log &&
	lake_check --log lake.log events >summary &&
	cat summary &&
	dups=$(sed -n "s/.*\"duplicates\": \([0-9]*\).*/\1/p" summary) &&
	read1=$(sed -n "s/.*\"lines\":\([0-9]*\).*/\1/p" p1.batch.err) &&
	echo "duplicates: $dups; pipeline 1 read $read1 lines before the kill" >report &&
	test -n "$dups" && test -n "$read1" && test "$dups" -lt "$read1"
'
test -s "$TRASH/report" && test_diag "$(cat "$TRASH/report")"

test_done
