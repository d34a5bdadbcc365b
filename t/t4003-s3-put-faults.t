#!/bin/sh
test_description='tel-s3-put: resets, stalls, kill -9 and SIGTERM through toxiproxy'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"

test_minio_aws
test_s3_proxy

# via ARG...: tel-s3-put through the proxy
via() {
	tel-s3-put -B "$bucket" --endpoint "$S3_PROXY_ENDPOINT" "$@"
}

# files DIR N SIZE: N random files DIR/fN.gz of SIZE bytes, copies in DIR.orig
files() {
	mkdir -p "$1" "$1.orig" &&
	i=0 && while test $i -lt "$2"; do
		head -c "$3" /dev/urandom >"$1/f$i.gz" &&
		cp "$1/f$i.gz" "$1.orig/f$i.gz" || return 1
		i=$((i + 1))
	done
}

# same PREFIX DIR: every file of DIR.orig is in the bucket under PREFIX
same() {
	for f in "$2.orig"/*; do
		s3py get "$bucket" "$1$(basename "$f")" >got &&
		cmp "$f" got || return 1
	done
}

test_expect_success 'setup' '
	s3_make_bucket "$bucket"
'

# A toxic for a while: every connection meanwhile fails; retries outlast it.
test_expect_success 'connections reset mid-transfer for a while, -j 1: retried, everything arrives' '
	s3_proxy_reset &&
	files r 8 400000 &&
	toxi add "$S3_PROXY" bandwidth rate=2000 --stream upstream >/dev/null &&
	toxi add "$S3_PROXY" reset_peer timeout=100 >/dev/null || return 1
	{ sleep 1.5 && toxi remove "$S3_PROXY" reset_peer_downstream >/dev/null; } &
	via -j 1 --max-attempts 10 --key-prefix reset/ r/* >out 2>err_reset &&
	wait &&
	test_line_count = 8 out &&
	test_grep "Connection reset by peer; retrying in" err_reset &&
	"$PYTHON" -c "import json; assert json.loads(open(\"out\").readline())[\"attempts\"] > 1" &&
	ls r >left && test_must_be_empty left &&
	same reset/ r
'

test_expect_success 'the same with -j 4: every object once, all arrive' '
	s3_proxy_reset &&
	files rj 8 400000 &&
	toxi add "$S3_PROXY" bandwidth rate=2000 --stream upstream >/dev/null &&
	toxi add "$S3_PROXY" reset_peer timeout=100 >/dev/null || return 1
	{ sleep 1.5 && toxi remove "$S3_PROXY" reset_peer_downstream >/dev/null; } &
	via -j 4 --max-attempts 10 --key-prefix resetj/ rj/* >out 2>err_resetj &&
	wait &&
	test_line_count = 8 out &&
	test_grep "Connection reset by peer; retrying in" err_resetj &&
	ls rj >left && test_must_be_empty left &&
	same resetj/ rj
'

test_expect_success 'stalled connections: given up after --stall-timeout, retried' '
	s3_proxy_reset &&
	files s 3 100000 &&
	toxi add "$S3_PROXY" timeout timeout=0 >/dev/null || return 1
	{ sleep 2 && toxi remove "$S3_PROXY" timeout_downstream >/dev/null; } &
	via --max-attempts 10 --stall-timeout 1s --key-prefix stall/ s/* >out 2>err_stall &&
	wait &&
	test_line_count = 3 out &&
	test_grep "retrying in" err_stall &&
	ls s >left && test_must_be_empty left &&
	same stall/ s
'

test_expect_success 'multipart with resets: ETag -N, identical, nothing orphaned' '
	s3_proxy_reset &&
	files m 1 16000000 &&
	toxi add "$S3_PROXY" bandwidth rate=20000 --stream upstream >/dev/null &&
	toxi add "$S3_PROXY" reset_peer timeout=100 >/dev/null || return 1
	{ sleep 1 && toxi remove "$S3_PROXY" reset_peer_downstream >/dev/null; } &
	via -v --max-attempts 10 --multipart-threshold 5M --part-size 5M \
		--key-prefix mpr/ m/f0.gz >out 2>err_mpr &&
	wait &&
	test_grep "retrying in" err_mpr &&
	test_grep "[0-9a-f]-4\\\\\"" out &&
	same mpr/ m &&
	s3py list-multipart "$bucket" >mpu && test_must_be_empty mpu
'

test_expect_success 'a part that times out for good: the upload is aborted, file kept' '
	s3_proxy_reset &&
	files a 1 16000000 &&
	toxi add "$S3_PROXY" bandwidth rate=2000 --stream upstream >/dev/null &&
	test_expect_code 1 via --max-time 1s --multipart-threshold 5M \
		--part-size 5M --key-prefix abort/ a/f0.gz >out 2>err_abort &&
	test_must_be_empty out &&
	test_grep "s3://$bucket/abort/f0.gz: UploadPart: .*timed out" err_abort &&
	test -e a/f0.gz &&
	s3py list-multipart "$bucket" >mpu_abort && ! test_grep "^abort/" mpu_abort &&
	s3py ls "$bucket" abort/ >ls && test_must_be_empty ls
'

test_expect_success 'out of attempts: reported, file kept, exit 1' '
	s3_proxy_reset &&
	files d 1 1000 &&
	toxi disable "$S3_PROXY" &&
	test_expect_code 1 via --max-attempts 3 --key-prefix down/ d/f0.gz 2>err &&
	toxi enable "$S3_PROXY" &&
	test $(grep -c "retrying in" err) = 2 &&
	test_grep "s3://$bucket/down/f0.gz: .*onnect" err &&
	test -e d/f0.gz
'

test_expect_success '--max-time bounds the retries' '
	s3_proxy_reset &&
	toxi disable "$S3_PROXY" &&
	t0=$(date +%s) &&
	test_expect_code 1 via --max-attempts 100 --max-time 2s --key-prefix down/ d/f0.gz 2>err &&
	t1=$(date +%s) &&
	toxi enable "$S3_PROXY" &&
	test $((t1 - t0)) -le 4 &&
	test -e d/f0.gz
'

test_expect_success 'kill -9 mid-upload, then --spool: everything uploaded' '
	s3_proxy_reset &&
	tel-gen -n 60000 -s 3 | tel-batch -d spool --max-records 10000 -l 0 >man &&
	test_line_count = 6 man &&
	(cd spool/ready && find . -type f | sed "s|^\./||" | sort) >keys &&
	mkdir orig && (cd spool/ready && tar cf - .) | (cd orig && tar xf -) &&
	toxi add "$S3_PROXY" bandwidth rate=500 --stream upstream >/dev/null &&
	tel-s3-put -B "$bucket" --endpoint "$S3_PROXY_ENDPOINT" <man >out1 2>err1 &
	pid=$! &&
	sleep 2 &&
	kill -9 $pid &&
	{ wait $pid; true; } &&
	test $(wc -l <out1) -lt 6 &&
	test -n "$(find spool/ready -type f)" &&
	tel-s3-put -B "$bucket" --endpoint "$S3_ENDPOINT" --spool spool </dev/null >out2 &&
	find spool/ready -type f >left && test_must_be_empty left &&
	while read -r k; do
		s3py get "$bucket" "$k" >got && cmp "orig/$k" got || return 1
	done <keys
'

test_expect_success 'SIGTERM with -j 3: every transfer stops, files kept' '
	s3_proxy_reset &&
	files tj 3 3000000 &&
	toxi add "$S3_PROXY" bandwidth rate=500 --stream upstream >/dev/null &&
	tel-s3-put -B "$bucket" --endpoint "$S3_PROXY_ENDPOINT" -j 3 \
		--key-prefix termj/ tj/* >out 2>err_termj &
	pid=$! &&
	sleep 2 &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } ;
	test "$rc" = 1 &&
	test $(grep -c "interrupted" err_termj) -ge 3 &&
	test_must_be_empty out &&
	test $(ls tj | wc -l) = 3 &&
	s3py ls "$bucket" termj/ >ls && test_must_be_empty ls
'

test_expect_success 'SIGTERM mid-multipart: stops soon, aborts, keeps the file' '
	s3_proxy_reset &&
	files t 1 30000000 &&
	toxi add "$S3_PROXY" bandwidth rate=2000 --stream upstream >/dev/null &&
	tel-s3-put -B "$bucket" --endpoint "$S3_PROXY_ENDPOINT" \
		--multipart-threshold 5M --part-size 5M --key-prefix term/ t/f0.gz \
		>out 2>err_term &
	pid=$! &&
	sleep 2 &&
	t0=$(date +%s) &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } ;
	t1=$(date +%s) &&
	test "$rc" = 1 &&
	test $((t1 - t0)) -le 5 &&
	test_grep "interrupted" err_term &&
	test_must_be_empty out &&
	test -e t/f0.gz && cmp t/f0.gz t.orig/f0.gz &&
	s3py list-multipart "$bucket" >mpu_term && ! test_grep "^term/" mpu_term &&
	s3py ls "$bucket" term/ >ls && test_must_be_empty ls
'

test_done
