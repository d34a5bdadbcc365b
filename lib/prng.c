/* xoshiro256** with SplitMix64 seeding: see prng.h. */
#include <errno.h>
#include <math.h>
#include <sys/random.h>

#include "prng.h"

__extension__ typedef unsigned __int128 u128;

uint64_t
tel_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
tel_prng_seed(struct tel_prng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = tel_splitmix64(&seed);
}

int
tel_prng_seed_random(struct tel_prng *r)
{
	unsigned char *p = (unsigned char *)r->s;
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(r->s)) {
		n = getrandom(p + got, sizeof(r->s) - got, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
		r->s[0] = 1;	/* the one state xoshiro cannot leave */
	return 0;
}

uint64_t
tel_prng_below(struct tel_prng *r, uint64_t n)
{
	u128 m = (u128)tel_prng_next(r) * n;
	uint64_t lo = (uint64_t)m, floor;

	if (lo < n) {
		floor = -n % n;
		while (lo < floor) {
			m = (u128)tel_prng_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

double
tel_prng_normal(struct tel_prng *r)
{
	double u = 1.0 - tel_prng_double(r);	/* (0, 1]: log(u) is finite */
	double v = tel_prng_double(r);

	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

double
tel_prng_exp(struct tel_prng *r, double mean)
{
	return -mean * log(1.0 - tel_prng_double(r));
}

unsigned
tel_prng_weighted(struct tel_prng *r, const unsigned *w, unsigned n)
{
	uint64_t total = 0, pick;
	unsigned i;

	for (i = 0; i < n; i++)
		total += w[i];
	pick = tel_prng_below(r, total);
	for (i = 0; i + 1 < n; i++) {
		if (pick < w[i])
			return i;
		pick -= w[i];
	}
	return n - 1;
}
