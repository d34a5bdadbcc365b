#!/bin/sh
# Benchmark: tel-s3-put against `aws s3 cp` (awscli, from the test venv)
# and s5cmd, uploading the same files to one MinIO on loopback
# (t/peers/minio.sh): one large object (512 MiB) and many small ones
# (1,000 of 100 KB).  Rounds alternate the tools; the best time of each
# counts.  Every tool runs with its own defaults; tel-s3-put with --keep
# only, so that the same files serve every round.  Each upload is checked
# afterwards (key count and bytes, listed by boto3).
#
# Knobs: TEL_BENCH_S3_BIG (bytes of the large object, default 536870912),
# TEL_BENCH_S3_FILES (small objects, default 1000), TEL_BENCH_S3_SMALL
# (bytes each, default 102400), TEL_BENCH_ROUNDS (default 3),
# TEL_BENCH_S3_ARGS (extra tel-s3-put options).
#
# A missing peer (MinIO, s5cmd, the venv's awscli: t/peers/setup.sh minio
# bench) skips the benchmark with the reason, exit 0.
set -eu

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${TEL_BUILD:-$SRC/build}/bin
CACHE=${TEL_TEST_CACHE:-${HOME:-/tmp}/.cache/tel-test}
BIG=${TEL_BENCH_S3_BIG:-536870912}
NFILES=${TEL_BENCH_S3_FILES:-1000}
SMALL=${TEL_BENCH_S3_SMALL:-102400}
ROUNDS=${TEL_BENCH_ROUNDS:-3}
AWS=$CACHE/venv/bin/aws
PY=$CACHE/venv/bin/python
S5CMD=$CACHE/bin/s5cmd

skip() {
	echo "bench s3: skipped: $*"
	exit 0
}

test -x "$BIN/tel-s3-put" || { echo "bench s3: no $BIN/tel-s3-put (make first)" >&2; exit 1; }
test -x "$CACHE/bin/minio" || skip "no MinIO ($CACHE/bin/minio): run t/peers/setup.sh minio"
test -x "$AWS" || skip "no awscli ($AWS): run t/peers/setup.sh venv"
test -x "$S5CMD" || skip "no s5cmd ($S5CMD): run t/peers/setup.sh s5cmd"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tel-bench-s3.XXXXXX")
trap 'bash "$SRC/t/peers/minio.sh" stop "$tmp/minio" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

if ! TEL_PEER_OWNER=$$ bash "$SRC/t/peers/minio.sh" start "$tmp/minio" >"$tmp/start.log" 2>&1; then
	skip "MinIO did not start: $(tail -n 1 "$tmp/start.log")"
fi
. "$tmp/minio/env"

# The peers' credentials and endpoint, and nothing from the caller's AWS
# setup.
AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
AWS_REGION=$S3_REGION
AWS_DEFAULT_REGION=$S3_REGION
AWS_CONFIG_FILE=$tmp/aws-config
AWS_SHARED_CREDENTIALS_FILE=$tmp/aws-credentials
AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_DEFAULT_REGION \
    AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_EC2_METADATA_DISABLED \
    S3_ENDPOINT S3_ACCESS_KEY S3_SECRET_KEY S3_REGION
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 S3_ENDPOINT_URL
EP=$S3_ENDPOINT
BUCKET=bench

"$PY" "$SRC/t/py/s3.py" mb "$BUCKET"
head -c "$BIG" /dev/urandom >"$tmp/big.gz"
mkdir "$tmp/many"
head -c $((NFILES * SMALL)) /dev/urandom |
	(cd "$tmp/many" && split -b "$SMALL" -a 6 -d --additional-suffix=.gz - f)
test "$(ls "$tmp/many" | wc -l)" = "$NFILES" || { echo "bench s3: split made the wrong number of files" >&2; exit 1; }

# ns CMD: wall time of a shell command, in nanoseconds; its output in
# $tmp/log, shown if it fails
ns() {
	python3 -c 'import subprocess, sys, time
t = time.monotonic_ns()
r = subprocess.run(sys.argv[1], shell=True, stdout=open(sys.argv[2], "w"), stderr=subprocess.STDOUT)
if r.returncode:
    sys.stderr.write(open(sys.argv[2]).read())
    sys.exit("bench s3: failed: " + sys.argv[1])
print(time.monotonic_ns() - t)' "$1" "$tmp/log"
}

min() { if [ -z "$1" ] || [ "$2" -lt "$1" ]; then echo "$2"; else echo "$1"; fi; }

# check PREFIX COUNT BYTES: the bucket holds COUNT objects of BYTES in all
# under PREFIX
check() {
	got=$("$PY" "$SRC/t/py/s3.py" ls "$BUCKET" "$1" | awk -F'\t' '{ n++; b += $2 } END { printf "%d %d", n, b }')
	[ "$got" = "$2 $3" ] || { echo "bench s3: $1: $got objects/bytes, not $2 $3" >&2; exit 1; }
}

TEL="'$BIN/tel-s3-put' --keep -B $BUCKET --endpoint $EP ${TEL_BENCH_S3_ARGS:-}"
tb= ab= sb= tm= am= sm=
r=1
while [ $r -le "$ROUNDS" ]; do
	tb=$(min "$tb" "$(ns "$TEL --key-prefix tel/big/ '$tmp/big.gz' >'$tmp/out'")")
	ab=$(min "$ab" "$(ns "'$AWS' s3 cp --only-show-errors --endpoint-url $EP '$tmp/big.gz' s3://$BUCKET/aws/big/big.gz")")
	sb=$(min "$sb" "$(ns "'$S5CMD' --endpoint-url $EP cp '$tmp/big.gz' s3://$BUCKET/s5/big/big.gz")")
	tm=$(min "$tm" "$(ns "$TEL --key-prefix tel/many/ '$tmp'/many/* >'$tmp/out'")")
	am=$(min "$am" "$(ns "'$AWS' s3 cp --only-show-errors --endpoint-url $EP --recursive '$tmp/many' s3://$BUCKET/aws/many/")")
	sm=$(min "$sm" "$(ns "'$S5CMD' --endpoint-url $EP cp '$tmp/many/*' s3://$BUCKET/s5/many/")")
	r=$((r + 1))
done
for p in tel aws s5; do
	check $p/big/ 1 "$BIG"
	check $p/many/ "$NFILES" $((NFILES * SMALL))
done

awk -v big="$BIG" -v n="$NFILES" -v small="$SMALL" -v r="$ROUNDS" \
    -v tb="$tb" -v ab="$ab" -v sb="$sb" -v tm="$tm" -v am="$am" -v sm="$sm" \
    -v args="${TEL_BENCH_S3_ARGS:-}" 'BEGIN {
	printf "S3 benchmark: MinIO on loopback, best of %d; tel-s3-put --keep %s\n", r, args
	printf "%-38s %8s %8s %10s\n", "run", "seconds", "MB/s", "objects/s"
	row("tel-s3-put, 1 x " mb(big), tb, big, 1)
	row("aws s3 cp, 1 x " mb(big), ab, big, 1)
	row("s5cmd cp, 1 x " mb(big), sb, big, 1)
	row("tel-s3-put, " n " x " kb(small), tm, n * small, n)
	row("aws s3 cp --recursive, " n " x " kb(small), am, n * small, n)
	row("s5cmd cp, " n " x " kb(small), sm, n * small, n)
	printf "ratio tel-s3-put/aws-cli, large: %.2f (bar >= 1.0)\n", ab / tb
	printf "ratio tel-s3-put/s5cmd,   large: %.2f (bar >= 0.8)\n", sb / tb
	printf "ratio tel-s3-put/aws-cli, small: %.2f (bar >= 3.0)\n", am / tm
	printf "ratio tel-s3-put/s5cmd,   small: %.2f\n", sm / tm
}
function mb(b) { return sprintf("%.0f MB", b / 1e6) }
function kb(b) { return sprintf("%.0f KB", b / 1e3) }
function row(name, t, b, k,    rate) {
	rate = "-"
	if (k > 1)
		rate = sprintf("%.0f", k / (t / 1e9))
	printf "%-38s %8.2f %8.1f %10s\n", name, t / 1e9, b / 1e6 / (t / 1e9), rate
}'
