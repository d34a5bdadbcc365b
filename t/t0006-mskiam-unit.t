#!/bin/sh
# The MSK IAM token unit tests speak TAP themselves.
unit=${TEL_BUILD:-$(dirname "$0")/../build}/t/unit-mskiam
if ! test -x "$unit"; then
	echo "Bail out! $unit is not built: run make test"
	exit 1
fi
exec "$unit"
