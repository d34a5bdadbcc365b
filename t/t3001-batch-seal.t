#!/bin/sh
test_description='tel-batch: sealing on records, bytes, compressed size and age'
. "$(dirname "$0")/test-lib.sh"

CHECK="$PYTHON $TEL_SRC/t/py/check_batch.py"

field() {
	"$PYTHON" -c "import json,sys; [print(json.loads(l)[\"$1\"]) for l in open(\"$2\")]"
}

test_expect_success 'setup' '
	tel-gen -n 20000 -s 3 >in
'

test_expect_success '--max-records 700 seals at the 700th record' '
	tel-batch --max-records 700 -d s1 <in >m1 &&
	$CHECK m1 in s1 >/dev/null &&
	field records m1 | sort -n | uniq -c >counts &&
	printf "      1 400\n     28 700\n" >expect &&
	test_cmp expect counts
'

test_expect_success '--max-bytes: no batch exceeds it, none could take the next record' '
	tel-batch --max-bytes 100K -d s2 <in >m2 &&
	$CHECK m2 in s2 >/dev/null &&
	"$PYTHON" - <<-\EOF
	import json
	lines = open("in", "rb").read().split(b"\n")[:-1]
	i = 0
	ms = [json.loads(l) for l in open("m2")]
	for n, m in enumerate(ms):
	    assert m["raw_bytes"] <= 102400, m
	    i += m["records"]
	    if n + 1 < len(ms):
	        assert m["raw_bytes"] + len(lines[i]) + 1 > 102400, (m, len(lines[i]))
	assert i == len(lines)
	EOF
'

test_expect_success '--max-compressed 256K: objects come out that size' '
	tel-gen -n 100000 -s 4 >big &&
	tel-batch --max-compressed 256K -d s3 <big >m3 &&
	$CHECK m3 big s3 >/dev/null &&
	field bytes m3 >sizes &&
	sed \$d sizes >full &&
	test $(wc -l <full) -ge 10 &&
	awk "\$1 < 0.99 * 262144 || \$1 > 1.01 * 262144 { print; bad = 1 } END { exit bad }" full
'

test_expect_success '--max-age seals on a timer while stdin stays open and idle' '
	mkfifo fifo &&
	{ tel-batch --max-age 1s -d s4 <fifo >m4 & } &&
	pid=$! &&
	exec 9>fifo &&
	echo "{\"n\":1}" >&9 &&
	i=0 &&
	while ! test -s m4 && test $i -lt 100; do sleep 0.1; i=$((i + 1)); done &&
	test_line_count = 1 m4 &&
	kill -0 $pid &&
	echo "{\"n\":2}" >&9 &&
	exec 9>&- &&
	wait $pid &&
	test_line_count = 2 m4 &&
	field records m4 >recs &&
	printf "1\n1\n" >expect &&
	test_cmp expect recs
'

test_expect_success 'without a time limit hit, EOF seals everything' '
	head -5 in | tel-batch --max-age 1h -d s5 >m5 &&
	test_line_count = 1 m5
'

test_done
