#!/bin/sh
test_description='tel-gen --corrupt: malformed lines at the asked fraction'
. "$(dirname "$0")/test-lib.sh"

CHECK="$PYTHON $TEL_SRC/t/py/check_gen.py"

unparsable() {
	"$PYTHON" -c "import json; print(json.load(open(\"$1\"))[\"unparsable\"])"
}

test_expect_success '--corrupt 0.05: about 5% of lines are rejected' '
	tel-gen -n 40000 -s 21 --corrupt 0.05 -v >out 2>err &&
	test_line_count = 40000 out &&
	$CHECK viewer --corrupt <out >summary &&
	bad=$(unparsable summary) &&
	echo "unparsable: $bad" &&
	test $bad -ge 1700 && test $bad -le 2300 &&
	test_grep "\"corrupt\":$bad," err
'

test_expect_success 'every kind appears: truncated, bad UTF-8, missing value, garbage' '
	"$PYTHON" - <<-\EOF
	import json
	kinds = {"truncated": 0, "utf8": 0, "missing": 0, "garbage": 0}
	for raw in open("out", "rb"):
	    raw = raw.rstrip(b"\n")
	    try:
	        json.loads(raw.decode("utf-8"))
	        continue
	    except ValueError:
	        pass
	    if raw[:1] >= b"\x80":
	        kinds["garbage"] += 1
	    elif b"\xff" in raw or b"\xc0\xaf" in raw or b"\xed\xa0\x80" in raw:
	        kinds["utf8"] += 1
	    elif b"\":," in raw or b"\":}" in raw:
	        kinds["missing"] += 1
	    elif not raw.endswith(b"}"):
	        kinds["truncated"] += 1
	print(kinds)
	assert all(v > 200 for v in kinds.values()), kinds
	EOF
'

test_expect_success '--corrupt 1 spoils every line, --corrupt 0 none' '
	tel-gen -n 2000 --corrupt 1 >all &&
	$CHECK viewer --corrupt <all >summary &&
	test $(unparsable summary) = 2000 &&
	tel-gen -n 2000 --corrupt 0 >none &&
	$CHECK viewer <none >/dev/null
'

test_expect_success 'truck lines can be corrupted too' '
	tel-gen --schema truck -n 4000 --corrupt 0.1 >t &&
	"$PYTHON" "$TEL_SRC/t/py/check_truck.py" --corrupt <t >summary &&
	bad=$(unparsable summary) &&
	test $bad -ge 280 && test $bad -le 520
'

test_done
