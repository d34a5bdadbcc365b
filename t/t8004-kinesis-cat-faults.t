#!/bin/sh
test_description='tel-kinesis-cat under faults: the server killed and restarted, throttling, resharding mid-run'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-kinesis.sh"

# A server of our own: we kill it, restart it, reshard its streams.
test_kinesis_private
test_kinesis_proxy --throttle-share 0.5 --error-share 0.1 --seed 8004
THROTTLE=$KINESIS_PROXY_ENDPOINT THROTTLE_LOG=$KINESIS_PROXY_LOG
test_kinesis_proxy --error-share 0.6 --error-ops ListShards --seed 3
NOLIST=$KINESIS_PROXY_ENDPOINT NOLIST_LOG=$KINESIS_PROXY_LOG

# kc_bg PIDFILE OUT ERR ARG...: tel-kinesis-cat in the background, its own
# PID (killed when the script ends, should a test fail first)
kc_bg() {
	kb_pid=$1 kb_out=$2 kb_err=$3
	shift 3
	tel-kinesis-cat --poll-interval 200ms "$@" >"$kb_out" 2>"$kb_err" &
	echo $! >"$kb_pid" &&
	test_atexit "kill $! 2>/dev/null"
}

# gone PIDFILE: its process has ended
gone() {
	! kill -0 $(cat "$1") 2>/dev/null
}

# lines N FILE: FILE has at least N lines
lines() {
	test $(wc -l <"$2") -ge "$1"
}

# check_order ENVELOPES DUMP: every record of DUMP (kinesis_dump) once in
# ENVELOPES (-E lines), shard by shard in the order of DUMP
cat >"$TRASH/check_order.py" <<\EOF
import base64, json, sys
env = [json.loads(l) for l in open(sys.argv[1], "rb")]
dump = [json.loads(l) for l in open(sys.argv[2])]
def by_shard(rows):
    out = {}
    for shard, seq, data in rows:
        out.setdefault(shard, []).append((seq, data))
    return out
ours = by_shard((e["shard"], e["sequence"], json.dumps(e["value"], sort_keys=True))
                for e in env)
theirs = by_shard((d["shard"], d["seq"],
                   json.dumps(json.loads(base64.b64decode(d["data_b64"])), sort_keys=True))
                  for d in dump)
assert len(env) == len(dump), (len(env), len(dump))
assert ours == theirs, sorted((s, len(ours.get(s, [])), len(theirs.get(s, [])))
                              for s in set(ours) | set(theirs))
EOF

test_expect_success 'setup: a stream of 2 shards, 1000 events in it' '
	tel-gen -n 2000 -s 41 >events &&
	head -n 1000 events >first && tail -n 1000 events >second &&
	S=$(test_stream restart) && echo $S >stream && kinesis_create $S 2 &&
	kinesis_put $S <first
'

test_expect_success 'the server killed -9 mid-run and restarted: every record once, in shard order' '
	S=$(cat stream) &&
	kc_bg pid out err --endpoint "$KINESIS_ENDPOINT" -t $S -E -c 2000 -G g \
		--state-dir sd &&
	test_wait_until 30 lines 1000 out &&
	kill -9 $(kinesis_pid) &&
	test_wait_until 30 grep -q "GetRecords: .*connect" err &&
	kinesis_restart &&
	kinesis_put $S <second &&
	test_wait_until 60 gone pid &&
	kinesis_dump $S >dump &&
	"$PYTHON" check_order.py out dump &&
	tel-kinesis-cat --endpoint "$KINESIS_ENDPOINT" -t $S -e -G g --state-dir sd >again &&
	test_must_be_empty again
'

test_expect_success 'the server down when -e starts, back 2 s later: it carries on, exit 0' '
	S=$(cat stream) &&
	kill -9 $(kinesis_pid) &&
	{ tel-kinesis-cat --endpoint "$KINESIS_ENDPOINT" -t $S -e -E >out 2>err;
	  echo $? >rc; } &
	sleep 2 && kinesis_restart &&
	test_wait_until 60 test -s rc &&
	test $(cat rc) = 0 &&
	"$PYTHON" check_order.py out dump
'

test_expect_success 'throttled (half of GetRecords) and failing (500s): every record once, in shard order' '
	S=$(test_stream throttle) && echo $S >stream.t && kinesis_create $S 3 &&
	kc_bg pid out err --endpoint "$THROTTLE" -t $S -E -c 2000 \
		-v --metrics m.prom &&
	for i in 1 2 3 4 5 6 7 8 9 10; do
		sed -n "$((i * 200 - 199)),$((i * 200))p" events | kinesis_put $S &&
		sleep 0.3 || return 1
	done &&
	test_wait_until 90 gone pid &&
	kinesis_dump $S >dump.t &&
	"$PYTHON" check_order.py out dump.t &&
	kinesis_proxy_stats "$THROTTLE_LOG" >stats &&
	"$PYTHON" - <<-\EOF
	import json, re
	s = json.load(open("stats"))
	assert s["throttled_calls"] >= 5 and s["errors"] >= 2, s
	m = open("m.prom").read()
	n = int(re.search(r"^tel_kinesis_cat_throttled_total\{.*\} (\d+)$", m, re.M).group(1))
	assert n == s["throttled_calls"], (n, s)
	EOF
'

# Resharding while records keep coming: lines {"k": KEY, "i": N}, the
# partition key KEY; a split, then a merge, between rounds of puts.
cat >"$TRASH/check_reshard.py" <<\EOF
import json, subprocess, sys
env = [json.loads(l) for l in open(sys.argv[1], "rb")]
shards = [l.split("\t") for l in open(sys.argv[2]).read().splitlines()]
n = int(sys.argv[3])
got = sorted(e["value"]["i"] for e in env)
assert got == list(range(1, n + 1)), (len(got), n)   # each once
last = {}
for e in env:   # per key in the order put
    k, i = e["value"]["k"], e["value"]["i"]
    assert e["key"] == k, e
    assert last.get(k, 0) < i, (k, last.get(k), i)
    last[k] = i
pos = {}
for at, e in enumerate(env):
    pos.setdefault(e["shard"], []).append(at)
seen = set(pos)
for sid, state, parent, adjacent, *_ in shards:   # parents drained first
    for p in (parent, adjacent):
        if p != "-" and sid in pos and p in pos:
            assert max(pos[p]) < min(pos[sid]), (p, sid)
assert len(seen) >= 4, seen     # the children were read
print(len(env))
EOF

test_expect_success 'resharding mid-run (a split, then a merge): every record once, in order per key, parents first' '
	S=$(test_stream reshard) && echo $S >stream.r && kinesis_create $S 2 &&
	seq 1 1200 | awk "{ printf \"{\\\"k\\\":\\\"key-%d\\\",\\\"i\\\":%d}\\n\", \$1 % 17, \$1 }" >keyed &&
	kc_bg pid out err --endpoint "$KINESIS_ENDPOINT" -t $S -E -c 1200 -v \
		-G r --state-dir sd &&
	put_round() {
		sed -n "$(($1 * 100 - 99)),$(($1 * 100))p" keyed |
			kinesis_put $S --key-field k
	} &&
	put_round 1 && put_round 2 && put_round 3 &&
	kinesispy split $S shardId-000000000000 >kids &&
	test_line_count = 2 kids &&
	put_round 4 && put_round 5 && put_round 6 && put_round 7 &&
	kinesispy merge $S $(sed -n 2p kids) shardId-000000000001 >merged &&
	test_line_count = 1 merged &&
	for r in 8 9 10 11 12; do put_round $r || return 1; done &&
	test_wait_until 90 gone pid &&
	kinesis_shards $S >shards && test_line_count = 5 shards &&
	test $("$PYTHON" check_reshard.py out shards 1200) = 1200 &&
	test_grep "shard $(cat merged), child of" err &&
	test_grep "read to its end" err
'

test_expect_success 'after resharding: a fresh -e run reads every shard, parents first; -G keeps the ended ones' '
	S=$(cat stream.r) &&
	tel-kinesis-cat --endpoint "$KINESIS_ENDPOINT" -t $S -e -E >all &&
	test $("$PYTHON" check_reshard.py all shards 1200) = 1200 &&
	kinesis_dump $S >dump.r && "$PYTHON" check_order.py all dump.r &&
	tel-kinesis-cat --endpoint "$KINESIS_ENDPOINT" -t $S -e -G r --state-dir sd >again &&
	test_must_be_empty again &&
	"$PYTHON" -c "
import json
st = json.load(open(\"sd/$S.r.json\"))[\"shards\"]
assert st[\"shardId-000000000000\"][\"ended\"] and st[\"shardId-000000000001\"][\"ended\"], st
assert st[\"$(sed -n 2p kids)\"][\"ended\"], st
assert not st[\"$(cat merged)\"][\"ended\"], st
"
'

test_expect_success 'ListShards failing (6 in 10): every shard still found and read, parents first, exit 0' '
	S=$(cat stream.r) &&
	tel-kinesis-cat --endpoint "$NOLIST" -t $S -e -E -G nolist --state-dir sd \
		>all 2>err &&
	test $("$PYTHON" check_reshard.py all shards 1200) = 1200 &&
	test_grep "listing shards: InternalFailure" err &&
	kinesis_proxy_stats "$NOLIST_LOG" >stats &&
	"$PYTHON" -c "
import json
s = json.load(open(\"stats\"))
assert s[\"errors\"] >= 3, s
st = json.load(open(\"sd/$S.nolist.json\"))[\"shards\"]
assert len(st) == 5, st
"
'

test_done
