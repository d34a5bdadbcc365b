#!/bin/sh
# Benchmark: tel-check against ajv (node, the fastest widely used JSON
# Schema validator) and Python's jsonschema, on the same NDJSON with the
# same schema, in one run: truck records (with anomalies) and viewer
# events.  Best of 3 runs each (jsonschema: one run on a tenth of the
# records); prints records/s, CPU seconds per million records, and the
# ratio of ajv's CPU to ours.  Every tool's count of valid records must
# be the same, or the benchmark fails.
set -eu

BIN=${TEL_BUILD:-build}/bin
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${TEL_TEST_CACHE:-$HOME/.cache/tel-test}
PY=$CACHE/venv/bin/python
N=${TEL_BENCH_RECORDS:-500000}
export AJV_DIR=$CACHE/node

for p in "$PY" "$AJV_DIR/node_modules/ajv/package.json"; do
	test -e "$p" || {
		echo "bench check: skipped: $p missing (t/peers/setup.sh bench)"
		exit 0
	}
done
command -v node >/dev/null || { echo "bench check: skipped: no node"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tel-bench-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# cpu_of CMD: user+sys seconds of the fastest of three runs (by wall time)
cpu_of() {
	best_wall= best_cpu=
	for _ in 1 2 3; do
		/usr/bin/env time -f "%e %U %S" -o "$tmp/time" sh -c "$1" ||
			{ echo "bench check: failed: $1" >&2; exit 1; }
		read -r wall u s <"$tmp/time"
		if [ -z "$best_wall" ] || awk "BEGIN { exit !($wall < $best_wall) }"; then
			best_wall=$wall
			best_cpu=$(awk "BEGIN { print $u + $s }")
		fi
	done
	echo "$best_wall $best_cpu"
}

run() {
	name=$1 schema=$2 data=$3
	records=$(wc -l <"$data")
	ours=$(cpu_of "'$BIN/tel-check' -q '$schema' <'$data' >'$tmp/ours'")
	peer=$(cpu_of "node '$SRC/t/bench/ajv-check.mjs' '$schema' <'$data' >'$tmp/ajv' 2>/dev/null")
	head -n $((records / 10)) "$data" >"$tmp/tenth"
	/usr/bin/env time -f "%e %U %S" -o "$tmp/time.py" sh -c \
	    ". '$tmp/pyjs.sh'; pyjs '$schema' <'$tmp/tenth' >'$tmp/py'"
	read -r pwall pu ps <"$tmp/time.py"
	valid_ours=$(grep -vc '^{"@tel"' "$tmp/ours" || true)
	valid_ajv=$(wc -l <"$tmp/ajv")
	[ "$valid_ours" = "$valid_ajv" ] ||
		{ echo "bench check: $name: tel-check passed $valid_ours, ajv $valid_ajv" >&2; exit 1; }
	valid_py=$(wc -l <"$tmp/py")
	valid_ours_tenth=$("$BIN/tel-check" -q "$schema" <"$tmp/tenth" | grep -vc '^{"@tel"' || true)
	[ "$valid_py" = "$valid_ours_tenth" ] ||
		{ echo "bench check: $name: tel-check passed $valid_ours_tenth, jsonschema $valid_py" >&2; exit 1; }
	set -- $ours
	ow=$1 oc=$2
	set -- $peer
	aw=$1 ac=$2
	awk -v name="$name" -v n="$records" -v v="$valid_ours" -v ow="$ow" -v oc="$oc" \
	    -v aw="$aw" -v ac="$ac" -v pw="$pwall" -v pc="$(awk "BEGIN { print $pu + $ps }")" 'BEGIN {
		printf "%s: %d records, %d valid\n", name, n, v
		printf "  %-22s %12s %16s\n", "tool", "records/s", "CPU s/M records"
		printf "  %-22s %12.0f %16.2f\n", "tel-check", n / ow, oc / n * 1e6
		printf "  %-22s %12.0f %16.2f\n", "ajv 8 (node)", n / aw, ac / n * 1e6
		printf "  %-22s %12.0f %16.2f\n", "jsonschema (Python)", n / 10 / pw, pc / (n / 10) * 1e6
		printf "  ratio ajv CPU / tel-check CPU: %.2f (bar: >= 1.0)\n", ac / oc
	}'
}

# pyjs SCHEMA: the valid lines of stdin, by Python's jsonschema
declare_pyjs() {
	cat >"$tmp/pyjs.sh" <<PYJS
pyjs() {
	"$PY" -c '
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
for line in sys.stdin:
    try:
        if v.is_valid(json.loads(line)):
            sys.stdout.write(line)
    except ValueError:
        pass
' "\$1"
}
PYJS
}

declare_pyjs
"$BIN/tel-gen" --schema truck -n "$N" -s 1 --start 2026-11-22T18:00:00Z >"$tmp/trucks"
"$BIN/tel-gen" -n "$N" -s 1 --start 2026-11-22T18:00:00Z >"$tmp/viewers"
echo "tel-check benchmark"
run "truck records, contrib/schemas/truck.json" "$SRC/contrib/schemas/truck.json" "$tmp/trucks"
run "viewer events, contrib/schemas/viewer.json" "$SRC/contrib/schemas/viewer.json" "$tmp/viewers"
