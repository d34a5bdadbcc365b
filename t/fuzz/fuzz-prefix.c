/*
 * Fuzz target: tel-batch's prefix language.  The input is a template,
 * a NUL, then a partition-key value.  Whatever compiles must evaluate
 * within its buffer, and no value may put '/', a control character or
 * a "." or ".." path segment into the key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"
#include "prefix.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_value(const char *v, size_t n)
{
	char *out = malloc(3 * n + 1);
	size_t o, i;

	if (out == NULL)
		abort();
	o = key_sanitize(v, n, out);
	if (o > 3 * n || (o == 1 && out[0] == '.') ||
	    (o == 2 && out[0] == '.' && out[1] == '.'))
		abort();
	for (i = 0; i < o; i++) {
		if (out[i] == '/' || out[i] == '\\' || (unsigned char)out[i] < 0x20)
			abort();
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen = nul ? (size_t)(nul - data) : size;
	char *tmpl = strndup((const char *)data, tlen), err[256], out[4096];
	const char *names[4], *why, *field;
	struct json_member m[4];
	struct prefix p;
	size_t nn = 0, i;
	int n;

	if (tmpl == NULL)
		abort();
	if (nul != NULL)
		check_value((const char *)nul + 1, size - tlen - 1);
	if (prefix_parse(tmpl, data[0] & 1, &p, names, &nn, 4, err,
	    sizeof(err)) == 0) {
		for (i = 0; i < nn; i++) {
			m[i].type = nul ? JS_STRING : JS_NONE;
			m[i].val = nul ? (const char *)nul + 1 : NULL;
			m[i].len = nul ? size - tlen - 1 : 0;
			m[i].escaped = 0;
		}
		n = prefix_eval(&p, 1795370400123LL, m, "processing-failed",
		    out, sizeof(out), &why, &field);
		if (n > (int)sizeof(out) || (n == -1 && why == NULL))
			abort();
	}
	prefix_free(&p);
	free(tmpl);
	return 0;
}
