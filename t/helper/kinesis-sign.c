/*
 * Test helper: the headers lib/kinesis.c signs a Kinesis call with, for
 * a fixed clock and credentials, one "name: value" line each, to be
 * compared with botocore's (t/py/kinesis_sign.py):
 *
 *   helper-kinesis-sign TIME_S AKID SECRET TOKEN|- REGION ENDPOINT OP BODYFILE
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "kinesis.h"
#include "number.h"

static char *
slurp(const char *path, size_t *n)
{
	FILE *fp;
	char *buf;
	long sz;

	if ((fp = fopen(path, "rb")) == NULL)
		err(1, "%s", path);
	if (fseek(fp, 0, SEEK_END) == -1 || (sz = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) == -1)
		err(1, "%s", path);
	if ((buf = malloc((size_t)sz + 1)) == NULL)
		err(1, NULL);
	if (fread(buf, 1, (size_t)sz, fp) != (size_t)sz)
		errx(1, "%s: short read", path);
	fclose(fp);
	*n = (size_t)sz;
	return buf;
}

int
main(int argc, char *argv[])
{
	struct aws_creds cr;
	struct kinesis_signed s;
	char scheme[16], host[400], *body;
	const char *e;
	long long t;
	size_t i, n;

	if (argc != 9) {
		fprintf(stderr, "usage: helper-kinesis-sign TIME_S AKID SECRET "
		    "TOKEN|- REGION ENDPOINT OP BODYFILE\n");
		return 2;
	}
	if ((t = tel_strtonum(argv[1], 0, 4102444800LL, &e)), e != NULL)
		errx(2, "time %s: %s", argv[1], e);
	memset(&cr, 0, sizeof(cr));
	cr.akid = argv[2];
	cr.secret = argv[3];
	cr.token = strcmp(argv[4], "-") == 0 ? NULL : argv[4];
	if (http_endpoint(argv[6], scheme, sizeof(scheme), host,
	    sizeof(host)) == -1)
		errx(2, "endpoint %s: not http(s)://HOST[:PORT]", argv[6]);
	body = slurp(argv[8], &n);
	if (kinesis_sign(host, argv[5], argv[7], body, n, &cr, t * 1000,
	    &s) == -1)
		errx(1, "cannot sign");
	for (i = 0; i < s.n; i++)
		printf("%s: %s\n", s.h[i].name, s.h[i].value);
	free(s.auth);
	free(body);
	return fclose(stdout) == EOF ? 1 : 0;
}
