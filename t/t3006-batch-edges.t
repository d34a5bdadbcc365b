#!/bin/sh
test_description='tel-batch: edge cases from review - prefixes, long keys, CRLF, faults'
. "$(dirname "$0")/test-lib.sh"

CHECK="$PYTHON $TEL_SRC/t/py/check_batch.py"

for bad in "!{timestamp:yyyyy}/" "x/!{timestamp:HHH}/" "/abs/" "a//b/" "a/./b/" \
    "../up/" "a/../b/" "x/!{timestamp:yyyy"; do
	test_expect_success "prefix '$bad' is refused" "
		test_expect_code 2 tel-batch -d s --prefix '$bad' </dev/null 2>err &&
		test_grep '^tel-batch: --prefix ' err
	"
done

# A control byte in the literal text would pose as the random string.
test_expect_success 'a control character in the prefix is refused' '
	test_expect_code 2 tel-batch -d s --prefix "$(printf "x\001y/")" \
		</dev/null 2>err &&
	test_grep "control character in prefix" err &&
	test_expect_code 2 tel-batch -d s --prefix "$(printf "x\002y/")" \
		</dev/null 2>err
'

test_expect_success 'a partition value too long for a key segment is an error record' '
	long=$(printf "%0300d" 0) &&
	slashes=$(printf "%086d" 0 | tr 0 /) &&
	printf "{\"k\":\"ok\"}\n{\"k\":\"%s\"}\n{\"k\":\"%s\"}\n{\"k\":\"ok\"}\n" \
	    "$long" "$slashes" >in &&
	tel-batch --prefix "k=!{partitionKeyFromQuery:k}/" -d s1 <in >m1 2>err &&
	$CHECK m1 in s1 >summary &&
	test_grep "\"PrefixTooLong\": 2" summary &&
	test_grep "\"records\": 2" summary
'

test_expect_success 'keys never pass 1024 bytes, random strings and name included' '
	lit=$(printf "%0180d/" 0 0 0 0 0) &&
	name=$(printf "%064d" 0 | tr 0 n) &&
	echo "{\"a\":1}" >one &&
	tel-batch --name $name --prefix "$lit!{firehose:random-string}/" -d s2 <one >m2 2>err &&
	"$PYTHON" -c "
import json
for m in map(json.loads, open(\"m2\")):
    assert len(m[\"key\"].encode()) <= 1024, len(m[\"key\"])
" &&
	test_grep "\"error\":true" m2 &&
	test_grep "prefix longer than an S3 key allows" err
'

test_expect_success 'the time field may also be a partition key' '
	printf "{\"t\":\"2026-11-22T10:00:00Z\"}\n" >t &&
	tel-batch --time-field t --prefix "t=!{partitionKeyFromQuery:t}/h=!{timestamp:HH}/" \
	    -d s3 <t >m3 &&
	test_grep "\"key\":\"t=2026-11-22T10:00:00Z/h=10/" m3
'

test_expect_success 'a restart announces the same first and last as the seal did' '
	tel-gen -n 2000 -s 2 --start 2026-11-22T18:00:00Z >ev &&
	tel-batch --time-field event_timestamp -d s4 <ev >m4 &&
	tel-batch -d s4 </dev/null >m4b &&
	sed "s/,\"recovered\":true//" m4b | sort >again &&
	sort m4 >orig &&
	test_cmp orig again
'

test_expect_success 'what is not ours in open/ stays, named; input still flows' '
	mkdir -p s5/open &&
	echo "not gzip" >s5/open/junk.gz &&
	echo "{\"a\":1}" | test_expect_code 1 tel-batch -d s5 >m5 2>err &&
	test_grep "junk.gz: cannot salvage (not a tel-batch file); left in place" err &&
	test -f s5/open/junk.gz &&
	test_line_count = 1 m5
'

test_expect_success 'CRLF lines: the CR is not kept, a bare CR line is empty' '
	printf "{\"a\":1}\r\n\r\n{\"a\":2}\r\n" >crlf &&
	tel-batch -v -d s6 <crlf >m6 2>err &&
	test_grep "\"records\":2,\"errors\":0,\"empty\":1" err &&
	f=$("$PYTHON" -c "import json; print(json.load(open(\"m6\"))[\"file\"])") &&
	printf "{\"a\":1}\n{\"a\":2}\n" >expect &&
	gzip -dc "$f" >actual &&
	test_cmp expect actual
'

test_expect_success 'SIGUSR1 seals like SIGHUP' '
	mkfifo fifo &&
	{ tel-batch -d s7 <fifo >m7 & } &&
	pid=$! &&
	exec 9>fifo &&
	echo "{\"a\":1}" >&9 &&
	sleep 0.5 &&
	kill -USR1 $pid &&
	i=0 &&
	while ! test -s m7 && test $i -lt 50; do sleep 0.1; i=$((i + 1)); done &&
	test_line_count = 1 m7 &&
	exec 9>&- &&
	wait $pid
'

test_expect_success 'SIGTERM works even when the parent left it blocked' '
	"$PYTHON" - <<-\EOF
	import signal, subprocess, time
	signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
	p = subprocess.Popen(["tel-batch", "-d", "s8"], stdin=subprocess.PIPE,
	                     stdout=subprocess.DEVNULL)
	p.stdin.write(b"{\"a\":1}\n")
	p.stdin.flush()
	time.sleep(0.5)
	p.terminate()
	assert p.wait(timeout=5) == 0
	EOF
'

test_expect_success 'a write error mid-batch: exit 1, nothing false announced, salvage recovers' '
	tel-gen -n 3000 -s 6 >w &&
	(trap "" XFSZ; ulimit -f 200; exec tel-batch -l 0 -d s9 <w >m9 2>err9); echo $? >rc &&
	test "$(cat rc)" = 1 &&
	test_grep "File too large" err9 &&
	test_must_be_empty m9 &&
	tel-batch -d s9 </dev/null >m9b 2>err9b &&
	test_grep "salvaged [0-9]* records" err9b &&
	"$PYTHON" - <<-\EOF
	import gzip, json
	sent = open("w", "rb").read().split(b"\n")[:-1]
	got = []
	for m in map(json.loads, open("m9b")):
	    got += gzip.open(m["file"]).read().split(b"\n")[:-1]
	assert got and got == sent[:len(got)], len(got)
	print(len(got), "records salvaged of", len(sent))
	EOF
'

test_expect_success 'a line of blanks is empty, as in tel-kafka-put: skipped and counted' '
	printf "  \t\n{\"a\":1}\n \r\n" | tel-batch -v -d blanks >m 2>err &&
	test_grep "\"records\":1,\"errors\":0,\"empty\":2" err
'

test_expect_success 'a salvage cuts a crafted endless line, keeps the records after it' '
	mkdir -p endless/open &&
	{ head -c 200000 /dev/zero | tr "\0" x && printf "\n{\"a\":1}\n"; } |
		"$PYTHON" "$TEL_SRC/t/py/gzip_header.py" old \
		endless/open/0123456789abcdef.gz k/tel-x.gz 1795392838072 &&
	tel-batch -d endless --max-line 1K </dev/null >m 2>err &&
	test_grep "dropped 200000 bytes of lines too long to be records" err &&
	test_grep "salvaged 1 records into k/tel-x.gz" err &&
	gzip -dc endless/ready/k/tel-x.gz >got &&
	echo "{\"a\":1}" >want && test_cmp want got
'

test_done
