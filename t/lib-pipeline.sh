# lib-pipeline.sh: the peers and the steps the end-to-end tests of the
# whole pipeline share (tel-kafka-cat | tel-batch | tel-s3-put into
# MinIO).  Source it after test-lib.sh (it sources lib-kafka.sh and
# lib-s3.sh) and call test_pipeline_peers at the top level, before the
# first test, so that a missing peer skips the whole script:
#
#	. "$TEST_DIRECTORY/lib-pipeline.sh"
#	test_pipeline_peers test_kafka single
#	test_expect_success 'setup' '
#		pipeline_topic 4 1 && s3_make_bucket "$bucket"'
#	test_expect_success 'a cron run' '
#		tel-gen -n 100 | tel-kafka-put -b $B -t $(cat topic) &&
#		pipeline_once lake spool && lake_check --exact --log lake.log ...'
#
# test_pipeline_peers CMD...  CMD (test_kafka single, test_kafka_private
#                             cluster) for the brokers, then test_minio_aws
#                             (lib-s3.sh: sets bucket, the setup test makes
#                             it); sets B to the brokers
# pipeline_topic P R          make a topic of P partitions, RF R, with
#                             tel-mktopic (which must say "created"), its
#                             name in the file topic and in T; wait until
#                             the brokers know all of it
# pipeline_once NAME SPOOL [CAT-OPTION...]
#                             one cron run of the consumer pipeline (-e):
#                             group lake-TOPIC, spool SPOOL, tel-batch
#                             options $PIPELINE_BATCH_OPTS besides; the
#                             result lines in NAME.log, each stage's
#                             stderr in NAME.STAGE.err and exit status in
#                             NAME.STAGE.rc (STAGE: cat, batch, put);
#                             succeeds when every stage exited 0
# pipeline_acked NAME SPOOL [CAT-OPTION...]
#                             pipeline_once in the safe form of tel(7):
#                             tel-kafka-cat --ack NAME.ack (a FIFO), the
#                             result lines through tee into NAME.log (kept
#                             across runs: appended) and the FIFO;
#                             $PIPELINE_FILTER, a command, between
#                             tel-kafka-cat and tel-batch (default cat);
#                             the shell keeps no copy of tel-kafka-cat's
#                             stdout, so the stage after sees its end
#                             when it closes it, as in a plain pipeline
# log_records LOG             the records of the data objects that
#                             tel-s3-put's result lines in LOG name (not
#                             errors/, not the control lines)
# lake_check ARG...           t/py/lake_check.py --bucket "$bucket": the
#                             oracle that reads the lake back; see --help

. "$TEST_DIRECTORY/lib-kafka.sh"
. "$TEST_DIRECTORY/lib-s3.sh"

test_pipeline_peers() {
	"$@"
	test_minio_aws
	B=$KAFKA_BROKERS
}

pipeline_topic() {
	T=$(test_topic) && echo $T >topic &&
	tel-mktopic -b $B -t $T -P $1 -R $2 >mk &&
	test_grep "\"result\":\"created\"" mk &&
	kafka_wait_topic $T $1
}

pipeline_once() {
	po_=$1 po_spool_=$2
	shift 2
	{ tel-kafka-cat -b $B -t $(cat topic) -G lake-$(cat topic) -e "$@" \
		2>$po_.cat.err; echo $? >$po_.cat.rc; } |
	{ tel-batch -d "$po_spool_" --time-field event_timestamp \
		${PIPELINE_BATCH_OPTS:-} 2>$po_.batch.err; echo $? >$po_.batch.rc; } |
	{ tel-s3-put -B "$bucket" --endpoint "$S3_ENDPOINT" >$po_.log \
		2>$po_.put.err; echo $? >$po_.put.rc; }
	printf "0\n0\n0\n" >$po_.want &&
	cat $po_.cat.rc $po_.batch.rc $po_.put.rc >$po_.rc &&
	test_cmp $po_.want $po_.rc
}

pipeline_acked() {
	pa_=$1 pa_spool_=$2
	shift 2
	rm -f $pa_.ack && mkfifo $pa_.ack &&
	{ { tel-kafka-cat -b $B -t $(cat topic) -G lake-$(cat topic) -e \
		--ack $pa_.ack "$@" 2>$pa_.cat.err & exec >&-
	    wait $!; echo $? >$pa_.cat.rc; } |
	{ ${PIPELINE_FILTER:-cat}; echo $? >$pa_.filter.rc; } |
	{ tel-batch -d "$pa_spool_" --time-field event_timestamp \
		${PIPELINE_BATCH_OPTS:-} 2>$pa_.batch.err; echo $? >$pa_.batch.rc; } |
	{ tel-s3-put -B "$bucket" --endpoint "$S3_ENDPOINT" 2>$pa_.put.err
	  echo $? >$pa_.put.rc; } |
	tee -a $pa_.log >$pa_.ack; } &&
	printf "0\n0\n0\n0\n" >$pa_.want &&
	cat $pa_.cat.rc $pa_.filter.rc $pa_.batch.rc $pa_.put.rc >$pa_.rc &&
	test_cmp $pa_.want $pa_.rc
}

log_records() {
	"$PYTHON" -c 'import json, sys
print(sum(json.loads(l).get("records", 0) for l in open(sys.argv[1])
          if not json.loads(l).get("key", "errors/").startswith("errors/")))' "$1"
}

lake_check() {
	"$PYTHON" "$TEST_DIRECTORY/py/lake_check.py" --bucket "$bucket" "$@"
}
