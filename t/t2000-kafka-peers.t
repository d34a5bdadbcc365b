#!/bin/sh
test_description='the real Kafka peers the Kafka tests run against (t/peers/kafka.sh, t/lib-kafka.sh)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-kafka.sh"

# Every peer first, so that a missing Kafka skips (or fails) the script
# before any test.  The cluster that gets killed is this script's own.
test_kafka single
single=$KAFKA_PEER_DIR
test_kafka sasl
sasl=$KAFKA_PEER_DIR
test_kafka cluster
cluster=$KAFKA_PEER_DIR
test_kafka_private cluster
private=$KAFKA_PEER_DIR

# consume TOPIC: every message of TOPIC as "partition key value", sorted.
consume() {
	kcat -C -b "$KAFKA_BROKERS" -t "$1" -o beginning -e -q -m 10 \
	    -f '%p %k %s\n' | sort
}

# kcat_sasl MECHANISM PASSWORD ARG...: kcat over SASL_SSL, verifying the
# broker's certificate and name.
kcat_sasl() {
	kcat_m=$1 kcat_p=$2
	shift 2
	kcat -b "$KAFKA_SASL_BROKERS" -X security.protocol=SASL_SSL \
	    -X ssl.ca.location="$KAFKA_CA" \
	    -X ssl.endpoint.identification.algorithm=https \
	    -X sasl.mechanisms="$kcat_m" -X sasl.username="$KAFKA_SCRAM_USER" \
	    -X sasl.password="$kcat_p" -m 5 "$@"
}

# kcat_fails FILE CMD...: CMD (kcat) fails and serves no metadata; its
# messages go to FILE.  Not test_must_fail: Debian 12's kcat 1.7.1
# (librdkafka 2.0.2) now and then dies of SIGSEGV while tearing down after
# a failed handshake, which is kcat's bug and not what is tested here.
kcat_fails() {
	kf_err=$1
	shift
	if "$@" >kf_out 2>"$kf_err"; then
		echo >&2 "kcat_fails: succeeded: $*"
		return 1
	fi
	test_grep -v "brokers:" kf_out
}

# running PID: PID is a live process.  A SIGKILLed broker's parent is
# init, which reaps it when it gets round to it: till then it is a zombie,
# dead but still answering kill -0.
running() {
	kill -0 "$1" 2>/dev/null &&
	    ! grep -q "^State:[[:space:]]*Z" "/proc/$1/status" 2>/dev/null
}

# brokers: how many brokers the current peer's metadata lists.
brokers() {
	kcat -L -b "$KAFKA_BROKERS" -m 5 | sed -n 's/^ *\([0-9]*\) brokers:$/\1/p'
}

test_expect_success 'single: one broker serves metadata' '
	kafka_use "$single" &&
	test "$KAFKA_NODES" = 1 &&
	test -z "$KAFKA_SASL_BROKERS" &&
	test "$(brokers)" = 1
'

test_expect_success 'test_topic: a new name on each call' '
	a=$(test_topic) && b=$(test_topic) && c=$(test_topic orders) &&
	test "$a" != "$b" && test "$b" != "$c" &&
	case $c in "$TEST_NAME"-*-orders) ;; *) false ;; esac &&
	printf "%s\n" "$a" "$b" "$c" >names &&
	test_grep -v "[^a-zA-Z0-9-]" names
'

test_expect_success 'single: a topic is made and kcat round-trips messages' '
	kafka_use "$single" &&
	t=$(test_topic) &&
	kafka_create_topic "$t" 3 &&
	kcat -L -b "$KAFKA_BROKERS" -t "$t" >md &&
	test_grep "topic \"$t\" with 3 partitions" md &&
	printf "a:one\nb:two\nc:three\n" >in &&
	kcat -P -b "$KAFKA_BROKERS" -t "$t" -p 1 -K: <in &&
	consume "$t" >out &&
	printf "1 a one\n1 b two\n1 c three\n" >expect &&
	test_cmp expect out
'

test_expect_success 'single: a topic never made does not come into being' '
	kafka_use "$single" &&
	t=$(test_topic missing) &&
	echo x | kcat_fails err kcat -P -b "$KAFKA_BROKERS" -t "$t" \
	    -X topic.metadata.propagation.max.ms=1000 &&
	test_grep "Unknown topic" err &&
	kcat -L -b "$KAFKA_BROKERS" >md &&
	test_grep -v "\"$t\"" md
'

test_expect_success 'sasl: the env names every listener' '
	kafka_use "$sasl" &&
	test -n "$KAFKA_BROKERS" && test -n "$KAFKA_SSL_BROKERS" &&
	test -n "$KAFKA_SASL_BROKERS" && test -s "$KAFKA_CA" &&
	test -n "$KAFKA_SCRAM_USER" && test -n "$KAFKA_SCRAM_PASSWORD" &&
	openssl x509 -in "$KAFKA_PEER_DIR/tls/broker.pem" -noout -text >cert &&
	test_grep "DNS:localhost, IP Address:127.0.0.1" cert
'

test_expect_success 'sasl: SCRAM-SHA-512 with the right password, CA verified' '
	kafka_use "$sasl" &&
	kcat_sasl SCRAM-SHA-512 "$KAFKA_SCRAM_PASSWORD" -L >md &&
	test_grep "^ 1 brokers:" md
'

test_expect_success 'sasl: SCRAM-SHA-512 with a wrong password fails to authenticate' '
	kafka_use "$sasl" &&
	kcat_fails err kcat_sasl SCRAM-SHA-512 "not-$KAFKA_SCRAM_PASSWORD" -L &&
	test_grep "Authentication failed.*SCRAM-SHA-512" err
'

test_expect_success 'sasl: SCRAM-SHA-256 and PLAIN take the same user' '
	kafka_use "$sasl" &&
	kcat_sasl SCRAM-SHA-256 "$KAFKA_SCRAM_PASSWORD" -L >md256 &&
	test_grep "^ 1 brokers:" md256 &&
	kcat_sasl PLAIN "$KAFKA_SCRAM_PASSWORD" -L >mdplain &&
	test_grep "^ 1 brokers:" mdplain &&
	kcat_fails err kcat_sasl PLAIN wrong -L &&
	test_grep "Invalid username or password" err
'

test_expect_success 'sasl: messages round-trip over SASL_SSL' '
	kafka_use "$sasl" &&
	t=$(test_topic) &&
	kafka_create_topic "$t" 1 &&
	echo "k:secret" | kcat_sasl SCRAM-SHA-512 "$KAFKA_SCRAM_PASSWORD" \
	    -P -t "$t" -K: &&
	consume "$t" >out &&
	echo "0 k secret" >expect &&
	test_cmp expect out
'

test_expect_success 'sasl: the SSL listener is verified against KAFKA_CA' '
	kafka_use "$sasl" &&
	kcat -L -b "$KAFKA_SSL_BROKERS" -X security.protocol=SSL \
	    -X ssl.ca.location="$KAFKA_CA" -m 5 >md &&
	test_grep "^ 1 brokers:" md &&
	kcat_fails err kcat -L -b "$KAFKA_SSL_BROKERS" -X security.protocol=SSL \
	    -m 3 &&
	test_grep "certificate verify failed" err
'

# What an MSK IAM token meets: a SASL exchange ending in an authentication
# failure, not a dropped connection.  kcat can only send unsigned JWS
# tokens; one without the required scope is refused the same way.
test_expect_success 'sasl: OAUTHBEARER is refused by the SASL exchange, or accepted' '
	kafka_use "$sasl" &&
	kcat_fails err kcat_sasl OAUTHBEARER x -L \
	    -X enable.sasl.oauthbearer.unsecure.jwt=true \
	    -X sasl.oauthbearer.config="principal=alice" &&
	test_grep "SASL authentication error.*insufficient_scope" err &&
	kcat_sasl OAUTHBEARER x -L \
	    -X enable.sasl.oauthbearer.unsecure.jwt=true \
	    -X sasl.oauthbearer.config="principal=alice scope=$KAFKA_OAUTH_SCOPE" >md &&
	test_grep "^ 1 brokers:" md
'

test_expect_success 'cluster: three brokers, topics replicated three times' '
	kafka_use "$cluster" &&
	test "$KAFKA_NODES" = 3 &&
	test "$(brokers)" = 3 &&
	t=$(test_topic) &&
	kafka_create_topic "$t" 3 &&
	kcat -L -b "$KAFKA_BROKERS" -t "$t" >md &&
	test_grep "topic \"$t\" with 3 partitions" md &&
	test "$(grep -c "replicas: [123],[123],[123], isrs: [123],[123],[123]$" md)" = 3
'

test_expect_success 'cluster: every broker serves the topic it made' '
	kafka_use "$cluster" &&
	t=$(test_topic) &&
	kafka_create_topic "$t" 2 &&
	for b in $(echo "$KAFKA_BROKERS" | tr , " "); do
		echo "$b:x" | kcat -P -b "$b" -t "$t" -p 0 -K: || return 1
	done &&
	consume "$t" >out &&
	test_line_count = 3 out
'

# The fault test runs on the private cluster, never on the shared one.
test_expect_success 'kill is refused on a peer of test_kafka' '
	kafka_use "$cluster" &&
	test_must_fail kafka_kill 2 2>err &&
	test_grep "use test_kafka_private" err &&
	test "$(brokers)" = 3
'

test_expect_success 'private cluster: messages written with acks=all before a kill' '
	kafka_use "$private" &&
	t=$(test_topic failover) && echo "$t" >topic &&
	kafka_create_topic "$t" 3 &&
	seq 1 30 | kcat -P -b "$KAFKA_BROKERS" -t "$t" -X acks=all
'

test_expect_success 'private cluster: SIGKILL of node 2; the others take over' '
	kafka_use "$private" &&
	t=$(cat topic) &&
	pid=$(cat "$KAFKA_PEER_DIR/node2.pid") &&
	kafka_kill 2 &&
	! running "$pid" &&
	# The controller fences node 2 after broker.session.timeout.ms (6 s).
	kafka_wait_brokers 2 &&
	seq 31 60 | kcat -P -b "$KAFKA_BROKERS" -t "$t" -X acks=all &&
	kcat -L -b "$KAFKA_BROKERS" -t "$t" >md &&
	test_grep "^ 2 brokers:" md &&
	test_grep -v "leader 2," md
'

test_expect_success 'private cluster: node 2 restarts with its data and catches up' '
	kafka_use "$private" &&
	t=$(cat topic) &&
	kafka_restart 2 &&
	kafka_wait_brokers 3 &&
	# Back in the ISR of every partition once it has caught up.
	i=0 &&
	while test "$(kcat -L -b "$KAFKA_BROKERS" -t "$t" |
	    grep -c "isrs: [123],[123],[123]$")" != 3; do
		i=$((i + 1)) && test $i -lt 150 && sleep 0.2 || return 1
	done &&
	kcat -C -b "$KAFKA_BROKERS" -t "$t" -o beginning -e -q -m 10 |
	    sort -n >out &&
	seq 1 60 >expect &&
	test_cmp expect out
'

test_expect_success 'private cluster: stop ends every node and frees its ports' '
	kafka_use "$private" &&
	pids=$(cat "$KAFKA_PEER_DIR"/node*.pid) &&
	test $(echo $pids | wc -w) = 3 &&
	ports=$(sed -n "s/^node[0-9]_[a-z]*=//p" "$KAFKA_PEER_DIR/peer.conf") &&
	reservations=${TEL_TEST_PORTS:-${TMPDIR:-/tmp}/tel-test-ports} &&
	for p in $ports; do
		test "$(cat "$reservations/$p")" = "$KAFKA_PEER_DIR" || return 1
	done &&
	sh "$KAFKA_SH" stop "$KAFKA_PEER_DIR" &&
	for pid in $pids; do
		! running "$pid" || return 1
	done &&
	for p in $ports; do
		! test -e "$reservations/$p" || return 1
	done &&
	test_must_fail sh "$KAFKA_SH" status "$KAFKA_PEER_DIR"
'

test_done
