/*
 * A fast seedable PRNG: xoshiro256** (Blackman and Vigna, 2018), state
 * filled from a 64-bit seed by SplitMix64 as its authors recommend, or
 * from getrandom(2) when no seed is given.  Not for secrets.
 */
#ifndef TEL_PRNG_H
#define TEL_PRNG_H

#include <stdint.h>

struct tel_prng {
	uint64_t	s[4];
};

uint64_t	tel_splitmix64(uint64_t *);
void		tel_prng_seed(struct tel_prng *, uint64_t);
int		tel_prng_seed_random(struct tel_prng *);

static inline uint64_t
tel_prng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t
tel_prng_next(struct tel_prng *r)
{
	uint64_t *s = r->s;
	uint64_t out = tel_prng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = tel_prng_rotl(s[3], 45);
	return out;
}

/* Uniform in [0, n), n > 0, without modulo bias (Lemire's method). */
uint64_t	tel_prng_below(struct tel_prng *, uint64_t);

/* Uniform in [0, 1) with 53 random bits. */
static inline double
tel_prng_double(struct tel_prng *r)
{
	return (double)(tel_prng_next(r) >> 11) * 0x1.0p-53;
}

/* True with probability p. */
static inline int
tel_prng_chance(struct tel_prng *r, double p)
{
	return tel_prng_double(r) < p;
}

/* Standard normal deviate (Box-Muller). */
double		tel_prng_normal(struct tel_prng *);

/* Exponential deviate with the given mean. */
double		tel_prng_exp(struct tel_prng *, double);

/* Index into weights[0..n) drawn in proportion to the weights. */
unsigned	tel_prng_weighted(struct tel_prng *, const unsigned *, unsigned);

#endif
