#!/bin/sh
test_description='lib/http.c against a loopback fake: methods, headers, bodies from files, limits'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-fake-aws.sh"

WEBTOK=WEBIDTOKEN-do-not-print-4f1c
ECSAUTH=ECSAUTH-do-not-print-9a2b
ROLE=arn:aws:iam::123456789012:role/tel-web
start_fake fake --web-token "$WEBTOK" --ecs-auth "$ECSAUTH" --role-arn "$ROLE"
fake=http://127.0.0.1:$fake_port

test_expect_success 'http: PUT with a request header, a response header kept' '
	run http-put --http PUT --header "X-aws-ec2-metadata-token-ttl-seconds: 60" \
	    --keep x-aws-ec2-metadata-token-ttl-seconds $fake/latest/api/token &&
	test_grep "^{\"status\":200,.*\"kept\":\"60\"}" out/http-put
'

test_expect_success 'http: a request body from a range of a file' '
	printf "JUNKAction=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=%s&RoleSessionName=tel-http&WebIdentityToken=%s&TAIL" \
	    "$ROLE" "$WEBTOK" >form &&
	len=$(($(wc -c <form) - 9)) &&
	run http-range --http POST --body-file form --offset 4 --length $len \
	    --header "Content-Type: application/x-www-form-urlencoded" $fake/ &&
	test_grep "^{\"status\":200," out/http-range &&
	run http-whole --http POST --body-file form \
	    --header "Content-Type: application/x-www-form-urlencoded" $fake/ &&
	test_grep "^{\"status\":400," out/http-whole
'

test_expect_success 'http: a file shorter than the body, a body too large' '
	test_must_fail run http-short --http POST --body-file form \
	    --length 100000 $fake/ &&
	test_grep "file too short" out/http-short.err &&
	test_must_fail run http-big --http GET --max-body 10 \
	    --header "Authorization: $ECSAUTH" $fake/ecs/credentials &&
	test_grep "response body over 10 bytes" out/http-big.err
'

test_expect_success 'http: a header value with a line break is refused' '
	test_must_fail run http-crlf --http GET \
	    --header "$(printf "X-A: b\r\nX-Evil: 1")" $fake/ &&
	test_grep "bad request header X-A" out/http-crlf.err
'

test_expect_success 'no secret in any output' '
	printf "%s\n" "$WEBTOK" "$ECSAUTH" >secrets &&
	test $(ls out | wc -l) -ge 10 &&
	! grep -r -F -f secrets out
'

test_done
