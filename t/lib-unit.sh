#!/bin/sh
# lib-unit.sh NAME: runs the C unit test t/unit/NAME.c, built as
# $TEL_BUILD/t/unit-NAME, which speaks TAP itself (t/unit/tap.h).
unit=${TEL_BUILD:-$(dirname "$0")/../build}/t/unit-$1
if ! test -x "$unit"; then
	echo "Bail out! $unit is not built: run make test"
	exit 1
fi
exec "$unit"
