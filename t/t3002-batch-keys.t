#!/bin/sh
test_description='tel-batch: prefix language, event time, dynamic partitioning, hostile keys'
. "$(dirname "$0")/test-lib.sh"

CHECK="$PYTHON $TEL_SRC/t/py/check_batch.py"

test_expect_success '--time-field puts each record under its own hour' '
	tel-gen -n 30000 -s 5 --start 2026-11-22T18:02:30Z >in &&
	tel-batch --time-field event_timestamp -d s1 <in >m1 &&
	$CHECK m1 in s1 >/dev/null &&
	test_line_count = 2 m1 &&
	test_grep "\"key\":\"telemetry/year=2026/month=11/day=22/hour=17/" m1 &&
	test_grep "\"key\":\"telemetry/year=2026/month=11/day=22/hour=18/" m1 &&
	"$PYTHON" - <<-\EOF
	import gzip, json, re
	for m in map(json.loads, open("m1")):
	    hour = re.search(r"hour=(\d\d)/", m["key"]).group(1)
	    for r in gzip.open(m["file"]):
	        assert json.loads(r)["event_timestamp"][11:13] == hour, m["key"]
	EOF
'

test_expect_success 'first and last are the records'"'"' own times with --time-field' '
	test_grep "\"first\":\"2026-11-22T17:57:3" m1 &&
	test_grep "\"last\":\"2026-11-22T18:02:2" m1
'

test_expect_success 'dynamic partitioning by a field, with a java.time format' '
	tel-batch --time-field event_timestamp \
	    --prefix "lake/!{partitionKeyFromQuery:country}/dt=!{timestamp:yyyy'"'"'-'"'"'MM-dd}/" \
	    -d s2 <in >m2 &&
	$CHECK m2 in s2 >/dev/null &&
	test $(wc -l <m2) -ge 12 &&
	test_grep "\"key\":\"lake/US/dt=2026-11-22/tel-" m2 &&
	"$PYTHON" - <<-\EOF
	import gzip, json
	for m in map(json.loads, open("m2")):
	    country = m["key"].split("/")[1]
	    assert all(json.loads(r)["country"] == country for r in gzip.open(m["file"]))
	EOF
'

test_expect_success 'random strings are drawn per object, not per record' '
	tel-batch --prefix "r=!{firehose:random-string}/" -d s3 <in >m3 &&
	test_line_count = 1 m3 &&
	grep -E "\"key\":\"r=[a-z0-9]{11}/tel-" m3
'

test_expect_success 'hostile partition values cannot leave their prefix' '
	cat >hostile <<-\EOF &&
	{"k":"../../../etc/passwd"}
	{"k":"a/b"}
	{"k":".."}
	{"k":"."}
	{"k":"%2F"}
	{"k":"x\u0000y\nz"}
	{"k":"\\..\\"}
	{"k":"ünï cødé +"}
	{"k":17}
	{"k":true}
	EOF
	tel-batch --prefix "p/k=!{partitionKeyFromQuery:k}/" -d s4 <hostile >m4 &&
	$CHECK m4 hostile s4 >/dev/null &&
	test_line_count = 10 m4 &&
	"$PYTHON" - <<-\EOF
	import json, os
	keys = [json.loads(l)["key"] for l in open("m4")]
	for k in keys:
	    parts = k.split("/")
	    assert len(parts) == 3 and parts[0] == "p" and parts[1].startswith("k="), k
	    assert parts[1] not in ("k=.", "k=..") and "\0" not in k and "\n" not in k, k
	    assert os.path.realpath("s4/ready/" + k).startswith(os.path.realpath("s4/ready") + "/")
	vals = sorted(k.split("/")[1] for k in keys)
	print(vals)
	for want in ["k=..%2F..%2F..%2Fetc%2Fpasswd", "k=a%2Fb", "k=%2E%2E", "k=%2E",
	             "k=%252F", "k=x%00y%0Az", "k=%5C..%5C", "k=ünï cødé +", "k=17", "k=true"]:
	    assert want in vals, want
	EOF
'

test_expect_success 'records without the partition key go to partitioning-failed' '
	printf "{\"k\":\"a\"}\n{\"other\":1}\n{\"k\":null}\n{\"k\":\"\"}\n{\"k\":[1]}\n" >missing &&
	tel-batch --prefix "p/!{partitionKeyFromQuery:k}/" -d s5 <missing >m5 2>err &&
	$CHECK m5 missing s5 >summary &&
	test_grep "\"PartitionKeyError\": 4" summary &&
	test_grep "\"key\":\"errors/partitioning-failed/year=" m5 &&
	test_grep "^tel-batch: line 2: partition key \"k\" is missing" err &&
	test_grep "^tel-batch: line 3: partition key \"k\" is not a string" err &&
	test_grep "^tel-batch: line 4: partition key \"k\" is empty" err
'

test_expect_success 'a bad or missing time field is an error record' '
	printf "{\"t\":\"2026-11-22T10:00:00Z\"}\n{\"t\":\"yesterday\"}\n{\"u\":1}\n{\"t\":1795370400000}\n" >times &&
	tel-batch --time-field t -d s6 <times >m6 2>err &&
	$CHECK m6 times s6 >summary &&
	test_grep "\"InvalidTimeField\": 2" summary &&
	test_grep "hour=10/" m6 &&
	test_grep "hour=18/" m6 &&
	test_grep "line 2: time field \"t\" not an RFC 3339 timestamp" err &&
	test_grep "line 3: time field \"t\" is missing" err
'

test_expect_success '--time-format: "YYYY-MM-DD HH:MM:SS" times, to the hour; the rest named' '
	cat >trucks <<-\EOF &&
	{"truck_id":"TRUCK_001","timestamp":"2025-01-15 14:30:25"}
	{"truck_id":"TRUCK_002","timestamp":"2025-01-15 15:00:00"}
	{"truck_id":"TRUCK_003","timestamp":"2025-02-30 10:00:00"}
	{"truck_id":"TRUCK_004","timestamp":"2025-01-15T14:30:25Z"}
	{"truck_id":"TRUCK_005","timestamp":1736951425000}
	{"truck_id":"TRUCK_006","timestamp":"2025-12-31 23:59:59"}
	EOF
	tel-batch -d s7 --time-field timestamp --time-format "%Y-%m-%d %H:%M:%S" \
	    --prefix "sensor_data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/" \
	    <trucks >m7 2>err &&
	$CHECK m7 trucks s7 >summary &&
	test_grep "\"InvalidTimeField\": 3" summary &&
	grep -o "\"key\":\"sensor_data/[^\"]*/hour=[0-9]*/" m7 | sort >keys &&
	cat >want <<-\EOF &&
	"key":"sensor_data/year=2025/month=01/day=15/hour=14/
	"key":"sensor_data/year=2025/month=01/day=15/hour=15/
	"key":"sensor_data/year=2025/month=12/day=31/hour=23/
	EOF
	test_cmp want keys &&
	test_grep "\"first\":\"2025-01-15T14:30:25.000Z\"" m7 &&
	test_grep "line 3: time field \"timestamp\" is no real time" err &&
	test_grep "line 4: time field \"timestamp\" does not match --time-format" err &&
	test_grep "line 5: time field \"timestamp\" is not a string" err &&
	test_expect_code 2 tel-batch -d s8 --time-format "%Y" </dev/null 2>err &&
	test_grep "needs --time-field" err
'

test_done
