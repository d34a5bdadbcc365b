#!/bin/sh
# Benchmark: the whole pipeline on this machine, one real Kafka broker and
# MinIO on loopback (t/peers/kafka.sh, t/peers/minio.sh), 1M tel-gen events
# by default:
#
#   producer   tel-gen | tel-kafka-put -k session_id          (alone; and
#              without -k, to compare with kcat -P, which sends no keys)
#   consumer   tel-kafka-cat -G -e | tel-batch | tel-s3-put   (alone, on
#              the backlog the producer left)
#   overall    both halves at once, on a fresh topic: from the producer's
#              start until the last object is stored (the consumer stops
#              after N lines, -c)
#   the consumer again with tel-batch -l 1, to show what compression costs,
#   and as two pipelines in one group (scaling out); overall again with
#   tel-batch -l 1; and the CPU seconds each part of the overall runs took
#   (producer, consumer, broker, MinIO), against the 2 x 5 s that 200,000
#   events/s would leave for 1M events on 2 cores
#
# and, on the same events in the same run, the peers' pipeline: tel-gen |
# kcat -P, and kcat -C -e | gzip | s5cmd pipe (one object, no validation,
# partitioning, spool or at-least-once: a floor, not an equal).  Each run
# is checked: N messages acknowledged, N records in the objects stored.
#
# Environment: TEL_BUILD (default build), TEL_BENCH_PIPELINE_EVENTS (N,
# default 1000000), TEL_BENCH_LEVEL (gzip level of tel-batch and the peer's
# gzip, default 6), TEL_BENCH_ROUNDS (default 2; the best of each run
# counts), TEL_TEST_CACHE (peers' binaries and venv).  A missing
# peer (MinIO, s5cmd, the venv) skips the benchmark, exit 0.
set -eu

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${TEL_BUILD:-$SRC/build}/bin
N=${TEL_BENCH_PIPELINE_EVENTS:-1000000}
LEVEL=${TEL_BENCH_LEVEL:-6}
PARTS=4
ROUNDS=${TEL_BENCH_ROUNDS:-2}
CACHE=${TEL_TEST_CACHE:-${HOME:-/tmp}/.cache/tel-test}
PY=$CACHE/venv/bin/python
S5CMD=$CACHE/bin/s5cmd
START=2026-11-22T18:02:00Z
. "$SRC/t/bench/lib-peers.sh"
bench_peers pipeline "$S5CMD"
"$PY" "$SRC/t/py/s3.py" mb lake
"$PY" "$SRC/t/py/s3.py" mb peer

GEN="'$BIN/tel-gen' -n $N -s 1 --start $START"
bytes=$("$BIN/tel-gen" -n "$N" -s 1 --start $START | wc -c)

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

topic() {
	"$BIN/tel-mktopic" -q -b "$B" -t "$1" -P $PARTS -R 1 >/dev/null
}

# consumer TOPIC GROUP SPOOL LOG CAT-OPTIONS [LEVEL]: the consumer pipeline
consumer() {
	echo "'$BIN/tel-kafka-cat' -b $B -t $1 -G $2 $5 |
	    '$BIN/tel-batch' -l ${6:-$LEVEL} -d '$3' --time-field event_timestamp |
	    '$BIN/tel-s3-put' -j 2 -B lake --endpoint $S3_ENDPOINT >'$4'"
}

# stored LOG: records in the objects a result log names
stored() {
	python3 -c 'import json, sys
print(sum(json.loads(l)["records"] for l in open(sys.argv[1])))' "$1"
}

acked() {
	sed -n 's/.*"acked":\([0-9]*\).*/\1/p' "$1"
}

check() {
	test "$2" = "$N" || die "$1: $2 events, not $N"
}

min() { if [ -z "$1" ] || [ "$2" -lt "$1" ]; then echo "$2"; else echo "$1"; fi; }

# overall TOPIC GROUP SPOOL LOG [LEVEL]: both halves at once; the
# consumer joins first, the clock starts with the producer and stops when
# the last object is stored.  Prints the time of the whole and of the
# producer half, and the CPU seconds of the producer, the consumer, the
# broker and MinIO over the whole (from their rusage and /proc).
overall() {
	"$PY" - "$(consumer "$1" "$2" "$3" "$4" "-c $N -v" "${5:-$LEVEL}")" \
	    "$GEN | '$BIN/tel-kafka-put' -v -b $B -t $1 -k session_id >'$tmp/failed' 2>'$tmp/put.err'" \
	    "$tmp/cat.err" "$(cat "$tmp/kafka/node1.pid")" "$MINIO_PID" <<-\EOF
	import os, resource, signal, subprocess, sys, time
	cons, prod, err, broker, minio = sys.argv[1:]
	def cpu(pid):
	    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
	    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
	def kids():
	    r = resource.getrusage(resource.RUSAGE_CHILDREN)
	    return r.ru_utime + r.ru_stime
	# its own process group, so that a failure stops the whole pipeline
	c = subprocess.Popen(cons, shell=True, stderr=open(err, "w"),
	                     start_new_session=True)
	def give_up(why):
	    try:
	        os.killpg(c.pid, signal.SIGTERM)
	    except ProcessLookupError:
	        pass
	    c.wait()
	    sys.exit("bench pipeline: " + why + ": " + open(err).read()[-500:])
	deadline = time.monotonic() + 60
	while b"assigned" not in open(err, "rb").read():
	    if time.monotonic() > deadline or c.poll() is not None:
	        give_up("the consumer never joined")
	    time.sleep(0.05)
	b0, m0, k0 = cpu(broker), cpu(minio), kids()
	t = time.monotonic_ns()
	if subprocess.run(prod, shell=True).returncode != 0:
	    give_up("the producer failed")
	t_prod = time.monotonic_ns() - t
	k1 = kids()
	if c.wait() != 0:
	    give_up("the consumer pipeline failed")
	t_all = time.monotonic_ns() - t
	print(t_all, t_prod, "%.2f %.2f %.2f %.2f" % (k1 - k0, kids() - k1,
	    cpu(broker) - b0, cpu(minio) - m0))
	EOF
}

# Each round: the producer alone (keyed; unkeyed; kcat -P, which sends no
# keys), then the consumers alone on those backlogs, then both halves at
# once.  The best time of each run over the rounds counts.
t_put='' t_put0='' t_kput='' t_cons='' t_cons1='' t_cons2='' t_kcons='' t_all='' t_all_prod=''
t_all1='' cpu='' cpu1=''
r=1
while [ $r -le "$ROUNDS" ]; do
	rm -rf "$tmp"/spool* "$tmp"/log*
	for t in stage unkeyed peer overall overall1; do topic $t-$r; done
	t_put=$(min "$t_put" "$(ns "$GEN | '$BIN/tel-kafka-put' -v -b $B -t stage-$r -k session_id >'$tmp/failed' 2>'$tmp/put.err'")")
	check "tel-kafka-put" "$(acked "$tmp/put.err")"
	t_kput=$(min "$t_kput" "$(ns "$GEN | kcat -P -b $B -t peer-$r")")
	t_put0=$(min "$t_put0" "$(ns "$GEN | '$BIN/tel-kafka-put' -v -b $B -t unkeyed-$r >'$tmp/failed' 2>'$tmp/put.err'")")
	check "tel-kafka-put unkeyed" "$(acked "$tmp/put.err")"

	t_cons=$(min "$t_cons" "$(ns "$(consumer stage-$r g1-$r "$tmp/spool1" "$tmp/log1" -e)")")
	check "consumer pipeline" "$(stored "$tmp/log1")"
	t_kcons=$(min "$t_kcons" "$(ns "kcat -C -b $B -t peer-$r -o beginning -e -q | gzip -$LEVEL |
	    '$S5CMD' --endpoint-url $S3_ENDPOINT pipe s3://peer/all-$r.gz >/dev/null")")
	check "peer pipeline" "$("$PY" "$SRC/t/py/s3.py" get peer all-$r.gz | gzip -dc | wc -l)"
	# the same at gzip -1: how much of the consumer's time is compression
	t_cons1=$(min "$t_cons1" "$(ns "$(consumer stage-$r g3-$r "$tmp/spool3" "$tmp/log3" -e 1)")")
	check "consumer pipeline -l 1" "$(stored "$tmp/log3")"
	# two pipelines in one group, each with its spool: scaling out
	t_cons2=$(min "$t_cons2" "$(ns "{ $(consumer stage-$r g4-$r "$tmp/spool4" "$tmp/log4" -e) ; } &
	    $(consumer stage-$r g4-$r "$tmp/spool5" "$tmp/log5" -e) && wait \$!")")
	cat "$tmp/log4" "$tmp/log5" >"$tmp/log45"
	check "two consumer pipelines" "$(stored "$tmp/log45")"

	res=$(overall overall-$r g2-$r "$tmp/spool2" "$tmp/log2")
	set -- $res
	if [ -z "$t_all" ] || [ "$1" -lt "$t_all" ]; then t_all=$1 t_all_prod=$2 cpu="$3 $4 $5 $6"; fi
	check "overall tel-kafka-put" "$(acked "$tmp/put.err")"
	check "overall consumer pipeline" "$(stored "$tmp/log2")"
	# the same with tel-batch -l 1: the CPU that compression takes
	res=$(overall overall1-$r g6-$r "$tmp/spool6" "$tmp/log6" 1)
	set -- $res
	if [ -z "$t_all1" ] || [ "$1" -lt "$t_all1" ]; then t_all1=$1 cpu1="$3 $4 $5 $6"; fi
	check "overall -l 1 tel-kafka-put" "$(acked "$tmp/put.err")"
	check "overall -l 1 consumer pipeline" "$(stored "$tmp/log6")"
	r=$((r + 1))
done

awk -v n="$N" -v b="$bytes" -v tp="$t_put" -v tc="$t_cons" -v ta="$t_all" \
    -v tap="$t_all_prod" -v kp="$t_kput" -v kc="$t_kcons" -v l="$LEVEL" -v tc1="$t_cons1" -v tp0="$t_put0" -v tc2="$t_cons2" \
    -v p=$PARTS -v r="$ROUNDS" -v ta1="$t_all1" -v cpu="$cpu" -v cpu1="$cpu1" 'BEGIN {
	printf "Pipeline benchmark: %d tel-gen events (%.0f MB), one broker (%d partitions) and MinIO on loopback, gzip -%d, best of %d\n", n, b / 1e6, p, l, r
	printf "%-58s %12s %10s\n", "run", "events/s", "MB/s"
	printf "%-58s %12.0f %10.1f\n", "producer: tel-gen | tel-kafka-put", n / (tp / 1e9), b / 1e6 / (tp / 1e9)
	printf "%-58s %12.0f %10.1f\n", "  the same without -k", n / (tp0 / 1e9), b / 1e6 / (tp0 / 1e9)
	printf "%-58s %12.0f %10.1f\n", "  peer: tel-gen | kcat -P (no keys)", n / (kp / 1e9), b / 1e6 / (kp / 1e9)
	printf "%-58s %12.0f %10.1f\n", "consumer: tel-kafka-cat -G -e | tel-batch | tel-s3-put", n / (tc / 1e9), b / 1e6 / (tc / 1e9)
	printf "%-58s %12.0f %10.1f\n", "  peer: kcat -C -e | gzip | s5cmd pipe (one object)", n / (kc / 1e9), b / 1e6 / (kc / 1e9)
	printf "%-58s %12.0f %10.1f\n", "  the consumer with tel-batch -l 1", n / (tc1 / 1e9), b / 1e6 / (tc1 / 1e9)
	printf "%-58s %12.0f %10.1f\n", "  two consumer pipelines in one group", n / (tc2 / 1e9), b / 1e6 / (tc2 / 1e9)
	printf "%-58s %12.0f %10.1f\n", "overall, both halves at once: end to end", n / (ta / 1e9), b / 1e6 / (ta / 1e9)
	printf "%-58s %12.0f %10.1f\n", "  of which the producer half", n / (tap / 1e9), b / 1e6 / (tap / 1e9)
	printf "ratio producer tel/peer (both without keys): %.2f; consumer tel/peer: %.2f\n", kp / tp0, kc / tc
	printf "%-58s %12.0f %10.1f\n", "overall with tel-batch -l 1", n / (ta1 / 1e9), b / 1e6 / (ta1 / 1e9)
	# CPU seconds of each part of the overall runs, against what 2 cores give
	split(cpu, c, " "); split(cpu1, d, " ")
	printf "CPU seconds of the overall run (-l %d; -l 1): producer %.1f; %.1f, consumer %.1f; %.1f, broker %.1f; %.1f, MinIO %.1f; %.1f\n", l, c[1], d[1], c[2], d[2], c[3], d[3], c[4], d[4]
	printf "  in all %.1f; %.1f CPU seconds; 200,000 events/s would leave %.1f (2 cores x %.1f s)\n", c[1] + c[2] + c[3] + c[4], d[1] + d[2] + d[3] + d[4], 2 * n / 200000, n / 200000
	printf "bar: >= 200,000 events/s end to end: %s\n", (n / (ta / 1e9) >= 200000) ? "met" : "NOT MET"
}'
