#!/bin/sh
test_description='--metrics of the Kafka tools against a real broker: equal to -v and to what kcat reads'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-kafka.sh"

. "$TEST_DIRECTORY/lib-metrics.sh"

test_kafka single
B=$KAFKA_BROKERS

test_expect_success 'tel-mktopic: created, then exists; written once at exit' '
	mkdir m &&
	T=$(test_topic) && echo "$T" >topic &&
	tel-mktopic -v -b $B -t $T -P 2 -R 1 --metrics m/mk.prom >out 2>err &&
	check m/mk.prom tel-mktopic --json err --running 0 --status 0 &&
	test "$(value m/mk.prom tel_mktopic_created_total)" = 1 &&
	kafka_wait_topic "$T" 2 &&
	tel-mktopic -v -b $B -t $T -P 2 -R 1 --metrics m/mk.prom >out 2>err &&
	check m/mk.prom tel-mktopic --json err --running 0 --status 0 &&
	test "$(value m/mk.prom tel_mktopic_exists_total)" = 1 &&
	test "$(value m/mk.prom tel_mktopic_created_total)" = 0 &&
	test_expect_code 1 tel-mktopic -b $B -t $T -P 3 -R 1 \
	    --metrics m/mk.prom >out 2>err &&
	check m/mk.prom tel-mktopic --running 0 --status 1 &&
	test "$(value m/mk.prom tel_mktopic_differs_total)" = 1
'

test_expect_success 'tel-kafka-put: counters as -v says, acked as kcat reads' '
	T=$(cat topic) &&
	tel-gen -n 3000 -s 4 >events &&
	{ cat events && echo "not json"; } >in &&
	test_expect_code 1 tel-kafka-put -v -b $B -t $T --metrics m/put.prom \
	    <in >failed 2>err &&
	check m/put.prom tel-kafka-put --json err --running 0 --status 1 &&
	test "$(value m/put.prom tel_kafka_put_acked_total)" = 3000 &&
	test "$(value m/put.prom tel_kafka_put_rejected_total)" = 1 &&
	grep "^tel_kafka_put_acked_total{topic=\"$T\"} 3000$" m/put.prom &&
	kcat -b $B -C -t $T -e -q -f "%s\n" | wc -l >n &&
	test "$(cat n)" = 3000
'

test_expect_success 'tel-kafka-cat -G -e: lines as written, topic and group labels' '
	T=$(cat topic) &&
	tel-kafka-cat -v -b $B -t $T -G metrics-g -e -X session.timeout.ms=6000 \
	    --metrics m/cat.prom >got 2>err &&
	check m/cat.prom tel-kafka-cat --json err --running 0 --status 0 &&
	test "$(value m/cat.prom tel_kafka_cat_lines_total)" = "$(wc -l <got)" &&
	test "$(wc -l <got)" = 3000 &&
	grep "^tel_kafka_cat_lines_total{topic=\"$T\",group=\"metrics-g\"} 3000$" m/cat.prom
'

test_expect_success 'long-running tel-kafka-cat: rewritten while it waits, final on SIGTERM' '
	T=$(cat topic) &&
	{ tel-kafka-cat -b $B -t $T --metrics m/cat2.prom --metrics-interval 1s \
	    >got2 2>err2 & } && pid=$! &&
	wait_value m/cat2.prom tel_kafka_cat_lines_total 3000 &&
	check m/cat2.prom tel-kafka-cat --running 1 &&
	first=$(value m/cat2.prom tel_kafka_cat_last_write_time_seconds) &&
	i=0 &&
	while test "$(value m/cat2.prom tel_kafka_cat_last_write_time_seconds)" = "$first" &&
	    test $i -lt 300; do sleep 0.1; i=$((i + 1)); done &&
	test "$(value m/cat2.prom tel_kafka_cat_last_write_time_seconds)" != "$first" &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } &&
	check m/cat2.prom tel-kafka-cat --running 0 --status $rc &&
	no_temporaries m
'

test_done
