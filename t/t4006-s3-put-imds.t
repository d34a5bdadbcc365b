#!/bin/sh
test_description='tel-s3-put with temporary credentials from instance metadata (IMDSv2) that MinIO issued (STS AssumeRole); refreshed before they expire'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"

test_minio
bucket=$(test_bucket)
# no AWS_* keys: lib-s3.sh unset them; the instance metadata is the only source
unset AWS_EC2_METADATA_DISABLED

# imds NAME ARGS...: t/py/fake_aws.py in NAME/, its instance metadata
# handing out credentials MinIO issued; sets $imds (its URL)
imds() {
	name=$1
	shift
	test_start_server "$name" "$PYTHON" "$TEST_DIRECTORY/py/fake_aws.py" \
		--dir "$name" --lifetime 240 --imds-from-minio \
		--imds-role tel-minio-role --expires-in 3600 "$@" &&
	imds=$test_server_url
}

# no_secret_in FILE...: no secret key or session token the fake issued
# appears in FILE
no_secret_in() {
	"$PYTHON" - "$@" <<-\EOF
	import json, sys
	secrets = []
	for d in ("i1", "i2"):
	    try:
	        for l in open(d + "/issued"):
	            c = json.loads(l)
	            secrets += [c["SecretAccessKey"], c["Token"]]
	    except FileNotFoundError:
	        pass
	assert secrets
	for f in sys.argv[1:]:
	    t = open(f, errors="replace").read()
	    assert not any(s in t for s in secrets), f
	EOF
}

test_expect_success 'setup' '
	s3_make_bucket "$bucket" &&
	env | grep "^AWS_ACCESS_KEY_ID=\|^AWS_SECRET_ACCESS_KEY=\|^AWS_SESSION_TOKEN=" >leak;
	test_must_be_empty leak
'

test_expect_success 'no keys in the environment, only the instance: objects land' '
	imds i1 &&
	head -c 200000 /dev/urandom >a.orig && cp a.orig a.gz &&
	head -c 12000000 /dev/urandom >b.orig && cp b.orig b.gz &&
	AWS_EC2_METADATA_SERVICE_ENDPOINT=$imds tel-s3-put -v -j 4 -B "$bucket" \
		--endpoint "$S3_ENDPOINT" --multipart-threshold 5M --part-size 5M \
		--key-prefix imds/ a.gz b.gz >out 2>err &&
	test_line_count = 2 out &&
	s3py get "$bucket" imds/a.gz >got && cmp a.orig got &&
	s3py get "$bucket" imds/b.gz >got && cmp b.orig got &&
	test_line_count = 1 i1/issued &&
	grep "^imds GET /latest/meta-data/iam/security-credentials/tel-minio-role 200" i1/log >fetches &&
	test_line_count = 1 fetches &&
	no_secret_in out err
'

test_expect_success 'credentials that expire soon are fetched again before the next object' '
	imds i2 --expires-in 904 &&
	head -c 1000 /dev/urandom >c.orig && cp c.orig c.gz && cp c.orig d.gz &&
	{
		printf "{\"file\":\"%s\",\"key\":\"refresh/c.gz\"}\n" "$PWD/c.gz" &&
		sleep 6 &&
		printf "{\"file\":\"%s\",\"key\":\"refresh/d.gz\"}\n" "$PWD/d.gz"
	} | AWS_EC2_METADATA_SERVICE_ENDPOINT=$imds tel-s3-put -j 1 -B "$bucket" \
		--endpoint "$S3_ENDPOINT" >out 2>err &&
	test_line_count = 2 out &&
	test_line_count = 2 i2/issued &&
	"$PYTHON" -c "import json; a, b = [json.loads(l)[\"AccessKeyId\"] for l in open(\"i2/issued\")]; assert a != b" &&
	s3py get "$bucket" refresh/c.gz >got && cmp c.orig got &&
	s3py get "$bucket" refresh/d.gz >got && cmp c.orig got &&
	no_secret_in out err
'

test_expect_success 'instance metadata disabled: no credentials, a clear error, file kept' '
	cp c.orig e.gz &&
	test_expect_code 1 env AWS_EC2_METADATA_DISABLED=true tel-s3-put -B "$bucket" \
		--endpoint "$S3_ENDPOINT" --key-prefix off/ e.gz >out 2>err &&
	test_grep "instance metadata is disabled" err &&
	test -e e.gz
'

test_done
