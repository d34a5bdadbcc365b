/*
 * Checked parsing of numbers, sizes and durations given on command lines.
 * Every function takes the whole string or fails; on failure it returns -1
 * and points *errstr at a short reason ("invalid", "too large", ...) that
 * the caller puts after the option name, as strtonum(3) does.
 */
#ifndef TEL_NUMBER_H
#define TEL_NUMBER_H

#include <stdint.h>

/* OpenBSD strtonum(3) semantics: decimal integer in [min, max]. */
long long	tel_strtonum(const char *, long long, long long, const char **);

/* "128M", "64KiB", "1G", "4096": binary multiples, result in bytes. */
int		tel_parse_size(const char *, uint64_t *, const char **);

/* "300s", "250ms", "5m", "1h30m", "7d", bare "30" = seconds; result in ms. */
int		tel_parse_duration(const char *, uint64_t *, const char **);

/* A finite decimal number in [min, max], e.g. a fraction or a rate. */
int		tel_parse_real(const char *, double, double, double *,
		    const char **);

#endif
