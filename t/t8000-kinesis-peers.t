#!/bin/sh
test_description='the Kinesis peers: kinesalite, its restart, the fault proxy; our SigV4 against botocore'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-kinesis.sh"

# kinesalite checks no signature, so the signing is proven here: for a
# fixed clock, credentials and body, the headers lib/kinesis.c signs a
# call with must be the ones botocore signs the same call with.

# sign_both NAME TIME AKID SECRET TOKEN|- REGION ENDPOINT OP BODYFILE:
# NAME.ours and NAME.boto, the signed headers, in one form.
sign=$TEL_BUILD/t/helper-kinesis-sign
sign_both() {
	n=$1 && shift &&
	"$sign" "$@" >"$n.ours.raw" &&
	sed "s/, /,/g" "$n.ours.raw" | sort >"$n.ours" &&
	if test "$4" = -; then tok=; else tok="--token=$4"; fi &&
	"$PYTHON" "$TEST_DIRECTORY/py/kinesis_sign.py" --time "$1" --akid "$2" \
	    --secret "$3" ${tok:+"$tok"} --region "$5" --endpoint "$6" \
	    --target "Kinesis_20131202.$7" --body-file "$8" >"$n.boto.raw" &&
	grep -v "^host: " "$n.boto.raw" | sed "s/, /,/g" | sort >"$n.boto"
}

test_expect_success 'setup: bodies' '
	printf "{\"StreamName\":\"fleet\",\"Limit\":5}" >list.json &&
	: >empty.json &&
	printf "{\"StreamName\":\"s\",\"Records\":[{\"Data\":\"eyJ0IjoxfQ==\",\"PartitionKey\":\"truck-\\\\u00e9\"}]}" >put.json &&
	tel-gen -n 300 -s 3 | "$PYTHON" -c "
import base64, json, sys
recs = [{\"Data\": base64.b64encode(l.rstrip(b\"\\n\")).decode(), \"PartitionKey\": str(i)}
        for i, l in enumerate(sys.stdin.buffer)]
sys.stdout.write(json.dumps({\"StreamName\": \"fleet\", \"Records\": recs}))
" >big.json &&
	test $(wc -c <big.json) -gt 100000
'

test_kinesis_private

test_expect_success KINESIS 'SigV4: ours is botocore'\''s, byte for byte, for every case' '
	i=0 &&
	while read -r t akid secret token region endpoint op body; do
		i=$((i + 1)) &&
		sign_both case$i "$t" "$akid" "$secret" "$token" "$region" \
		    "$endpoint" "$op" "$body" &&
		test_grep "^authorization: AWS4-HMAC-SHA256 Credential=$akid/" case$i.ours &&
		test_cmp case$i.boto case$i.ours || return 1
	done <<-\CASES &&
	1765000000 AKIDEXAMPLE wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY - us-east-1 http://127.0.0.1:4567 ListShards list.json
	1765000000 AKIDEXAMPLE wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY SESSIONTOKEN/with+odd=chars eu-west-1 https://kinesis.eu-west-1.amazonaws.com PutRecords put.json
	0 AKID2 secret2 - ap-southeast-2 http://localhost:19999 GetRecords empty.json
	2000000000 AKIDEXAMPLE wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY tok us-west-2 https://vpce-1.kinesis.us-west-2.vpce.amazonaws.com:8443 PutRecords big.json
	1765000001 AKIDEXAMPLE wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY - us-east-1 http://127.0.0.1:4567 ListShards list.json
	CASES
	test $i = 5 &&
	! test_cmp case1.ours case5.ours >/dev/null
'

test_expect_success KINESIS 'SigV4: a changed body or secret changes the signature' '
	printf "{\"StreamName\":\"fleet\",\"Limit\":6}" >list2.json &&
	sign_both x1 1765000000 AKID S - us-east-1 http://127.0.0.1:4567 ListShards list.json &&
	sign_both x2 1765000000 AKID S - us-east-1 http://127.0.0.1:4567 ListShards list2.json &&
	sign_both x3 1765000000 AKID T - us-east-1 http://127.0.0.1:4567 ListShards list.json &&
	! test_cmp x1.ours x2.ours >/dev/null &&
	! test_cmp x1.ours x3.ours >/dev/null &&
	test_cmp x2.boto x2.ours && test_cmp x3.boto x3.ours
'


test_expect_success KINESIS 'kinesalite: a stream made and filled by boto3' '
	kinesis_create fleet 2 &&
	kinesispy describe fleet >desc &&
	test_grep "\"status\": *\"ACTIVE\"" desc &&
	seq 1 200 | sed "s/.*/{\"n\":&}/" >in &&
	kinesis_put fleet <in &&
	test "$(kinesis_count fleet)" = 200 &&
	kinesis_data fleet | sort >got && sort in >want && test_cmp want got
'

test_expect_success KINESIS 'kinesalite: records survive a kill -9 and restart' '
	pid=$(kinesis_pid) && kill -9 "$pid" &&
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done &&
	test_must_fail kinesispy --attempts 1 --timeout 2 count fleet 2>/dev/null &&
	kinesis_restart &&
	kinesis_data fleet | sort >got2 && test_cmp want got2
'

test_expect_success KINESIS 'kinesalite: split and merge, parents before children' '
	kinesis_create reshard 1 &&
	seq 1 50 | sed "s/.*/{\"a\":&}/" | kinesis_put reshard &&
	kinesis_shards reshard >s0 && test_line_count = 1 s0 &&
	kinesispy split reshard "$(cut -f1 s0)" >kids &&
	test_line_count = 2 kids &&
	seq 51 100 | sed "s/.*/{\"a\":&}/" | kinesis_put reshard &&
	kinesispy merge reshard $(cat kids) >child &&
	seq 101 150 | sed "s/.*/{\"a\":&}/" | kinesis_put reshard &&
	kinesis_shards reshard >s1 && test_line_count = 4 s1 &&
	test "$(grep -c "	open	" s1)" = 1 &&
	kinesis_data reshard >all && test_line_count = 150 all &&
	head -n 50 all >first && seq 1 50 | sed "s/.*/{\"a\":&}/" >want1 &&
	test_cmp want1 first &&
	tail -n 50 all | sort >last &&
	seq 101 150 | sed "s/.*/{\"a\":&}/" | sort >want3 && test_cmp want3 last
'

test_kinesis_proxy --throttle-share 0.3 --error-share 0.2 --seed 7

test_expect_success KINESIS 'proxy: throttles and fails calls, forwards no failed record' '
	kinesis_create proxied 2 &&
	seq 1 2000 | sed "s/.*/{\"p\":&}/" >pin &&
	kinesispy --endpoint "$KINESIS_PROXY_ENDPOINT" put --stats proxied <pin >stats &&
	kinesis_proxy_stats >pstats &&
	"$PYTHON" -c "
import json, sys
s = json.load(open(\"pstats\"))
assert s[\"throttled_records\"] > 0, s
assert s[\"errors\"] + s[\"throttled_calls\"] > 0, s
assert s[\"forwarded\"] == 2000, s
" &&
	kinesis_data proxied | sort >pgot && sort pin >pwant && test_cmp pwant pgot
'

test_done
