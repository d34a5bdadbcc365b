#!/bin/sh
test_description='files we read or write are what they say: a FIFO named by a manifest line is refused, not waited on; a link planted where a metrics file is written is not followed; the metrics file keeps its mode'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'a manifest line naming a FIFO: refused at once, exit 1' '
	mkdir lake && mkfifo fifo &&
	echo "{\"file\":\"$PWD/fifo\",\"key\":\"k/fifo\"}" >in &&
	test_expect_code 1 timeout 20 tel-s3-put -B b --endpoint "file://$PWD/lake" \
		<in >out 2>err &&
	test_must_be_empty out &&
	test_grep "fifo: not a regular file" err
'

test_expect_success '--metrics: a link planted at FILE.tmp.PID is not written through' '
	echo precious >target &&
	sh -c "ln -s \"$PWD/target\" m.prom.tmp.\$\$ && exec tel-gen -n 1 --metrics m.prom" >out &&
	echo precious >want && test_cmp want target &&
	test_grep "^tel_gen_" m.prom &&
	test_line_count = 1 out
'

test_expect_success '--metrics: the file keeps mode 0644 under tel-batch, whose umask is 077' '
	echo "{\"a\":1}" | tel-batch -d spool --metrics mb.prom >out &&
	test "$(stat -c %a mb.prom)" = 644
'

test_expect_success '--metrics: an existing file keeps the mode it has' '
	: >mc.prom && chmod 640 mc.prom &&
	echo "{\"a\":1}" | tel-batch -d spool --metrics mc.prom >out &&
	test "$(stat -c %a mc.prom)" = 640
'

test_expect_success '--spool: keys with segments that begin with a dot are sent too' '
	for v in .hidden ... x; do
		echo "{\"p\":\"$v\"}" || return 1
	done | tel-batch -d dots --prefix "!{partitionKeyFromQuery:p}/" >m &&
	tel-s3-put -B b --endpoint "file://$PWD/lake" --spool dots >out &&
	test_line_count = 3 out &&
	find dots/ready -type f >left && test_must_be_empty left &&
	test $(find lake/b -name "*.gz" | wc -l) = 3
'

test_expect_success 'two --spool runs at once: each file sent once, no failure' '
	tel-gen -n 300 -s 3 | tel-batch -d twice --max-records 1 >/dev/null &&
	test $(find twice/ready -type f | wc -l) = 300 &&
	mkdir lake2 &&
	{ tel-s3-put -j 4 -B b --endpoint "file://$PWD/lake2" --spool twice \
		>out1 2>err1 & } &&
	tel-s3-put -j 4 -B b --endpoint "file://$PWD/lake2" --spool twice >out2 2>err2 &&
	wait $! &&
	cat err1 err2 >err &&
	test_grep -v "No such file" err &&
	test_grep -v "not stored\|failed" err &&
	test $(cat out1 out2 | wc -l) = 300 &&
	test $(find lake2/b -type f -name "*.gz" | wc -l) = 300 &&
	find twice/ready -type f >left && test_must_be_empty left
'

test_expect_success 'file:// lake: a lake object sent to its own key is kept, exit 1' '
	mkdir -p lake3/b/k && echo precious >lake3/b/k/o.gz &&
	test_expect_code 1 tel-s3-put -B b --endpoint "file://$PWD/lake3" \
		--key-prefix k/ lake3/b/k/o.gz >out 2>err &&
	test_grep "the file is that object already" err &&
	echo precious >want && test_cmp want lake3/b/k/o.gz
'

test_expect_success 'file:// lake: a symlinked directory in the lake is not followed out of it' '
	mkdir -p lake4/b outside && ln -s "$PWD/outside" lake4/b/k &&
	echo data >obj.gz &&
	test_expect_code 1 tel-s3-put -B b --endpoint "file://$PWD/lake4" \
		--key-prefix k/ --keep obj.gz >out 2>err &&
	test_grep "lake4/b/k/obj.gz: a symlink on the way" err &&
	test -z "$(ls outside)" &&
	rm lake4/b/k && tel-s3-put -B b --endpoint "file://$PWD/lake4" \
		--key-prefix k/ obj.gz >out &&
	echo data >want && test_cmp want lake4/b/k/obj.gz && ! test -e obj.gz
'

test_expect_success 'file:// lake: a link at the key itself is replaced, not written through' '
	echo precious >target && ln -s "$PWD/target" lake4/b/k/link.gz &&
	echo new >link.gz &&
	tel-s3-put -B b --endpoint "file://$PWD/lake4" --key-prefix k/ link.gz &&
	echo precious >want && test_cmp want target &&
	! test -h lake4/b/k/link.gz && echo new >want && test_cmp want lake4/b/k/link.gz
'

test_done
