/*
 * Fuzz target: the cat tools' value rendering (lib/value.c), checked
 * against jansson.  A JSON text made compact must be one line that
 * jansson reads as the same value; UTF-8 text as a string must be a JSON
 * string that jansson reads back as the same bytes; whatever
 * value_render() makes of any bytes, with any options, is one line.
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

/* Every rendering is one line: JSON, or bytes only for an envelope. */
static void
check_render(const char *p, size_t n)
{
	struct value_buf b = { NULL, 0 };
	struct json_error e;
	enum value_form form;
	const char *v;
	char why[256];
	size_t len;
	int raw, env;

	for (raw = 0; raw < 2; raw++)
		for (env = 0; env < 2; env++) {
			v = value_render(&b, p, n, raw, env, "fuzz", &len,
			    &form, why, sizeof(why));
			if (v == NULL) {
				if (raw && json_utf8_valid(p, n))
					abort();	/* --raw keeps text */
				continue;
			}
			if (form == VALUE_BYTES)
				continue;
			if (value_multiline(v, len) ||
			    json_scan(v, len, NULL, 0, &e) == -1)
				abort();
		}
	value_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_compact((const char *)data, size);
	check_string((const char *)data, size);
	check_render((const char *)data, size);
	return 0;
}
