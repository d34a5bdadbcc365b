#!/bin/sh
# The SigV4 known-answer tests speak TAP themselves.
unit=${TEL_BUILD:-$(dirname "$0")/../build}/t/unit-sigv4
if ! test -x "$unit"; then
	echo "Bail out! $unit is not built: run make test"
	exit 1
fi
exec "$unit"
