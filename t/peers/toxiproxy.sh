#!/usr/bin/env bash
# toxiproxy.sh: a toxiproxy server (TCP fault injection) on loopback.
#
#   toxiproxy.sh start DIR    start it, its HTTP API on a free port
#   toxiproxy.sh stop DIR     stop it (the same as running DIR/stop)
#   toxiproxy.sh status DIR   exit 0 when it runs and answers
#
# start writes, in DIR (the convention of t/peers/run-suite):
#   env            TOXIPROXY_URL=http://127.0.0.1:PORT  TOXIPROXY_PID=...
#                  (written, whole, once the API answers)
#   toxiproxy.pid, watchdog.pid, stop, log    as for minio.sh
# Proxies are made through the API (t/peers/toxi.py), each listening on a
# port reserved like the server's own.
#
# Environment: TEL_TEST_CACHE (default ~/.cache/tel-test), TOXIPROXY_BIN
# (default $TEL_TEST_CACHE/bin/toxiproxy-server, from t/peers/setup.sh
# toxiproxy), TOXIPROXY_START_TIMEOUT (seconds, default 20),
# TEL_TEST_PORTS, TEL_PEER_OWNER: see minio.sh.
#
# On failure start exits non-zero with the reason as its last line on
# stderr.
set -u

me=toxiproxy.sh
CACHE=${TEL_TEST_CACHE:-${HOME:-/tmp}/.cache/tel-test}
BIN=${TOXIPROXY_BIN:-$CACHE/bin/toxiproxy-server}
TIMEOUT=${TOXIPROXY_START_TIMEOUT:-20}
PORTS_DIR=${TEL_TEST_PORTS:-${TMPDIR:-/tmp}/tel-test-ports}
PORT_MIN=19000
PORT_MAX=29999

# ---- shared with minio.sh (keep the two copies alike) ---------------

die() {
	echo "$me: $*" >&2
	exit 1
}

# port_in_use PORT: some TCP socket has PORT as its local port, in any state.
port_in_use() {
	awk -v h="$(printf ':%04X' "$1")" \
	    'FNR > 1 && substr($2, length($2) - 4) == h { f = 1 } END { exit !f }' \
	    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# alloc_port DIR: print a free port, reserved for DIR (a file PORTS_DIR/PORT
# holding DIR; stale once DIR is gone or after a day).
alloc_port() {
	mkdir -p "$PORTS_DIR" || return 1
	(
		flock -w 60 8 || exit 1
		span=$((PORT_MAX - PORT_MIN + 1))
		p=$((PORT_MIN + $(od -An -N2 -tu2 /dev/urandom) % span))
		tried=0
		while test $tried -lt $span; do
			tried=$((tried + 1))
			p=$((p + 1))
			test $p -le $PORT_MAX || p=$PORT_MIN
			r=$PORTS_DIR/$p
			if test -e "$r"; then
				o=$(cat "$r" 2>/dev/null)
				test -n "$o" && test -d "$o" && test -z "$(find "$r" -mmin +1440 2>/dev/null)" &&
					continue
				rm -f "$r"
			fi
			port_in_use $p && continue
			echo "$1" >"$r"
			echo $p
			exit 0
		done
		exit 1
	) 8>"$PORTS_DIR/.lock"
}

# write_stop DIR: DIR/stop, which stops by PID what start began.
write_stop() {
	cat >"$1/stop.tmp" <<EOF
#!/bin/sh
# Stops what $me started for this directory: every process named in its
# *.pid files whose command line mentions the directory (so a recycled PID
# is never hit), SIGTERM then SIGKILL after 10 s; releases its ports.
# Idempotent.
d=\$(cd "\$(dirname "\$0")" && pwd -P) || exit 1
for f in "\$d"/watchdog.pid "\$d"/*.pid; do
	test -f "\$f" || continue
	pid=\$(cat "\$f")
	case \$pid in ''|*[!0-9]*) rm -f "\$f"; continue ;; esac
	if test "\$pid" != \$\$ && kill -0 "\$pid" 2>/dev/null &&
	    tr '\\0' ' ' <"/proc/\$pid/cmdline" 2>/dev/null | grep -qF "\$d"; then
		# its process group (each was started by setsid), else itself
		kill -TERM -"\$pid" 2>/dev/null || kill -TERM "\$pid" 2>/dev/null
		n=0
		while kill -0 "\$pid" 2>/dev/null && test \$n -lt 100; do
			sleep 0.1
			n=\$((n + 1))
		done
		if kill -0 "\$pid" 2>/dev/null; then
			echo "stop: pid \$pid ignored SIGTERM for 10 s; SIGKILL" >&2
			kill -KILL -"\$pid" 2>/dev/null || kill -KILL "\$pid" 2>/dev/null
			n=0
			while kill -0 "\$pid" 2>/dev/null && test \$n -lt 20; do
				sleep 0.1
				n=\$((n + 1))
			done
		fi
	fi
	rm -f "\$f"
done
rm -f "\$d/env"
for r in "$PORTS_DIR"/[0-9]*; do
	test "\$(cat "\$r" 2>/dev/null)" = "\$d" && rm -f "\$r"
done
exit 0
EOF
	chmod +x "$1/stop.tmp" && mv "$1/stop.tmp" "$1/stop"
}

# watchdog DIR: with TEL_PEER_OWNER set, run DIR/stop once that PID is gone.
watchdog() {
	test -n "${TEL_PEER_OWNER:-}" || return 0
	setsid sh -c 'while kill -0 "$1" 2>/dev/null && test -e "$2/stop"; do sleep 2; done
	    test -e "$2/stop" && exec "$2/stop"' tel-peer-watchdog "$TEL_PEER_OWNER" "$1" \
	    </dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	echo $! >"$1/watchdog.pid"
}

# http_ok PORT PATH: 127.0.0.1:PORT answers GET PATH with 200 within 2 s
# (bash's /dev/tcp: nothing else to install).
http_ok() {
	local line=
	{ exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
	printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$2" "$1" >&3 2>/dev/null
	IFS= read -r -t 2 line <&3
	exec 3>&-
	case $line in "HTTP/1."?" 200"*) return 0 ;; esac
	return 1
}

# alive DIR NAME: DIR/NAME.pid names a live process.
alive() {
	test -s "$1/$2.pid" && kill -0 "$(cat "$1/$2.pid")" 2>/dev/null
}

# ---- toxiproxy -----------------------------------------------------------

cmd_status() {
	local dir=$1
	alive "$dir" toxiproxy && test -s "$dir/env" || return 1
	(. "$dir/env" && http_ok "${TOXIPROXY_URL##*:}" /version)
}

cmd_start() {
	local dir=$1 port pid t0 ticks
	test -x "$BIN" || die "toxiproxy is not installed ($BIN): run t/peers/setup.sh toxiproxy"
	mkdir -p "$dir" || die "cannot make $dir"
	dir=$(cd "$dir" && pwd -P)
	alive "$dir" toxiproxy && die "a toxiproxy already runs for $dir (pid $(cat "$dir/toxiproxy.pid"))"
	test -x "$dir/stop" && "$dir/stop"	# a stale watchdog, stale ports
	rm -f "$dir/env"
	echo '[]' >"$dir/config.json"	# no proxies; puts DIR in the command line
	write_stop "$dir"
	watchdog "$dir"

	t0=$(date +%s%N)
	for _ in 1 2 3 4 5; do
		port=$(alloc_port "$dir") || die "no free port in $PORT_MIN-$PORT_MAX"
		LOG_LEVEL=${TOXIPROXY_LOG_LEVEL:-info} \
			setsid "$BIN" -host 127.0.0.1 -port "$port" -config "$dir/config.json" \
			</dev/null >"$dir/log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
		pid=$!
		echo "$pid" >"$dir/toxiproxy.pid"
		ticks=0
		while test $ticks -lt $((TIMEOUT * 20)); do
			if http_ok "$port" /version; then
				printf 'TOXIPROXY_URL=http://127.0.0.1:%s\nTOXIPROXY_PID=%s\n' \
				    "$port" "$pid" >"$dir/env.tmp"
				mv "$dir/env.tmp" "$dir/env"
				echo "$me: toxiproxy pid $pid on 127.0.0.1:$port up in $((($(date +%s%N) - t0) / 1000000)) ms"
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
			ticks=$((ticks + 1))
		done
		if kill -0 "$pid" 2>/dev/null; then
			"$dir/stop"
			die "toxiproxy did not answer on 127.0.0.1:$port within ${TIMEOUT}s (log: $dir/log)"
		fi
		wait "$pid" 2>/dev/null
		if grep -qi 'address already in use' "$dir/log"; then
			echo "$me: port $port was taken; another" >&2
			continue
		fi
		tail -n 20 "$dir/log" >&2
		"$dir/stop"
		die "toxiproxy exited at start (log: $dir/log)"
	done
	"$dir/stop"
	die "toxiproxy found no free port in 5 tries"
}

case ${1:-} in
start|status)
	test $# = 2 || die "usage: $me start|stop|status DIR"
	"cmd_$1" "$2"
	;;
stop)
	test $# = 2 || die "usage: $me start|stop|status DIR"
	test ! -x "$2/stop" || "$2/stop"
	;;
*)
	die "usage: $me start|stop|status DIR"
	;;
esac
