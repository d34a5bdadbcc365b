#!/bin/sh
test_description='tel-gen -r/-d: paced output stamped in real time'
. "$(dirname "$0")/test-lib.sh"

CHECK="$PYTHON $TEL_SRC/t/py/check_gen.py"

now_ms() {
	"$PYTHON" -c "import time; print(int(time.time() * 1000))"
}

test_expect_success '-r 200 -d 2s: about 400 events in real time' '
	before=$(now_ms) &&
	tel-gen -r 200 -d 2s >out &&
	after=$(now_ms) &&
	n=$(wc -l <out) &&
	echo "$n events in $((after - before)) ms" &&
	test $n = 400 &&
	test $((after - before)) -ge 1900 &&
	$CHECK viewer --start $((after + 1)) <out >/dev/null &&
	first=$(head -1 out | "$PYTHON" -c "import json,sys,datetime; t=json.load(sys.stdin)[\"event_timestamp\"]; print(int(datetime.datetime.strptime(t, \"%Y-%m-%dT%H:%M:%S.%fZ\").replace(tzinfo=datetime.timezone.utc).timestamp()*1000))") &&
	test $first -ge $((before - 1000))
'

test_expect_success '-r with -n stops at the count' '
	tel-gen -r 1000 -n 50 >out &&
	test_line_count = 50 out
'

test_expect_success 'paced events reach a reader as they are made' '
	mkfifo fifo &&
	{ tel-gen -r 5 -d 3s >fifo & } &&
	pid=$! &&
	exec 3<fifo &&
	read -r first <&3 &&
	kill -0 $pid &&
	cat <&3 >rest &&
	exec 3<&- &&
	wait $pid &&
	echo "$first" | test_grep "\"event_type\":\"start\"" - &&
	test_line_count = 14 rest
'

test_done
