#!/bin/sh
test_description='tel-batch: usage, round trip, manifest, spool layout'
. "$(dirname "$0")/test-lib.sh"

CHECK="$PYTHON $TEL_SRC/t/py/check_batch.py"
HEADER="$PYTHON $TEL_SRC/t/py/gzip_header.py"

# DuckDB (the venv of t/peers/setup.sh) as a reader of the lake's files:
# missing, its tests skip, or fail under TEL_TEST_REQUIRE_PEERS=1.
test_lazy_prereq DUCKDB '"$PYTHON" -c "import duckdb"'
test "${TEL_TEST_REQUIRE_PEERS:-0}" = 1 && test_set_prereq DUCKDB

for bad in "" "-d" "-d s -l 10" "-d s --max-bytes 12Q" "-d s --max-age 0s" \
    "-d s --prefix x/!{bogus:y}/" "-d s --prefix !{timestamp:yyyyQ}" \
    "-d s --prefix !{firehose:error-output-type}" \
    "-d s --error-prefix !{partitionKeyFromQuery:a}" "-d s --name a/b" \
    "-d s --max-open 0" "-d s extra"; do
	test_expect_success "bad usage '$bad': exit 2 with the reason" "
		test_expect_code 2 tel-batch $bad </dev/null >out 2>err &&
		test_must_be_empty out &&
		test_grep '^tel-batch: ' err &&
		test_grep '^usage: tel-batch' err
	"
done

test_expect_success 'a round trip: every record lands once, in order, manifest true' '
	tel-gen -n 20000 -s 1 >in &&
	tel-batch -d spool <in >manifest &&
	test_line_count = 1 manifest &&
	$CHECK manifest in spool >summary &&
	test_grep "\"records\": 20000" summary &&
	f=$("$PYTHON" -c "import json; print(json.load(open(\"manifest\"))[\"file\"])") &&
	gzip -dc "$f" >out &&
	test_cmp in out
'

test_expect_success 'the default key is Firehose-style, by arrival hour' '
	grep -E "\"key\":\"telemetry/year=[0-9]{4}/month=[0-9]{2}/day=[0-9]{2}/hour=[0-9]{2}/tel-[0-9]{4}(-[0-9]{2}){5}-[0-9a-f]{16}\.gz\"" manifest
'

test_expect_success 'the manifest sha256 is the file'"'"'s, as sha256sum sees it' '
	f=$("$PYTHON" -c "import json; print(json.load(open(\"manifest\"))[\"file\"])") &&
	sha=$(sha256sum "$f" | cut -d" " -f1) &&
	test_grep "\"sha256\":\"$sha\"" manifest
'

test_expect_success 'spool files are 0600, directories 0700, open/ empty after exit' '
	test -z "$(find spool -type f ! -perm 600)" &&
	test -z "$(find spool -type d ! -perm 700)" &&
	test -z "$(ls spool/open)"
'

test_expect_success 'empty input seals nothing and exits 0' '
	tel-batch -d spool2 </dev/null >m2 &&
	test_must_be_empty m2
'

test_expect_success 'empty lines are skipped and counted; -v sums up' '
	printf "{\"a\":1}\n\n\n{\"a\":2}\n" >in3 &&
	tel-batch -v -d spool3 <in3 >m3 2>err &&
	test_grep "\"lines\":4,\"records\":2,\"errors\":0,\"empty\":2,\"batches\":1" err
'

test_expect_success 'an unterminated last line is a record too' '
	printf "{\"a\":1}\n{\"b\":2}" | tel-batch -d spool4 >m4 &&
	f=$("$PYTHON" -c "import json; print(json.load(open(\"m4\"))[\"file\"])") &&
	printf "{\"a\":1}\n{\"b\":2}\n" >expect &&
	gzip -dc "$f" >actual &&
	test_cmp expect actual
'

test_expect_success '-l sets the gzip level' '
	tel-batch -l 1 -d s1 <in >m1 &&
	tel-batch -l 9 -d s9 <in >m9 &&
	b1=$("$PYTHON" -c "import json; print(json.load(open(\"m1\"))[\"bytes\"])") &&
	b9=$("$PYTHON" -c "import json; print(json.load(open(\"m9\"))[\"bytes\"])") &&
	test $b9 -lt $b1
'

test_expect_success 'the header: FEXTRA with a "TL" subfield naming key and first, no FCOMMENT' '
	f=$("$PYTHON" -c "import json; print(json.load(open(\"manifest\"))[\"file\"])") &&
	$HEADER show "$f" >head.json &&
	printf "not json\n" | tel-batch -d spool5 >m5 &&
	f=$("$PYTHON" -c "import json; print(json.load(open(\"m5\"))[\"file\"])") &&
	$HEADER show "$f" >head5.json &&
	"$PYTHON" - <<-\EOF
	import datetime, json
	def check(head, manifest, error):
	    h, m = json.load(open(head)), json.load(open(manifest))
	    assert h["flags"] == ["FEXTRA"], h["flags"]
	    assert h["reserved"] == 0 and h["comment"] is None, h
	    assert [s[0] for s in h["subfields"]] == ["TL"], h["subfields"]
	    meta = h["meta"]
	    assert meta["tel-batch"] == 1 and meta["key"] == m["key"], (meta, m)
	    assert meta["error"] is error, meta
	    # first: the first record'"'"'s arrival (ms), the manifest'"'"'s first
	    t = datetime.datetime.fromisoformat(m["first"].replace("Z", "+00:00"))
	    assert meta["first"] == round(t.timestamp() * 1000), (meta, m)
	check("head.json", "manifest", False)
	check("head5.json", "m5", True)
	EOF
'

test_expect_success 'gzip -t, zcat and python'"'"'s gzip read a sealed batch' '
	f=$("$PYTHON" -c "import json; print(json.load(open(\"manifest\"))[\"file\"])") &&
	gzip -t "$f" &&
	zcat "$f" >zout &&
	test_cmp in zout &&
	"$PYTHON" -c "import gzip, sys; sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())" "$f" >pyout &&
	test_cmp in pyout
'

test_expect_success DUCKDB 'DuckDB reads sealed batches: a row per record, the same events' '
	tel-batch --max-records 7000 -d sd <in >md &&
	test_line_count = 3 md &&
	"$PYTHON" - <<-\EOF
	import collections, duckdb, json
	db, seen = duckdb.connect(), collections.Counter()
	for m in map(json.loads, open("md")):
	    n, = db.execute("select count(*) from read_json_auto(?)",
	                    [m["file"]]).fetchone()
	    assert n == m["records"], (m["file"], n, m["records"])
	    seen.update(r[0] for r in db.execute(
	        "select event_id from read_json_auto(?)", [m["file"]]).fetchall())
	sent = collections.Counter(json.loads(l)["event_id"] for l in open("in"))
	assert seen == sent and sum(seen.values()) == 20000, len(seen)
	EOF
'

test_done
