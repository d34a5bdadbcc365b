/*
 * Fuzz target: size, duration, integer and real parsing.  A value they
 * accept must round-trip through its canonical spelling.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), canon[32];
	const char *e;
	uint64_t v, w;
	long long n;
	double d;

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (tel_parse_size(s, &v, &e) == 0) {
		snprintf(canon, sizeof(canon), "%" PRIu64, v);
		if (tel_parse_size(canon, &w, &e) != 0 || w != v)
			abort();
	} else if (e == NULL)
		abort();
	if (tel_parse_duration(s, &v, &e) == 0) {
		snprintf(canon, sizeof(canon), "%" PRIu64 "ms", v);
		if (tel_parse_duration(canon, &w, &e) != 0 || w != v)
			abort();
	} else if (e == NULL)
		abort();
	n = tel_strtonum(s, -1000000, 1000000, &e);
	if (e == NULL && (n < -1000000 || n > 1000000))
		abort();
	if (tel_parse_real(s, 0, 1, &d, &e) == 0 && !(d >= 0 && d <= 1))
		abort();
	free(s);
	return 0;
}
