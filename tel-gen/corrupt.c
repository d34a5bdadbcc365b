/*
 * Malformed lines for exercising the error paths downstream.  Every kind
 * is rejected by a strict JSON parser, and none contains a newline, so a
 * corrupt event still occupies exactly one line.
 */
#include "gen.h"

enum kind { TRUNCATED, BAD_UTF8, MISSING_VALUE, GARBAGE, NKIND };

/* Cut anywhere before the closing brace, as a crashed writer would. */
static size_t
truncate_line(struct tel_prng *rng, size_t len)
{
	return 1 + (size_t)tel_prng_below(rng, len - 1);
}

/* Invalid UTF-8 (stray byte, overlong form, surrogate) inside the line. */
static size_t
bad_utf8(struct tel_prng *rng, char *p, size_t len)
{
	static const char *const seq[] = { "\xff", "\xc0\xaf", "\xed\xa0\x80" };
	unsigned k = (unsigned)tel_prng_below(rng, 3);
	size_t n = strlen(seq[k]), at = 1 + (size_t)tel_prng_below(rng, len - 4);

	memcpy(p + at, seq[k], n);
	return len;
}

/* A field whose value went missing: "key":, is not JSON. */
static size_t
missing_value(struct tel_prng *rng, char *p, size_t len)
{
	size_t i, nfield = 0, pick, start, end;

	for (i = 1; i + 1 < len; i++)
		nfield += p[i] == '"' && p[i + 1] == ':';
	if (nfield == 0)
		return truncate_line(rng, len);
	pick = (size_t)tel_prng_below(rng, nfield);
	for (i = 1; i + 1 < len; i++) {
		if (p[i] == '"' && p[i + 1] == ':' && pick-- == 0)
			break;
	}
	start = i + 2;
	/* values never hold ',' or '}': the tables and renderers see to it */
	for (end = start; end < len && p[end] != ',' && p[end] != '}'; end++)
		;
	memmove(p + start, p + end, len - end);
	return len - (end - start);
}

/* Binary noise, led by a byte that cannot start UTF-8 text. */
static size_t
garbage(struct tel_prng *rng, char *p)
{
	size_t n = 16 + (size_t)tel_prng_below(rng, 241), i;

	p[0] = (char)(0x80 + tel_prng_below(rng, 0x40));
	for (i = 1; i < n; i++) {
		do
			p[i] = (char)tel_prng_next(rng);
		while (p[i] == '\n');
	}
	return n;
}

size_t
corrupt_line(struct tel_prng *rng, char *p, size_t len)
{
	switch (tel_prng_below(rng, NKIND)) {
	case TRUNCATED:
		return truncate_line(rng, len);
	case BAD_UTF8:
		return bad_utf8(rng, p, len);
	case MISSING_VALUE:
		return missing_value(rng, p, len);
	default:
		return garbage(rng, p);
	}
}
