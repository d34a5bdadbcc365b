# lib-peer.sh: what the peer scripts of t/peers (kafka.sh, minio.sh,
# toxiproxy.sh) share; each sources it.  It owns the peer directory
# convention of t/peers/run-suite on the peer's side: the stop script, the
# PID files, stopping by PID only processes whose command line mentions the
# directory, the watchdog; and the port reservations, die, and starting a
# server that answers an HTTP health URL.  POSIX sh, but for http_ok and
# start_server (bash's /dev/tcp; only minio.sh and toxiproxy.sh call them).
#
# The sourcing script sets "me" (its name, for messages) and, before it
# calls anything that works on a peer, DIR: the peer's directory, absolute,
# spelt as the peer's processes' command lines spell it.  It may set
# STOP_TIMEOUT (seconds between SIGTERM and SIGKILL; default 10).  Its
# command line offers "stop DIR" (stop_peer) and "watch DIR OWNER" (watch),
# which DIR/stop and the watchdog run: kafka.sh's own, server_main's for a
# peer that is one server.
#
# What stop_peer and the watchdog use in DIR:
#   stop           written by write_stop: runs "SELF stop DIR"
#   NAME.pid       one per process of the peer (write_pid), stopped by stop
#   watchdog.pid   the watchdog's, stopped last
#   env            the peer script's, written last; stop removes it
#   stopped        stop was run: the watchdog has nothing left to watch
#
# Environment:
#   TEL_TEST_PORTS   port reservations (default ${TMPDIR:-/tmp}/tel-test-ports)
#   TEL_PEER_OWNER   a PID: when that process is gone, a watchdog stops the
#                    peer (so a test killed by SIGKILL leaks no server)

SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
# DIR/stop and the watchdog run SELF with the shell that runs it now.
if test -n "${BASH_VERSION:-}"; then
	PEER_SHELL=bash
else
	PEER_SHELL=sh
fi
PORTS_DIR=${TEL_TEST_PORTS:-${TMPDIR:-/tmp}/tel-test-ports}
# Ports are taken from here, below the kernel's ephemeral range
# (32768-60999), so no outgoing connection's local port takes ours.
PORT_MIN=19000
PORT_MAX=29999

die() {
	echo "$me: $*" >&2
	exit 1
}

# ---- processes ---------------------------------------------------------

# pid_alive PID: the process exists and is no zombie (a container's PID 1
# may never reap the orphans we leave it).
pid_alive() {
	case $1 in ''|*[!0-9]*) return 1 ;; esac
	kill -0 "$1" 2>/dev/null || return 1
	pa_state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
	test "$pa_state" != Z
}

# pid_ours PID: PID is alive and its command line mentions this peer's
# directory, so that a stale PID never gets a stranger killed.
pid_ours() {
	pid_alive "$1" || return 1
	tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null |
	    grep -qF -e "$DIR/" -e "$DIR "
}

# pidfile_alive FILE: FILE names a process of this peer's.
pidfile_alive() {
	test -s "$1" && pid_ours "$(cat "$1")"
}

# write_pid NAME PID: DIR/NAME.pid, whole or not at all (stop and the
# watchdog read it at any moment).
write_pid() {
	echo "$2" >"$DIR/$1.pid.new" && mv "$DIR/$1.pid.new" "$DIR/$1.pid"
}

# peer_pids: the PIDs of DIR/*.pid, the watchdog's excepted.
peer_pids() {
	for pp_file in "$DIR"/*.pid; do
		case $pp_file in */watchdog.pid) continue ;; esac
		if test -s "$pp_file"; then
			cat "$pp_file" 2>/dev/null || :
		fi
	done
}

# wait_while CHECK TICKS PID...: wait up to TICKS fifths of a second for
# CHECK PID to fail for every PID.
wait_while() {
	ww_check=$1 ww_ticks=$2
	shift 2
	while :; do
		ww_left=
		for ww_pid in "$@"; do
			"$ww_check" "$ww_pid" && ww_left=t
		done
		test -z "$ww_left" && return 0
		test "$ww_ticks" -gt 0 || return 1
		ww_ticks=$((ww_ticks - 1))
		sleep 0.2
	done
}

# wait_gone TICKS PID...: wait up to TICKS fifths of a second for the PIDs
# to be gone.
wait_gone() {
	wait_while pid_alive "$@"
}

# pid_exists PID: kill -0 finds PID, be it a zombie.
pid_exists() {
	kill -0 "$1" 2>/dev/null
}

# kill_group SIG PID: PID's process group (each process of a peer was
# started by setsid), else PID itself.  (kill -SIG -PGID, without "--",
# which dash's kill takes for a PID.)
kill_group() {
	kill -"$1" "-$2" 2>/dev/null || kill -"$1" "$2" 2>/dev/null || :
}

# stop_pids PID...: SIGTERM to those of the PIDs that are the peer's (a
# clean shutdown: well under a second for one Kafka node; a cluster's last
# Raft leader waits 5 s for the others to acknowledge its resignation, in
# vain), then SIGKILL to whatever still runs after STOP_TIMEOUT; wait for
# each to go.
stop_pids() {
	sp_timeout=${STOP_TIMEOUT:-10}
	sp_pids=
	for sp_pid in "$@"; do
		pid_ours "$sp_pid" && sp_pids="$sp_pids $sp_pid"
	done
	for sp_pid in $sp_pids; do
		kill_group TERM "$sp_pid"
	done
	# shellcheck disable=SC2086
	wait_gone $((sp_timeout * 5)) $sp_pids || {
		for sp_pid in $sp_pids; do
			if pid_alive "$sp_pid"; then
				echo "$me: pid $sp_pid ignored SIGTERM for $sp_timeout s; SIGKILL" >&2
				kill_group KILL "$sp_pid"
			fi
		done
		# shellcheck disable=SC2086
		wait_gone 50 $sp_pids || echo "$me: pids$sp_pids survive SIGKILL" >&2
	}
	# Dead, and reaped too (up to 10 s more), for whoever checks with
	# kill -0 (t4000): an orphan stays a zombie until PID 1 reaps it, which
	# some container inits do only every second or two, and some never.
	# shellcheck disable=SC2086
	wait_while pid_exists 50 $sp_pids || :
}

# stop_peer: stop every process of the peer, then the watchdog; free the
# ports.  Idempotent.
stop_peer() {
	# shellcheck disable=SC2046
	stop_pids $(peer_pids)
	for sp_file in "$DIR"/*.pid; do
		case $sp_file in */watchdog.pid) ;; *) rm -f "$sp_file" ;; esac
	done
	rm -f "$DIR/env"
	release_ports
	: >"$DIR/stopped"
	# The watchdog (when this is not it) has nothing left to watch.
	if test -s "$DIR/watchdog.pid"; then
		sp_wd=$(cat "$DIR/watchdog.pid")
		if test "$sp_wd" != $$ && pidfile_alive "$DIR/watchdog.pid"; then
			kill_group TERM "$sp_wd"
		fi
		rm -f "$DIR/watchdog.pid"
	fi
}

# write_stop: DIR/stop, which stops the peer by PID (executable, no
# arguments, idempotent).  Written first: from then on there may be
# processes.  A "stopped" left by an earlier stop of DIR goes, or the new
# watchdog would take the peer for stopped.
write_stop() {
	printf '#!/bin/sh\nexec %s %s stop %s\n' "$PEER_SHELL" "'$SELF'" "'$DIR'" \
	    >"$DIR/stop.new" &&
	chmod +x "$DIR/stop.new" && mv "$DIR/stop.new" "$DIR/stop" ||
		die "cannot write $DIR/stop"
	rm -f "$DIR/stopped"
}

# watchdog: with TEL_PEER_OWNER set, a process in its own session that
# stops the peer once the owner is gone, unless it was stopped before.
watchdog() {
	test -n "${TEL_PEER_OWNER:-}" || return 0
	setsid "$PEER_SHELL" "$SELF" watch "$DIR" "$TEL_PEER_OWNER" \
	    </dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	write_pid watchdog $!
}

# watch OWNER: the watchdog's loop.  It also stops the peer when DIR is
# removed under it (a scratch directory deleted while its servers run):
# with the PID files gone, it uses the PIDs it read last.
watch() {
	w_pids=
	while test -d "$DIR"; do
		test -e "$DIR/stopped" && return 0
		w_read=$(peer_pids)
		# Kept when empty: rm -r takes the PID files before DIR.
		test -z "$w_read" || w_pids=$w_read
		pid_alive "$1" || break
		sleep 1
	done
	if test -d "$DIR"; then
		stop_peer
	else
		# shellcheck disable=SC2086
		stop_pids $w_pids
		release_ports
	fi
}

# ---- ports -------------------------------------------------------------

# tcp_sockets PORT [STATE]: some TCP socket has PORT as its local port
# (in STATE, a hex code of /proc/net/tcp: 0A is LISTEN).  Read from /proc
# rather than ss(1), which a bare machine may lack; tcp6 is missing where
# IPv6 is off.
tcp_sockets() {
	ts_hex=$(printf ':%04X' "$1")
	set -- "$ts_hex" "${2:-}" /proc/net/tcp
	test -r /proc/net/tcp6 && set -- "$@" /proc/net/tcp6
	awk -v h="$1" -v st="$2" 'FNR > 1 && substr($2, length($2) - 4) == h &&
	    (st == "" || $4 == st) { f = 1 } END { exit !f }' "$3" ${4:+"$4"}
}

# port_in_use PORT: PORT is some socket's, in any state (a listener, a
# connection, a TIME_WAIT left by a stopped peer).
port_in_use() {
	tcp_sockets "$1"
}

port_listening() {
	tcp_sockets "$1" 0A
}

# reservation_stale FILE: its owner directory is gone, or it is a day old.
reservation_stale() {
	rs_owner=$(cat "$1" 2>/dev/null) || return 0
	test -d "$rs_owner" || return 0
	test -n "$(find "$1" -mmin +1440 2>/dev/null)"
}

# alloc_ports N: print N free ports, reserved for DIR.  Reservations are
# files PORTS_DIR/PORT holding the owner's directory; the lock makes
# check-and-reserve atomic between peers started at the same moment, and
# the reservation keeps a port ours from now until the server binds it.
# t/peers/toxi.py reserves its proxies' ports the same way, for the
# toxiproxy's DIR.
alloc_ports() {
	mkdir -p "$PORTS_DIR" || die "cannot make $PORTS_DIR"
	(
		flock -w 60 8 || die "timed out waiting for $PORTS_DIR/.lock"
		span=$((PORT_MAX - PORT_MIN + 1))
		# A random start spreads runs over the range instead of piling
		# every run onto the ports the previous one just released.
		ap=$((PORT_MIN + $(od -An -N2 -tu2 /dev/urandom) % span))
		need=$1
		tried=0
		while test "$need" -gt 0; do
			tried=$((tried + 1))
			test $tried -le $span || die "no free port in $PORT_MIN-$PORT_MAX"
			ap=$((ap + 1))
			test $ap -le $PORT_MAX || ap=$PORT_MIN
			r=$PORTS_DIR/$ap
			if test -e "$r"; then
				reservation_stale "$r" || continue
				rm -f "$r"
			fi
			port_in_use $ap && continue
			echo "$DIR" >"$r"
			echo $ap
			need=$((need - 1))
		done
	) 8>"$PORTS_DIR/.lock"
}

# release_ports: drop DIR's reservations (toxi.py's for DIR too).
release_ports() {
	for rp_file in "$PORTS_DIR"/[0-9]*; do
		if test "$(cat "$rp_file" 2>/dev/null)" = "$DIR"; then
			rm -f "$rp_file"
		fi
	done
}

# ---- a peer that is one server with an HTTP health URL (bash) ----------

# minio.sh and toxiproxy.sh set
#   SERVER          the server's PID file is DIR/SERVER.pid; t/peers/setup.sh
#                   SERVER installs it
#   SERVER_NAME     its name in messages
#   BIN             the server's executable
#   START_TIMEOUT   seconds start waits for it to answer
#   HEALTH_PATH     what it answers with 200 once it serves
#   HEALTH_RATE     how many times a second start asks
# define
#   prepare         ready DIR for a fresh server (DIR/stop is there)
#   launch PORT     start the server in the background (its PID in $!), in
#                   a session of its own, its output in DIR/log
#   write_env PORT PID    DIR/env
#   check           the server answers, as DIR/env tells (its PID runs)
# and end with server_main "$@".

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

# start_server: launch the server on a port reserved for it and wait until
# it answers; then write_env.  A port taken between reservation and bind
# (by a program that reserves none) means another, up to 5 times.
# Failing, stops the peer and dies.
start_server() {
	local port pid t0 ticks tick
	tick=$(awk -v r="$HEALTH_RATE" 'BEGIN { print 1 / r }')
	t0=$(date +%s%N)
	for _ in 1 2 3 4 5; do
		port=$(alloc_ports 1) || exit 1
		launch "$port"
		pid=$!
		write_pid "$SERVER" "$pid"
		ticks=0
		while test $ticks -lt $((START_TIMEOUT * HEALTH_RATE)); do
			if http_ok "$port" "$HEALTH_PATH"; then
				write_env "$port" "$pid"
				echo "$me: $SERVER_NAME pid $pid on 127.0.0.1:$port up in $((($(date +%s%N) - t0) / 1000000)) ms"
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep "$tick"
			ticks=$((ticks + 1))
		done
		if kill -0 "$pid" 2>/dev/null; then
			stop_peer
			die "$SERVER_NAME did not answer on 127.0.0.1:$port within ${START_TIMEOUT}s (log: $DIR/log)"
		fi
		wait "$pid" 2>/dev/null
		if grep -qi 'address already in use' "$DIR/log"; then
			echo "$me: port $port was taken; another" >&2
			continue
		fi
		tail -n 20 "$DIR/log" >&2
		stop_peer
		die "$SERVER_NAME exited at start (log: $DIR/log)"
	done
	stop_peer
	die "$SERVER_NAME found no free port in 5 tries"
}

server_start() {
	test -x "$BIN" || die "$SERVER_NAME is not installed ($BIN): run t/peers/setup.sh $SERVER"
	mkdir -p "$DIR" || die "cannot make $DIR"
	DIR=$(cd "$DIR" && pwd -P)
	pidfile_alive "$DIR/$SERVER.pid" &&
		die "a $SERVER_NAME already runs for $DIR (pid $(cat "$DIR/$SERVER.pid"))"
	test -x "$DIR/stop" && stop_peer	# a stale watchdog, stale ports
	rm -f "$DIR/env"
	write_stop
	prepare
	watchdog
	start_server
}

server_usage() {
	die "usage: $me start|stop|status DIR"
}

# server_main start|stop|status DIR, or watch DIR OWNER (the watchdog's).
# DIR is made absolute and physical: so the server's command line has it.
server_main() {
	case ${1:-} in
	start)
		test $# = 2 || server_usage
		DIR=$2
		server_start
		;;
	status)
		test $# = 2 || server_usage
		DIR=$(cd "$2" 2>/dev/null && pwd -P) || exit 1
		pidfile_alive "$DIR/$SERVER.pid" && test -s "$DIR/env" && check
		;;
	stop)
		test $# = 2 || server_usage
		test -d "$2" || exit 0
		DIR=$(cd "$2" && pwd -P) || exit 1
		stop_peer
		;;
	watch)
		test $# = 3 || server_usage
		DIR=$2
		watch "$3"
		;;
	*)
		server_usage
		;;
	esac
}
