#!/bin/sh
test_description='the consumer pipeline in its safe form (tel(7)): checkpoints come back from tel-s3-put to tel-kafka-cat --ack; commits only for what is stored; filters in between; no deadlock'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

test_pipeline_peers test_kafka single
SPOOL=$TRASH/spool

# more N SEED: N new events into the topic (and into events)
more() {
	tel-gen -n $1 -s $2 --start "2026-11-22T$(printf %02d $2):00:00Z" >new &&
	tel-kafka-put -b $B -t $(cat topic) -k session_id <new >failed &&
	test_must_be_empty failed && cat new >>events
}

test_expect_success 'setup: topic, bucket' '
	pipeline_topic 4 1 &&
	s3_make_bucket "$bucket" && : >events
'

for i in 1 2 3; do
	test_expect_success "cron run $i, safe form: every stage exits 0, the new events land once" '
		more 20000 '$i' &&
		pipeline_acked run'$i' "$SPOOL" &&
		test "$(log_records run'$i'.log)" = 20000 &&
		test_grep "^{\"@tel\":\"checkpoint\"" run'$i'.log &&
		tail -n 1 run'$i'.log | grep -q "^{\"@tel\":\"checkpoint\""
	'
done

test_expect_success 'what came back was committed: a run with nothing new stores nothing' '
	pipeline_acked idle "$SPOOL" &&
	test "$(log_records idle.log)" = 0
'

test_expect_success 'the lake: every event exactly once; no control line in any object' '
	cat run?.log >lake.log &&
	lake_check --exact --log lake.log events >summary &&
	test_grep "\"missing\": 0," summary
'

# The README idiom: jq passes control lines through, as it does records.
test_expect_success 'a filter that passes control lines (jq -c): committed as usual' '
	more 10000 4 &&
	PIPELINE_FILTER="jq -c ." && export PIPELINE_FILTER &&
	pipeline_acked jq "$SPOOL" &&
	unset PIPELINE_FILTER &&
	test "$(log_records jq.log)" = 10000 &&
	pipeline_acked jq-after "$SPOOL" &&
	test "$(log_records jq-after.log)" = 0
'

test_expect_success 'a filter that drops control lines: tel-kafka-cat warns, exits 1, commits nothing' '
	more 10000 5 &&
	PIPELINE_FILTER="grep -v @tel" && export PIPELINE_FILTER &&
	test_must_fail pipeline_acked drop "$SPOOL" &&
	echo 1 >want && test_cmp want drop.cat.rc &&
	test_grep "did not come back on drop.ack (closed by the last stage); nothing after checkpoint 0 is committed" drop.cat.err &&
	test "$(log_records drop.log)" = 10000
'

test_expect_success 'the next run reads those events again: duplicates, not loss' '
	pipeline_acked drop-after "$SPOOL" &&
	test "$(log_records drop-after.log)" = 10000 &&
	cat run?.log idle.log jq.log jq-after.log drop.log drop-after.log >lake.log &&
	lake_check --canonical --log lake.log events >summary 2>lc.err &&
	test_grep "\"missing\": 0," summary &&
	test_grep "\"duplicates\": 10000" summary
'

# Every pipe 4 KiB (F_SETPIPE_SZ), a stage in the middle that stalls, many
# small batches so that result lines flood back while tel-kafka-cat is
# blocked on a full stdout: it must still read them (no deadlock).
cat >"$TRASH/slow.py" <<\EOT
import fcntl, os, sys, time
F_SETPIPE_SZ = 1031
for fd in (0, 1):
    try:
        fcntl.fcntl(fd, F_SETPIPE_SZ, 4096)
    except OSError:
        pass
out = os.fdopen(1, "wb", 0)
for n, line in enumerate(sys.stdin.buffer):
    out.write(line)
    if n % 500 == 0:
        time.sleep(0.02)
EOT
test_expect_success 'small pipes and a slow stage: no deadlock' '
	more 30000 6 &&
	rm -f nd.ack && mkfifo nd.ack &&
	{ { tel-kafka-cat -b $B -t $(cat topic) -G lake-$(cat topic) -e --ack nd.ack \
		--checkpoint-interval 10ms 2>nd.cat.err & exec >&-
	    wait $!; echo $? >nd.cat.rc; } |
	  "$PYTHON" slow.py |
	  { tel-batch -d "$SPOOL" --max-records 200 2>nd.batch.err; echo $? >nd.batch.rc; } |
	  { tel-s3-put -j 4 -B "$bucket" --endpoint "$S3_ENDPOINT" 2>nd.put.err; echo $? >nd.put.rc; } |
	  "$PYTHON" slow.py | tee nd.log >nd.ack; } &
	test_wait_until 300 test -e nd.put.rc -a -e nd.cat.rc &&
	cat nd.cat.rc nd.batch.rc nd.put.rc >rc && printf "0\n0\n0\n" >want &&
	test_cmp want rc &&
	test "$(log_records nd.log)" = 30000 &&
	test $(grep -c "@tel" nd.log) -ge 2
'

test_done
