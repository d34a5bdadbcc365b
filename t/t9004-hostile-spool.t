#!/bin/sh
test_description='the spool is ours alone: one owned by another user or writable by others is refused, and no link in it is followed'
. "$(dirname "$0")/test-lib.sh"

# Run as root here, the refusals are by owner and mode; the same holds
# for any user.  "nobody" stands for the other user.
test_lazy_prereq OTHER_USER 'id nobody'

test_expect_success 'a spool writable by others is refused; exit 1, nothing written' '
	mkdir -m 777 pub && chmod 777 pub &&
	test_expect_code 1 tel-batch -d pub </dev/null >out 2>err &&
	test_grep "pub: writable by others: refused as a spool" err &&
	test_must_be_empty out &&
	! test -e pub/lock && ! test -e pub/open
'

test_expect_success OTHER_USER 'a spool owned by another user is refused' '
	mkdir -m 700 theirs && chown nobody theirs &&
	test_expect_code 1 tel-batch -d theirs </dev/null 2>err &&
	test_grep "theirs: not owned by the user tel-batch runs as" err
'

test_expect_success 'a lock that is a link is not followed: its target stays as it was' '
	echo precious >target &&
	mkdir -m 700 sp1 && ln -s "$PWD/target" sp1/lock &&
	test_expect_code 1 tel-batch -d sp1 </dev/null 2>err &&
	test_grep "sp1/lock" err &&
	echo precious >want && test_cmp want target
'

test_expect_success 'a ready/ that is a link is refused: batches go nowhere else' '
	mkdir -m 700 sp2 elsewhere && ln -s "$PWD/elsewhere" sp2/ready &&
	echo "{\"a\":1}" >one &&
	test_expect_code 1 tel-batch -d sp2 <one >out 2>err &&
	test_grep "ready: not a directory (a symbolic link?): refused as a spool" err &&
	test -z "$(ls elsewhere)"
'

test_expect_success 'directories emptied by tel-s3-put go at the next start' '
	printf "{\"p\":\"a\"}\n{\"p\":\"b\"}\n" |
		tel-batch -d sp3 --prefix "p=!{partitionKeyFromQuery:p}/" >m &&
	mkdir lake && tel-s3-put -B b --endpoint "file://$PWD/lake" <m >out &&
	test -d sp3/ready/p=a &&
	tel-batch -d sp3 </dev/null &&
	! test -e sp3/ready/p=a && ! test -e sp3/ready/p=b && test -d sp3/ready
'

test_done
