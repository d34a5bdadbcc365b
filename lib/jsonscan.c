/* Validating JSON scanner: see jsonscan.h. */
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "jsonscan.h"

typedef const unsigned char uc;

/* Length of the valid UTF-8 sequence at p (0 if invalid or cut short). */
static size_t
utf8_len(uc *p, uc *end)
{
	unsigned c = p[0];
	size_t n, i;
	unsigned lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* no overlongs */
		else if (c == 0xed)
			hi = 0x9f;	/* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;	/* nothing above U+10FFFF */
	} else
		return 0;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	}
	return n;
}

int
json_utf8_valid(const char *s, size_t n)
{
	uc *p = (uc *)s, *end = p + n;
	size_t k;

	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((k = utf8_len(p, end)) == 0)
			return 0;
		p += k;
	}
	return 1;
}

static int
hexval(unsigned c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return (int)(c - 'a' + 10);
	return -1;
}

/* The code unit of "\uXXXX" at p (p at the backslash), or -1. */
static long
u_escape(uc *p, uc *end)
{
	long v = 0;
	int i, h;

	if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
		return -1;
	for (i = 2; i < 6; i++) {
		if ((h = hexval(p[i])) < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* One escape at p (a backslash); returns the byte after it, or NULL. */
static uc *
scan_escape(uc *p, uc *end, const char **msg)
{
	long u, lo;

	if (p + 1 >= end) {
		*msg = "unterminated string";
		return NULL;
	}
	switch (p[1]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n':
	case 'r': case 't':
		return p + 2;
	case 'u':
		break;
	default:
		*msg = "invalid escape";
		return NULL;
	}
	if ((u = u_escape(p, end)) < 0) {
		*msg = "invalid \\u escape";
		return NULL;
	}
	if (u >= 0xdc00 && u <= 0xdfff) {
		*msg = "lone low surrogate";
		return NULL;
	}
	if (u < 0xd800 || u > 0xdbff)
		return p + 6;
	lo = u_escape(p + 6, end);
	if (lo < 0xdc00 || lo > 0xdfff) {
		*msg = "high surrogate without a low one";
		return NULL;
	}
	return p + 12;
}

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

/*
 * A mask with the high bit set in each of the 8 bytes at p that ends or
 * escapes a string, is a control character or is not ASCII; only its
 * lowest set bit is exact, which is all scan_string uses.  Plain runs
 * of a string are thus passed a word at a time.
 */
static inline uint64_t
special_mask(uc *p)
{
	uint64_t x, quote, bslash, ctl;

	memcpy(&x, p, 8);
	quote = x ^ (ONES * '"');
	bslash = x ^ (ONES * '\\');
	quote = (quote - ONES) & ~quote;
	bslash = (bslash - ONES) & ~bslash;
	ctl = (x - ONES * 0x20) & ~x;
	return (quote | bslash | ctl | x) & HIGHS;
}

/* A string at p (the opening quote); returns the byte after the closing one. */
static uc *
scan_string(uc *p, uc *end, int *escaped, const char **msg)
{
	uint64_t mask;
	size_t k;
	unsigned c;

	*escaped = 0;
	for (p++; p < end; ) {
#ifdef __SSE2__
		/*
		 * 16 bytes at a time: a signed compare with 0x20 catches both
		 * control characters and bytes >= 0x80 in one go.
		 */
		if (end - p >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
			__m128i hit = _mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
			    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
			unsigned bits = (unsigned)_mm_movemask_epi8(hit);

			if (bits == 0) {
				p += 16;
				continue;
			}
			p += __builtin_ctz(bits);
		} else
#endif
		if (end - p >= 8) {
			if ((mask = special_mask(p)) == 0) {
				p += 8;
				continue;
			}
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
			p += (size_t)__builtin_clzll(mask) >> 3;
#else
			p += (size_t)__builtin_ctzll(mask) >> 3;
#endif
		}
		c = *p;
		if (c == '"')
			return p + 1;
		if (c == '\\') {
			*escaped = 1;
			if ((p = scan_escape(p, end, msg)) == NULL)
				return NULL;
		} else if (c < 0x20) {
			*msg = "control character in string";
			return NULL;
		} else if (c < 0x80)
			p++;
		else if ((k = utf8_len(p, end)) == 0) {
			*msg = "invalid UTF-8 in string";
			return NULL;
		} else
			p += k;
	}
	*msg = "unterminated string";
	return NULL;
}

static uc *
digits(uc *p, uc *end)
{
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static uc *
scan_number(uc *p, uc *end, const char **msg)
{
	uc *q;

	*msg = "invalid number";
	if (p < end && *p == '-')
		p++;
	if (p >= end || *p < '0' || *p > '9')
		return NULL;
	p = *p == '0' ? p + 1 : digits(p, end);
	if (p < end && *p == '.') {
		if ((q = digits(p + 1, end)) == p + 1)
			return NULL;
		p = q;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if ((q = digits(p, end)) == p)
			return NULL;
		p = q;
	}
	return p;
}

static uc *
skip_ws(uc *p, uc *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static struct json_member *
find_member(struct json_member *m, size_t nm, uc *key, size_t len,
    int escaped)
{
	char buf[256];
	size_t i;

	if (escaped) {		/* rare: compare the decoded name */
		if (len > sizeof(buf))
			return NULL;
		len = json_unescape((const char *)key, len, buf);
		key = (uc *)buf;
	}
	for (i = 0; i < nm; i++) {
		if (m[i].keylen == len && memcmp(m[i].key, key, len) == 0)
			return &m[i];
	}
	return NULL;
}

struct scan {
	uc			*start, *end;
	struct json_member	*m, *pending;
	size_t			 nm;
	size_t			 members, unknown;	/* top-level names */
	int			 depth;
	unsigned char		 stack[JSON_MAX_DEPTH];	/* '{' or '[' */
};

static int
fail(struct json_error *e, struct scan *s, uc *at, const char *msg)
{
	e->msg = msg;
	e->offset = (size_t)(at - s->start);
	return -1;
}

/* A scalar at p; records it if it is a wanted member; returns its end. */
static uc *
scan_scalar(struct scan *s, uc *p, int *type, const char **msg)
{
	static const struct { const char *w; size_t n; int t; } lit[] = {
		{ "true", 4, JS_TRUE }, { "false", 5, JS_FALSE },
		{ "null", 4, JS_NULL },
	};
	uc *q = NULL, *v = p;
	int escaped = 0;
	size_t i;

	if (*p == '"') {
		q = scan_string(p, s->end, &escaped, msg);
		*type = JS_STRING;
		v = p + 1;
	} else if (*p == '-' || (*p >= '0' && *p <= '9')) {
		q = scan_number(p, s->end, msg);
		*type = JS_NUMBER;
	} else {
		*msg = "unexpected character";
		for (i = 0; i < 3; i++) {
			if ((size_t)(s->end - p) >= lit[i].n &&
			    memcmp(p, lit[i].w, lit[i].n) == 0) {
				q = p + lit[i].n;
				*type = lit[i].t;
			}
		}
	}
	if (q != NULL && s->pending != NULL && s->depth == 1) {
		s->pending->type = (enum json_type)*type;
		s->pending->val = (const char *)v;
		s->pending->len = (size_t)(q - v) - (*type == JS_STRING);
		s->pending->escaped = escaped;
	}
	return q;
}

/* After "{" or ",": a member name and its colon. */
static uc *
scan_key(struct scan *s, uc *p, const char **msg)
{
	uc *q;
	int escaped;

	p = skip_ws(p, s->end);
	if (p >= s->end || *p != '"') {
		*msg = "expected a member name";
		return NULL;
	}
	if ((q = scan_string(p, s->end, &escaped, msg)) == NULL)
		return NULL;
	s->pending = NULL;
	if (s->depth == 1) {
		s->members++;
		if (s->nm > 0)
			s->pending = find_member(s->m, s->nm, p + 1,
			    (size_t)(q - p) - 2, escaped);
		s->unknown += s->pending == NULL;
	}
	q = skip_ws(q, s->end);
	if (q >= s->end || *q != ':') {
		*msg = "expected ':'";
		return NULL;
	}
	return skip_ws(q + 1, s->end);
}

int
json_scan(const char *buf, size_t n, struct json_member *m, size_t nm,
    struct json_error *e)
{
	return json_scan_counted(buf, n, m, nm, NULL, e);
}

int
json_scan_counted(const char *buf, size_t n, struct json_member *m,
    size_t nm, struct json_count *count, struct json_error *e)
{
	struct scan s;
	uc *p, *q;
	const char *msg = NULL;
	int type, top = -1;
	size_t i;

	s.start = (uc *)buf;
	s.end = s.start + n;
	s.m = m;
	s.nm = nm;
	s.pending = NULL;
	s.depth = 0;
	s.members = s.unknown = 0;
	for (i = 0; i < nm; i++)
		m[i].type = JS_NONE;
	p = skip_ws(s.start, s.end);
value:
	if (p >= s.end)
		return fail(e, &s, p, "unexpected end of input");
	if (*p == '{' || *p == '[') {
		if (s.depth == JSON_MAX_DEPTH)
			return fail(e, &s, p, "nesting too deep");
		type = *p == '{' ? JS_OBJECT : JS_ARRAY;
		if (s.pending != NULL && s.depth == 1) {
			s.pending->type = (enum json_type)type;
			s.pending->val = (const char *)p;
			s.pending->len = 0;
		}
		if (top == -1)
			top = type;
		s.stack[s.depth++] = *p;
		p = skip_ws(p + 1, s.end);
		if (p < s.end && *p == (type == JS_OBJECT ? '}' : ']')) {
			p++;
			s.depth--;
			goto after;
		}
		if (type == JS_ARRAY)
			goto value;
		if ((q = scan_key(&s, p, &msg)) == NULL)
			return fail(e, &s, p, msg);
		p = q;
		goto value;
	}
	if ((q = scan_scalar(&s, p, &type, &msg)) == NULL)
		return fail(e, &s, p, msg);
	if (top == -1)
		top = type;
	p = q;
after:
	p = skip_ws(p, s.end);
	if (s.depth == 0) {
		if (p != s.end)
			return fail(e, &s, p, "trailing characters");
		if (count != NULL) {
			count->members = s.members;
			count->unknown = s.unknown;
		}
		return top;
	}
	if (p >= s.end)
		return fail(e, &s, p, "unexpected end of input");
	if (*p == ',') {
		p = skip_ws(p + 1, s.end);
		if (s.stack[s.depth - 1] == '[')
			goto value;
		if ((q = scan_key(&s, p, &msg)) == NULL)
			return fail(e, &s, p, msg);
		p = q;
		goto value;
	}
	if (*p != (s.stack[s.depth - 1] == '{' ? '}' : ']'))
		return fail(e, &s, p, s.stack[s.depth - 1] == '{' ?
		    "expected ',' or '}'" : "expected ',' or ']'");
	p++;
	s.depth--;
	goto after;
}

size_t
json_utf8_put(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

size_t
json_unescape(const char *s, size_t n, char *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	uc *p = (uc *)s, *end = p + n;
	size_t o = 0;
	long u, lo;

	while (p < end) {
		if (*p != '\\') {
			out[o++] = (char)*p++;
			continue;
		}
		if (p[1] != 'u') {
			out[o++] = to[strchr(from, p[1]) - from];
			p += 2;
			continue;
		}
		u = u_escape(p, end);
		p += 6;
		if (u >= 0xd800 && u <= 0xdbff) {
			lo = u_escape(p, end);
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		}
		o += json_utf8_put(out + o, (unsigned long)u);
	}
	return o;
}

size_t
json_escape(const char *s, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	out[o++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			out[o++] = '\\';
			out[o++] = 'u';
			out[o++] = '0';
			out[o++] = '0';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else
			out[o++] = (char)c;
	}
	out[o++] = '"';
	return o;
}
