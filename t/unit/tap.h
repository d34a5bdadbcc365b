/* Minimal TAP producer for the C unit tests of lib/. */
#ifndef TEL_TAP_H
#define TEL_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static void __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
}

#define is_str(got, want, ...)	do {					\
	const char *g_ = (got), *w_ = (want);				\
	ok(strcmp(g_, w_) == 0, __VA_ARGS__);				\
	if (strcmp(g_, w_) != 0)					\
		printf("#   got:  '%s'\n#   want: '%s'\n", g_, w_);	\
} while (0)

#define is_int(got, want, ...)	do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	ok(g_ == w_, __VA_ARGS__);					\
	if (g_ != w_)							\
		printf("#   got:  %lld\n#   want: %lld\n", g_, w_);	\
} while (0)

static int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed != 0;
}

#endif
