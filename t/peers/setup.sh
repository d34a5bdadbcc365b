#!/usr/bin/env bash
# setup.sh: install the test and benchmark peers that Debian does not
# package, into a cache outside the repository.  Idempotent: what is cached
# and current is never rebuilt, so running it before every test run costs
# well under a second.
#
#   t/peers/setup.sh [TARGET...]	(bash; run with sh, it runs itself with bash)
#
# TARGETs (default: kafka minio toxiproxy venv kinesalite, what `make test`
# needs):
#   kafka      the Apache Kafka jars pinned in t/kafka/pom.xml, from Maven
#              Central (t/peers/kafka.sh fetch; cold: about 1 min, 90 MB)
#   minio      MinIO server, built with `go install` at a pinned version
#              (cold: about 3.5 min and 1.5 GB of RAM on 2 cores; 2.2 GB of
#              Go module and build cache)
#   toxiproxy  toxiproxy-server and toxiproxy-cli, pinned (go install)
#   venv       Python venv from t/py/requirements.txt (boto3, duckdb,
#              awscli v1, aws-msk-iam-sasl-signer-python, aws-kinesis-agg)
#   kinesalite kinesalite, a Kinesis Data Streams server (npm), pinned, for
#              t/peers/kinesalite.sh; its LevelDB (leveldown) comes as
#              prebuilt binaries in the package, nothing is compiled
#   s5cmd      s5cmd, pinned (go install)
#   ajv        ajv, the JSON Schema validator of JavaScript (npm), pinned
#   bench      what `make bench` adds: s5cmd, ajv, kinesalite and the venv
#              (awscli is in it)
#   all        all of the above
#
# Everything goes under $TEL_TEST_CACHE (default ~/.cache/tel-test):
#   bin/{minio,toxiproxy-server,toxiproxy-cli,s5cmd}, venv/, gomod/, gocache/, pip/,
#   node/ (ajv), kinesalite/
#
# Needs: go >= 1.21 (MinIO's module wants go >= 1.24: an older go fetches a
# newer toolchain from the Go module proxy through GOTOOLCHAIN), python3 >=
# 3.10 with its venv module (Debian: python3-venv), node and npm (Debian:
# nodejs npm) for kinesalite and ajv, flock.
#
# MinIO, if Go cannot be had at all: S3Proxy (org.gaul:s3proxy on Maven
# Central, Java 17, `jclouds.provider=filesystem`,
# `s3proxy.authorization=aws-v2-or-v4`) is the fallback server, but it is
# laxer than MinIO and t/peers/minio.sh does not drive it: the S3 tests
# skip (or fail, under TEL_TEST_REQUIRE_PEERS=1) until MinIO is built.
# dash has no pipefail: whoever typed "sh setup.sh" gets bash all the same
if test -z "${BASH_VERSION:-}"; then
	exec bash "$0" "$@"
fi
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
CACHE=${TEL_TEST_CACHE:-$HOME/.cache/tel-test}

# Pins.  The Go module proxy reachable from the project's machines serves
# MinIO only as this pseudo-version (master of 2026-02-12); the RELEASE.*
# tags answer 403.
MINIO_MODULE=github.com/minio/minio
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_GO=1.24			# the "go" line of MinIO's go.mod at that version
GO_TOOLCHAIN=${TEL_GO_TOOLCHAIN:-go1.24.8}	# fetched when the local go is older
TOXIPROXY_MODULE=github.com/Shopify/toxiproxy/v2
TOXIPROXY_VERSION=v2.12.0
S5CMD_MODULE=github.com/peak/s5cmd/v2
S5CMD_VERSION=v2.3.0
REQUIREMENTS=$SRC/t/py/requirements.txt

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

now() { date +%s; }
since() { echo "$(($(now) - $1)) s"; }

mkdir -p "$CACHE/bin" || die "cannot create $CACHE"
export GOMODCACHE=$CACHE/gomod GOCACHE=$CACHE/gocache GOFLAGS=-buildvcs=false
export PIP_CACHE_DIR=$CACHE/pip PIP_DISABLE_PIP_VERSION_CHECK=1

# ---- Go --------------------------------------------------------------

go_version=
if command -v go >/dev/null 2>&1; then
	go_version=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
fi

# version_ge A B: A >= B, as versions
version_ge() {
	test "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2"
}

# go_env_for MIN: print the GOTOOLCHAIN setting that gives a go >= MIN,
# or fail with the reason.
go_toolchain_for() {
	local min=$1
	test -n "$go_version" || {
		echo "no go command: install Go >= 1.21 (Debian 12: bookworm-backports golang-1.22 or later)" >&2
		return 1
	}
	if version_ge "$go_version" "$min"; then
		echo local
	elif version_ge "$go_version" 1.21; then
		echo "$GO_TOOLCHAIN"
	else
		echo "go $go_version cannot fetch a newer toolchain (needs >= 1.21); install Go >= $min" >&2
		return 1
	fi
}

# installed_version BIN MODULE: the version of MODULE that BIN was built
# from (go version -m), else what the stamp file BIN.version says.
installed_version() {
	test -x "$1" || return 0
	if test -n "$go_version"; then
		go version -m "$1" 2>/dev/null | awk -v m="$2" '$1 == "mod" && $2 == m { print $3 }'
	elif test -f "$1.version"; then
		cat "$1.version"
	fi
}

# go_get NAME MODULE VERSION MIN_GO PKG:BIN...: go install each package
# PKG (a path under MODULE, "." for the module itself) at VERSION and
# install its binary as $CACHE/bin/BIN, unless every BIN is already that
# version.  Builds in a scratch directory, then renames into place, so a
# test that is running never sees half a binary.
go_get() {
	local name=$1 module=$2 version=$3 min=$4 t0 tc spec pkg bin have ok tmp args log
	shift 4
	ok=t
	for spec in "$@"; do
		bin=${spec#*:}
		have=$(installed_version "$CACHE/bin/$bin" "$module")
		test "$have" = "$version" || ok=
	done
	if test -n "$ok"; then
		for spec in "$@"; do	# so that a machine without go knows too
			bin=${spec#*:}
			test -f "$CACHE/bin/$bin.version" || echo "$version" >"$CACHE/bin/$bin.version"
		done
		say "$name: cached ($version)"
		return 0
	fi
	tc=$(go_toolchain_for "$min") || die "$name: cannot build"
	t0=$(now)
	say "$name: building $module@$version (GOTOOLCHAIN=$tc)..."
	tmp=$(mktemp -d "$CACHE/build.XXXXXX")
	log=$CACHE/logs/$name.log
	mkdir -p "$CACHE/logs"
	args=
	for spec in "$@"; do
		pkg=${spec%%:*}
		if test "$pkg" = .; then pkg=$module; else pkg=$module/$pkg; fi
		args="$args $pkg@$version"
	done
	if test "${GO_GET_WRAP:-}" = 1; then
		# `go install M@V` asks the proxy for M's version list (to warn
		# of deprecation), which the proxy here refuses for some
		# modules (403); building from a scratch module that requires
		# M@V does not ask.
		(
			cd "$tmp" && go mod init tel-peer-build >/dev/null 2>&1 &&
			GOTOOLCHAIN=$tc go get "$module@$version" &&
			for spec in "$@"; do
				pkg=${spec%%:*}
				if test "$pkg" = .; then pkg=$module; else pkg=$module/$pkg; fi
				GOTOOLCHAIN=$tc go build -o "$tmp/bin/${spec#*:}" "$pkg" || exit 1
			done
		) >"$log" 2>&1 || {
			tail -n 20 "$log" >&2
			rm -rf "$tmp"
			die "$name: go build failed (Go $go_version, GOTOOLCHAIN=$tc; log $log)"
		}
	else
		mkdir "$tmp/bin"
		# shellcheck disable=SC2086
		GOTOOLCHAIN=$tc GOBIN=$tmp/gobin go install $args >"$log" 2>&1 || {
			tail -n 20 "$log" >&2
			rm -rf "$tmp"
			die "$name: go install failed (Go $go_version, GOTOOLCHAIN=$tc; log $log)"
		}
		for spec in "$@"; do
			pkg=${spec%%:*}
			if test "$pkg" = .; then pkg=$module; else pkg=$module/$pkg; fi
			pkg=${pkg##*/}
			case $pkg in v[0-9]*) pkg=${module%/*}; pkg=${pkg##*/} ;; esac	# .../x/v2 -> x
			mv "$tmp/gobin/$pkg" "$tmp/bin/${spec#*:}"
		done
	fi
	for spec in "$@"; do
		bin=${spec#*:}
		mv -f "$tmp/bin/$bin" "$CACHE/bin/$bin"
		echo "$version" >"$CACHE/bin/$bin.version"
	done
	rm -rf "$tmp"
	say "$name: built in $(since "$t0")"
}

do_minio() {
	go_get minio "$MINIO_MODULE" "$MINIO_VERSION" "$MINIO_GO" .:minio
}

do_toxiproxy() {
	go_get toxiproxy "$TOXIPROXY_MODULE" "$TOXIPROXY_VERSION" 1.21 \
		cmd/server:toxiproxy-server cmd/cli:toxiproxy-cli
}

do_s5cmd() {
	GO_GET_WRAP=1 go_get s5cmd "$S5CMD_MODULE" "$S5CMD_VERSION" 1.21 .:s5cmd
}

# ---- Python ----------------------------------------------------------

do_venv() {
	local py venv=$CACHE/venv pyv stamp t0
	py=${TEL_TEST_PYTHON3:-python3}
	command -v "$py" >/dev/null 2>&1 || die "venv: no $py (apt-get install python3 python3-venv)"
	pyv=$("$py" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
	version_ge "$pyv" 3.10 || die "venv: $py is $pyv; boto3 and awscli want >= 3.10"
	stamp="python $pyv $("$py" -c 'import sys; print(sys.executable)') requirements $(sha256sum <"$REQUIREMENTS" | cut -c1-16)"
	if test -x "$venv/bin/python" && test "$(cat "$venv/.tel-stamp" 2>/dev/null)" = "$stamp" &&
	    "$venv/bin/python" -c 'import boto3' 2>/dev/null; then
		say "venv: cached ($venv)"
		return 0
	fi
	t0=$(now)
	say "venv: creating $venv from t/py/requirements.txt..."
	rm -rf "$venv"
	"$py" -m venv "$venv" ||
		die "venv: '$py -m venv' failed (Debian: apt-get install python3-venv)"
	if ! "$venv/bin/pip" install -q -r "$REQUIREMENTS"; then
		rm -rf "$venv"
		die "venv: pip install failed"
	fi
	echo "$stamp" >"$venv/.tel-stamp"
	say "venv: made in $(since "$t0")"
}

# ---- Node --------------------------------------------------------------

# ajv, the JavaScript JSON Schema validator tel-check is measured against
# (make bench), from npm into $CACHE/node.
AJV_VERSION=8.20.0
do_ajv() {
	local dir=$CACHE/node have
	command -v npm >/dev/null 2>&1 || die "ajv: no npm (apt-get install npm)"
	have=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' \
	    "$dir/node_modules/ajv/package.json" 2>/dev/null || true)
	if test "$have" = "$AJV_VERSION"; then
		say "ajv: cached ($AJV_VERSION)"
		return 0
	fi
	mkdir -p "$dir"
	npm install --prefix "$dir" --no-audit --no-fund --silent \
	    "ajv@$AJV_VERSION" >/dev/null || die "ajv: npm install failed"
	say "ajv: installed $AJV_VERSION"
}

# kinesalite, the Kinesis Data Streams server of the tests
# (t/peers/kinesalite.sh), from npm into $CACHE/kinesalite.
KINESALITE_VERSION=3.3.3
do_kinesalite() {
	local dir=$CACHE/kinesalite have
	command -v npm >/dev/null 2>&1 || die "kinesalite: no npm (apt-get install nodejs npm)"
	have=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' \
	    "$dir/node_modules/kinesalite/package.json" 2>/dev/null || true)
	if test "$have" = "$KINESALITE_VERSION" && test -d "$dir/node_modules/leveldown"; then
		say "kinesalite: cached ($KINESALITE_VERSION)"
		return 0
	fi
	mkdir -p "$dir"
	npm install --prefix "$dir" --no-audit --no-fund --silent \
	    "kinesalite@$KINESALITE_VERSION" >/dev/null 2>&1 ||
		die "kinesalite: npm install failed (npm install --prefix $dir kinesalite@$KINESALITE_VERSION says why)"
	# Its store: leveldown's prebuilt binary must load (npm may have
	# skipped the package's install script; the prebuilds need none).
	(cd "$dir/node_modules/kinesalite" && node -e 'require("leveldown")') ||
		die "kinesalite: leveldown does not load on this node ($(node --version 2>&1))"
	say "kinesalite: installed $KINESALITE_VERSION"
}

do_kafka() {
	sh "$HERE/kafka.sh" fetch && say "kafka: jars ready"
}

# cold TARGET...: say once what a first setup costs, if anything is missing.
cold() {
	local missing=
	for t in "$@"; do
		case $t in
		kafka) ls "$CACHE"/kafka-*/*/lib/kafka_2.13-*.jar >/dev/null 2>&1 ||
		    missing="$missing $t" ;;
		venv) test -f "$CACHE/venv/.tel-stamp" || missing="$missing $t" ;;
		toxiproxy) test -x "$CACHE/bin/toxiproxy-server" || missing="$missing $t" ;;
		ajv) test -d "$CACHE/node/node_modules/ajv" || missing="$missing $t" ;;
		kinesalite) test -d "$CACHE/kinesalite/node_modules/kinesalite" ||
		    missing="$missing $t" ;;
		*) test -x "$CACHE/bin/$t" || missing="$missing $t" ;;
		esac
	done
	test -z "$missing" && return 0
	say "first setup of$missing into $CACHE; later runs take a second." \
	    "All of it on a new machine: about 5 min and 3 GB (MinIO is built from source)"
}

# ---- main ------------------------------------------------------------

targets=
for a in "${@:-default}"; do
	case $a in
	default) targets="$targets kafka minio toxiproxy venv kinesalite" ;;
	all) targets="$targets kafka minio toxiproxy venv kinesalite s5cmd ajv" ;;
	bench) targets="$targets s5cmd venv ajv kinesalite" ;;
	ajv|kafka|minio|toxiproxy|venv|s5cmd|kinesalite) targets="$targets $a" ;;
	-h|--help) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;/^set -e/d'; exit 0 ;;
	*) die "unknown target '$a' (ajv kafka minio toxiproxy venv kinesalite s5cmd bench all)" ;;
	esac
done

# One setup at a time per cache.
exec 9>"$CACHE/.setup.lock"
flock 9

# shellcheck disable=SC2086
cold $targets
T0=$(now)
done_=" "
failed=
for t in $targets; do
	case $done_ in *" $t "*) continue ;; esac
	done_="$done_$t "
	("do_$t") || failed="$failed $t"	# the others still get their turn
done
if test -n "$failed"; then
	say "FAILED:$failed (after $(since "$T0"))" >&2
	exit 1
fi
say "done in $(since "$T0") (cache $CACHE)"
