#!/bin/sh
test_description='TLS, SCRAM and MSK IAM (OAUTHBEARER) through the Kafka tools'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-kafka.sh"

test_kafka sasl
B=$KAFKA_SASL_BROKERS
PLAIN=$KAFKA_BROKERS

# Known, recognisable secrets: no output may ever hold them.
AKID=AKIDTELTESTEXAMPLE01
SECRET=TelTestSecretKey0123456789abcdefSECRET
TOKEN=TelTestSessionToken0123456789SESSION
unset AWS_PROFILE AWS_DEFAULT_REGION AWS_WEB_IDENTITY_TOKEN_FILE \
	AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI
export AWS_ACCESS_KEY_ID=$AKID AWS_SECRET_ACCESS_KEY=$SECRET \
	AWS_SESSION_TOKEN=$TOKEN AWS_EC2_METADATA_DISABLED=true HOME=$TRASH

no_secrets() {
	! grep -l -e "$SECRET" -e "$TOKEN" -e "$KAFKA_SCRAM_PASSWORD" -e \
		"$(printf %s "$TOKEN" | base64)" "$@"
}

test_expect_success 'setup' '
	tel-gen -n 200 -s 3 >events &&
	T=$(test_topic) && echo $T >topic && kafka_create_topic $T 2
'

test_expect_success 'SCRAM-SHA-512 over TLS with -X: round trip, CA verified' '
	T=$(cat topic) &&
	tel-kafka-put -b $B -t $T -X security.protocol=SASL_SSL \
		-X sasl.mechanisms=SCRAM-SHA-512 -X sasl.username=$KAFKA_SCRAM_USER \
		-X sasl.password=$KAFKA_SCRAM_PASSWORD -X ssl.ca.location=$KAFKA_CA \
		-vv <events >out 2>err &&
	test_must_be_empty out && no_secrets out err &&
	kcat -b $PLAIN -C -t $T -e -q >got &&
	sort events >want && sort got >got.s && test_cmp want got.s
'

test_expect_success 'SCRAM through -F and TEL_KAFKA_CONFIG for tel-kafka-cat' '
	cat >scram.properties <<-EOF &&
	security.protocol=SASL_SSL
	sasl.mechanisms=SCRAM-SHA-256
	sasl.username=$KAFKA_SCRAM_USER
	sasl.password=$KAFKA_SCRAM_PASSWORD
	ssl.ca.location=$KAFKA_CA
	EOF
	tel-kafka-cat -F scram.properties -b $B -t $(cat topic) -e -vv >got 2>err &&
	sort got >got.s && sort events >want && test_cmp want got.s && no_secrets err &&
	TEL_KAFKA_CONFIG=scram.properties tel-kafka-cat -b $B -t $(cat topic) \
		-G g-$(cat topic) -e >got2 2>err && test_line_count = 200 got2
'

test_expect_success 'a wrong SCRAM password: clear error, lines back, exit 1, quick' '
	start=$(date +%s) &&
	test_expect_code 1 tel-kafka-put -b $B -t $(cat topic) \
		-X security.protocol=SASL_SSL -X sasl.mechanisms=SCRAM-SHA-512 \
		-X sasl.username=$KAFKA_SCRAM_USER -X sasl.password=WrongPassword99 \
		-X ssl.ca.location=$KAFKA_CA <events >failed 2>err &&
	test $(( $(date +%s) - start )) -le 20 &&
	test_grep "authentication failed" err &&
	test_cmp events failed &&
	! grep WrongPassword99 err &&
	test_expect_code 1 tel-kafka-cat -b $B -t $(cat topic) -e \
		-X security.protocol=SASL_SSL -X sasl.mechanisms=SCRAM-SHA-512 \
		-X sasl.username=$KAFKA_SCRAM_USER -X sasl.password=WrongPassword99 \
		-X ssl.ca.location=$KAFKA_CA >got 2>err &&
	test_grep "authentication failed" err && ! grep WrongPassword99 err
'

test_expect_success 'TLS verification is on: a CA that did not sign the broker fails' '
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=other" \
		-keyout other.key -out other.pem 2>/dev/null &&
	test_expect_code 1 tel-kafka-cat -b $B -t $(cat topic) -e \
		-X security.protocol=SASL_SSL -X sasl.mechanisms=SCRAM-SHA-512 \
		-X sasl.username=$KAFKA_SCRAM_USER \
		-X sasl.password=$KAFKA_SCRAM_PASSWORD \
		-X ssl.ca.location=other.pem >got 2>err &&
	test_must_be_empty got
'

# Kafka cannot validate an MSK token, so the handshake must start and be
# refused; the tools must say so and exit, not hang.
test_expect_success '--msk-iam: OAUTHBEARER handshake on TLS, refused, exit 1' '
	start=$(date +%s) &&
	test_expect_code 1 tel-kafka-put --msk-iam --region us-east-1 -b $B \
		-t $(cat topic) -X ssl.ca.location=$KAFKA_CA -vv \
		-X debug=security,broker <events >failed 2>err &&
	test $(( $(date +%s) - start )) -le 30 &&
	test_grep "OAUTHBEARER" err &&
	test_grep "uthentication failed" err &&
	test_cmp events failed &&
	no_secrets failed err
'

test_expect_success '--msk-iam: the token sent is the presigned Connect URL' '
	test_grep "SASL OAUTHBEARER" err ||
	test_grep "oauthbearer" err
'

test_expect_success '--msk-iam with tel-kafka-cat -G -e: clear failure, no hang' '
	start=$(date +%s) &&
	test_expect_code 1 tel-kafka-cat --msk-iam --region eu-west-1 -b $B \
		-t $(cat topic) -G g-msk -e -X ssl.ca.location=$KAFKA_CA -vv \
		>got 2>err &&
	test $(( $(date +%s) - start )) -le 30 &&
	test_grep "uthentication failed" err &&
	test_must_be_empty got && no_secrets err
'

test_expect_success '--msk-iam with tel-mktopic: refused, exit 1, nothing secret' '
	test_expect_code 1 tel-mktopic --msk-iam --region us-west-2 -b $B \
		-t msk-$(cat topic) -X ssl.ca.location=$KAFKA_CA -vv \
		-X debug=security --timeout 20s >out 2>err &&
	test_grep "uthentication" out err &&
	no_secrets out err
'

test_expect_success '--msk-iam: region from an MSK broker name; none at all is an error' '
	test_expect_code 2 tel-kafka-put --msk-iam -b 127.0.0.1:1 -t x \
		</dev/null 2>err &&
	test_grep "no region" err &&
	test_expect_code 1 tel-kafka-put --msk-iam \
		-b b-1.demo.abc123.c2.kafka.ap-southeast-2.amazonaws.com:9098 -t x \
		-X message.timeout.ms=500 -X socket.connection.setup.timeout.ms=1000 \
		-vv -X debug=security <events >failed 2>err &&
	no_secrets err
'

test_expect_success '--msk-iam without credentials: says so, before connecting' '
	test_expect_code 2 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
		-u AWS_SESSION_TOKEN tel-kafka-put --msk-iam --region us-east-1 \
		-b $B -t x </dev/null 2>err &&
	test -s err && no_secrets err
'

test_done
