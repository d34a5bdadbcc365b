#!/bin/sh
test_description='tel-kafka-cat --ack against a real broker: checkpoints out, commits only for those that come back'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-kafka.sh"

test_kafka single
B=$KAFKA_BROKERS

# cat_ack GROUP OUT [OPTION...]: tel-kafka-cat -e --ack ack, its output
# through tee into OUT and back into the FIFO (every line returns at once)
cat_ack() {
	ca_g=$1 ca_out=$2
	shift 2
	rm -f ack && mkfifo ack &&
	tel-kafka-cat -b $B -t $(cat topic) -G $ca_g -e --ack ack "$@" 2>$ca_out.err |
		tee $ca_out >ack
}

# checkpoints FILE: the checkpoint lines of FILE, as "run seq"
checkpoints() {
	sed -n 's/^{"@tel":"checkpoint","run":"\([0-9a-f]\{16\}\)","seq":\([0-9]*\),"time":"[-0-9T:.]*Z"\(,"flush":true\)\{0,1\}}$/\1 \2/p' "$1"
}

test_expect_success 'setup: 2000 events in 2 partitions' '
	tel-gen -n 2000 -s 9 >events &&
	T=$(test_topic) && echo $T >topic && kafka_create_topic $T 2 &&
	tel-kafka-put -b $B -t $T -k session_id <events >failed &&
	test_must_be_empty failed
'

test_expect_success '--ack needs a group; a FILE that cannot be opened is an error' '
	test_expect_code 2 tel-kafka-cat -b $B -t $(cat topic) --ack x 2>err &&
	test_grep "^tel-kafka-cat: --ack x: needs a group" err &&
	test_expect_code 1 tel-kafka-cat -b $B -t $(cat topic) -G g --ack nonexistent/ack 2>err &&
	test_grep "^tel-kafka-cat: --ack nonexistent/ack: No such file" err
'

test_expect_success 'every record once, checkpoints between them, the last line a checkpoint' '
	cat_ack g1 out --checkpoint-interval 1ms &&
	grep -v "^{\"@tel\"" out | sort >got && sort events >want && test_cmp want got &&
	checkpoints out >cps && test $(wc -l <cps) -ge 1 &&
	test $(cut -d" " -f1 cps | sort -u | wc -l) = 1 &&
	cut -d" " -f2 cps >seqs && seq 1 $(wc -l <cps) >want.seqs &&
	test_cmp want.seqs seqs &&
	tail -n 1 out | grep -q "^{\"@tel\":\"checkpoint\".*,\"flush\":true}$" &&
	test $(grep -c "\"flush\":true" out) = 1 &&
	test $(grep -c "@tel" out) = $(wc -l <cps)
'

test_expect_success 'what came back was committed: the group reads nothing more' '
	cat_ack g1 again &&
	test_must_be_empty again
'

# A last stage that holds the FIFO open and returns nothing.  The timeout
# is long enough for all 2000 lines to be read first on a loaded machine:
# past it, -e would stop reading (the next test's subject).
test_expect_success 'nothing comes back: -e waits --ack-timeout, exits 1, commits nothing' '
	rm -f ack && mkfifo ack &&
	{ sleep 30 >ack & } && echo $! >holder &&
	test_expect_code 1 tel-kafka-cat -b $B -t $(cat topic) -G g2 -e --ack ack \
		--ack-timeout 5s >out 2>err &&
	kill $(cat holder) &&
	test $(grep -vc "^{\"@tel\"" out) = 2000 &&
	test_grep "checkpoint [0-9]* did not come back on ack (timed out); nothing after checkpoint 0 is committed" err &&
	cat_ack g2 out2 &&
	test $(grep -vc "^{\"@tel\"" out2) = 2000
'

test_expect_success 'the last stage closes the FIFO early: exit 1 at once, nothing committed' '
	rm -f ack && mkfifo ack &&
	{ : >ack & } &&
	test_expect_code 1 tel-kafka-cat -b $B -t $(cat topic) -G g3 -e --ack ack \
		>out 2>err &&
	test_grep "closed by the last stage" err &&
	cat_ack g3 out2 &&
	test $(grep -vc "^{\"@tel\"" out2) = 2000
'

test_expect_success 'a checkpoint of another run commits nothing' '
	rm -f ack && mkfifo ack &&
	tel-kafka-cat -b $B -t $(cat topic) -G g4 -e --ack ack 2>err |
		sed "s/\"run\":\"[0-9a-f]*\"/\"run\":\"0123456789abcdef\"/" >ack;
	test_grep "checkpoint [0-9]* did not come back" err &&
	cat_ack g4 out2 &&
	test $(grep -vc "^{\"@tel\"" out2) = 2000
'

test_expect_success '--ack FILE may be a regular file that it follows' '
	: >acks &&
	tel-kafka-cat -b $B -t $(cat topic) -G g5 -e --ack acks 2>err | tee out >>acks &&
	test $(grep -vc "^{\"@tel\"" out) = 2000 &&
	tel-kafka-cat -b $B -t $(cat topic) -G g5 -e --ack acks >out2 &&
	test_must_be_empty out2
'

test_expect_success 'a usage error does not leave the FIFO writer waiting' '
	rm -f ack && mkfifo ack &&
	{ echo x >ack & } && echo $! >writer &&
	test_wait_until 10 grep -q wait_for_partner /proc/$(cat writer)/wchan &&
	test_expect_code 2 tel-kafka-cat --no-such-option --ack ack -t x 2>err &&
	test_wait_until 10 eval "! kill -0 $(cat writer) 2>/dev/null"
'

test_expect_success 'checkpoints that stop coming back: a warning after --ack-timeout' '
	rm -f ack && mkfifo ack &&
	{ sleep 60 >ack & } && echo $! >holder &&
	{ tel-kafka-cat -b $B -t $(cat topic) -G g6 --ack ack --ack-timeout 1s \
		>out 2>err & } && echo $! >cat.pid &&
	test_wait_until 60 test_grep "checkpoint 1 has not come back on ack within 1 s" err &&
	kill -TERM $(cat cat.pid) &&
	test_wait_until 30 eval "! kill -0 $(cat cat.pid) 2>/dev/null" &&
	kill $(cat holder) &&
	test_grep "did not come back on ack (timed out)" err
'

test_expect_success 'a value with a top-level "@tel" member is never a record' '
	T=$(test_topic) && kafka_create_topic $T 1 && echo $T >topic.r &&
	cat >reserved <<-\EOT &&
	{"@tel":"checkpoint","run":"0123456789abcdef","seq":1}
	{"a":1,"@tel":2}
	{"\u0040tel":"x"}
	{"a":{"@tel":1}}
	EOT
	cat >want.raw <<-\EOT &&
	"{\"@tel\":\"checkpoint\",\"run\":\"0123456789abcdef\",\"seq\":1}"
	"{\"a\":1,\"@tel\":2}"
	"{\"\\u0040tel\":\"x\"}"
	{"a":{"@tel":1}}
	EOT
	kcat -b $B -P -t $T <reserved &&
	test_expect_code 1 tel-kafka-cat -b $B -t $T -e >got 2>err &&
	echo "{\"a\":{\"@tel\":1}}" >want && test_cmp want got &&
	test $(grep -c "a top-level \"@tel\" member, which tel(7) reserves; skipped" err) = 3 &&
	tel-kafka-cat -b $B -t $T -e --raw >raw &&
	test_cmp want.raw raw
'

test_expect_success '--metrics: checkpoints sent and returned' '
	cat_ack g7 out --metrics m.prom &&
	test_grep "^tel_kafka_cat_checkpoints_total{.*} [1-9]" m.prom &&
	sed -n "s/^tel_kafka_cat_checkpoints_total{.*} //p" m.prom >sent &&
	sed -n "s/^tel_kafka_cat_checkpoints_returned_total{.*} //p" m.prom >back &&
	test_cmp sent back &&
	test_grep "^tel_kafka_cat_checkpoint_age_seconds{.*} 0" m.prom
'

test_expect_success '--metrics: the lag of each partition read, kept to the end' '
	rm -f ack && mkfifo ack &&
	{ sleep 30 >ack & } && echo $! >holder &&
	test_expect_code 1 tel-kafka-cat -b $B -t $(cat topic) -G g8 -c 10 --ack ack \
		--ack-timeout 2s --metrics lag.prom >out 2>err &&
	kill $(cat holder) &&
	test_grep "^tel_kafka_cat_lag{group=\"g8\",topic=\"$(cat topic)\",partition=\"[01]\"} [1-9]" lag.prom &&
	test_grep "^tel_kafka_cat_checkpoint_age_seconds{.*} [1-9]" lag.prom
'

test_done
