#!/bin/sh
# Benchmark: tel-kafka-put against kcat -P, and tel-kafka-cat against
# kcat -C -e, on the same tel-gen events (1M by default) and one real
# Kafka broker on loopback (t/peers/kafka.sh).  Rounds alternate the
# tools (below).  tel-kafka-put runs with its defaults (acks=all,
# idempotence on); kcat with librdkafka's.
set -eu

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${TEL_BUILD:-$SRC/build}/bin
N=${TEL_BENCH_KAFKA_EVENTS:-1000000}
ROUNDS=${TEL_BENCH_ROUNDS:-3}
PARTS=4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tel-bench-kafka.XXXXXX")
trap 'sh "$SRC/t/peers/kafka.sh" stop "$tmp/kafka" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

if ! sh "$SRC/t/peers/kafka.sh" start single "$tmp/kafka" >"$tmp/start.log" 2>&1; then
	cat "$tmp/start.log" >&2
	echo "bench kafka: no broker: $(tail -n 1 "$tmp/start.log")" >&2
	exit 1
fi
. "$tmp/kafka/env"
B=$KAFKA_BROKERS

"$BIN/tel-gen" -n "$N" -s 1 --start 2026-11-22T18:00:00Z >"$tmp/in"
bytes=$(wc -c <"$tmp/in")

# ns CMD: wall time of a shell command, in nanoseconds.  The dirty pages
# of the runs before are written back first (sync): else the kernel's
# writeback throttles the broker at some point of a run, and halves it.
ns() {
	sync
	python3 -c 'import subprocess, sys, time
t = time.monotonic_ns()
subprocess.run(sys.argv[1], shell=True, check=True)
print(time.monotonic_ns() - t)' "$1"
}

min() { if [ -z "$1" ] || [ "$2" -lt "$1" ]; then echo "$2"; else echo "$1"; fi; }

# Per round: tel-kafka-put, and tel-kafka-put --no-validate (none of our
# JSON work: is the client what bounds it?); kcat -P, and kcat -P with
# idempotence (like for like); tel-kafka-cat; kcat -C; tel first in odd
# rounds, kcat in even ones.  The runs of a round are close in time, so
# their ratios pair out the broker's drift (page cache, disk writeback):
# the median of the rounds' ratios is printed with the ratio of the best
# times.
put_tel() {
	TP="$TP $(ns "'$BIN/tel-kafka-put' ${TEL_BENCH_PUT_ARGS:-} -b $B -t tel-$r <'$tmp/in' >'$tmp/failed'")"
	test ! -s "$tmp/failed" || { echo "bench kafka: tel-kafka-put failed lines" >&2; exit 1; }
	TN="$TN $(ns "'$BIN/tel-kafka-put' --no-validate -b $B -t nov-$r <'$tmp/in' >'$tmp/failed'")"
}
put_kcat() {
	KP="$KP $(ns "kcat -P -b $B -t kcat-$r <'$tmp/in'")"
	KI="$KI $(ns "kcat -P -X enable.idempotence=true -b $B -t idem-$r <'$tmp/in'")"
}
cat_tel() {
	TC="$TC $(ns "'$BIN/tel-kafka-cat' ${TEL_BENCH_CAT_ARGS:-} -b $B -t kcat-$r -e >'$tmp/out.tel'")"
}
cat_kcat() {
	KC="$KC $(ns "kcat -C -b $B -t tel-$r -o beginning -e -q >'$tmp/out.kcat'")"
}

# A round 0 that does not count warms the broker's JIT.
TP= KP= TN= KI= TC= KC=
r=0
while [ $r -le "$ROUNDS" ]; do
	for t in tel-$r kcat-$r nov-$r idem-$r; do
		"$BIN/tel-mktopic" -q -b "$B" -t "$t" -P $PARTS -R 1 >/dev/null
	done
	# who goes first alternates
	if [ $((r % 2)) = 1 ]; then
		put_tel; put_kcat; cat_tel; cat_kcat
	else
		put_kcat; put_tel; cat_kcat; cat_tel
	fi
	if [ $r = 0 ]; then TP= KP= TN= KI= TC= KC=; fi
	r=$((r + 1))
done
for f in out.tel out.kcat; do
	n=$(wc -l <"$tmp/$f")
	[ "$n" = "$N" ] || { echo "bench kafka: $f has $n lines, not $N" >&2; exit 1; }
done

awk -v n="$N" -v b="$bytes" -v TP="$TP" -v KP="$KP" -v TN="$TN" -v KI="$KI" \
    -v TC="$TC" -v KC="$KC" -v p=$PARTS -v r="$ROUNDS" '
function best(s,   a, k, i, m) {
	k = split(s, a, " ")
	for (i = 1; i <= k; i++)
		if (m == "" || a[i] + 0 < m) m = a[i] + 0
	return m
}
# median over the rounds of peer time / tel time
function med(tel, peer,   a, c, k, i, j, x, q) {
	k = split(tel, a, " "); split(peer, c, " ")
	for (i = 1; i <= k; i++) q[i] = c[i] / a[i]
	for (i = 2; i <= k; i++)
		for (j = i; j > 1 && q[j - 1] > q[j]; j--) { x = q[j]; q[j] = q[j - 1]; q[j - 1] = x }
	return k % 2 ? q[(k + 1) / 2] : (q[k / 2] + q[k / 2 + 1]) / 2
}
function secs(s,   a, k, i, o) {
	k = split(s, a, " ")
	for (i = 1; i <= k; i++) o = o sprintf("%s%.2f", i > 1 ? " " : "", a[i] / 1e9)
	return o
}
function row(name, t) {
	printf "%-44s %12.0f %10.1f\n", name, n / (t / 1e9), b / 1e6 / (t / 1e9)
}
BEGIN {
	printf "Kafka benchmark: %d tel-gen events (%.0f MB), %d partitions, one broker, %d rounds\n", n, b / 1e6, p, r
	printf "%-44s %12s %10s\n", "run (best of the rounds)", "events/s", "MB/s"
	row("tel-kafka-put (acks=all, idempotent)", best(TP))
	row("kcat -P", best(KP))
	row("tel-kafka-put --no-validate", best(TN))
	row("kcat -P -X enable.idempotence=true", best(KI))
	row("tel-kafka-cat -e", best(TC))
	row("kcat -C -e", best(KC))
	printf "per round, seconds: put %s; kcat -P %s; put --no-validate %s; kcat -P idempotent %s; cat %s; kcat -C %s\n", secs(TP), secs(KP), secs(TN), secs(KI), secs(TC), secs(KC)
	printf "ratio tel-kafka-put/kcat -P: %.2f best, %.2f median of rounds (bar >= 1.0)\n", best(KP) / best(TP), med(TP, KP)
	printf "ratio tel-kafka-put/kcat -P idempotent: %.2f best, %.2f median\n", best(KI) / best(TP), med(TP, KI)
	printf "ratio tel-kafka-put/its --no-validate: %.2f best, %.2f median\n", best(TN) / best(TP), med(TP, TN)
	printf "ratio tel-kafka-cat/kcat -C: %.2f best, %.2f median of rounds (bar >= 1.0)\n", best(KC) / best(TC), med(TC, KC)
}'
