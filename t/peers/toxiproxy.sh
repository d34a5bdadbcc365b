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
SERVER=toxiproxy
SERVER_NAME=toxiproxy
BIN=${TOXIPROXY_BIN:-$CACHE/bin/toxiproxy-server}
START_TIMEOUT=${TOXIPROXY_START_TIMEOUT:-20}
HEALTH_PATH=/version
HEALTH_RATE=20
# shellcheck source=t/peers/lib-peer.sh
. "$(dirname "$0")/lib-peer.sh"

prepare() {
	echo '[]' >"$DIR/config.json"	# no proxies; puts DIR in the command line
}

launch() {
	LOG_LEVEL=${TOXIPROXY_LOG_LEVEL:-info} \
		setsid "$BIN" -host 127.0.0.1 -port "$1" -config "$DIR/config.json" \
		</dev/null >"$DIR/log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
}

write_env() {
	printf 'TOXIPROXY_URL=http://127.0.0.1:%s\nTOXIPROXY_PID=%s\n' \
	    "$1" "$2" >"$DIR/env.tmp"
	mv "$DIR/env.tmp" "$DIR/env"
}

check() {
	(. "$DIR/env" && http_ok "${TOXIPROXY_URL##*:}" "$HEALTH_PATH")
}

server_main "$@"
