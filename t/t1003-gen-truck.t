#!/bin/sh
test_description='tel-gen --schema truck: the fleet pipeline record, anomalies, health status'
. "$(dirname "$0")/test-lib.sh"

START_MS=1795370400000
CHECK="$PYTHON $TEL_SRC/t/py/check_truck.py"

# summary KEY: a member of the checker's JSON summary (a Python expression).
summary() {
	"$PYTHON" -c "import json; d = json.load(open(\"summary\")); print($1)"
}

test_expect_success 'the checker accepts the generator and rejects other records' '
	tel-gen --schema truck -n 500 -s 4 >good &&
	$CHECK --trucks 50 <good >/dev/null &&
	sed "3s/\"health_status\":\"[A-Z]*\"/\"health_status\":\"BROKEN\"/" good >bad &&
	test_must_fail $CHECK <bad >/dev/null 2>err &&
	test_grep "health_status BROKEN" err &&
	sed "s/\"tire_pressure_fl\"/\"tire_pressure_fl_psi\"/" good >bad &&
	test_must_fail $CHECK <bad >/dev/null 2>err &&
	test_grep "fields \[.*tire_pressure_fl_psi" err &&
	sed "s/\(\"engine_temp\":[0-9.]*\),\(\"oil_pressure\":[0-9.]*\)/\2,\1/" good >bad &&
	test_must_fail $CHECK <bad >/dev/null 2>err &&
	test_grep "fields \[.*oil_pressure.*engine_temp" err &&
	sed "7s/\"engine_rpm\":\([0-9]*\)/\"engine_rpm\":\1.0/" good >bad &&
	test_must_fail $CHECK <bad >/dev/null 2>err &&
	test_grep "line 7: engine_rpm .* is not an integer" err &&
	sed "7s/\"speed\":\([0-9]*\)\.[0-9]/\"speed\":\1/" good >bad &&
	test_must_fail $CHECK <bad >/dev/null 2>err &&
	test_grep "line 7: speed .* not a number with 1 decimals" err &&
	sed "7s/\"latitude\":\([0-9]*\.[0-9]\{5\}\)[0-9]/\"latitude\":\1/" good >bad &&
	test_must_fail $CHECK <bad >/dev/null 2>err &&
	test_grep "line 7: latitude .* not a number with 6 decimals" err &&
	sed "7s/\(\"timestamp\":\"[0-9-]*\) /\1T/" good >bad &&
	test_must_fail $CHECK <bad >/dev/null 2>err &&
	test_grep "line 7: timestamp" err &&
	sed "7s/\"TRUCK_0/\"TRUCK_000/" good >bad &&
	test_must_fail $CHECK <bad >/dev/null 2>err &&
	test_grep "line 7: truck_id" err &&
	sed "7s/,\"speed\"/, \"speed\"/" good >bad &&
	test_must_fail $CHECK <bad >/dev/null 2>err &&
	test_grep "line 7: not compact" err
'

test_expect_success 'the checker catches incoherent trucks' '
	sed "60s/\"miles_since_maintenance\":[0-9]*/\"miles_since_maintenance\":1/" good >bad &&
	test_must_fail $CHECK <bad >/dev/null 2>err &&
	test_grep "line 60: TRUCK_010 miles" err &&
	sed "60s/\"fuel_level\":[0-9.]*/\"fuel_level\":100.0/" good >bad &&
	test_must_fail $CHECK <bad >/dev/null 2>err &&
	test_grep "line 60: TRUCK_010 fuel" err &&
	sed "60s/\"latitude\":[0-9]*/\"latitude\":48/" good >bad &&
	test_must_fail $CHECK <bad >/dev/null 2>err &&
	test_grep "line 60: TRUCK_010 moved" err &&
	sed "60s/\"engine_rpm\":[0-9]*/\"engine_rpm\":2100/" good >bad &&
	test_must_fail $CHECK <bad >/dev/null 2>err &&
	test_grep "line 60: engine_rpm 2100" err &&
	sed "60s/\"ambient_temp\":[0-9.-]*/\"ambient_temp\":49.9/" good >bad &&
	test_must_fail $CHECK <bad >/dev/null 2>err &&
	test_grep "line 60: TRUCK_010 ambient" err &&
	sed "60s/\"timestamp\":\"[0-9]*/\"timestamp\":\"2000/" good >bad &&
	test_must_fail $CHECK <bad >/dev/null 2>err &&
	test_grep "line 60: TRUCK_010 went back in time" err &&
	sed 60d good >bad &&
	test_must_fail $CHECK --trucks 50 <bad >/dev/null 2>err &&
	test_grep "spoke 49 lines after" err
'

test_expect_success 'the checker counts rule-breaking records, applying the health rule' '
	sed "1s/\"tire_pressure_rr\":[0-9.]*/\"tire_pressure_rr\":27.9/" good >bad &&
	test_must_fail $CHECK <bad >/dev/null 2>err &&
	test_grep "line 1: health_status [A-Z]*, readings say URGENT" err &&
	sed "1s/\"tire_pressure_rr\":[0-9.]*/\"tire_pressure_rr\":27.9/;
	    1s/\"health_status\":\"[A-Z]*\"/\"health_status\":\"URGENT\"/" good >bad &&
	$CHECK <good >summary && a=$(summary "d[\"broken\"]") &&
	$CHECK <bad >summary && b=$(summary "d[\"broken\"]") &&
	test $b = $((a + 1))
'

test_expect_success '-s 7, 20,000 records: all as defined, anomalies near the default 0.03' '
	tel-gen --schema truck -s 7 -n 20000 --start $START_MS >trucks &&
	$CHECK --trucks 50 --start $START_MS <trucks >summary &&
	cat summary &&
	test $(summary "0.015 <= d[\"broken_share\"] <= 0.05") = True &&
	test $(summary "sorted(d[\"broken_by_rule\"]) == [\"engine\", \"speed\", \"tire\"]") = True
'

test_expect_success 'anomalies last a while: runs of records, not single ones' '
	test $(summary "d[\"mean_run\"] >= 4") = True &&
	test $(summary "d[\"in_runs_of_2_or_more\"] >= 0.8") = True
'

test_expect_success '-s 7, 2,000 records: 90% or more inside the tyre and engine ranges' '
	tel-gen --schema truck -s 7 -n 2000 >short &&
	$CHECK <short >summary &&
	test $(summary "d[\"in_tire_engine_range_share\"] >= 0.9") = True
'

test_expect_success '--anomalies 0: no record breaks a rule' '
	tel-gen --schema truck -s 7 -n 100000 --trucks 200 --anomalies 0 >none &&
	$CHECK --trucks 200 <none >summary &&
	test $(summary "d[\"broken\"]") = 0 &&
	test $(summary "d[\"in_tire_engine_range_share\"]") = 1.0
'

test_expect_success '--anomalies 0.2 and 1: the share asked for' '
	tel-gen --schema truck -s 7 -n 20000 --anomalies 0.2 >fifth &&
	$CHECK <fifth >summary &&
	summary "d[\"broken_share\"]" &&
	test $(summary "0.16 <= d[\"broken_share\"] <= 0.24") = True &&
	test $(summary "len(d[\"broken_by_rule\"])") = 3 &&
	tel-gen --schema truck -s 7 -n 5000 --anomalies 1 >all &&
	$CHECK <all >summary &&
	test $(summary "d[\"broken\"]") = 5000
'

test_expect_success 'a long run converges on the rate' '
	tel-gen --schema truck -s 8 -n 300000 --trucks 1000 >long &&
	$CHECK --trucks 1000 <long >summary &&
	summary "d[\"broken_share\"]" &&
	test $(summary "0.026 <= d[\"broken_share\"] <= 0.034") = True
'

test_expect_success 'anomalies change only the records they break' '
	tel-gen --schema truck -s 7 -n 20000 --start $START_MS --anomalies 0 >clean &&
	"$PYTHON" - <<-\EOF
	import json
	changed = broken = 0
	for a, b in zip(open("trucks"), open("clean")):
	    e = json.loads(a)
	    tires = [e[k] for k in ("tire_pressure_fl", "tire_pressure_fr",
	                            "tire_pressure_rl", "tire_pressure_rr")]
	    bad = (any(not 28 <= p <= 35 for p in tires) or
	           not 70 <= e["engine_temp"] <= 120 or not 0 <= e["speed"] <= 120)
	    assert bad == (a != b), (a, b)
	    changed += a != b
	print(changed, "records differ")
	assert changed > 0
	EOF
'

test_expect_success 'all three statuses occur, NORMAL most' '
	$CHECK <trucks >summary &&
	"$PYTHON" -c "
import json
s = json.load(open(\"summary\"))[\"status\"]
assert set(s) == {\"NORMAL\", \"WARNING\", \"URGENT\"}, s
assert s[\"NORMAL\"] > s[\"WARNING\"] and s[\"NORMAL\"] > s[\"URGENT\"], s
"
'

test_expect_success '100,000 readings fall in the window before --start' '
	tel-gen --schema truck -n 100000 -s 9 --start $START_MS >window &&
	$CHECK --start $START_MS <window >/dev/null &&
	test_must_fail $CHECK --start $((START_MS - 2000)) <window >/dev/null
'

test_expect_success 'refuels and services happen, and only as the model has them' '
	tel-gen --schema truck -s 7 -n 40000 --trucks 500 >fleet &&
	$CHECK --trucks 500 <fleet >summary &&
	test $(summary "d[\"refuels\"] > 0 and d[\"maintenance_resets\"] > 0") = True
'

test_expect_success '--trucks sets the fleet size; trucks report in turn' '
	tel-gen --schema truck --trucks 7 -n 70 -s 1 >fleet &&
	cut -d"\"" -f4 fleet | sort | uniq -c >counts &&
	test_line_count = 7 counts &&
	awk "\$1 != 10 { exit 1 }" counts
'

test_expect_success 'ids have 3 digits, more only past 999 trucks' '
	tel-gen --schema truck --trucks 1000 -n 2000 -s 1 >big &&
	$CHECK --trucks 1000 <big >/dev/null &&
	cut -d"\"" -f4 big | sed -n "1p;9p;99p;999p;1000p" >ids &&
	printf "TRUCK_%s\n" 001 009 099 999 1000 >want &&
	test_cmp want ids
'

test_expect_success 'paced: stamped with the clock, in whole seconds' '
	before=$("$PYTHON" -c "import time; print(int(time.time()))") &&
	tel-gen --schema truck -r 1000 -n 1500 >paced &&
	after=$("$PYTHON" -c "import time; print(int(time.time()))") &&
	$CHECK --trucks 50 --start $(((after + 1) * 1000)) <paced >/dev/null &&
	first=$(head -1 paced | cut -d"\"" -f8) &&
	first=$("$PYTHON" -c "import calendar, time; print(calendar.timegm(time.strptime(\"$first\", \"%Y-%m-%d %H:%M:%S\")))") &&
	test $first -ge $before && test $first -le $after
'

test_done
