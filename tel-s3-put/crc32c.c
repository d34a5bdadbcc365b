/*
 * CRC-32C: see crc32c.h.  Slicing by 8 (eight tables, eight bytes a
 * step), built once; checked against the test vectors of RFC 3720,
 * appendix B.4, by t/t4005.
 */
#include <pthread.h>
#include <string.h>

#include "crc32c.h"

#define POLY	0x82F63B78U

static uint32_t		tab[8][256];
static pthread_once_t	tab_once = PTHREAD_ONCE_INIT;

static void
tab_init(void)
{
	uint32_t c;
	unsigned i, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
		tab[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (k = 1; k < 8; k++)
			tab[k][i] = (tab[k - 1][i] >> 8) ^
			    tab[0][tab[k - 1][i] & 0xff];
}

uint32_t
crc32c(uint32_t crc, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	uint32_t c, lo, hi;

	pthread_once(&tab_once, tab_init);
	c = ~crc;
	for (; n >= 8; p += 8, n -= 8) {
		/* little-endian words, assembled bytewise: no alignment */
		lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 |
		    (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
		c = tab[7][lo & 0xff] ^ tab[6][(lo >> 8) & 0xff] ^
		    tab[5][(lo >> 16) & 0xff] ^ tab[4][lo >> 24] ^
		    tab[3][hi & 0xff] ^ tab[2][(hi >> 8) & 0xff] ^
		    tab[1][(hi >> 16) & 0xff] ^ tab[0][hi >> 24];
	}
	while (n-- > 0)
		c = (c >> 8) ^ tab[0][(c ^ *p++) & 0xff];
	return ~c;
}
