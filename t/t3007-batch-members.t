#!/bin/sh
test_description='tel-batch: gzip members of 1 MiB, compressed on -j threads'
. "$(dirname "$0")/test-lib.sh"

CHECK="$PYTHON $TEL_SRC/t/py/check_batch.py"
HEADER="$PYTHON $TEL_SRC/t/py/gzip_header.py"

# threads PID N: the process has N threads
threads() {
	test "$(ls /proc/$1/task | wc -l)" = "$2"
}

# file MANIFEST: the file of its first line
file() {
	"$PYTHON" -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["file"])' "$1"
}

for bad in "-j 65" "-j -1" "-j x"; do
	test_expect_success "bad usage '-d s $bad': exit 2 with the reason" "
		test_expect_code 2 tel-batch -d s $bad </dev/null >out 2>err &&
		test_must_be_empty out &&
		test_grep '^tel-batch: -j' err &&
		test_grep '^usage: tel-batch' err
	"
done

test_expect_success 'a 3.7 MB batch is 4 members of at most 1 MiB, each whole' '
	tel-gen -n 6000 -s 7 >in &&
	tel-batch -d s1 --sync 1h <in >m1 &&
	$CHECK m1 in s1 >/dev/null &&
	$HEADER members "$(file m1)" >members &&
	cat members &&
	test_line_count = 4 members &&
	"$PYTHON" - <<-\EOF
	import json
	ms = [json.loads(l) for l in open("members")]
	assert all(m["trailer_ok"] for m in ms), ms
	assert [m["raw"] for m in ms[:3]] == [1 << 20] * 3, ms
	assert sum(m["raw"] for m in ms) == len(open("in", "rb").read())
	EOF
'

test_expect_success 'only the first header carries the "TL" metadata' '
	head -1 members | grep "\"flags\": \[\"FEXTRA\"\]" &&
	sed 1d members >rest &&
	! grep FEXTRA rest &&
	$HEADER show "$(file m1)" >h &&
	test_grep "\"meta\": {\"tel-batch\": 1" h
'

test_expect_success 'gzip -t and zcat take the members as one file' '
	gzip -t "$(file m1)" &&
	gzip -dc "$(file m1)" >out &&
	test_cmp in out
'

# The first header holds the key, random by batch: compared are the
# bytes after it.
test_expect_success '-j 0, 1 and 4 make the same bytes from the same input' '
	for j in 0 1 4; do
		tel-batch -j $j -d sj$j --sync 1h --max-bytes 2M <in >mj$j || return 1
		"$PYTHON" - mj$j >sum$j <<-EOF || return 1
		import hashlib, json, sys
		sys.path.insert(0, "$TEL_SRC/t/py")
		from gzip_header import header_len
		for l in open(sys.argv[1]):
		    m = json.loads(l)
		    b = open(m["file"], "rb").read()
		    h, _ = header_len(b, 0)
		    print(m["records"], m["bytes"], hashlib.sha256(b[h:]).hexdigest())
		EOF
	done &&
	test_line_count = 2 sum0 &&
	test_cmp sum0 sum1 &&
	test_cmp sum0 sum4
'

test_expect_success '-j 3 runs three compressing threads; -j 0 none' '
	mkfifo fifo &&
	for j in 3 0; do
		{ tel-batch -j $j -d sf$j <fifo >mf$j & } &&
		pid=$! &&
		exec 9>fifo &&
		echo "{\"n\":1}" >&9 &&
		test_wait_until 10 threads $pid $((j + 1)) &&
		exec 9>&- &&
		wait $pid &&
		test_line_count = 1 mf$j || return 1
	done
'

# grown DIR N: the file being written in DIR/open is larger than N bytes
grown() {
	test "$(cat "$1"/open/*.gz 2>/dev/null | wc -c)" -gt "$2"
}

test_expect_success 'each --sync ends a member: records sent apart are apart' '
	{ tel-batch --sync 100ms -d s2 <fifo >m2 & } &&
	pid=$! &&
	exec 9>fifo &&
	size=0 &&
	for n in 1 2 3; do
		echo "{\"n\":$n}" >&9 &&
		test_wait_until 10 grown s2 $size &&
		size=$(cat s2/open/*.gz | wc -c) || return 1
	done &&
	exec 9>&- &&
	wait $pid &&
	$HEADER members "$(file m2)" >members2 &&
	test_line_count = 3 members2
'

test_expect_success 'a batch of no records (all salvaged away) is still a gzip file' '
	mkdir -p s3/open &&
	printf "{\"k\":1}" | "$PYTHON" "$TEL_SRC/t/py/gzip_header.py" old s3/open/x.gz \
	    "a/b.gz" 1700000000000 cut &&
	tel-batch -d s3 </dev/null >m3 2>err3 &&
	gzip -t s3/ready/a/b.gz &&
	test_grep "\"records\":0,.*\"recovered\":true" m3 &&
	test_grep "dropped 7 bytes of an unfinished last line" err3
'

test_done
