#!/bin/sh
test_description='tel-s3-put -j: the parts of one multipart upload go up in parallel (MinIO behind a gate that counts them)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"

test_minio_aws

# gate NAME ARGS...: t/py/s3_gate.py in NAME/ in front of MinIO; sets $gate
# (its endpoint); its log in NAME/log.
gate() {
	name=$1
	shift
	test_start_server "$name" "$PYTHON" "$TEST_DIRECTORY/py/s3_gate.py" \
		--upstream "$S3_ENDPOINT" --dir "$name" --lifetime 240 "$@" &&
	gate=$test_server_url
}

# max_inflight LOG: the most UploadParts the gate saw in flight at once
max_inflight() {
	awk '$3 == "inflight" && $4 > m { m = $4 } END { print m + 0 }' "$1"
}

test_expect_success 'setup' '
	s3_make_bucket "$bucket" &&
	head -c 41943040 /dev/urandom >big.orig &&
	s3_mpu_etag big.orig 5242880 >etag
'

test_expect_success '-j 4: four parts of one upload in flight at once; ETag -8, bytes identical' '
	gate g4 --gate 4 &&
	cp big.orig big.gz &&
	tel-s3-put -j 4 -B "$bucket" --endpoint "$gate" --multipart-threshold 5M \
		--part-size 5M --key-prefix j4/ big.gz >out 2>err &&
	! test -e big.gz &&
	test $(awk "/^part / { print \$2 }" g4/log | sort -u | wc -l) = 8 &&
	test $(max_inflight g4/log) = 4 &&
	attempts=$((10 + $(grep "; retrying in " err | wc -l))) &&
	"$PYTHON" -c "import json,sys; o=json.load(open(\"out\")); assert o[\"etag\"] == sys.argv[1], o; assert o[\"attempts\"] == int(sys.argv[2]), o" "$(cat etag)" $attempts &&
	s3py get "$bucket" j4/big.gz >got && cmp big.orig got &&
	s3py list-multipart "$bucket" >mpu && test_must_be_empty mpu
'

test_expect_success '-j 1: parts one at a time, as before' '
	gate g1 &&
	cp big.orig big.gz &&
	tel-s3-put -j 1 -B "$bucket" --endpoint "$gate" --multipart-threshold 5M \
		--part-size 5M --key-prefix j1/ big.gz >out &&
	test $(grep -c "^part " g1/log) = 8 &&
	test $(max_inflight g1/log) = 1 &&
	s3py get "$bucket" j1/big.gz >got && cmp big.orig got
'

test_expect_success '-j 3: big and small objects share the workers; all stored' '
	gate g3 &&
	cp big.orig b1.gz && cp big.orig b2.gz &&
	for i in 1 2 3 4 5 6 7 8 9; do
		head -c $((i * 1000)) /dev/urandom >s$i.gz || return 1
	done &&
	mkdir orig && cp s*.gz b1.gz b2.gz orig/ &&
	tel-s3-put -j 3 -B "$bucket" --endpoint "$gate" --multipart-threshold 5M \
		--part-size 5M --key-prefix mix/ b1.gz s1.gz s2.gz s3.gz b2.gz \
		s4.gz s5.gz s6.gz s7.gz s8.gz s9.gz >out &&
	test_line_count = 11 out &&
	test $(grep -c "^part " g3/log) = 16 &&
	test $(max_inflight g3/log) -le 3 &&
	for f in orig/*.gz; do
		s3py get "$bucket" mix/${f#orig/} >got && cmp "$f" got || return 1
	done &&
	s3py list-multipart "$bucket" >mpu && test_must_be_empty mpu
'

test_expect_success 'the default -j (16): one credential fetch serves every worker' '
	cat >creds.sh <<-EOF &&
	echo x >>$PWD/fetches
	printf "{\\"Version\\":1,\\"AccessKeyId\\":\\"%s\\",\\"SecretAccessKey\\":\\"%s\\"}" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
	EOF
	printf "[default]\ncredential_process = sh %s/creds.sh\n" "$PWD" >config &&
	cp big.orig big.gz &&
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_CONFIG_FILE=$PWD/config \
		tel-s3-put -B "$bucket" --endpoint "$S3_ENDPOINT" --key-prefix cp/ big.gz >out &&
	test_line_count = 1 fetches &&
	s3py get "$bucket" cp/big.gz >got && cmp big.orig got
'

test_expect_success '-j 64 -v: every trace line whole, one per request' '
	mkdir many &&
	for i in $(seq 1 400); do
		echo "$i" >many/f$i.gz || return 1
	done &&
	s3_put -v -j 64 --key-prefix many/ many/*.gz >many.out 2>many.err &&
	test_line_count = 400 many.out &&
	grep -c "^tel-s3-put: PUT s3://$bucket/many/f[0-9]*\.gz: 200 ([0-9]* ms)$" many.err >n &&
	grep -c "^tel-s3-put: s3://$bucket/many/f[0-9]*\.gz: stored, file removed$" many.err >>n &&
	printf "400\n400\n" >expect &&
	test_cmp expect n &&
	! grep -v -e "^tel-s3-put: " -e "^{\"program\":\"tel-s3-put\"," many.err &&
	! grep ".tel-s3-put: " many.err
'

test_expect_success 'a part refused for good: the upload is aborted, nothing left, file kept, exit 1' '
	gate gf --fail-part 5 &&
	cp big.orig big.gz &&
	test_expect_code 1 tel-s3-put -j 4 -B "$bucket" --endpoint "$gate" \
		--multipart-threshold 5M --part-size 5M --key-prefix fail/ big.gz \
		>out 2>err &&
	test_must_be_empty out &&
	test_grep "s3://$bucket/fail/big.gz: UploadPart: AccessDenied" err &&
	test_grep "^part 5 refused" gf/log &&
	cmp big.orig big.gz &&
	s3py list-multipart "$bucket" >mpu && test_must_be_empty mpu &&
	s3py ls "$bucket" fail/ >ls && test_must_be_empty ls
'

test_done
