#!/bin/sh
test_description='tel-mktopic against a real single broker: create, exists, differs, dry run, errors'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-kafka.sh"

test_kafka single
B=$KAFKA_BROKERS

# partitions TOPIC: "N R" lines, partition and replica count, from kcat.
kcat_layout() {
	kcat -L -b "$B" -t "$1" -m 5 |
	    sed -n 's/^ *partition \([0-9]*\), leader [0-9]*, replicas: \([0-9,]*\), isrs: .*/\1 \2/p' |
	    awk '{ print $1, split($2, r, ",") }' | sort -n
}

# kcat_missing TOPIC: the broker does not know TOPIC.
kcat_missing() {
	kcat -L -b "$B" -t "$1" -m 5 >md &&
	test_grep "topic \"$1\" with 0 partitions: Broker: Unknown topic" md
}

test_expect_success 'creates a topic as asked and says so' '
	T=$(test_topic) && echo "$T" >topic &&
	tel-mktopic -b $B -t $T -P 3 -R 1 >out 2>err &&
	echo "{\"topic\":\"$T\",\"result\":\"created\",\"partitions\":3,\"replication\":1,\"config\":{\"retention.ms\":\"604800000\"}}" >want &&
	test_cmp want out &&
	test_must_be_empty err
'

test_expect_success 'kcat sees the partitions and replicas asked for' '
	T=$(cat topic) &&
	kafka_wait_topic $T 3 &&
	kcat_layout $T >got &&
	printf "0 1\n1 1\n2 1\n" >want &&
	test_cmp want got
'

test_expect_success 'Kafka'\''s own TopicCommand sees partitions, RF and retention' '
	T=$(cat topic) &&
	kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server $B \
		--describe --topic $T >desc &&
	test_grep "PartitionCount: 3" desc &&
	test_grep "ReplicationFactor: 1" desc &&
	test_grep "Configs: .*retention.ms=604800000" desc
'

test_expect_success 'run again: exists, exit 0, nothing on stderr' '
	T=$(cat topic) &&
	tel-mktopic -b $B -t $T -P 3 -R 1 >out 2>err &&
	echo "{\"topic\":\"$T\",\"result\":\"exists\",\"partitions\":3,\"replication\":1,\"config\":{\"retention.ms\":\"604800000\"}}" >want &&
	test_cmp want out &&
	test_must_be_empty err
'

test_expect_success '-v says it exists on stderr' '
	T=$(cat topic) &&
	tel-mktopic -v -b $B -t $T -P 3 -R 1 >out 2>err &&
	test_grep "^tel-mktopic: $T: exists as asked$" err
'

test_expect_success 'another partition count: differs, exit 1, both counts shown' '
	T=$(cat topic) &&
	test_expect_code 1 tel-mktopic -b $B -t $T -P 5 -R 1 >out 2>err &&
	test "$(json_get result <out)" = differs &&
	test "$(json_get partitions <out)" = 3 &&
	test "$(json_get asked.partitions <out)" = 5 &&
	test "$(json_get error <out)" = "3 partitions, not 5" &&
	test_grep "^tel-mktopic: $T: exists but differs: 3 partitions, not 5$" err &&
	kcat_layout $T >got && test_line_count = 3 got
'

test_expect_success 'the default replication factor 3 differs from 1' '
	T=$(cat topic) &&
	test_expect_code 1 tel-mktopic -b $B -t $T -P 3 >out 2>err &&
	test "$(json_get replication <out)" = 1 &&
	test "$(json_get asked.replication <out)" = 3 &&
	test_grep "replication factor 1, not 3" err
'

test_expect_success '-q: the line and the status, no stderr' '
	T=$(cat topic) &&
	test_expect_code 1 tel-mktopic -q -b $B -t $T -P 5 -R 1 >out 2>err &&
	test "$(json_get result <out)" = differs &&
	test_must_be_empty err
'

test_expect_success '--describe: partitions, leaders, replicas, ISRs as kcat has them' '
	T=$(cat topic) &&
	tel-mktopic --describe -b $B -t $T >out 2>err &&
	test_must_be_empty err &&
	test "$(json_get result <out)" = exists &&
	test "$(json_get config <out)" = "{\"retention.ms\":\"604800000\"}" &&
	kcat -L -J -b $B -t $T -m 5 >md.json &&
	"$PYTHON" -c "
import json, sys
mine = json.loads(open(\"out\").read())
kc = json.load(open(\"md.json\"))[\"topics\"][0][\"partitions\"]
want = sorted((p[\"partition\"], p[\"leader\"], [r[\"id\"] for r in p[\"replicas\"]],
	       sorted(r[\"id\"] for r in p[\"isrs\"])) for p in kc)
got = sorted((a[\"partition\"], a[\"leader\"], a[\"replicas\"], sorted(a[\"isr\"]))
	     for a in mine[\"assignment\"])
assert len(got) == 3 and got == want, (got, want)
"
'

test_expect_success '--describe of a topic that does not exist: error, exit 1' '
	T=$(test_topic) &&
	test_expect_code 1 tel-mktopic --describe -b $B -t $T >out 2>err &&
	test "$(json_get result <out)" = error &&
	test "$(json_get code <out)" = UNKNOWN_TOPIC_OR_PART &&
	test_grep "$T: no such topic" err
'

test_expect_success '--describe without -t lists every topic' '
	T=$(cat topic) &&
	tel-mktopic --describe -b $B >out &&
	grep -c "\"topic\":\"$T\",\"result\":\"exists\",\"partitions\":3," out >n &&
	test "$(cat n)" = 1
'

test_expect_success '--retention and -c set configs; the broker has them' '
	T=$(test_topic) && echo $T >topic2 &&
	tel-mktopic -b $B -t $T -P 1 -R 1 --retention 1d \
		-c cleanup.policy=compact -c max.message.bytes=2000000 >out &&
	test "$(json_get result <out)" = created &&
	test "$(json_get config <out)" = "{\"retention.ms\":\"86400000\",\"cleanup.policy\":\"compact\",\"max.message.bytes\":\"2000000\"}" &&
	kafka_wait_topic $T 1 &&
	tel-mktopic --describe -b $B -t $T >desc &&
	"$PYTHON" -c "
import json
c = json.loads(open(\"desc\").read())[\"config\"]
assert c == {\"retention.ms\": \"86400000\", \"cleanup.policy\": \"compact\",
	     \"max.message.bytes\": \"2000000\"}, c
"
'

test_expect_success 'configs given are compared; the default retention is not' '
	T=$(cat topic2) &&
	tel-mktopic -b $B -t $T -P 1 -R 1 --retention 1d -c cleanup.policy=compact >out &&
	test "$(json_get result <out)" = exists &&
	tel-mktopic -b $B -t $T -P 1 -R 1 >out &&
	test "$(json_get result <out)" = exists &&
	test_expect_code 1 tel-mktopic -b $B -t $T -P 1 -R 1 --retention 2d >out 2>err &&
	test "$(json_get result <out)" = differs &&
	test "$(json_get asked.config <out)" = "{\"retention.ms\":\"172800000\"}" &&
	test_grep "retention.ms=86400000, not 172800000" err
'

test_expect_success '--retention infinite is retention.ms=-1' '
	T=$(test_topic) &&
	tel-mktopic -b $B -t $T -P 1 -R 1 --retention infinite >out &&
	test "$(json_get config <out)" = "{\"retention.ms\":\"-1\"}"
'

test_expect_success '--dry-run validates on the broker and creates nothing' '
	T=$(test_topic) &&
	tel-mktopic --dry-run -b $B -t $T -P 2 -R 1 >out 2>err &&
	echo "{\"topic\":\"$T\",\"result\":\"validated\",\"partitions\":2,\"replication\":1,\"config\":{\"retention.ms\":\"604800000\"}}" >want &&
	test_cmp want out &&
	test_must_be_empty err &&
	sleep 1 &&
	kcat_missing $T &&
	test_expect_code 1 tel-mktopic --describe -b $B -t $T >out &&
	tel-mktopic -b $B -t $T -P 2 -R 1 >out &&
	test "$(json_get result <out)" = created
'

test_expect_success '--dry-run still has the broker check configs' '
	T=$(test_topic) &&
	test_expect_code 1 tel-mktopic --dry-run -b $B -t $T -P 1 -R 1 \
		-c no.such.config=1 >out 2>err &&
	test "$(json_get code <out)" = INVALID_CONFIG &&
	test_grep "no.such.config" err
'

test_expect_success 'replication factor 3 on one broker: both numbers named, nothing made' '
	T=$(test_topic) &&
	test_expect_code 1 tel-mktopic -b $B -t $T -P 2 >out 2>err &&
	echo "{\"topic\":\"$T\",\"result\":\"error\",\"code\":\"INVALID_REPLICATION_FACTOR\",\"error\":\"replication factor 3 exceeds the 1 broker(s) available\"}" >want &&
	test_cmp want out &&
	echo "tel-mktopic: $T: replication factor 3 exceeds the 1 broker(s) available" >want &&
	test_cmp want err &&
	kcat_missing $T
'

test_expect_success 'an unknown config key is named, nothing made' '
	T=$(test_topic) &&
	test_expect_code 1 tel-mktopic -b $B -t $T -P 1 -R 1 -c retention.bogus=5 >out 2>err &&
	test "$(json_get result <out)" = error &&
	test "$(json_get code <out)" = INVALID_CONFIG &&
	json_get error <out >msg &&
	test_grep "retention.bogus" msg &&
	test_grep "^tel-mktopic: $T: .*retention.bogus" err &&
	kcat_missing $T
'

test_expect_success 'a value the broker refuses is named with its key' '
	T=$(test_topic) &&
	test_expect_code 1 tel-mktopic -b $B -t $T -P 1 -R 1 -c retention.ms=soon >out 2>err &&
	test "$(json_get code <out)" = INVALID_CONFIG &&
	test_grep "retention.ms" err && test_grep "soon" err
'

test_expect_success 'an unknown config key on a topic that exists is named' '
	T=$(cat topic) &&
	test_expect_code 1 tel-mktopic -b $B -t $T -P 3 -R 1 -c retention.bogus=5 >out 2>err &&
	test "$(json_get code <out)" = INVALID_CONFIG &&
	test_grep "unknown topic config \"retention.bogus\"" err
'

test_expect_success 'several topics: one line each, in order; a failure is exit 1' '
	T=$(cat topic) && N1=$(test_topic) && N2=$(test_topic) &&
	tel-mktopic -b $B -t $N1 -t $T -t $N2 -t $N1 -P 3 -R 1 >out &&
	sed "s/\"result\":\"\([a-z]*\)\".*/\1/" out >got &&
	printf "{\"topic\":\"%s\",%s\n" $N1 created $T exists $N2 created >want &&
	test_cmp want got &&
	test_expect_code 1 tel-mktopic -b $B -t $N1 -t $T -P 4 -R 1 >out &&
	test_line_count = 2 out &&
	grep -c "\"result\":\"differs\"" out >n && test "$(cat n)" = 2
'

test_expect_success 'TEL_BROKERS and TEL_KAFKA_CONFIG stand for -b and -F' '
	T=$(cat topic) &&
	printf "# a comment\nsocket.timeout.ms=10000\n" >props &&
	TEL_BROKERS=$B TEL_KAFKA_CONFIG=$PWD/props tel-mktopic -t $T -P 3 -R 1 >out &&
	test "$(json_get result <out)" = exists &&
	printf "no.such.property=1\n" >bad &&
	test_expect_code 2 env TEL_BROKERS=$B TEL_KAFKA_CONFIG=$PWD/bad tel-mktopic -t $T 2>err &&
	test_grep "bad:1: unknown property \"no.such.property\"" err
'

test_expect_success 'secrets given by -X never appear, even with -vv and debug logs' '
	T=$(cat topic) &&
	tel-mktopic -vv -b $B -t $T -P 3 -R 1 -X sasl.password=Hunter2Zebra \
		-X sasl.username=u -X debug=conf,security >out 2>err &&
	test_grep "sasl.password" err &&
	test_grep -v Hunter2Zebra out &&
	test_grep -v Hunter2Zebra err
'

test_expect_success 'failed authentication ends at once, secret unsaid' '
	T=$(test_topic) &&
	start=$(date +%s%N) &&
	test_expect_code 1 tel-mktopic -vv -b $B -t $T -R 1 --timeout 20s \
		-X security.protocol=sasl_plaintext -X sasl.mechanism=PLAIN \
		-X sasl.username=u -X sasl.password=Hunter2Zebra >out 2>err &&
	ms=$(( ($(date +%s%N) - start) / 1000000 )) &&
	echo $ms >auth.ms &&
	test $ms -lt 10000 &&
	test "$(json_get code <out)" = _AUTHENTICATION &&
	test_grep -v Hunter2Zebra out &&
	test_grep -v Hunter2Zebra err
'
test -s auth.ms && test_diag "a failed authentication ended in $(cat auth.ms) ms (--timeout 20s)"

test_done
