#!/bin/sh
test_description='tel-batch: bad input becomes error records, nothing is dropped'
. "$(dirname "$0")/test-lib.sh"

CHECK="$PYTHON $TEL_SRC/t/py/check_batch.py"

test_expect_success 'each kind of bad line is named and kept as an error record' '
	{
		echo "{\"ok\":1}" &&
		echo "{\"broken\":" &&
		printf "{\"bad\":\"\377\"}\n" &&
		echo "[1,2,3]" &&
		echo "\"just a string\"" &&
		head -c 3000 /dev/zero | tr "\0" "x" && echo &&
		printf "\0\1\2binary\n" &&
		echo "{\"ok\":2}"
	} >in &&
	tel-batch --max-line 1K -d s <in >m 2>err &&
	$CHECK m in s >summary &&
	cat summary &&
	test_grep "\"error_records\": 6" summary &&
	test_grep "\"InvalidJSON\": 2" summary &&
	test_grep "\"InvalidUTF8\": 1" summary &&
	test_grep "\"NotAnObject\": 2" summary &&
	test_grep "\"LineTooLong\": 1" summary &&
	test_grep "^tel-batch: line 2: invalid JSON: unexpected end of input at byte 10" err &&
	test_grep "^tel-batch: line 3: invalid UTF-8" err &&
	test_grep "^tel-batch: line 4: a record must be a JSON object" err &&
	test_grep "^tel-batch: line 6: line of 3000 bytes is longer than --max-line 1024" err &&
	test_grep "\"key\":\"errors/processing-failed/year=" m
'

test_expect_success '-q: the same error records, nothing said about them' '
	tel-batch -q --max-line 1K -d sq <in >mq 2>errq &&
	test_must_be_empty errq &&
	$CHECK mq in sq >summary &&
	test_grep "\"error_records\": 6" summary
'

test_expect_success 'error records are in Firehose'"'"'s shape' '
	"$PYTHON" - <<-\EOF
	import gzip, json
	for m in map(json.loads, open("m")):
	    if m.get("error"):
	        for r in gzip.open(m["file"]):
	            e = json.loads(r)
	            assert set(e) >= {"errorCode", "errorMessage", "lineNumber",
	                              "arrivalTimestamp", "rawData"}, e
	            assert isinstance(e["arrivalTimestamp"], int)
	EOF
'

test_expect_success 'tel-gen --corrupt: every line is accounted for' '
	tel-gen -n 50000 -s 8 --corrupt 0.01 >c &&
	tel-batch -v -d s2 <c >m2 2>err &&
	$CHECK m2 c s2 >summary &&
	errs=$(grep -c "^tel-batch: line" err) &&
	test_grep "\"error_records\": $errs" summary &&
	test $errs -ge 300
'

test_expect_success 'an overlong line far past the limit costs no memory' '
	{ echo "{\"a\":1}"; head -c 50000000 /dev/zero | tr "\0" "y"; echo; echo "{\"a\":2}"; } >huge &&
	cat >rss.py <<-\EOF &&
	import resource, subprocess, sys
	with open("huge", "rb") as f, open("m3", "wb") as out:
	    subprocess.run(sys.argv[1:], stdin=f, stdout=out, check=True)
	print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
	EOF
	kb=$("$PYTHON" rss.py tel-batch -d s3) &&
	echo "max RSS $kb KiB" &&
	test $kb -lt 32768 &&
	$CHECK m3 huge s3 >summary &&
	test_grep "\"LineTooLong\": 1" summary
'

test_done
