#!/bin/sh
test_description='Kafka tools when brokers die: nothing lost, failures given back'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-kafka.sh"

test_kafka_private single
B=$KAFKA_BROKERS

test_expect_success 'setup' '
	tel-gen -n 50000 -s 9 >events &&
	T=$(test_topic) && echo $T >topic && kafka_create_topic $T 4
'

# The broker dies after the first lines were acknowledged and comes back
# well inside message.timeout.ms: librdkafka retries, the idempotent
# producer keeps order and avoids duplicates.
test_expect_success 'broker killed mid-produce, back within the timeout: nothing lost' '
	T=$(cat topic) && mkfifo in &&
	{ tel-kafka-put -v -b $B -t $T -k session_id <in >failed 2>err & } &&
	pid=$! && exec 9>in &&
	head -n 20000 events >&9 &&
	sleep 1 &&
	kafka_kill 1 &&
	sed -n 20001,50000p events >&9 &&
	sleep 2 &&
	kafka_restart 1 &&
	exec 9>&- &&
	wait $pid &&
	test_must_be_empty failed &&
	test_grep "\"read\":50000,\"sent\":50000,\"acked\":50000" err &&
	tel-kafka-cat -b $B -t $T -e >got &&
	sort events >want && sort got >got.s && test_cmp want got.s
'

test_expect_success 'broker down past message.timeout.ms: exit 1, stdout holds the lines' '
	T=$(cat topic) &&
	kafka_kill 1 &&
	test_expect_code 1 tel-kafka-put -b $B -t $T -X message.timeout.ms=3000 \
		<events >failed 2>err &&
	test_cmp events failed &&
	test_grep "49990 more lines not delivered" err &&
	kafka_restart 1
'

test_expect_success 'what came back on stdout can be sent again' '
	T=$(test_topic) && kafka_create_topic $T 2 &&
	tel-kafka-put -b $B -t $T <failed >failed2 &&
	test_must_be_empty failed2 &&
	tel-kafka-cat -b $B -t $T -e | sort >got &&
	sort events >want && test_cmp want got
'

test_expect_success 'cron consumer, broker dead: -e gives up with exit 1, no hang' '
	T=$(cat topic) &&
	kafka_kill 1 &&
	start=$(date +%s) &&
	test_expect_code 1 tel-kafka-cat -b $B -t $T -G g-dead -e >got 2>err &&
	test $(( $(date +%s) - start )) -le 30 &&
	test_grep "brokers are down" err &&
	kafka_restart 1
'

test_expect_success 'consumer survives a broker restart mid-stream, at least once' '
	T=$(test_topic) && kafka_create_topic $T 4 && G=g-$T &&
	tel-kafka-put -b $B -t $T <events &&
	{ tel-kafka-cat -b $B -t $T -G $G >run1 2>err1 & } && pid=$! &&
	test_atexit "kill -9 $pid" &&
	for i in $(seq 600); do test -s run1 && break; sleep 0.1; done &&
	kafka_kill 1 && sleep 1 && kafka_restart 1 &&
	for i in $(seq 600); do
		test $(wc -l <run1) -ge 50000 && break; sleep 0.1
	done &&
	kill -TERM $pid && wait $pid &&
	tel-kafka-cat -b $B -t $T -G $G -e >run2 &&
	sort -u run1 run2 >got && sort -u events >want && test_cmp want got
'

test_done
