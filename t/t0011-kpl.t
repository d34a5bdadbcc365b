#!/bin/sh
test_description='lib/kpl.c de-aggregates what aws-kinesis-agg aggregates, and refuses corruption'
. "$(dirname "$0")/test-lib.sh"

helper=$TEL_BUILD/t/helper-kpl
test -x "$helper" || error "$helper is not built: run make test-bins"
test -x "$TEL_BUILD/t/unit-kpl" || error "unit-kpl is not built: run make test-bins"

test_expect_success 'the unit tests of lib/kpl.c (hand-built aggregates)' '
	"$TEL_BUILD/t/unit-kpl" >out &&
	test_grep "^1\.\." out &&
	test_grep -v "^not ok" out
'

if ! "$PYTHON" -c 'import aws_kinesis_agg.aggregator' 2>/dev/null; then
	test_skip_or_fail "no $PYTHON with aws-kinesis-agg (t/peers/setup.sh venv makes it)"
fi

# oracle ARGS...: t/py/kpl_oracle.py, aws-kinesis-agg's side.
oracle() {
	"$PYTHON" "$TEST_DIRECTORY/py/kpl_oracle.py" "$@"
}

# roundtrip FILE [NAME]: the records of FILE (NDJSON, any spelling),
# aggregated by aws-kinesis-agg (into agg, kept as NAME.agg too), come
# back out of helper-kpl as they went in.
roundtrip() {
	oracle canon "$1" >want &&
	oracle agg want agg &&
	"$helper" agg >got &&
	test_cmp want got &&
	if test $# = 2; then cp agg "$2.agg"; fi
}

# deagg_agrees DIR: AWS's deaggregator reads DIR/agg as we do.  Only for
# a set where every record or none has an explicit hash key: it gives a
# record without one the first of the table if there is a table.
deagg_agrees() {
	oracle deagg "$1/agg" >"$1/theirs" &&
	test_cmp "$1/records" "$1/theirs"
}

test_expect_success 'one record' '
	echo "{\"pk\":\"truck-1\",\"ehk\":null,\"data_b64\":\"eyJ2IjoxfQ==\"}" >in &&
	roundtrip in
'

test_expect_success 'one record, empty data' '
	echo "{\"pk\":\"k\",\"ehk\":null,\"data_b64\":\"\"}" >in &&
	roundtrip in && test_grep "\"data_b64\":\"\"" got
'

test_expect_success 'binary data: every byte value, the magic itself' '
	"$PYTHON" -c "
import base64, json
for d in (bytes(range(256)), bytes(range(255, -1, -1)),
          b\"\\xf3\\x89\\x9a\\xc2\" + bytes(40), b\"\\0\", b\"\\n\\r\"):
    print(json.dumps({\"pk\": \"bin\", \"ehk\": None,
                      \"data_b64\": base64.b64encode(d).decode()}))
" >in &&
	roundtrip in && test_line_count = 5 got
'

test_expect_success 'unicode and control characters in the keys' '
	"$PYTHON" -c "
import base64, json
keys = [\"caf\\u00e9\", \"\\u4e2d\\u6587\", \"\\U0001f69a truck\", \"tab\\there\",
        \"nul\\u0000byte\", \"quote\\\"back\\\\slash\", \"del\\u007f\", \"x\" * 256]
for i, k in enumerate(keys * 2):
    print(json.dumps({\"pk\": k, \"ehk\": None if i % 3 else k,
                      \"data_b64\": base64.b64encode(b\"%d\" % i).decode()}))
" >in &&
	roundtrip in unicode && test_line_count = 16 got &&
	test_grep "\"pk\":\"caf.*\"ehk\":\"caf" got
'

test_expect_success 'explicit hash keys on every record, 0 to 2^128-1' '
	"$PYTHON" -c "
import base64, json
for i, e in enumerate([0, 1, 2**64, 2**127, 2**128 - 1] * 3):
    print(json.dumps({\"pk\": \"p%d\" % (i % 4), \"ehk\": str(e),
                      \"data_b64\": base64.b64encode(b\"r%d\" % i).decode()}))
" >in &&
	roundtrip in ehk && test_line_count = 15 got &&
	oracle deagg agg >theirs && test_cmp want theirs
'

test_expect_success '500 records, one partition key' '
	"$PYTHON" -c "
import base64, json
for i in range(500):
    print(json.dumps({\"pk\": \"truck-42\", \"ehk\": None, \"data_b64\":
        base64.b64encode(json.dumps({\"seq\": i}).encode()).decode()}))
" >in &&
	roundtrip in && test_line_count = 500 got &&
	oracle deagg agg >theirs && test_cmp want theirs
'

# Random record sets: 1, a few or hundreds of records, keys ASCII,
# unicode or with control characters, shared or not, explicit hash keys
# on none, all or some; data empty, binary, text, JSON, up to 70 KB.
test_expect_success '60 random record sets, aggregated by aws-kinesis-agg' '
	seed=1 && sets=0 && theirs=0 &&
	while test $seed -le 60; do
		mkdir -p set.$seed &&
		oracle gen $seed set.$seed &&
		"$helper" set.$seed/agg >set.$seed/got &&
		test_cmp set.$seed/records set.$seed/got || return 1
		if ! grep -q "\"ehk\":null" set.$seed/records ||
		    ! grep -q "\"ehk\":\"" set.$seed/records; then
			deagg_agrees set.$seed || return 1
			theirs=$((theirs + 1))
		fi
		sets=$((sets + 1)) && seed=$((seed + 1))
	done &&
	test $sets = 60 && test $theirs -ge 20 &&
	cat set.*/records | wc -l >total && test $(cat total) -ge 2000
'

test_expect_success 'the comparison itself fails on another record set' '
	test_must_fail test_cmp set.1/records set.2/got >/dev/null
'

# refused KIND REASON: the aggregate set.5/agg with one corruption KIND
# is refused with REASON; AWS's own deaggregator does not take it for an
# aggregate either (it passes it on as a plain record).
refused() {
	test_expect_success "a corrupt aggregate ($1) is refused: $2" "
		oracle corrupt $1 set.5/agg bad &&
		test_must_fail \"\$helper\" bad >out 2>err &&
		test_must_be_empty out &&
		test_grep '$2' err &&
		test_must_fail oracle deagg bad >theirs 2>/dev/null &&
		test_must_be_empty theirs
	"
}
refused flip-body 'MD5 mismatch'
refused flip-md5 'MD5 mismatch'
refused truncate 'MD5 mismatch'
refused magic 'no KPL magic'

test_expect_success 'cut to the magic and 15 bytes: too short' '
	head -c 19 set.5/agg >bad &&
	test_must_fail "$helper" bad 2>err &&
	test_grep "19 bytes, too short" err
'

# The message mutated (bytes flipped, set, inserted, deleted, cut,
# repeated) and the MD5 made right: protobuf and we agree on every one,
# records and all, except where lib/kpl.c is stricter on purpose.
test_expect_success 'mutated messages with a right MD5: we agree with protobuf' '
	oracle differ 1 1500 unicode.agg "$helper" >out1 &&
	oracle differ 2 1500 ehk.agg "$helper" >out2 &&
	echo "{\"pk\":\"a\",\"ehk\":null,\"data_b64\":\"eA==\"}" >small &&
	echo "{\"pk\":\"b\",\"ehk\":\"7\",\"data_b64\":\"\"}" >>small &&
	oracle agg small small.agg &&
	oracle differ 3 2000 small.agg "$helper" >out3 &&
	cat out1 out2 out3 &&
	test_grep "mutations agree" out3 &&
	sed -n "s/.*both accept \([0-9]*\).*both refuse \([0-9]*\).*/\1 \2/p" \
	    out1 out2 out3 >counts &&
	awk "{ a += \$1; r += \$2 } END { exit !(a >= 100 && r >= 1000) }" counts
'

test_done
