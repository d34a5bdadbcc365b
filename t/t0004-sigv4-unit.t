#!/bin/sh
# SigV4 against AWS's known answers.
exec sh "$(dirname "$0")/lib-unit.sh" sigv4
