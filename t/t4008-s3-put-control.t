#!/bin/sh
test_description='tel-s3-put: a control line (tel(7)) goes out once every manifest line before it is stored; a failure holds back every later one'
. "$(dirname "$0")/test-lib.sh"

CP='{"@tel":"checkpoint","run":"0123456789abcdef","seq":'

# manifest N: N files and their manifest lines, f1..fN
manifest() {
	i=1
	while test $i -le $1; do
		head -c $((1000 + i)) /dev/urandom >f$i &&
		printf '{"file":"%s/f%d","key":"k/f%d"}\n' "$PWD" $i $i || return 1
		i=$((i + 1))
	done
}

# check_order OUT IN: every control line of IN is in OUT, in order, and
# after the result lines of every manifest line before it in IN
check_order() {
	"$PYTHON" - "$1" "$2" <<-\EOT
	import json, sys
	out = [json.loads(l) for l in open(sys.argv[1])]
	inp = [json.loads(l) for l in open(sys.argv[2])]
	pos = {o["key"]: i for i, o in enumerate(out) if "key" in o}
	cps = [i for i, o in enumerate(out) if "@tel" in o]
	want = [o for o in inp if "@tel" in o]
	assert [out[i] for i in cps] == want, (cps, want)
	k = 0
	for o in inp:
	    if "@tel" in o:
	        k += 1
	    else:
	        assert pos[o["key"]] < cps[k], (o["key"], pos[o["key"]], cps[k])
	EOT
}

test_expect_success 'setup: a file:// lake' '
	mkdir lake
'

test_expect_success 'a control line alone passes at once' '
	echo "${CP}1}" | tel-s3-put -B b --endpoint "file://$PWD/lake" >out &&
	echo "${CP}1}" >want && test_cmp want out
'

test_expect_success '-j 8, 60 objects, 6 checkpoints: each after everything before it' '
	manifest 60 >m &&
	awk -v cp="$CP" "{ print } NR % 10 == 0 { print cp (NR / 10) \"}\" }" m >in &&
	tel-s3-put -j 8 -B b --endpoint "file://$PWD/lake" <in >out &&
	test $(wc -l <out) = 66 &&
	check_order out in
'

test_expect_success 'a failed upload holds back every later control line; exit 1' '
	manifest 4 >m &&
	{ sed -n 1p m && echo "${CP}1}" &&
	  echo "{\"file\":\"$PWD/missing\",\"key\":\"k/missing\"}" &&
	  sed -n 2p m && echo "${CP}2}" && sed -n 3,4p m && echo "${CP}3}"; } >in &&
	test_expect_code 1 tel-s3-put -j 4 -B b --endpoint "file://$PWD/lake" <in >out 2>err &&
	grep "@tel" out >cps &&
	echo "${CP}1}" >want && test_cmp want cps &&
	test $(grep -c "\"key\":\"k/f" out) = 4
'

test_expect_success 'a refused manifest line holds back the control lines after it' '
	manifest 1 >m &&
	{ echo "{\"file\":1}" && cat m && echo "${CP}1}"; } >in &&
	test_expect_code 1 tel-s3-put -B b --endpoint "file://$PWD/lake" <in >out 2>err &&
	test_grep -v "@tel" out &&
	test_grep "^tel-s3-put: line 1: " err
'

test_expect_success '-v counts the control lines passed on' '
	{ echo "${CP}1}" && echo "${CP}2}"; } |
		tel-s3-put -v -B b --endpoint "file://$PWD/lake" >out 2>err &&
	test_grep "\"control_lines\":2" err
'

test_done
