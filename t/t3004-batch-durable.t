#!/bin/sh
test_description='tel-batch: lock, signals, crash recovery, broken stdout'
. "$(dirname "$0")/test-lib.sh"

CHECK="$PYTHON $TEL_SRC/t/py/check_batch.py"
HEADER="$PYTHON $TEL_SRC/t/py/gzip_header.py"

# DuckDB (the venv of t/peers/setup.sh) as a reader of the lake's files:
# missing, its tests skip, or fail under TEL_TEST_REQUIRE_PEERS=1.
test_lazy_prereq DUCKDB '"$PYTHON" -c "import duckdb"'
test "${TEL_TEST_REQUIRE_PEERS:-0}" = 1 && test_set_prereq DUCKDB

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

# open_lines SPOOL: how many lines of the one file in SPOOL/open/ decode
open_lines() {
	"$PYTHON" -c "
import glob, sys, zlib
f, = glob.glob(sys.argv[1] + \"/open/*\")
print(zlib.decompressobj(31).decompress(open(f, \"rb\").read()).count(b\"\\n\"))
" "$1" 2>/dev/null
}

# duck_count FILE: the rows DuckDB reads from a gzip NDJSON file
duck_count() {
	"$PYTHON" -c "import duckdb, sys; print(duckdb.connect().execute(
	    \"select count(*) from read_json_auto(?)\", [sys.argv[1]]).fetchone()[0])" "$1"
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
	"$PYTHON" - <<-\EOF
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

# A key of 4 segments of 200 quotes: its header metadata, each escaped
# to 2 bytes, is past 1.6 KiB.
test_expect_success 'kill -9: the salvaged batch keeps the key its header named (a long one)' '
	p=$(printf "%0200d/" 0 0 0 0 | tr 0 "\"") &&
	start_batch s7 m7 --sync 100ms --prefix "$p" &&
	head -100 in >&9 &&
	i=0 &&
	while test "$(open_lines s7)" != 100 && test $i -lt 600; do
		sleep 0.1
		i=$((i + 1))
	done &&
	test "$(open_lines s7)" = 100 &&
	kill -9 $pid &&
	{ wait $pid || true; } &&
	exec 9>&- &&
	$HEADER show s7/open/*.gz >head-open.json &&
	tel-batch -d s7 </dev/null >m7b 2>err &&
	test_grep "salvaged 100 records" err &&
	test -z "$(ls s7/open)" &&
	f=$("$PYTHON" -c "import json; print(json.load(open(\"m7b\"))[\"file\"])") &&
	$HEADER show "$f" >head-ready.json &&
	"$PYTHON" - <<-\EOF &&
	import json
	m = json.load(open("m7b"))
	before = json.load(open("head-open.json"))
	after = json.load(open("head-ready.json"))
	assert before["flags"] == after["flags"] == ["FEXTRA"], (before, after)
	key = before["meta"]["key"]
	assert key.startswith(("\"" * 200 + "/") * 4), key
	assert len(before["subfields"][0][1]) > 1600, before["subfields"]
	assert m["key"] == after["meta"]["key"] == key, (m["key"], key)
	assert m["recovered"] is True and m["records"] == 100, m
	EOF
	head -100 in >sent7 &&
	$CHECK m7b sent7 s7 >/dev/null
'

test_expect_success 'an open/ file from before the "TL" subfield (key in the comment) is salvaged' '
	mkdir -p s8/open &&
	head -50 in | $HEADER old s8/open/0123456789abcdef.gz \
	    telemetry/old/tel-a.gz 1795392838072 cut &&
	$HEADER show s8/open/0123456789abcdef.gz >head-old.json &&
	test_grep "\"flags\": \[\"FCOMMENT\"\]" head-old.json &&
	tel-batch -d s8 </dev/null >m8 2>err &&
	test_grep "salvaged 50 records into telemetry/old/tel-a.gz" err &&
	test -z "$(ls s8/open)" &&
	test_grep "\"key\":\"telemetry/old/tel-a.gz\"" m8 &&
	test_grep "\"first\":\"2026-11-23T00:13:58.072Z\"" m8 &&
	head -50 in >sent8 &&
	$CHECK m8 sent8 s8 >/dev/null &&
	$HEADER show s8/ready/telemetry/old/tel-a.gz >head-new.json &&
	"$PYTHON" - <<-\EOF &&
	import json
	h = json.load(open("head-new.json"))
	assert h["flags"] == ["FEXTRA"] and h["comment"] is None, h
	assert h["meta"]["key"] == "telemetry/old/tel-a.gz", h
	assert h["meta"]["first"] == 1795392838072, h
	EOF
	gzip -t s8/ready/telemetry/old/tel-a.gz &&
	zcat s8/ready/telemetry/old/tel-a.gz >zout &&
	test_cmp sent8 zout
'

test_expect_success DUCKDB 'DuckDB reads a salvaged batch' '
	test "$(duck_count s8/ready/telemetry/old/tel-a.gz)" = 50 &&
	f=$("$PYTHON" -c "import json; print(json.load(open(\"m7b\"))[\"file\"])") &&
	test "$(duck_count "$f")" = 100
'

test_expect_success 'a sealed file from before, in ready/, is announced with the comment'"'"'s first time' '
	mkdir -p s9/ready/telemetry/old &&
	head -50 in | $HEADER old s9/ready/telemetry/old/tel-b.gz \
	    telemetry/old/tel-b.gz 1795392838072 &&
	sha=$(sha256sum s9/ready/telemetry/old/tel-b.gz | cut -d" " -f1) &&
	tel-batch -d s9 </dev/null >m9 &&
	test_line_count = 1 m9 &&
	test_grep "\"key\":\"telemetry/old/tel-b.gz\",\"records\":50," m9 &&
	test_grep "\"first\":\"2026-11-23T00:13:58.072Z\"" m9 &&
	test_grep "\"sha256\":\"$sha\",\"recovered\":true}" m9
'

# tel-batch makes the file of a new batch before it writes to it: a kill
# between the two leaves an empty file, which holds no record.
test_expect_success 'an empty open/ file (killed before the first write) is removed, exit 0' '
	tel-batch -d empty </dev/null &&
	: >empty/open/0123456789abcdef.gz &&
	tel-batch -d empty </dev/null >out 2>err &&
	test_grep "0123456789abcdef.gz: empty, nothing to salvage; removed" err &&
	test_must_be_empty out &&
	! test -e empty/open/0123456789abcdef.gz
'

test_done
