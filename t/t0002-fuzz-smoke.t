#!/bin/sh
test_description='every fuzz target survives its corpus and random rounds'
. "$(dirname "$0")/test-lib.sh"

for target in base64 control creds gzip jsonscan kpl meta ndjson number prefix rfc3339 s3xml \
    schema validate \
    value; do
	test_expect_success "fuzz target $target" "
		\"\$TEL_BUILD/t/fuzz-$target\" \"\$TEL_SRC\"/t/fuzz/corpus/$target/* >out &&
		test_grep 'all rounds passed' out
	"
done

test_done
