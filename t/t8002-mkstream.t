#!/bin/sh
test_description='tel-mkstream against kinesalite, boto3 (kinesis.py) as the oracle: created, exists, differs, error; retention; several streams; bad usage; no server; no secrets'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-kinesis.sh"

test_kinesis
K=$KINESIS_ENDPOINT

# fields FILE KEY...: for each JSON line of FILE, its members KEY...,
# separated by spaces (objects as compact JSON, a missing one as "-").
fields() {
	"$PYTHON" - "$@" <<-\EOF
	import json, sys
	for line in open(sys.argv[1]):
	    o = json.loads(line)
	    out = []
	    for k in sys.argv[2:]:
	        v = o.get(k, "-")
	        out.append(v if isinstance(v, str) else
	                   json.dumps(v, separators=(",", ":"), sort_keys=True))
	    print(" ".join(out))
	EOF
}

# oracle STREAM: what boto3 describes: "STATUS OPEN-SHARDS RETENTION".
oracle() {
	kinesispy describe "$1" >"$1.desc" &&
	"$PYTHON" -c "
import json, sys
d = json.load(open(sys.argv[1]))
print(d['status'], sum(1 for s in d['shards'] if s['open']), d['retention'])
" "$1.desc"
}

# A loopback port nobody listens on.
closed_port() {
	"$PYTHON" -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])"
}

mk() {
	tel-mkstream --endpoint "$K" "$@"
}

test_expect_success 'a new stream of 3 shards: created, and boto3 sees it ACTIVE with 3 open shards' '
	s=$(test_stream) && echo "$s" >s3 &&
	mk -P 3 "$s" >out 2>err &&
	test_must_be_empty err &&
	test_line_count = 1 out &&
	echo "$s created PROVISIONED 3 24" >want &&
	fields out stream result mode shards retention_hours >got &&
	test_cmp want got &&
	test_grep "\"arn\":\"arn:aws:kinesis:[^\"]*:stream/$s\"" out &&
	echo "ACTIVE 3 24" >want &&
	oracle "$s" >got &&
	test_cmp want got
'

test_expect_success 'the same again: exists, exit 0, the stream unchanged' '
	s=$(cat s3) &&
	kinesispy describe "$s" >before &&
	mk -P 3 "$s" >out 2>err &&
	test_must_be_empty err &&
	echo "$s exists PROVISIONED 3 24 -" >want &&
	fields out stream result mode shards retention_hours error >got &&
	test_cmp want got &&
	kinesispy describe "$s" >after &&
	test_cmp before after &&
	mk -v -P 3 "$s" >out 2>err &&
	test_grep "^tel-mkstream: $s: exists as asked$" err &&
	test_grep "^{\"program\":\"tel-mkstream\",\"streams\":1,\"created\":0,\"exists\":1,\"differs\":0,\"errors\":0," err
'

test_expect_success 'another shard count: differs with the reason, exit 1, the stream unchanged' '
	s=$(cat s3) &&
	test_expect_code 1 mk -P 2 "$s" >out 2>err &&
	echo "$s differs 3 {\"mode\":\"PROVISIONED\",\"shards\":2}" >want &&
	echo "3 open shards, asked for 2" >>want &&
	fields out stream result shards asked >got &&
	fields out error >>got &&
	test_cmp want got &&
	echo "tel-mkstream: $s: 3 open shards, asked for 2" >want &&
	test_cmp want err &&
	echo "ACTIVE 3 24" >want &&
	oracle "$s" >got &&
	test_cmp want got &&
	test_expect_code 1 mk -q "$s" >out 2>err &&
	test_must_be_empty err &&
	test_grep "\"error\":\"3 open shards, asked for 1\"" out
'

test_expect_success '--retention 48: created in two calls, and boto3 sees 48 hours' '
	s=$(test_stream) && echo "$s" >s48 &&
	mk -vv --retention 48 "$s" >out 2>err &&
	echo "$s created 1 48" >want &&
	fields out stream result shards retention_hours >got &&
	test_cmp want got &&
	test_grep "CreateStream .*: HTTP 200" err &&
	test_grep "IncreaseStreamRetentionPeriod .*: HTTP 200" err &&
	echo "ACTIVE 1 48" >want &&
	oracle "$s" >got &&
	test_cmp want got
'

test_expect_success 'retention: compared only when asked, as hours or a duration' '
	s=$(cat s48) &&
	mk --retention 48 "$s" >out &&
	mk --retention 2d "$s" >>out &&
	mk "$s" >>out &&
	printf "exists 48\nexists 48\nexists 48\n" >want &&
	fields out result retention_hours >got &&
	test_cmp want got &&
	test_expect_code 1 mk --retention 1w "$s" >out 2>err &&
	echo "differs {\"mode\":\"PROVISIONED\",\"retention_hours\":168,\"shards\":1}" >want &&
	fields out result asked >got &&
	test_cmp want got &&
	echo "tel-mkstream: $s: retention 48 hours, asked for 168" >want &&
	test_cmp want err &&
	echo "ACTIVE 1 48" >want &&
	oracle "$s" >got &&
	test_cmp want got
'

test_expect_success 'every difference at once, each on its own line of stderr' '
	s=$(cat s48) &&
	test_expect_code 1 mk -P 4 --retention 72 "$s" >out 2>err &&
	test_grep "\"error\":\"1 open shard, asked for 4; retention 48 hours, asked for 72\"" out &&
	cat >want <<-EOF &&
	tel-mkstream: $s: 1 open shard, asked for 4
	tel-mkstream: $s: retention 48 hours, asked for 72
	EOF
	test_cmp want err
'

test_expect_success 'a stream boto3 made (and one still CREATING) is found, not made again' '
	a=$(test_stream) && b=$(test_stream) &&
	kinesis_create "$a" 2 &&
	kinesispy create --no-wait "$b" 2 &&
	mk -P 2 "$a" "$b" >out &&
	printf "%s exists 2\n%s exists 2\n" "$a" "$b" >want &&
	fields out stream result shards >got &&
	test_cmp want got &&
	echo "ACTIVE 2 24" >want &&
	oracle "$b" >got &&
	test_cmp want got
'

test_expect_success 'several streams in one call: a line each, in order, once each; exit 1 if one differs' '
	new=$(test_stream) && s3=$(cat s3) && s48=$(cat s48) &&
	test_expect_code 1 mk -P 3 -t "$new" "$s3" "$s48" "$new" "$s3" >out 2>err &&
	printf "%s created 3\n%s exists 3\n%s differs 1\n" "$new" "$s3" "$s48" >want &&
	fields out stream result shards >got &&
	test_cmp want got &&
	echo "tel-mkstream: $s48: 1 open shard, asked for 3" >want &&
	test_cmp want err &&
	echo "ACTIVE 3 24" >want &&
	oracle "$new" >got &&
	test_cmp want got &&
	mk -P 3 "$new" "$s3" >out &&
	test_line_count = 2 out
'

test_expect_success 'bad names and values: usage on stderr, exit 2, nothing made' '
	s=$(test_stream) &&
	for args in "" "-P 0 $s" "-P 100001 $s" "-P x $s" \
	    "--retention 23 $s" "--retention 8761 $s" "--retention 0 $s" \
	    "--retention 36h30m $s" "--retention 90m $s" \
	    "--on-demand -P 2 $s" "--wait 0 $s" "--wait 500ms $s" \
	    "--wait 25h $s" "--region US_EAST $s" "--endpoint ftp://x $s" \
	    "--profile= $s" "-x $s" "bad/name" "a,b" "$s ok:no" \
	    "$(printf "%0129d" 0)" "-t"; do
		test_expect_code 2 mk $args >out 2>err &&
		test_must_be_empty out &&
		test_grep "^usage: tel-mkstream" err || return 1
	done &&
	test_expect_code 2 mk "" >out 2>err &&
	test_must_be_empty out &&
	test_must_fail kinesispy describe "$s" 2>err &&
	test_grep ResourceNotFound err &&
	mk -P 1 "$(printf "%0128d" 7)" >out &&
	test_grep "\"result\":\"created\"" out
'

test_expect_success '--on-demand on a provisioned stream: differs in mode, shards not compared' '
	s=$(cat s3) &&
	test_expect_code 1 mk --on-demand "$s" >out 2>err &&
	echo "differs PROVISIONED {\"mode\":\"ON_DEMAND\"}" >want &&
	echo "provisioned, asked for on-demand" >>want &&
	fields out result mode asked >got &&
	fields out error >>got &&
	test_cmp want got &&
	echo "tel-mkstream: $s: provisioned, asked for on-demand" >want &&
	test_cmp want err
'

# kinesalite predates on-demand streams: it wants a ShardCount in every
# CreateStream and describes no StreamModeDetails.  So a new on-demand
# stream is refused by it, which at least shows that the request asks for
# no shard count and that a refusal is reported as the server put it.
test_expect_success '--on-demand on a new stream: what kinesalite refuses is an error line' '
	s=$(test_stream) &&
	test_expect_code 1 mk --on-demand "$s" >out 2>err &&
	echo "$s error ValidationException" >want &&
	fields out stream result code >got &&
	test_cmp want got &&
	test_grep "\"error\":\"CreateStream: ValidationException: .*shardCount" out &&
	test_grep "^tel-mkstream: $s: CreateStream: ValidationException" err
'

test_expect_success 'no server: an error line per stream, said once, exit 1, within --wait' '
	port=$(closed_port) &&
	start=$(date +%s) &&
	test_expect_code 1 tel-mkstream --endpoint http://127.0.0.1:$port \
	    --wait 2s a b >out 2>err &&
	end=$(date +%s) &&
	test $((end - start)) -le 6 &&
	printf "a error _TRANSPORT\nb error _TRANSPORT\n" >want &&
	fields out stream result code >got &&
	test_cmp want got &&
	test_grep "\"error\":\"DescribeStreamSummary: .*127.0.0.1" out &&
	test_line_count = 1 err &&
	test_grep "^tel-mkstream: a: DescribeStreamSummary: " err
'

test_expect_success 'no server and the default --wait: given up after the retries' '
	port=$(closed_port) &&
	start=$(date +%s) &&
	test_expect_code 1 tel-mkstream -q --endpoint http://127.0.0.1:$port \
	    a >out 2>err &&
	end=$(date +%s) &&
	test $((end - start)) -le 40 &&
	test_must_be_empty err &&
	test_grep "\"code\":\"_TRANSPORT\"" out
'

test_expect_success 'no credentials: every stream an error, no call made, exit 1' '
	(
		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY &&
		test_expect_code 1 mk a b >out 2>err
	) &&
	printf "a error _SETUP\nb error _SETUP\n" >want &&
	fields out stream result code >got &&
	test_cmp want got &&
	test_line_count = 1 err &&
	test_grep "credentials" err
'

test_kinesis_proxy --error-share 0.3 --seed 5

test_expect_success 'a server failing 30% of calls with HTTP 500: retried, every stream made' '
	a=$(test_stream) && b=$(test_stream) &&
	tel-mkstream --endpoint "$KINESIS_PROXY_ENDPOINT" -P 2 --retention 30 \
	    "$a" "$b" >out &&
	printf "created 2 30\ncreated 2 30\n" >want &&
	fields out result shards retention_hours >got &&
	test_cmp want got &&
	test "$(kinesis_proxy_stats | "$PYTHON" -c "import json, sys; print(json.load(sys.stdin)[\"errors\"])")" -gt 0 &&
	echo "ACTIVE 2 30" >want &&
	oracle "$a" >got &&
	test_cmp want got &&
	oracle "$b" >got &&
	test_cmp want got
'

test_expect_success '--metrics: the counts of the run' '
	s=$(test_stream) &&
	test_expect_code 1 mk --metrics m.prom -P 3 "$s" "$(cat s3)" \
	    "$(cat s48)" >out &&
	test_grep "^tel_mkstream_streams_total 3$" m.prom &&
	test_grep "^tel_mkstream_created_total 1$" m.prom &&
	test_grep "^tel_mkstream_exists_total 1$" m.prom &&
	test_grep "^tel_mkstream_differs_total 1$" m.prom &&
	test_grep "^tel_mkstream_errors_total 0$" m.prom &&
	test_grep "^tel_mkstream_exit_status 1$" m.prom
'

test_lazy_prereq DEV_FULL 'test -w /dev/full'

test_expect_success DEV_FULL 'a stdout that fails is exit 1' '
	test_expect_code 1 mk "$(cat s3)" -P 3 >/dev/full 2>err &&
	test_grep "stdout" err
'

test_expect_success 'no secret in any output, even with -vv and errors' '
	AWS_SESSION_TOKEN=tokenSECRETtoken$$ && export AWS_SESSION_TOKEN &&
	s=$(test_stream) &&
	test_expect_code 1 mk -vv -P 2 --retention 25 "$s" "$(cat s3)" \
	    >out 2>err &&
	test_expect_code 1 mk -vv --on-demand "$(test_stream)" >>out 2>>err &&
	test_expect_code 1 tel-mkstream -vv --wait 1s \
	    --endpoint http://127.0.0.1:$(closed_port) x >>out 2>>err &&
	test -s err &&
	test_grep -v "$AWS_SECRET_ACCESS_KEY" out &&
	test_grep -v "$AWS_SECRET_ACCESS_KEY" err &&
	test_grep -v "SECRET" out &&
	test_grep -v "SECRET" err
'

test_done
