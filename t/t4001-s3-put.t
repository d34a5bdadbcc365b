#!/bin/sh
test_description='tel-s3-put: uploads to MinIO read back with boto3; errors; spool; file:// lake'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"

test_minio_aws

# manifest FILE KEY: a manifest line as tel-batch writes it
manifest() {
	"$PYTHON" - "$@" <<-\EOF
	import hashlib, json, os, sys
	f, k = os.path.abspath(sys.argv[1]), sys.argv[2]
	d = open(f, "rb").read()
	print(json.dumps({"file": f, "key": k, "records": 1, "bytes": len(d),
	                  "sha256": hashlib.sha256(d).hexdigest()}, ensure_ascii=False))
	EOF
}

for bad in "" "-B" "-B b -j 0" "-B b --part-size 1M" "-B b --sse DES" \
    "-B a/b" "-B b --key-prefix p/" "-B b --max-attempts 0" \
    "-B b --endpoint ftp://x" "-B b --endpoint file://rel"; do
	test_expect_success "bad usage '$bad': exit 2 with the reason" "
		test_expect_code 2 tel-s3-put $bad </dev/null >out 2>err &&
		test_must_be_empty out &&
		test_grep '^tel-s3-put: ' err &&
		test_grep '^usage: tel-s3-put' err
	"
done

test_expect_success 'setup' '
	s3_make_bucket "$bucket"
'

test_expect_success 'manifest lines in: objects stored, bytes identical, files removed' '
	head -c 300000 /dev/urandom >a.gz && cp a.gz a.orig &&
	head -c 1000 /dev/urandom >b.gz && cp b.gz b.orig &&
	: >empty.gz &&
	{ manifest a.gz "t/year=2026/a.gz" && manifest b.gz "t/b.gz" &&
	  manifest empty.gz "t/empty.gz"; } >in &&
	s3_put <in >out 2>err &&
	test_line_count = 3 out &&
	! test -e a.gz && ! test -e b.gz && ! test -e empty.gz &&
	s3py get "$bucket" "t/year=2026/a.gz" >got && cmp a.orig got &&
	s3py get "$bucket" t/b.gz >got && cmp b.orig got &&
	s3py get "$bucket" t/empty.gz >got && test_must_be_empty got &&
	printf "t/b.gz\t1000\nt/empty.gz\t0\nt/year=2026/a.gz\t300000\n" >expect &&
	s3py ls "$bucket" t/ >actual && test_cmp expect actual
'

test_expect_success 'result lines: the input members, then bucket, etag, attempts, ms' '
	"$PYTHON" - "$bucket" a.orig <<-\EOF
	import hashlib, json, sys
	ins = [json.loads(l) for l in open("in")]
	outs = [json.loads(l) for l in open("out")]
	assert len(ins) == len(outs) == 3
	# -j: in the order the objects were stored
	outs = sorted(outs, key=lambda o: [i["key"] for i in ins].index(o["key"]))
	for i, o in zip(ins, outs):
	    assert list(o)[:len(i)] == list(i), o
	    assert all(o[k] == v for k, v in i.items()), o
	    assert list(o)[len(i):] == ["bucket", "etag", "attempts", "ms"], o
	    # one request each, and one more for each retry a loaded store asked for
	    again = [l for l in open("err") if "; retrying in " in l and
	        "s3://%s/%s: " % (sys.argv[1], o["key"]) in l]
	    assert o["bucket"] == sys.argv[1] and o["attempts"] == 1 + len(again), o
	    assert isinstance(o["ms"], int) and o["ms"] >= 0, o
	md5 = hashlib.md5(open(sys.argv[2], "rb").read()).hexdigest()
	assert outs[0]["etag"] == "\"%s\"" % md5, outs[0]
	EOF
'

test_expect_success 'content type: application/gzip for .gz, no Content-Encoding' '
	s3py head "$bucket" t/b.gz >head &&
	test_grep "\"content_type\": \"application/gzip\"" head &&
	test_grep "\"content_encoding\": null" head
'

test_expect_success 'hostile keys are signed and stored as given' '
	for k in "sp ace/x y.gz" "uni/ü€😀.gz" "plus/a+b.gz" "pct/100%25%.gz" \
	    "eq/k=v&x=y.gz" "tilde/~a!b*c(d)e.gz" "semi/a;b,c:d@e.gz" \
	    "quote/\"q\"\\x#y?z.gz" "dash/_-.gz"; do
		echo "$k" >f && manifest f "$k" >>in2 && mv f "f-$(echo "$k" | md5sum | cut -c1-8)" &&
		sed -i "s|/f\"|/f-$(echo "$k" | md5sum | cut -c1-8)\"|" in2 || return 1
	done &&
	s3_put <in2 >out2 &&
	test_line_count = 9 out2 &&
	"$PYTHON" -c "import json,sys; [print(json.loads(l)[\"key\"]) for l in open(\"in2\")]" >keys &&
	while read -r k; do
		echo "$k" >expect && s3py get "$bucket" "$k" >got && test_cmp expect got || return 1
	done <keys
'

# S3 takes these keys as they are; MinIO refuses them, but by name, which
# shows that curl sent the path as signed, not with its dots resolved.
test_expect_success 'keys with dot segments or // are sent unnormalized' '
	echo d >d.gz &&
	test_expect_code 1 s3_put --keep --key-prefix "dots/../a/./" d.gz 2>err &&
	test_grep "XMinioInvalidResourceName" err &&
	test_expect_code 1 s3_put --keep --key-prefix "sl//" d.gz 2>err &&
	test_grep "XMinioInvalidObjectName" err
'

test_expect_success 'a key prefix for file arguments; --keep keeps them' '
	echo one >one.txt && echo two >two.txt &&
	s3_put --keep --key-prefix adhoc/ one.txt ./two.txt >out &&
	test_line_count = 2 out &&
	test -e one.txt && test -e two.txt &&
	s3py get "$bucket" adhoc/two.txt >got && test_cmp two.txt got &&
	s3py head "$bucket" adhoc/one.txt >head &&
	test_grep "\"content_type\": \"application/octet-stream\"" head
'

test_expect_success 'a wrong secret: clear error, file kept, other objects go on, exit 1' '
	echo x >w1.gz && echo y >w2.gz &&
	{ manifest w1.gz wrong/1.gz && manifest w2.gz wrong/2.gz; } >in &&
	AWS_SECRET_ACCESS_KEY=x$S3_SECRET_KEY test_expect_code 1 s3_put <in >out 2>err &&
	test_must_be_empty out &&
	test -e w1.gz && test -e w2.gz &&
	test_grep "^tel-s3-put: s3://$bucket/wrong/1.gz: SignatureDoesNotMatch: .*request id [0-9A-F]" err &&
	test_grep "^tel-s3-put: s3://$bucket/wrong/2.gz: SignatureDoesNotMatch" err &&
	test_line_count = 2 err &&
	s3py ls "$bucket" wrong/ >ls && test_must_be_empty ls
'

test_expect_success 'an unknown access key: InvalidAccessKeyId, not retried' '
	AWS_ACCESS_KEY_ID=nobody test_expect_code 1 s3_put -v <in >out 2>err &&
	test_grep "InvalidAccessKeyId" err &&
	test $(grep -c "^tel-s3-put: PUT " err) = 2 &&
	test -e w1.gz
'

test_expect_success 'a missing bucket: NoSuchBucket, file kept' '
	test_expect_code 1 tel-s3-put -B "$bucket-nope" --endpoint "$S3_ENDPOINT" \
		<in >out 2>err &&
	test_grep "^tel-s3-put: s3://$bucket-nope/wrong/1.gz: NoSuchBucket: " err &&
	test -e w1.gz && test -e w2.gz
'

test_expect_success 'a sha256 or size mismatch: reported, not uploaded, file kept' '
	echo good >m1.gz && manifest m1.gz mism/1.gz >in &&
	echo evil >m1.gz &&
	echo fine >m2.gz && manifest m2.gz mism/2.gz >>in &&
	echo also >m3.gz && manifest m3.gz mism/3.gz |
		sed "s/\"bytes\": [0-9]*/\"bytes\": 1/" >>in &&
	test_expect_code 1 s3_put <in >out 2>err &&
	test_line_count = 1 out && test_grep mism/2.gz out &&
	test_grep "s3://$bucket/mism/1.gz: .*SHA-256 .*not uploaded" err &&
	test_grep "s3://$bucket/mism/3.gz: .*the manifest says 1; not uploaded" err &&
	test -e m1.gz && test -e m3.gz && ! test -e m2.gz &&
	printf "mism/2.gz\t5\n" >expect &&
	s3py ls "$bucket" mism/ >actual && test_cmp expect actual
'

test_expect_success 'bad input lines are named by number; the good ones go up' '
	echo g >g.gz &&
	{ echo "not json" && echo "[1]" && echo "{\"key\":\"k\"}" &&
	  echo "{\"file\":\"g.gz\",\"key\":\"\"}" &&
	  echo "{\"file\":\"g.gz\",\"key\":\"k\",\"sha256\":\"zz\"}" &&
	  manifest g.gz bad/g.gz; } >in &&
	test_expect_code 1 s3_put <in >out 2>err &&
	test_line_count = 1 out &&
	for n in 1 2 3 4 5; do test_grep "^tel-s3-put: line $n: " err || return 1; done &&
	! test_grep "line 6" err
'

test_expect_success 'a missing file is an error' '
	echo "{\"file\":\"/nonexistent/x\",\"key\":\"x\"}" |
		test_expect_code 1 s3_put >out 2>err &&
	test_grep "s3://$bucket/x: /nonexistent/x: No such file" err
'

test_expect_success '--spool uploads everything under ready/, key = path below it' '
	tel-gen -n 3000 -s 7 | tel-batch -d spool --max-records 1000 >man &&
	test_line_count = 3 man &&
	mkdir -p spool/ready/extra/deep && echo left >spool/ready/extra/deep/over.gz &&
	(cd spool/ready && find . -type f | sed "s|^\./||" | sort) >expect.keys &&
	s3_put --spool spool </dev/null >out &&
	test_line_count = 4 out &&
	find spool/ready -type f >left && test_must_be_empty left &&
	s3py ls "$bucket" >ls && cut -f1 ls >all.keys &&
	while read -r k; do grep -qxF "$k" all.keys || return 1; done <expect.keys
'

test_expect_success 'the real pipeline: tel-batch | tel-s3-put' '
	tel-gen -n 5000 -s 9 | tel-batch -d spool2 --max-records 2000 |
		s3_put >out &&
	test_line_count = 3 out &&
	"$PYTHON" - <<-\EOF
	import json
	for l in open("out"):
	    o = json.loads(l)
	    assert o["records"] > 0 and o["sha256"] and o["etag"], o
	EOF
	find spool2/ready -type f >left && test_must_be_empty left
'

test_expect_success '-j 4: every object once, in any order, files removed' '
	mkdir par && i=0 &&
	while test $i -lt 40; do
		head -c $((1000 + i * 997)) /dev/urandom >par/p$i.gz &&
		manifest par/p$i.gz "par/p$i.gz" >>in.par || return 1
		i=$((i + 1))
	done &&
	mkdir par.orig && cp par/* par.orig/ &&
	echo "not json" >>in.par &&
	manifest par/p0.gz "par/again.gz" >>in.par &&
	test_expect_code 1 s3_put -j 4 <in.par >out 2>err &&
	test_grep "^tel-s3-put: line 41: not JSON" err &&
	test_grep "s3://$bucket/par/again.gz: .*No such file" err &&
	test_line_count = 40 out &&
	cut -d, -f2 out | sort >keys.out && sort -u keys.out >keys.uniq &&
	test_cmp keys.out keys.uniq &&
	ls par >left && test_must_be_empty left &&
	for f in par.orig/*; do
		s3py get "$bucket" "par/${f##*/}" >got && cmp "$f" got || return 1
	done
'

test_expect_success '--spool with -j 3 and the file:// lake with -j 2' '
	tel-gen -n 6000 -s 11 | tel-batch -d spool3 --max-records 1000 >man &&
	test_line_count = 6 man &&
	s3_put -j 3 --spool spool3 </dev/null >out &&
	test_line_count = 6 out &&
	find spool3/ready -type f >left && test_must_be_empty left &&
	mkdir lakej &&
	tel-gen -n 3000 -s 12 | tel-batch -d spool4 --max-records 1000 |
		tel-s3-put -j 2 -B lakej --endpoint "file://$PWD/lakej" >out &&
	test_line_count = 3 out &&
	test $(find lakej/lakej -type f | wc -l) = 3
'

test_expect_success 'file:// lake: DIR/BUCKET/KEY, atomically, etag the MD5' '
	mkdir lake && head -c 5000 /dev/urandom >l.gz && cp l.gz l.orig &&
	manifest l.gz "a/b c/l.gz" >in &&
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
		tel-s3-put -B lakeb --endpoint "file://$PWD/lake" <in >out &&
	cmp l.orig "lake/lakeb/a/b c/l.gz" && ! test -e l.gz &&
	md5=$(md5sum <l.orig | cut -d" " -f1) &&
	test_grep "\"etag\":\"\\\\\"$md5\\\\\"\"" out &&
	find lake -name ".*" >tmps && test_must_be_empty tmps &&
	echo "{\"file\":\"$PWD/l.orig\",\"key\":\"../escape\"}" |
		test_expect_code 1 tel-s3-put -B lakeb --endpoint "file://$PWD/lake" 2>err &&
	test_grep "no path below the lake" err && test -e l.orig
'

# MinIO issues temporary credentials through STS AssumeRole.
test_expect_success 'temporary credentials: the session token is signed and sent' '
	"$PYTHON" - "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY" >sts.env <<-\EOF &&
	import boto3, sys
	sts = boto3.client("sts", endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2],
	                   aws_secret_access_key=sys.argv[3], region_name="us-east-1")
	c = sts.assume_role(RoleArn="arn:minio:iam:::role/tel", RoleSessionName="tel-test",
	                    DurationSeconds=900)["Credentials"]
	print(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
	EOF
	read -r akid secret token <sts.env &&
	echo t >t1.gz && echo t >t2.gz &&
	AWS_ACCESS_KEY_ID=$akid AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token \
		s3_put -v --key-prefix sts/ t1.gz >sts.out 2>sts.err &&
	! test -e t1.gz &&
	s3py get "$bucket" sts/t1.gz >got && test_cmp got t2.gz &&
	AWS_ACCESS_KEY_ID=$akid AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=x$token \
		test_expect_code 1 s3_put -v --key-prefix sts/ t2.gz >>sts.out 2>>sts.err &&
	test -e t2.gz &&
	! grep -F -e "$secret" -e "$token" sts.out sts.err
'

test_expect_success 'no secret in any output at -v' '
	echo s >s.gz && manifest s.gz sec/s.gz >in &&
	AWS_SESSION_TOKEN=tokSECRETtok s3_put -v <in >out 2>err;
	echo s >s.gz && manifest s.gz sec/s.gz >in &&
	s3_put -v <in >>out 2>>err &&
	AWS_SECRET_ACCESS_KEY=x$S3_SECRET_KEY test_must_fail s3_put -v <in >>out 2>>err &&
	test_grep "PUT s3://" err &&
	! grep -F -e "$S3_SECRET_KEY" -e tokSECRETtok out err
'

test_done
