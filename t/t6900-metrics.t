#!/bin/sh
test_description='--metrics: Prometheus text files for node_exporter, equal to -v; progress on a terminal'
. "$(dirname "$0")/test-lib.sh"

. "$TEST_DIRECTORY/lib-metrics.sh"

test_expect_success 'tel-gen: the file is valid, final, and equals -v' '
	mkdir m &&
	tel-gen -n 2500 -s 1 --corrupt 0.01 -v --metrics m/gen.prom >out 2>err &&
	check m/gen.prom tel-gen --json err --running 0 --status 0 &&
	test "$(value m/gen.prom tel_gen_events_total)" = 2500 &&
	test "$(value m/gen.prom tel_gen_bytes_total)" = "$(wc -c <out)" &&
	grep "^tel_gen_events_total{schema=\"viewer\"} 2500$" m/gen.prom &&
	no_temporaries m
'

test_expect_success 'no -v, no terminal: nothing new on stderr' '
	tel-gen -n 100 --metrics m/quiet.prom >out 2>err &&
	test_must_be_empty err &&
	check m/quiet.prom tel-gen --running 0 --status 0
'

test_expect_success 'a file that cannot be written: a warning, the data as without' '
	tel-gen -n 300 -s 5 --start 2026-11-22T18:00:00Z >want &&
	tel-gen -n 300 -s 5 --start 2026-11-22T18:00:00Z -v \
	    --metrics no/such/dir/x.prom >got 2>err &&
	test_cmp want got &&
	test_grep "^tel-gen: metrics no/such/dir/x.prom: No such file or directory$" err &&
	test "$(grep -c "metrics no/such" err)" = 1 &&
	test_grep "\"metrics_errors\":2}$" err
'

test_expect_success 'bad --metrics-interval: usage error' '
	test_expect_code 2 tel-gen --metrics-interval 0.5s -n 1 >out 2>err &&
	test_grep "^tel-gen: --metrics-interval 0.5s: " err &&
	test_expect_code 2 tel-gen --metrics "" -n 1 >out 2>err
'

test_expect_success 'paced tel-gen without an end: rewritten as it runs; SIGTERM ends it, 0' '
	{ tel-gen -r 200 --metrics m/paced.prom --metrics-interval 1s \
	    >paced.out 2>paced.err & } && pid=$! &&
	wait_value m/paced.prom tel_gen_events_total 1 &&
	check m/paced.prom tel-gen --running 1 &&
	first=$(value m/paced.prom tel_gen_last_write_time_seconds) &&
	n1=$(value m/paced.prom tel_gen_events_total) &&
	wait_value m/paced.prom tel_gen_events_total $((n1 + 1)) &&
	test "$(value m/paced.prom tel_gen_last_write_time_seconds)" != "$first" &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } &&
	test $rc = 0 &&
	check m/paced.prom tel-gen --running 0 --status 0 &&
	no_temporaries m
'

test_expect_success 'a run cut short by a signal records 128+N' '
	{ tel-gen -r 200 -d 1h --metrics m/cut.prom >cut.out 2>cut.err & } &&
	pid=$! &&
	wait_value m/cut.prom tel_gen_running 1 &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } &&
	test $rc = 143 &&
	check m/cut.prom tel-gen --running 0 --status 143
'

test_expect_success 'tel-batch: rewritten while it waits for input, final equals -v' '
	tel-gen -n 3000 -s 2 --corrupt 0.01 >in &&
	mkfifo fifo &&
	{ tel-batch -v -d spool --metrics m/batch.prom --metrics-interval 1s \
	    <fifo >manifest 2>batch.err & } && pid=$! &&
	exec 9>fifo &&
	cat in >&9 &&
	wait_value m/batch.prom tel_batch_lines_total 3000 &&
	check m/batch.prom tel-batch --running 1 &&
	exec 9>&- &&
	wait $pid &&
	check m/batch.prom tel-batch --json batch.err --running 0 --status 0 &&
	test "$(value m/batch.prom tel_batch_records_total)" -gt 2900 &&
	test "$(value m/batch.prom tel_batch_batches_total)" = "$(wc -l <manifest)" &&
	test "$(value m/batch.prom tel_batch_error_batches_total)" = "$(grep -c "\"key\":\"errors/" manifest)" &&
	no_temporaries m
'

test_expect_success 'tel-s3-put into a file:// lake: objects and bytes as stored' '
	mkdir lake &&
	{ cat manifest && echo "not a manifest line"; } >manifest2 &&
	test_expect_code 1 tel-s3-put -v -j 2 -B b --endpoint file://$PWD/lake \
	    --metrics m/s3.prom <manifest2 >results 2>s3.err &&
	check m/s3.prom tel-s3-put --json s3.err --running 0 --status 1 &&
	test "$(value m/s3.prom tel_s3_put_objects_total)" = "$(wc -l <manifest)" &&
	test "$(value m/s3.prom tel_s3_put_rejected_total)" = 1 &&
	find lake -type f -exec cat {} + | wc -c >lake.bytes &&
	test "$(value m/s3.prom tel_s3_put_bytes_total)" = "$(cat lake.bytes)" &&
	grep "^tel_s3_put_objects_total{bucket=\"b\"} " m/s3.prom
'

test_expect_success 'tel-s3-put waiting on stdin: its thread rewrites the file' '
	tel-gen -n 500 -s 3 | tel-batch -d spool2 >manifest3 &&
	mkdir lake3 && mkfifo fifo3 &&
	{ tel-s3-put -B b --endpoint file://$PWD/lake3 --metrics m/s3t.prom \
	    --metrics-interval 1s <fifo3 >results3 2>s3t.err & } && pid=$! &&
	exec 8>fifo3 &&
	cat manifest3 >&8 &&
	wait_value m/s3t.prom tel_s3_put_objects_total $(wc -l <manifest3) &&
	check m/s3t.prom tel-s3-put --running 1 &&
	exec 8>&- &&
	wait $pid &&
	check m/s3t.prom tel-s3-put --running 0 --status 0 &&
	no_temporaries m
'

test_expect_success 'an exit on a setup error still writes the final file' '
	test_expect_code 1 tel-s3-put -B b --endpoint file:///no/such/lake \
	    --metrics m/s3fail.prom </dev/null >out 2>err &&
	check m/s3fail.prom tel-s3-put --running 0 --status 1
'

test_expect_success 'progress on a terminal when stdout is a file, not otherwise' '
	TERM=xterm script -qec "tel-gen -r 100 -d 2s >tty.out" /dev/null \
	    >typescript &&
	test_grep "tel-gen: events [0-9]* bytes [0-9]* (" typescript &&
	test_must_fail grep "tel-gen: events" tty.out &&
	TERM=xterm script -qec "tel-gen -r 100 -d 2s | cat >piped.out" \
	    /dev/null >typescript2 &&
	test_must_fail grep "tel-gen: events" typescript2
'

test_done
