/* Base64 and hex encoding: see base64.h. */
#include "base64.h"

static size_t
encode(const unsigned char *p, size_t n, char *out, const char *abc, int pad)
{
	size_t i, o = 0;
	unsigned long v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 | p[i + 2];
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
		out[o++] = abc[v & 63];
	}
	if (i < n) {
		v = (unsigned long)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)p[i + 1] << 8;
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		if (i + 1 < n)
			out[o++] = abc[v >> 6 & 63];
		else if (pad)
			out[o++] = '=';
		if (pad)
			out[o++] = '=';
	}
	return o;
}

size_t
base64_encode(const void *p, size_t n, char *out)
{
	return encode(p, n, out,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 1);
}

size_t
base64url_encode(const void *p, size_t n, char *out)
{
	return encode(p, n, out,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 0);
}

void
hex_encode(const void *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* A sextet's value, or -1 for a byte outside the standard alphabet. */
static int
sextet(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	return ch == '+' ? 62 : ch == '/' ? 63 : -1;
}

/*
 * Strict: padded to a multiple of 4, no whitespace, and the bits the
 * padding leaves over are zero (RFC 4648 section 3.5), so that one text
 * is the only one for its bytes.
 */
int
base64_decode(const char *s, size_t n, void *out, size_t *outlen)
{
	unsigned char *o = out;
	size_t i, k = 0, pad = 0;
	unsigned long v = 0;
	int d[4], j;

	if (n % 4 != 0)
		return -1;
	if (n > 0 && s[n - 1] == '=')
		pad = n > 1 && s[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n; i += 4) {
		for (j = 0; j < 4; j++) {
			if (i + (size_t)j >= n - pad)
				d[j] = 0;
			else if ((d[j] = sextet((unsigned char)s[i + j])) < 0)
				return -1;
		}
		v = (unsigned long)d[0] << 18 | (unsigned long)d[1] << 12 |
		    (unsigned long)d[2] << 6 | (unsigned long)d[3];
		o[k++] = (unsigned char)(v >> 16);
		if (i + 4 < n || pad < 2)
			o[k++] = (unsigned char)(v >> 8 & 0xff);
		if (i + 4 < n || pad < 1)
			o[k++] = (unsigned char)(v & 0xff);
	}
	if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0))
		return -1;
	*outlen = k;
	return 0;
}
