/*
 * Differential fuzz target: our JSON scanner against jansson, the
 * reference.  They must agree on accept/reject, on the top-level type
 * and on the member values picked out, except where jansson refuses
 * valid JSON it cannot represent (huge numbers, NUL in a key), where
 * jansson takes a raw NUL byte between tokens (RFC 8259 does not), or
 * where we refuse nesting deeper than JSON_MAX_DEPTH.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
jansson_type(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return 1;
	case JSON_ARRAY: return 2;
	case JSON_STRING: return 3;
	case JSON_INTEGER: case JSON_REAL: return 4;
	case JSON_TRUE: return 5;
	case JSON_FALSE: return 6;
	default: return 7;
	}
}

static void
compare_member(const struct json_member *m, json_t *obj)
{
	json_t *v = json_object_get(obj, m->key);
	char *buf;
	size_t n;

	if (v == NULL) {
		if (m->type != JS_NONE)
			abort();
		return;
	}
	if ((int)m->type != jansson_type(v))
		abort();
	if (m->type != JS_STRING)
		return;
	if ((buf = malloc(m->len + 1)) == NULL)
		abort();
	n = m->escaped ? json_unescape(m->val, m->len, buf) : m->len;
	if (!m->escaped)
		memcpy(buf, m->val, m->len);
	if (n != json_string_length(v) || memcmp(buf, json_string_value(v), n))
		abort();
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_member m[] = {
		{ "a", 1, 0, NULL, 0, 0 }, { "event_timestamp", 15, 0, NULL, 0, 0 },
		{ "k\xc3\xa9", 3, 0, NULL, 0, 0 },
	};
	struct json_error e;
	json_error_t je;
	json_t *j;
	int ours, i;

	ours = json_scan((const char *)data, size, m, 3, &e);
	j = json_loadb((const char *)data, size, JSON_DECODE_ANY |
	    JSON_ALLOW_NUL, &je);
	if (ours == -1 && e.offset > size)
		abort();
	if (j == NULL) {
		if (ours != -1 && strstr(je.text, "too big") == NULL &&
		    strstr(je.text, "overflow") == NULL &&
		    strstr(je.text, "NUL byte in object key") == NULL)
			abort();
		return 0;
	}
	if (ours == -1) {
		if (strcmp(e.msg, "nesting too deep") != 0 &&
		    !(e.offset < size && data[e.offset] == '\0'))
			abort();
	} else {
		if (ours != jansson_type(j))
			abort();
		if (ours == JS_OBJECT)
			for (i = 0; i < 3; i++)
				compare_member(&m[i], j);
	}
	json_decref(j);
	return 0;
}
