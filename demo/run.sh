#!/bin/sh
# The whole tel pipeline, offline, in a few seconds:
#
#   mock-kafka (librdkafka's mock cluster, in one process of ours)
#   tel-gen -n N -s 42 | tel-kafka-put -k session_id           the producer
#   tel-kafka-cat -G lake -e --ack ack | tel-batch |
#       tel-s3-put file:// | tee -a landed.ndjson >ack           the cron consumer
#
# twice, as two rounds of cron would run them (the second round with a
# tenth as many events, which is all its consumer run must read), then
# shows what landed where and checks that every event arrived once.
#
# usage: demo/run.sh [-n events] [-P partitions] [-w workdir]
# TEL_BUILD is the build tree (bin/ and demo/mock-kafka); default ./build.
# The work directory (default $TEL_BUILD/demo/run) holds the spool, the
# lake and the logs; the default one is emptied first, a -w one must be
# empty or new.  Exit status 0 when every count agrees, 1 otherwise.
set -eu

N=20000
P=8
W=
TOPIC=acme-telemetry
# The mock keeps at most 5 MiB of message sets per partition and drops
# the oldest beyond (rdkafka_mock.c, rd_kafka_mock_partition_init:
# max_size 5 MiB, max_cnt 100000, librdkafka 2.0.2; 12000 uncompressed
# events in one partition lose 4743).  An event and its record overhead
# take about 700 bytes uncompressed (tel-kafka-put's lz4 makes that about
# a fifth), so 4000 a partition on average leaves room for uneven keys
# even without compression; the helper's "dropped" count checks it.
PER_PARTITION_MAX=4000

usage() {
	echo "usage: demo/run.sh [-n events] [-P partitions] [-w workdir]" >&2
	exit 2
}

while getopts n:P:w: o; do
	case $o in
	n) N=$OPTARG ;;
	P) P=$OPTARG ;;
	w) W=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
case $N$P in *[!0-9]*|'') usage ;; esac
if [ ${#N} -gt 9 ] || [ ${#P} -gt 4 ] || [ "$N" -lt 1 ] || [ "$P" -lt 1 ] ||
    [ "$P" -gt 1000 ]; then
	usage
fi
M=$(((N + 9) / 10))
if [ $((N + M)) -gt $((P * PER_PARTITION_MAX)) ]; then
	echo "demo: $N events (and $M more) are too many for $P partitions" \
	    "of the mock's bounded log; give -P more" >&2
	exit 2
fi

BUILD=$(cd "${TEL_BUILD:-build}" && pwd)
BIN=$BUILD/bin
MOCK=$BUILD/demo/mock-kafka
for f in "$MOCK" "$BIN/tel-gen" "$BIN/tel-kafka-put" "$BIN/tel-kafka-cat" \
    "$BIN/tel-batch" "$BIN/tel-s3-put"; do
	[ -x "$f" ] || { echo "demo: $f: not built (make demo builds it)" >&2; exit 1; }
done

if [ -z "$W" ]; then
	W=$BUILD/demo/run
	rm -rf "$W"
elif [ -d "$W" ] && [ -n "$(ls -A "$W")" ]; then
	echo "demo: $W: not empty" >&2
	exit 2
fi
mkdir -p "$W/logs" "$W/lake"
W=$(cd "$W" && pwd)
SPOOL=$W/spool
LAKE=$W/lake
LOG=$W/logs

now_ms() {
	t=$(date +%s%N)
	case $t in
	*N) echo $(($(date +%s) * 1000)) ;;
	*) echo $((t / 1000000)) ;;
	esac
}

# The helper serves until its standard input, a FIFO that only this
# shell holds open for writing, ends: if the script dies, so does it.
HELPER=
stop_helper() {
	exec 3>&-
	if [ -n "$HELPER" ]; then
		kill "$HELPER" 2>/dev/null || :
		wait "$HELPER" 2>/dev/null || :
		HELPER=
	fi
}
trap 'stop_helper' EXIT
trap 'stop_helper; exit 130' INT
trap 'stop_helper; exit 143' TERM
trap 'stop_helper; exit 129' HUP

# A JSON number member of the last summary line in a log.
member() {
	sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p" "$2" | tail -n 1
}

start_helper() {
	mkfifo "$W/mock.ctl"
	exec 3<>"$W/mock.ctl"
	"$MOCK" -P "$P" -t "$TOPIC" <"$W/mock.ctl" >"$W/mock.out" \
	    2>"$LOG/mock-kafka.log" 3>&- &
	HELPER=$!
	echo "$HELPER" >"$W/mock.pid"
	i=0
	while ! [ -s "$W/mock.out" ]; do
		if ! kill -0 "$HELPER" 2>/dev/null || [ $i -ge 100 ]; then
			echo "demo: mock-kafka did not start:" >&2
			cat "$LOG/mock-kafka.log" >&2
			exit 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	BROKERS=$(head -n 1 "$W/mock.out")
}

# POSIX sh has no pipefail: each stage of a pipeline keeps its exit
# status in a file of its own, read back by status().
rc() {
	name=$1
	shift
	if "$@"; then r=0; else r=$?; fi
	echo "$r" >"$W/$name.rc"
}

status() {
	cat "$W/$1.rc" 2>/dev/null || echo "unknown"
}

# One cron run of the producer: $1 names its logs, $2 events, $3 seed.
produce() {
	echo "demo: tel-gen -n $2 -s $3 | tel-kafka-put -b $BROKERS -t $TOPIC -k session_id"
	rc "gen.$1" "$BIN/tel-gen" -v -n "$2" -s "$3" 2>"$LOG/tel-gen.$1.log" |
	rc "put.$1" "$BIN/tel-kafka-put" -v -b "$BROKERS" -t "$TOPIC" \
	    -k session_id >>"$W/failed.ndjson" 2>"$LOG/tel-kafka-put.$1.log"
}

# One cron run of the consumer; $1 names its logs.  The mock, unlike a
# broker, keeps a group that its last member left in rebalance until
# session.timeout.ms less a second has passed, and a new member waits
# for that (rdkafka_mock_cgrp.c, rd_kafka_mock_cgrp_rebalance): 6 s
# here, instead of the default 45 s, keeps the second run short.
# The safe form of tel(7): the FIFO brings tel-s3-put's result lines back,
# and tel-kafka-cat commits only what their checkpoints say is stored.
consume() {
	[ -p "$W/ack" ] || mkfifo "$W/ack"
	echo "demo: tel-kafka-cat -b $BROKERS -t $TOPIC -G lake -e --ack ack |"
	echo "        tel-batch -d $SPOOL | tel-s3-put -B lake --endpoint file://$LAKE |"
	echo "        tee -a landed.ndjson >ack"
	rc "cat.$1" "$BIN/tel-kafka-cat" -v -b "$BROKERS" -t "$TOPIC" \
	    -G lake -e -X session.timeout.ms=6000 --ack "$W/ack" \
	    2>"$LOG/tel-kafka-cat.$1.log" |
	rc "batch.$1" "$BIN/tel-batch" -v -d "$SPOOL" \
	    2>"$LOG/tel-batch.$1.log" |
	rc "s3.$1" "$BIN/tel-s3-put" -B lake --endpoint "file://$LAKE" \
	    2>"$LOG/tel-s3-put.$1.log" |
	tee -a "$W/landed.ndjson" >"$W/ack"
}

# The lake as an indented tree, each object with its records and bytes.
show_lake() {
	(cd "$LAKE" && find . -type f -name '*.gz' | sort) |
	while read -r f; do
		printf '%s %s %s\n' "$f" "$(gunzip -c "$LAKE/$f" | wc -l)" \
		    "$(wc -c <"$LAKE/$f")"
	done |
	awk '{
		n = split(substr($1, 3), seg, "/")
		path = ""
		for (i = 1; i < n; i++) {
			path = path "/" seg[i]
			if (!(path in seen)) {
				seen[path] = 1
				printf "%*s%s/\n", 2 * i, "", seg[i]
			}
		}
		printf "%*s%s  %d records, %d bytes\n", 2 * n, "", seg[n], $2, $3
	}'
}

fail() {
	echo "demo: FAILED: $*" >&2
	FAILED=1
}

t0=$(now_ms)
echo "demo: work directory $W"
start_helper
echo "demo: mock Kafka at $BROKERS: topic $TOPIC, $P partitions," \
    "made by the helper (the mock has no CreateTopics, so tel-mktopic" \
    "cannot make it there; against a real cluster: tel-mktopic -t $TOPIC)"

echo "demo: round 1"
produce 1 "$N" 42
consume 1
echo "demo: round 2: the consumer reads only what arrived since round 1"
produce 2 "$M" 43
consume 2

# End of input, not a signal: the helper reports its offsets and exits.
exec 3>&-
helper_rc=0
wait "$HELPER" || helper_rc=$?
HELPER=
t1=$(now_ms)

FAILED=0
[ "$helper_rc" = 0 ] ||
	fail "mock-kafka exited $helper_rc (log: $LOG/mock-kafka.log)"
for s in gen.1 put.1 cat.1 batch.1 s3.1 gen.2 put.2 cat.2 batch.2 s3.2; do
	[ "$(status $s)" = 0 ] || fail "$s exited $(status $s) (logs in $LOG)"
done
[ -s "$W/failed.ndjson" ] &&
	fail "$(wc -l <"$W/failed.ndjson") lines not delivered to Kafka: $W/failed.ndjson"

sum() {
	s=0
	for v in "$@"; do s=$((s + ${v:-0})); done
	echo "$s"
}
generated=$(sum "$(member events "$LOG/tel-gen.1.log")" \
    "$(member events "$LOG/tel-gen.2.log")")
acked=$(sum "$(member acked "$LOG/tel-kafka-put.1.log")" \
    "$(member acked "$LOG/tel-kafka-put.2.log")")
inkafka=$(member messages "$W/mock.out")
dropped=$(member dropped "$W/mock.out")
read1=$(member lines "$LOG/tel-kafka-cat.1.log")
read2=$(member lines "$LOG/tel-kafka-cat.2.log")
sent=$(sum "$(member checkpoints "$LOG/tel-kafka-cat.1.log")" \
    "$(member checkpoints "$LOG/tel-kafka-cat.2.log")")
back=$(sum "$(member checkpoints_returned "$LOG/tel-kafka-cat.1.log")" \
    "$(member checkpoints_returned "$LOG/tel-kafka-cat.2.log")")
objects=$(find "$LAKE" -type f -name '*.gz' | wc -l)
bytes=$(find "$LAKE" -type f -name '*.gz' -exec cat {} + | wc -c)
landed=$(find "$LAKE" -type f -name '*.gz' -exec gunzip -c {} + | wc -l)
distinct=$(find "$LAKE" -type f -name '*.gz' -exec gunzip -c {} + |
	sed -n 's/^{"event_id":"\(EVENT_[0-9a-f]*\)".*/\1/p' | sort -u | wc -l)
leftover=$(find "$SPOOL/ready" -type f 2>/dev/null | wc -l)

echo
echo "the lake, file://$LAKE, bucket \"lake\":"
show_lake
first=$(find "$LAKE" -type f -name '*.gz' | sort | head -n 1)
if [ -n "$first" ]; then
	echo
	echo "a sample record (the first of ${first#"$LAKE"/}):"
	gunzip -c "$first" | sed -n 1p
fi
echo
echo "the mock's log held ${inkafka:-?} messages and dropped ${dropped:-?}" \
    "(it keeps 5 MiB a partition); consumer run 1 read ${read1:-?}, run 2 ${read2:-?}"
echo "checkpoints: $sent written, $back came back from tel-s3-put and were committed"
echo "where the rest is: result log $W/landed.ndjson, logs $LOG/"

T=$((N + M))
[ "$generated" = "$T" ] || fail "tel-gen made $generated events, not $T"
[ "$acked" = "$T" ] || fail "Kafka acknowledged $acked of $T events"
[ "$inkafka" = "$T" ] || fail "the mock holds ${inkafka:-?} messages, not $T"
[ "$dropped" = 0 ] ||
	fail "the mock's bounded log dropped ${dropped:-?} messages (use -P)"
[ "$read1" = "$N" ] || fail "consumer run 1 read ${read1:-?} lines, not $N"
[ "$read2" = "$M" ] || fail "consumer run 2 read ${read2:-?} lines, not $M"
[ "$landed" = "$T" ] || fail "$landed records landed, not $T"
[ "$distinct" = "$T" ] || fail "$distinct distinct events landed, not $T"
[ "$leftover" = 0 ] || fail "$leftover batches left in $SPOOL/ready"
[ "$sent" -ge 2 ] && [ "$back" = "$sent" ] ||
	fail "checkpoints: $sent written, $back came back"

echo
printf 'demo: %s events generated, %s delivered to Kafka, %s landed in %s objects (%s bytes) in %d.%03d s' \
    "$generated" "$acked" "$landed" "$objects" "$bytes" \
    $(((t1 - t0) / 1000)) $(((t1 - t0) % 1000))
if [ "$FAILED" = 0 ]; then
	echo ": every event once, nothing lost"
else
	echo ": COUNTS DIFFER"
	exit 1
fi
