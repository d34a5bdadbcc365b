# lib-metrics.sh: read the --metrics files of the tools (Prometheus text
# format) through t/py/check_metrics.py, whose parser is the Prometheus
# client's own.  Source it after test-lib.sh, at the top level: a missing
# venv skips the whole script (or fails it, under TEL_TEST_REQUIRE_PEERS=1).
#
#	. "$TEST_DIRECTORY/lib-metrics.sh"
#	tel-gen -n 10 --metrics m.prom >out &&
#	check m.prom tel-gen --running 0 --status 0 &&
#	test "$(value m.prom tel_gen_events_total)" = 10
#
# check FILE PROG [OPTION...]   FILE is a valid exposition, named PROG;
#                               OPTIONs of check_metrics.py add checks
#                               (--json ERR: equal to -v's line in ERR,
#                               --running N, --status N)
# value FILE SAMPLE             print one sample's value, "absent" if
#                               there is none
# wait_value FILE SAMPLE MIN    wait until the sample is >= MIN (a bound,
#                               60 s, not a timing); say what it saw last
#                               when it gives up
# no_temporaries DIR            the temporary files of the metrics writer
#                               in DIR were all renamed or removed
# PYTHON                        the venv's python (prometheus_client)

if ! "$PYTHON" -c 'import prometheus_client' >/dev/null 2>&1; then
	test_skip_or_fail "no Python venv with prometheus_client ($PYTHON): run t/peers/setup.sh venv"
fi

check() {
	f=$1 p=$2
	shift 2
	"$PYTHON" "$TEST_DIRECTORY/py/check_metrics.py" "$f" --prog "$p" "$@"
}

value() {
	"$PYTHON" "$TEST_DIRECTORY/py/check_metrics.py" "$1" --print "$2"
}

wait_value() {
	i=0
	while test $i -lt 600; do
		v=$(value "$1" "$2" 2>/dev/null) &&
		test "$v" != absent && test "${v%.*}" -ge "$3" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "wait_value: $2 in $1 is ${v:-unreadable}, not >= $3" >&2
	return 1
}

no_temporaries() {
	ls -a "$1" >ls.out &&
	! grep "\.tmp\." ls.out
}
