#!/bin/sh
# The C unit tests of lib/jsonscan.c and lib/base64.c speak TAP themselves.
unit=${TEL_BUILD:-$(dirname "$0")/../build}/t/unit-jsonscan
if ! test -x "$unit"; then
	echo "Bail out! $unit is not built: run make test"
	exit 1
fi
exec "$unit"
