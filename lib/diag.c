/* Whole-line warnings for threaded tools: see diag.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

/* "prog: message[: strerror(e)]\n" under stderr's lock; e < 0: none. */
static void
say(int e, const char *fmt, va_list ap)
{
	flockfile(stderr);
	fprintf(stderr, "%s: ", program_invocation_short_name);
	vfprintf(stderr, fmt, ap);
	if (e >= 0)
		fprintf(stderr, ": %s", strerror(e));
	fputc('\n', stderr);
	funlockfile(stderr);
}

void
tel_warn(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	say(e, fmt, ap);
	va_end(ap);
	errno = e;
}

void
tel_warnx(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	say(-1, fmt, ap);
	va_end(ap);
	errno = e;
}

void
tel_printable(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	}
}

const char *
tel_printable_copy(char *buf, size_t sz, const char *s)
{
	snprintf(buf, sz, "%s", s);
	tel_printable(buf);
	return buf;
}

void
tel_redact(char *s, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	char *p;

	if (n == 0)
		return;
	while ((p = strstr(s, secret)) != NULL) {
		memset(p, '*', n);
		s = p + n;
	}
}
