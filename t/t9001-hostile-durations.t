#!/bin/sh
test_description='durations that would wrap a counter are usage errors in every tool: at most 100 years'
. "$(dirname "$0")/test-lib.sh"

# Each would wrap once turned into milliseconds, seconds or a signed
# count: tel-batch sealed every record alone, --metrics-interval
# busy-looped, --close-timeout meant no limit, --stall-timeout none.
while read -r tool args; do
	test_expect_success "$tool $args: exit 2, too long" "
		test_expect_code 2 $tool $args </dev/null >out 2>err &&
		test_must_be_empty out &&
		test_grep '^$tool: .*too long' err
	"
done <<\END
tel-batch -d s --max-age 10000000000000000000ms
tel-batch -d s --sync 18446744073709551615ms
tel-batch -d s --metrics m --metrics-interval 10000000000000000000ms
tel-kafka-cat -b x -t t --close-timeout 4294967296s
tel-s3-put -B b --stall-timeout 18446744073709551615ms
tel-s3-put -B b --max-time 101000d
tel-gen -d 5300w
tel-kafka-put -b x -t t --flush-timeout 3200000000s
tel-mktopic -b x -t t --retention 5300w
END

test_expect_success 'a hundred years is still a duration' '
	tel-gen -n 1 -r 1000 -d 5200w >out &&
	test_line_count = 1 out
'

test_done
