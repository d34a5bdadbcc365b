#!/bin/sh
test_description='tel-batch: lock, signals, crash recovery, broken stdout'
. "$(dirname "$0")/test-lib.sh"

CHECK="python3 $TEL_SRC/t/py/check_batch.py"

test_expect_success 'setup' '
	tel-gen -n 5000 -s 9 >in &&
	mkfifo fifo
'

# start_batch SPOOL OUT [OPTIONS]: tel-batch reading fifo, its stdin held on fd 9
start_batch() {
	spool=$1 out=$2
	shift 2
	{ tel-batch -d "$spool" "$@" <fifo >"$out" 2>"$out.err" & } &&
	pid=$! &&
	exec 9>fifo
}

wait_lines() {
	i=0
	while test $(wc -l <"$1") -lt $2 && test $i -lt 100; do
		sleep 0.1
		i=$((i + 1))
	done
	test $(wc -l <"$1") -ge $2
}

test_expect_success 'one tel-batch per spool: a second one is refused' '
	start_batch s1 m1 &&
	i=0 &&
	while ! test -s s1/lock && test $i -lt 100; do sleep 0.1; i=$((i + 1)); done &&
	test_expect_code 1 tel-batch -d s1 </dev/null >out 2>err &&
	test_grep "^tel-batch: .*/s1 is in use by another tel-batch (pid $pid)" err &&
	exec 9>&- &&
	wait $pid
'

test_expect_success 'SIGHUP seals now and keeps going; SIGTERM seals and exits 0' '
	start_batch s2 m2 &&
	head -100 in >&9 &&
	sleep 0.5 &&
	kill -HUP $pid &&
	wait_lines m2 1 &&
	kill -0 $pid &&
	sed -n 101,250p in >&9 &&
	sleep 0.5 &&
	kill -TERM $pid &&
	wait $pid &&
	exec 9>&- &&
	test_line_count = 2 m2 &&
	head -250 in >sent &&
	$CHECK m2 sent s2 >/dev/null
'

test_expect_success 'kill -9: a restart salvages every record older than --sync' '
	start_batch s3 m3 --sync 200ms &&
	head -3000 in >&9 &&
	sleep 1.5 &&
	kill -9 $pid &&
	wait $pid || true
	exec 9>&- &&
	test_must_be_empty m3 &&
	test -n "$(ls s3/open)" &&
	tel-batch -d s3 </dev/null >m3b 2>err &&
	test_grep "salvaged 3000 records" err &&
	test -z "$(ls s3/open)" &&
	test_grep "\"recovered\":true" m3b &&
	head -3000 in >sent &&
	$CHECK m3b sent s3 >summary &&
	test_grep "\"records\": 3000" summary
'

test_expect_success 'kill -9 at random moments, restart each time: nothing lost' '
	rm -rf s4 && : >all &&
	for round in 1 2 3 4 5; do
		start_batch s4 m4.$round --sync 100ms --max-records 400 &&
		sed -n "$(( (round - 1) * 1000 + 1 )),$(( round * 1000 ))p" in >&9 &&
		sleep 0.$((3 + round)) &&
		kill -9 $pid &&
		{ wait $pid || true; } &&
		exec 9>&- || return 1
	done &&
	tel-batch -d s4 </dev/null >m4.final &&
	cat m4.final >m4 &&
	python3 - <<-\EOF
	import gzip, json
	seen = []
	for m in map(json.loads, open("m4")):
	    seen += gzip.open(m["file"]).read().split(b"\n")[:-1]
	sent = open("in", "rb").read().split(b"\n")[:5000]
	assert sorted(seen) == sorted(sent), (len(seen), len(sent))
	EOF
'

test_expect_success 'sealed files still in ready/ are announced again on start' '
	tel-batch -d s5 <in >m5 &&
	tel-batch -d s5 </dev/null >m5b &&
	test_line_count = 1 m5b &&
	test_grep "\"recovered\":true" m5b &&
	sed "s/,\"recovered\":true//" m5b >m5c &&
	test_cmp m5 m5c
'

test_expect_success 'a broken stdout: exit 1, the sealed files stay in ready/' '
	{ tel-batch --max-records 100 -d s6 <in 2>err; echo $? >status; } | head -1 >/dev/null &&
	test "$(cat status)" = 1 &&
	test_grep "^tel-batch: stdout: Broken pipe" err &&
	test $(find s6/ready -type f | wc -l) -ge 1 &&
	test -z "$(ls s6/open)"
'

test_done
