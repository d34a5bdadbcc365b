#!/bin/sh
test_description='tel-kafka-cat against a real broker: values, offsets, envelopes'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-kafka.sh"

test_kafka single
B=$KAFKA_BROKERS

test_expect_success 'setup: 100 events in 3 partitions by kcat' '
	tel-gen -n 100 -s 5 >events &&
	T=$(test_topic) && echo $T >topic && kafka_create_topic $T 3 &&
	split -n l/3 events third. &&
	kcat -b $B -P -t $T -p 0 <third.aa &&
	kcat -b $B -P -t $T -p 1 <third.ab &&
	kcat -b $B -P -t $T -p 2 <third.ac
'

test_expect_success 'every message, once, as its line' '
	tel-kafka-cat -b $B -t $(cat topic) -e >got &&
	sort events >want && sort got >got.sorted && test_cmp want got.sorted
'

# Values separated by ASCII RS (kcat -D), so they can hold newlines;
# JSON on one line comes out as it went in, spaces and all.
printf '{"a": 1,\n "b": [1,\r\n 2], "s": "x y"}\036not json\036\377\001\036[1, 2]' >"$TRASH/mixed.rs"
cat >"$TRASH/mixed.want" <<\EOF
{"a":1,"b":[1,2],"s":"x y"}
[1, 2]
EOF
cat >"$TRASH/mixed.raw" <<\EOF
{"a":1,"b":[1,2],"s":"x y"}
"not json"
[1, 2]
EOF
printf 'k1|{"v":1}\n|{"v":2}\n' >"$TRASH/keyed"
cat >"$TRASH/check_envelope.py" <<\EOF
import json, sys
a, b = [json.loads(l) for l in open("got")]
assert a["topic"] == sys.argv[1] and a["partition"] == 0, a
assert a["offset"] == 0 and b["offset"] == 1, (a, b)
assert a["key"] == "k1" and b["key"] in (None, ""), (a, b)
assert a["value"] == {"v": 1} and b["value"] == {"v": 2}, (a, b)
assert isinstance(a["timestamp"], int) and a["timestamp"] > 1.6e12, a
EOF

test_expect_success 'JSON across lines comes out compact; other values are skipped' '
	T=$(test_topic) && kafka_create_topic $T 1 && echo $T >topic.mixed &&
	kcat -b $B -P -t $T -D "$(printf "\\036")" <mixed.rs &&
	test_expect_code 1 tel-kafka-cat -b $B -t $T -e >got 2>err &&
	test_cmp mixed.want got &&
	test_grep "$T \[0\] offset 1: not JSON: .*; skipped" err &&
	test_grep "$T \[0\] offset 2: not JSON: invalid UTF-8; skipped" err
'

test_expect_success '--raw keeps what is not JSON: as strings, bytes that are not UTF-8 as error lines' '
	tel-kafka-cat -b $B -t $(cat topic.mixed) -e --raw >got 2>err &&
	grep -v "^{\"@tel\"" got >text && test_cmp mixed.raw text &&
	test_grep "offset 2: not JSON: invalid UTF-8; handed on as an error line" err &&
	grep "^{\"@tel\":\"error\"" got >e &&
	"$PYTHON" -c "
import base64, json
e = json.load(open(\"e\"))
assert e[\"errorCode\"] == \"InvalidUTF8\" and \"lineNumber\" not in e, e
assert \"offset 2: not JSON: invalid UTF-8\" in e[\"errorMessage\"], e
assert base64.b64decode(e[\"rawData\"]) == b\"\\377\\001\", e
" &&
	sed -n 3p got >third && test_cmp e third
'

# A key of C3 A9 is the text "é"; a key of E9 is not UTF-8 and must not
# come out as the same "é", or re-producing it would change its partition.
printf '\303\251|{"v":1}\n\351|{"v":2}\n\351\001|\377\376x\n|caf\303\251\n' >"$TRASH/bytes"
cat >"$TRASH/check_bytes.py" <<\EOF
import base64, json
got = [json.loads(l) for l in open("got")]
assert [e["offset"] for e in got] == [0, 1, 2, 3], got
assert got[0]["key"] == "\u00e9" and "key_base64" not in got[0], got[0]
assert "key" not in got[1] and base64.b64decode(got[1]["key_base64"]) == b"\xe9", got[1]
assert base64.b64decode(got[2]["key_base64"]) == b"\xe9\x01", got[2]
assert "value" not in got[2], got[2]
assert base64.b64decode(got[2]["value_base64"]) == b"\xff\xfex", got[2]
assert got[3]["key"] in (None, "") and got[3]["value"] == "caf\u00e9", got[3]
EOF

test_expect_success '-E --raw: bytes that are not UTF-8 come back exactly (base64)' '
	T=$(test_topic) && kafka_create_topic $T 1 &&
	kcat -b $B -P -t $T -K "|" <bytes &&
	tel-kafka-cat -b $B -t $T -e -E --raw >got &&
	"$PYTHON" check_bytes.py &&
	test_expect_code 1 tel-kafka-cat -b $B -t $T -e -E >got 2>err &&
	test_line_count = 2 got &&
	test_grep "offset 2: not JSON: invalid UTF-8; skipped" err
'

test_expect_success '-E: envelopes with coordinates, key and value' '
	T=$(test_topic) && kafka_create_topic $T 1 &&
	kcat -b $B -P -t $T -K "|" <keyed &&
	tel-kafka-cat -b $B -t $T -e -E >got &&
	"$PYTHON" check_envelope.py $T
'

test_expect_success '-o end reads nothing; -o -5 the last 5 of each partition' '
	T=$(cat topic) &&
	tel-kafka-cat -b $B -t $T -o end -e >got && test_must_be_empty got &&
	tel-kafka-cat -b $B -t $T -o -5 -e >got && test_line_count = 15 got
'

test_expect_success '-o N and -p: from an offset in one partition' '
	T=$(test_topic) && kafka_create_topic $T 2 &&
	head -n 10 events | kcat -b $B -P -t $T -p 1 &&
	tel-kafka-cat -b $B -t $T -p 1 -o 7 -e >got &&
	sed -n 8,10p events >want && test_cmp want got
'

test_expect_success '-o s@TIME: messages at or after a time' '
	T=$(test_topic) && kafka_create_topic $T 1 &&
	head -n 3 events | kcat -b $B -P -t $T &&
	sleep 1.2 && t=$(date +%s%3N) && sleep 0.2 &&
	sed -n 4,6p events | kcat -b $B -P -t $T &&
	tel-kafka-cat -b $B -t $T -o s@$t -e >got &&
	sed -n 4,6p events >want && test_cmp want got &&
	iso=$(date -u -d @$((t / 1000)) +%Y-%m-%dT%H:%M:%SZ) &&
	tel-kafka-cat -b $B -t $T -o "s@$iso" -e >got2 && test_line_count -ge 3 got2
'

test_expect_success '-c stops after N lines' '
	tel-kafka-cat -b $B -t $(cat topic) -c 7 >got && test_line_count = 7 got
'

test_expect_success 'two topics at once' '
	tel-kafka-cat -b $B -t $(cat topic) -t $(cat topic.mixed) -e --raw >got &&
	test_line_count = 104 got
'

test_expect_success 'a topic that does not exist: exit 1, named' '
	test_expect_code 1 tel-kafka-cat -b $B -t no-such-topic-$$ -e >got 2>err &&
	test_grep "no-such-topic-$$" err
'

test_expect_success 'bad -o values and -G conflicts are usage errors' '
	test_expect_code 2 tel-kafka-cat -b $B -t x -o sometime 2>err &&
	test_grep "\\-o sometime" err &&
	test_expect_code 2 tel-kafka-cat -b $B -t x -o stored 2>err &&
	test_grep "needs a group" err &&
	test_expect_code 2 tel-kafka-cat -b $B -t x -G g -o 5 2>err &&
	test_expect_code 2 tel-kafka-cat -b $B -t x -G g -p 1 2>err &&
	test_expect_code 2 tel-kafka-cat -b $B 2>err && test_grep "topic is required" err
'

test_done
