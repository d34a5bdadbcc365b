#!/bin/sh
test_description='tel-s3-put: the retry policy against a scripted fake S3'
. "$(dirname "$0")/test-lib.sh"

# fake MODE: start t/py/fake_s3.py in MODE for this test; sets $endpoint
fake() {
	rm -f port requests.log
	"$PYTHON" "$TEST_DIRECTORY/py/fake_s3.py" "$1" >fake.log 2>&1 </dev/null &
	fake_pid=$!
	test_when_finished "kill $fake_pid"
	n=0
	while ! test -s port && test $n -lt 100; do
		sleep 0.05
		n=$((n + 1))
	done
	endpoint=http://127.0.0.1:$(cat port)
}

AWS_ACCESS_KEY_ID=AKID
AWS_SECRET_ACCESS_KEY=sekrit-sekrit
AWS_REGION=us-east-1
AWS_EC2_METADATA_DISABLED=true
AWS_CONFIG_FILE=$TRASH/none
AWS_SHARED_CREDENTIALS_FILE=$TRASH/none
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_REGION
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION \
    AWS_EC2_METADATA_DISABLED AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE

put() {
	tel-s3-put -B bkt --endpoint "$endpoint" "$@"
}

test_expect_success 'RequestTimeTooSkewed: signed again with the server clock' '
	fake skew && echo a >a.gz &&
	put --key-prefix k/ a.gz >out 2>err &&
	test_line_count = 2 requests.log &&
	test_grep "\"attempts\":2" out &&
	test_must_be_empty err &&
	! test -e a.gz
'

test_expect_success 'SlowDown 503: backed off, retried, stored' '
	fake slowdown && echo b >b.gz &&
	put --key-prefix k/ b.gz >out 2>err &&
	test_grep "\"attempts\":3" out &&
	test $(grep -c "SlowDown: fake SlowDown (HTTP 503, request id REQ[12]); retrying in" err) = 2
'

test_expect_success 'SlowDown until --max-attempts: reported, file kept' '
	fake slowdown && echo c >c.gz &&
	test_expect_code 1 put -q --max-attempts 2 --key-prefix k/ c.gz >out 2>err &&
	test_must_be_empty out &&
	test_grep "^tel-s3-put: s3://bkt/k/c.gz: SlowDown: fake SlowDown (HTTP 503, request id REQ2)" err &&
	test_line_count = 1 err &&
	test -e c.gz
'

test_expect_success 'ExpiredToken: the credential chain runs again, signed again' '
	fake expired && echo d >d.gz &&
	{
		echo "n=\$(cat $PWD/n 2>/dev/null || echo 0); echo \$((n + 1)) >$PWD/n" &&
		echo "if test \$n = 0; then k=OLDKEY; else k=NEWKEY; fi" &&
		echo "printf \"{\\\\\"Version\\\\\":1,\\\\\"AccessKeyId\\\\\":\\\\\"%s\\\\\",\\\\\"SecretAccessKey\\\\\":\\\\\"s\\\\\",\\\\\"SessionToken\\\\\":\\\\\"t\\\\\"}\" \$k"
	} >creds.sh &&
	sh creds.sh >probe && rm n && test_grep OLDKEY probe &&
	printf "[default]\ncredential_process = sh %s/creds.sh\n" "$PWD" >config &&
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_CONFIG_FILE=$PWD/config \
		tel-s3-put -B bkt --endpoint "$endpoint" --key-prefix k/ d.gz >out 2>err &&
	cut -d" " -f3 requests.log >akids &&
	printf "OLDKEY\nNEWKEY\n" >expect && test_cmp expect akids &&
	! test -e d.gz
'

test_expect_success 'AccessDenied: permanent, one request, file kept' '
	fake denied && echo e >e.gz &&
	test_expect_code 1 put --key-prefix k/ e.gz 2>err &&
	test_line_count = 1 requests.log &&
	test_grep "s3://bkt/k/e.gz: AccessDenied: fake AccessDenied (HTTP 403, request id REQ1)" err &&
	test -e e.gz
'

test_expect_success 'a hostile reply: no escape reaches the terminal, no token is echoed' '
	fake hostile && echo h >h.gz &&
	test_expect_code 1 env AWS_SESSION_TOKEN=tok-0123456789-secret \
		tel-s3-put -B bkt --endpoint "$endpoint" --max-attempts 1 \
		--key-prefix k/ h.gz 2>err &&
	test_grep "Access?\[2JDenied: no ?\[31mred?\[0m, and your token is \*\*\*\*" err &&
	! grep -q "tok-0123456789-secret" err &&
	! grep -q "$(printf "\033")" err &&
	! grep -q "$(printf "\007")" err &&
	test -e h.gz
'

test_expect_success 'a container credentials URI: its query is not echoed' '
	echo u >u.gz &&
	test_expect_code 1 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
		AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:9/creds?token=q-secret-7" \
		tel-s3-put -B bkt --endpoint http://127.0.0.1:9 --key-prefix k/ u.gz 2>err &&
	test_grep "container credentials (http://127.0.0.1:9/creds)" err &&
	! grep -q "q-secret-7" err
'

test_expect_success 'an ETag that is not the MD5: a failure, file kept' '
	fake badetag && echo f >f.gz &&
	test_expect_code 1 put --key-prefix k/ f.gz 2>err &&
	test_grep "ETag .* is not the file.s MD5" err &&
	test -e f.gz
'

test_expect_success 'CompleteMultipartUpload: a 200 with <Error> InternalError is retried' '
	fake complete-retry && head -c 11000000 /dev/urandom >g.gz &&
	put --multipart-threshold 5M --part-size 5M --key-prefix k/ g.gz >out 2>err &&
	test $(grep -c "^POST /bkt/k/g.gz?uploadId=UP%261 " requests.log) = 2 &&
	test_grep "InternalError: try again (HTTP 200" err &&
	test_grep "[0-9a-f]-3" out &&
	! test -e g.gz
'

test_expect_success 'CompleteMultipartUpload: a 200 with a permanent <Error>: aborted, kept' '
	fake complete-fail && head -c 6000000 /dev/urandom >h.gz &&
	test_expect_code 1 put --multipart-threshold 5M --part-size 5M --key-prefix k/ h.gz 2>err &&
	test_grep "CompleteMultipartUpload: InvalidPart: no (HTTP 200" err &&
	test_grep "^DELETE /bkt/k/h.gz?uploadId=UP%261 " requests.log &&
	test -e h.gz
'

test_expect_success 'path style for an IP endpoint; no secret or signature printed' '
	fake plain && echo i >i.gz &&
	put -v --key-prefix "a b/" i.gz >out 2>err &&
	test_grep "^PUT /bkt/a%20b/i.gz " requests.log &&
	! grep -e sekrit -e "Signature=" out err
'

test_done
