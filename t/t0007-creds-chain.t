#!/bin/sh
test_description='the AWS credential chain against loopback fakes of IMDS, ECS and STS'
. "$(dirname "$0")/test-lib.sh"

. "$TEST_DIRECTORY/lib-fake-aws.sh"

WEBTOK=WEBIDTOKEN-do-not-print-4f1c
ECSAUTH=ECSAUTH-do-not-print-9a2b
ROLE=arn:aws:iam::123456789012:role/tel-web
start_fake fake --web-token "$WEBTOK" --ecs-auth "$ECSAUTH" --role-arn "$ROLE" \
	--blackhole
start_fake short --expires-in 1000
start_fake norole --imds-role ''
start_fake hang --hang imds --hang ecs --hang sts --hang-for 20
fake=http://127.0.0.1:$fake_port
blackhole=http://127.0.0.1:$(cat fake/blackhole-port)
AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$norole_port
export AWS_EC2_METADATA_SERVICE_ENDPOINT
printf '%s\n' "$WEBTOK" >webtok
printf '%s\n' "$ECSAUTH" >ecsauth

# sha SECRET: the hex SHA-256 the helper prints for it.
sha() {
	printf '%s' "$1" | sha256sum | cut -d' ' -f1
}

# issued_sha DIR SERVICE: the SHA-256 of the secret the fake in DIR
# issued last for SERVICE.
issued_sha() {
	grep "\"service\": \"$2\"" "$1/issued" | tail -n 1 |
	"$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["SecretAccessKey"], end="")' |
	sha256sum | cut -d' ' -f1
}

# elapsed_ms CMD...: runs CMD, leaves its wall time in ms in $ms.
elapsed_ms() {
	t0=$(date +%s%N)
	"$@"
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "$ms ms" >>out/timings
	return $rc
}

test_expect_success 'environment alone' '
	AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=ENVSECRET-do-not-print \
	AWS_SESSION_TOKEN=ENVTOKEN-do-not-print AWS_REGION=eu-west-1 \
	    run env &&
	test_grep "\"source\":\"env\",\"akid\":\"AKIDENV\",\"expiry\":null,\"region\":\"eu-west-1\"" out/env &&
	test_grep "$(sha ENVSECRET-do-not-print)" out/env &&
	test_grep "$(sha ENVTOKEN-do-not-print)" out/env
'

test_expect_success 'environment: half a key pair is an error' '
	AWS_ACCESS_KEY_ID=AKIDENV test_must_fail run env-half &&
	test_grep "AWS_SECRET_ACCESS_KEY is not" out/env-half.err
'

test_expect_success 'shared credentials file, default profile' '
	mkdir -p .aws &&
	cat >.aws/credentials <<-\EOF &&
	[default]
	aws_access_key_id = AKIDFILE
	aws_secret_access_key = FILESECRET-do-not-print
	[other]
	aws_access_key_id = AKIDOTHER
	aws_secret_access_key = OTHERSECRET-do-not-print
	EOF
	run file &&
	test_grep "\"source\":\"profile:default\",\"akid\":\"AKIDFILE\"" out/file &&
	test_grep "$(sha FILESECRET-do-not-print)" out/file
'

test_expect_success 'AWS_PROFILE and the config file, region from the profile' '
	cat >.aws/config <<-\EOF &&
	[profile cfg]
	region = ap-south-1
	aws_access_key_id = AKIDCFG
	aws_secret_access_key = CFGSECRET-do-not-print
	EOF
	AWS_PROFILE=cfg run cfg &&
	test_grep "\"source\":\"profile:cfg\",\"akid\":\"AKIDCFG\",\"expiry\":null,\"region\":\"ap-south-1\"" out/cfg &&
	run other --profile other &&
	test_grep "\"akid\":\"AKIDOTHER\"" out/other &&
	AWS_PROFILE=nosuch test_must_fail run nosuch &&
	test_grep "profile nosuch not found" out/nosuch.err
'

test_expect_success 'credential_process' '
	cat >proc.sh <<-\EOF &&
	echo "credential_process runs" >&2
	printf "{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"PROCSECRET-do-not-print\", \"SessionToken\": \"PROCTOKEN-do-not-print\", \"Expiration\": \"2099-01-01T00:00:00Z\"}"
	EOF
	printf "[profile proc]\ncredential_process = sh %s/proc.sh\n" "$TRASH" \
	    >proc.config &&
	AWS_CONFIG_FILE=$TRASH/proc.config run proc --profile proc &&
	test_grep "\"source\":\"profile:proc\",\"akid\":\"AKIDPROC\",\"expiry\":\"2099-01-01T00:00:00.000Z\"" out/proc &&
	test_grep "credential_process runs" out/proc.err
'

# Later sources need the shared files out of the way.
mv .aws aws.saved || error "cannot move .aws"

test_expect_success 'web identity: STS AssumeRoleWithWebIdentity' '
	AWS_WEB_IDENTITY_TOKEN_FILE=$TRASH/webtok AWS_ROLE_ARN=$ROLE \
	AWS_ENDPOINT_URL_STS=$fake run web &&
	test_grep "\"source\":\"web-identity\",\"akid\":\"ASIAFAKESTS00000001\"" out/web &&
	test_grep "$(issued_sha fake sts)" out/web &&
	test_grep "^sts POST / 200" fake/log
'

test_expect_success 'web identity: STS errors reported, the token never' '
	printf "not-the-token\n" >badtok &&
	AWS_WEB_IDENTITY_TOKEN_FILE=$TRASH/badtok AWS_ROLE_ARN=$ROLE \
	AWS_ENDPOINT_URL_STS=$fake test_must_fail run web-badtok &&
	test_grep "HTTP 400 InvalidIdentityToken" out/web-badtok.err &&
	test_grep -v not-the-token out/web-badtok.err &&
	AWS_WEB_IDENTITY_TOKEN_FILE=$TRASH/webtok AWS_ROLE_SESSION_NAME="a b" \
	AWS_ROLE_ARN=$ROLE AWS_ENDPOINT_URL_STS=$fake \
	    test_must_fail run web-session &&
	test_grep "ValidationError" out/web-session.err &&
	AWS_WEB_IDENTITY_TOKEN_FILE=$TRASH/webtok AWS_ROLE_ARN=${ROLE}x \
	AWS_ENDPOINT_URL_STS=$fake test_must_fail run web-role &&
	test_grep "HTTP 403 AccessDenied" out/web-role.err
'

test_expect_success 'web identity from a profile' '
	printf "[profile wi]\nrole_arn = %s\nweb_identity_token_file = %s/webtok\nrole_session_name = tel-test\n" \
	    "$ROLE" "$TRASH" >wi.config &&
	AWS_CONFIG_FILE=$TRASH/wi.config AWS_ENDPOINT_URL_STS=$fake \
	    run web-profile --profile wi &&
	test_grep "\"source\":\"profile:wi\",\"akid\":\"ASIAFAKESTS" out/web-profile
'

test_expect_success 'container: full URI with an authorization token' '
	AWS_CONTAINER_CREDENTIALS_FULL_URI=$fake/ecs/credentials \
	AWS_CONTAINER_AUTHORIZATION_TOKEN=$ECSAUTH run ecs &&
	test_grep "\"source\":\"container\",\"akid\":\"ASIAFAKEECS" out/ecs &&
	test_grep "$(issued_sha fake ecs)" out/ecs
'

test_expect_success 'container: the token file wins over the variable' '
	AWS_CONTAINER_CREDENTIALS_FULL_URI=$fake/ecs/credentials \
	AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$TRASH/ecsauth \
	AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong run ecs-file &&
	test_grep "\"source\":\"container\"" out/ecs-file
'

test_expect_success 'container: a wrong token is refused by the fake' '
	AWS_CONTAINER_CREDENTIALS_FULL_URI=$fake/ecs/credentials \
	AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong-do-not-print \
	    test_must_fail run ecs-wrong &&
	test_grep "HTTP 401" out/ecs-wrong.err &&
	test_grep "^ecs GET /ecs/credentials 401" fake/log
'

test_expect_success 'container: a token with a line break, plain http afar' '
	AWS_CONTAINER_CREDENTIALS_FULL_URI=$fake/ecs/credentials \
	AWS_CONTAINER_AUTHORIZATION_TOKEN="$(printf "a\r\nX-Evil: 1")" \
	    test_must_fail run ecs-crlf &&
	test_grep "line break" out/ecs-crlf.err &&
	AWS_CONTAINER_CREDENTIALS_FULL_URI=http://example.invalid/creds \
	    test_must_fail run ecs-afar &&
	test_grep "plain http only" out/ecs-afar.err
'

test_expect_success 'instance metadata (IMDSv2) alone' '
	AWS_EC2_METADATA_SERVICE_ENDPOINT=$fake run imds &&
	test_grep "\"source\":\"imds\",\"akid\":\"ASIAFAKEIMDS00000001\"" out/imds &&
	test_grep "$(issued_sha fake imds)" out/imds &&
	grep "^imds" fake/log >imds.log &&
	cat >expect <<-\EOF &&
	imds PUT /latest/api/token 200
	imds GET /latest/meta-data/iam/security-credentials/ 200
	imds GET /latest/meta-data/iam/security-credentials/tel-test-role 200
	EOF
	test_cmp expect imds.log
'

test_expect_success 'instance metadata: no role attached' '
	test_must_fail run imds-norole &&
	test_grep "HTTP 404 (no IAM role attached" out/imds-norole.err
'

test_expect_success 'AWS_EC2_METADATA_DISABLED=true asks nothing' '
	before=$(wc -l <norole/log) &&
	AWS_EC2_METADATA_DISABLED=true test_must_fail run imds-off &&
	test_grep "instance metadata is disabled" out/imds-off.err &&
	test $(wc -l <norole/log) = $before
'

test_expect_success 'the order: env, files, web identity, container, imds' '
	export AWS_EC2_METADATA_SERVICE_ENDPOINT=$fake &&
	export AWS_CONTAINER_CREDENTIALS_FULL_URI=$fake/ecs/credentials &&
	export AWS_CONTAINER_AUTHORIZATION_TOKEN=$ECSAUTH &&
	export AWS_WEB_IDENTITY_TOKEN_FILE=$TRASH/webtok AWS_ROLE_ARN=$ROLE &&
	export AWS_ENDPOINT_URL_STS=$fake &&
	export AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=ENVSECRET-do-not-print &&
	cp -R aws.saved .aws &&
	test_when_finished "rm -rf .aws" &&
	run order1 && test_grep "\"source\":\"env\"" out/order1 &&
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY &&
	run order2 && test_grep "\"source\":\"profile:default\"" out/order2 &&
	rm -rf .aws &&
	run order3 && test_grep "\"source\":\"web-identity\"" out/order3 &&
	unset AWS_WEB_IDENTITY_TOKEN_FILE &&
	run order4 && test_grep "\"source\":\"container\"" out/order4 &&
	unset AWS_CONTAINER_CREDENTIALS_FULL_URI &&
	run order5 && test_grep "\"source\":\"imds\"" out/order5
'

test_expect_success 'a configured source that fails stops the chain' '
	AWS_CONTAINER_CREDENTIALS_FULL_URI=$fake/ecs/credentials \
	AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong AWS_PROFILE=nosuch \
	AWS_EC2_METADATA_SERVICE_ENDPOINT=$fake test_must_fail run stop &&
	test_grep "profile nosuch not found" out/stop.err
'

test_expect_success 'long-lived credentials are loaded once' '
	before=$(wc -l <fake/log) &&
	AWS_EC2_METADATA_SERVICE_ENDPOINT=$fake \
	    run cached --repeat 3 --step 600000 &&
	test_line_count = 3 out/cached &&
	test $(cut -d, -f2 out/cached | sort -u | wc -l) = 1 &&
	test $(($(wc -l <fake/log) - before)) = 3
'

test_expect_success 'short-lived credentials are refreshed before expiry' '
	AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$short_port \
	    run refresh --repeat 4 --step 60000 &&
	cut -d, -f2 out/refresh >akids &&
	cat >expect <<-\EOF &&
	"akid":"ASIAFAKEIMDS00000001"
	"akid":"ASIAFAKEIMDS00000001"
	"akid":"ASIAFAKEIMDS00000002"
	"akid":"ASIAFAKEIMDS00000003"
	EOF
	test_cmp expect akids &&
	test $(grep -c "^imds PUT /latest/api/token 200" short/log) = 3
'

test_expect_success 'a hanging instance metadata service fails within 2 s' '
	AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$hang_port \
	    elapsed_ms test_must_fail run imds-hang &&
	test_grep "timed out" out/imds-hang.err &&
	test $ms -lt 2000
'

test_expect_success 'an unreachable instance metadata service fails within 2 s' '
	AWS_EC2_METADATA_SERVICE_ENDPOINT=$blackhole \
	    elapsed_ms test_must_fail run imds-unreachable &&
	test_grep "timed out" out/imds-unreachable.err &&
	test $ms -lt 2000
'

test_expect_success 'a hanging container endpoint fails within 3 s' '
	AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:$hang_port/ecs/credentials \
	    elapsed_ms test_must_fail run ecs-hang &&
	test_grep "timed out" out/ecs-hang.err &&
	test $ms -lt 3000
'

test_expect_success 'no secret in any output' '
	cat fake/issued short/issued |
	"$PYTHON" -c "import json, sys
for l in sys.stdin:
    d = json.loads(l)
    print(d[\"SecretAccessKey\"]); print(d[\"Token\"])" >secrets &&
	cat >>secrets <<-EOF &&
	$WEBTOK
	$ECSAUTH
	do-not-print
	FAKESECRET
	FAKETOKEN
	EOF
	test $(wc -l <secrets) -gt 10 &&
	ls out | wc -l >nfiles && test $(cat nfiles) -gt 40 &&
	! grep -r -F -f secrets out
'

test_done
