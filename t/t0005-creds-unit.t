#!/bin/sh
# The credential chain.
exec sh "$(dirname "$0")/lib-unit.sh" creds
