#!/bin/sh
# The C unit tests of lib/metrics.c speak TAP themselves.
unit=${TEL_BUILD:-$(dirname "$0")/../build}/t/unit-metrics
if ! test -x "$unit"; then
	echo "Bail out! $unit is not built: run make test"
	exit 1
fi
exec "$unit"
