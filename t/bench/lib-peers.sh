# lib-peers.sh: the peers of a benchmark, started for it alone and
# stopped when it exits.  Source it with SRC, CACHE and PY set, then
#
#	bench_peers NAME [BINARY...]
#
# makes $tmp (a scratch directory, removed at exit); skips the benchmark
# (exit 0, with the reason) if MinIO, the venv's Python or a BINARY is
# missing; starts one Kafka broker and MinIO on loopback; sets B to the
# broker and exports the S3_* and AWS_* variables for tel-s3-put and the
# AWS clients.  die MESSAGE ends the benchmark (exit 1).

die() {
	echo "bench $bench_name: $*" >&2
	exit 1
}

bench_peers() {
	bench_name=$1
	shift
	for p in "$PY" "$CACHE/bin/minio" "$@"; do
		test -x "$p" || {
			echo "bench $bench_name: skipped: $p missing (t/peers/setup.sh)"
			exit 0
		}
	done
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/tel-bench-$bench_name.XXXXXX")
	trap 'sh "$SRC/t/peers/kafka.sh" stop "$tmp/kafka" >/dev/null 2>&1
		bash "$SRC/t/peers/minio.sh" stop "$tmp/minio" >/dev/null 2>&1
		rm -rf "$tmp"' EXIT
	trap 'exit 130' INT TERM
	mkdir "$tmp/kafka" "$tmp/minio"
	TEL_PEER_OWNER=$$ sh "$SRC/t/peers/kafka.sh" start single "$tmp/kafka" \
		>"$tmp/kafka.log" 2>&1 || { cat "$tmp/kafka.log" >&2; die "no broker"; }
	TEL_PEER_OWNER=$$ bash "$SRC/t/peers/minio.sh" start "$tmp/minio" \
		>"$tmp/minio.log" 2>&1 || { cat "$tmp/minio.log" >&2; die "no MinIO"; }
	. "$tmp/kafka/env"
	. "$tmp/minio/env"
	B=$KAFKA_BROKERS
	AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY
	AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
	AWS_REGION=$S3_REGION
	S3_ENDPOINT_URL=$S3_ENDPOINT
	AWS_EC2_METADATA_DISABLED=true
	export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION S3_ENDPOINT_URL \
	    AWS_EC2_METADATA_DISABLED S3_ENDPOINT S3_ACCESS_KEY S3_SECRET_KEY \
	    S3_REGION
}
