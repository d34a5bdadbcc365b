#!/bin/sh
test_description='tel-check: valid records pass unchanged, invalid ones become error lines, unsupported keywords are refused'
. "$(dirname "$0")/test-lib.sh"

TRUCK=$TEL_SRC/contrib/schemas/truck.json

test_expect_success 'setup: the defining truck record, and broken copies of it' '
	cat >good <<-\EOF &&
	{"truck_id": "TRUCK_001", "timestamp": "2025-01-15 14:30:25", "tire_pressure_fl": 32.5, "tire_pressure_fr": 31.8, "tire_pressure_rl": 33.2, "tire_pressure_rr": 32.1, "engine_temp": 95.7, "oil_pressure": 45.3, "fuel_level": 78.9, "brake_temp": 85.2, "transmission_temp": 82.4, "battery_voltage": 13.8, "coolant_temp": 88.1, "speed": 65.4, "engine_rpm": 2150, "miles_since_maintenance": 12450, "ambient_temp": 22.3, "vibration_level": 0.3, "fuel_consumption_rate": 8.7, "latitude": 27.717234, "longitude": 85.324567, "health_status": "NORMAL"}
	EOF
	sed "s/\"tire_pressure_rl\": 33.2/\"tire_pressure_rl\": 27.9/" good >low-tire &&
	sed "s/\"engine_temp\": 95.7/\"engine_temp\": 120.5/" good >hot &&
	sed "s/\"speed\": 65.4/\"speed\": -1/" good >reverse &&
	sed "s/NORMAL/FINE/" good >status &&
	sed "s/\"engine_rpm\": 2150/\"engine_rpm\": 2150.5/" good >rpm &&
	sed "s/\"engine_rpm\": 2150/\"engine_rpm\": 2150.0/" good >rpm-int
'

test_expect_success 'the defining record passes, byte for byte; 2150.0 is an integer' '
	tel-check "$TRUCK" <good >out 2>err &&
	test_cmp good out && test_must_be_empty err &&
	tel-check "$TRUCK" <rpm-int >out && test_cmp rpm-int out
'

for c in "low-tire /tire_pressure_rl minimum" "hot /engine_temp maximum" \
    "reverse /speed minimum" "status /health_status enum" "rpm /engine_rpm type"; do
	set -- $c
	test_expect_success "a record that breaks a rule: $1 ($3 at $2)" "
		{ cat good $1 good; } >in &&
		tel-check \"\$TRUCK\" <in >out 2>err &&
		test_line_count = 3 out &&
		sed -n 1p out >first && test_cmp good first &&
		sed -n 3p out >last && test_cmp good last &&
		test_grep \"^tel-check: line 2: $2: .*($3 at #\" err &&
		sed -n 2p out >e && \"\$PYTHON\" -c '
import base64, json, sys
e = json.load(open(\"e\"))
assert list(e)[0] == \"@tel\" and e[\"@tel\"] == \"error\", e
assert e[\"errorCode\"] == \"Schema.ValidationFailed\", e
assert \"$2\" in e[\"errorMessage\"] and \"$3\" in e[\"errorMessage\"], e
assert e[\"lineNumber\"] == 2, e
assert base64.b64decode(e[\"rawData\"]) == open(\"$1\", \"rb\").read().rstrip(b\"\\n\"), e
'
	"
done

test_expect_success 'lines that are not JSON become InvalidJSON error lines; blank lines go' '
	printf "not json\n\n  \n{\"a\":\n" >bad &&
	tel-check "$TRUCK" <bad >out 2>err &&
	test_line_count = 2 out &&
	test $(grep -c "\"errorCode\":\"InvalidJSON\"" out) = 2 &&
	test_grep "line 1: invalid JSON" err && test_grep "line 4: invalid JSON" err
'

test_expect_success 'control lines pass unchanged, in their place' '
	printf "%s\n" "{\"@tel\":\"checkpoint\",\"run\":\"0123456789abcdef\",\"seq\":1,\"time\":\"2026-01-01T00:00:00.000Z\"}" >cp &&
	cat good hot cp good >in &&
	tel-check -q "$TRUCK" <in >out 2>err &&
	test_must_be_empty err &&
	sed -n 3p out >got && test_cmp cp got &&
	sed -n 4p out >got && test_cmp good got
'

test_expect_success 'tel-batch puts the error lines under the error prefix, the rest in the lake' '
	cat good hot good reverse >in &&
	tel-check -q "$TRUCK" <in | tel-batch -d sp >m &&
	test_line_count = 2 m &&
	"$PYTHON" - <<-\EOF
	import base64, gzip, json
	ms = [json.loads(l) for l in open("m")]
	err = [m for m in ms if m.get("error")]
	ok = [m for m in ms if not m.get("error")]
	assert len(err) == 1 and len(ok) == 1, ms
	assert err[0]["key"].startswith("errors/processing-failed/"), err
	recs = [json.loads(l) for l in gzip.open(err[0]["file"])]
	assert [r["lineNumber"] for r in recs] == [2, 4], recs
	assert all(r["errorCode"] == "Schema.ValidationFailed" for r in recs), recs
	assert base64.b64decode(recs[0]["rawData"]) == open("hot", "rb").read().rstrip(b"\n")
	assert isinstance(recs[0]["arrivalTimestamp"], int)
	data = [l for l in gzip.open(ok[0]["file"])]
	assert data == [open("good", "rb").read()] * 2, data
	EOF
'

for kw in allOf anyOf oneOf not if then else patternProperties prefixItems \
    contains minItems maxItems uniqueItems multipleOf minProperties \
    dependentRequired propertyNames unevaluatedProperties '$dynamicRef'; do
	test_expect_success "an unsupported keyword is refused, never ignored: $kw" "
		printf '{\"properties\":{\"a\":{\"%s\":1}}}\n' '$kw' >s.json &&
		test_expect_code 2 tel-check s.json <good >out 2>err &&
		test_must_be_empty out &&
		test_grep '#/properties/a: keyword \"$kw\" is not supported' err
	"
done

test_expect_success 'schemas that cannot mean what they say are refused: exit 2' '
	echo "{\"\$ref\":\"https://example.com/x.json\"}" >s1.json &&
	test_expect_code 2 tel-check s1.json </dev/null 2>err &&
	test_grep "only references within the file" err &&
	echo "{\"\$ref\":\"#/\$defs/nope\"}" >s2.json &&
	test_expect_code 2 tel-check s2.json </dev/null 2>err &&
	test_grep "no such place in the file" err &&
	echo "{\"\$defs\":{\"a\":{\"\$ref\":\"#/\$defs/b\"},\"b\":{\"\$ref\":\"#/\$defs/a\"}},\"\$ref\":\"#/\$defs/a\"}" >s3.json &&
	test_expect_code 2 tel-check s3.json </dev/null 2>err &&
	test_grep "cycle" err &&
	echo "{\"items\":[{}]}" >s4.json &&
	test_expect_code 2 tel-check s4.json </dev/null 2>err &&
	test_grep "prefixItems" err &&
	echo "{\"pattern\":\"^\\\\\\\\d+\$\"}" >s5.json &&
	test_expect_code 2 tel-check s5.json </dev/null 2>err &&
	test_grep "POSIX extended regular expressions" err &&
	echo "{\"type\":\"int\"}" >s6.json &&
	test_expect_code 2 tel-check s6.json </dev/null 2>err &&
	test_grep "unknown type \"int\"" err &&
	echo "{\"a\":1," >s7.json &&
	test_expect_code 2 tel-check s7.json </dev/null 2>err &&
	test_grep "s7.json: line" err &&
	test_expect_code 2 tel-check </dev/null 2>err && test_grep "^usage:" err &&
	test_expect_code 2 tel-check no-such-file.json </dev/null 2>err &&
	test_grep "no-such-file.json" err
'

test_expect_success 'a line past --max-line is an error line (LineTooLong), not the end' '
	{ cat good; head -c 3000 /dev/zero | tr "\0" x; echo; cat good; } >in &&
	tel-check --max-line 2K "$TRUCK" <in >out 2>err &&
	test_line_count = 3 out &&
	test_grep "\"errorCode\":\"LineTooLong\"" out &&
	test_grep "line 2: line of 3000 bytes is longer than --max-line 2048" err
'

test_expect_success 'SIGTERM: what was read is written, exit 0' '
	mkfifo fifo &&
	{ tel-check "$TRUCK" <fifo >out 2>err & echo $! >pid; } &&
	exec 9>fifo &&
	cat good >&9 &&
	n=0 && while ! test -s out && test $n -lt 50; do sleep 0.1; n=$((n + 1)); done &&
	kill -TERM $(cat pid) &&
	wait $(cat pid) && exec 9>&- &&
	test_cmp good out
'

test_expect_success '-v: a JSON summary; --metrics: the counters' '
	cat good hot good >in &&
	tel-check -v --metrics m.prom "$TRUCK" <in >out 2>err &&
	test_grep "\"valid\":2,\"invalid\":1" err &&
	test_grep "^tel_check_invalid_total 1" m.prom
'

test_done
