/*
 * tel-batch: the gzip header metadata of a batch, written when it is
 * opened and read back by a salvage (spool.c) or at start (announce).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"
#include "meta.h"
#include "prefix.h"

char *
meta_make(const char *key, int64_t first, int error)
{
	size_t n = strlen(key);
	char *esc, *c;

	if (n > KEY_MAX) {	/* so that it fits META_MAX */
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((esc = malloc(6 * n + 3)) == NULL)
		return NULL;
	esc[json_escape(key, n, esc)] = '\0';
	if (asprintf(&c, "{\"tel-batch\":1,\"key\":%s,\"first\":%lld,"
	    "\"error\":%s}", esc, (long long)first,
	    error ? "true" : "false") == -1)
		c = NULL;
	free(esc);
	return c;
}

/*
 * The key is checked as any key is (prefix.c, key_check), so that a
 * salvage never writes outside ready/.
 */
int
meta_parse(const char *c, char **key, int64_t *first, int *error,
    const char **why)
{
	struct json_member m[] = {
		{ "key", 3, 0, NULL, 0, 0 }, { "first", 5, 0, NULL, 0, 0 },
		{ "error", 5, 0, NULL, 0, 0 },
	};
	struct json_error e;
	size_t n;
	int toolong;

	*key = NULL;
	*why = NULL;
	if (json_scan(c, strlen(c), m, 3, &e) != JS_OBJECT ||
	    m[0].type != JS_STRING || m[0].len == 0 || m[1].type != JS_NUMBER)
		return -1;
	if ((*key = malloc(m[0].len + 1)) == NULL)
		return -1;
	n = json_unescape(m[0].val, m[0].len, *key);
	(*key)[n] = '\0';
	if ((*why = key_check(*key, n, 1, &toolong)) != NULL) {
		free(*key);
		*key = NULL;
		return -1;
	}
	*first = strtoll(m[1].val, NULL, 10);
	*error = m[2].type == JS_TRUE;
	return 0;
}
