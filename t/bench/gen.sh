#!/bin/sh
# Benchmark: tel-gen throughput, against cat moving the same bytes
# through a pipe.  Best of 3 runs each; prints events/s, MB/s, ratio.
set -eu

BIN=${TEL_BUILD:-build}/bin
N=${TEL_BENCH_EVENTS:-2000000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tel-bench-gen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

now_ns() { date +%s%N; }

# best_of CMD: fastest wall time of three runs, in ns
best_of() {
	best=
	for _ in 1 2 3; do
		t0=$(now_ns)
		sh -c "$1"
		t=$(( $(now_ns) - t0 ))
		if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
	done
	echo "$best"
}

"$BIN/tel-gen" -n "$N" -s 1 --start 2026-11-22T18:00:00Z >"$tmp/events"
bytes=$(wc -c <"$tmp/events")

t_null=$(best_of "'$BIN/tel-gen' -n $N -s 1 >/dev/null")
t_pipe=$(best_of "'$BIN/tel-gen' -n $N -s 1 | cat >/dev/null")
t_cat=$(best_of "cat '$tmp/events' | cat >/dev/null")
t_truck=$(best_of "'$BIN/tel-gen' --schema truck -n $N -s 1 >/dev/null")

awk -v n="$N" -v b="$bytes" -v tn="$t_null" -v tp="$t_pipe" -v tc="$t_cat" \
    -v tt="$t_truck" 'BEGIN {
	printf "tel-gen benchmark: %d events, %.1f MB (%.0f bytes/event)\n", n, b / 1e6, b / n
	printf "%-34s %12s %10s\n", "run", "events/s", "MB/s"
	printf "%-34s %12.0f %10.1f\n", "tel-gen > /dev/null", n / (tn / 1e9), b / 1e6 / (tn / 1e9)
	printf "%-34s %12.0f %10.1f\n", "tel-gen | cat > /dev/null", n / (tp / 1e9), b / 1e6 / (tp / 1e9)
	printf "%-34s %12s %10.1f\n", "cat file | cat > /dev/null (peer)", "-", b / 1e6 / (tc / 1e9)
	printf "%-34s %12.0f %10s\n", "tel-gen --schema truck > /dev/null", n / (tt / 1e9), "-"
	printf "ratio tel-gen|cat vs cat|cat (same bytes): %.2f\n", tc / tp
	printf "bar: >= 1,000,000 events/s into /dev/null: %s\n", (n / (tn / 1e9) >= 1e6) ? "met" : "NOT MET"
}'
