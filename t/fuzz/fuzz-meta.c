/*
 * Fuzz target: the metadata a salvage reads back from a gzip header
 * (tel-batch/meta.c), which anyone who can write in open/ can craft.
 * Whatever the input, a key meta_parse() accepts is a path below ready/:
 * no empty, "." or ".." segment, no leading '/', no NUL, within KEY_MAX.
 * And any key of a real batch comes back as it went in.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
is_path(const char *key, size_t n)
{
	const char *p = key, *e, *end = key + n;

	if (n == 0 || n > KEY_MAX || memchr(key, '\0', n) != NULL)
		return 0;
	for (;;) {
		e = memchr(p, '/', (size_t)(end - p));
		if (e == NULL)
			e = end;
		if (e == p || (e - p == 1 && p[0] == '.') ||
		    (e - p == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (e == end)
			return 1;
		p = e + 1;
	}
}

/* The input as metadata: refused, or a key that is a path. */
static void
parse_any(const char *c)
{
	const char *why;
	char *key;
	int64_t first;
	int error;

	if (meta_parse(c, &key, &first, &error, &why) == -1) {
		if (key != NULL)
			abort();
		return;
	}
	if (why != NULL || !is_path(key, strlen(key)))
		abort();
	free(key);
}

/* The input as a key: if it is one a batch may have, it round-trips. */
static void
round_trip(const char *k, int64_t first, int error)
{
	const char *why;
	char *c, *key;
	int64_t f;
	int e, toolong;

	if (key_check(k, strlen(k), 1, &toolong) != NULL)
		return;
	if ((c = meta_make(k, first, error)) == NULL)
		return;		/* longer than KEY_MAX */
	if (strlen(c) >= META_MAX ||
	    meta_parse(c, &key, &f, &e, &why) == -1 ||
	    strcmp(key, k) != 0 || f != first || e != error)
		abort();
	free(key);
	free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	parse_any(s);
	round_trip(s, size > 0 ? (int64_t)data[0] * 1000003 - 7 : 0,
	    size & 1);
	free(s);
	return 0;
}
