#!/bin/sh
test_description='the spool is ours alone: one owned by another user or writable by others is refused, and no link in it is followed'
. "$(dirname "$0")/test-lib.sh"

# Run as root here, the refusals are by owner and mode; the same holds
# for any user.  "nobody" stands for the other user.
test_lazy_prereq OTHER_USER 'id nobody'

# Where root can become nobody, the other user plants the links itself.
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}
test_lazy_prereq AS_NOBODY '
	test "$(id -u)" = 0 && chmod 711 "$TRASH" &&
	as_nobody tel-batch -V
'

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

test_expect_success AS_NOBODY 'another user plants a lock link in a public spool: root writes nothing through it' '
	mkdir -m 1777 pub2 && chmod 1777 pub2 &&
	echo precious >target && chmod 600 target &&
	as_nobody sh -c "umask 0; mkdir pub2/spool && ln -s \"$PWD/target\" pub2/spool/lock" &&
	echo "{\"a\":1}" >one &&
	test_expect_code 1 tel-batch -d pub2/spool <one >out 2>err &&
	test_grep "pub2/spool: " err && test_must_be_empty out &&
	echo precious >want && test_cmp want target
'

test_expect_success AS_NOBODY 'another user makes the spool its own, links and all: refused' '
	as_nobody sh -c "mkdir -m 700 pub2/sp && ln -s \"$PWD/target\" pub2/sp/lock &&
		ln -s \"$PWD/elsewhere2\" pub2/sp/ready" &&
	mkdir elsewhere2 &&
	test_expect_code 1 tel-batch -d pub2/sp <one >out 2>err &&
	test_grep "pub2/sp: not owned by the user tel-batch runs as" err &&
	test_cmp want target && test -z "$(ls elsewhere2)"
'

test_expect_success AS_NOBODY 'an unprivileged user spools in its own directory as usual' '
	as_nobody tel-batch -d pub2/mine <one >m &&
	test_line_count = 1 m && test "$(stat -c %U pub2/mine/lock)" = nobody
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
