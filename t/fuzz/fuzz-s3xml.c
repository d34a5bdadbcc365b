/*
 * Fuzz target: tel-s3-put's parsers of untrusted text.  S3 replies, as
 * lib/xml.c reads them: the element text stays within its bound, is
 * NUL-terminated, and an input without '&' comes back byte for byte;
 * xml_dup finds the same elements, their text whole and begun by
 * xml_text's.  Manifest lines: whatever parses has a file and a valid
 * key, and its result line is JSON that keeps the input's members.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"
#include "manifest.h"
#include "xml.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_dup(const char *p, size_t n, const char *tag, int found,
    const char *out)
{
	char *dup;
	int r = xml_dup(p, n, tag, &dup);

	if (r == -1)
		return;		/* out of memory */
	if (r != found || (dup != NULL) != found)
		abort();
	if (dup != NULL && (strlen(dup) > n ||
	    strncmp(dup, out, strlen(out)) != 0))
		abort();
	free(dup);
}

static void
check_xml(const char *p, size_t n)
{
	static const char *const tags[] = { "Code", "Message", "RequestId",
	    "UploadId", "ETag", "Error" };
	char out[64];
	const char *a;
	size_t i, k;
	int found;

	(void)xml_is_error(p, n);
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		memset(out, 'x', sizeof(out));
		found = xml_text(p, n, tags[i], out, sizeof(out));
		check_dup(p, n, tags[i], found, out);
		if (!found) {
			if (out[0] != '\0')
				abort();
			continue;
		}
		if ((k = strnlen(out, sizeof(out))) == sizeof(out))
			abort();
		/* without entities the text is a substring of the input */
		if (memchr(p, '&', n) == NULL && k > 0 &&
		    ((a = memmem(p, n, out, k)) == NULL))
			abort();
	}
}

static void
check_manifest(const char *p, size_t n)
{
	struct result r = { "bucket", "\"etag\"", "v1", 2, 5 };
	struct json_member m[] = { { .key = "bucket", .keylen = 6 },
	    { .key = "attempts", .keylen = 8 } };
	struct json_error e;
	struct manifest mf;
	char err[256], *out;
	size_t len;

	if (manifest_parse(p, n, &mf, err, sizeof(err)) == -1)
		return;
	if (mf.file == NULL || key_check(mf.key, err, sizeof(err)) == -1)
		abort();
	if (manifest_result(&mf, &r, &out, &len) == -1)
		abort();
	if (json_scan(out, len, m, 2, &e) != JS_OBJECT ||
	    m[0].type != JS_STRING || m[1].type != JS_NUMBER)
		abort();
	/* one line in (as ndjson.c reads them), one line out */
	if (memchr(p, '\n', n) == NULL && memchr(out, '\n', len) != NULL)
		abort();
	free(out);
	manifest_free(&mf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_xml((const char *)data, size);
	check_manifest((const char *)data, size);
	return 0;
}
