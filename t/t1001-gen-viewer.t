#!/bin/sh
test_description='tel-gen viewer schema, session invariants and distributions'
. "$(dirname "$0")/test-lib.sh"

START_MS=1795370400000	# 2026-11-22T18:00:00Z
CHECK="$PYTHON $TEL_SRC/t/py/check_gen.py"

test_expect_success 'the checker itself rejects broken streams' '
	tel-gen -n 2000 -s 5 --start $START_MS >good &&
	$CHECK viewer --start $START_MS <good >/dev/null &&
	sed "5s/\"quality\":\"[A-Z]*\"/\"quality\":\"1080p\"/" good >q &&
	test_must_fail $CHECK viewer <q >/dev/null 2>err &&
	test_grep "quality 1080p" err &&
	sed "7s/\"position_seconds\":[0-9]*/\"position_seconds\":99999/" good >p &&
	test_must_fail $CHECK viewer <p >/dev/null &&
	sed "1d" good >nostart &&
	test_must_fail $CHECK viewer <nostart >/dev/null &&
	sed "9s/\"timezone\":\"[^\"]*\"/\"timezone\":\"Asia\/Tokyo\"/" good >tz &&
	test_must_fail $CHECK viewer <tz >/dev/null &&
	sed "3s/,\"cdn\":\"[a-z]*\"//" good >short &&
	test_must_fail $CHECK viewer <short >/dev/null &&
	test_must_fail $CHECK viewer --start $((START_MS - 1000)) <good >/dev/null
'

test_expect_success '200,000 events: 24 typed fields, sessions consistent' '
	tel-gen -n 200000 -s 11 --start $START_MS >events &&
	$CHECK viewer --start $START_MS <events >summary &&
	cat summary
'

# Distributions: shares the tables promise, with room for chance.
share() {
	"$PYTHON" -c "import json; d = json.load(open(\"summary\")); print($1)"
}

test_expect_success 'device, country and event mixes are plausible' '
	test $(share "d[\"device_type\"][\"smart_tv\"] > 0.2") = True &&
	test $(share "d[\"device_type\"][\"game_console\"] < 0.12") = True &&
	test $(share "d[\"country\"][\"US\"] > 0.25") = True &&
	test $(share "max(d[\"country\"], key=d[\"country\"].get)") = US &&
	test $(share "d[\"event_type\"][\"heartbeat\"] > 0.6") = True &&
	test $(share "d[\"event_type\"][\"start\"] >= d[\"event_type\"][\"stop\"]") = True &&
	for t in start heartbeat pause resume seek buffer_start buffer_end \
	    quality_change error stop complete; do
		test $(share "d[\"event_type\"].get(\"$t\", 0) > 0") = True ||
		return 1
	done
'

test_expect_success 'quality labels are the ladder SD, HD, FHD, UHD, all in use' '
	test $(share "\",\".join(sorted(d[\"quality\"]))") = FHD,HD,SD,UHD
'

test_expect_success 'title popularity is skewed, sessions are many' '
	test $(share "d[\"top1pct_title_share\"] > 0.15") = True &&
	test $(share "d[\"sessions\"] > 2000") = True &&
	test $(share "d[\"transitions\"] > 150000") = True
'

test_expect_success 'cardinality knobs bound customers and titles' '
	tel-gen -n 20000 -s 2 --customers 10 --titles 3 >small &&
	$CHECK viewer <small >/dev/null &&
	test $(grep -o "\"customer_id\":\"[^\"]*\"" small | sort -u | wc -l) -le 10 &&
	test $(grep -o "\"title_id\":\"[^\"]*\"" small | sort -u | wc -l) -le 3
'

test_expect_success 'a customer keeps one home across sessions' '
	grep -o "\"customer_id\":\"[^\"]*\".*\"timezone\":\"[^\"]*\"" events |
	sed "s/\"session_id\":\"[^\"]*\",\"title_id\":\"[^\"]*\",\"title_duration_seconds\":[0-9]*,\"device_type\":\"[^\"]*\",\"device_os\":\"[^\"]*\",\"app_version\":\"[^\"]*\",\"connection\":\"[^\"]*\",\"cdn\":\"[^\"]*\",//" |
	sort -u >homes &&
	cut -d, -f1 homes | uniq -d >moved &&
	test_must_be_empty moved
'

test_done
