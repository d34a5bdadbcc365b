#!/usr/bin/env bash
# kinesalite.sh: a throwaway kinesalite (an Amazon Kinesis Data Streams
# server on LevelDB, from npm) on loopback.
#
#   kinesalite.sh start DIR     a fresh server: an empty store in DIR/db,
#                               a new port, new keys
#   kinesalite.sh restart DIR   the server of DIR again (stopped, crashed or
#                               running): the same store, port and keys, so
#                               streams, shards and records survive
#   kinesalite.sh stop DIR      stop it (the same as running DIR/stop); the
#                               store stays for restart
#   kinesalite.sh status DIR    exit 0 when it runs and answers
#
# start and restart write, in DIR (the convention of t/peers/run-suite):
#   env        shell assignments, written (whole, by rename) once the
#              server answers a ListStreams:
#                KINESIS_ENDPOINT=http://127.0.0.1:PORT
#                KINESIS_REGION=us-east-1
#                KINESIS_ACCESS_KEY=...  KINESIS_SECRET_KEY=...  (random per
#                    start, kept by restart; kinesalite checks neither)
#                KINESIS_STREAM_MS=N   how long a stream stays CREATING,
#                    DELETING or UPDATING (after CreateStream, DeleteStream,
#                    SplitShard, MergeShards)
#                KINESALITE_PID=...
#   kinesalite.pid  the server's PID; watchdog.pid, see TEL_PEER_OWNER
#   stop       executable, no arguments: stops by PID everything started
#              for DIR, waits for it to end, releases its port; idempotent
#   settings   what restart reuses (port, keys); db/  the LevelDB store
#   log        the server's output (appended to by restart)
#
# The server listens on 127.0.0.1 only (kinesalite's own command line would
# listen on every address: its module is started by a few lines of node
# here instead), closes its store on SIGTERM, and keeps everything in
# DIR/db: LevelDB writes each batch to its log file before kinesalite
# answers, so even a SIGKILL loses no acknowledged record.
#
# Ports come from 19000-29999, reserved in ${TMPDIR:-/tmp}/tel-test-ports
# under its lock (t/peers/lib-peer.sh); restart takes the same port again,
# and fails if someone else has it meanwhile.
#
# Environment: TEL_TEST_CACHE (default ~/.cache/tel-test), KINESALITE_BIN
# (default $TEL_TEST_CACHE/kinesalite/node_modules/.bin/kinesalite, from
# t/peers/setup.sh kinesalite), KINESALITE_NODE (default node),
# KINESALITE_STREAM_MS (default 100: a client that does not wait for ACTIVE
# fails, one that polls gets on at once), KINESALITE_SHARD_LIMIT (open shards
# of all streams together, default 10000: kinesalite's own default, 10,
# would not last a run that shares the server), KINESALITE_START_TIMEOUT
# (seconds, default 30), TEL_TEST_PORTS, TEL_PEER_OWNER=PID (a watchdog
# stops the server once that process is gone).
#
# On failure start and restart exit non-zero with the reason as the last
# line on stderr.
set -u

me=kinesalite.sh
CACHE=${TEL_TEST_CACHE:-${HOME:-/tmp}/.cache/tel-test}
SERVER=kinesalite
SERVER_NAME=kinesalite
BIN=${KINESALITE_BIN:-$CACHE/kinesalite/node_modules/.bin/kinesalite}
NODE=${KINESALITE_NODE:-node}
STREAM_MS=${KINESALITE_STREAM_MS:-100}
SHARD_LIMIT=${KINESALITE_SHARD_LIMIT:-10000}
START_TIMEOUT=${KINESALITE_START_TIMEOUT:-30}
HEALTH_RATE=20
# shellcheck source=t/peers/lib-peer.sh
. "$(dirname "$0")/lib-peer.sh"

# kinesalite's module (index.js beside its cli.js), listening on loopback;
# on SIGTERM it closes the store, then exits (at most 3 s later in any
# case).  argv: BIN PORT DBPATH STREAM_MS SHARD_LIMIT.
LAUNCHER='
var fs = require("fs"), path = require("path"), a = process.argv.slice(1);
var kinesalite = require(path.join(path.dirname(fs.realpathSync(a[0])), "index.js"));
var ms = +a[3];
var server = kinesalite({path: a[2], createStreamMs: ms, deleteStreamMs: ms,
    updateStreamMs: ms, shardLimit: +a[4]});
server.on("error", function(e) { console.error("kinesalite: " + e.message); process.exit(1); });
server.listen(+a[1], "127.0.0.1", function() {
	console.log("Listening at http://127.0.0.1:" + server.address().port);
});
function bye() {
	setTimeout(function() { process.exit(0); }, 3000).unref();
	server.close(function() { process.exit(0); });
}
process.on("SIGTERM", bye);
process.on("SIGINT", bye);
'

randhex() {
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# kinesis_ok PORT: 127.0.0.1:PORT answers a ListStreams with 200 within 2 s
# (bash's /dev/tcp).  kinesalite checks that a signature is there, not
# what it is.
kinesis_ok() {
	local line=
	{ exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
	printf '%s\r\n' "POST / HTTP/1.1" "Host: 127.0.0.1:$1" \
	    "Content-Type: application/x-amz-json-1.1" \
	    "X-Amz-Target: Kinesis_20131202.ListStreams" \
	    "X-Amz-Date: 20260101T000000Z" \
	    "Authorization: AWS4-HMAC-SHA256 Credential=tel/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=00" \
	    "Content-Length: 2" "Connection: close" "" >&3 2>/dev/null
	printf '{}' >&3 2>/dev/null
	IFS= read -r -t 2 line <&3
	exec 3>&-
	case $line in "HTTP/1."?" 200"*) return 0 ;; esac
	return 1
}

check() {
	(. "$DIR/env" && kinesis_ok "${KINESIS_ENDPOINT##*:}")
}

launch() {
	if test -f "$(dirname "$(readlink -f "$BIN")")/index.js"; then
		setsid "$NODE" -e "$LAUNCHER" "$BIN" "$1" "$DIR/db" "$STREAM_MS" "$SHARD_LIMIT" \
		    </dev/null >>"$DIR/log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	else	# not kinesalite's package: its command line, on every address
		setsid "$BIN" --port "$1" --path "$DIR/db" --createStreamMs "$STREAM_MS" \
		    --deleteStreamMs "$STREAM_MS" --updateStreamMs "$STREAM_MS" \
		    --shardLimit "$SHARD_LIMIT" \
		    </dev/null >>"$DIR/log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	fi
}

write_env() {
	cat >"$DIR/env.tmp" <<EOF
KINESIS_ENDPOINT=http://127.0.0.1:$1
KINESIS_REGION=us-east-1
KINESIS_ACCESS_KEY=$key
KINESIS_SECRET_KEY=$secret
KINESIS_STREAM_MS=$STREAM_MS
KINESALITE_PID=$2
EOF
	mv "$DIR/env.tmp" "$DIR/env"
}

# try_port PORT: launch the server on PORT and wait for it to answer;
# then write_env.  Returns 0 up, 2 the port was taken, 1 anything else
# (said on stderr; the server stopped).
try_port() {
	local port=$1 pid ticks t0
	t0=$(date +%s%N)
	echo "--- $me: $(date -u +%FT%TZ) on 127.0.0.1:$port" >>"$DIR/log"
	launch "$port"
	pid=$!
	write_pid "$SERVER" "$pid"
	ticks=0
	while test $ticks -lt $((START_TIMEOUT * HEALTH_RATE)); do
		if kinesis_ok "$port"; then
			write_env "$port" "$pid"
			echo "$me: $SERVER_NAME pid $pid on 127.0.0.1:$port up in $((($(date +%s%N) - t0) / 1000000)) ms"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
		ticks=$((ticks + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "$me: $SERVER_NAME did not answer on 127.0.0.1:$port within ${START_TIMEOUT}s (log: $DIR/log)" >&2
		return 1
	fi
	wait "$pid" 2>/dev/null
	if tail -n 5 "$DIR/log" | grep -qi 'address already in use'; then
		echo "$me: port $port was taken" >&2
		return 2
	fi
	tail -n 20 "$DIR/log" >&2
	echo "$me: $SERVER_NAME exited at start (log: $DIR/log)" >&2
	return 1
}

# reserve_port PORT: reserve PORT for DIR again (alloc_ports' scheme),
# unless another directory holds it or something listens on it.
reserve_port() {
	mkdir -p "$PORTS_DIR" || die "cannot make $PORTS_DIR"
	(
		flock -w 60 8 || die "timed out waiting for $PORTS_DIR/.lock"
		r=$PORTS_DIR/$1
		if test -e "$r" && test "$(cat "$r" 2>/dev/null)" != "$DIR" &&
		    ! reservation_stale "$r"; then
			die "port $1 is reserved by $(cat "$r" 2>/dev/null) now"
		fi
		port_listening "$1" && die "port $1 is taken now"
		echo "$DIR" >"$r"
	) 8>"$PORTS_DIR/.lock"
}

# prologue: checks, DIR made absolute and physical, whatever ran for it
# stopped, a new stop script.
prologue() {
	test -x "$BIN" || test -f "$BIN" ||
		die "kinesalite is not installed ($BIN): run t/peers/setup.sh kinesalite"
	command -v "$NODE" >/dev/null 2>&1 ||
		die "no $NODE to run kinesalite (Debian: apt-get install nodejs npm)"
	mkdir -p "$DIR" || die "cannot make $DIR"
	DIR=$(cd "$DIR" && pwd -P)
}

kin_start() {
	local port rc
	prologue
	pidfile_alive "$DIR/$SERVER.pid" &&
		die "a $SERVER_NAME already runs for $DIR (pid $(cat "$DIR/$SERVER.pid")); restart reuses it"
	test -x "$DIR/stop" && stop_peer	# a stale watchdog, stale ports
	rm -rf "$DIR/env" "$DIR/db" "$DIR/settings"
	write_stop
	key=tel$(randhex 8)
	secret=$(randhex 20)
	: >"$DIR/log"
	watchdog
	for _ in 1 2 3 4 5; do
		port=$(alloc_ports 1) || exit 1
		printf 'port=%s\nkey=%s\nsecret=%s\n' "$port" "$key" "$secret" \
		    >"$DIR/settings.tmp" && mv "$DIR/settings.tmp" "$DIR/settings"
		try_port "$port"
		rc=$?
		test $rc = 0 && return 0
		test $rc = 2 || break
	done
	stop_peer
	if test $rc = 2; then
		die "$SERVER_NAME found no free port in 5 tries"
	fi
	die "$SERVER_NAME did not start (log: $DIR/log)"
}

kin_restart() {
	local tries
	prologue
	test -s "$DIR/settings" && test -d "$DIR/db" ||
		die "$DIR holds no kinesalite to restart (start it first)"
	. "$DIR/settings"
	test -x "$DIR/stop" && stop_peer
	write_stop
	reserve_port "$port" || { stop_peer; exit 1; }
	watchdog
	# The old server is gone (stop_peer waited), yet its port may be
	# refused for a moment: a few tries.
	for tries in 1 2 3 4 5; do
		try_port "$port"
		case $? in
		0) return 0 ;;
		2) sleep 1 ;;
		*) break ;;
		esac
	done
	stop_peer
	die "$SERVER_NAME did not restart on port $port ($tries tries; log: $DIR/log)"
}

case ${1:-} in
start|restart)
	test $# = 2 || die "usage: $me start|restart|stop|status DIR"
	DIR=$2
	"kin_$1"
	;;
stop|status|watch)
	server_main "$@"
	;;
*)
	die "usage: $me start|restart|stop|status DIR"
	;;
esac
