# lib-fake-aws.sh: loopback fakes of IMDS, ECS and STS (t/py/fake_aws.py)
# and the helper that drives lib/creds.c and lib/http.c
# (t/helper/aws-creds.c).  Source it after test-lib.sh.  Hermetic: it
# unsets the caller's AWS_* variables and proxies and makes $TRASH the home.
#
# start_fake NAME ARGS...	a fake_aws.py in NAME/, its port in $NAME_port
# run NAME ARGS...		the helper; out/NAME and out/NAME.err

helper=$TEL_BUILD/t/helper-aws-creds
test -x "$helper" || error "$helper is not built: run make test-bins"
"$PYTHON" -c "" 2>/dev/null || test_skip_or_fail "no Python ($PYTHON)"

# Hermetic: nothing from the caller's AWS setup or proxies, no ~/.aws,
# and instance metadata is never the real link-local one.
for v in $(env | sed -n 's/^\(AWS_[A-Za-z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
unset no_proxy NO_PROXY
HOME=$TRASH
export HOME
mkdir out

# start_fake NAME ARGS...: a fake_aws.py in NAME/, its port in $NAME_port.
start_fake() {
	name=$1
	shift
	mkdir "$name" || error "mkdir $name"
	"$PYTHON" "$TEL_SRC/t/py/fake_aws.py" --dir "$name" --lifetime 240 "$@" &
	echo $! >"$name/pid"
	test_atexit "kill $(cat "$name/pid")"
	n=0
	while ! test -s "$name/port"; do
		n=$((n + 1))
		test $n -lt 100 || error "fake $name did not start"
		sleep 0.1
	done
	eval "${name}_port=\$(cat \"\$name/port\")"
}

# run NAME ARGS...: the helper, its output in out/NAME and out/NAME.err.
run() {
	name=$1
	shift
	"$helper" "$@" >"out/$name" 2>"out/$name.err"
}

