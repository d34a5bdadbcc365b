#!/bin/sh
# lib/metrics.c.
exec sh "$(dirname "$0")/lib-unit.sh" metrics
