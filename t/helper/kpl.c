/*
 * Test helper: de-aggregates one KPL aggregate (lib/kpl.c), the whole
 * of FILE, and prints each user record as one JSON line
 *   {"pk":"...","ehk":"..."|null,"data_b64":"..."}
 * in order; or, if kpl_parse() refuses it, its reason on stderr and
 * exit 1.  The keys are escaped as json_escape() does; t/py/kpl_oracle.py
 * prints the same lines from what it aggregated.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "jsonscan.h"
#include "kpl.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: helper-kpl FILE\n");
	exit(2);
}

/* The whole of a file, in memory; *n its length. */
static unsigned char *
slurp(const char *path, size_t *n)
{
	unsigned char *buf = NULL, *nb;
	size_t cap = 0, got;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL)
		err(2, "%s", path);
	*n = 0;
	do {
		if (*n == cap) {
			cap = cap ? 2 * cap : 65536;
			if ((nb = realloc(buf, cap)) == NULL)
				err(2, NULL);
			buf = nb;
		}
		got = fread(buf + *n, 1, cap - *n, fp);
		*n += got;
	} while (got > 0);
	if (ferror(fp))
		err(2, "%s", path);
	fclose(fp);
	return buf;
}

/* s[0..n) as a JSON string, or null if s is NULL. */
static void
put_str(const char *s, size_t n)
{
	char *q;

	if (s == NULL) {
		fputs("null", stdout);
		return;
	}
	if ((q = malloc(6 * n + 2)) == NULL)
		err(2, NULL);
	fwrite(q, 1, json_escape(s, n, q), stdout);
	free(q);
}

static void
put_record(const struct kpl_record *r)
{
	char *b;

	if ((b = malloc(BASE64_LEN(r->datalen) + 1)) == NULL)
		err(2, NULL);
	fputs("{\"pk\":", stdout);
	put_str(r->pk, r->pklen);
	fputs(",\"ehk\":", stdout);
	put_str(r->ehk, r->ehklen);
	fputs(",\"data_b64\":", stdout);
	put_str(b, base64_encode(r->data, r->datalen, b));
	fputs("}\n", stdout);
	free(b);
}

int
main(int argc, char *argv[])
{
	struct kpl_agg a;
	struct kpl_record r;
	unsigned char *buf;
	char why[256];
	size_t n, i;

	if (argc != 2)
		usage();
	buf = slurp(argv[1], &n);
	if (kpl_parse(&a, buf, n, why, sizeof(why)) == -1) {
		if (errno != EINVAL)
			err(2, "kpl_parse");
		errx(1, "%s", why);
	}
	for (i = 0; i < kpl_count(&a); i++) {
		if (kpl_get(&a, i, &r) == -1)
			errx(2, "kpl_get %zu of %zu failed", i, kpl_count(&a));
		put_record(&r);
	}
	if (kpl_get(&a, kpl_count(&a), &r) != -1)
		errx(2, "kpl_get past the end succeeded");
	kpl_free(&a);
	free(buf);
	if (fclose(stdout) == EOF)
		err(2, "stdout");
	return 0;
}
