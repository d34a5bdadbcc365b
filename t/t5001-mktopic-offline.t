#!/bin/sh
test_description='tel-mktopic without a broker: usage, and brokers that cannot be reached'
. "$(dirname "$0")/test-lib.sh"

# A loopback port nobody listens on.
closed_port() {
	"$PYTHON" -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])"
}

# elapsed_ms CMD...: run CMD, its status kept in $rc, the time in $ms.
elapsed_ms() {
	em_start=$(date +%s%N)
	"$@"
	rc=$?
	ms=$(( ($(date +%s%N) - em_start) / 1000000 ))
}

test_expect_success '-h prints the usage on stdout, -V the version' '
	tel-mktopic -h >out &&
	test_grep "^usage: tel-mktopic " out &&
	tel-mktopic -V >out &&
	test_grep "^tel-mktopic [0-9.]* (librdkafka [0-9.]*)$" out
'

test_expect_success 'usage errors exit 2 and say what is wrong' '
	test_expect_code 2 tel-mktopic -b x 2>err &&
	test_grep "a topic is required" err &&
	test_expect_code 2 tel-mktopic -b x -t t -P 0 2>err &&
	test_grep "^tel-mktopic: -P 0: too small" err &&
	test_expect_code 2 tel-mktopic -b x -t t -P many 2>err &&
	test_expect_code 2 tel-mktopic -b x -t t -P 100001 2>err &&
	test_grep "^tel-mktopic: -P 100001: too large" err &&
	test_expect_code 2 tel-mktopic -b x -t t -R 0 2>err &&
	test_expect_code 2 tel-mktopic -b x -t t -R 40000 2>err &&
	test_grep "^tel-mktopic: -R 40000: too large" err &&
	test_expect_code 2 tel-mktopic -b x -t t -c novalue 2>err &&
	test_grep "expected key=value" err &&
	test_expect_code 2 tel-mktopic -b x -t t -c =v 2>err &&
	test_expect_code 2 tel-mktopic -b x -t t --retention soon 2>err &&
	test_expect_code 2 tel-mktopic -b x -t t --timeout 0 2>err &&
	test_expect_code 2 tel-mktopic -b x -t t --describe --dry-run 2>err &&
	test_expect_code 2 tel-mktopic -b x -t t extra 2>err &&
	test_grep "argument extra: unexpected" err &&
	test_expect_code 2 tel-mktopic -b x -t t --no-such-option 2>err &&
	test_grep "^usage: " err
'

test_expect_success 'topic names Kafka would refuse are refused before any request' '
	test_expect_code 2 tel-mktopic -b x -t "a/b" 2>err &&
	test_grep "only ASCII letters" err &&
	test_expect_code 2 tel-mktopic -b x -t "" 2>err &&
	test_expect_code 2 tel-mktopic -b x -t .. 2>err &&
	long=$(printf "%0250d" 0) &&
	test_expect_code 2 tel-mktopic -b x -t $long 2>err &&
	test_grep "1 to 249" err &&
	ok=$(printf "%0249d" 0) &&
	test_expect_code 1 tel-mktopic -q -b 127.0.0.1:$(closed_port) \
		--timeout 100ms -t $ok >out &&
	test "$(json_get topic <out)" = $ok
'

test_expect_success 'no brokers: exit 2, says how to give them' '
	test_expect_code 2 tel-mktopic -t t 2>err &&
	test_grep "no brokers: give -b or set TEL_BROKERS" err
'

test_expect_success 'an unknown -X property: exit 2, named' '
	test_expect_code 2 tel-mktopic -b x -t t -X no.such.thing=1 2>err &&
	test_grep "unknown property \"no.such.thing\"" err
'

test_expect_success 'a closed port: exit 1 within --timeout, each topic told, said once' '
	port=$(closed_port) &&
	elapsed_ms tel-mktopic -b 127.0.0.1:$port -t a -t b --timeout 3s >out 2>err &&
	echo $ms >closed.ms &&
	test $rc = 1 &&
	test $ms -ge 2900 && test $ms -lt 5000 &&
	test_line_count = 2 out &&
	test "$(json_get code <out)" = _TRANSPORT &&
	json_get error <out >msg &&
	test_grep "^no broker answered within 3 s: .*127.0.0.1:$port.*Connection refused" msg &&
	sed -n 2p out | json_get topic >name && echo b >want && test_cmp want name &&
	test_line_count = 1 err &&
	test_grep "^tel-mktopic: no broker answered within 3 s" err
'
test -s closed.ms && test_diag "closed port, --timeout 3s: exit 1 after $(cat closed.ms) ms"

test_expect_success 'the default timeout is 30 s' '
	port=$(closed_port) &&
	elapsed_ms tel-mktopic -q -b 127.0.0.1:$port -t a >out &&
	echo $ms >default.ms &&
	test $rc = 1 &&
	test $ms -ge 29500 && test $ms -lt 33000 &&
	test_grep "within 30 s" out
'
test -s default.ms && test_diag "closed port, default timeout: exit 1 after $(cat default.ms) ms"

test_expect_success '--describe and --dry-run are bounded the same way' '
	port=$(closed_port) &&
	elapsed_ms tel-mktopic -q -b 127.0.0.1:$port --describe --timeout 1s >out &&
	test $rc = 1 && test $ms -lt 3000 &&
	test_must_be_empty out &&
	elapsed_ms tel-mktopic -q -b 127.0.0.1:$port -t a --dry-run --timeout 1s >out &&
	test $rc = 1 && test $ms -lt 3000 &&
	test "$(json_get result <out)" = error
'

test_expect_success 'a secret given by -X appears nowhere, even at -vv' '
	port=$(closed_port) &&
	test_expect_code 1 tel-mktopic -vv -b 127.0.0.1:$port -t a --timeout 1s \
		-X security.protocol=sasl_plaintext -X sasl.mechanism=PLAIN \
		-X sasl.username=u -X sasl.password=Hunter2Zebra \
		-X debug=conf,security,broker >out 2>err &&
	test_grep "sasl.password" err &&
	test_grep -v Hunter2Zebra out &&
	test_grep -v Hunter2Zebra err
'

test_expect_success DEV_FULL 'a failed stdout is exit 1' '
	port=$(closed_port) &&
	test_expect_code 1 tel-mktopic -b 127.0.0.1:$port -t a --timeout 100ms \
		>/dev/full 2>err &&
	test_grep "stdout" err
'

test_done
