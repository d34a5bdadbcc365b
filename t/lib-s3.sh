# lib-s3.sh: a real S3 server (MinIO), toxiproxy in front of it and a
# boto3 oracle for test scripts.  Source it after test-lib.sh and call
# test_minio (and test_s3_proxy, ...) at the top level, before the first
# test, so that a missing peer skips the whole script (or fails it, under
# TEL_TEST_REQUIRE_PEERS=1):
#
#	. "$TEST_DIRECTORY/lib-s3.sh"
#	test_minio
#	bucket=$(test_bucket)
#	test_expect_success 'setup' 's3_make_bucket "$bucket"'
#	... tel-s3-put -B "$bucket" ...; s3py ls "$bucket" >actual ...
#
# The peers are installed by t/peers/setup.sh (MinIO, toxiproxy, the venv);
# a missing one is a skip with that advice.
#
# test_minio            a MinIO, shared by the run under t/peers/run-suite
#                       (TEL_PEERS_DIR set: the first script starts it under
#                       flock, later ones reuse it, run-suite stops it),
#                       else private to this script.  Sets and exports
#                       S3_ENDPOINT (http://127.0.0.1:PORT), S3_ACCESS_KEY,
#                       S3_SECRET_KEY, S3_REGION (us-east-1), S3_KMS_KEY_ID
#                       (a key for SSE-KMS) and MINIO_PEER_DIR.
# test_minio_private    a MinIO for this script alone, stopped when it ends:
#                       the only kind a script may stop, kill or fill up.
# s3_use DIR            make the MinIO of DIR (a *_PEER_DIR) the current one
# test_toxiproxy        a toxiproxy server (shared or private, as above);
#                       sets TOXIPROXY_URL and TOXIPROXY_PEER_DIR
# test_s3_proxy [NAME]  a proxy of this script's own in front of the current
#                       MinIO; sets S3_PROXY (its name, for toxi) and
#                       S3_PROXY_ENDPOINT (http://127.0.0.1:PORT: sign for
#                       that host:port).  Deleted when the script ends.
# toxi ARG...           t/peers/toxi.py: toxi add "$S3_PROXY" reset_peer
#                       timeout=0; toxi remove "$S3_PROXY" reset_peer_downstream;
#                       toxi clear/disable/enable "$S3_PROXY"; see its --help.
#                       Under run-suite the toxiproxy server is shared:
#                       touch only your own proxies.
# s3_proxy_reset        S3_PROXY without toxics, enabled: begin each fault
#                       test with it (test_when_finished cannot undo a toxic:
#                       test-lib.sh runs a test body in a subshell)
# test_bucket [WORD]    print a bucket name no other call, script or run
#                       sharing the server uses (buckets are never deleted)
# s3_make_bucket NAME   make a bucket (through s3.py)
# s3py ARG...           t/py/s3.py, the boto3 oracle: mb, ls, get, head, put,
#                       rm, list-multipart, mpu-start, mpu-abort; see --help
# s3_aws_env            export AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
#                       AWS_REGION, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL and
#                       S3_ENDPOINT_URL (s5cmd's) from the S3_* variables,
#                       for awscli, s5cmd, tel-s3-put.  Without it s5cmd
#                       would aim at amazonaws.com.
# test_minio_aws        test_minio and s3_aws_env less AWS_ENDPOINT_URL
#                       (every endpoint named where it is used: --endpoint
#                       S3_ENDPOINT); sets bucket=$(test_bucket), which
#                       the script's setup test makes
# s3_put ARG...         tel-s3-put -B "$bucket" --endpoint "$S3_ENDPOINT"
#                       ARG...: the upload a test makes most often
# s3_mpu_etag FILE PARTSIZE
#                       print the ETag S3 gives a multipart upload of FILE
#                       in parts of PARTSIZE bytes ("MD5-OF-MD5S-N")
# PYTHON                the venv's python (boto3, duckdb, awscli, the MSK
#                       IAM signer); the script skips when it is missing.
#
# Sourcing also keeps the developer's AWS setup out: AWS_* credentials,
# profiles and endpoints are unset, AWS_CONFIG_FILE and
# AWS_SHARED_CREDENTIALS_FILE point into the scratch directory, and
# AWS_EC2_METADATA_DISABLED=true stops SDKs asking the instance metadata
# address for credentials.

S3_PEERS=$TEST_DIRECTORY/peers

unset S3_ENDPOINT S3_ENDPOINT_URL S3_ACCESS_KEY S3_SECRET_KEY S3_REGION S3_KMS_KEY_ID \
    S3_PROXY S3_PROXY_ENDPOINT TOXIPROXY_URL \
    AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
    AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_REGION AWS_DEFAULT_REGION \
    AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_ROLE_ARN \
    AWS_WEB_IDENTITY_TOKEN_FILE AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
    AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN
AWS_CONFIG_FILE=$TRASH/.aws/config
AWS_SHARED_CREDENTIALS_FILE=$TRASH/.aws/credentials
AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_EC2_METADATA_DISABLED

if ! "$PYTHON" -c 'import boto3' >/dev/null 2>&1; then
	test_skip_or_fail "no Python venv with boto3 ($PYTHON): run t/peers/setup.sh venv"
fi

s3py() {
	"$PYTHON" "$TEST_DIRECTORY/py/s3.py" "$@"
}

toxi() {
	"$PYTHON" "$S3_PEERS/toxi.py" "$@"
}

# s3_peer_ NAME: start or reuse the peer of t/peers/NAME.sh; its directory
# in s3_dir_.  On failure the reason is in s3_why_.
s3_peer_() {
	if test -z "${TEL_PEERS_DIR:-}"; then
		s3_private_ "$1"
		return
	fi
	s3_dir_=$TEL_PEERS_DIR/$1
	mkdir -p "$TEL_PEERS_DIR"
	if ! s3_shared_ "$1" "$s3_dir_" 9>"$s3_dir_.lock"; then
		s3_why_=$(cat "$s3_dir_/failed" 2>/dev/null ||
		    echo "timed out waiting for $s3_dir_.lock")
		return 1
	fi
}

# s3_shared_ NAME DIR, with fd 9 open on DIR's lock: make sure the shared
# peer runs.  A failure to start is remembered in DIR/failed, so that later
# scripts do not wait for it again.  The lock is never passed on to the
# peer (9>&-): a server holding it would block every later script.
s3_shared_() {
	flock -w 300 9 || return 1
	test -e "$2/failed" && return 1
	bash "$S3_PEERS/$1.sh" status "$2" >/dev/null 2>&1 && return 0
	if test -d "$2"; then
		# It ran before and died, or its starter was killed.
		test -e "$2/env" && test_diag "shared $1 is gone; starting it again"
		bash "$S3_PEERS/$1.sh" stop "$2" >/dev/null 2>&1 9>&-
		rm -rf "$2"
	fi
	mkdir -p "$2"
	if ! TEL_PEER_OWNER=${TEL_PEERS_OWNER:-} \
	    bash "$S3_PEERS/$1.sh" start "$2" >"$2/start.log" 2>&1 9>&-; then
		tail -n 1 "$2/start.log" >"$2/failed"
		return 1
	fi
	test -z "$verbose" || test_diag "$(tail -n 1 "$2/start.log")"
}

# s3_private_ NAME: a peer for this script alone, stopped when it ends (or,
# were the script killed, by the peer's watchdog).
s3_private_() {
	s3_private_n_=$((${s3_private_n_:-0} + 1))
	s3_dir_=$TRASH/peer-$1-$s3_private_n_
	mkdir -p "$s3_dir_"
	test_atexit "bash '$S3_PEERS/$1.sh' stop '$s3_dir_'"
	if ! TEL_PEER_OWNER=$$ bash "$S3_PEERS/$1.sh" start "$s3_dir_" \
	    >"$s3_dir_/start.log" 2>&1; then
		s3_why_=$(tail -n 1 "$s3_dir_/start.log")
		return 1
	fi
	test -z "$verbose" || test_diag "$(tail -n 1 "$s3_dir_/start.log")"
}

s3_use() {
	test -s "$1/env" || {
		echo >&2 "s3_use: no MinIO in $1"
		return 1
	}
	. "$1/env"
	MINIO_PEER_DIR=$1
	export S3_ENDPOINT S3_ACCESS_KEY S3_SECRET_KEY S3_REGION S3_KMS_KEY_ID \
	    MINIO_PEER_DIR
}

test_minio() {
	s3_peer_ minio || test_skip_or_fail "MinIO: $s3_why_"
	s3_use "$s3_dir_"
}

test_minio_private() {
	s3_private_ minio || test_skip_or_fail "MinIO: $s3_why_"
	s3_use "$s3_dir_"
}

test_toxiproxy() {
	s3_peer_ toxiproxy || test_skip_or_fail "toxiproxy: $s3_why_"
	. "$s3_dir_/env"
	TOXIPROXY_PEER_DIR=$s3_dir_
	export TOXIPROXY_URL TOXIPROXY_PEER_DIR
}

test_s3_proxy() {
	test -n "${S3_ENDPOINT:-}" ||
		error "bug in the test script: test_s3_proxy before test_minio"
	test -n "${TOXIPROXY_URL:-}" || test_toxiproxy
	S3_PROXY=$(echo "$TEST_NAME-$$-${1:-s3}" | tr -c 'A-Za-z0-9_.\n-' -)
	s3_listen_=$(toxi create --owner "$TOXIPROXY_PEER_DIR" "$S3_PROXY" "$S3_ENDPOINT" 2>"$TRASH/.toxi.err") ||
		test_skip_or_fail "toxiproxy: cannot make a proxy: $(tail -n 1 "$TRASH/.toxi.err")"
	test_atexit "toxi delete '$S3_PROXY'"
	S3_PROXY_ENDPOINT=http://$s3_listen_
	export S3_PROXY S3_PROXY_ENDPOINT
}

s3_proxy_reset() {
	toxi clear "$S3_PROXY" && toxi enable "$S3_PROXY"
}

# test_bucket [WORD]: called as $(test_bucket), so the count is in a file.
test_bucket() {
	s3_seq_=$(($(cat "$TRASH/.s3-bucket-seq" 2>/dev/null || echo 0) + 1))
	echo $s3_seq_ >"$TRASH/.s3-bucket-seq"
	echo "$(echo "$TEST_NAME" | tr 'A-Z_' 'a-z-' | tr -cd 'a-z0-9-' | cut -c1-28)-$$-$s3_seq_${1:+-$1}" |
		tr 'A-Z_' 'a-z-' | tr -cd 'a-z0-9.\n-' | cut -c1-63
}

s3_make_bucket() {
	s3py mb "$1"
}

s3_aws_env() {
	AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY
	AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
	AWS_REGION=$S3_REGION
	AWS_DEFAULT_REGION=$S3_REGION
	AWS_ENDPOINT_URL=$S3_ENDPOINT
	S3_ENDPOINT_URL=$S3_ENDPOINT	# s5cmd's name for it
	export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION \
	    AWS_DEFAULT_REGION AWS_ENDPOINT_URL S3_ENDPOINT_URL
}

test_minio_aws() {
	test_minio
	s3_aws_env
	unset AWS_ENDPOINT_URL
	bucket=$(test_bucket)
}

s3_put() {
	tel-s3-put -B "$bucket" --endpoint "$S3_ENDPOINT" "$@"
}

s3_mpu_etag() {
	"$PYTHON" - "$@" <<-\EOF
	import hashlib, sys
	d, n = open(sys.argv[1], "rb").read(), int(sys.argv[2])
	parts = [d[i:i + n] for i in range(0, len(d), n)]
	h = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts))
	print("\"%s-%d\"" % (h.hexdigest(), len(parts)))
	EOF
}
