#!/bin/sh
test_description='every key is checked as finally expanded, whatever made it: a crafted header, partition values side by side, the object name and the random strings'
. "$(dirname "$0")/test-lib.sh"

HEADER="$PYTHON $TEL_SRC/t/py/gzip_header.py"

test_expect_success 'a crafted open/ file whose header names "../../x" is not salvaged out of the spool' '
	mkdir -p sp/open &&
	echo "{\"a\":1}" | $HEADER old sp/open/0123456789abcdef.gz \
		../../x/escaped.gz 1795392838072 &&
	test_expect_code 1 tel-batch -d sp </dev/null >m 2>err &&
	test_grep "header names a .* or .* key segment" err &&
	test_grep "cannot salvage" err &&
	! test -e x && ! test -e ../x && test -z "$(find sp/ready -type f)" &&
	test -e sp/open/0123456789abcdef.gz
'

test_expect_success 'an absolute key in a header is refused the same way' '
	mkdir -p sp2/open &&
	echo "{\"a\":1}" | $HEADER old sp2/open/0123456789abcdef.gz \
		/tmp/escaped.gz 1795392838072 &&
	test_expect_code 1 tel-batch -d sp2 </dev/null >m 2>err &&
	test_grep "header names a key that starts with ./." err
'

for p in "--prefix !{timestamp:..}/x/" "--prefix !{timestamp:/}x/" \
    "--prefix a/!{timestamp:.}/" "--error-prefix e/!{timestamp:..}/"; do
	test_expect_success "a timestamp format that makes a bad segment: $p: exit 2" "
		test_expect_code 2 tel-batch -d sp3 $p </dev/null >out 2>err &&
		test_must_be_empty out &&
		test_grep 'tel-batch: --.*prefix .*: .*key' err
	"
done

test_expect_success 'a prefix that is not UTF-8 (S3 keys are): exit 2' '
	test_expect_code 2 tel-batch -d sp3 --prefix "$(printf "x\\277/")" \
		</dev/null >out 2>err &&
	test_must_be_empty out && test_grep "a key that is not UTF-8" err
'

test_expect_success 'a header whose key is not UTF-8 is left in place, not sealed' '
	mkdir -p sp8/open &&
	echo "{\"a\":1}" | $HEADER old sp8/open/0123456789abcdef.gz \
		"$(printf "k\\351/x.gz")" 1795392838072 &&
	test_expect_code 1 tel-batch -d sp8 </dev/null >m 2>err &&
	test_grep "cannot salvage (not a tel-batch file); left in place" err &&
	test -e sp8/open/0123456789abcdef.gz && test_must_be_empty m
'

# "File name too long" once made every run fail on the same record.
test_expect_success 'a value that fills the last segment with the object name: an error record, exit 0' '
	long=$(printf "%0198d" 0) &&
	printf "{\"f\":\"%s\"}\n{\"f\":\"short\"}\n" "$long" >in &&
	tel-batch -d sp4 --name acme-telemetry-prod \
		--prefix "k=!{partitionKeyFromQuery:f}" <in >m 2>err &&
	test_grep "line 1: .*too long for a file name" err &&
	test_grep "\"key\":\"k=shortacme-telemetry-prod-" m &&
	tel-batch -d sp4 </dev/null >m2 &&
	test -z "$(ls sp4/open)"
'

test_expect_success 'a random string counts as the 11 bytes it becomes' '
	seg=$(printf "%0195d" 0) &&
	echo "{\"a\":1}" >one &&
	tel-batch -d sp5 --prefix "$seg!{firehose:random-string}/" <one >m 2>err &&
	test_grep "line 1: .*too long for a file name" err &&
	test_grep "\"key\":\"errors/" m
'

test_done
