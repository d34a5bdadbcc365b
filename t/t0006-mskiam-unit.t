#!/bin/sh
# MSK IAM tokens.
exec sh "$(dirname "$0")/lib-unit.sh" mskiam
