#!/bin/sh
test_description='tel-gen: options, counts, determinism, errors'
. "$(dirname "$0")/test-lib.sh"

START=2026-11-22T18:00:00Z

test_expect_success '-h prints usage on stdout and exits 0' '
	tel-gen -h >out 2>err &&
	test_grep "^usage: tel-gen" out &&
	test_must_be_empty err
'

test_expect_success '-V prints the version' '
	tel-gen -V >out &&
	test_grep "^tel-gen [0-9]" out
'

for bad in "-n abc" "-n -1" "-n 1000000000001" "-s x" "-r 0" "-r fast" \
    "-d 5s" "--corrupt 1.5" "--corrupt -0.1" "--schema bus" "--start yesterday" \
    "--start 2026-02-30T00:00:00Z" "--customers 0" "--titles 0" "--trucks 0" \
    "--trucks 100000" "--anomalies 1.5" "--anomalies -0.1" "--anomalies x" \
    "-x" "extra"; do
	test_expect_success "bad usage '$bad': exit 2, reason and usage on stderr" "
		test_expect_code 2 tel-gen $bad >out 2>err &&
		test_must_be_empty out &&
		test_grep '^tel-gen: ' err &&
		test_grep '^usage: tel-gen' err
	"
done

test_expect_success 'the reason names the option and the value' '
	test_expect_code 2 tel-gen -n 12x 2>err &&
	test_grep "^tel-gen: -n 12x: invalid" err &&
	test_expect_code 2 tel-gen --anomalies 2 2>err &&
	test_grep "^tel-gen: --anomalies 2: " err
'

test_expect_success '--anomalies takes a fraction from 0 to 1' '
	for a in 0 0.5 1 .03; do
		tel-gen --schema truck -n 10 --anomalies $a >out &&
		test_line_count = 10 out || return 1
	done
'

for n in 0 1 7 1234 100000; do
	test_expect_success "-n $n writes exactly $n lines" "
		tel-gen -n $n >out &&
		test_line_count = $n out
	"
done

test_expect_success 'the default count is between 2,000 and 25,000' '
	for i in 1 2 3 4 5; do
		tel-gen | wc -l >count &&
		test $(cat count) -ge 2000 && test $(cat count) -le 25000 || return 1
	done
'

test_expect_success 'same seed, options and start: byte-identical output' '
	tel-gen -n 20000 -s 42 --start $START >a &&
	tel-gen -n 20000 -s 42 --start $START >b &&
	test_cmp a b &&
	tel-gen --schema truck -n 5000 -s 42 --start $START >c &&
	tel-gen --schema truck -n 5000 -s 42 --start $START >d &&
	test_cmp c d &&
	tel-gen --schema truck -n 5000 -s 42 --start $START --anomalies 0.2 >e &&
	tel-gen --schema truck -n 5000 -s 42 --start $START --anomalies 0.2 >f &&
	test_cmp e f &&
	! cmp -s c e
'

test_expect_success 'the seed changes the stream' '
	tel-gen -n 1000 -s 42 --start $START >a &&
	tel-gen -n 1000 -s 43 --start $START >b &&
	! cmp -s a b
'

test_expect_success 'unseeded runs differ' '
	tel-gen -n 100 --start $START >a &&
	tel-gen -n 100 --start $START >b &&
	! cmp -s a b
'

test_expect_success '--start takes RFC 3339 or epoch milliseconds alike' '
	tel-gen -n 50 -s 1 --start 2026-11-22T19:00:00+01:00 >a &&
	tel-gen -n 50 -s 1 --start 1795370400000 >b &&
	test_cmp a b
'

test_expect_success DEV_FULL 'a write error is reported, exit 1' '
	test_expect_code 1 tel-gen -n 100000 >/dev/full 2>err &&
	test_grep "^tel-gen: stdout: No space left on device" err
'

test_expect_success 'tel-gen | head -1 ends quietly' '
	tel-gen -n 1000000 2>err | head -1 >out &&
	test_line_count = 1 out &&
	test_must_be_empty err
'

test_expect_success '-v prints a one-line JSON summary on stderr' '
	tel-gen -v -n 321 --corrupt 0.5 -s 3 >out 2>err &&
	test_line_count = 1 err &&
	test_grep "^{\"program\":\"tel-gen\",\"schema\":\"viewer\",\"events\":321,\"corrupt\":[0-9]*,\"bytes\":$(wc -c <out)," err
'

test_expect_success 'memory stays flat whatever the count' '
	cat >rss.py <<-\EOF &&
	import resource, subprocess, sys
	subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
	print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
	EOF
	small=$("$PYTHON" rss.py tel-gen -n 300000 -s 1) &&
	big=$("$PYTHON" rss.py tel-gen -n 6000000 -s 1) &&
	echo "max RSS: $small KiB for 300k events, $big KiB for 6M" &&
	test $big -lt 65536 &&
	test $big -lt $((small * 2))
'

test_expect_success 'SIGTERM ends a paced run with whole lines and status 0' '
	tel-gen -r 2000 >out 2>err &
	pid=$! &&
	sleep 1 &&
	kill -TERM $pid &&
	wait $pid &&
	test -s out &&
	test_must_be_empty err &&
	"$PYTHON" "$TEL_SRC/t/py/check_gen.py" viewer <out >/dev/null
'

test_done
