#!/bin/sh
test_description='tel-batch --compression none: plain NDJSON objects (.json), as Firehose UNCOMPRESSED, crash-safe all the same'
. "$(dirname "$0")/test-lib.sh"

test_lazy_prereq DUCKDB '"$PYTHON" -c "import duckdb"'
test "${TEL_TEST_REQUIRE_PEERS:-0}" = 1 && test_set_prereq DUCKDB

# check_plain MANIFEST INPUT: every manifest line names a plain file whose
# size, SHA-256 and record count are the manifest's, and the data files
# hold INPUT's lines, in order, once.
cat >"$TRASH/check_plain.py" <<\EOF
import hashlib, json, sys
ms = [json.loads(l) for l in open(sys.argv[1])]
want = [l for l in open(sys.argv[2], "rb")]
got = []
for m in ms:
    assert m["key"].endswith(".json") and m["file"].endswith(m["key"]), m
    data = open(m["file"], "rb").read()
    assert len(data) == m["bytes"] == m["raw_bytes"], m
    assert hashlib.sha256(data).hexdigest() == m["sha256"], m
    assert data.count(b"\n") == m["records"] and data.endswith(b"\n"), m
    if not m.get("error") and "/errors/" not in "/" + m["key"]:
        got += data.splitlines(keepends=True)
assert sorted(got) == sorted(want), (len(got), len(want))
print(len(ms), len(got))
EOF

test_expect_success 'objects are the records as they came, named .json' '
	tel-gen -n 5000 -s 3 >in &&
	tel-batch -d s1 --compression none --max-records 2000 <in >m1 2>err &&
	test_must_be_empty err &&
	test_line_count = 3 m1 &&
	"$PYTHON" check_plain.py m1 in &&
	test -z "$(ls s1/open)" &&
	test -z "$(find s1/ready -name "*.gz")"
'

test_expect_success 'error records go to plain error objects too' '
	{ head -n 10 in; echo "{broken"; } >in2 &&
	tel-batch -q -d s2 --compression none <in2 >m &&
	test_line_count = 2 m &&
	f=$(grep "\"error\":true" m | sed "s/.*\"file\":\"\\([^\"]*\\)\".*/\\1/") &&
	"$PYTHON" -c "import json, sys; e = json.load(open(sys.argv[1])); assert e[\"errorCode\"] == \"InvalidJSON\", e" "$f"
'

test_expect_success DUCKDB 'DuckDB reads the plain objects as NDJSON' '
	"$PYTHON" -c "
import duckdb, glob
n = duckdb.sql(\"select count(*) from read_json_auto(%r, format=\x27newline_delimited\x27)\" % glob.glob(\"s1/ready/telemetry/**/*.json\", recursive=True)).fetchone()[0]
assert n == 5000, n
"
'

test_expect_success 'a restart announces the plain objects in ready/ again' '
	tel-batch -d s1 --compression none </dev/null >m2 &&
	test_line_count = 3 m2 &&
	test $(grep -c "\"recovered\":true" m2) = 3 &&
	sed "s/,\"recovered\":true//" m2 >m2c &&
	"$PYTHON" check_plain.py m2c in
'

test_expect_success 'kill -9 with batches open: the restart salvages them as plain objects' '
	mkfifo fifo &&
	{ tel-batch -d s3 --compression none --sync 100ms <fifo >m3 2>err3 & } &&
	pid=$! && exec 9>fifo &&
	head -n 3000 in >&9 &&
	n=0 && until test -n "$(ls s3/open 2>/dev/null)" || test $n -ge 50; do
		sleep 0.1; n=$((n + 1)); done &&
	sleep 0.5 && kill -9 $pid && { wait $pid || true; } && exec 9>&- &&
	test_must_be_empty m3 &&
	tel-batch -d s3 --compression gzip </dev/null >m3b 2>err &&
	test_grep "salvaged 3000 records" err &&
	head -n 3000 in >sent &&
	"$PYTHON" check_plain.py m3b sent &&
	test -z "$(ls s3/open)"
'

test_expect_success 'an expansion cut short (open/ID.plain) is dropped; its batch is salvaged' '
	mkdir -p s4 && chmod 700 s4 &&
	head -n 100 in | tel-batch -d s4 --compression none >/dev/null &&
	rm -rf s4/ready/* &&
	printf "{\"half\":" >s4/open/0123456789abcdef.plain &&
	tel-batch -d s4 </dev/null >m4 2>err &&
	test_grep "0123456789abcdef.plain: an expansion cut short; removed" err &&
	test -z "$(ls s4/open)"
'

test_expect_success '--compression takes none or gzip' '
	test_expect_code 2 tel-batch -d s5 --compression zstd </dev/null 2>err &&
	test_grep "not none or gzip" err
'

test_expect_success 'the file:// lake stores them as they are' '
	mkdir lake &&
	tel-s3-put -B b --endpoint "file://$PWD/lake" <m1 >out &&
	test_line_count = 3 out &&
	find lake -name "*.json" | wc -l >n && echo 3 >want && test_cmp want n &&
	cat $(find lake/b/telemetry -name "*.json" | sort) | sort >lake.lines &&
	sort in >in.sorted && test_cmp in.sorted lake.lines
'

test_done
