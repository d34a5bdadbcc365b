/*
 * Fuzz target: the strict base64 decoder (lib/base64.c) that reads
 * Kinesis records' data.  Checked against our encoder and OpenSSL's:
 * a text it accepts must be the one text of its bytes (encoding them
 * gives it back, as OpenSSL's encoder does), and any bytes encoded must
 * decode to themselves.
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Input as text: accepted only if it is canonical. */
static void
check_text(const char *p, size_t n)
{
	unsigned char *out, *ossl;
	char *back;
	size_t len;

	if ((out = malloc(n / 4 * 3 + 1)) == NULL ||
	    (back = malloc(n + 1)) == NULL || (ossl = malloc(n + 1)) == NULL)
		abort();
	if (base64_decode(p, n, out, &len) == 0) {
		if (len > n / 4 * 3 || base64_encode(out, len, back) != n ||
		    memcmp(back, p, n) != 0)
			abort();
		/* OpenSSL's encoder writes the same text */
		if ((size_t)EVP_EncodeBlock(ossl, out, (int)len) != n ||
		    memcmp(ossl, p, n) != 0)
			abort();
	}
	free(out);
	free(back);
	free(ossl);
}

/* Input as bytes: encoded, then decoded back. */
static void
check_bytes(const uint8_t *p, size_t n)
{
	unsigned char *out;
	char *text;
	size_t len, tn;

	if ((text = malloc(BASE64_LEN(n) + 1)) == NULL ||
	    (out = malloc(n + 1)) == NULL)
		abort();
	tn = base64_encode(p, n, text);
	if (tn != BASE64_LEN(n) || base64_decode(text, tn, out, &len) != 0 ||
	    len != n || memcmp(out, p, n) != 0)
		abort();
	free(text);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1 << 20))
		return 0;
	check_text((const char *)data, size);
	check_bytes(data, size);
	return 0;
}
