#!/bin/sh
test_description='tel-kinesis-put against kinesalite, boto3 as the oracle: bytes, keys, order, rejects, throttling, a server killed, signals, metrics'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-kinesis.sh"
. "$TEST_DIRECTORY/lib-metrics.sh"

test_kinesis

# kp ARG...: tel-kinesis-put aimed at the current server
kp() {
	tel-kinesis-put --endpoint "$KINESIS_ENDPOINT" "$@"
}

# A loopback port nobody listens on.
closed_port() {
	"$PYTHON" -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])"
}

# check_keys.py IN FIELD DUMP: DUMP (kinesis_dump's lines) holds the lines
# of IN, each once, with member FIELD as its partition key; the records of
# one key all in one shard, in the order of IN.  Prints the record count.
cat >"$TRASH/check_keys.py" <<\EOF
import base64, json, sys
src, field, dump = sys.argv[1:4]
want = {}
for line in open(src, "rb"):
    line = line.rstrip(b"\n")
    k = json.loads(line)[field]
    want.setdefault(k if isinstance(k, str) else json.dumps(k), []).append(line)
got, shard = {}, {}
for d in map(json.loads, open(dump)):
    got.setdefault(d["key"], []).append((int(d["seq"]), d["shard"],
                                          base64.b64decode(d["data_b64"])))
assert sorted(got) == sorted(want), (len(got), len(want))
n = 0
for k, recs in got.items():
    assert len({s for _, s, _ in recs}) == 1, (k, "in two shards")
    recs.sort()
    assert [d for _, _, d in recs] == want[k], (k, "order or bytes differ")
    n += len(recs)
print(n)
EOF

test_expect_success 'setup: 10k truck events, a stream of 4 shards' '
	tel-gen --schema truck -n 10000 -s 5 >trucks &&
	test_line_count = 10000 trucks &&
	S=$(test_stream trucks) && echo $S >stream && kinesis_create $S 4
'

test_expect_success '-k truck_id -j 4: boto3 reads back every record byte for byte, each truck in one shard in input order' '
	S=$(cat stream) &&
	kp -t $S -k truck_id -j 4 -v <trucks >failed 2>err &&
	test_must_be_empty failed &&
	test_grep "\"read\":10000,\"put\":10000,\"rejected\":0,\"failed\":0,\"unsent\":0,\"empty\":0,\"unkeyed\":0" err &&
	kinesis_data $S >got && sort trucks >want && sort got >got.s &&
	test_cmp want got.s &&
	kinesis_dump $S >dump &&
	test $("$PYTHON" check_keys.py trucks truck_id dump) = 10000 &&
	test $(sed "s/.*\"shard\": \"\([^\"]*\)\".*/\1/" dump | sort -u | wc -l) -gt 1
'

test_expect_success 'the order check can fail: two records of a truck swapped' '
	grep "\"TRUCK_001\"" trucks | head -n 2 >two &&
	{ grep -v -F -x -f two trucks; tac two; } >swapped &&
	! "$PYTHON" check_keys.py swapped truck_id dump 2>/dev/null
'

test_expect_success 'without -k: a random partition key each, spread over the shards' '
	S=$(test_stream random) && kinesis_create $S 4 &&
	head -n 2000 trucks >in &&
	kp -t $S <in >failed &&
	test_must_be_empty failed &&
	kinesis_data $S | sort >got && sort in >want && test_cmp want got &&
	kinesis_dump $S >dump.r &&
	test $(sed "s/.*\"key\": \"\([^\"]*\)\".*/\1/" dump.r | sort -u | wc -l) = 2000 &&
	test $(sed "s/.*\"shard\": \"\([^\"]*\)\".*/\1/" dump.r | sort -u | wc -l) = 4
'

test_expect_success '-k: strings unescaped, other scalars as their text, absent or null: a random key, counted' '
	S=$(test_stream keys) && kinesis_create $S 1 &&
	cat >in <<-\EOF &&
	{"k":"a\u00e9b","n":1}
	{"k":42,"n":2}
	{"k":true,"n":3}
	{"n":4}
	{"k":null,"n":5}
	{"k":"plain","n":6}
	EOF
	kp -t $S -k k -j 1 -v <in >failed 2>err &&
	test_must_be_empty failed &&
	test_grep "\"unkeyed\":2" err &&
	kinesis_dump $S >dump.k &&
	"$PYTHON" -c "
import base64, json
d = [json.loads(l) for l in open(\"dump.k\")]
keys = [r[\"key\"] for r in d]
assert keys[0] == \"a\u00e9b\" and keys[1:3] == [\"42\", \"true\"] and keys[5] == \"plain\", keys
assert len(keys[3]) == 16 and len(keys[4]) == 16 and keys[3] != keys[4], keys
assert [base64.b64decode(r[\"data_b64\"]) for r in d] == open(\"in\", \"rb\").read().splitlines()
"
'

test_expect_success '-k: an empty key or one over 256 characters is refused, the line given back' '
	S=$(test_stream badkeys) && kinesis_create $S 1 &&
	"$PYTHON" -c "
import json
for k in (\"\", \"0\" * 256, \"0\" * 256 + \"x\", \"\\u00e9\" + \"0\" * 255,
          \"\\\\u00e9\" * 257, \"\\\\u00e9\" * 256, \"\\\\u0041\" * 1100):
    print(\"{\\\"k\\\":\\\"%s\\\"}\" % k)
" >in &&
	test_line_count = 7 in &&
	test_expect_code 1 kp -t $S -k k -j 1 <in >failed 2>err &&
	sed -n "1p;3p;5p;7p" in >want && test_cmp want failed &&
	test_grep "line 1: -k k: an empty string" err &&
	for i in 3 5 7; do
		test_grep "line $i: -k k: longer than the 256 characters" err || return 1
	done &&
	test_line_count = 4 err &&
	kinesis_dump $S >dump.b && sed -n "2p;4p;6p" in >want &&
	"$PYTHON" -c "
import base64, json
d = [json.loads(l) for l in open(\"dump.b\")]
want = open(\"want\", \"rb\").read().splitlines()
assert [base64.b64decode(r[\"data_b64\"]) for r in d] == want
assert [r[\"key\"] for r in d] == [json.loads(l)[\"k\"] for l in want]
"
'

test_expect_success 'setup: a stream of 2 shards and its hash ranges' '
	S=$(test_stream hash) && echo $S >stream.h && kinesis_create $S 2 &&
	kinesis_shards $S >shards.h && test_line_count = 2 shards.h &&
	test "$(cut -f5 shards.h | head -n 1)" = 0 &&
	test "$(cut -f6 shards.h | tail -n 1)" = 340282366920938463463374607431768211455
'

test_expect_success '--hash-key: each record in the shard whose range holds it' '
	S=$(cat stream.h) &&
	lo=$(sed -n 1p shards.h | cut -f1) && hi=$(sed -n 2p shards.h | cut -f1) &&
	lo_end=$(sed -n 1p shards.h | cut -f6) && hi_start=$(sed -n 2p shards.h | cut -f5) &&
	for i in 1 2 3 4 5 6 7 8; do
		echo "{\"i\":$i,\"h\":\"0\"}" &&
		echo "{\"i\":$i,\"h\":$hi_start}" &&
		echo "{\"i\":$i,\"h\":\"$lo_end\"}" &&
		echo "{\"i\":$i,\"h\":\"340282366920938463463374607431768211455\"}" || return 1
	done >in &&
	kp -t $S -k i --hash-key h <in >failed &&
	test_must_be_empty failed &&
	kinesis_dump $S >dump.h &&
	"$PYTHON" -c "
import base64, json, sys
lo, hi, lo_end = sys.argv[1:4]
n = 0
for r in map(json.loads, open(\"dump.h\")):
    h = int(json.loads(base64.b64decode(r[\"data_b64\"]))[\"h\"])
    assert r[\"shard\"] == (lo if h <= int(lo_end) else hi), r
    n += 1
assert n == 32, n
" $lo $hi $lo_end
'

test_expect_success '--hash-key: a value that is no hash key is refused; absent, the partition key places it' '
	S=$(cat stream.h) &&
	cat >in <<-\EOF &&
	{"h":"340282366920938463463374607431768211456"}
	{"h":-1}
	{"h":"01"}
	{"h":"1e3"}
	{"h":1.5}
	{"h":"abc"}
	{"h":[1]}
	{"x":"no hash key"}
	{"h":null}
	EOF
	test_expect_code 1 kp -t $S --hash-key h <in >failed 2>err &&
	head -n 7 in >want && test_cmp want failed &&
	for i in 1 2 3 4 5 6 7; do
		test_grep "line $i: --hash-key h: not a decimal integer" err || return 1
	done &&
	test_line_count = 7 err &&
	kinesis_data $S >got && test_grep "no hash key" got &&
	test_grep "^{\"h\":null}$" got
'

test_expect_success 'a line over 1 MiB and lines that are not JSON come back verbatim, named; the rest is stored; exit 1' '
	S=$(test_stream mixed) && kinesis_create $S 2 &&
	"$PYTHON" -c "print(\"{\\\"pad\\\":\\\"\" + \"x\" * 1048600 + \"\\\"}\")" >big &&
	"$PYTHON" -c "print(\"{\\\"pad\\\":\\\"\" + \"x\" * 1048000 + \"\\\"}\")" >almost &&
	{
		head -n 2 trucks &&
		cat big &&
		echo "not json" &&
		echo &&
		printf "\\377\\376garbage\\n" &&
		echo "{\"a\":" &&
		echo "   " &&
		cat almost &&
		sed -n 3p trucks
	} >in &&
	test_expect_code 1 kp -t $S -v <in >failed 2>err &&
	{ cat big && echo "not json" && printf "\\377\\376garbage\\n" && echo "{\"a\":"; } >want &&
	test_cmp want failed &&
	test_grep "line 3: 1048626 bytes with the partition key: over the 1 MiB record limit" err &&
	test_grep "line 4: invalid JSON" err &&
	test_grep "line 6: invalid UTF-8" err &&
	test_grep "line 7: invalid JSON" err &&
	test_grep "\"read\":10,\"put\":4,\"rejected\":4,\"failed\":0,\"unsent\":0,\"empty\":2" err &&
	kinesis_data $S | sort >got &&
	{ head -n 2 trucks && cat almost && sed -n 3p trucks; } | sort >want &&
	test_cmp want got
'

test_expect_success '--no-validate stores what is not JSON; -k then gives it a random key' '
	S=$(test_stream novalidate) && kinesis_create $S 1 &&
	{ echo "plain text" && echo "{\"k\":\"x\"}" && printf "\\377\\n"; } >in &&
	kp -t $S --no-validate -k k -j 1 -v <in >failed 2>err &&
	test_must_be_empty failed &&
	test_grep "\"unkeyed\":2" err &&
	kinesis_data $S >got && test_cmp in got &&
	kinesis_dump $S | sed -n 2p | test_grep "\"key\": \"x\"" -
'

test_expect_success 'a line above --max-line is reported and dropped, not silently lost' '
	test_expect_code 1 kp -t $(cat stream.h) --max-line 100 <big >failed 2>err &&
	test_must_be_empty failed &&
	test_grep "line 1: 1048610 bytes: longer than --max-line 100; dropped" err
'

test_expect_success 'a stream that does not exist: every line back, the reason named, exit 1' '
	head -n 20 trucks >in &&
	test_expect_code 1 kp -t no-such-stream-$$ <in >failed 2>err &&
	sort in >want && sort failed >got && test_cmp want got &&
	test_grep "not delivered after 1 attempt: ResourceNotFoundException" err &&
	test_grep "10 more lines not delivered" err
'

test_expect_success 'no server: --retry-timeout gives up, every line back, exit 1' '
	port=$(closed_port) &&
	head -n 30 trucks >in &&
	test_expect_code 1 tel-kinesis-put --endpoint http://127.0.0.1:$port \
		-t s --retry-timeout 1s <in >failed 2>err &&
	sort in >want && sort failed >got && test_cmp want got &&
	test_grep "not delivered after [0-9]* attempts: .*127.0.0.1 port $port" err &&
	test_grep "PutRecords, attempt 1: .*; retrying" err
'

test_expect_success 'SIGTERM with no server: what is buffered comes back within --flush-timeout' '
	port=$(closed_port) &&
	mkfifo fifo &&
	{ tel-kinesis-put --endpoint http://127.0.0.1:$port -t s \
		--flush-timeout 1s <fifo >failed 2>err & } &&
	pid=$! &&
	exec 9>fifo &&
	head -n 10 trucks >&9 &&
	sleep 1 &&
	kill -TERM $pid &&
	start=$(date +%s) &&
	{ wait $pid; status=$?; } &&
	exec 9>&- &&
	test $status = 1 &&
	test $(( $(date +%s) - start )) -le 4 &&
	head -n 10 trucks | sort >want && sort failed >got && test_cmp want got &&
	test_grep "giving up on the records not yet stored" err
'

test_expect_success 'a second signal gives up at once' '
	port=$(closed_port) &&
	{ tel-kinesis-put --endpoint http://127.0.0.1:$port -t s -q \
		--flush-timeout 1h <fifo >failed 2>err & } &&
	pid=$! &&
	exec 9>fifo &&
	head -n 10 trucks >&9 &&
	sleep 1 && kill -TERM $pid && sleep 0.5 && kill -INT $pid &&
	start=$(date +%s) &&
	{ wait $pid; status=$?; } &&
	exec 9>&- &&
	test $status = 1 &&
	test $(( $(date +%s) - start )) -le 3 &&
	head -n 10 trucks | sort >want && sort failed >got && test_cmp want got
'

test_expect_success '--metrics: the file matches the -v summary' '
	S=$(test_stream metrics) && kinesis_create $S 2 &&
	head -n 500 trucks >in &&
	kp -t $S -k truck_id --metrics m.prom -v <in >failed 2>err &&
	test_must_be_empty failed &&
	check m.prom tel-kinesis-put --json err --running 0 --status 0 &&
	test "$(value m.prom tel_kinesis_put_put_total)" = 500 &&
	test "$(value m.prom tel_kinesis_put_read_total)" = 500 &&
	test "$(value m.prom tel_kinesis_put_calls_total)" -ge 1 &&
	test_grep "stream=\"$S\"" m.prom &&
	no_temporaries .
'

test_expect_success 'secrets are never printed, even with -vv' '
	S=$(test_stream secret) && kinesis_create $S 1 &&
	head -n 5 trucks >in &&
	AWS_SECRET_ACCESS_KEY=Hunter2Secret AWS_SESSION_TOKEN=Hunter2Token \
		kp -t $S -vv <in >out 2>err &&
	test_grep "PutRecords [0-9]* bytes: .*200 \\?OK" err &&
	! grep Hunter2 out err &&
	port=$(closed_port) &&
	test_expect_code 1 env AWS_SECRET_ACCESS_KEY=Hunter2Secret \
		AWS_SESSION_TOKEN=Hunter2Token tel-kinesis-put -vv \
		--endpoint http://127.0.0.1:$port -t s --retry-timeout 300ms \
		<in >out 2>err &&
	test_grep "retrying" err &&
	! grep Hunter2 err
'

test_expect_success 'usage errors: exit 2' '
	test_expect_code 2 tel-kinesis-put </dev/null 2>err &&
	test_grep "a stream is required" err &&
	test_grep "^usage: tel-kinesis-put" err &&
	test_expect_code 2 tel-kinesis-put -t "bad name" </dev/null 2>err &&
	test_grep "not 1 to 128 of" err &&
	test_expect_code 2 tel-kinesis-put -t $(printf "%0129d" 0) </dev/null &&
	test_expect_code 2 tel-kinesis-put -t s -j 0 </dev/null &&
	test_expect_code 2 tel-kinesis-put -t s -j 65 </dev/null &&
	test_expect_code 2 tel-kinesis-put -t s -j x </dev/null &&
	test_expect_code 2 tel-kinesis-put -t s -k "" </dev/null &&
	test_expect_code 2 tel-kinesis-put -t s --hash-key "" </dev/null &&
	test_expect_code 2 tel-kinesis-put -t s --max-line 0 </dev/null &&
	test_expect_code 2 tel-kinesis-put -t s --max-line 2G </dev/null &&
	test_expect_code 2 tel-kinesis-put -t s --flush-timeout soon </dev/null &&
	test_expect_code 2 tel-kinesis-put -t s --retry-timeout -1s </dev/null &&
	test_expect_code 2 tel-kinesis-put -t s --metrics-interval 1ms </dev/null &&
	test_expect_code 2 tel-kinesis-put -t s --no-such-option </dev/null &&
	test_expect_code 2 tel-kinesis-put -t s extra </dev/null 2>err &&
	test_grep "argument extra: unexpected" err &&
	tel-kinesis-put -h >out && test_grep "^usage: tel-kinesis-put" out &&
	tel-kinesis-put -V >out && test_grep "^tel-kinesis-put [0-9]" out
'

test_lazy_prereq MANDOC 'command -v mandoc'

test_expect_success MANDOC 'the usage is the man page synopsis' '
	tel-kinesis-put -h | tr -s " \n" "  " | sed "s/^usage: //; s/ *$//" >usage &&
	mandoc -Tascii -Owidth=400 "$TEL_SRC/man/tel-kinesis-put.1" |
		sed "s/.$(printf "\\b")//g" |
		sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" | sed "1d;\$d" |
		tr -s " \n" "  " | sed "s/^ //; s/ *$//" >synopsis &&
	test_grep "^tel-kinesis-put \[-hqVv\]" synopsis &&
	test_cmp synopsis usage
'

# Throttling: a share of the records refused as the service refuses them
# (ProvisionedThroughputExceeded, KMSThrottling), a share of the calls
# failed whole (HTTP 500).  A refused record is never forwarded, so a
# record sent again only when refused is stored exactly once.
test_kinesis_proxy --throttle-share 0.3 --kms-share 0.1 --error-share 0.1 --seed 11

test_expect_success 'throttled and failed calls: every record stored exactly once, exit 0' '
	S=$(test_stream throttle) && kinesis_create $S 2 &&
	head -n 3000 trucks >in &&
	tel-kinesis-put --endpoint "$KINESIS_PROXY_ENDPOINT" -t $S -k truck_id \
		-v <in >failed 2>err &&
	test_must_be_empty failed &&
	kinesis_proxy_stats >pstats &&
	"$PYTHON" -c "
import json
s = json.load(open(\"pstats\"))
assert s[\"throttled_records\"] > 0 and s[\"kms_records\"] > 0, s
assert s[\"errors\"] > 0, s
assert s[\"forwarded\"] == 3000, s
" &&
	kinesis_data $S | sort >got && sort in >want && test_cmp want got &&
	"$PYTHON" -c "
import json, sys
line = [l for l in open(\"err\") if l.startswith(\"{\")][-1]
s = json.loads(line)
assert s[\"put\"] == 3000 and s[\"retried\"] > 0 and s[\"throttled\"] > 0, s
assert s[\"call_errors\"] > 0, s
"
'

# The server killed and restarted under a paced input: a private one.
test_kinesis_private

test_expect_success 'setup: a private server and its stream' '
	S=$(test_stream restart) && echo $S >stream.p && kinesis_create $S 2
'

test_expect_success 'the server killed -9 and restarted mid-run: no record lost' '
	S=$(cat stream.p) &&
	{ tel-gen --schema truck -n 3000 -r 600 -s 9 | tee paced.want |
		kp -t $S -k truck_id -v >failed 2>err & } &&
	sleep 1.5 &&
	pid=$(kinesis_pid) && kill -9 "$pid" &&
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done &&
	sleep 1.5 &&
	kinesis_restart &&
	wait $! &&
	test_must_be_empty failed &&
	test_grep "retrying" err &&
	kinesis_data $S | sort >got && sort paced.want >want &&
	sort -u got >got.u && test_cmp want got.u &&
	dups=$(($(wc -l <got) - $(wc -l <got.u))) &&
	test_diag "records stored twice after the kill (at least once): $dups"
'

test_expect_success 'SIGTERM while the server is down: what is buffered is stored once it is back' '
	S=$(cat stream.p) &&
	kinesis_stop &&
	{ tel-kinesis-put --endpoint "$KINESIS_ENDPOINT" -t $S -k truck_id \
		--flush-timeout 60s -q <fifo >failed 2>err & } &&
	pid=$! &&
	exec 9>fifo &&
	head -n 50 trucks >&9 &&
	sleep 1 &&
	kill -TERM $pid &&
	sleep 1 &&
	kinesis_restart &&
	{ wait $pid; status=$?; } &&
	exec 9>&- &&
	test $status = 1 &&
	test_must_be_empty failed &&
	kinesis_data $S >got &&
	head -n 50 trucks | sort >want && grep -F -x -f want got | sort -u >got.s &&
	test_cmp want got.s
'

test_expect_success 'a stdin that fails is named, and exit 1' '
	test_expect_code 1 tel-kinesis-put --endpoint "$KINESIS_ENDPOINT" \
		-t never-used </ >out 2>err &&
	test_must_be_empty out &&
	test_grep "^tel-kinesis-put: stdin: Is a directory" err
'

test_done
