#!/bin/sh
test_description='the S3 peers: MinIO, toxiproxy in front of it, the boto3 oracle'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"

test_minio
shared=$MINIO_PEER_DIR
test_s3_proxy
# A second MinIO of this script's own (the first is shared under run-suite).
test_minio_private
private=$MINIO_PEER_DIR
s3_use "$shared"
shared_endpoint=$S3_ENDPOINT

bucket=$(test_bucket)

# live URL: the URL answers 200 (MinIO's health check)
live() {
	"$PYTHON" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
		"$1/minio/health/live" 2>/dev/null
}

test_expect_success 'MinIO is up on loopback, outside the ephemeral range' '
	live "$S3_ENDPOINT" &&
	case $S3_ENDPOINT in http://127.0.0.1:*) ;; *) false ;; esac &&
	port=${S3_ENDPOINT##*:} &&
	test "$port" -ge 1024 && test "$port" -lt 32768 &&
	test "$S3_REGION" = us-east-1 &&
	test -n "$S3_ACCESS_KEY" && test -n "$S3_SECRET_KEY"
'

test_expect_success 'the peer directory follows the convention' '
	test -s "$MINIO_PEER_DIR/env" &&
	test -x "$MINIO_PEER_DIR/stop" &&
	kill -0 "$(cat "$MINIO_PEER_DIR/minio.pid")"
'

test_expect_success 'make a bucket; it starts empty' '
	s3_make_bucket "$bucket" &&
	s3py ls "$bucket" >ls &&
	test_must_be_empty ls &&
	test_must_fail s3py mb "$bucket" 2>err &&
	test_grep "BucketAlreadyOwnedByYou" err
'

test_expect_success 'put and get: the same bytes, listed with their size' '
	head -c 100000 /dev/urandom >blob &&
	printf "a/b=c d.bin\t100000\n" >expect &&
	s3py put "$bucket" "a/b=c d.bin" blob --metadata records=7 \
		--content-type application/octet-stream >put.json &&
	s3py get "$bucket" "a/b=c d.bin" >got &&
	cmp blob got &&
	s3py ls "$bucket" >ls &&
	test_cmp expect ls &&
	s3py head "$bucket" "a/b=c d.bin" >head.json &&
	"$PYTHON" - "$(md5sum <blob | cut -d" " -f1)" <<-\EOF
	import json, sys
	h = json.load(open("head.json"))
	assert h["size"] == 100000, h
	assert h["etag"] == sys.argv[1], h
	assert h["metadata"] == {"records": "7"}, h
	assert h["storage_class"] == "STANDARD", h
	assert h["sse"] is None and h["checksums"] == {}, h
	EOF
'

test_expect_success 'head shows SSE, a stored checksum and the storage class' '
	echo hello >small &&
	s3py put "$bucket" sse-s3 small --sse AES256 --checksum SHA256 >h1 &&
	s3py put "$bucket" sse-kms small --sse aws:kms >h2 &&
	s3py put "$bucket" rrs small --storage-class REDUCED_REDUNDANCY >h3 &&
	test_grep "\"sse\": \"AES256\"" h1 &&
	sha=$("$PYTHON" -c "import base64, hashlib, sys; print(base64.b64encode(hashlib.sha256(sys.stdin.buffer.read()).digest()).decode())" <small) &&
	test_grep "\"SHA256\": \"$sha\"" h1 &&
	test_grep "\"sse\": \"aws:kms\"" h2 &&
	test_grep "\"sse_kms_key_id\": \".*$S3_KMS_KEY_ID\"" h2 &&
	test_grep "\"storage_class\": \"REDUCED_REDUNDANCY\"" h3
'

test_expect_success 'a missing key is NoSuchKey (exit 1)' '
	test_expect_code 1 s3py get "$bucket" nope >out 2>err &&
	test_grep "^s3.py: NoSuchKey:" err
'

test_expect_success 'a wrong secret is refused: SignatureDoesNotMatch' '
	test_expect_code 1 s3py --secret "x$S3_SECRET_KEY" get "$bucket" sse-s3 >out 2>err &&
	test_must_be_empty out &&
	test_grep "^s3.py: SignatureDoesNotMatch:" err
'

test_expect_success 'an unknown access key is refused: InvalidAccessKeyId' '
	test_expect_code 1 s3py --access-key nobody ls "$bucket" 2>err &&
	test_grep "^s3.py: InvalidAccessKeyId:" err
'

test_expect_success 'in-progress multipart uploads are listed' '
	id=$(s3py mpu-start "$bucket" big.gz) &&
	printf "big.gz\t%s\n" "$id" >expect &&
	s3py list-multipart "$bucket" >actual &&
	test_cmp expect actual &&
	s3py mpu-abort "$bucket" big.gz "$id" &&
	s3py list-multipart "$bucket" >actual &&
	test_must_be_empty actual
'

test_expect_success 'the private MinIO is another server, with other keys' '
	(
		s3_use "$private" &&
		test "$S3_ENDPOINT" != "$shared_endpoint" &&
		s3py mb mine &&
		test_expect_code 1 s3py ls "$bucket" 2>err &&
		test_grep NoSuchBucket err
	) &&
	test_expect_code 1 s3py ls mine 2>err &&
	test_grep NoSuchBucket err
'

test_expect_success 'toxiproxy passes a request through to MinIO' '
	case $S3_PROXY_ENDPOINT in http://127.0.0.1:*) ;; *) false ;; esac &&
	test "$S3_PROXY_ENDPOINT" != "$S3_ENDPOINT" &&
	s3py --endpoint "$S3_PROXY_ENDPOINT" get "$bucket" "a/b=c d.bin" >got &&
	cmp blob got
'

test_expect_success 'with a reset_peer toxic the request fails (exit 2)' '
	s3_proxy_reset &&
	toxi add "$S3_PROXY" reset_peer timeout=0 >name &&
	echo reset_peer_downstream >expect &&
	test_cmp expect name &&
	test_expect_code 2 s3py --endpoint "$S3_PROXY_ENDPOINT" get "$bucket" sse-s3 >out 2>err &&
	test_grep "^s3.py: transport: " err &&
	toxi remove "$S3_PROXY" reset_peer_downstream &&
	s3py --endpoint "$S3_PROXY_ENDPOINT" get "$bucket" sse-s3 >out &&
	test_cmp small out
'

test_expect_success 'a disabled proxy refuses connections; enabled, it passes' '
	s3_proxy_reset &&
	toxi disable "$S3_PROXY" &&
	test_expect_code 2 s3py --endpoint "$S3_PROXY_ENDPOINT" get "$bucket" sse-s3 2>err &&
	test_grep "transport: EndpointConnectionError" err &&
	toxi enable "$S3_PROXY" &&
	s3py --endpoint "$S3_PROXY_ENDPOINT" get "$bucket" sse-s3 >out &&
	test_cmp small out
'

test_expect_success 'a timeout toxic stalls the request until the client gives up' '
	s3_proxy_reset &&
	toxi add "$S3_PROXY" timeout timeout=0 &&
	test_expect_code 2 s3py --timeout 1 --endpoint "$S3_PROXY_ENDPOINT" \
		get "$bucket" sse-s3 2>err &&
	test_grep "transport: ReadTimeoutError" err
'

test_expect_success 'latency and bandwidth toxics slow a request, not break it' '
	s3_proxy_reset &&
	toxi add "$S3_PROXY" latency latency=300 &&
	toxi add "$S3_PROXY" bandwidth rate=200 &&
	t0=$(date +%s%N) &&
	s3py --endpoint "$S3_PROXY_ENDPOINT" get "$bucket" "a/b=c d.bin" >got &&
	t1=$(date +%s%N) &&
	cmp blob got &&
	# 100 kB at 200 KB/s: 0.5 s, plus 0.3 s of latency
	test $(((t1 - t0) / 1000000)) -ge 700 &&
	s3_proxy_reset &&
	toxi show "$S3_PROXY" >show &&
	test_grep "\"toxics\": \[\]" show
'

test_expect_success 'stop stops the private MinIO and releases its port' '
	pid=$(cat "$private/minio.pid") &&
	port=$(sed -n "s/^S3_ENDPOINT=.*://p" "$private/env") &&
	"$private/stop" &&
	! kill -0 "$pid" 2>/dev/null &&
	! test -e "$private/env" &&
	! test -e "${TEL_TEST_PORTS:-${TMPDIR:-/tmp}/tel-test-ports}/$port" &&
	! live "http://127.0.0.1:$port" &&
	"$private/stop"
'

test_done
