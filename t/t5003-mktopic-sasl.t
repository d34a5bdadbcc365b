#!/bin/sh
test_description='tel-mktopic over SASL_SSL with SCRAM: -X and -F pass security through, secrets stay unsaid'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-kafka.sh"

test_kafka sasl

test_expect_success 'setup: a properties file for SCRAM-SHA-512 over TLS' '
	cat >scram.properties <<-EOF
	# SASL_SSL, the broker'\''s certificate and name verified
	security.protocol=SASL_SSL
	ssl.ca.location=$KAFKA_CA
	ssl.endpoint.identification.algorithm=https
	sasl.mechanisms=SCRAM-SHA-512
	sasl.username=$KAFKA_SCRAM_USER
	sasl.password=$KAFKA_SCRAM_PASSWORD
	EOF
'

test_expect_success 'creates over SASL_SSL with the secret given by -X' '
	T=$(test_topic) && echo $T >topic &&
	tel-mktopic -v -b $KAFKA_SASL_BROKERS -t $T -P 2 -R 1 \
		-X security.protocol=SASL_SSL -X ssl.ca.location=$KAFKA_CA \
		-X sasl.mechanisms=SCRAM-SHA-256 \
		-X sasl.username=$KAFKA_SCRAM_USER \
		-X sasl.password=$KAFKA_SCRAM_PASSWORD >out 2>err &&
	test "$(json_get result <out)" = created &&
	test_grep "$T: created" err &&
	test_grep -v "$KAFKA_SCRAM_PASSWORD" out &&
	test_grep -v "$KAFKA_SCRAM_PASSWORD" err &&
	kafka_wait_topic $T 2
'

test_expect_success 'exists, told over SASL_SSL with the secret in TEL_KAFKA_CONFIG' '
	T=$(cat topic) &&
	TEL_KAFKA_CONFIG=$PWD/scram.properties \
		tel-mktopic -vv -b $KAFKA_SASL_BROKERS -t $T -P 2 -R 1 >out 2>err &&
	test "$(json_get result <out)" = exists &&
	test_grep -v "$KAFKA_SCRAM_PASSWORD" out &&
	test_grep -v "$KAFKA_SCRAM_PASSWORD" err
'

test_expect_success '--describe over SASL_SSL with -F' '
	T=$(cat topic) &&
	tel-mktopic --describe -F scram.properties -b $KAFKA_SASL_BROKERS -t $T >out &&
	test "$(json_get partitions <out)" = 2 &&
	test "$(json_get assignment.1.partition <out)" = 1
'

test_expect_success 'a wrong password: exit 1 well within --timeout, password unsaid' '
	T=$(test_topic) &&
	start=$(date +%s%N) &&
	test_expect_code 1 tel-mktopic -vv -F scram.properties \
		-X sasl.password=Wrong-Hunter2Zebra -X debug=security \
		-b $KAFKA_SASL_BROKERS -t $T -R 1 --timeout 20s >out 2>err &&
	ms=$(( ($(date +%s%N) - start) / 1000000 )) && echo $ms >auth.ms &&
	test $ms -lt 10000 &&
	test "$(json_get code <out)" = _AUTHENTICATION &&
	test_grep "Authentication failed" out &&
	test_grep -v Hunter2Zebra out &&
	test_grep -v Hunter2Zebra err &&
	test_grep -v "$KAFKA_SCRAM_PASSWORD" err &&
	kcat -L -b $KAFKA_BROKERS -t $T -m 5 >md &&
	test_grep "Unknown topic" md
'
test -s auth.ms && test_diag "a wrong SCRAM password ended the run in $(cat auth.ms) ms (--timeout 20s)"

test_expect_success 'a CA that did not sign the broker: a TLS error, at once' '
	T=$(test_topic) &&
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 1 -subj "/CN=stranger" -keyout other.key \
		-out other.pem 2>/dev/null &&
	start=$(date +%s%N) &&
	test_expect_code 1 tel-mktopic -F scram.properties -X ssl.ca.location=other.pem \
		-b $KAFKA_SASL_BROKERS -t $T -R 1 --timeout 20s >out 2>err &&
	ms=$(( ($(date +%s%N) - start) / 1000000 )) && echo $ms >tls.ms &&
	test $ms -lt 10000 &&
	test "$(json_get code <out)" = _SSL &&
	test_grep "certificate verify failed" out
'
test -s tls.ms && test_diag "an unknown CA ended the run in $(cat tls.ms) ms (--timeout 20s)"

test_done
