#!/bin/sh
test_description='tel-mktopic on a real 3-broker cluster: the defaults, 20 partitions with replication factor 3'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-kafka.sh"

test_kafka cluster
B=$KAFKA_BROKERS

test_expect_success 'the defaults: 20 partitions, replication factor 3, 7 days' '
	T=$(test_topic) && echo $T >topic &&
	tel-mktopic -b $B -t $T >out 2>err &&
	echo "{\"topic\":\"$T\",\"result\":\"created\",\"partitions\":20,\"replication\":3,\"config\":{\"retention.ms\":\"604800000\"}}" >want &&
	test_cmp want out &&
	test_must_be_empty err
'

test_expect_success 'every broker knows 20 led partitions of 3 distinct replicas' '
	T=$(cat topic) &&
	kafka_wait_topic $T 20 &&
	kcat -L -J -b $B -t $T -m 5 >md.json &&
	"$PYTHON" -c "
import json
md = json.load(open(\"md.json\"))
assert len(md[\"brokers\"]) == 3, md[\"brokers\"]
ps = md[\"topics\"][0][\"partitions\"]
assert len(ps) == 20, len(ps)
for p in ps:
    ids = [r[\"id\"] for r in p[\"replicas\"]]
    assert len(ids) == 3 and len(set(ids)) == 3, p
    assert p[\"leader\"] in ids, p
leaders = set(p[\"leader\"] for p in ps)
assert len(leaders) == 3, leaders
"
'

test_expect_success 'TopicCommand agrees' '
	T=$(cat topic) &&
	kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server $B \
		--describe --topic $T >desc &&
	test_grep "PartitionCount: 20	ReplicationFactor: 3" desc &&
	test_grep "retention.ms=604800000" desc
'

test_expect_success 'run again with the defaults: exists' '
	T=$(cat topic) &&
	tel-mktopic -b $B -t $T >out 2>err &&
	test "$(json_get result <out)" = exists &&
	test "$(json_get partitions <out)" = 20 &&
	test "$(json_get replication <out)" = 3 &&
	test_must_be_empty err
'

test_expect_success '-R 2 against a topic of 3 replicas: differs' '
	T=$(cat topic) &&
	test_expect_code 1 tel-mktopic -b $B -t $T -R 2 >out 2>err &&
	test "$(json_get result <out)" = differs &&
	test "$(json_get asked.replication <out)" = 2 &&
	test_grep "replication factor 3, not 2" err
'

test_expect_success '--describe: 3 replicas and ISRs per partition, the brokers'\'' min.insync.replicas' '
	T=$(cat topic) &&
	tel-mktopic --describe -b $B -t $T >out &&
	"$PYTHON" -c "
import json
d = json.loads(open(\"out\").read())
assert len(d[\"assignment\"]) == 20
for a in d[\"assignment\"]:
    assert len(a[\"replicas\"]) == 3 and sorted(a[\"isr\"]) == sorted(a[\"replicas\"]), a
assert d[\"inherited\"].get(\"min.insync.replicas\") == \"2\", d[\"inherited\"]
assert d[\"config\"] == {\"retention.ms\": \"604800000\"}, d[\"config\"]
"
'

test_expect_success 'replication factor 4 on 3 brokers: both numbers named' '
	T=$(test_topic) &&
	test_expect_code 1 tel-mktopic -b $B -t $T -R 4 >out 2>err &&
	test "$(json_get error <out)" = "replication factor 4 exceeds the 3 broker(s) available" &&
	test_grep "$T: replication factor 4 exceeds the 3 broker(s) available" err
'

test_expect_success 'min.insync.replicas=3 and a bootstrap list of one broker' '
	T=$(test_topic) &&
	one=${B%%,*} &&
	tel-mktopic -b $one -t $T -P 6 -c min.insync.replicas=3 >out &&
	test "$(json_get result <out)" = created &&
	kafka_wait_topic $T 6 &&
	tel-mktopic --describe -b $B -t $T >out &&
	"$PYTHON" -c "
import json
d = json.loads(open(\"out\").read())
assert d[\"config\"][\"min.insync.replicas\"] == \"3\", d
assert d[\"partitions\"] == 6 and d[\"replication\"] == 3, d
"
'

test_done
