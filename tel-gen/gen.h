/* tel-gen internals: the event models and the helpers that render them. */
#ifndef TEL_GEN_H
#define TEL_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "prng.h"
#include "rfc3339.h"

#define EVENT_MAX	1024	/* no rendered line is longer */

struct gen_opts {
	uint64_t	customers, titles, trucks;
	uint64_t	sessions;	/* concurrent sessions (or trucks) */
	double		anomalies;	/* share of truck records breaking a rule */
};

/* A model renders one event at time now (ms) into dst; returns its length. */
struct model {
	const char	*name;
	void		*(*init)(const struct gen_opts *, struct tel_prng *,
			    int64_t);
	size_t		 (*event)(void *, struct tel_prng *, int64_t, char *);
	void		 (*fini)(void *);
};

extern const struct model viewer_model, truck_model;

/* Turns a rendered line into one of the malformed kinds; returns new length. */
size_t	corrupt_line(struct tel_prng *, char *, size_t);

static inline char *
put_mem(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUT_LIT(p, lit)	put_mem((p), (lit), sizeof(lit) - 1)

static inline char *
put_str(char *p, const char *s)
{
	return put_mem(p, s, strlen(s));
}

static inline char *
put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* v in decimal, zero-padded to at least width digits. */
static inline char *
put_u64_pad(char *p, uint64_t v, int width)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (width-- > n)
		*p++ = '0';
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* v / 10^dec with exactly dec decimals, e.g. (-1234, 2) -> "-12.34". */
static inline char *
put_fixed(char *p, int64_t v, int dec)
{
	uint64_t u, scale = 1;
	int i;

	if (v < 0) {
		*p++ = '-';
		u = (uint64_t)0 - (uint64_t)v;
	} else
		u = (uint64_t)v;
	for (i = 0; i < dec; i++)
		scale *= 10;
	p = put_u64(p, u / scale);
	if (dec > 0) {
		*p++ = '.';
		u %= scale;
		for (i = dec - 1; i >= 0; i--) {
			p[i] = (char)('0' + u % 10);
			u /= 10;
		}
		p += dec;
	}
	return p;
}

static inline char *
put_hex(char *p, uint64_t v, int digits)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = digits - 1; i >= 0; i--) {
		p[i] = hex[v & 15];
		v >>= 4;
	}
	return p + digits;
}

/* Formatting the date once per second keeps timestamps cheap. */
struct ts_cache {
	int64_t	sec;
	char	text[TEL_RFC3339_LEN];
};

static inline char *
put_ts(char *p, struct ts_cache *c, int64_t ms)
{
	int64_t sec = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
	int frac = (int)(ms - sec * 1000);

	if (sec != c->sec) {
		tel_rfc3339_format(c->text, sec * 1000);
		c->sec = sec;
	}
	memcpy(p, c->text, 20);
	p[20] = (char)('0' + frac / 100);
	p[21] = (char)('0' + frac / 10 % 10);
	p[22] = (char)('0' + frac % 10);
	p[23] = 'Z';
	return p + TEL_RFC3339_LEN;
}

/* Stable per-entity randomness: the same customer always lives in one city. */
static inline uint64_t
entity_hash(uint64_t id, uint64_t salt)
{
	uint64_t x = id * 0x9e3779b97f4a7c15ULL ^ salt;

	return tel_splitmix64(&x);
}

/*
 * Index of an element of a table of n structs of the given size whose
 * unsigned weight sits at offset off, drawn by r in proportion to weight.
 */
unsigned	pick_weighted(uint64_t, const void *, unsigned, size_t, size_t);

#define PICK(r, tab, n)	pick_weighted((r), (tab), (n), sizeof((tab)[0]), \
			    offsetof(__typeof__((tab)[0]), weight))

#endif
