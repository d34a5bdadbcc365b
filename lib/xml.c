/* The text of S3 and STS reply elements: see xml.h. */
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"
#include "xml.h"

/* The first occurrence of the n bytes of s in p[0..len), or NULL. */
static const char *
find(const char *p, size_t len, const char *s, size_t n)
{
	const char *end = p + len;

	if (n == 0 || len < n)
		return NULL;
	for (; (size_t)(end - p) >= n; p++) {
		if ((p = memchr(p, s[0], (size_t)(end - p) - n + 1)) == NULL)
			return NULL;
		if (memcmp(p, s, n) == 0)
			return p;
	}
	return NULL;
}

/*
 * Decodes the entity at p[0..n) (p at '&'), writing its text into o;
 * returns the bytes of p consumed, 0 if it is none we know (the '&' is
 * then taken as it is).
 */
static size_t
entity(const char *p, size_t n, char *o, size_t *olen)
{
	static const struct { const char *name; char c; } named[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	const char *semi = memchr(p, ';', n < 12 ? n : 12);
	unsigned long c = 0;
	size_t i, k;
	int hex;

	if (semi == NULL)
		return 0;
	k = (size_t)(semi - p) + 1;
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strlen(named[i].name) == k && memcmp(p, named[i].name, k) == 0) {
			o[0] = named[i].c;
			*olen = 1;
			return k;
		}
	if (k < 4 || p[1] != '#')
		return 0;
	hex = p[2] == 'x' || p[2] == 'X';
	for (i = hex ? 3 : 2; i < k - 1; i++) {
		if (!hex && p[i] >= '0' && p[i] <= '9')
			c = c * 10 + (unsigned long)(p[i] - '0');
		else if (hex && strchr("0123456789abcdefABCDEF", p[i]) != NULL &&
		    p[i] != '\0')
			c = c * 16 + (unsigned long)(p[i] <= '9' ? p[i] - '0' :
			    (p[i] | 0x20) - 'a' + 10);
		else
			return 0;
	}
	if (i == (hex ? 3u : 2u) || c == 0 || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*olen = json_utf8_put(o, c);
	return k;
}

/* Decodes p[0..n) into out[outsz], cutting at a whole character. */
static void
decode(const char *p, size_t n, char *out, size_t outsz)
{
	char buf[4];
	size_t i = 0, o = 0, k, blen;

	while (i < n) {
		blen = 1;
		buf[0] = p[i];
		k = p[i] == '&' ? entity(p + i, n - i, buf, &blen) : 0;
		if (o + blen >= outsz)
			break;
		memcpy(out + o, buf, blen);
		o += blen;
		i += k ? k : 1;
	}
	out[o] = '\0';
}

int
xml_next(const char *p, size_t n, const char *tag, size_t *off,
    const char **inner, size_t *innerlen)
{
	char open[80], close[80];
	const char *a, *b;
	size_t tl = strlen(tag);

	if (tl == 0 || tl > 64 || *off > n)
		return 0;
	open[0] = '<';
	memcpy(open + 1, tag, tl);
	open[tl + 1] = '>';
	close[0] = '<';
	close[1] = '/';
	memcpy(close + 2, tag, tl);
	close[tl + 2] = '>';
	if ((a = find(p + *off, n - *off, open, tl + 2)) == NULL)
		return 0;
	a += tl + 2;
	if ((b = find(a, n - (size_t)(a - p), close, tl + 3)) == NULL)
		return 0;
	*inner = a;
	*innerlen = (size_t)(b - a);
	*off = (size_t)(b - p) + tl + 3;
	return 1;
}

int
xml_text(const char *p, size_t n, const char *tag, char *out, size_t outsz)
{
	const char *a;
	size_t off = 0, len;

	if (outsz == 0)
		return 0;
	out[0] = '\0';
	if (!xml_next(p, n, tag, &off, &a, &len))
		return 0;
	decode(a, len, out, outsz);
	return 1;
}

int
xml_dup(const char *p, size_t n, const char *tag, char **out)
{
	const char *a;
	size_t off = 0, len;

	*out = NULL;
	if (!xml_next(p, n, tag, &off, &a, &len))
		return 0;
	/* an entity is never shorter than its text: len + 1 holds it all */
	if ((*out = malloc(len + 1)) == NULL)
		return -1;
	decode(a, len, *out, len + 1);
	return 1;
}

int
xml_is_error(const char *p, size_t n)
{
	return find(p, n, "<Error>", 7) != NULL;
}
