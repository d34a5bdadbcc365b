/* RFC 3339 UTC timestamps with milliseconds: see rfc3339.h. */
#include <time.h>

#include "rfc3339.h"

#define MS_PER_DAY	86400000LL

/*
 * Days since 1970-01-01 of a proleptic Gregorian date, and back, by
 * counting 400-year eras that start on March 1st (so the leap day is
 * the last day of its year); no tables, no gmtime(3), no locale.
 */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, struct tel_civil *c)
{
	int64_t era, doe, yoe, y, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	c->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	c->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	c->year = (int)(y + (c->month <= 2));
}

void
tel_civil_from_ms(int64_t ms, struct tel_civil *c)
{
	int64_t days = ms / MS_PER_DAY, rem = ms % MS_PER_DAY;

	if (rem < 0) {
		rem += MS_PER_DAY;
		days--;
	}
	civil_from_days(days, c);
	c->hour = (int)(rem / 3600000);
	c->min = (int)(rem / 60000 % 60);
	c->sec = (int)(rem / 1000 % 60);
	c->msec = (int)(rem % 1000);
}

static void
put_digits(char *p, int v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

int
tel_rfc3339_format(char *buf, int64_t ms)
{
	struct tel_civil c;

	tel_civil_from_ms(ms, &c);
	if (c.year < 0 || c.year > 9999)
		return -1;
	put_digits(buf, c.year, 4);
	buf[4] = '-';
	put_digits(buf + 5, c.month, 2);
	buf[7] = '-';
	put_digits(buf + 8, c.day, 2);
	buf[10] = 'T';
	put_digits(buf + 11, c.hour, 2);
	buf[13] = ':';
	put_digits(buf + 14, c.min, 2);
	buf[16] = ':';
	put_digits(buf + 17, c.sec, 2);
	buf[19] = '.';
	put_digits(buf + 20, c.msec, 3);
	buf[23] = 'Z';
	return 0;
}

/* n digits at s[*i], advancing *i; -1 if any is not a digit. */
static int
get_digits(const char *s, size_t len, size_t *i, int n)
{
	int v = 0;

	if (*i + (size_t)n > len)
		return -1;
	while (n-- > 0) {
		char ch = s[(*i)++];

		if (ch < '0' || ch > '9')
			return -1;
		v = v * 10 + (ch - '0');
	}
	return v;
}

static int
expect(const char *s, size_t len, size_t *i, const char *set)
{
	if (*i >= len)
		return -1;
	for (; *set != '\0'; set++) {
		if (s[*i] == *set) {
			(*i)++;
			return 0;
		}
	}
	return -1;
}

static int
days_in_month(int y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dim[m - 1];
}

/* Fraction and zone after the seconds; adds ms and subtracts the offset. */
static int
parse_tail(const char *s, size_t len, size_t i, int64_t *ms)
{
	int frac = 0, scale = 100, oh, om, sign;

	if (i < len && s[i] == '.') {
		if (++i >= len || s[i] < '0' || s[i] > '9')
			return -1;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			frac += (s[i] - '0') * scale;
			scale /= 10;
		}
	}
	*ms += frac;
	if (i < len && (s[i] == 'Z' || s[i] == 'z'))
		return i + 1 == len ? 0 : -1;
	if (i >= len || (s[i] != '+' && s[i] != '-'))
		return -1;
	sign = s[i++] == '-' ? -1 : 1;
	if ((oh = get_digits(s, len, &i, 2)) < 0 || expect(s, len, &i, ":") ||
	    (om = get_digits(s, len, &i, 2)) < 0 || i != len || oh > 23 || om > 59)
		return -1;
	*ms -= sign * ((int64_t)oh * 3600000 + (int64_t)om * 60000);
	return 0;
}

int
tel_rfc3339_parse(const char *s, size_t len, int64_t *out, const char **errstr)
{
	int y, mo, d, h, mi, sec;
	size_t i = 0;
	int64_t ms;

	*errstr = "not an RFC 3339 timestamp";
	if ((y = get_digits(s, len, &i, 4)) < 0 || expect(s, len, &i, "-") ||
	    (mo = get_digits(s, len, &i, 2)) < 0 || expect(s, len, &i, "-") ||
	    (d = get_digits(s, len, &i, 2)) < 0 || expect(s, len, &i, "Tt ") ||
	    (h = get_digits(s, len, &i, 2)) < 0 || expect(s, len, &i, ":") ||
	    (mi = get_digits(s, len, &i, 2)) < 0 || expect(s, len, &i, ":") ||
	    (sec = get_digits(s, len, &i, 2)) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 60 || (sec == 60 && mi != 59)) {
		*errstr = "timestamp field out of range";
		return -1;
	}
	if (sec == 60)
		sec = 59;	/* a leap second sorts with the second before it */
	ms = days_from_civil(y, mo, d) * MS_PER_DAY +
	    ((int64_t)h * 3600 + mi * 60 + sec) * 1000;
	if (parse_tail(s, len, i, &ms) == -1)
		return -1;
	*errstr = NULL;
	*out = ms;
	return 0;
}
