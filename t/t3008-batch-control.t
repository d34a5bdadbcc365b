#!/bin/sh
test_description='tel-batch: control lines (tel(7)) never go into a batch; each is passed on once every batch open when it came is sealed and announced'
. "$(dirname "$0")/test-lib.sh"

CP1='{"@tel":"checkpoint","run":"0123456789abcdef","seq":1,"time":"2026-12-06T00:00:00.000Z"}'
CP2='{"@tel":"checkpoint","run":"0123456789abcdef","seq":2,"time":"2026-12-06T00:00:01.000Z"}'

# kinds FILE: each output line as "manifest KEY-PARTITION" or "control SEQ"
kinds() {
	"$PYTHON" -c 'import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if "@tel" in o:
        print("control", o.get("seq", o["@tel"]))
    else:
        print("manifest", o["key"].split("/")[0], o["records"])' "$1"
}

test_expect_success 'a checkpoint with no batch open passes at once' '
	echo "$CP1" | tel-batch -d spool >out &&
	echo "$CP1" >want && test_cmp want out &&
	find spool/ready -type f >files && test_must_be_empty files
'

test_expect_success 'records, a checkpoint, records: it comes after the batch that holds the first ones' '
	tel-gen -n 300 -s 1 >ev &&
	{ head -n 100 ev && echo "$CP1" && tail -n 200 ev; } >in &&
	tel-batch -d spool --prefix "d=!{partitionKeyFromQuery:device_type}/" <in >out &&
	kinds out >got &&
	test "$(tail -n 1 got)" = "control 1" &&
	test $(grep -c "^manifest" got) -ge 2
'

test_expect_success 'no control line in any batch; every record in one' '
	for f in $(sed -n "s/.*\"file\":\"\([^\"]*\)\".*/\1/p" out); do
		gzip -dc "$f" || return 1
	done >records &&
	test_grep -v "@tel" records &&
	sort ev >want && sort records >got.sorted && test_cmp want got.sorted
'

# Two partitions by a field: a, then CP1, then b, then CP2.  With
# --max-records 2 the batch of a seals alone once it holds 2 records; CP1
# waits for it, CP2 for the batch of b.
test_expect_success 'each checkpoint waits for exactly the batches open when it came' '
	cat >in <<-EOT &&
	{"k":"a","n":1}
	$CP1
	{"k":"b","n":2}
	{"k":"a","n":3}
	$CP2
	{"k":"b","n":4}
	EOT
	tel-batch -d spool2 --max-records 2 --prefix "k=!{partitionKeyFromQuery:k}/" \
		<in >out &&
	kinds out >got &&
	cat >want <<-\EOT &&
	manifest k=a 2
	control 1
	manifest k=b 2
	control 2
	EOT
	test_cmp want got
'

test_expect_success 'error records count: a checkpoint waits for the error batch too' '
	printf "{\"k\":1}\nnot json\n%s\n" "$CP1" >in &&
	tel-batch -d spool3 <in >out 2>err &&
	kinds out >got &&
	test $(wc -l <got) = 3 && test "$(tail -n 1 got)" = "control 1" &&
	test_grep "\"key\":\"errors/" out &&
	test_grep "line 2: invalid JSON" err
'

test_expect_success 'kinds it does not know are passed on the same way; a broken one is a bad record' '
	printf "{\"k\":1}\n{\"@tel\":\"future\",\"x\":[1]}\n{\"@tel\":\"checkpoint\"\n" >in &&
	tel-batch -d spool4 <in >out 2>err &&
	kinds out >got &&
	test_grep "^control future" got &&
	test_grep "line 3: invalid JSON" err &&
	test_grep "\"key\":\"errors/" out
'

# stdin stays open: the checkpoint must wait for --max-age to seal the
# batch, and then come without more input.
test_expect_success 'with --max-age, a checkpoint trails by the batch age, no more' '
	mkfifo in.fifo &&
	{ tel-batch -d spool5 --max-age 2s <in.fifo >out 2>err & } &&
	exec 8>in.fifo &&
	echo "{\"k\":1}" >&8 && echo "$CP1" >&8 &&
	sleep 1 &&
	test_must_be_empty out &&
	test_wait_until 20 test_grep "@tel" out &&
	exec 8>&- &&
	kinds out >got &&
	printf "manifest telemetry 1\ncontrol 1\n" >want && test_cmp want got
'

test_expect_success 'a failed seal holds back every checkpoint after it' '
	mkdir spool6 && tel-batch -d spool6 </dev/null &&
	chmod 500 spool6/ready &&
	{ echo "{\"k\":1}" && echo "$CP1"; } >in &&
	if test "$(id -u)" = 0; then
		: root writes anyway: make the key path a file instead &&
		chmod 700 spool6/ready && mkdir -p spool6/ready/telemetry &&
		rm -r spool6/ready/telemetry && : >spool6/ready/telemetry
	fi &&
	test_expect_code 1 tel-batch -d spool6 <in >out 2>err &&
	test_grep -v "@tel" out
'

test_expect_success '-v counts the control lines passed on' '
	{ echo "$CP1" && echo "$CP2"; } | tel-batch -v -d spool7 >out 2>err &&
	test_grep "\"control_lines\":2" err
'

test_done
