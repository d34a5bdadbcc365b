#!/bin/sh
test_description='tel-kafka-put against a real broker, kcat as the oracle'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-kafka.sh"

test_kafka single
B=$KAFKA_BROKERS

# A loopback port nobody listens on.
kafka_closed_port() {
	"$PYTHON" -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])"
}

test_expect_success 'setup: events and a 4-partition topic' '
	tel-gen -n 2000 -s 11 >events &&
	T=$(test_topic) && echo "$T" >topic &&
	kafka_create_topic "$T" 4
'

test_expect_success 'lines go up and kcat reads them back byte for byte' '
	T=$(cat topic) &&
	tel-kafka-put -b $B -t $T <events >failed 2>err &&
	test_must_be_empty failed &&
	kcat -b $B -C -t $T -e -q -f "%s\n" >got &&
	sort events >want.sorted && sort got >got.sorted &&
	test_cmp want.sorted got.sorted
'

test_expect_success '-k session_id: one partition per session, input order kept' '
	T=$(test_topic) && kafka_create_topic "$T" 4 &&
	tel-kafka-put -b $B -t $T -k session_id <events &&
	kcat -b $B -C -t $T -e -q -f "%p %k %s\n" >got &&
	"$PYTHON" "$TEST_DIRECTORY/py/check_keys.py" events got
'

test_expect_success '100k events round trip: identical bytes, per-key order' '
	tel-gen -n 100000 -s 12 >big.events &&
	T=$(test_topic) && kafka_create_topic "$T" 4 &&
	tel-kafka-put -b $B -t $T -k session_id <big.events >failed &&
	test_must_be_empty failed &&
	tel-kafka-cat -b $B -t $T -e >got &&
	sort big.events >want.s && sort got >got.s && test_cmp want.s got.s &&
	kcat -b $B -C -t $T -e -q -f "%p %k %s\n" >got.k &&
	"$PYTHON" "$TEST_DIRECTORY/py/check_keys.py" big.events got.k &&
	rm -f big.events got got.s want.s got.k
'

test_expect_success 'bad lines are named, given back verbatim, good ones sent' '
	T=$(test_topic) && kafka_create_topic "$T" 1 &&
	{
		head -n 2 events &&
		echo "not json" &&
		echo &&
		printf "\\377\\376garbage\\n" &&
		echo "{\"a\":" &&
		echo "   " &&
		sed -n 3p events
	} >mixed &&
	test_expect_code 1 tel-kafka-put -v -b $B -t $T <mixed >failed 2>err &&
	{ echo "not json" && printf "\\377\\376garbage\\n" && echo "{\"a\":"; } >want &&
	test_cmp want failed &&
	test_grep "line 3: invalid JSON" err &&
	test_grep "line 5: invalid UTF-8" err &&
	test_grep "line 6: invalid JSON" err &&
	test_grep "\"read\":8,\"sent\":3,\"acked\":3,\"rejected\":3,\"failed\":0,\"unsent\":0,\"empty\":2" err &&
	kcat -b $B -C -t $T -e -q -f "%s\n" >got &&
	{ head -n 2 events && sed -n 3p events; } >want &&
	test_cmp want got
'

test_expect_success 'a line above message.max.bytes is rejected and given back' '
	T=$(test_topic) && kafka_create_topic "$T" 1 &&
	"$PYTHON" -c "print(\"{\\\"pad\\\":\\\"\" + \"x\" * 3000 + \"\\\"}\")" >big &&
	test_expect_code 1 tel-kafka-put -b $B -t $T -X message.max.bytes=2000 \
		<big >failed 2>err &&
	test_cmp big failed &&
	test_grep "line 1: .*larger than message.max.bytes" err
'

test_expect_success 'a line above --max-line is reported, not silently lost' '
	test_expect_code 1 tel-kafka-put -b $B -t x --max-line 100 <big >failed 2>err &&
	test_must_be_empty failed &&
	test_grep "line 1: 3010 bytes: longer than --max-line 100; dropped" err
'

test_expect_success '--no-validate sends what is not JSON' '
	T=$(test_topic) && kafka_create_topic "$T" 1 &&
	printf "plain text\\n" | tel-kafka-put -b $B -t $T --no-validate &&
	kcat -b $B -C -t $T -e -q -f "%s\\n" >got &&
	echo "plain text" >want && test_cmp want got
'

for z in gzip snappy lz4 zstd; do
	test_expect_success "-z $z: kcat reads it" "
		T=\$(test_topic) && kafka_create_topic \"\$T\" 1 &&
		head -n 100 events | tel-kafka-put -b \$B -t \$T -z $z &&
		kcat -b \$B -C -t \$T -e -q -f '%s\n' >got &&
		head -n 100 events >want && test_cmp want got
	"
done

# The codec of each batch, as the broker stored it.
codecs() {
	kafka_tool kafka.tools.DumpLogSegments --files \
	    "$KAFKA_PEER_DIR/node1/data/$1-0/00000000000000000000.log" |
	grep -o "compresscodec: [a-z0-9]*" | uniq
}

test_expect_success '-z is -X compression.codec= in its place: the last given wins' '
	T=$(test_topic) && kafka_create_topic "$T" 1 &&
	head -n 10 events | tel-kafka-put -b $B -t $T -z gzip \
		-X compression.codec=lz4 &&
	head -n 10 events | tel-kafka-put -b $B -t $T \
		-X compression.codec=lz4 -z zstd &&
	codecs $T >got &&
	printf "compresscodec: lz4\ncompresscodec: zstd\n" >want &&
	test_cmp want got
'

test_expect_success '-p sends everything to one partition' '
	T=$(test_topic) && kafka_create_topic "$T" 4 &&
	head -n 50 events | tel-kafka-put -b $B -t $T -p 2 &&
	kcat -b $B -C -t $T -e -q -f "%p\\n" | sort -u >got &&
	echo 2 >want && test_cmp want got
'

test_expect_success 'what kcat -P writes, tel-kafka-cat reads identically' '
	T=$(test_topic) && kafka_create_topic "$T" 1 &&
	kcat -b $B -P -t $T <events &&
	tel-kafka-cat -b $B -t $T -e >got &&
	test_cmp events got
'

test_expect_success '-F file and TEL_KAFKA_CONFIG carry properties' '
	T=$(test_topic) && kafka_create_topic "$T" 1 &&
	printf "# comment\\n\\nbootstrap.servers = %s\\nacks=all\\n" "$B" >k.properties &&
	head -n 5 events | tel-kafka-put -F k.properties -t $T &&
	head -n 5 events | TEL_KAFKA_CONFIG=k.properties tel-kafka-put -t $T &&
	kcat -b $B -C -t $T -e -q >got && test_line_count = 10 got &&
	printf "no.such.property=1\\n" >bad.properties &&
	test_expect_code 2 tel-kafka-put -F bad.properties -b $B -t $T </dev/null 2>err &&
	test_grep "bad.properties:1: unknown property \"no.such.property\"" err
'

test_expect_success 'no brokers: a clear usage error' '
	test_expect_code 2 tel-kafka-put -t x </dev/null 2>err &&
	test_grep "no brokers" err
'

test_expect_success 'secrets given with -X are never echoed, even in debug' '
	port=$(kafka_closed_port) &&
	head -n 1 events >one &&
	test_expect_code 1 tel-kafka-put -vv -b 127.0.0.1:$port -t x \
		-X debug=all -X message.timeout.ms=500 \
		-X sasl.password=Hunter2Secret -X ssl.key.password=Hunter2Secret \
		<one >out 2>err &&
	test_grep "Message timed out" err &&
	! grep Hunter2Secret out err &&
	test_expect_code 2 tel-kafka-put -b $B -t x -X sasl.password=Hunter2Secret \
		-X bogus=1 -vv </dev/null >out 2>err &&
	! grep Hunter2Secret out err &&
	test_expect_code 2 tel-kafka-put -b $B -t x -X security.protocol=SASL_SSL \
		-X sasl.mechanisms=PLAIN -X sasl.username=u \
		-X sasl.password=Hunter2Secret -X ssl.ca.location=/nonexistent \
		-X ssl.key.password=Hunter2Secret </dev/null >out 2>err &&
	test -s err && ! grep Hunter2Secret out err
'

test_expect_success '-X list prints the properties' '
	tel-kafka-put -X list >list &&
	test_grep "bootstrap.servers" list &&
	test_grep "enable.idempotence" list
'

test_expect_success 'unreachable broker: every line comes back, exit 1' '
	port=$(kafka_closed_port) &&
	test_expect_code 1 tel-kafka-put -b 127.0.0.1:$port -t x \
		-X message.timeout.ms=1500 <events >failed 2>err &&
	test_cmp events failed &&
	test_grep "line 1: not delivered: Local: Message timed out" err &&
	test_grep "1990 more lines not delivered" err
'

test_expect_success 'SIGTERM while waiting: lines come back within --flush-timeout' '
	port=$(kafka_closed_port) &&
	mkfifo in &&
	{ tel-kafka-put -b 127.0.0.1:$port -t x --flush-timeout 1s <in \
		>failed 2>err & } &&
	pid=$! &&
	exec 9>in &&
	head -n 10 events >&9 &&
	sleep 1 &&
	kill -TERM $pid &&
	start=$(date +%s) &&
	{ wait $pid; status=$?; } &&
	exec 9>&- &&
	test $status = 1 &&
	test $(( $(date +%s) - start )) -le 3 &&
	head -n 10 events >want && test_cmp want failed
'

test_expect_success 'SIGTERM with a full queue: every line read comes back, none lost' '
	port=$(kafka_closed_port) &&
	head -n 5000 events >five && cat events events >>five &&
	{ tel-kafka-put -b 127.0.0.1:$port -t x --flush-timeout 1s \
		-X queue.buffering.max.messages=100 <five >failed 2>err & } &&
	pid=$! && sleep 2 && kill -TERM $pid &&
	{ wait $pid; echo $? >status; } &&
	echo 1 >want && test_cmp want status &&
	n=$(wc -l <failed) && test $n -gt 100 &&
	head -n $n five | sort >want && sort failed >got && test_cmp want got &&
	test_grep "lines read but not sent (stopped)" err
'

test_done
