#!/bin/sh
test_description='tel-gen --schema truck: fields, ranges, health status'
. "$(dirname "$0")/test-lib.sh"

START_MS=1795370400000
CHECK="$PYTHON $TEL_SRC/t/py/check_gen.py"

test_expect_success 'the checker catches a wrong health status' '
	tel-gen --schema truck -n 500 -s 4 >good &&
	$CHECK truck <good >/dev/null &&
	sed "3s/\"health_status\":\"[A-Z]*\"/\"health_status\":\"BROKEN\"/" good >bad &&
	test_must_fail $CHECK truck <bad >/dev/null 2>err &&
	test_grep "health_status BROKEN" err
'

test_expect_success '100,000 readings: fields, ranges, status from the table' '
	tel-gen --schema truck -n 100000 -s 9 --start $START_MS >trucks &&
	$CHECK truck --start $START_MS <trucks >summary &&
	cat summary
'

test_expect_success 'all three statuses occur, NORMAL most' '
	"$PYTHON" -c "
import json
s = json.load(open(\"summary\"))[\"status\"]
assert set(s) == {\"NORMAL\", \"WARNING\", \"URGENT\"}, s
assert s[\"NORMAL\"] > s[\"WARNING\"] and s[\"NORMAL\"] > s[\"URGENT\"], s
"
'

test_expect_success '--trucks sets the fleet size; trucks report in turn' '
	tel-gen --schema truck --trucks 7 -n 70 -s 1 >fleet &&
	cut -d"\"" -f4 fleet | sort | uniq -c >counts &&
	test_line_count = 7 counts &&
	awk "\$1 != 10 { exit 1 }" counts
'

test_done
