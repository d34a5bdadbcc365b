#!/bin/sh
# kafka.sh: a real Apache Kafka (KRaft) on loopback as a test peer, run
# from the Maven Central jars pinned in t/kafka/pom.xml.
#
#   kafka.sh fetch              download the jars into the cache, if missing
#   kafka.sh start KIND DIR     start a peer of KIND in DIR (new, or empty but
#                               for files of the caller's), wait until it serves
#   kafka.sh stop DIR           stop every process of the peer in DIR, by PID
#   kafka.sh kill DIR NODE      SIGKILL one node (fault tests)
#   kafka.sh restart DIR NODE   start a killed node again, same config and data
#   kafka.sh status DIR         exit 0 if every node of DIR runs; print DIR/env
#   kafka.sh tool CLASS ARG...  run a Kafka command-line class, e.g.
#                               org.apache.kafka.tools.TopicCommand
#
# KIND is one of
#   single   one node (broker+controller), PLAINTEXT
#   cluster  three combined broker+controller nodes, replication factor 3
#            (default.replication.factor=3, min.insync.replicas=2)
#   sasl     one node with PLAINTEXT, SSL and SASL_SSL listeners; SASL_SSL
#            offers SCRAM-SHA-512, SCRAM-SHA-256, PLAIN and OAUTHBEARER
#
# start writes DIR/env, shell assignments for the tests:
#   KAFKA_BROKERS        PLAINTEXT bootstrap list, 127.0.0.1:PORT,...
#   KAFKA_SSL_BROKERS    SSL (server-authenticated TLS) list      (sasl only)
#   KAFKA_SASL_BROKERS   SASL_SSL list                            (sasl only)
#   KAFKA_CA             PEM file of the CA that signed the broker certificate
#   KAFKA_SCRAM_USER, KAFKA_SCRAM_PASSWORD   the one user, for SCRAM-SHA-512,
#                        SCRAM-SHA-256 and PLAIN alike
#   KAFKA_OAUTH_SCOPE    the scope an OAUTHBEARER token must carry
#   KAFKA_KIND, KAFKA_NODES, KAFKA_PEER_DIR
# Unused ones are set empty, so a test can tell what the peer offers.
#
# OAUTHBEARER: the SASL_SSL listener validates tokens with Kafka's default
# server handler, OAuthBearerUnsecuredValidatorCallbackHandler: it accepts an
# unsigned JWS ({"alg":"none"}) carrying "sub", an unexpired "exp" and
# KAFKA_OAUTH_SCOPE in "scope" (kcat: -X enable.sasl.oauthbearer.unsecure.jwt=true
# -X sasl.oauthbearer.config="principal=NAME scope=$KAFKA_OAUTH_SCOPE").
# Any other token gets a real SASL exchange that ends in an authentication
# failure, not a dropped connection: the broker answers the token with an
# RFC 7628 error challenge, {"status":"invalid_token"} for a token that is
# no JWS at all (an MSK IAM token: checked with one set through
# rd_kafka_oauthbearer_set_token) or {"status":"insufficient_scope",...}
# for a JWS without the scope, and logs "Failed authentication".
# librdkafka 2.0 reports it as RD_KAFKA_RESP_ERR__AUTHENTICATION, "SASL
# authentication error: {"status":"invalid_token"}", and retries.
#
# DIR holds one PID file per node (nodeN.pid), the nodes' configs, data and
# logs (nodeN/), the TLS files (tls/) and "stop", a script that stops the
# peer: the convention t/peers/run-suite relies on.
#
# Environment:
#   TEL_TEST_CACHE   download cache (default ~/.cache/tel-test)
#   TEL_TEST_PORTS   port reservations (default ${TMPDIR:-/tmp}/tel-test-ports)
#   TEL_PEER_OWNER   a PID: when that process is gone, a watchdog stops the
#                    peer (so a test killed by SIGKILL leaks no broker)
#                    (both: see t/peers/lib-peer.sh)
#   TEL_KAFKA_HEAP   maximum heap of a node (default 384m)
#   TEL_KAFKA_JVM_OPTS              replaces the nodes' JVM options
#   TEL_KAFKA_START_TIMEOUT, TEL_KAFKA_STOP_TIMEOUT   seconds (180, 30)

set -eu

KAFKA_VERSION=3.9.1
POM=$(cd "$(dirname "$0")/../kafka" && pwd)/pom.xml
CACHE=${TEL_TEST_CACHE:-${HOME:-/tmp}/.cache/tel-test}
HEAP=${TEL_KAFKA_HEAP:-384m}
# C1 only and the serial collector: a test broker starts about a third
# faster and holds less memory; it moves too little data to miss C2 or G1.
JVM_OPTS=${TEL_KAFKA_JVM_OPTS:--Xms64m -Xmx$HEAP -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true}
TOOL_JVM_OPTS="-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true"
START_TIMEOUT=${TEL_KAFKA_START_TIMEOUT:-180}
STOP_TIMEOUT=${TEL_KAFKA_STOP_TIMEOUT:-30}
SCRAM_USER=tel-test
SCRAM_PASSWORD=tel-test-secret
OAUTH_SCOPE=tel-test
TLS_PASSWORD=tel-test-tls

me=kafka.sh
# shellcheck source=t/peers/lib-peer.sh
. "$(dirname "$0")/lib-peer.sh"

now() {
	date +%s
}

# ---- the jars ---------------------------------------------------------

# The jars live in a directory named after the pom's hash: a changed pom
# fetches afresh without pulling jars from under a running broker.
lib_dir() {
	pom_hash=$(sha256sum "$POM" | cut -c1-12)
	LIB=$CACHE/kafka-$KAFKA_VERSION/$pom_hash/lib
}

fetch() {
	lib_dir
	test -f "$LIB/kafka_2.13-$KAFKA_VERSION.jar" && return 0
	command -v mvn >/dev/null 2>&1 || die "fetch: mvn not found (apt-get install maven)"
	mkdir -p "$CACHE/kafka-$KAFKA_VERSION/$pom_hash"
	# Two scripts may start the first peers of a run at once: one fetches,
	# the other waits for it.
	(
		flock -w 900 7 || die "fetch: timed out waiting for $CACHE/kafka-$KAFKA_VERSION/$pom_hash/lock"
		test -f "$LIB/kafka_2.13-$KAFKA_VERSION.jar" && exit 0
		log=$CACHE/kafka-$KAFKA_VERSION/$pom_hash/fetch.log
		rm -rf "$LIB.new"
		# mvn prints ANSI escapes even with -q; its output goes to the log.
		# -C: a checksum that does not match the repository's fails.
		if ! mvn -B -C -Dstyle.color=never -f "$POM" \
		    -Dmaven.repo.local="$CACHE/m2" \
		    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
		    -DincludeScope=runtime -DoutputDirectory="$LIB.new" \
		    >"$log" 2>&1 </dev/null; then
			grep -E '^\[ERROR\]' "$log" | head -5 >&2
			die "fetch: mvn failed; see $log"
		fi
		test -f "$LIB.new/kafka_2.13-$KAFKA_VERSION.jar" ||
			die "fetch: mvn copied no kafka_2.13 jar; see $log"
		mv "$LIB.new" "$LIB"
	) 7>"$CACHE/kafka-$KAFKA_VERSION/$pom_hash/lock"
}

need_java() {
	command -v java >/dev/null 2>&1 || die "java not found (apt-get install default-jre-headless)"
	command -v kcat >/dev/null 2>&1 || die "kcat not found (apt-get install kcat)"
	command -v openssl >/dev/null 2>&1 || die "openssl not found"
	command -v flock >/dev/null 2>&1 || die "flock not found (util-linux)"
}

# tool CLASS ARG...: a Kafka command-line class, quiet but for warnings.
tool() {
	lib_dir
	test -f "$LIB/kafka_2.13-$KAFKA_VERSION.jar" || fetch
	tool_log4j=$CACHE/kafka-$KAFKA_VERSION/tools-log4j.properties
	test -f "$tool_log4j" || {
		printf '%s\n' 'log4j.rootLogger=WARN, stderr' \
		    'log4j.appender.stderr=org.apache.log4j.ConsoleAppender' \
		    'log4j.appender.stderr.Target=System.err' \
		    'log4j.appender.stderr.layout=org.apache.log4j.PatternLayout' \
		    'log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n' \
		    >"$tool_log4j.$$" && mv "$tool_log4j.$$" "$tool_log4j"
	}
	# shellcheck disable=SC2086
	exec java $TOOL_JVM_OPTS -Dlog4j.configuration="file:$tool_log4j" \
	    -cp "$LIB/*" "$@"
}

# ---- configuration ----------------------------------------------------

# cluster_id: a Kafka UUID (16 random bytes, unpadded base64url) made here
# rather than by "StorageTool random-uuid", which costs a JVM start.
# Kafka avoids IDs beginning with "-": they read as options.
cluster_id() {
	while :; do
		cid=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
		case $cid in -*) ;; *) echo "$cid"; return ;; esac
	done
}

# make_tls: a CA and a broker certificate for localhost and 127.0.0.1
# (librdkafka verifies the broker's name by default), and the PKCS12
# keystore the broker reads.  EC keys: quick to make, fine for Java and
# OpenSSL.
make_tls() {
	t=$DIR/tls
	mkdir -p "$t"
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 7 -subj "/CN=tel-test CA" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign \
	    -keyout "$t/ca.key" -out "$t/ca.pem" 2>"$t/openssl.log" &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -subj "/CN=localhost" \
	    -keyout "$t/broker.key" -out "$t/broker.csr" 2>>"$t/openssl.log" &&
	printf '%s\n' 'basicConstraints=CA:FALSE' \
	    'keyUsage=critical,digitalSignature,keyEncipherment' \
	    'extendedKeyUsage=serverAuth' \
	    'subjectAltName=DNS:localhost,IP:127.0.0.1' >"$t/broker.ext" &&
	openssl x509 -req -in "$t/broker.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" \
	    -CAcreateserial -days 7 -extfile "$t/broker.ext" \
	    -out "$t/broker.pem" 2>>"$t/openssl.log" &&
	openssl pkcs12 -export -in "$t/broker.pem" -inkey "$t/broker.key" \
	    -certfile "$t/ca.pem" -name broker -passout "pass:$TLS_PASSWORD" \
	    -out "$t/broker.p12" 2>>"$t/openssl.log" ||
		fail "openssl could not make the certificates; see $t/openssl.log"
}

# write_log4j: one file for every node; each node's log directory comes
# from -Dkafka.logs.dir.
write_log4j() {
	printf '%s\n' 'log4j.rootLogger=INFO, file' \
	    'log4j.appender.file=org.apache.log4j.FileAppender' \
	    'log4j.appender.file.File=${kafka.logs.dir}/server.log' \
	    'log4j.appender.file.layout=org.apache.log4j.PatternLayout' \
	    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n' \
	    'log4j.logger.kafka.request.logger=WARN' \
	    'log4j.logger.state.change.logger=WARN' \
	    'log4j.logger.org.apache.kafka.clients=WARN' \
	    >"$DIR/log4j.properties"
}

# write_node N: nodeN/server.properties.
write_node() {
	n=$1
	nd=$DIR/node$n
	mkdir -p "$nd/data" "$nd/logs"
	eval "p=\$node${n}_plain c=\$node${n}_controller"
	listeners=PLAINTEXT://127.0.0.1:$p,CONTROLLER://127.0.0.1:$c
	advertised=PLAINTEXT://127.0.0.1:$p
	if test "$KIND" = sasl; then
		eval "s=\$node${n}_ssl ss=\$node${n}_sasl"
		listeners=$listeners,SSL://127.0.0.1:$s,SASL_SSL://127.0.0.1:$ss
		advertised=$advertised,SSL://127.0.0.1:$s,SASL_SSL://127.0.0.1:$ss
	fi
	rf=1
	isr=1
	if test "$nodes" = 3; then
		rf=3
		isr=2
	fi
	cat >"$nd/server.properties" <<EOF
# Written by t/peers/kafka.sh for a $KIND test peer.
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
controller.listener.names=CONTROLLER
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL
inter.broker.listener.name=PLAINTEXT
log.dirs=$nd/data

# Like MSK's default: a topic exists only once made, so a mistyped name
# fails instead of quietly making a topic.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=1
# A consumer group forms at once instead of after 3 s.
group.initial.rebalance.delay.ms=0

# Small: tests move little data, and three nodes share one machine.
num.network.threads=2
num.io.threads=2
background.threads=2
num.replica.fetchers=1
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=4194304
socket.send.buffer.bytes=-1
socket.receive.buffer.bytes=-1

# Fault tests: a killed node is fenced, and drops out of the ISR, in
# seconds rather than the default 9 s and 30 s.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=6000
replica.lag.time.max.ms=10000
# SIGTERM stops a node without asking the controller to move its
# partitions first.  When a whole cluster stops at once, the last node's
# request can wait on a quorum that is gone, for minutes; and a test peer's
# data is thrown away anyway.
controlled.shutdown.enable=false
EOF
	if test "$KIND" = sasl; then
		cat >>"$nd/server.properties" <<EOF

ssl.keystore.type=PKCS12
ssl.keystore.location=$DIR/tls/broker.p12
ssl.keystore.password=$TLS_PASSWORD
ssl.key.password=$TLS_PASSWORD
ssl.client.auth=none
sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN,OAUTHBEARER
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN,OAUTHBEARER
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SCRAM_USER="$SCRAM_PASSWORD";
# The default (unsecured JWS) validator; see the top of kafka.sh.
listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="broker" unsecuredValidatorRequiredScope="$OAUTH_SCOPE";
EOF
	fi
}

# format_nodes: every node's log directory, with one cluster ID; the
# SCRAM credentials go into the bootstrap metadata.  One JVM per node, run
# side by side.
format_nodes() {
	cid=$(cluster_id)
	lib_dir
	fmt_pids=
	n=1
	while test $n -le "$nodes"; do
		if test "$KIND" = sasl; then
			set -- --add-scram "SCRAM-SHA-512=[name=$SCRAM_USER,password=$SCRAM_PASSWORD]" \
			    --add-scram "SCRAM-SHA-256=[name=$SCRAM_USER,password=$SCRAM_PASSWORD]"
		else
			set --
		fi
		# shellcheck disable=SC2086
		java $TOOL_JVM_OPTS -Dlog4j.configuration="file:$DIR/log4j.properties" \
		    -Dkafka.logs.dir="$DIR/node$n/logs" -cp "$LIB/*" \
		    kafka.tools.StorageTool format -t "$cid" \
		    -c "$DIR/node$n/server.properties" "$@" \
		    >"$DIR/node$n/logs/format.log" 2>&1 </dev/null &
		fmt_pids="$fmt_pids $!"
		n=$((n + 1))
	done
	n=1
	for fp in $fmt_pids; do
		wait "$fp" || fail "formatting node $n failed: $(tail -3 "$DIR/node$n/logs/format.log")"
		n=$((n + 1))
	done
}

# ---- nodes -------------------------------------------------------------

# launch N: start node N in its own session, so that neither a terminal's
# ^C nor the death of the test that started it takes the broker down (the
# harness stops it).  Its output goes to files, and fds 3-9 are closed: a
# broker holding a test's pipe or a flock would hang prove or the next
# script.
launch() {
	lib_dir
	ld=$DIR/node$1
	# shellcheck disable=SC2086
	setsid java $JVM_OPTS \
	    -Dlog4j.configuration="file:$DIR/log4j.properties" \
	    -Dkafka.logs.dir="$ld/logs" -cp "$LIB/*" \
	    kafka.Kafka "$ld/server.properties" \
	    </dev/null >>"$ld/logs/stdout.log" 2>&1 \
	    3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	write_pid "node$1" $!
}

# brokers_seen PORT [KCAT-OPTION...]: the IDs of the brokers the metadata
# served on PORT lists, sorted, one a line (nothing if none is served).
# kcat only once the port listens: against a closed port it would spend
# its whole timeout retrying.
brokers_seen() {
	bs_port=$1
	shift
	port_listening "$bs_port" || return 0
	kcat -L -b "127.0.0.1:$bs_port" -m 2 "$@" 2>/dev/null |
	    sed -n 's/^  broker \([0-9][0-9]*\) at .*/\1/p' | sort -n
}

# node_tail N: the end of a node's logs, for a failure report.
node_tail() {
	for f in "$DIR/node$1/logs/stdout.log" "$DIR/node$1/logs/server.log"; do
		test -s "$f" || continue
		echo "--- $f"
		grep -E 'ERROR|FATAL|Exception' "$f" | tail -5
		tail -3 "$f"
	done >&2
}

# wait_serving WANT N...: until each node N's PLAINTEXT listener serves
# metadata listing the brokers WANT (a newline-separated list of IDs: the
# metadata lists only unfenced brokers), or the deadline passes, or a node
# dies.
wait_serving() {
	deadline=$(($(now) + START_TIMEOUT))
	ws_want=$1
	shift
	for ws_n in "$@"; do
		eval "ws_port=\$node${ws_n}_plain"
		while test "$(brokers_seen "$ws_port")" != "$ws_want"; do
			pidfile_alive "$DIR/node$ws_n.pid" || {
				node_tail "$ws_n"
				fail "node $ws_n died while starting; logs in $DIR/node$ws_n/logs"
			}
			test "$(now)" -lt "$deadline" || {
				node_tail "$ws_n"
				fail "node $ws_n not serving after $START_TIMEOUT s; logs in $DIR/node$ws_n/logs"
			}
			sleep 0.2
		done
	done
	test "$KIND" = sasl || return 0
	# The secured listeners too, through a client that checks the
	# certificate and the SCRAM credentials.
	while test "$(brokers_seen "$node1_sasl" -X security.protocol=SASL_SSL \
	    -X sasl.mechanisms=SCRAM-SHA-512 -X sasl.username=$SCRAM_USER \
	    -X sasl.password=$SCRAM_PASSWORD -X ssl.ca.location="$DIR/tls/ca.pem")" != 1 ||
	    test "$(brokers_seen "$node1_ssl" -X security.protocol=SSL \
	    -X ssl.ca.location="$DIR/tls/ca.pem")" != 1; do
		test "$(now)" -lt "$deadline" ||
			fail "SSL or SASL_SSL listener not serving after $START_TIMEOUT s; logs in $DIR/node1/logs"
		sleep 0.2
	done
}

# write_env: DIR/env for the tests, written whole or not at all; its
# presence says the peer is up.
write_env() {
	brokers='' ssl='' sasl='' ca='' user='' password='' scope=
	n=1
	while test $n -le "$nodes"; do
		eval "brokers=\${brokers:+\$brokers,}127.0.0.1:\$node${n}_plain"
		if test "$KIND" = sasl; then
			eval "ssl=\${ssl:+\$ssl,}127.0.0.1:\$node${n}_ssl"
			eval "sasl=\${sasl:+\$sasl,}127.0.0.1:\$node${n}_sasl"
		fi
		n=$((n + 1))
	done
	if test "$KIND" = sasl; then
		ca=$DIR/tls/ca.pem user=$SCRAM_USER password=$SCRAM_PASSWORD
		scope=$OAUTH_SCOPE
	fi
	cat >"$DIR/env.new" <<EOF
KAFKA_KIND='$KIND'
KAFKA_NODES='$nodes'
KAFKA_PEER_DIR='$DIR'
KAFKA_BROKERS='$brokers'
KAFKA_SSL_BROKERS='$ssl'
KAFKA_SASL_BROKERS='$sasl'
KAFKA_CA='$ca'
KAFKA_SCRAM_USER='$user'
KAFKA_SCRAM_PASSWORD='$password'
KAFKA_OAUTH_SCOPE='$scope'
EOF
	mv "$DIR/env.new" "$DIR/env"
}

# fail MESSAGE: give up starting; stop whatever started.  The directory
# stays, for its logs.
fail() {
	echo "$me: start $KIND: $*" >&2
	stop_peer >/dev/null 2>&1 || :
	exit 1
}

start() {
	case $KIND in
	single|sasl) nodes=1 ;;
	cluster) nodes=3 ;;
	*) die "unknown kind '$KIND' (single, cluster or sasl)" ;;
	esac
	need_java
	# DIR is new, or holds only what the caller put there (a log...).
	if test -e "$DIR/peer.conf"; then
		die "$DIR holds a peer, or the remains of one; stop it and remove the directory"
	fi
	mkdir -p "$DIR"
	fetch
	t0=$(date +%s%N)

	write_stop

	per_node=2
	test "$KIND" = sasl && per_node=4
	# shellcheck disable=SC2046 # one word a port
	set -- $(alloc_ports $((nodes * per_node)))
	test $# = $((nodes * per_node)) || fail "could not reserve ports"
	{
		echo "kind=$KIND"
		echo "nodes=$nodes"
		n=1
		while test $n -le "$nodes"; do
			echo "node${n}_plain=$1"
			echo "node${n}_controller=$2"
			shift 2
			if test "$KIND" = sasl; then
				echo "node${n}_ssl=$1"
				echo "node${n}_sasl=$2"
				shift 2
			fi
			n=$((n + 1))
		done
	} >"$DIR/peer.conf"
	. "$DIR/peer.conf"

	voters=
	n=1
	while test $n -le "$nodes"; do
		eval "voters=\${voters:+\$voters,}$n@127.0.0.1:\$node${n}_controller"
		n=$((n + 1))
	done
	write_log4j
	test "$KIND" = sasl && make_tls
	n=1
	while test $n -le "$nodes"; do
		write_node $n
		n=$((n + 1))
	done
	format_nodes
	t1=$(date +%s%N)

	watchdog
	n=1
	set --
	while test $n -le "$nodes"; do
		launch $n
		set -- "$@" $n
		n=$((n + 1))
	done
	wait_serving "$(seq 1 "$nodes")" "$@"
	write_env
	t2=$(date +%s%N)
	echo "$me: $KIND up in $(((t2 - t0) / 1000000)) ms" \
	    "(format $(((t1 - t0) / 1000000)) ms, brokers $(((t2 - t1) / 1000000)) ms):" \
	    "$(grep '^KAFKA_BROKERS=' "$DIR/env")"
}

load_peer() {
	test -s "$DIR/peer.conf" || die "$DIR holds no peer"
	. "$DIR/peer.conf"
	KIND=$kind
}

check_node() {
	case $1 in
	''|*[!0-9]*) die "bad node '$1'" ;;
	esac
	test "$1" -ge 1 && test "$1" -le "$nodes" || die "no node $1 in $DIR (1-$nodes)"
}

kill_node() {
	load_peer
	check_node "$1"
	pidfile_alive "$DIR/node$1.pid" || die "node $1 is not running"
	kn_pid=$(cat "$DIR/node$1.pid")
	kill -KILL "$kn_pid"
	wait_gone 50 "$kn_pid" || die "node $1 (pid $kn_pid) survives SIGKILL"
	rm -f "$DIR/node$1.pid"
}

restart_node() {
	load_peer
	check_node "$1"
	rn_node=$1
	test -e "$DIR/stopped" && die "$DIR was stopped"
	pidfile_alive "$DIR/node$rn_node.pid" && die "node $rn_node is running"
	rn_t0=$(date +%s%N)
	launch "$rn_node"
	# Back once every node that runs lists exactly the nodes that run
	# (a node killed a moment ago is listed until it is fenced: waited
	# out).
	rn_want=
	set --
	n=1
	while test $n -le "$nodes"; do
		if pidfile_alive "$DIR/node$n.pid"; then
			rn_want="$rn_want$n
"
			set -- "$@" $n
		fi
		n=$((n + 1))
	done
	wait_serving "${rn_want%?}" "$@"
	echo "$me: node $rn_node back in $((($(date +%s%N) - rn_t0) / 1000000)) ms"
}

# status: every node of the peer runs.
status() {
	load_peer
	test -s "$DIR/env" || return 1
	test -e "$DIR/stopped" && return 1
	n=1
	while test $n -le "$nodes"; do
		pidfile_alive "$DIR/node$n.pid" || return 1
		n=$((n + 1))
	done
	cat "$DIR/env"
}

# abs PATH: PATH made absolute (the directory need not exist yet).
abs() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$(pwd)/$1" ;;
	esac
}

usage() {
	echo "usage: $me fetch | start single|cluster|sasl DIR | stop DIR |" \
	    "kill DIR NODE | restart DIR NODE | status DIR | tool CLASS ARG..." >&2
	exit 2
}

test $# -ge 1 || usage
cmd=$1
shift
case $cmd in
fetch)
	test $# = 0 || usage
	fetch
	;;
start)
	test $# = 2 || usage
	KIND=$1
	DIR=$(abs "${2%/}")
	me="kafka.sh"
	start
	;;
stop)
	test $# = 1 || usage
	DIR=$(abs "${1%/}")
	test -d "$DIR" || exit 0
	stop_peer
	;;
watch)
	test $# = 2 || usage
	DIR=$(abs "${1%/}")
	watch "$2"
	;;
kill|restart)
	test $# = 2 || usage
	DIR=$(abs "${1%/}")
	# A failing kill or restart reports; it stops nothing.
	fail() {
		echo "$me: $cmd node: $*" >&2
		exit 1
	}
	if test "$cmd" = kill; then kill_node "$2"; else restart_node "$2"; fi
	;;
status)
	test $# = 1 || usage
	DIR=$(abs "${1%/}")
	status
	;;
tool)
	test $# -ge 1 || usage
	tool "$@"
	;;
*)
	usage
	;;
esac
