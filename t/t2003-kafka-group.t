#!/bin/sh
test_description='tel-kafka-cat -G: cron mode, group sharing, at least once'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-kafka.sh"

test_kafka single
B=$KAFKA_BROKERS

last_assignment() {
	sed -n "s/^tel-kafka-cat: \(assigned .*\)/\1/p" "$1" | tail -n 1
}

test_expect_success 'setup' '
	tel-gen -n 20000 -s 7 >events &&
	split -l 10000 events part. &&
	T=$(test_topic) && echo $T >topic && kafka_create_topic $T 4
'

test_expect_success 'cron mode: -G -e twice sees only what came between' '
	T=$(cat topic) && G=g-$T &&
	tel-kafka-put -b $B -t $T -k session_id <part.aa &&
	tel-kafka-cat -b $B -t $T -G $G -e >run1 &&
	tel-kafka-put -b $B -t $T -k session_id <part.ab &&
	tel-kafka-cat -b $B -t $T -G $G -e >run2 &&
	tel-kafka-cat -b $B -t $T -G $G -e >run3 &&
	sort part.aa >want && sort run1 >got && test_cmp want got &&
	sort part.ab >want && sort run2 >got && test_cmp want got &&
	test_must_be_empty run3
'

test_expect_success 'an empty topic: -G -e exits at once with nothing' '
	T=$(test_topic) && kafka_create_topic $T 2 &&
	tel-kafka-cat -b $B -t $T -G g-$T -e >got && test_must_be_empty got
'

test_expect_success 'two members split the partitions, no duplicates' '
	T=$(test_topic) && kafka_create_topic $T 4 && G=g-$T &&
	{ tel-kafka-cat -v -b $B -t $T -G $G >c1 2>e1 & } && p1=$! &&
	{ tel-kafka-cat -v -b $B -t $T -G $G >c2 2>e2 & } && p2=$! &&
	test_atexit "kill $p1 $p2" &&
	for i in $(seq 300); do
		test "$(last_assignment e1)" = "assigned 2 partitions" &&
		test "$(last_assignment e2)" = "assigned 2 partitions" && break
		sleep 0.2
	done &&
	tel-kafka-put -b $B -t $T -k session_id <events &&
	for i in $(seq 300); do
		test $(cat c1 c2 | wc -l) -ge 20000 && break
		sleep 0.2
	done &&
	kill -TERM $p1 $p2 && wait $p1 && wait $p2 &&
	test -s c1 && test -s c2 &&
	cat c1 c2 | sort >got && sort events >want && test_cmp want got
'

test_expect_success 'cooperative-sticky: two cron members both finish, nothing lost' '
	T=$(test_topic) && kafka_create_topic $T 8 && G=g-$T &&
	tel-kafka-put -b $B -t $T <events && tel-kafka-put -b $B -t $T <events &&
	coop="-X partition.assignment.strategy=cooperative-sticky" &&
	{ tel-kafka-cat -b $B -t $T -G $G -e $coop \
		-X max.partition.fetch.bytes=4096 >m1 2>e1 & } && p1=$! &&
	sleep 1 &&
	{ tel-kafka-cat -b $B -t $T -G $G -e $coop >m2 2>e2 & } && p2=$! &&
	test_atexit "kill -9 $p1 $p2" &&
	{ wait $p1; echo $? >s1; } && { wait $p2; echo $? >s2; } &&
	cat s1 s2 >status && printf "0\n0\n" >want && test_cmp want status &&
	tel-kafka-cat -b $B -t $T -G $G -e $coop >m3 &&
	cat m1 m2 m3 | sort -u >got && sort -u events >want && test_cmp want got &&
	echo "lines: $(wc -l <m1) + $(wc -l <m2) + $(wc -l <m3) of 40000"
'

# A write cut by SIGKILL may leave half a line (the kernel checks for a
# fatal signal page by page); its offset was never stored, so the whole
# line comes again in the rerun.  Only whole lines count.
test_expect_success 'kill -9 mid-stream, rerun: every event there' '
	T=$(test_topic) && kafka_create_topic $T 4 && G=g-$T &&
	tel-kafka-put -b $B -t $T <events &&
	{ tel-kafka-cat -b $B -t $T -G $G -X auto.commit.interval.ms=100 \
		-X session.timeout.ms=6000 >run1 & } && pid=$! &&
	test_atexit "kill -9 $pid" &&
	for i in $(seq 600); do
		test $(wc -l <run1) -ge 20000 && break; sleep 0.1
	done &&
	test $(wc -l <run1) -ge 20000 &&
	sleep 1 &&
	{ tel-kafka-put -b $B -t $T <events >put.failed & } &&
	for i in $(seq 1000); do
		test $(wc -l <run1) -ge 25000 && break; sleep 0.01
	done &&
	kill -9 $pid && wait &&
	test_must_be_empty put.failed &&
	tel-kafka-cat -b $B -t $T -G $G -e >run2 &&
	n1=$(wc -l <run1) && n2=$(wc -l <run2) &&
	head -n $n1 run1 >run1.whole && mv run1.whole run1 &&
	echo "first run $n1 lines, second $n2" &&
	test $n2 -lt 40000 && test $((n1 + n2)) -ge 40000 &&
	sort -u run1 run2 >got && sort -u events >want && test_cmp want got &&
	cat run1 run2 | sort | uniq -c | awk "\$1 < 2" >once &&
	test_must_be_empty once
'

# The reader below keeps every byte it read (a reader such as head(1)
# reads ahead and drops what it read beyond its lines).  Lines still in
# the pipe when it exits were written, so their offsets count as done: at
# most a pipe's worth (64 KiB) plus the line the reader stopped inside
# may be missing from what it read, and no more.
cat >"$TRASH/first_lines.py" <<\EOF
import os, sys
got = b""
while got.count(b"\n") < 100:
    chunk = os.read(0, 4096)
    if not chunk:
        break
    got += chunk
sys.stdout.buffer.write(got[:got.rfind(b"\n") + 1])
EOF

test_expect_success 'EPIPE: exit 1, offsets of unwritten lines not committed' '
	T=$(test_topic) && kafka_create_topic $T 1 && G=g-$T &&
	tel-kafka-put -b $B -t $T <events &&
	{ tel-kafka-cat -b $B -t $T -G $G -e 2>err; echo $? >status; } |
		"$PYTHON" first_lines.py >run1 &&
	echo 1 >want && test_cmp want status &&
	test_grep "stdout: Broken pipe" err &&
	tel-kafka-cat -b $B -t $T -G $G -e >run2 &&
	test_line_count -lt 19900 run2 &&
	sort -u events >want && cat run1 run2 | sort -u >got &&
	comm -23 want got >missing &&
	test $(wc -c <missing) -le $((65536 + 4096))
'

test_expect_success 'SIGTERM: written lines committed, group left, quick exit' '
	T=$(test_topic) && kafka_create_topic $T 2 && G=g-$T &&
	head -n 1000 events | tel-kafka-put -b $B -t $T &&
	{ tel-kafka-cat -b $B -t $T -G $G >run1 2>err & } && pid=$! &&
	for i in $(seq 600); do
		test $(wc -l <run1) -ge 1000 && break; sleep 0.1
	done &&
	test_line_count = 1000 run1 &&
	start=$(date +%s) && kill -TERM $pid && wait $pid &&
	test $(( $(date +%s) - start )) -le 5 &&
	sed -n 1001,1500p events | tel-kafka-put -b $B -t $T &&
	tel-kafka-cat -b $B -t $T -G $G -e >run2 &&
	sed -n 1001,1500p events | sort >want && sort run2 >got && test_cmp want got
'

test_done
