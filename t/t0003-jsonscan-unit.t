#!/bin/sh
# lib/jsonscan.c and lib/base64.c.
exec sh "$(dirname "$0")/lib-unit.sh" jsonscan
