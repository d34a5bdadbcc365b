# test-lib.sh: a small TAP test harness for tel, in the style of git's t/.
#
# A test script sets test_description, sources this file, calls
# test_expect_success (and friends) and ends with test_done.  It prints
# TAP on stdout, so prove(1) runs it.  Each script gets a scratch
# directory, kept when a test fails.
#
# Options (also from TEL_TEST_OPTS): -v/--verbose shows each test's
# output on stderr; -i/--immediate stops at the first failure.
#
# Environment: TEL_BUILD (default ../build) holds bin/ and t/;
# TEL_TEST_REQUIRE_PEERS=1 turns a missing real peer (Kafka, MinIO, ...)
# from a skip into a failure, as CI wants.

test_count=0
test_failed=0
test_skipped=0
verbose=
immediate=
for arg in "$@" $TEL_TEST_OPTS; do
	case $arg in
	-v|--verbose) verbose=t ;;
	-i|--immediate) immediate=t ;;
	*) echo "test-lib: unknown option $arg" >&2; exit 1 ;;
	esac
done

TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd)
TEST_NAME=$(basename "$0" .t)
TEL_BUILD=${TEL_BUILD:-$TEST_DIRECTORY/../build}

# The one Python of every helper: the venv t/peers/setup.sh makes (boto3,
# DuckDB, prometheus_client, the MSK signer), else the system's, for the
# helpers that need only the standard library.  Scripts that need a
# module check for it by importing it.
TEL_TEST_CACHE=${TEL_TEST_CACHE:-${HOME:-/tmp}/.cache/tel-test}
PYTHON=${TEL_TEST_PYTHON:-$TEL_TEST_CACHE/venv/bin/python}
test -x "$PYTHON" || PYTHON=python3
export TEL_TEST_CACHE PYTHON
TEL_SRC=$(cd "$TEST_DIRECTORY/.." && pwd)
PATH=$TEL_BUILD/bin:$PATH
export TEL_BUILD TEL_SRC PATH TEST_DIRECTORY
LC_ALL=C
export LC_ALL
unset TEL_BROKERS TEL_KAFKA_CONFIG

# Sanitizer reports exit 86, which test_must_fail never mistakes for the
# failure a test expected.
ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-exitcode=86:print_stacktrace=1}
export ASAN_OPTIONS UBSAN_OPTIONS

TRASH=$(mktemp -d "${TMPDIR:-/tmp}/tel-$TEST_NAME.XXXXXX") || exit 1
cd "$TRASH" || exit 1

# test_atexit CMD: run CMD when the script ends, pass or fail, newest
# first.  Test bodies run in subshells, so the commands live in a file.
test_atexit_file=$TRASH/.atexit
test_atexit() {
	{ printf '%s\n' "$1"; cat "$test_atexit_file" 2>/dev/null || :; } \
	    >"$test_atexit_file.new" && mv "$test_atexit_file.new" "$test_atexit_file"
}

test_run_atexit() {
	if test -s "$test_atexit_file"; then
		cd "$TRASH" 2>/dev/null || cd /
		mv "$test_atexit_file" "$test_atexit_file.run" &&
		(. "$test_atexit_file.run") >/dev/null 2>&1
	fi
}
trap 'test_run_atexit; exit 130' INT TERM
trap 'test_run_atexit' EXIT

say() {
	printf '%s\n' "$*"
}

# Diagnostics go out as TAP comments on stderr.
test_diag() {
	printf '%s\n' "$@" | sed 's/^/# /' >&2
}

error() {
	say "Bail out! $TEST_NAME: $*"
	exit 1
}

# test_set_prereq NAME; test_have_prereq NAME...
test_prereqs=" "
test_prereqs_no=" "
test_set_prereq() {
	test_prereqs="$test_prereqs$1 "
}

# test_have_prereq NAME...: every NAME holds.  A lazy one is checked the
# first time it is asked for, and the answer kept.
test_have_prereq() {
	for p in "$@"; do
		case $test_prereqs in
		*" $p "*) continue ;;
		esac
		case $test_prereqs_no in
		*" $p "*) return 1 ;;
		esac
		eval "test_lazy_script_=\${test_lazy_$p-}"
		if test -n "$test_lazy_script_" &&
		    (cd "$TRASH" && eval "$test_lazy_script_") >/dev/null 2>&1; then
			test_set_prereq "$p"
		else
			test_prereqs_no="$test_prereqs_no$p "
			return 1
		fi
	done
}

# test_lazy_prereq NAME SCRIPT: NAME holds if SCRIPT succeeds, in the
# scratch directory, when a test first needs NAME.
test_lazy_prereq() {
	eval "test_lazy_$1=\$2"
}

# skip_all="reason" before the first test, then test_done, skips the script.
# test_skip_or_fail REASON: skips the whole script, except under
# TEL_TEST_REQUIRE_PEERS=1 where a missing peer is a failure.
test_skip_or_fail() {
	if test "${TEL_TEST_REQUIRE_PEERS:-0}" = 1; then
		error "required peer missing: $1"
	fi
	skip_all=$1
	test_done
}

test_when_finished() {
	test_when_finished_cmds="$1
${test_when_finished_cmds:-}"
}

# The body runs in a subshell; its test_when_finished commands run at
# its end, in that same subshell, where they were registered.
test_body_() {
	eval "$1"
	test_body_rc_=$?
	if test -n "$test_when_finished_cmds"; then
		(eval "$test_when_finished_cmds") >/dev/null 2>&1 ||
			test_body_rc_=1
	fi
	return $test_body_rc_
}

test_run_() {
	test_when_finished_cmds=
	if test -n "$verbose"; then
		(test_body_ "$1") >&2
	else
		(test_body_ "$1") >/dev/null 2>&1
	fi
	test_eval_rc=$?
	cd "$TRASH"
	return $test_eval_rc
}

test_ok_() {
	say "ok $test_count - $1"
}

test_failure_() {
	test_failed=$((test_failed + 1))
	test_failed_names_="${test_failed_names_:-}
  not ok $test_count - $1"
	say "not ok $test_count - $1"
	printf '%s\n' "$2" | sed 's/^/#	/'
	if test -n "$immediate"; then
		test_done
	fi
}

# test_expect_success [PREREQ,...] DESCRIPTION BODY
test_expect_success() {
	test_prereq=
	if test $# = 3; then
		test_prereq=$1
		shift
	fi
	test $# = 2 || error "bug in the test script: test_expect_success wants 2 or 3 arguments"
	test_count=$((test_count + 1))
	if test -n "$test_prereq" &&
	    ! test_have_prereq $(echo "$test_prereq" | tr , ' '); then
		test_skipped=$((test_skipped + 1))
		say "ok $test_count # skip $1 (missing $test_prereq)"
		test_note_skip "test $test_count, missing $test_prereq"
		return 0
	fi
	test -n "$verbose" && test_diag "expecting success: $2"
	if test_run_ "$2"; then
		test_ok_ "$1"
	else
		test_failure_ "$1" "$2"
	fi
}

# test_must_fail CMD...: CMD exits non-zero, but not by a signal or sanitizer.
test_must_fail() {
	"$@"
	exit_code=$?
	if test $exit_code = 0; then
		echo >&2 "test_must_fail: command succeeded: $*"
		return 1
	elif test $exit_code = 86; then
		echo >&2 "test_must_fail: sanitizer report: $*"
		return 1
	elif test $exit_code -gt 128 && test $exit_code -le 192; then
		echo >&2 "test_must_fail: died by signal $((exit_code - 128)): $*"
		return 1
	elif test $exit_code = 127; then
		echo >&2 "test_must_fail: command not found: $*"
		return 1
	fi
	return 0
}

# test_expect_code CODE CMD...: CMD exits with exactly CODE.
test_expect_code() {
	want=$1
	shift
	"$@"
	exit_code=$?
	if test $exit_code = "$want"; then
		return 0
	fi
	echo >&2 "test_expect_code: command exited $exit_code, wanted $want: $*"
	return 1
}

# test_cmp EXPECTED ACTUAL: same bytes, or show the difference.
test_cmp() {
	diff -u "$@"
}

test_must_be_empty() {
	if test -s "$1"; then
		echo >&2 "test_must_be_empty: $1 is not empty:"
		head -20 "$1" >&2
		return 1
	fi
}

# test_line_count OP N FILE, e.g. test_line_count = 3 out
test_line_count() {
	test $# = 3 || error "bug in the test script: test_line_count wants 3 arguments"
	if ! test $(wc -l <"$3") "$1" "$2"; then
		echo >&2 "test_line_count: line count of $3 is $(wc -l <"$3"), not $1 $2"
		return 1
	fi
}

# test_grep [-v] PATTERN FILE: like grep, but says what it did not find.
test_grep() {
	if test "$1" = -v; then
		shift
		if grep -q -- "$1" "$2"; then
			echo >&2 "test_grep: unexpected match of '$1' in $2:"
			grep -- "$1" "$2" | head -5 >&2
			return 1
		fi
		return 0
	fi
	if ! grep -q -- "$1" "$2"; then
		echo >&2 "test_grep: no match of '$1' in $2:"
		head -20 "$2" >&2
		return 1
	fi
}

# test_wait_until SECONDS CMD...: retry CMD every 0.2 s until it succeeds,
# for at most SECONDS (a bound, not a timing); says what it gave up on.
test_wait_until() {
	test_wait_end_=$(($(date +%s) + $1)) && shift &&
	until "$@"; do
		if test "$(date +%s)" -ge $test_wait_end_; then
			echo >&2 "test_wait_until: gave up waiting for: $*"
			return 1
		fi
		sleep 0.2
	done
}

# test_start_server DIR CMD...: mkdir DIR, then CMD (a server that writes
# its port to DIR/port once it listens) in the background, its output in
# DIR/out, its PID in DIR/pid, killed when the script ends; waits for the
# port (a bound: 15 s) and sets test_server_url=http://127.0.0.1:PORT.
test_start_server() {
	test_server_dir_=$1
	shift
	mkdir "$test_server_dir_" &&
	{ "$@" >"$test_server_dir_/out" 2>&1 </dev/null & } &&
	echo $! >"$test_server_dir_/pid" &&
	test_atexit "kill $(cat "$test_server_dir_/pid")" &&
	test_wait_until 15 test -s "$test_server_dir_/port" &&
	test_server_url=http://127.0.0.1:$(cat "$test_server_dir_/port")
}

# json_get PATH <FILE: a member of the first JSON line, by a dotted path
# (numbers index arrays); strings bare, the rest as compact JSON.
json_get() {
	"$PYTHON" -c '
import json, sys
v = json.loads(sys.stdin.readline())
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))' "$1"
}

# For run-suite's count of what did not run: one line per skip.
test_note_skip() {
	test -n "${TEL_PEERS_DIR:-}" && test -d "$TEL_PEERS_DIR" &&
	    printf '%s: %s\n' "$TEST_NAME" "$1" >>"$TEL_PEERS_DIR/skipped"
	return 0
}

test_done() {
	test_run_atexit
	if test -n "${skip_all:-}" && test $test_count = 0; then
		say "1..0 # SKIP $skip_all"
		test_note_skip "the whole script: $skip_all"
		cd / && rm -rf "$TRASH"
		exit 0
	fi
	say "1..$test_count"
	if test $test_failed -gt 0; then
		test_diag "failed $test_failed of $test_count; scratch kept in $TRASH$test_failed_names_"
		exit 1
	fi
	cd / && rm -rf "$TRASH"
	exit 0
}

test_lazy_prereq DEV_FULL 'test -w /dev/full'
