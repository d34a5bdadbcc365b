#!/bin/sh
test_description='make demo: the offline pipeline (mock Kafka, file:// lake) lands every event once, and says so only when it does'
. "$(dirname "$0")/test-lib.sh"

DEMO="sh $TEL_SRC/demo/run.sh"
MOCK=$TEL_BUILD/demo/mock-kafka

# ids FILE...: the sorted event_ids in gzip objects
ids() {
	gunzip -c "$@" | sed -n 's/^{"event_id":"\(EVENT_[0-9a-f]*\)".*/\1/p' |
		sort
}

test_expect_success 'the demo helper is built' '
	test -x "$MOCK"
'

test_expect_success 'the demo runs and every count it prints agrees' '
	$DEMO -n 3000 -P 4 -w run >out 2>err &&
	tail -n 1 out >summary &&
	test_grep "^demo: 3300 events generated, 3300 delivered to Kafka, 3300 landed in [0-9]* objects ([1-9][0-9]* bytes) in [0-9.]* s: every event once, nothing lost$" summary &&
	test_grep "^{\"topic\":\"acme-telemetry\",\"partitions\":4,\"messages\":3300,\"dropped\":0}$" run/mock.out
'

# One object a consumer run, or more if a run spans an hour's boundary.
test_expect_success 'the lake holds exactly the events tel-gen made, each once' '
	{ tel-gen -n 3000 -s 42 && tel-gen -n 300 -s 43; } |
		sed -n "s/^{\"event_id\":\"\(EVENT_[0-9a-f]*\)\".*/\1/p" |
		sort >want &&
	test_line_count = 3300 want &&
	find run/lake -type f -name "*.gz" >objects &&
	n=$(wc -l <objects) &&
	test "$n" -ge 2 &&
	test_grep " landed in $n objects " summary &&
	ids $(cat objects) >got &&
	test_cmp want got &&
	grep -v "^{\"@tel\":" run/landed.ndjson >results &&
	test_line_count = $n results &&
	test $(grep -c "^{\"@tel\":\"checkpoint\"" run/landed.ndjson) -ge 2 &&
	test -z "$(find run/spool/ready -type f)"
'

test_expect_success 'the tree it prints names each object with its records' '
	for f in $(cat objects); do
		n=$(gunzip -c "$f" | wc -l) &&
		test_grep "^ *$(basename "$f")  $n records, $(wc -c <"$f") bytes$" out ||
		return 1
	done
'

test_expect_success 'the mock is gone when the demo is' '
	pid=$(cat run/mock.pid) &&
	! kill -0 "$pid" 2>/dev/null
'

# A consumer that loses one line: the demo must notice and fail.
test_expect_success 'a lost event fails the demo' '
	mkdir -p lossy/bin lossy/demo &&
	for t in tel-gen tel-kafka-put tel-batch tel-s3-put; do
		ln -s "$TEL_BUILD/bin/$t" lossy/bin/$t || return 1
	done &&
	ln -s "$MOCK" lossy/demo/mock-kafka &&
	printf "#!/bin/sh\n\"%s\" \"\$@\" | sed 1d\n" \
		"$TEL_BUILD/bin/tel-kafka-cat" >lossy/bin/tel-kafka-cat &&
	chmod +x lossy/bin/tel-kafka-cat &&
	test_expect_code 1 env TEL_BUILD=$TRASH/lossy $DEMO -n 1000 -P 2 \
		-w lost >out 2>err &&
	test_grep "COUNTS DIFFER" out &&
	test_grep "1098 records landed, not 1100" err &&
	! kill -0 "$(cat lost/mock.pid)" 2>/dev/null
'

# The bound the demo is sized by (5 MiB a partition, rdkafka_mock.c):
# past it the mock drops the oldest messages, and the helper says so.
# Uncompressed (-z none), 12000 events are about 8 MB.
test_expect_success 'the helper reports what the mock log dropped' '
	mkfifo ctl &&
	{ "$MOCK" -P 1 -t t <ctl >mock.out 2>mock.err & } &&
	mock=$! &&
	exec 8>ctl &&
	i=0 &&
	while ! test -s mock.out && test $i -lt 100; do
		sleep 0.1; i=$((i + 1))
	done &&
	tel-gen -n 12000 -s 42 |
		tel-kafka-put -z none -b "$(head -n 1 mock.out)" -t t >failed &&
	test_must_be_empty failed &&
	exec 8>&- &&
	wait $mock &&
	sed -n "s/.*\"messages\":\([0-9]*\),\"dropped\":\([0-9]*\)}$/\1 \2/p" \
		mock.out >counts &&
	read -r kept dropped <counts &&
	test "$dropped" -gt 0 &&
	test $((kept + dropped)) = 12000
'

test_expect_success 'more events than the mock log holds are refused' '
	test_expect_code 2 $DEMO -n 100000 -P 1 -w big 2>err &&
	test_grep "bounded log" err
'

test_expect_success 'SIGTERM to the demo stops the mock too' '
	{ $DEMO -n 1000 -P 2 -w term >/dev/null 2>&1 & } &&
	demo=$! &&
	i=0 &&
	while ! test -s term/mock.pid && test $i -lt 600; do
		sleep 0.1; i=$((i + 1))
	done &&
	test -s term/mock.pid &&
	kill -TERM $demo &&
	test_expect_code 143 wait $demo &&
	! kill -0 "$(cat term/mock.pid)" 2>/dev/null
'

test_done
