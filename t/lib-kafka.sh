# lib-kafka.sh: a real Apache Kafka for test scripts.  Source it after
# test-lib.sh and call test_kafka (or test_kafka_private) at the top level,
# before the first test, so that a missing broker skips the whole script
# (or fails it, under TEL_TEST_REQUIRE_PEERS=1):
#
#	. "$TEST_DIRECTORY/lib-kafka.sh"
#	test_kafka single		# or cluster, or sasl
#	topic=$(test_topic)
#	kafka_create_topic "$topic" 3
#	... tel-kafka-put -b "$KAFKA_BROKERS" -t "$topic" ...
#
# test_kafka KIND sets and exports the variables of t/peers/kafka.sh's
# DIR/env: KAFKA_BROKERS, KAFKA_SSL_BROKERS, KAFKA_SASL_BROKERS, KAFKA_CA,
# KAFKA_SCRAM_USER, KAFKA_SCRAM_PASSWORD (also the PLAIN user),
# KAFKA_OAUTH_SCOPE, KAFKA_KIND, KAFKA_NODES, KAFKA_PEER_DIR.  A script
# using two peers keeps each one's KAFKA_PEER_DIR and switches between them
# with kafka_use DIR (as t2000-kafka-peers.t does).
#
# Under t/peers/run-suite (TEL_PEERS_DIR set) a peer of each KIND is shared
# by every script of the run: the first script to want it starts it, under
# a lock, the others reuse it, and run-suite stops it at the end.  Topics
# are never deleted, so a script takes fresh names from test_topic.  Run
# alone, a script starts a private peer in its scratch directory and stops
# it when it ends.  test_kafka_private KIND always starts a private peer:
# the only kind a script may kill or restart nodes of (kafka_kill,
# kafka_restart), so it never disturbs other scripts.
#
# Topics do not come into being by use (auto.create.topics.enable=false,
# as on MSK): make them with kafka_create_topic (or tel-mktopic).
#
# While working on one script, export TEL_PEERS_DIR=/tmp/my-peers (any
# directory) and run it again and again: the brokers stay up between runs
# (saving their ~3-7 s start) until "sh t/peers/kafka.sh stop
# /tmp/my-peers/kafka-KIND".

KAFKA_SH=$TEST_DIRECTORY/peers/kafka.sh

# kafka_sh ARG...: t/peers/kafka.sh, whatever its mode bits.
kafka_sh() {
	sh "$KAFKA_SH" "$@"
}

# kafka_use DIR: take the peer in DIR as the current one (its KAFKA_*
# variables); for scripts that use two peers at once.
kafka_use() {
	test -s "$1/env" || {
		echo >&2 "kafka_use: no peer in $1"
		return 1
	}
	. "$1/env"
	export KAFKA_KIND KAFKA_NODES KAFKA_PEER_DIR KAFKA_BROKERS \
	    KAFKA_SSL_BROKERS KAFKA_SASL_BROKERS KAFKA_CA KAFKA_SCRAM_USER \
	    KAFKA_SCRAM_PASSWORD KAFKA_OAUTH_SCOPE
}

kafka_check_kind_() {
	case $1 in
	single|cluster|sasl) ;;
	*) error "bug in the test script: no Kafka peer of kind '$1'" ;;
	esac
}

# test_kafka KIND: a peer of KIND, shared when the run shares peers.
test_kafka() {
	kafka_check_kind_ "$1"
	if test -z "${TEL_PEERS_DIR:-}"; then
		kafka_start_private_ "$1"
		return
	fi
	kafka_dir_=$TEL_PEERS_DIR/kafka-$1
	mkdir -p "$TEL_PEERS_DIR"
	if ! kafka_shared_ "$1" "$kafka_dir_" 9>"$kafka_dir_.lock"; then
		test_skip_or_fail "Kafka ($1): $(cat "$kafka_dir_/failed" 2>/dev/null ||
		    echo "timed out waiting for $kafka_dir_.lock")"
	fi
	kafka_use "$kafka_dir_"
}

# kafka_shared_ KIND DIR, with fd 9 open on DIR's lock file: make sure the
# shared peer runs.  Only one script starts it; one that failed to is
# remembered in DIR/failed, so that later scripts do not wait for the same
# failure again.  The lock is held while starting, but never passed on to
# kafka.sh: a broker holding it would block every later script.
kafka_shared_() {
	flock -w 900 9 || return 1
	test -e "$2/failed" && return 1
	kafka_sh status "$2" >/dev/null 2>&1 && return 0
	if test -d "$2"; then
		# It ran before: a node has died since (the OOM killer?), or
		# the script that was starting it was killed.  Start afresh.
		test -e "$2/env" &&
			test_diag "shared Kafka ($1) lost a node; starting it again"
		kafka_sh stop "$2" >/dev/null 2>&1 9>&-
		rm -rf "$2"
	fi
	mkdir -p "$2"
	if ! TEL_PEER_OWNER=${TEL_PEERS_OWNER:-} \
	    kafka_sh start "$1" "$2" >"$2/start.log" 2>&1 9>&-; then
		tail -n 1 "$2/start.log" >"$2/failed"
		test_diag "$(cat "$2/start.log")"
		return 1
	fi
	test -z "$verbose" || test_diag "$(tail -n 1 "$2/start.log")"
}

# test_kafka_private KIND: a peer of KIND for this script alone, whose
# nodes it may kill and restart.
test_kafka_private() {
	kafka_check_kind_ "$1"
	kafka_start_private_ "$1"
	kafka_private_dirs_="${kafka_private_dirs_:-} $KAFKA_PEER_DIR "
}

# kafka_start_private_ KIND: start a peer in the scratch directory, stopped
# when the script ends (or, were the script killed, by kafka.sh's watchdog).
kafka_start_private_() {
	kafka_private_n_=$((${kafka_private_n_:-0} + 1))
	kafka_dir_=$TRASH/kafka-$1-$kafka_private_n_
	mkdir -p "$kafka_dir_"
	test_atexit "sh '$KAFKA_SH' stop '$kafka_dir_'"
	if ! TEL_PEER_OWNER=$$ kafka_sh start "$1" "$kafka_dir_" \
	    >"$kafka_dir_/start.log" 2>&1; then
		test_diag "$(cat "$kafka_dir_/start.log")"
		test_skip_or_fail "Kafka ($1): $(tail -n 1 "$kafka_dir_/start.log")"
	fi
	test -z "$verbose" || test_diag "$(tail -n 1 "$kafka_dir_/start.log")"
	kafka_use "$kafka_dir_"
}

# test_topic [WORD]: a topic name no other call, script or run sharing the
# broker will use.  Called as $(test_topic), so the count is kept in a file.
test_topic() {
	kafka_seq_=$(($(cat "$TRASH/.kafka-topic-seq" 2>/dev/null || echo 0) + 1))
	echo $kafka_seq_ >"$TRASH/.kafka-topic-seq"
	echo "$TEST_NAME-$$-$kafka_seq_${1:+-$1}"
}

# kafka_tool CLASS ARG...: a Kafka command-line class (JVM start: ~1 s), e.g.
#	kafka_tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
#	    --bootstrap-server "$KAFKA_BROKERS" --describe --group G
kafka_tool() {
	kafka_sh tool "$@"
}

# kafka_create_topic NAME PARTITIONS [RF]: make a topic (RF defaults to the
# peer's: 1, or 3 on a cluster) and wait until every broker knows it.
kafka_create_topic() {
	kafka_tool org.apache.kafka.tools.TopicCommand \
	    --bootstrap-server "$KAFKA_BROKERS" --create --topic "$1" \
	    --partitions "$2" ${3:+--replication-factor "$3"} >/dev/null &&
	kafka_wait_topic "$1" "$2"
}

# kafka_wait_topic NAME PARTITIONS: until each broker's metadata shows
# NAME with PARTITIONS partitions that all have a leader (a client asking
# another broker right after creation could be told "unknown topic").
kafka_wait_topic() {
	kafka_deadline_=$(($(date +%s) + 30))
	for kafka_b_ in $(echo "$KAFKA_BROKERS" | tr , ' '); do
		while test "$(kcat -L -b "$kafka_b_" -t "$1" -m 5 2>/dev/null |
		    grep -c '^ *partition [0-9]*, leader [0-9]')" != "$2"; do
			if test "$(date +%s)" -ge "$kafka_deadline_"; then
				echo >&2 "kafka_wait_topic: $1 has no $2 led partitions on $kafka_b_"
				return 1
			fi
			sleep 0.2
		done
	done
}

# kafka_wait_brokers N [SECONDS]: until every broker of the current peer,
# but those that are down (connection refused), lists N brokers (default
# limit: 30 s).  Each broker learns of a fenced or returning node from the
# metadata log, a few hundred milliseconds apart from the others: after a
# kill or restart, one broker may still list the old state when another
# lists the new.
kafka_wait_brokers() {
	kafka_deadline_=$(($(date +%s) + ${2:-30}))
	for kafka_b_ in $(echo "$KAFKA_BROKERS" | tr , ' '); do
		while :; do
			kafka_md_=$(kcat -L -b "$kafka_b_" -m 2 2>&1)
			echo "$kafka_md_" | grep -q "^ $1 brokers:$" && break
			echo "$kafka_md_" | grep -q "Connection refused" && break
			if test "$(date +%s)" -ge "$kafka_deadline_"; then
				echo >&2 "kafka_wait_brokers: $kafka_b_ does not list $1 brokers"
				return 1
			fi
			sleep 0.2
		done
	done
}

# kafka_private_check_ NAME: kill and restart belong to peers of
# test_kafka_private (also when test_kafka's peer happens to be private
# because the script runs alone: it behaves the same alone or in the suite).
kafka_private_check_() {
	case ${kafka_private_dirs_:-} in
	*" $KAFKA_PEER_DIR "*) ;;
	*)
		echo >&2 "$1: $KAFKA_PEER_DIR is not private; use test_kafka_private"
		return 1
		;;
	esac
}

# kafka_kill NODE: SIGKILL node NODE (1-3) of the current private peer.
kafka_kill() {
	kafka_private_check_ kafka_kill &&
	kafka_sh kill "$KAFKA_PEER_DIR" "$1"
}

# kafka_restart NODE: start a killed node again, with its config and data;
# returns once every running node lists exactly the running nodes.
kafka_restart() {
	kafka_private_check_ kafka_restart &&
	kafka_sh restart "$KAFKA_PEER_DIR" "$1"
}
