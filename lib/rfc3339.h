/*
 * RFC 3339 timestamps as milliseconds since the Unix epoch (UTC), the one
 * time format tel writes: "2026-11-22T18:42:36.123Z".
 */
#ifndef TEL_RFC3339_H
#define TEL_RFC3339_H

#include <stddef.h>
#include <stdint.h>

#define TEL_RFC3339_LEN	24	/* "YYYY-MM-DDTHH:MM:SS.mmmZ", no NUL */

struct tel_civil {
	int	year, month, day, hour, min, sec, msec;
};

void	tel_civil_from_ms(int64_t, struct tel_civil *);

/*
 * Writes exactly TEL_RFC3339_LEN bytes (no NUL) for years 0000-9999;
 * returns -1 outside that range.
 */
int	tel_rfc3339_format(char *, int64_t);

/*
 * Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" (T or t or space,
 * Z or z) from exactly len bytes; fractions beyond ms are truncated.
 * Returns 0, or -1 with *errstr set.
 */
int	tel_rfc3339_parse(const char *, size_t, int64_t *, const char **);

#endif
