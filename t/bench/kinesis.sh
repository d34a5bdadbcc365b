#!/bin/sh
# Benchmark: tel-kinesis-put against boto3 PutRecords in batches of 500
# (t/py/kinesis.py put), and tel-kinesis-cat -e against a boto3
# GetRecords loop (t/py/kinesis.py dump --data), on the same tel-gen truck
# records (100,000 by default) and one kinesalite on loopback, in the same
# run.  kinesalite (one node process on LevelDB) shares the two cores and
# is the limit of every client, so besides records/s the figure that
# counts is each client's own CPU seconds per million records (user +
# system of the client and its children, from getrusage).
set -eu

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${TEL_BUILD:-$SRC/build}/bin
CACHE=${TEL_TEST_CACHE:-${HOME:-/tmp}/.cache/tel-test}
PY=$CACHE/venv/bin/python
N=${TEL_BENCH_KINESIS_RECORDS:-100000}
ROUNDS=${TEL_BENCH_ROUNDS:-3}
SHARDS=4

for p in "$PY" "$CACHE/kinesalite/node_modules/.bin/kinesalite"; do
	test -e "$p" || {
		echo "bench kinesis: skipped: $p missing (t/peers/setup.sh)"
		exit 0
	}
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tel-bench-kinesis.XXXXXX")
trap 'bash "$SRC/t/peers/kinesalite.sh" stop "$tmp/kin" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
mkdir "$tmp/kin"
TEL_PEER_OWNER=$$ bash "$SRC/t/peers/kinesalite.sh" start "$tmp/kin" \
    >"$tmp/start.log" 2>&1 || {
	cat "$tmp/start.log" >&2
	echo "bench kinesis: no kinesalite" >&2
	exit 1
}
. "$tmp/kin/env"
E=$KINESIS_ENDPOINT
AWS_ACCESS_KEY_ID=$KINESIS_ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$KINESIS_SECRET_KEY
AWS_REGION=$KINESIS_REGION
AWS_DEFAULT_REGION=$KINESIS_REGION
AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_DEFAULT_REGION \
    AWS_EC2_METADATA_DISABLED
kpy() { "$PY" "$SRC/t/py/kinesis.py" --endpoint "$E" "$@"; }

"$BIN/tel-gen" --schema truck --trucks 100 -n "$N" -s 1 \
    --start 2026-11-22T18:00:00Z >"$tmp/in"
sort "$tmp/in" >"$tmp/in.sorted"

# run CMD: "WALL_NS CPU_NS" of a shell command (CPU: user + system of it
# and everything it waited for).
run() {
	"$PY" -c 'import os, resource, subprocess, sys, time
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
c, t = cpu(), time.monotonic_ns()
subprocess.run(sys.argv[1], shell=True, check=True)
print(time.monotonic_ns() - t, int((cpu() - c) * 1e9))' "$1"
}

# check FILE: the records read are the records put, byte for byte.
check() {
	sort "$1" | cmp -s - "$tmp/in.sorted" ||
		{ echo "bench kinesis: $1 is not what was put" >&2; exit 1; }
}

put_tel() {
	TP="$TP $(run "'$BIN/tel-kinesis-put' --endpoint $E -t tel-$r -k truck_id <'$tmp/in' >'$tmp/failed'")"
	test ! -s "$tmp/failed" || { echo "bench kinesis: tel-kinesis-put failed lines" >&2; exit 1; }
}
put_boto() {
	BP="$BP $(run "'$PY' '$SRC/t/py/kinesis.py' --endpoint $E put --key-field truck_id boto-$r <'$tmp/in'")"
}
cat_tel() {
	TC="$TC $(run "'$BIN/tel-kinesis-cat' --endpoint $E -t boto-$r -e >'$tmp/out.tel'")"
	check "$tmp/out.tel"
}
cat_boto() {
	BC="$BC $(run "'$PY' '$SRC/t/py/kinesis.py' --endpoint $E dump --data tel-$r >'$tmp/out.boto'")"
	check "$tmp/out.boto"
}

# Round 0 warms the server and does not count; who goes first alternates.
TP= BP= TC= BC=
r=0
while [ $r -le "$ROUNDS" ]; do
	kpy create tel-$r $SHARDS && kpy create boto-$r $SHARDS
	if [ $((r % 2)) = 1 ]; then
		put_tel; put_boto; cat_tel; cat_boto
	else
		put_boto; put_tel; cat_boto; cat_tel
	fi
	if [ $r = 0 ]; then TP= BP= TC= BC=; fi
	r=$((r + 1))
done

# Each run is "WALL CPU" pairs, one per round.
awk -v n="$N" -v TP="$TP" -v BP="$BP" -v TC="$TC" -v BC="$BC" -v s=$SHARDS \
    -v r="$ROUNDS" '
# the median over the rounds of field f (1 wall, 2 CPU) of list l
function med(l, f,   a, k, i, j, x, q, m) {
	k = split(l, a, " ")
	m = 0
	for (i = f; i <= k; i += 2) q[++m] = a[i] + 0
	for (i = 2; i <= m; i++)
		for (j = i; j > 1 && q[j - 1] > q[j]; j--) { x = q[j]; q[j] = q[j - 1]; q[j - 1] = x }
	return m % 2 ? q[(m + 1) / 2] : (q[m / 2] + q[m / 2 + 1]) / 2
}
function row(name, l) {
	printf "%-40s %10.0f %14.2f\n", name, n / (med(l, 1) / 1e9), med(l, 2) / 1e9 / (n / 1e6)
}
BEGIN {
	printf "Kinesis benchmark: %d truck records, %d shards, one kinesalite, %d rounds (medians)\n", n, s, r
	printf "%-40s %10s %14s\n", "client", "records/s", "CPU s per 1M"
	row("tel-kinesis-put -k truck_id", TP)
	row("boto3 PutRecords x500 (kinesis.py put)", BP)
	row("tel-kinesis-cat -e", TC)
	row("boto3 GetRecords loop (kinesis.py dump)", BC)
	printf "ratio tel-kinesis-put/boto3: %.2f records/s, %.2f CPU (boto3 CPU / ours)\n", med(BP, 1) / med(TP, 1), med(BP, 2) / med(TP, 2)
	printf "ratio tel-kinesis-cat/boto3: %.2f records/s, %.2f CPU (boto3 CPU / ours)\n", med(BC, 1) / med(TC, 1), med(BC, 2) / med(TC, 2)
}'
