#!/bin/sh
# Installs what building and testing tel needs on Debian 12, if missing.
# Idempotent; run as root (or with sudo available).
set -eu

PKGS="build-essential pkg-config librdkafka-dev zlib1g-dev libdeflate-dev
libcurl4-openssl-dev libssl-dev libjansson-dev mandoc perl python3 python3-venv
tzdata kcat openssl util-linux pigz jq time"

# The test peers run Kafka on a JVM (fetched with Maven), build MinIO
# with Go and fetch kinesalite with npm; machines that already have them
# keep theirs.
command -v java >/dev/null 2>&1 || PKGS="$PKGS openjdk-17-jre-headless"
command -v mvn >/dev/null 2>&1 || PKGS="$PKGS maven"
command -v go >/dev/null 2>&1 || PKGS="$PKGS golang-go"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all present"
	exit 0
fi
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
