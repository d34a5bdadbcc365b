#!/bin/sh
# Installs what building and testing tel needs on Debian 12, if missing.
# Idempotent; run as root (or with sudo available).
set -eu

PKGS="build-essential pkg-config librdkafka-dev zlib1g-dev libcurl4-openssl-dev
libssl-dev libjansson-dev mandoc perl python3 tzdata kcat"

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
