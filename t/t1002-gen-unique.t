#!/bin/sh
test_description='tel-gen event_id is unique over a million events and across runs'
. "$(dirname "$0")/test-lib.sh"

ids() {
	cut -d'"' -f4
}

test_expect_success 'one run of 1,000,000 events has no repeated event_id' '
	tel-gen -n 1000000 | ids >ids &&
	test_line_count = 1000000 ids &&
	sort ids | uniq -d >dups &&
	test_must_be_empty dups
'

test_expect_success 'two unseeded runs share no event_id' '
	tel-gen -n 200000 | ids >a &&
	tel-gen -n 200000 | ids >b &&
	sort a b | uniq -d >dups &&
	test_must_be_empty dups
'

test_expect_success 'ids carry 128 random bits as 32 hex digits' '
	test_line_count = 200000 a &&
	! grep -v "^EVENT_[0-9a-f]\{32\}$" a
'

test_done
