#!/bin/sh
test_description='MSK IAM tokens equal those of aws-msk-iam-sasl-signer-python'
. "$(dirname "$0")/test-lib.sh"

helper=$TEL_BUILD/t/helper-aws-creds
test -x "$helper" || error "$helper is not built: run make test-bins"
if ! "$PYTHON" -c 'import aws_msk_iam_sasl_signer, botocore.auth' 2>/dev/null; then
	test_skip_or_fail "no $PYTHON with aws-msk-iam-sasl-signer-python (t/peers/setup.sh makes it)"
fi

# check ARGS...: the reference signer and ours agree (msk_signer_check.py).
check() {
	"$PYTHON" "$TEL_SRC/t/py/msk_signer_check.py" --helper "$helper" "$@"
}

EX_AKID=AKIAIOSFODNN7EXAMPLE
EX_SECRET=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
SUITE_SECRET=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY

test_expect_success 'us-west-2, 2024-01-01, with a session token' '
	check --region us-west-2 --akid $EX_AKID --secret $EX_SECRET \
	    --token MOCK_AWS_TOKEN --now 1704067200000
'

test_expect_success 'us-west-2, 2024-01-01, without' '
	check --region us-west-2 --akid $EX_AKID --secret $EX_SECRET \
	    --now 1704067200000
'

test_expect_success 'ap-southeast-1, 2023-11-14, with a session token' '
	check --region ap-southeast-1 --akid AKIDEXAMPLE --secret $SUITE_SECRET \
	    --token IQoJb3Jp --now 1700000000000
'

test_expect_success 'ap-southeast-1, 2023-11-14, without' '
	check --region ap-southeast-1 --akid AKIDEXAMPLE --secret $SUITE_SECRET \
	    --now 1700000000000
'

test_expect_success 'a session token that needs encoding, a clock mid-second' '
	check --region eu-central-1 --akid ASIAQEXAMPLE7TOKEN \
	    --secret "a/b+c=d$SUITE_SECRET" \
	    --token "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+a/b=" \
	    --now 1763836956789
'

test_expect_success 'a China region' '
	check --region cn-north-1 --akid AKIDEXAMPLE --secret $SUITE_SECRET \
	    --token IQoJb3Jp --now 1763836956000
'

test_expect_success 'the check itself fails on a different signature' '
	test_must_fail check --region us-west-2 --akid $EX_AKID \
	    --secret $EX_SECRET --our-secret x$EX_SECRET --now 1704067200000 >out &&
	test_grep "URLs differ" out
'

test_done
