#!/bin/sh
test_description='the test harness itself: failures are seen, skips are honest'
. "$(dirname "$0")/test-lib.sh"

# Runs a small script against test-lib.sh and keeps its TAP output.
# run_sub NAME <SCRIPT: runs SCRIPT as a test script of its own; its
# skips are noted in NAME.peers/skipped, not in the run's (run-suite).
run_sub() {
	cat >"$1.t" &&
	sed -i "1i . \"$TEST_DIRECTORY/test-lib.sh\"" "$1.t" &&
	mkdir -p "$1.peers" &&
	(TEL_TEST_REQUIRE_PEERS=${REQUIRE:-0} TEST_DIRECTORY="$TEST_DIRECTORY" \
	    TEL_PEERS_DIR="$PWD/$1.peers" sh "$1.t" >"$1.out" 2>"$1.err")
}

test_expect_success 'a passing test says ok, the plan follows' '
	run_sub pass <<-\EOF &&
	test_expect_success "true" "true"
	test_done
	EOF
	printf "ok 1 - true\n1..1\n" >expect &&
	test_cmp expect pass.out
'

test_expect_success 'a failing test says not ok and the script exits 1' '
	test_must_fail run_sub fail <<-\EOF &&
	test_expect_success "false" "false"
	test_expect_success "true" "true"
	test_done
	EOF
	test_grep "^not ok 1 - false" fail.out &&
	test_grep "^ok 2 - true" fail.out
'

test_expect_success 'test_must_fail rejects success and death by signal' '
	test_must_fail run_sub mf <<-\EOF &&
	test_expect_success "ok on failure" "test_must_fail false"
	test_expect_success "success" "test_must_fail true"
	test_expect_success "signal" "test_must_fail sh -c \"kill -SEGV \\\$\\\$\""
	test_expect_success "sanitizer" "test_must_fail sh -c \"exit 86\""
	test_done
	EOF
	test_grep "^ok 1 " mf.out &&
	test_grep "^not ok 2 " mf.out &&
	test_grep "^not ok 3 " mf.out &&
	test_grep "^not ok 4 " mf.out
'

test_expect_success 'test_cmp shows differences and fails' '
	echo a >a && echo b >b &&
	test_must_fail test_cmp a b >out &&
	test_grep "^-a" out && test_grep "^+b" out
'

test_expect_success 'a missing prerequisite skips the test' '
	run_sub prereq <<-\EOF &&
	test_set_prereq HAVE
	test_expect_success HAVE "with" "true"
	test_expect_success MISSING "without" "false"
	test_done
	EOF
	test_grep "^ok 1 - with" prereq.out &&
	test_grep "^ok 2 # skip without (missing MISSING)" prereq.out &&
	echo "prereq: test 2, missing MISSING" >want &&
	test_cmp want prereq.peers/skipped
'

test_expect_success 'a lazy prerequisite is checked once, and only when asked for' '
	run_sub lazy <<-EOF &&
	test_lazy_prereq ASKED "echo x >>\"$PWD/asked\""
	test_lazy_prereq UNASKED "touch \"$PWD/unasked\""
	test_lazy_prereq FAILS "false"
	test_expect_success ASKED "first" "true"
	test_expect_success ASKED "second" "true"
	test_expect_success FAILS "never" "false"
	test_done
	EOF
	test_grep "^ok 2 - second" lazy.out &&
	test_grep "^ok 3 # skip never (missing FAILS)" lazy.out &&
	test_line_count = 1 asked && ! test -e unasked
'

test_expect_success 'a missing peer skips, or fails when peers are required' '
	cat >peer.body <<-\EOF &&
	test_skip_or_fail "no broker here"
	EOF
	run_sub skip <peer.body &&
	test_grep "^1..0 # SKIP no broker here" skip.out &&
	echo "skip: the whole script: no broker here" >want &&
	test_cmp want skip.peers/skipped &&
	REQUIRE=1 &&
	test_must_fail run_sub required <peer.body &&
	test_grep "^Bail out! .*required peer missing: no broker here" required.out
'

test_expect_success 'cleanup runs at the end even when a test fails' '
	test_must_fail run_sub clean <<-EOF &&
	test_atexit "touch $PWD/cleaned"
	test_expect_success "false" "false"
	test_done
	EOF
	test -f cleaned
'

test_expect_success 'test_atexit inside a test body still runs at the end' '
	run_sub inbody <<-EOF &&
	test_expect_success "register" "test_atexit \"touch $PWD/from-body\""
	test_expect_success "not yet" "! test -f $PWD/from-body"
	test_done
	EOF
	test -f from-body
'

test_expect_success 'test_when_finished runs after its test, even a failing one' '
	test_must_fail run_sub finished <<-EOF &&
	test_expect_success "ok" "test_when_finished \"touch $PWD/fin1\" && true"
	test_expect_success "seen" "test -f $PWD/fin1"
	test_expect_success "fails" "test_when_finished \"touch $PWD/fin2\" && false"
	test_done
	EOF
	test_grep "^ok 2 - seen" finished.out &&
	test -f fin2
'

test_expect_success 'each script gets its own scratch directory, removed on success' '
	run_sub where <<-EOF &&
	test_expect_success "in trash" "pwd >$PWD/where"
	test_done
	EOF
	test "$(cat where)" != "$PWD" &&
	! test -d "$(cat where)"
'

test_done
