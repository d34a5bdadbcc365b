#!/bin/sh
test_description='tel-check agrees with Python jsonschema (Draft 2020-12) on every verdict'
. "$(dirname "$0")/test-lib.sh"

"$PYTHON" -c "import jsonschema" 2>/dev/null ||
	test_skip_or_fail "no Python venv with jsonschema ($PYTHON): run t/peers/setup.sh venv"

ORACLE="$PYTHON $TEL_SRC/t/py/check_schema.py $TEL_BUILD/bin/tel-check"

# 10,000 instances per hand-written schema, each keyword in at least one,
# plus real records mutated: 110,000 verdicts in all.
for s in booleans false numbers object refs strings types values; do
	test_expect_success "schema $s: 10,000 instances, the same verdicts" "
		$ORACLE \"\$TEL_SRC/t/schemas/$s.json\" 10000 7 >summary &&
		cat summary &&
		test_grep '\"differences\": 0' summary
	"
done

test_expect_success 'truck records, mutated: 20,000, the same verdicts; both kinds seen' '
	tel-gen --schema truck -n 20000 -s 11 >trucks &&
	$ORACLE "$TEL_SRC/contrib/schemas/truck.json" 20000 11 trucks >summary &&
	cat summary &&
	test_grep "\"differences\": 0" summary &&
	"$PYTHON" -c "import json; s = json.load(open(\"summary\")); assert s[\"valid\"] > 1000 and s[\"invalid\"] > 1000, s"
'

test_expect_success 'viewer records, mutated: 10,000, the same verdicts' '
	tel-gen -n 10000 -s 12 >viewers &&
	$ORACLE "$TEL_SRC/contrib/schemas/viewer.json" 10000 12 viewers >summary &&
	cat summary &&
	test_grep "\"differences\": 0" summary
'

test_done
