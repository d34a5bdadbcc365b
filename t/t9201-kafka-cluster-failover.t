#!/bin/sh
test_description='RF 3 on three brokers: a broker killed mid-stream loses nothing'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-kafka.sh"

test_kafka_private cluster
B=$KAFKA_BROKERS

test_expect_success 'setup: an RF 3 topic made by tel-mktopic' '
	tel-gen -n 60000 -s 13 >events &&
	T=$(test_topic) && echo $T >topic &&
	tel-mktopic -b $B -t $T -P 6 -R 3 >out &&
	test_grep "\"result\":\"created\"" out &&
	kafka_wait_topic $T 6
'

test_expect_success 'leader killed while producing and consuming: all there' '
	T=$(cat topic) && G=g-$T && mkfifo in &&
	{ tel-kafka-put -v -b $B -t $T -k session_id <in >failed 2>err & } &&
	ppid=$! && exec 9>in &&
	{ tel-kafka-cat -b $B -t $T -G $G >got 2>cerr 9>&- & } && cpid=$! &&
	test_atexit "kill -9 $cpid" &&
	head -n 20000 events >&9 &&
	sleep 1 &&
	kafka_kill 1 &&
	sed -n 20001,60000p events >&9 &&
	exec 9>&- &&
	wait $ppid &&
	test_must_be_empty failed &&
	test_grep "\"acked\":60000" err &&
	for i in $(seq 600); do
		test $(wc -l <got) -ge 60000 && break; sleep 0.1
	done &&
	kill -TERM $cpid && wait $cpid &&
	sort -u events >want && sort -u got >got.s && test_cmp want got.s
'

test_expect_success 'the killed broker rejoins; a cron run reads nothing new' '
	kafka_restart 1 &&
	T=$(cat topic) &&
	tel-kafka-cat -b $B -t $T -G g-$T -e >again &&
	test_must_be_empty again
'

test_done
