#!/bin/sh
test_description='tel-s3-put: multipart uploads to MinIO, ETag -N, nothing left over'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"

test_minio_aws

# parts ERR: the parts -v says were sent, each once however often a
# retry sent it again (a loaded store may ask for one)
parts() {
	grep "^tel-s3-put: PUT .*partNumber=" "$1" |
	    sed "s/.*partNumber=\([0-9]*\).*/\1/" | sort -u | wc -l
}

# retries ERR: the requests that were sent again
retries() {
	grep "; retrying in " "$1" | wc -l
}

test_expect_success 'setup' '
	s3_make_bucket "$bucket" &&
	head -c 20000000 /dev/urandom >big.gz && cp big.gz big.orig
'

test_expect_success 'a 20 MB file in 5 MiB parts: ETag -4, identical bytes' '
	sha=$(sha256sum <big.gz | cut -d" " -f1) &&
	printf "{\"file\":\"%s\",\"key\":\"mp/big.gz\",\"sha256\":\"%s\",\"bytes\":20000000}\n" \
		"$PWD/big.gz" "$sha" >in &&
	s3_put -v --multipart-threshold 5M --part-size 5M <in >mp.out 2>mp.err &&
	! test -e big.gz &&
	test $(parts mp.err) = 4 &&
	test_grep "POST s3://$bucket/mp/big.gz?uploads: 200" mp.err &&
	etag=$(s3_mpu_etag big.orig 5242880) &&
	attempts=$((6 + $(retries mp.err))) &&
	"$PYTHON" -c "import json,sys; o=json.load(open(\"mp.out\")); assert o[\"etag\"] == sys.argv[1], o; assert o[\"attempts\"] == int(sys.argv[2]), o" "$etag" $attempts &&
	s3py get "$bucket" mp/big.gz >got && cmp big.orig got &&
	s3py head "$bucket" mp/big.gz >head &&
	test_grep "\"etag\": \"$(echo "$etag" | tr -d \")\"" head &&
	test_grep "\"content_type\": \"application/gzip\"" head &&
	s3py list-multipart "$bucket" >mpu && test_must_be_empty mpu
'

test_expect_success 'the defaults: over 16 MiB, multipart in 8 MiB parts' '
	cp big.orig b1.gz &&
	s3_put -v --key-prefix default/ b1.gz >out 2>err &&
	test $(parts err) = 3 &&
	etag=$(s3_mpu_etag big.orig 8388608) &&
	"$PYTHON" -c "import json,sys; o=json.load(open(\"out\")); assert o[\"etag\"] == sys.argv[1], o" "$etag" &&
	s3py get "$bucket" default/b1.gz >got && cmp big.orig got
'

test_expect_success 'under the threshold: one PUT, ETag the MD5' '
	cp big.orig b2.gz &&
	s3_put -v --multipart-threshold 32M --key-prefix single/ b2.gz >out 2>err &&
	test_grep "PUT s3://$bucket/single/b2.gz: 200" err &&
	! test_grep "uploads" err &&
	test_grep "\"etag\":\"\\\\\"$(md5sum <big.orig | cut -d" " -f1)\\\\\"\"" out
'

test_expect_success 'a size mismatch is found before a 60 GB file is read' '
	truncate -s 60000000000 sparse.gz &&
	printf "{\"file\":\"%s\",\"key\":\"never\",\"bytes\":1}\n" "$PWD/sparse.gz" |
		test_expect_code 1 s3_put --multipart-threshold 5M --part-size 5M 2>err &&
	test_grep "not uploaded" err
'

test_expect_success 'storage class, SSE and tags go on a multipart object too' '
	cp big.orig b3.gz &&
	s3_put --multipart-threshold 5M --part-size 8M --sse AES256 \
		--storage-class REDUCED_REDUNDANCY --tagging "a=1&b=two" \
		--content-type application/x-test --key-prefix opts/ b3.gz >out &&
	s3py head "$bucket" opts/b3.gz >head &&
	test_grep "\"sse\": \"AES256\"" head &&
	test_grep "\"storage_class\": \"REDUCED_REDUNDANCY\"" head &&
	test_grep "\"content_type\": \"application/x-test\"" head &&
	test_grep "[0-9a-f]-3\\\\\"" out &&
	s3py get "$bucket" opts/b3.gz >got && cmp big.orig got
'

test_expect_success 'SSE-KMS with a key, single and multipart' '
	echo small >k1.gz && cp big.orig k2.gz &&
	s3_put --sse aws:kms --sse-kms-key-id "$S3_KMS_KEY_ID" --multipart-threshold 5M \
		--part-size 10M --key-prefix kms/ k1.gz k2.gz >out &&
	test_line_count = 2 out &&
	for k in k1.gz k2.gz; do
		s3py head "$bucket" kms/$k >head &&
		test_grep "\"sse\": \"aws:kms\"" head &&
		test_grep "\"sse_kms_key_id\": \".*$S3_KMS_KEY_ID\"" head || return 1
	done &&
	s3py get "$bucket" kms/k2.gz >got && cmp big.orig got
'

test_expect_success 'a multipart upload that fails is aborted: no parts left, file kept' '
	cp big.orig b4.gz &&
	test_expect_code 1 tel-s3-put -B "$bucket-nope" --endpoint "$S3_ENDPOINT" \
		--multipart-threshold 5M --key-prefix x/ b4.gz 2>err &&
	test_grep "CreateMultipartUpload: NoSuchBucket" err &&
	test -e b4.gz &&
	s3py list-multipart "$bucket" >mpu && test_must_be_empty mpu
'

test_done
