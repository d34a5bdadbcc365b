#!/bin/sh
# The credential chain unit tests speak TAP themselves.
unit=${TEL_BUILD:-$(dirname "$0")/../build}/t/unit-creds
if ! test -x "$unit"; then
	echo "Bail out! $unit is not built: run make test"
	exit 1
fi
exec "$unit"
