#!/bin/sh
# Benchmark: jsonscan against jansson, 500,000 tel-gen events.
set -eu
"${TEL_BUILD:-build}/bin/tel-gen" -n 500000 -s 1 | "${TEL_BUILD:-build}/t/bench-scan"
