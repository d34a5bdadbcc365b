#!/usr/bin/env bash
# minio.sh: a throwaway MinIO (a real, strict S3 server) on loopback.
#
#   minio.sh start DIR    a fresh server with its data in DIR/data
#   minio.sh stop DIR     stop it (the same as running DIR/stop)
#   minio.sh status DIR   exit 0 when it runs and answers
#
# start writes, in DIR (the convention of t/peers/run-suite):
#   env        shell assignments, written (whole, by rename) once the
#              server answers:
#                S3_ENDPOINT=http://127.0.0.1:PORT
#                S3_ACCESS_KEY=...  S3_SECRET_KEY=...   (random per start)
#                S3_REGION=us-east-1
#                S3_KMS_KEY_ID=tel-test-key   (SSE-S3 and SSE-KMS work)
#                MINIO_PID=...
#   minio.pid  the server's PID; watchdog.pid, see TEL_PEER_OWNER
#   stop       executable, no arguments: stops by PID everything started
#              for DIR, waits for it to end, releases its port; idempotent
#   log        the server's output
# The console is off (MINIO_BROWSER=off), and so are update checks.
#
# Ports come from 19000-29999 (below the ephemeral range 32768-60999),
# reserved in ${TMPDIR:-/tmp}/tel-test-ports under its lock, the scheme of
# t/peers/lib-peer.sh, so that peers started at the same moment never pick
# the same port.
#
# Environment: TEL_TEST_CACHE (default ~/.cache/tel-test), MINIO_BIN
# (default $TEL_TEST_CACHE/bin/minio, from t/peers/setup.sh minio),
# MINIO_START_TIMEOUT (seconds, default 60), TEL_TEST_PORTS (port
# reservations), TEL_PEER_OWNER=PID (a watchdog stops the server once that
# process is gone: no leak when a test script is killed by SIGKILL).
#
# On failure start exits non-zero with the reason as its last line on
# stderr.
set -u

me=minio.sh
CACHE=${TEL_TEST_CACHE:-${HOME:-/tmp}/.cache/tel-test}
SERVER=minio
SERVER_NAME=MinIO
BIN=${MINIO_BIN:-$CACHE/bin/minio}
START_TIMEOUT=${MINIO_START_TIMEOUT:-60}
HEALTH_PATH=/minio/health/live
HEALTH_RATE=10
# shellcheck source=t/peers/lib-peer.sh
. "$(dirname "$0")/lib-peer.sh"

randhex() {
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

prepare() {
	rm -rf "$DIR/data" "$DIR/certs"
	mkdir -p "$DIR/data" "$DIR/certs"	# an empty certs dir: plain HTTP
	user=tel$(randhex 6)
	pass=$(randhex 16)
	kms="tel-test-key:$(head -c 32 /dev/urandom | base64)"
}

launch() {
	MINIO_ROOT_USER=$user MINIO_ROOT_PASSWORD=$pass \
	MINIO_KMS_SECRET_KEY=$kms MINIO_BROWSER=off MINIO_UPDATE=off \
	MINIO_CALLHOME_ENABLE=off \
		setsid "$BIN" server --quiet --anonymous \
		--address "127.0.0.1:$1" --certs-dir "$DIR/certs" "$DIR/data" \
		</dev/null >"$DIR/log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
}

write_env() {
	cat >"$DIR/env.tmp" <<EOF
S3_ENDPOINT=http://127.0.0.1:$1
S3_ACCESS_KEY=$user
S3_SECRET_KEY=$pass
S3_REGION=us-east-1
S3_KMS_KEY_ID=tel-test-key
MINIO_PID=$2
EOF
	mv "$DIR/env.tmp" "$DIR/env"
}

check() {
	(. "$DIR/env" && http_ok "${S3_ENDPOINT##*:}" "$HEALTH_PATH")
}

server_main "$@"
