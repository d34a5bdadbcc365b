/* Checked number, size and duration parsing: see number.h. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "number.h"

long long
tel_strtonum(const char *s, long long min, long long max, const char **errstr)
{
	long long v;
	char *end;

	*errstr = NULL;
	if (min > max || s == NULL || *s == '\0' || isspace((unsigned char)*s)) {
		*errstr = "invalid";
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0') {
		*errstr = "invalid";
		return 0;
	}
	if ((v == LLONG_MIN && errno == ERANGE) || v < min) {
		*errstr = "too small";
		return 0;
	}
	if ((v == LLONG_MAX && errno == ERANGE) || v > max) {
		*errstr = "too large";
		return 0;
	}
	return v;
}

/* Reads the leading decimal digits of *sp into *v; fails on none or overflow. */
static int
digits(const char **sp, uint64_t *v, const char **errstr)
{
	const char *s = *sp;
	uint64_t n = 0;

	if (!isdigit((unsigned char)*s)) {
		*errstr = "invalid";
		return -1;
	}
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (n > (UINT64_MAX - d) / 10) {
			*errstr = "too large";
			return -1;
		}
		n = n * 10 + d;
	}
	*sp = s;
	*v = n;
	return 0;
}

static int
mul_checked(uint64_t a, uint64_t b, uint64_t *out, const char **errstr)
{
	if (b != 0 && a > UINT64_MAX / b) {
		*errstr = "too large";
		return -1;
	}
	*out = a * b;
	return 0;
}

int
tel_parse_size(const char *s, uint64_t *out, const char **errstr)
{
	static const struct {
		const char	*suffix;
		uint64_t	 mult;
	} units[] = {
		{ "", 1 }, { "B", 1 },
		{ "K", 1ULL << 10 }, { "KB", 1ULL << 10 }, { "KiB", 1ULL << 10 },
		{ "M", 1ULL << 20 }, { "MB", 1ULL << 20 }, { "MiB", 1ULL << 20 },
		{ "G", 1ULL << 30 }, { "GB", 1ULL << 30 }, { "GiB", 1ULL << 30 },
		{ "T", 1ULL << 40 }, { "TB", 1ULL << 40 }, { "TiB", 1ULL << 40 },
	};
	uint64_t n;
	size_t i;

	*errstr = NULL;
	if (s == NULL || digits(&s, &n, errstr) == -1)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(s, units[i].suffix) == 0)
			return mul_checked(n, units[i].mult, out, errstr);
	}
	*errstr = "invalid unit (use K, M, G or T)";
	return -1;
}

/* Milliseconds in the unit at the start of *sp, which is advanced past it. */
static uint64_t
duration_unit(const char **sp)
{
	static const struct {
		const char	*name;
		uint64_t	 ms;
	} units[] = {	/* "ms" before "m" so the longer name wins */
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "d", 86400000 }, { "w", 604800000 },
	};
	size_t i, n;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		n = strlen(units[i].name);
		if (strncmp(*sp, units[i].name, n) == 0) {
			*sp += n;
			return units[i].ms;
		}
	}
	return 0;
}

int
tel_parse_duration(const char *s, uint64_t *out, const char **errstr)
{
	uint64_t total = 0, n, unit, part;
	const char *start = s;

	*errstr = NULL;
	if (s == NULL || *s == '\0') {
		*errstr = "invalid";
		return -1;
	}
	while (*s != '\0') {
		const char *comp = s;

		if (digits(&s, &n, errstr) == -1)
			return -1;
		if (*s == '\0' && comp == start)
			unit = 1000;	/* a bare number is seconds */
		else if ((unit = duration_unit(&s)) == 0) {
			*errstr = "invalid unit (use ms, s, m, h, d or w)";
			return -1;
		}
		if (mul_checked(n, unit, &part, errstr) == -1)
			return -1;
		if (total > UINT64_MAX - part) {
			*errstr = "too large";
			return -1;
		}
		total += part;
	}
	*out = total;
	return 0;
}

int
tel_parse_real(const char *s, double min, double max, double *out,
    const char **errstr)
{
	char *end;
	double v;

	*errstr = NULL;
	if (s == NULL || *s == '\0' || isspace((unsigned char)*s) ||
	    strpbrk(s, "xX") != NULL) {	/* decimal only, no hex floats */
		*errstr = "invalid";
		return -1;
	}
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || !isfinite(v) || errno == ERANGE) {
		*errstr = "invalid";
		return -1;
	}
	if (v < min) {
		*errstr = "too small";
		return -1;
	}
	if (v > max) {
		*errstr = "too large";
		return -1;
	}
	*out = v;
	return 0;
}
