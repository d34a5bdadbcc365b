# lib-kill.sh: rounds of the consumer pipeline in its safe form (tel(7)),
# each with one stage SIGKILLed at a random moment, for the 960x fault
# tests.  Source it after lib-pipeline.sh, once the peers are up; a
# script is then
#
#	kill_setup
#	kill_rounds 1 cat batch put	# MEMBERS, the stages to kill in turn
#	kill_finish			# clean runs, then the lake checked
#
# kill_setup              the setup test: an RF 3 topic of 6 partitions,
#                         the bucket, the files events, lake.log, kills
# kill_rounds MEMBERS STAGE...
#                         $ROUNDS tests (TEL_TEST_KILL_ROUNDS, default
#                         10): round R makes new events (kill_produce),
#                         starts MEMBERS pipelines in one group (each its
#                         own spool), kills the next STAGE, in turn, of
#                         the next member, in turn, and waits for them all
# kill_finish             the tests that drain every spool, run clean
#                         until nothing is left, and check the lake
#                         (kill_check); the report as a diagnostic
#
# kill_produce R          PER (default 100000) new events, seed R, into
#                         the topic and appended to the file events
# kill_start NAME GROUP SPOOL
#                         the pipeline in the background: tel-kafka-cat
#                         -e --ack NAME.ack (checkpoints every 200 ms) |
#                         $KILL_FILTER (a command, if set) | tel-batch
#                         (batches of 20000, $KILL_BATCH_OPTS besides) |
#                         tel-s3-put | tee -p -a
#                         lake.log >NAME.ack, through FIFOs; each stage's
#                         PID in NAME.STAGE.pid (cat, filter, batch, put,
#                         tee), its stderr in NAME.STAGE.err
# With KILL_PLAIN set, tel-kafka-cat runs without --ack (and commits on
# write), as before checkpoints: the same rounds then lose events, which
# shows that kill_check can fail.
# kill_stage NAME STAGE   SIGKILL STAGE of NAME a random time after its
#                         tel-kafka-cat got partitions, within
#                         $KILL_WINDOW ("0.1 1.3" s by default); says in
#                         the file kills whether it was still there
# kill_wait NAME          every stage of NAME has ended (a bound: 180 s;
#                         what is left then is killed, and that fails)
# kill_drain SPOOL        a clean run for what SPOOL holds: tel-batch
#                         salvages and announces, tel-s3-put stores
# kill_clean NAME SPOOL   clean cron runs (pipeline_acked NAME.N) until
#                         one stores nothing; their logs into lake.log

PER=${TEL_TEST_KILL_EVENTS:-100000}

kill_produce() {
	tel-gen -n $PER -s $1 \
		--start "2026-11-$((10 + $1 / 24))T$(printf %02d $(($1 % 24))):00:00Z" >ev.$1 &&
	tel-kafka-put -b $B -t $(cat topic) -k session_id <ev.$1 >failed.$1 &&
	test_must_be_empty failed.$1 &&
	cat ev.$1 >>events
}

kill_start() {
	ks_=$1
	rm -f $ks_.cb $ks_.fb $ks_.bs $ks_.sa $ks_.ack &&
	mkfifo $ks_.cb $ks_.fb $ks_.bs $ks_.sa $ks_.ack || return 1
	if test -n "${KILL_PLAIN:-}"; then
		# the checker bites: without --ack a kill loses events
		tel-kafka-cat -v -b $B -t $(cat topic) -G $2 -e \
			-X session.timeout.ms=6000 >$ks_.cb 2>$ks_.cat.err &
	else
		tel-kafka-cat -v -b $B -t $(cat topic) -G $2 -e --ack $ks_.ack \
			--checkpoint-interval 200ms -X session.timeout.ms=6000 \
			>$ks_.cb 2>$ks_.cat.err &
	fi
	echo $! >$ks_.cat.pid
	if test -n "${KILL_FILTER:-}"; then
		$KILL_FILTER <$ks_.cb >$ks_.fb 2>$ks_.filter.err &
	else
		cat <$ks_.cb >$ks_.fb &
	fi
	echo $! >$ks_.filter.pid
	tel-batch -d $3 --time-field event_timestamp --max-records 20000 \
		${KILL_BATCH_OPTS:-} <$ks_.fb >$ks_.bs 2>$ks_.batch.err &
	echo $! >$ks_.batch.pid
	tel-s3-put -B "$bucket" --endpoint "$S3_ENDPOINT" <$ks_.bs >$ks_.sa \
		2>$ks_.put.err &
	echo $! >$ks_.put.pid
	if test -n "${KILL_PLAIN:-}"; then
		tee -p -a lake.log <$ks_.sa >/dev/null &
	else
		tee -p -a lake.log <$ks_.sa >$ks_.ack 2>/dev/null &
	fi
	echo $! >$ks_.tee.pid
}

kill_stage() {
	# from the moment the member holds partitions: it is at work
	test_wait_until 60 grep -q "assigned [1-9]" $1.cat.err 2>/dev/null
	# a pipeline faster than the window shrinks it for the next rounds
	kd_=$(awk -v s="$(date +%N)$$" -v w="$(cat kill.window 2>/dev/null ||
	    echo "${KILL_WINDOW:-0.1 1.3}")" 'BEGIN {
		split(w, a, " "); srand(s % 2147483647)
		printf "%.2f\n", a[1] + rand() * (a[2] - a[1]) }')
	case $2 in
	cat|batch) kn_=tel-$2 ;; put) kn_=tel-s3-put ;; *) kn_=$2 ;;
	esac
	test $2 = cat && kn_=tel-kafka-cat
	sleep $kd_
	if kill -9 $(cat $1.$2.pid) 2>/dev/null; then
		echo "$1: $kn_ killed $kd_ s after the assignment" >>kills
	else
		echo "$1: $kn_ had ended $kd_ s after the assignment" >>kills
		awk -v d=$kd_ 'BEGIN { printf "0.02 %.2f\n", d * 0.6 }' >kill.window
	fi
}

# kill_alive NAME: some stage of NAME still runs
kill_alive() {
	for ka_ in cat filter batch put tee; do
		kill -0 $(cat $1.$ka_.pid) 2>/dev/null && return 0
	done
	return 1
}

kill_wait() {
	if ! test_wait_until 180 eval "! kill_alive $1"; then
		for kw_ in cat filter batch put tee; do
			kill -9 $(cat $1.$kw_.pid) 2>/dev/null
		done
		return 1
	fi
	for kw_ in cat filter batch put tee; do
		wait $(cat $1.$kw_.pid) 2>/dev/null
	done
	return 0
}

kill_drain() {
	tel-batch -d $1 </dev/null 2>drain.batch.err |
		tel-s3-put -B "$bucket" --endpoint "$S3_ENDPOINT" >>lake.log \
		2>drain.put.err &&
	find $1/ready $1/open -type f >left &&
	test_must_be_empty left
}

kill_clean() {
	kc_=1
	while test $kc_ -le 6; do
		pipeline_acked $1.$kc_ $2 -X session.timeout.ms=6000 || return 1
		cat $1.$kc_.log >>lake.log
		test "$(log_records $1.$kc_.log)" = 0 && return 0
		kc_=$((kc_ + 1))
	done
	echo >&2 "kill_clean: 6 clean runs still found events"
	return 1
}

# kill_check: the lake holds every event; duplicates reported
kill_check() {
	lake_check ${KILL_CHECK_OPTS:-} --log lake.log events >summary 2>check.err &&
	test_grep "\"missing\": 0," summary &&
	test $(grep -c " killed " kills) -ge 1 &&
	sed -n "s/.*\"events\": \([0-9]*\).*\"duplicates\": \([0-9]*\).*/\1 events, \2 duplicates/p" \
		summary >report &&
	echo "$(grep -c " killed " kills) stages killed while running" >>report
}

kill_setup() {
	test_expect_success 'setup: an RF 3 topic of 6 partitions on 3 brokers, a bucket' '
		pipeline_topic 6 3 &&
		s3_make_bucket "$bucket" &&
		: >events && : >lake.log && : >kills
	'
}

# kill_round R MEMBERS STAGE MEMBER: one round's pipelines, and the kill
kill_round() {
	kill_produce $1 || return 1
	kr_i=1
	while test $kr_i -le $2; do
		kill_start r$1.$kr_i lake-$(cat topic) spool$kr_i || return 1
		kr_i=$((kr_i + 1))
	done
	kill_stage r$1.$4 $3
	kr_i=1
	while test $kr_i -le $2; do
		kill_wait r$1.$kr_i || return 1
		kr_i=$((kr_i + 1))
	done
}

kill_rounds() {
	krs_members=$1
	shift
	krs_r=1
	while test $krs_r -le ${TEL_TEST_KILL_ROUNDS:-10}; do
		krs_n=$(((krs_r - 1) % $# + 1))
		krs_stage=$(eval echo \$$krs_n)
		krs_m=$(((krs_r - 1) % krs_members + 1))
		test_expect_success "round $krs_r: $PER new events, $krs_members member(s); stage $krs_stage of member $krs_m killed" "
			kill_round $krs_r $krs_members $krs_stage $krs_m
		"
		krs_r=$((krs_r + 1))
	done
	KILL_MEMBERS=$krs_members
}

kill_finish() {
	test_expect_success 'every spool drained; clean runs until nothing is left' '
		i=1 &&
		while test $i -le $KILL_MEMBERS; do
			kill_drain spool$i || return 1
			i=$((i + 1))
		done &&
		kill_clean clean spool1 &&
		kill_drain spool1
	'
	test_expect_success 'the lake: every event; duplicates counted' '
		kill_check
	'
	test -s "$TRASH/report" &&
		test_diag "$(cat "$TRASH/report" "$TRASH/kills")"
}
