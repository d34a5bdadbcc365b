#!/bin/sh
test_description='tel-kinesis-cat against kinesalite: records put by boto3 read back, positions, checkpoints, KPL aggregates'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-kinesis.sh"

test_kinesis

# kc ARG...: tel-kinesis-cat aimed at the server, short polls
kc() {
	tel-kinesis-cat --endpoint "$KINESIS_ENDPOINT" --poll-interval 200ms "$@"
}

# kc_bg PIDFILE OUT ERR ARG...: kc in the background (its own PID, killed
# when the script ends, should a test fail before it ends)
kc_bg() {
	kb_pid=$1 kb_out=$2 kb_err=$3
	shift 3
	tel-kinesis-cat --endpoint "$KINESIS_ENDPOINT" --poll-interval 200ms \
		"$@" >"$kb_out" 2>"$kb_err" &
	echo $! >"$kb_pid" &&
	test_atexit "kill $! 2>/dev/null"
}

# gone PIDFILE: its process has ended
gone() {
	! kill -0 $(cat "$1") 2>/dev/null
}

# check_envelopes STREAM GOT DUMP: the envelopes of GOT are the records
# of DUMP (kinesis_dump's lines), shard by shard in the same order, with
# the same partition key, data and sequence number
cat >"$TRASH/check_envelopes.py" <<\EOF
import base64, json, sys
stream, got, dump = sys.argv[1:4]
def by_shard(rows):
    out = {}
    for r in rows:
        out.setdefault(r[0], []).append(r[1:])
    return out
env = [json.loads(l) for l in open(got, "rb")]
for e in env:
    assert e["stream"] == stream, e
    assert isinstance(e["timestamp"], int) and 1.6e12 < e["timestamp"] < 4e12, e
    assert isinstance(e["sequence"], str) and e["sequence"].isdigit(), e
    assert "subsequence" not in e, e
    assert list(e)[:5] == ["stream", "shard", "sequence", "timestamp", "key"], e
ours = by_shard([(e["shard"], e["sequence"], e["key"],
                  json.dumps(e["value"], sort_keys=True)) for e in env])
theirs = by_shard([(d["shard"], d["seq"], d["key"],
                    json.dumps(json.loads(base64.b64decode(d["data_b64"])),
                               sort_keys=True))
                   for d in map(json.loads, open(dump))])
assert ours.keys() == theirs.keys(), (ours.keys(), theirs.keys())
for s in ours:
    assert ours[s] == theirs[s], (s, len(ours[s]), len(theirs[s]))
print(len(env))
EOF

test_expect_success 'setup: 600 events put by boto3 into 3 shards' '
	tel-gen -n 600 -s 11 >events &&
	S=$(test_stream) && echo $S >stream && kinesis_create $S 3 &&
	kinesis_put $S <events &&
	kinesis_dump $S >dump &&
	test $(wc -l <dump) = 600 &&
	test $(sed "s/.*\"shard\": \"\([^\"]*\)\".*/\1/" dump | sort -u | wc -l) = 3
'

test_expect_success 'every record once, byte for byte, and -e exits 0' '
	kc -t $(cat stream) -e >got 2>err &&
	test_must_be_empty err &&
	sort events >want && sort got >got.sorted && test_cmp want got.sorted
'

test_expect_success '-E: stream, shard, sequence, timestamp and key of each record, in shard order' '
	kc -t $(cat stream) -e -E >env &&
	test $("$PYTHON" check_envelopes.py $(cat stream) env dump) = 600
'

test_expect_success 'the oracle can tell: a record missing or out of order fails the check' '
	sed 1d env >env.short &&
	! "$PYTHON" check_envelopes.py $(cat stream) env.short dump 2>/dev/null &&
	grep "\"shard\":\"shardId-000000000001\"" env | head -n 2 >two &&
	{ grep -v -F -x -f two env; tac two; } >env.swapped &&
	! "$PYTHON" check_envelopes.py $(cat stream) env.swapped dump 2>/dev/null
'

test_expect_success '-c stops after that many lines' '
	kc -t $(cat stream) -c 7 >got &&
	test $(wc -l <got) = 7
'

test_expect_success 'usage errors: exit 2' '
	test_expect_code 2 tel-kinesis-cat -e 2>err &&
	test_grep "a stream is required" err &&
	test_expect_code 2 tel-kinesis-cat -t s -o middle 2>err &&
	test_expect_code 2 tel-kinesis-cat -t s -G a.b 2>err &&
	test_expect_code 2 tel-kinesis-cat -t s --ack x 2>err &&
	test_grep "needs a consumer name" err &&
	test_expect_code 2 tel-kinesis-cat -t s --poll-interval 10ms 2>err
'

test_expect_success 'a stream that does not exist: exit 1, named' '
	test_expect_code 1 kc -t no-such-stream-$$ -e >out 2>err &&
	test_must_be_empty out &&
	test_grep "no-such-stream-$$.*ResourceNotFoundException" err
'

# Records that are no JSON text, put as bytes (put-bytes: base64 lines):
# JSON across lines, a word, bytes that are not UTF-8, JSON with spaces,
# and a value with a top-level "@tel" member, which tel(7) reserves.
printf '{"a": 1,\n "b": [1,\r\n 2], "s": "x y"}' | base64 -w0 >"$TRASH/mixed.b64"
printf '\n' >>"$TRASH/mixed.b64"
for v in 'not json' '\377\001' '[1, 2]' '{"@tel":"checkpoint","run":"0123456789abcdef","seq":1}'; do
	printf "$v" | base64 -w0 && echo
done >>"$TRASH/mixed.b64"
cat >"$TRASH/mixed.want" <<\EOF
{"a":1,"b":[1,2],"s":"x y"}
[1, 2]
EOF
cat >"$TRASH/mixed.raw" <<\EOF
{"a":1,"b":[1,2],"s":"x y"}
"not json"
[1, 2]
"{\"@tel\":\"checkpoint\",\"run\":\"0123456789abcdef\",\"seq\":1}"
EOF

test_expect_success 'setup: values that are not JSON, in one shard' '
	S=$(test_stream mixed) && echo $S >stream.mixed && kinesis_create $S 1 &&
	kinesispy put-bytes $S mixed.b64 &&
	kinesis_dump $S >dump.mixed && test_line_count = 5 dump.mixed &&
	sed -n "s/.*\"seq\": \"\([0-9]*\)\".*/\1/p" dump.mixed >seqs.mixed &&
	test_line_count = 5 seqs.mixed
'

test_expect_success 'JSON across lines comes out compact; the rest is named (shard, sequence) and skipped: exit 1' '
	S=$(cat stream.mixed) &&
	test_expect_code 1 kc -t $S -e >got 2>err &&
	test_cmp mixed.want got &&
	test_grep "^tel-kinesis-cat: $S shardId-000000000000 $(sed -n 2p seqs.mixed): not JSON: .*; skipped$" err &&
	test_grep "^tel-kinesis-cat: $S shardId-000000000000 $(sed -n 3p seqs.mixed): not JSON: invalid UTF-8; skipped$" err &&
	test_grep "^tel-kinesis-cat: $S shardId-000000000000 $(sed -n 5p seqs.mixed): .*\"@tel\".*; skipped$" err &&
	test $(grep -c "skipped$" err) = 3
'

test_expect_success '--raw passes them: strings, bytes that are not UTF-8 as an error line; exit 0' '
	S=$(cat stream.mixed) &&
	kc -t $S -e --raw >got 2>err &&
	grep -v "^{\"@tel\"" got >text && test_cmp mixed.raw text &&
	test_grep "$(sed -n 3p seqs.mixed): not JSON: invalid UTF-8; handed on as an error line" err &&
	grep "^{\"@tel\":\"error\"" got >e && test_line_count = 1 e &&
	sed -n 3p got >third && test_cmp e third &&
	"$PYTHON" -c "
import base64, json, sys
e = json.load(open(\"e\"))
assert e[\"errorCode\"] == \"InvalidUTF8\", e
assert \"$S shardId-000000000000 $(sed -n 3p seqs.mixed)\" in e[\"errorMessage\"], e
assert base64.b64decode(e[\"rawData\"]) == b\"\\377\\001\", e
"
'

test_expect_success '-E --raw: bytes that are not UTF-8 as value_base64, exactly' '
	kc -t $(cat stream.mixed) -e -E --raw >got &&
	test_line_count = 5 got &&
	sed -n 3p got >third &&
	"$PYTHON" -c "
import base64, json
e = json.load(open(\"third\"))
assert \"value\" not in e and base64.b64decode(e[\"value_base64\"]) == b\"\\377\\001\", e
assert e[\"sequence\"] == \"$(sed -n 3p seqs.mixed)\" and e[\"key\"] == \"3\", e
"
'

# polled N FILE: FILE, a -vv trace, shows N GetRecords answered
polled() {
	test $(grep -c "^tel-kinesis-cat: GetRecords .*[^0-9]200[^0-9]" "$2") -ge "$1"
}

# -o: a first batch, a time T, a second batch.
test_expect_success 'setup: two batches a second apart' '
	S=$(test_stream offsets) && echo $S >stream.o && kinesis_create $S 2 &&
	tel-gen -n 40 -s 21 >batch1 && tel-gen -n 30 -s 22 >batch2 &&
	kinesis_put $S <batch1 &&
	sleep 1.2 && date +%s%3N >t.ms && sleep 1.2 &&
	kinesis_put $S <batch2
'

test_expect_success '-o beginning (the default) reads both; -o end with -e reads nothing' '
	S=$(cat stream.o) &&
	kc -t $S -e -o beginning | sort >got && sort batch1 batch2 >want &&
	test_cmp want got &&
	kc -t $S -e -o end >got && test_must_be_empty got
'

test_expect_success '-o s@MS and -o s@RFC3339: from the first record at or after the time' '
	S=$(cat stream.o) && sort batch2 >want &&
	kc -t $S -e -o s@$(cat t.ms) | sort >got && test_cmp want got &&
	rfc=$(date -u -d @$(($(cat t.ms) / 1000)).$(printf %03d $(($(cat t.ms) % 1000))) +%Y-%m-%dT%H:%M:%S.%3NZ) &&
	kc -t $S -e -o s@$rfc | sort >got && test_cmp want got &&
	kc -t $S -e -o s@0 | sort >got && sort batch1 batch2 >want.all && test_cmp want.all got
'

test_expect_success '-o end: only records that arrive after the start' '
	S=$(cat stream.o) &&
	kc_bg pid late late.err -t $S -o end -c 30 -vv &&
	test_wait_until 30 polled 2 late.err &&
	tel-gen -n 30 -s 23 >batch3 && kinesis_put $S <batch3 &&
	test_wait_until 30 gone pid &&
	sort batch3 >want && sort late >got && test_cmp want got
'

# -G: positions in the state file.
test_expect_success '-G: the state file is in --state-dir; a second run reads only new records' '
	S=$(cat stream) &&
	kc -t $S -e -G lake --state-dir sd >got &&
	test $(wc -l <got) = 600 &&
	test -f sd/$S.lake.json && test -f sd/$S.lake.lock &&
	test $(stat -c %a sd) = 700 &&
	"$PYTHON" -c "
import json
st = json.load(open(\"sd/$S.lake.json\"))
last = {}
for l in open(\"dump\"):
    d = json.loads(l)
    last[d[\"shard\"]] = d[\"seq\"]
assert st[\"stream\"] == \"$S\" and st[\"consumer\"] == \"lake\", st
assert {k: v[\"sequence\"] for k, v in st[\"shards\"].items()} == last, (st, last)
assert not any(v[\"ended\"] for v in st[\"shards\"].values()), st
" &&
	kc -t $S -e -G lake --state-dir sd >again &&
	test_must_be_empty again &&
	tel-gen -n 50 -s 12 >more && kinesis_put $S <more &&
	kc -t $S -e -G lake --state-dir sd >got &&
	sort more >want && sort got >got.sorted && test_cmp want got.sorted &&
	TEL_STATE_DIR=sd kc -t $S -e -G lake >again &&
	test_must_be_empty again &&
	kc -t $S -e -G other --state-dir sd >other &&
	test $(wc -l <other) = 650
'

test_expect_success '-G: a second run with the same name is refused while the first runs' '
	S=$(cat stream) &&
	kc_bg pid first first.err -t $S -G busy --state-dir sd &&
	test_wait_until 30 test -s first &&
	test_expect_code 1 kc -t $S -e -G busy --state-dir sd >second 2>err &&
	test_must_be_empty second &&
	test_grep "sd/$S.busy.lock: in use by another run of consumer busy" err &&
	kill -TERM $(cat pid) &&
	test_wait_until 30 gone pid &&
	test $(wc -l <first) = 650 &&
	kc -t $S -e -G busy --state-dir sd >third &&
	test_must_be_empty third
'

test_expect_success '-G: a state file of another stream or malformed is refused' '
	S=$(cat stream) &&
	mkdir -p sd2 && chmod 700 sd2 &&
	echo "{\"stream\":\"x\",\"consumer\":\"g\",\"shards\":{}}" >sd2/$S.g.json &&
	test_expect_code 1 kc -t $S -e -G g --state-dir sd2 >out 2>err &&
	test_must_be_empty out && test_grep "not the state of stream $S" err &&
	echo "{" >sd2/$S.g.json &&
	test_expect_code 1 kc -t $S -e -G g --state-dir sd2 >out 2>err &&
	test_must_be_empty out
'

# --ack: checkpoints out with the lines, back through a FIFO.
# cat_ack GROUP OUT [OPTION...]: its output through tee into OUT and back
cat_ack() {
	ca_g=$1 ca_out=$2
	shift 2
	rm -f ack && mkfifo ack &&
	kc -t $(cat stream) -G $ca_g --state-dir sd -e --ack ack "$@" 2>$ca_out.err |
		tee $ca_out >ack
}

test_expect_success '--ack: every record, checkpoints among them, the last one flush' '
	cat_ack a1 out --checkpoint-interval 1ms &&
	grep -v "^{\"@tel\"" out | sort >got && sort events more >want &&
	test_cmp want got &&
	grep "^{\"@tel\":\"checkpoint\"" out >cps && test $(wc -l <cps) -ge 2 &&
	tail -n 1 out | grep -q "^{\"@tel\":\"checkpoint\".*,\"flush\":true}$" &&
	cat_ack a1 again &&
	test_must_be_empty again
'

test_expect_success '--ack: checkpoints that never come back keep nothing: exit 1, all read again' '
	rm -f ack && mkfifo ack &&
	{ sleep 60 >ack & } && echo $! >holder &&
	test_expect_code 1 kc -t $(cat stream) -G a2 --state-dir sd -e --ack ack \
		--ack-timeout 2s >out 2>err &&
	kill $(cat holder) &&
	test $(grep -vc "^{\"@tel\"" out) = 650 &&
	test_grep "did not come back on ack (timed out); nothing after checkpoint 0 is kept" err &&
	! test -s sd/$(cat stream).a2.json &&
	cat_ack a2 out2 &&
	test $(grep -vc "^{\"@tel\"" out2) = 650
'

# A last stage that returns the first checkpoint only: what came before
# it is kept, and exactly the rest is read again.
cat >"$TRASH/first_only.py" <<\EOF
import sys
ack, before = open(sys.argv[1], "w"), open(sys.argv[2], "w")
seen = False
for line in sys.stdin:
    if line.startswith('{"@tel":"checkpoint"'):
        if not seen:
            ack.write(line)
            ack.flush()
        seen = True
    elif not seen:
        before.write(line)
EOF

test_expect_success '--ack: positions advance only for the checkpoints that come back' '
	rm -f ack && mkfifo ack &&
	kc -t $(cat stream) -G a3 --state-dir sd -e --ack ack --ack-timeout 2s \
		--checkpoint-interval 1ms 2>err |
		"$PYTHON" first_only.py ack before &&
	test_grep "did not come back on ack (timed out); nothing after checkpoint 1 is kept" err &&
	test -s before &&
	cat_ack a3 rest &&
	grep -v "^{\"@tel\"" rest >rest.lines &&
	sort before rest.lines >got && sort events more >want &&
	test_cmp want got
'

test_expect_success '--ack through tel-batch: checkpoints pass once the batches are sealed' '
	rm -f ack && mkfifo ack &&
	kc -t $(cat stream) -G a4 --state-dir sd -e --ack ack 2>err |
		tel-batch -d spool --max-records 100 | tee manifest >ack &&
	grep "^{\"@tel\":\"checkpoint\"" manifest >cps && test -s cps &&
	grep -v "^{\"@tel\"" manifest | "$PYTHON" -c "
import gzip, json, sys
n = 0
for l in sys.stdin:
    n += sum(1 for _ in gzip.open(json.loads(l)[\"file\"]))
print(n)" >n && test $(cat n) = 650 &&
	cat_ack a4 again && test_must_be_empty again
'

# KPL aggregates built by aws-kinesis-agg.
cat >"$TRASH/check_kpl.py" <<\EOF
import base64, json, sys
want = [json.loads(l) for l in open(sys.argv[1])]
got = [json.loads(l) for l in open(sys.argv[2], "rb")]
users = [w for w in want if not w.get("corrupt")]
assert len(got) == len(users), (len(got), len(users))
for g, w in zip(sorted(got, key=lambda e: (e["shard"], int(e["sequence"]), e["subsequence"])),
                sorted(users, key=lambda e: (e["shard"], int(e["seq"]), e["sub"]))):
    assert g["shard"] == w["shard"] and g["sequence"] == w["seq"], (g, w)
    assert g["subsequence"] == w["sub"] and g["key"] == w["key"], (g, w)
    assert json.dumps(g["value"]) == json.dumps(json.loads(base64.b64decode(w["data_b64"]))), (g, w)
EOF

test_expect_success 'setup: 100 events as KPL aggregates of 1 to 7 user records, 2 shards' '
	S=$(test_stream kpl) && echo $S >stream.kpl && kinesis_create $S 2 &&
	tel-gen -n 100 -s 31 >kpl.events &&
	awk "{ printf \"truck-%d-\\303\\251\\t%s\\n\", NR % 9, \$0 }" kpl.events >kpl.in &&
	head -n 30 kpl.in | "$PYTHON" "$TEST_DIRECTORY/py/kinesis_kpl_put.py" --per 7 $S >kpl.want &&
	sed -n 31,40p kpl.in | "$PYTHON" "$TEST_DIRECTORY/py/kinesis_kpl_put.py" --per 1 $S >>kpl.want &&
	sed -n "41,\$p" kpl.in | "$PYTHON" "$TEST_DIRECTORY/py/kinesis_kpl_put.py" --per 5 $S >>kpl.want &&
	test_line_count = 100 kpl.want &&
	tel-gen -n 5 -s 32 >plain && kinesis_put $S <plain
'

test_expect_success 'KPL: each user record exactly, as its own line' '
	kc -t $(cat stream.kpl) -e >got 2>err &&
	test_must_be_empty err &&
	sort kpl.events plain >want && sort got >got.sorted && test_cmp want got.sorted
'

test_expect_success 'KPL -E: the user record'\''s partition key and subsequence' '
	kc -t $(cat stream.kpl) -e -E >env &&
	grep "\"subsequence\"" env >env.kpl &&
	"$PYTHON" check_kpl.py kpl.want env.kpl &&
	test $(grep -vc "\"subsequence\"" env) = 5
'

test_expect_success 'KPL: -c within an aggregate keeps none of it: the next run reads it whole' '
	S=$(test_stream kplcut) && kinesis_create $S 1 &&
	sed -n 51,60p kpl.in | "$PYTHON" "$TEST_DIRECTORY/py/kinesis_kpl_put.py" \
		--per 10 $S >cut.want &&
	kc -t $S -c 4 -G cut --state-dir sd >cut1 &&
	sed -n 51,54p kpl.events >want && test_cmp want cut1 &&
	kc -t $S -e -G cut --state-dir sd >cut2 &&
	sed -n 51,60p kpl.events >want && test_cmp want cut2 &&
	kc -t $S -e -G cut --state-dir sd >cut3 &&
	test_must_be_empty cut3
'

test_expect_success 'KPL: a corrupt aggregate (MD5, message) is reported and handed on whole, not guessed at: exit 1' '
	S=$(test_stream kplbad) && echo $S >stream.bad && kinesis_create $S 1 &&
	head -n 12 kpl.in | "$PYTHON" "$TEST_DIRECTORY/py/kinesis_kpl_put.py" \
		--per 4 --corrupt 1 $S >bad.want &&
	sed -n 13,16p kpl.in | "$PYTHON" "$TEST_DIRECTORY/py/kinesis_kpl_put.py" \
		--per 4 --corrupt 0 --how proto $S >>bad.want &&
	test $(grep -c "\"corrupt\": true" bad.want) = 2 &&
	test_expect_code 1 kc -t $S -e >got 2>err &&
	{ sed -n "1,4p;9,12p" kpl.events; } >want &&
	grep -v "^{\"@tel\"" got >got.records && test_cmp want got.records &&
	grep "^{\"@tel\":\"error\"" got >errs && test_line_count = 2 errs &&
	seq1=$(grep "\"corrupt\"" bad.want | sed -n "1s/.*\"seq\": \"\([0-9]*\)\".*/\1/p") &&
	test_grep "^tel-kinesis-cat: $S shardId-000000000000 $seq1: a corrupt KPL aggregate: .*MD5.*; handed on as an error line" err &&
	test $(grep -c "a corrupt KPL aggregate" err) = 2 &&
	"$PYTHON" -c "
import base64, json
errs = [json.loads(l) for l in open(\"errs\")]
want = [json.loads(l) for l in open(\"bad.want\") if \"corrupt\" in l]
for e, w in zip(errs, want):
    assert e[\"errorCode\"] == \"KPL.CorruptAggregate\", e
    assert w[\"seq\"] in e[\"errorMessage\"], (e, w)
    assert e[\"rawData\"] == w[\"raw_b64\"], (e, w)
"
'

test_expect_success 'the man page'\''s cron pipeline, S3 aside: checked, batched by the records'\'' hour, kept once sealed' '
	S=$(test_stream fleet) && kinesis_create $S 1 &&
	tel-gen --schema truck -n 1500 -s 5 >trucks &&
	kinesis_put $S --key-field truck_id <trucks &&
	rm -f ack && mkfifo ack &&
	kc -t $S -G lake -e --ack ack --state-dir sd 2>fleet.err |
		tel-check -q "$TEL_SRC/contrib/schemas/truck.json" |
		tel-batch -d fleet-spool --max-records 700 --time-field timestamp \
			--time-format "%Y-%m-%d %H:%M:%S" |
		tee fleet.log >ack &&
	test_must_be_empty fleet.err &&
	grep -v "^{\"@tel\"" fleet.log >manifests &&
	"$PYTHON" -c "
import gzip, json
n = 0
for l in open(\"manifests\"):
    m = json.loads(l)
    n += sum(1 for _ in gzip.open(m[\"file\"]))
assert n == 1500, n
" &&
	tail -n 1 fleet.log | grep -q "^{\"@tel\":\"checkpoint\".*\"flush\":true}$" &&
	kc -t $S -G lake -e --state-dir sd >again &&
	test_must_be_empty again
'

test_expect_success '--metrics: millis_behind_latest of every shard, and the counters' '
	S=$(cat stream) &&
	kc -t $S -e --metrics m.prom >/dev/null &&
	for i in 0 1 2; do
		test_grep "^tel_kinesis_cat_millis_behind_latest{.*shard=\"shardId-00000000000$i\"} 0$" m.prom || return 1
	done &&
	test $(grep -c "^tel_kinesis_cat_millis_behind_latest{" m.prom) = 3 &&
	test_grep "^tel_kinesis_cat_records_total{.*stream=\"$S\".*} 650$" m.prom &&
	test_grep "^tel_kinesis_cat_lines_total{.*} 650$" m.prom &&
	test_grep "^tel_kinesis_cat_shards{.*} 3$" m.prom
'

test_expect_success '-v: a summary that counts what was read' '
	kc -t $(cat stream.mixed) -e -v >/dev/null 2>err;
	tail -n 1 err >summary &&
	"$PYTHON" -c "
import json
s = json.load(open(\"summary\"))
assert s[\"program\"] == \"tel-kinesis-cat\", s
assert s[\"records\"] == 5 and s[\"lines\"] == 2 and s[\"skipped\"] == 3, s
assert s[\"shards\"] == 1 and s[\"millis_behind_latest_max\"] == 0, s
"
'

test_done
