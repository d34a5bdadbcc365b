/*
 * Command-line option arguments, checked: each takes the tool's usage()
 * and, on a bad value, prints "prog: OPT ARG: reason" and the usage on
 * stderr and exits 2.
 */
#ifndef TEL_ARGS_H
#define TEL_ARGS_H

#include <stdint.h>
#include <stdio.h>

typedef void	(*tel_usage_fn)(FILE *);

/* The longest duration an option takes: 100 years (of 365.25 days), in ms. */
#define TEL_DURATION_MAX	3155760000000ULL

void		tel_bad_option(const char *, const char *, const char *,
		    tel_usage_fn) __attribute__((noreturn));
uint64_t	tel_num_option(const char *, const char *, long long, long long,
		    tel_usage_fn);
uint64_t	tel_size_option(const char *, const char *, uint64_t,
		    tel_usage_fn);
/* Milliseconds, from min to TEL_DURATION_MAX. */
uint64_t	tel_duration_option(const char *, const char *, uint64_t,
		    tel_usage_fn);
double		tel_real_option(const char *, const char *, double, double,
		    tel_usage_fn);

#endif
