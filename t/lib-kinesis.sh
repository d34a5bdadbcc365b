# lib-kinesis.sh: a Kinesis Data Streams server (kinesalite), a fault
# injecting proxy in front of it, and a boto3 oracle, for test scripts.
# Source it after test-lib.sh (and after lib-s3.sh, if both: each clears
# the AWS_* variables when sourced) and call test_kinesis at the top level,
# before the first test, so that a missing peer skips the whole script (or
# fails it, under TEL_TEST_REQUIRE_PEERS=1):
#
#	. "$TEST_DIRECTORY/lib-kinesis.sh"
#	test_kinesis
#	stream=$(test_stream)
#	test_expect_success 'setup' 'kinesis_create "$stream" 4'
#	... tel-kinesis-put -s "$stream" ...; kinesis_data "$stream" >actual ...
#
# The server is installed by t/peers/setup.sh kinesalite, boto3 by
# t/peers/setup.sh venv; a missing one is a skip with that advice.
#
# test_kinesis          a kinesalite shared by the run under t/peers/run-suite
#                       (TEL_PEERS_DIR set: the first script starts it in
#                       $TEL_PEERS_DIR/kinesalite under flock, later ones
#                       reuse it, run-suite stops it), else private to this
#                       script.  Makes it the current one (kinesis_use) and
#                       sets the prerequisite KINESIS.
# test_kinesis_optional the same, but a missing peer only leaves KINESIS
#                       unset (its tests skip), unless
#                       TEL_TEST_REQUIRE_PEERS=1
# test_kinesis_private  a kinesalite for this script alone, in the scratch
#                       directory, stopped when the script ends (or by its
#                       watchdog, were the script killed): the only kind a
#                       script may stop, restart or fill up.  Made current.
# kinesis_use DIR       make the kinesalite of DIR (a KINESIS_PEER_DIR)
#                       current: sets and exports KINESIS_ENDPOINT
#                       (http://127.0.0.1:PORT), KINESIS_REGION (us-east-1),
#                       KINESIS_ACCESS_KEY, KINESIS_SECRET_KEY,
#                       KINESIS_STREAM_MS, KINESIS_PEER_DIR, and, for the
#                       tools and SDKs, TEL_KINESIS_ENDPOINT (the endpoint),
#                       AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
#                       AWS_DEFAULT_REGION (no AWS_ENDPOINT_URL: every
#                       endpoint is named where it is used)
# kinesis_stop [DIR]    stop a private kinesalite (default: the current
#                       one); its store stays
# kinesis_restart [DIR] start it again, stopped or running: the same port,
#                       keys and store (streams, shards, records); prints
#                       nothing, fails with the reason on stderr
# kinesis_pid [DIR]     print its server's PID (to kill -9 it)
# test_stream [WORD]    print a stream name no other call, script or run
#                       sharing the server uses (streams are never deleted)
# kinesispy ARG...      t/py/kinesis.py, the boto3 oracle (create, delete,
#                       list, put, put-bytes, dump, count, describe, shards,
#                       split, merge; see its --help), aimed at the current
#                       server unless given --endpoint
# kinesis_create STREAM [SHARDS]   create (default 1 shard), wait for ACTIVE
# kinesis_put STREAM [ARG...]      stdin's lines as records (kinesis.py put)
# kinesis_dump STREAM [ARG...]     JSON lines {"shard","seq","key","data_b64"}
# kinesis_data STREAM [ARG...]     the records' data, one a line, parents'
#                                  shards before children's
# kinesis_count STREAM             how many records the stream holds
# kinesis_shards STREAM            ID open|closed PARENT ADJACENT START END
# test_kinesis_proxy [ARG...]  a t/py/kinesis_proxy.py of this script's own
#                       in front of the current server, with ARGs
#                       (--throttle-share F, --kms-share F, --error-share F,
#                       --error-ops OP,... (where --error-share applies;
#                       default every call), --seed N); sets KINESIS_PROXY_ENDPOINT
#                       (http://127.0.0.1:PORT), KINESIS_PROXY_LOG (its JSON
#                       lines, one per call, written before each answer) and
#                       KINESIS_PROXY_DIR.  Killed when the script ends.
#                       Call it at the top level (it sets variables); one
#                       call, one proxy.
# kinesis_proxy_stats [LOG]  one JSON line summing up a proxy's log
#                       (default KINESIS_PROXY_LOG): calls, errors (500s
#                       injected), throttled_calls (400s injected),
#                       put_calls, records (PutRecords entries seen),
#                       forwarded, throttled_records, kms_records,
#                       failed_upstream
#
# Sourcing also keeps the developer's AWS setup out: AWS_* credentials,
# profiles and endpoints are unset, AWS_CONFIG_FILE and
# AWS_SHARED_CREDENTIALS_FILE point into the scratch directory, and
# AWS_EC2_METADATA_DISABLED=true stops SDKs asking the instance metadata
# address for credentials.

KINESIS_PEERS=$TEST_DIRECTORY/peers

unset KINESIS_ENDPOINT KINESIS_REGION KINESIS_ACCESS_KEY KINESIS_SECRET_KEY \
    KINESIS_STREAM_MS KINESIS_PEER_DIR KINESIS_PROXY_ENDPOINT \
    KINESIS_PROXY_LOG KINESIS_PROXY_DIR TEL_KINESIS_ENDPOINT \
    AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
    AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_REGION AWS_DEFAULT_REGION \
    AWS_ENDPOINT_URL AWS_ENDPOINT_URL_KINESIS AWS_ROLE_ARN \
    AWS_WEB_IDENTITY_TOKEN_FILE AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
    AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN
AWS_CONFIG_FILE=$TRASH/.aws/config
AWS_SHARED_CREDENTIALS_FILE=$TRASH/.aws/credentials
AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_EC2_METADATA_DISABLED

kinesis_why_=
if ! "$PYTHON" -c 'import boto3' >/dev/null 2>&1; then
	kinesis_why_="no Python venv with boto3 ($PYTHON): run t/peers/setup.sh venv"
fi

kinesispy() {
	"$PYTHON" "$TEST_DIRECTORY/py/kinesis.py" "$@"
}

# kinesis_peer_: start or reuse the shared kinesalite (a private one
# without run-suite); its directory in kinesis_dir_.  On failure the
# reason is in kinesis_why_.
kinesis_peer_() {
	if test -n "$kinesis_why_"; then
		return 1
	fi
	if test -z "${TEL_PEERS_DIR:-}"; then
		kinesis_private_
		return
	fi
	kinesis_dir_=$TEL_PEERS_DIR/kinesalite
	mkdir -p "$TEL_PEERS_DIR"
	if ! kinesis_shared_ "$kinesis_dir_" 9>"$kinesis_dir_.lock"; then
		kinesis_why_=$(cat "$kinesis_dir_/failed" 2>/dev/null ||
		    echo "timed out waiting for $kinesis_dir_.lock")
		return 1
	fi
}

# kinesis_shared_ DIR, with fd 9 open on DIR's lock: make sure the shared
# server runs.  A failure to start is remembered in DIR/failed, so that
# later scripts do not wait for it again.  The lock is never passed on to
# the server (9>&-): a server holding it would block every later script.
kinesis_shared_() {
	flock -w 300 9 || return 1
	test -e "$1/failed" && return 1
	bash "$KINESIS_PEERS/kinesalite.sh" status "$1" >/dev/null 2>&1 && return 0
	if test -d "$1"; then
		# It ran before and died, or its starter was killed.
		test -e "$1/env" && test_diag "shared kinesalite is gone; starting it again"
		bash "$KINESIS_PEERS/kinesalite.sh" stop "$1" >/dev/null 2>&1 9>&-
		rm -rf "$1"
	fi
	mkdir -p "$1"
	if ! TEL_PEER_OWNER=${TEL_PEERS_OWNER:-} \
	    bash "$KINESIS_PEERS/kinesalite.sh" start "$1" >"$1/start.log" 2>&1 9>&-; then
		tail -n 1 "$1/start.log" >"$1/failed"
		return 1
	fi
	test -z "$verbose" || test_diag "$(tail -n 1 "$1/start.log")"
}

# kinesis_private_: a server for this script alone, stopped when it ends.
kinesis_private_() {
	test -z "$kinesis_why_" || return 1
	kinesis_private_n_=$((${kinesis_private_n_:-0} + 1))
	kinesis_dir_=$TRASH/peer-kinesalite-$kinesis_private_n_
	mkdir -p "$kinesis_dir_"
	test_atexit "bash '$KINESIS_PEERS/kinesalite.sh' stop '$kinesis_dir_'"
	if ! TEL_PEER_OWNER=$$ bash "$KINESIS_PEERS/kinesalite.sh" start "$kinesis_dir_" \
	    >"$kinesis_dir_/start.log" 2>&1; then
		kinesis_why_=$(tail -n 1 "$kinesis_dir_/start.log")
		return 1
	fi
	test -z "$verbose" || test_diag "$(tail -n 1 "$kinesis_dir_/start.log")"
}

kinesis_use() {
	test -s "$1/env" || {
		echo >&2 "kinesis_use: no kinesalite runs in $1"
		return 1
	}
	. "$1/env"
	KINESIS_PEER_DIR=$1
	TEL_KINESIS_ENDPOINT=$KINESIS_ENDPOINT
	AWS_ACCESS_KEY_ID=$KINESIS_ACCESS_KEY
	AWS_SECRET_ACCESS_KEY=$KINESIS_SECRET_KEY
	AWS_REGION=$KINESIS_REGION
	AWS_DEFAULT_REGION=$KINESIS_REGION
	export KINESIS_ENDPOINT KINESIS_REGION KINESIS_ACCESS_KEY \
	    KINESIS_SECRET_KEY KINESIS_STREAM_MS KINESIS_PEER_DIR \
	    TEL_KINESIS_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
	    AWS_REGION AWS_DEFAULT_REGION
}

test_kinesis() {
	kinesis_peer_ || test_skip_or_fail "kinesalite: $kinesis_why_"
	kinesis_use "$kinesis_dir_" || error "kinesalite of $kinesis_dir_ has no env"
	test_set_prereq KINESIS
}

test_kinesis_optional() {
	if kinesis_peer_; then
		kinesis_use "$kinesis_dir_" || error "kinesalite of $kinesis_dir_ has no env"
		test_set_prereq KINESIS
	elif test "${TEL_TEST_REQUIRE_PEERS:-0}" = 1; then
		error "required peer missing: kinesalite: $kinesis_why_"
	else
		test_diag "no KINESIS: $kinesis_why_"
	fi
}

test_kinesis_private() {
	kinesis_private_ || test_skip_or_fail "kinesalite: $kinesis_why_"
	kinesis_use "$kinesis_dir_" || error "kinesalite of $kinesis_dir_ has no env"
	test_set_prereq KINESIS
}

# kinesis_private_dir_ [DIR]: DIR (default the current one), when it is
# this script's own; a shared server is never stopped by a script.
kinesis_private_dir_() {
	kpd_=${1:-${KINESIS_PEER_DIR:-}}
	case $kpd_ in
	"$TRASH"/*) printf '%s\n' "$kpd_" ;;
	*) echo >&2 "kinesis: '$kpd_' is no private kinesalite of this script (test_kinesis_private)"
	   return 1 ;;
	esac
}

kinesis_stop() {
	kdir_=$(kinesis_private_dir_ "$@") &&
	bash "$KINESIS_PEERS/kinesalite.sh" stop "$kdir_"
}

kinesis_restart() {
	kdir_=$(kinesis_private_dir_ "$@") &&
	TEL_PEER_OWNER=$$ bash "$KINESIS_PEERS/kinesalite.sh" restart "$kdir_" >/dev/null &&
	kinesis_use "$kdir_"
}

kinesis_pid() {
	cat "${1:-$KINESIS_PEER_DIR}/kinesalite.pid"
}

# test_stream [WORD]: called as $(test_stream), so the count is in a file.
test_stream() {
	kinesis_seq_=$(($(cat "$TRASH/.kinesis-stream-seq" 2>/dev/null || echo 0) + 1))
	echo $kinesis_seq_ >"$TRASH/.kinesis-stream-seq"
	echo "$TEST_NAME-$$-$kinesis_seq_${1:+-$1}" | tr -c 'a-zA-Z0-9_.\n-' - | cut -c1-128
}

kinesis_create() {
	kinesispy create "$1" "${2:-1}"
}

kinesis_put() {
	kinesispy put "$@"
}

kinesis_dump() {
	kinesispy dump "$@"
}

kinesis_data() {
	kinesispy dump --data "$@"
}

kinesis_count() {
	kinesispy count "$1"
}

kinesis_shards() {
	kinesispy shards "$1"
}

test_kinesis_proxy() {
	test -n "${KINESIS_ENDPOINT:-}" ||
		error "bug in the test script: test_kinesis_proxy before test_kinesis"
	kinesis_proxy_n_=$((${kinesis_proxy_n_:-0} + 1))
	KINESIS_PROXY_DIR=$TRASH/kinesis-proxy-$kinesis_proxy_n_
	test_start_server "$KINESIS_PROXY_DIR" "$PYTHON" "$TEST_DIRECTORY/py/kinesis_proxy.py" \
	    --dir "$KINESIS_PROXY_DIR" --upstream "$KINESIS_ENDPOINT" --lifetime 3600 "$@" ||
		error "kinesis_proxy.py did not start: $(tail -n 3 "$KINESIS_PROXY_DIR/out" 2>/dev/null)"
	KINESIS_PROXY_ENDPOINT=$test_server_url
	KINESIS_PROXY_LOG=$KINESIS_PROXY_DIR/log
	export KINESIS_PROXY_ENDPOINT KINESIS_PROXY_LOG KINESIS_PROXY_DIR
}

kinesis_proxy_stats() {
	"$PYTHON" - "${1:-$KINESIS_PROXY_LOG}" <<-\EOF
	import json, sys
	s = dict.fromkeys(("calls", "errors", "throttled_calls", "put_calls", "records",
	                   "forwarded", "throttled_records", "kms_records",
	                   "failed_upstream"), 0)
	try:
	    lines = open(sys.argv[1]).read().splitlines()
	except FileNotFoundError:
	    lines = []
	for line in lines:
	    r = json.loads(line)
	    s["calls"] += 1
	    if r.get("injected") == "InternalFailure":
	        s["errors"] += 1
	    elif r.get("injected"):
	        s["throttled_calls"] += 1
	    if r.get("op") == "PutRecords" and not r.get("injected"):
	        s["put_calls"] += 1
	        s["records"] += r.get("records", 0)
	        s["forwarded"] += r.get("forwarded", r.get("records", 0))
	        s["throttled_records"] += len(r.get("throttled", []))
	        s["kms_records"] += len(r.get("kms", []))
	        s["failed_upstream"] += r.get("failed_upstream", 0)
	print(json.dumps(s))
	EOF
}
