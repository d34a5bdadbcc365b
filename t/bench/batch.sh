#!/bin/sh
# Benchmark: tel-batch against gzip at the same level on the same bytes
# (1 GB of tel-gen output by default): throughput ratio, output size,
# peak RSS; and against pigz on as many threads as CPUs (tel-batch's
# default), if installed.  Best of 2 runs each.
set -eu

BIN=${TEL_BUILD:-build}/bin
N=${TEL_BENCH_BATCH_EVENTS:-1700000}	# about 1 GB
LEVEL=${TEL_BENCH_LEVEL:-6}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tel-bench-batch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

"$BIN/tel-gen" -n "$N" -s 1 --start 2026-11-22T18:00:00Z >"$tmp/in"
bytes=$(wc -c <"$tmp/in")

# run NAME CMD: best wall time (ns) and peak RSS (KiB) of two runs
run() {
	python3 - "$tmp" "$@" <<-\EOF
	import os, resource, shutil, subprocess, sys, time
	tmp, cmd = sys.argv[1], sys.argv[2]
	best = None
	for _ in range(2):
	    shutil.rmtree(tmp + "/spool", ignore_errors=True)
	    t = time.monotonic_ns()
	    subprocess.run(cmd, shell=True, check=True)
	    t = time.monotonic_ns() - t
	    best = t if best is None or t < best else best
	print(best, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
	EOF
}

set -- $(run "gzip -$LEVEL <'$tmp/in' >'$tmp/out.gz'")
t_gzip=$1 rss_gzip=$2
size_gzip=$(wc -c <"$tmp/out.gz")
# pigz (Debian) on as many threads as tel-batch: the parallel peer
t_pigz=0 size_pigz=0 rss_pigz=0
if command -v pigz >/dev/null 2>&1; then
	set -- $(run "pigz -$LEVEL -p $(nproc) <'$tmp/in' >'$tmp/out.gz'")
	t_pigz=$1 rss_pigz=$2
	size_pigz=$(wc -c <"$tmp/out.gz")
fi
set -- $(run "'$BIN/tel-batch' -l $LEVEL --max-bytes 2G -d '$tmp/spool' <'$tmp/in' >'$tmp/manifest'")
t_batch=$1 rss_batch=$2
size_batch=$(python3 -c "import json,sys; print(sum(json.loads(l)['bytes'] for l in open(sys.argv[1])))" "$tmp/manifest")

awk -v b="$bytes" -v tg="$t_gzip" -v tb="$t_batch" -v sg="$size_gzip" \
    -v sb="$size_batch" -v rg="$rss_gzip" -v rb="$rss_batch" -v l="$LEVEL" \
    -v tz="$t_pigz" -v sz="$size_pigz" -v rz="$rss_pigz" -v nc="$(nproc)" 'BEGIN {
	printf "tel-batch benchmark: %.0f MB of tel-gen NDJSON, gzip level %d\n", b / 1e6, l
	printf "%-28s %10s %14s %12s\n", "run", "MB/s", "output bytes", "peak RSS"
	printf "%-28s %10.1f %14d %9d KiB\n", "gzip -" l, b / 1e6 / (tg / 1e9), sg, rg
	if (tz > 0)
		printf "%-28s %10.1f %14d %9d KiB\n", "pigz -" l " -p " nc, b / 1e6 / (tz / 1e9), sz, rz
	else
		printf "%-28s %10s\n", "pigz", "skipped: not installed"
	printf "%-28s %10.1f %14d %9d KiB\n", "tel-batch -l " l, b / 1e6 / (tb / 1e9), sb, rb
	printf "throughput ratio tel-batch/gzip: %.2f (bar >= 0.95)\n", tg / tb
	printf "size ratio tel-batch/gzip: %.4f (bar within 1%%)\n", sb / sg
	if (tz > 0)
		printf "ratios tel-batch/pigz: throughput %.2f, size %.4f\n", tz / tb, sb / sz
}'
