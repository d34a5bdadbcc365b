#!/bin/sh
test_description='contrib/: IAM policies, systemd units and the crontab are valid and use only what the tools accept'
. "$(dirname "$0")/test-lib.sh"

C=$TEL_SRC/contrib

# The actions of IAM access control for MSK, and the S3 and KMS actions a
# tel host may need.  Source: "Semantics of IAM authorization policy
# actions and resources", Amazon MSK Developer Guide,
# https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html
# (kafka-cluster:*); the Service Authorization Reference for Amazon S3,
# AWS KMS and Amazon Kinesis Data Streams (s3:*, kms:*, kinesis:*).
cat >known-actions <<\END
kafka-cluster:Connect
kafka-cluster:DescribeCluster
kafka-cluster:AlterCluster
kafka-cluster:DescribeClusterDynamicConfiguration
kafka-cluster:AlterClusterDynamicConfiguration
kafka-cluster:WriteDataIdempotently
kafka-cluster:CreateTopic
kafka-cluster:DescribeTopic
kafka-cluster:AlterTopic
kafka-cluster:DeleteTopic
kafka-cluster:DescribeTopicDynamicConfiguration
kafka-cluster:AlterTopicDynamicConfiguration
kafka-cluster:ReadData
kafka-cluster:WriteData
kafka-cluster:DescribeGroup
kafka-cluster:AlterGroup
kafka-cluster:DeleteGroup
kafka-cluster:DescribeTransactionalId
kafka-cluster:AlterTransactionalId
s3:PutObject
s3:AbortMultipartUpload
s3:ListMultipartUploadParts
s3:PutObjectTagging
kms:GenerateDataKey
kms:Decrypt
kinesis:PutRecords
kinesis:ListShards
kinesis:GetShardIterator
kinesis:GetRecords
kinesis:CreateStream
kinesis:DescribeStreamSummary
kinesis:IncreaseStreamRetentionPeriod
kinesis:DecreaseStreamRetentionPeriod
END

# check_policy.py KNOWN FILE...: each file is an IAM policy of Allow
# statements whose actions are all in KNOWN (so no wildcards) and whose
# resources are single MSK cluster/topic/group, Kinesis stream, S3 prefix
# or KMS key ARNs.
cat >check_policy.py <<\END
import json, re, sys
known = set(open(sys.argv[1]).read().split())
arn = re.compile(
    r"arn:aws:kafka:[a-z0-9-]+:\d{12}:(cluster/[^/*]+/[0-9a-f-]+"
    r"|(topic|group)/[^/*]+/[0-9a-f-]+/[^/*]+)$"
    r"|arn:aws:kinesis:[a-z0-9-]+:\d{12}:stream/[A-Za-z0-9_.-]+$"
    r"|arn:aws:s3:::[a-z0-9.-]+/[^*]+/\*$"
    r"|arn:aws:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]+$")
bad = 0
for f in sys.argv[2:]:
    p = json.load(open(f))
    assert p["Version"] == "2012-10-17", f
    for st in p["Statement"]:
        assert st["Effect"] == "Allow", f
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        res = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        for a in acts:
            if a not in known:
                print("%s: %s: unknown action %s" % (f, st.get("Sid"), a))
                bad = 1
        for r in res:
            if not arn.match(r):
                print("%s: %s: not a narrow ARN: %s" % (f, st.get("Sid"), r))
                bad = 1
sys.exit(bad)
END

# commands.py FILE...: each tel tool invocation in the job lines of a
# crontab and the Exec lines of units, one a line: its arguments up to
# the next pipe, redirection, quote or ";", with the EnvironmentFile's
# and systemd's variables put in.
cat >commands.py <<\END
import re, shlex, sys
env = {"TEL_TOPIC": "acme-telemetry", "TEL_GROUP": "lake",
       "TEL_BUCKET": "acme-lake", "STATE_DIRECTORY": "/var/lib/tel",
       "LOGS_DIRECTORY": "/var/log/tel"}
job = re.compile(r"^([0-9*@]|Exec[A-Za-z]*=)")
for f in sys.argv[1:]:
    text = "".join(l for l in open(f) if job.match(l))
    for m in re.finditer(r"(?<![\w/.-])(tel-[a-z0-9-]+)((?:[ \t]+[^|;>'\n&]*)?)",
                         text):
        args = shlex.split(re.sub(r"\$\{?(\w+)\}?",
                                  lambda v: env.get(v.group(1), v.group(0)),
                                  m.group(2)))
        while args and args[-1].isdigit():   # the 2 of a 2>> after it
            args.pop()
        print(" ".join(shlex.quote(a) for a in [m.group(1)] + args))
END

test_expect_success 'the policies are JSON' '
	for f in "$C"/iam/*.json; do
		"$PYTHON" -m json.tool "$f" >/dev/null || return 1
	done
'

test_expect_success 'the policies use only known actions on narrow resources' '
	"$PYTHON" check_policy.py known-actions "$C"/iam/*.json
'

test_expect_success 'the policy check fails on an unknown action or a wildcard' '
	sed "s/kafka-cluster:WriteData\"/kafka-cluster:WriteDatum\"/" \
		"$C/iam/producer-policy.json" >typo.json &&
	test_must_fail "$PYTHON" check_policy.py known-actions typo.json >out &&
	test_grep "unknown action kafka-cluster:WriteDatum" out &&
	sed "s|topic/acme/[^\"]*|topic/*|" \
		"$C/iam/producer-policy.json" >wild.json &&
	test_must_fail "$PYTHON" check_policy.py known-actions wild.json >out &&
	test_grep "not a narrow ARN" out
'

# What each side must be allowed, from the same page's "Required
# actions": WriteData needs Connect and DescribeTopic, the idempotent
# producer WriteDataIdempotently; ReadData needs AlterGroup as well.
test_expect_success 'each host has the actions its tools need, and no more' '
	for a in Connect WriteDataIdempotently DescribeTopic WriteData; do
		test_grep "\"kafka-cluster:$a\"" "$C/iam/producer-policy.json" ||
		return 1
	done &&
	for a in kafka-cluster:Connect kafka-cluster:DescribeTopic \
	    kafka-cluster:ReadData kafka-cluster:DescribeGroup \
	    kafka-cluster:AlterGroup s3:PutObject s3:AbortMultipartUpload \
	    s3:ListMultipartUploadParts; do
		test_grep "\"$a\"" "$C/iam/consumer-policy.json" || return 1
	done &&
	test_grep -v "\"kafka-cluster:WriteData" "$C/iam/consumer-policy.json" &&
	test_grep -v "\"kafka-cluster:ReadData\"" "$C/iam/producer-policy.json" &&
	test_grep -v "\"s3:" "$C/iam/producer-policy.json" &&
	test_grep "\"kms:GenerateDataKey\"" "$C/iam/consumer-kms-policy.json"
'

# What tel-kinesis-put, tel-kinesis-cat and tel-mkstream call: each
# policy allows its tool's calls (taken from the code itself) and no
# other tool's.
kinesis_ops() {
	grep -ho "\"\(PutRecords\|ListShards\|GetShardIterator\|GetRecords\|CreateStream\|DescribeStreamSummary\|[A-Za-z]*StreamRetentionPeriod\)\"" \
	    "$TEL_SRC"/$1/*.c | tr -d "\"" | sort -u
}

test_expect_success 'the Kinesis policies allow what each tool calls, and no more' '
	for pair in tel-kinesis-put:producer tel-kinesis-cat:consumer \
	    tel-mkstream:admin; do
		tool=${pair%%:*} pol=$C/iam/kinesis-${pair#*:}-policy.json &&
		kinesis_ops $tool >calls &&
		test -s calls &&
		grep -o "\"kinesis:[A-Za-z]*\"" "$pol" | tr -d "\"" |
			sed "s/^kinesis://" | sort -u >allowed &&
		test_cmp calls allowed || return 1
	done &&
	test_grep "\"s3:PutObject\"" "$C/iam/kinesis-consumer-policy.json" &&
	test_grep -v "\"s3:" "$C/iam/kinesis-producer-policy.json" &&
	test_grep "\"kms:GenerateDataKey\"" "$C/iam/kinesis-kms-policy.json" &&
	test_grep "\"kms:Decrypt\"" "$C/iam/kinesis-kms-policy.json"
'

test_lazy_prereq SYSTEMD_ANALYZE 'systemd-analyze --version'
if ! test_have_prereq SYSTEMD_ANALYZE; then
	test_diag "systemd-analyze not found: the units are not verified"
fi

test_expect_success SYSTEMD_ANALYZE 'systemd-analyze verify passes the units' '
	mkdir units &&
	cp "$C"/systemd/* units/ &&
	systemd-analyze verify --man=no units/*.service units/*.timer \
		>out 2>&1 &&
	test_must_be_empty out
'

# verify only warns about a bad value, which the test above sees as
# output; a missing program is an error.
test_expect_success SYSTEMD_ANALYZE 'systemd-analyze verify reports broken units' '
	mkdir typo missing &&
	sed "s/^Type=oneshot/Type=oneshoot/" "$C/systemd/tel-producer.service" \
		>typo/tel-producer.service &&
	systemd-analyze verify --man=no typo/tel-producer.service >out 2>&1 ;
	test_grep "oneshoot" out &&
	sed "s|^ExecStart=/bin/bash|ExecStart=/bin/no-such-bash|" \
		"$C/systemd/tel-producer.service" >missing/tel-producer.service &&
	test_must_fail systemd-analyze verify --man=no \
		missing/tel-producer.service 2>out &&
	test_grep "no-such-bash" out
'

test_expect_success 'every service is hardened and reads the EnvironmentFile' '
	for f in "$C"/systemd/*.service; do
		for d in DynamicUser=yes ProtectSystem=strict NoNewPrivileges=yes \
		    PrivateTmp=yes ProtectHome=yes StateDirectory= \
		    EnvironmentFile=/etc/tel/tel.env CapabilityBoundingSet=; do
			test_grep "^$d" "$f" || return 1
		done
	done
'

test_expect_success 'long-running consumer restarts on failure; the cron one uses -e' '
	test_grep "^Restart=on-failure" "$C/systemd/tel-consumer.service" &&
	test_grep -v " -e " "$C/systemd/tel-consumer.service" &&
	test_grep "tel-kafka-cat .* -e |" "$C/systemd/tel-consumer-cron.service" &&
	test_grep "tel-kafka-cat .*--ack \"\$STATE_DIRECTORY/ack\"" "$C/systemd/tel-consumer.service" &&
	test_grep "tee -a [^|]* >\"\$STATE_DIRECTORY/ack\"" "$C/systemd/tel-consumer.service" &&
	test_grep "^KillMode=mixed$" "$C/systemd/tel-consumer.service" &&
	test_grep "tel-kafka-cat .*--ack \"\$STATE_DIRECTORY/ack\"" "$C/systemd/tel-consumer-cron.service" &&
	test_grep "tee -a [^|]* >\"\$STATE_DIRECTORY/ack\"" "$C/systemd/tel-consumer-cron.service" &&
	test_grep "tel-s3-put .*--spool" "$C/systemd/tel-consumer-cron.service" &&
	test_grep "^OnCalendar=\*:0/5$" "$C/systemd/tel-producer.timer" &&
	test_grep "tel-kafka-put --msk-iam " "$C/systemd/tel-producer.service"
'

test_expect_success 'the crontab lines parse: five time fields and a command' '
	grep -v -e "^#" -e "^[	 ]*$" -e "^[A-Za-z_][A-Za-z0-9_]*=" \
		"$C/crontab" >jobs &&
	test_line_count = 2 jobs &&
	awk "NF < 6 { print \"too few fields: \" \$0; bad = 1 }
	     { for (i = 1; i <= 5; i++)
		 if (\$i !~ /^(\\*|[0-9]+(-[0-9]+)?)(\\/[0-9]+)?(,[0-9]+(-[0-9]+)?)*\$/) {
			print \"bad field \" i \": \" \$i; bad = 1 } }
	     END { exit bad }" jobs &&
	grep -c "^\*/5 \* \* \* \* " jobs >n &&
	echo 2 >want &&
	test_cmp want n &&
	test_grep -v "%" jobs
'

test_expect_success 'crontab: producer with --msk-iam, consumer under flock -n, then --spool' '
	test_grep "tel-gen | tel-kafka-put --msk-iam " jobs &&
	test_grep "flock -n [^ ]* bash -c .*tel-kafka-cat --msk-iam [^|]* -G lake -e |" jobs &&
	test_grep "mkfifo -m 600 /var/lib/tel/ack; tel-kafka-cat [^|]*--ack /var/lib/tel/ack " jobs &&
	test_grep "tee -a [^|]* >/var/lib/tel/ack" jobs &&
	test_grep "; flock -n [^ ]* tel-s3-put .*--spool " jobs
'

test_expect_success 'every tel command in the crontab and units takes its options' '
	"$PYTHON" commands.py "$C/crontab" "$C"/systemd/*.service >cmds &&
	test_grep "^tel-gen$" cmds &&
	test_grep "^tel-kafka-put --msk-iam -t acme-telemetry -k session_id$" cmds &&
	test_grep "^tel-kafka-cat --msk-iam -t acme-telemetry --ack /var/lib/tel/ack -G lake -e$" cmds &&
	test_grep "^tel-s3-put -q -B acme-lake --spool /var/lib/tel/spool$" cmds &&
	while read -r cmd; do
		eval "$cmd --help" >help.out 2>help.err ||
		{ echo "rejected: $cmd"; cat help.err; return 1; }
		test_grep "^usage: " help.out || return 1
	done <cmds
'

test_expect_success 'that check fails on an option a tool does not take' '
	echo "*/5 * * * * tel-kafka-put --msk-iam -t t --no-such-option" >bad.cron &&
	"$PYTHON" commands.py bad.cron >cmds &&
	read -r cmd <cmds &&
	test_must_fail eval "$cmd --help" >help.out 2>help.err &&
	test_grep "no-such-option" help.err
'

test_expect_success 'contrib/README.md names every file' '
	(cd "$C" && find . -type f ! -name README.md | sed "s|^\./||") >files &&
	test_line_count -gt 8 files &&
	while read -r f; do
		test_grep "\`$f\`" "$C/README.md" || return 1
	done <files
'

test_done
