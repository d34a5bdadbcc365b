#!/bin/sh
# lib/: numbers, RFC 3339, the PRNG, NDJSON, diagnostics.
exec sh "$(dirname "$0")/lib-unit.sh" lib
