#!/bin/sh
test_description='a flood of distinct partition values is bounded: at most --max-partitions data batches within --max-age, the rest in an error batch, nothing lost'
. "$(dirname "$0")/test-lib.sh"

CHECK="$PYTHON $TEL_SRC/t/py/check_batch.py"

test_expect_success 'setup: 3000 records, each its own partition value' '
	i=0 &&
	awk "BEGIN { for (i = 0; i < 3000; i++) printf \"{\\\"id\\\":\\\"u%d\\\"}\\n\", i }" >in &&
	test_line_count = 3000 in
'

test_expect_success 'by default, 500 data batches; 2500 records in an error batch' '
	tel-batch -d sp --prefix "id=!{partitionKeyFromQuery:id}/" <in >m 2>err &&
	$CHECK m in sp >summary &&
	test_grep "\"records\": 500" summary &&
	test_grep "\"PartitionLimitExceeded\": 2500" summary &&
	test $(grep -c "\"error\":true" m) = 1 &&
	test $(grep -vc "\"error\":true" m) = 500
'

test_expect_success '--max-partitions 100: 100 data batches, the rest errors' '
	tel-batch -d sp2 --max-partitions 100 \
		--prefix "id=!{partitionKeyFromQuery:id}/" <in >m 2>err &&
	$CHECK m in sp2 >summary &&
	test_grep "\"records\": 100" summary &&
	test_grep "\"PartitionLimitExceeded\": 2900" summary &&
	test_grep "line 101: more than --max-partitions 100 batches opened within --max-age" err
'

test_expect_success 'the window opens again after --max-age' '
	mkfifo fifo &&
	{ tel-batch -d sp3 --max-partitions 2 --max-age 1s \
		--prefix "id=!{partitionKeyFromQuery:id}/" <fifo >m 2>err & } &&
	exec 9>fifo &&
	head -n 3 in >&9 && sleep 1.5 && sed -n 4,5p in >&9 &&
	exec 9>&- && wait &&
	test $(grep -vc "\"error\":true" m) = 4 &&
	test $(grep -c "PartitionLimitExceeded\|more than --max-partitions" err) = 1
'

test_done
