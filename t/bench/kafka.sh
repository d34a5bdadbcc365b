#!/bin/sh
# Benchmark: tel-kafka-put against kcat -P, and tel-kafka-cat against
# kcat -C -e, on the same tel-gen events (1M by default) and one real
# Kafka broker on loopback (t/peers/kafka.sh).  Rounds alternate the
# two tools; the best time of each counts.  tel-kafka-put runs with its
# defaults (acks=all, idempotence on); kcat with librdkafka's.
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

# ns CMD: wall time of a shell command, in nanoseconds
ns() {
	python3 -c 'import subprocess, sys, time
t = time.monotonic_ns()
subprocess.run(sys.argv[1], shell=True, check=True)
print(time.monotonic_ns() - t)' "$1"
}

min() { if [ -z "$1" ] || [ "$2" -lt "$1" ]; then echo "$2"; else echo "$1"; fi; }

tp= kp= tc= kc=
r=1
while [ $r -le "$ROUNDS" ]; do
	for t in tel-$r kcat-$r; do
		"$BIN/tel-mktopic" -q -b "$B" -t "$t" -P $PARTS -R 1 >/dev/null
	done
	tp=$(min "$tp" "$(ns "'$BIN/tel-kafka-put' ${TEL_BENCH_PUT_ARGS:-} -b $B -t tel-$r <'$tmp/in' >'$tmp/failed'")")
	test ! -s "$tmp/failed" || { echo "bench kafka: tel-kafka-put failed lines" >&2; exit 1; }
	kp=$(min "$kp" "$(ns "kcat -P -b $B -t kcat-$r <'$tmp/in'")")
	tc=$(min "$tc" "$(ns "'$BIN/tel-kafka-cat' ${TEL_BENCH_CAT_ARGS:-} -b $B -t kcat-$r -e >'$tmp/out.tel'")")
	kc=$(min "$kc" "$(ns "kcat -C -b $B -t tel-$r -o beginning -e -q >'$tmp/out.kcat'")")
	r=$((r + 1))
done
for f in out.tel out.kcat; do
	n=$(wc -l <"$tmp/$f")
	[ "$n" = "$N" ] || { echo "bench kafka: $f has $n lines, not $N" >&2; exit 1; }
done

awk -v n="$N" -v b="$bytes" -v tp="$tp" -v kp="$kp" -v tc="$tc" -v kc="$kc" \
    -v p=$PARTS -v r="$ROUNDS" 'BEGIN {
	printf "Kafka benchmark: %d tel-gen events (%.0f MB), %d partitions, one broker, best of %d\n", n, b / 1e6, p, r
	printf "%-40s %12s %10s\n", "run", "events/s", "MB/s"
	printf "%-40s %12.0f %10.1f\n", "tel-kafka-put (acks=all, idempotent)", n / (tp / 1e9), b / 1e6 / (tp / 1e9)
	printf "%-40s %12.0f %10.1f\n", "kcat -P", n / (kp / 1e9), b / 1e6 / (kp / 1e9)
	printf "%-40s %12.0f %10.1f\n", "tel-kafka-cat -e", n / (tc / 1e9), b / 1e6 / (tc / 1e9)
	printf "%-40s %12.0f %10.1f\n", "kcat -C -e", n / (kc / 1e9), b / 1e6 / (kc / 1e9)
	printf "ratio tel-kafka-put/kcat -P: %.2f (bar >= 1.0)\n", kp / tp
	printf "ratio tel-kafka-cat/kcat -C: %.2f (bar >= 1.0)\n", kc / tc
}'
