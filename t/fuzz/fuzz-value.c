/*
 * Fuzz target: tel-kafka-cat's value rendering, checked against
 * jansson.  A JSON text made compact must be one line that jansson reads
 * as the same value; UTF-8 text as a string must be a JSON string that
 * jansson reads back as the same bytes.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"
#include "value.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_compact(const char *p, size_t n)
{
	struct json_error e;
	json_t *a, *b;
	char *out;
	size_t o;

	if (json_scan(p, n, NULL, 0, &e) == -1)
		return;
	if ((out = malloc(n + 1)) == NULL)
		abort();
	o = value_compact(p, n, out);
	if (o > n || value_multiline(out, o) ||
	    json_scan(out, o, NULL, 0, &e) == -1)
		abort();
	a = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	b = json_loadb(out, o, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if ((a == NULL) != (b == NULL) || (a != NULL && !json_equal(a, b)))
		abort();
	json_decref(a);
	json_decref(b);
	free(out);
}

static void
check_string(const char *p, size_t n)
{
	struct json_error e;
	json_t *s;
	char *out;
	size_t o;

	if (!json_utf8_valid(p, n))
		return;
	if ((out = malloc(VALUE_STRING_MAX(n) + 1)) == NULL)
		abort();
	o = json_escape(p, n, out);
	if (o > VALUE_STRING_MAX(n) || value_multiline(out, o) ||
	    json_scan(out, o, NULL, 0, &e) != JS_STRING)
		abort();
	s = json_loadb(out, o, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (s == NULL || !json_is_string(s))
		abort();
	if (json_string_length(s) != n ||
	    memcmp(json_string_value(s), p, n) != 0)
		abort();
	json_decref(s);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_compact((const char *)data, size);
	check_string((const char *)data, size);
	return 0;
}
