#!/bin/sh
# Benchmark: what --ack costs.  The cron consumer
#
#   tel-kafka-cat -G -e | tel-batch | tel-s3-put                 (plain)
#   tel-kafka-cat -G -e --ack FIFO | tel-batch | tel-s3-put |
#       tee LOG >FIFO                                           (--ack)
#
# on the same backlog of N tel-gen events (default 1M) in one real Kafka
# broker, into MinIO, both on loopback (t/peers), in alternating rounds,
# each with a group of its own so that each reads the whole backlog.  It
# prints each round's events/s, the median of the rounds' ratios --ack /
# plain (the bar: >= 0.95) and the CPU seconds of the three tools per 1M
# events.  Each run is checked: N records in the objects stored, and with
# --ack every checkpoint back.
#
# Environment: TEL_BUILD (default build), TEL_BENCH_ACK_EVENTS (N,
# default 1000000), TEL_BENCH_ROUNDS (default 3), TEL_TEST_CACHE (the
# peers).  A missing peer skips the benchmark, exit 0.
set -eu

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${TEL_BUILD:-$SRC/build}/bin
N=${TEL_BENCH_ACK_EVENTS:-1000000}
ROUNDS=${TEL_BENCH_ROUNDS:-3}
CACHE=${TEL_TEST_CACHE:-${HOME:-/tmp}/.cache/tel-test}
PY=$CACHE/venv/bin/python
. "$SRC/t/bench/lib-peers.sh"
bench_peers ack
"$PY" "$SRC/t/py/s3.py" mb lake

"$BIN/tel-mktopic" -q -b "$B" -t backlog -P 4 -R 1 >/dev/null
"$BIN/tel-gen" -n "$N" -s 1 --start 2026-11-22T18:02:00Z |
	"$BIN/tel-kafka-put" -b "$B" -t backlog -k session_id >"$tmp/failed"
test -s "$tmp/failed" && die "the backlog was not all delivered"
mkfifo "$tmp/ack"

# run NAME MODE: one consumer run (MODE plain or ack) with a group of its
# own; prints "SECONDS CPU-SECONDS" (the tools' user+system time)
run() {
	spool=$tmp/spool.$1
	if [ "$2" = ack ]; then
		cmd="'$BIN/tel-kafka-cat' -b $B -t backlog -G $1 -e --ack '$tmp/ack' |
		    '$BIN/tel-batch' -d '$spool' --time-field event_timestamp |
		    '$BIN/tel-s3-put' -B lake --endpoint $S3_ENDPOINT |
		    tee '$tmp/$1.log' >'$tmp/ack'"
	else
		cmd="'$BIN/tel-kafka-cat' -b $B -t backlog -G $1 -e |
		    '$BIN/tel-batch' -d '$spool' --time-field event_timestamp |
		    '$BIN/tel-s3-put' -B lake --endpoint $S3_ENDPOINT >'$tmp/$1.log'"
	fi
	sync
	python3 -c 'import os, subprocess, sys, time
t = time.monotonic()
subprocess.run(["bash", "-o", "pipefail", "-ec", sys.argv[1]], check=True)
r = os.times()
print("%.3f %.3f" % (time.monotonic() - t, r.children_user + r.children_system))' "$cmd"
	got=$(python3 -c 'import json, sys
print(sum(json.loads(l).get("records", 0) for l in open(sys.argv[1])))' "$tmp/$1.log")
	[ "$got" = "$N" ] || die "$1: $got records stored, not $N"
	if [ "$2" = ack ]; then
		grep -q '"flush":true' "$tmp/$1.log" || die "$1: the last checkpoint did not come back"
	fi
	rm -rf "$spool"
}

echo "bench ack: the cron consumer on a backlog of $N events, plain and with --ack ($ROUNDS rounds, alternating)"
printf '%-6s %-6s %10s %12s %14s\n' round mode seconds events/s cpu-s/1M
ratios=
r=1
while [ $r -le $ROUNDS ]; do
	for mode in $( [ $((r % 2)) = 1 ] && echo "plain ack" || echo "ack plain"); do
		set -- $(run "$mode$r" $mode)
		eval "t_$mode=$1"
		awk -v r=$r -v m=$mode -v t="$1" -v c="$2" -v n=$N 'BEGIN {
		    printf "%-6s %-6s %10.2f %12.0f %14.2f\n", r, m, t, n / t,
		    c * 1000000 / n }'
	done
	ratios="$ratios $(awk -v a="$t_plain" -v b="$t_ack" 'BEGIN { print a / b }')"
	r=$((r + 1))
done
median=$(echo $ratios | tr ' ' '\n' | sort -n | awk '{ a[NR] = $1 } END {
	printf "%.3f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
echo "bench ack: --ack / plain speed, median of the rounds: $median (bar: >= 0.95); rounds:$(for x in $ratios; do printf ' %.3f' $x; done)"
