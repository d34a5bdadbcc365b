/*
 * Fuzz target: the AWS shared config and credentials file parser.  The
 * first byte picks the file kind (bit 0: config) and the profile looked
 * up (bits 1-2); the rest is the file.  Whatever the text, the parser
 * must fail with a line number and no values, or find values that are
 * trimmed, no longer than the text, verbatim in it when on one line,
 * and the same on a second parse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "creds.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NKEYS	5

static const char *const profiles[] = { "default", "foo", "dev", "a-b:c" };
static const char *const keys[NKEYS] = { "name", "name2",
	"aws_access_key_id", "region", "s3" };

static void
check_value(const char *v, const char *text, size_t len)
{
	size_t n = strlen(v);

	if (n > len)
		abort();
	if (n > 0 && (v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' ||
	    v[n - 1] == '\t'))
		abort();
	if (strchr(v, '\n') == NULL && memmem(text, len, v, n) == NULL)
		abort();
}

static int
parse(const char *text, size_t len, int config, const char *profile,
    struct aws_profile_key *k, char *err, size_t errsz)
{
	size_t i;
	int rc;

	for (i = 0; i < NKEYS; i++)
		k[i].name = keys[i];
	err[0] = '\0';
	rc = aws_profile_parse(text, len, config, profile, k, NKEYS, err, errsz);
	if (rc < -1 || rc > 1 || (rc == -1 && err[0] == '\0'))
		abort();
	for (i = 0; i < NKEYS; i++) {
		if (k[i].value != NULL && rc != 1)
			abort();
		if (k[i].value != NULL)
			check_value(k[i].value, text, len);
	}
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aws_profile_key a[NKEYS], b[NKEYS];
	const char *text = (const char *)data + 1, *profile;
	char err[256];
	size_t i, len = size - 1;
	int config, rc;

	if (size == 0)
		return 0;
	config = data[0] & 1;
	profile = profiles[(data[0] >> 1) & 3];
	rc = parse(text, len, config, profile, a, err, sizeof(err));
	if (rc == -1 && strncmp(err, "line ", 5) != 0 &&
	    strcmp(err, "out of memory") != 0)
		abort();
	if (parse(text, len, config, profile, b, err, sizeof(err)) != rc)
		abort();
	for (i = 0; i < NKEYS; i++)
		if ((a[i].value == NULL) != (b[i].value == NULL) ||
		    (a[i].value != NULL && strcmp(a[i].value, b[i].value) != 0))
			abort();
	aws_profile_clear(a, NKEYS);
	aws_profile_clear(b, NKEYS);
	return 0;
}
