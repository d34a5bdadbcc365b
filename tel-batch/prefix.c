/* Firehose prefix expressions: see prefix.h. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prefix.h"
#include "rfc3339.h"

static int
add_part(struct prefix *p, enum part_kind kind, const char *s, size_t n)
{
	struct part *np = realloc(p->parts, (p->n + 1) * sizeof(*np));

	if (np == NULL)
		return -1;
	p->parts = np;
	np[p->n].kind = kind;
	np[p->n].len = n;
	np[p->n].field = 0;
	if ((np[p->n].text = strndup(s, n)) == NULL)
		return -1;
	p->n++;
	return 0;
}

/*
 * Checks a java.time pattern: the letters we know, in runs no longer
 * than their numbers (yyyy, MM, dd, HH, mm, ss, SSS), quoted text,
 * other symbols.
 */
static const char *
check_time_format(const char *f, size_t n)
{
	size_t i, run;

	for (i = 0; i < n; i += run) {
		for (run = 1; i + run < n && f[i + run] == f[i]; run++)
			;
		if (f[i] == '\'') {
			for (run = 1; i + run < n && f[i + run] != '\''; run++)
				;
			if (i + run == n)
				return "unterminated quote in timestamp format";
			run++;
		} else if ((f[i] >= 'a' && f[i] <= 'z') ||
		    (f[i] >= 'A' && f[i] <= 'Z')) {
			if (strchr("yMdHmsS", f[i]) == NULL)
				return "timestamp format letter not supported "
				    "(use y M d H m s S)";
			if (run > (f[i] == 'y' ? 4u : f[i] == 'S' ? 3u : 2u))
				return "timestamp field too long "
				    "(yyyy MM dd HH mm ss SSS at most)";
		}
	}
	return NULL;
}

/*
 * Literal text must not make a key absolute or give it an empty, "." or
 * ".." segment: S3 would take it, but the spool path would differ.
 */
static const char *
check_literal(const char *s, size_t n, int at_start)
{
	size_t i, seg = at_start ? 0 : SIZE_MAX;

	if (at_start && n > 0 && s[0] == '/')
		return "a prefix must not start with '/'";
	for (i = 0; i <= n; i++) {
		/* PREFIX_RANDOM is a control byte: a literal one would pose */
		if (i < n && ((unsigned char)s[i] < 0x20 || s[i] == 0x7f))
			return "control character in prefix";
		if (i < n && s[i] != '/')
			continue;
		if (seg != SIZE_MAX && i < n) {
			if (i == seg)
				return "empty segment ('//') in prefix";
			if ((i - seg == 1 && s[seg] == '.') ||
			    (i - seg == 2 && s[seg] == '.' && s[seg + 1] == '.'))
				return "'.' or '..' segment in prefix";
		}
		seg = i + 1;
	}
	return NULL;
}

static int
add_field(struct prefix *p, const char *name, size_t n, const char **names,
    size_t *nnames, size_t max)
{
	size_t i;

	if (add_part(p, P_FIELD, name, n) == -1)
		return -1;
	for (i = 0; i < *nnames; i++) {
		if (strcmp(names[i], p->parts[p->n - 1].text) == 0)
			break;
	}
	if (i == *nnames) {
		if (*nnames == max)
			return -2;
		names[(*nnames)++] = p->parts[p->n - 1].text;
	}
	p->parts[p->n - 1].field = i;
	return 0;
}

/* One !{namespace:value} expression, body[0..n) between the braces. */
static const char *
parse_expr(struct prefix *p, const char *body, size_t n, int is_error,
    const char **names, size_t *nnames, size_t max)
{
	const char *colon = memchr(body, ':', n);
	size_t ns, vn;
	const char *v;
	int rc;

	if (colon == NULL)
		return "expression without ':'";
	ns = (size_t)(colon - body);
	v = colon + 1;
	vn = n - ns - 1;
	if (ns == 9 && memcmp(body, "timestamp", 9) == 0) {
		const char *why = check_time_format(v, vn);

		if (why != NULL)
			return why;
		return add_part(p, P_TIME, v, vn) ? "out of memory" : NULL;
	}
	if (ns == 8 && memcmp(body, "firehose", 8) == 0) {
		if (vn == 13 && memcmp(v, "random-string", 13) == 0)
			return add_part(p, P_RANDOM, v, vn) ? "out of memory" : NULL;
		if (vn == 17 && memcmp(v, "error-output-type", 17) == 0) {
			if (!is_error)
				return "error-output-type is only for --error-prefix";
			return add_part(p, P_ERRTYPE, v, vn) ? "out of memory" : NULL;
		}
		return "unknown firehose: expression";
	}
	if (ns == 21 && memcmp(body, "partitionKeyFromQuery", 21) == 0) {
		if (is_error)
			return "partition keys cannot be used in --error-prefix";
		if (vn == 0)
			return "empty partition key name";
		if ((rc = add_field(p, v, vn, names, nnames, max)) == -2)
			return "too many partition keys";
		return rc ? "out of memory" : NULL;
	}
	return "unknown namespace (timestamp, firehose, partitionKeyFromQuery)";
}

int
prefix_parse(const char *tmpl, int is_error, struct prefix *p,
    const char **names, size_t *nnames, size_t max, char *err, size_t errlen)
{
	const char *s = tmpl, *open, *close, *why;

	memset(p, 0, sizeof(*p));
	while (*s != '\0') {
		if ((open = strstr(s, "!{")) == NULL)
			open = s + strlen(s);
		if ((why = check_literal(s, (size_t)(open - s), s == tmpl)) != NULL) {
			snprintf(err, errlen, "%s", why);
			return -1;
		}
		if (open > s && add_part(p, P_TEXT, s, (size_t)(open - s)) == -1)
			goto nomem;
		if (*open == '\0')
			break;
		if ((close = strchr(open, '}')) == NULL) {
			snprintf(err, errlen, "unterminated expression at '%s'", open);
			return -1;
		}
		why = parse_expr(p, open + 2, (size_t)(close - open - 2), is_error,
		    names, nnames, max);
		if (why != NULL) {
			snprintf(err, errlen, "%s in '%.*s'", why,
			    (int)(close - open + 1), open);
			return -1;
		}
		s = close + 1;
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

void
prefix_free(struct prefix *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->parts[i].text);
	free(p->parts);
	p->parts = NULL;
	p->n = 0;
}

/* v zero-padded to width digits (at most 4, checked at parse time). */
static size_t
put_num(char *o, int v, int width)
{
	char tmp[16];
	int n = snprintf(tmp, sizeof(tmp), "%0*d", width, v);

	if (n < 0 || n >= (int)sizeof(tmp))
		return 0;
	memcpy(o, tmp, (size_t)n);
	return (size_t)n;
}

/* Formats ms (UTC) by a checked java.time pattern; out has room for 4n+8. */
static size_t
format_time(const char *f, size_t n, int64_t ms, char *out)
{
	struct tel_civil c;
	size_t i, run, o = 0;

	tel_civil_from_ms(ms, &c);
	for (i = 0; i < n; i += run) {
		for (run = 1; i + run < n && f[i + run] == f[i]; run++)
			;
		switch (f[i]) {
		case 'y':
			o += run == 2 ? put_num(out + o, c.year % 100, 2) :
			    put_num(out + o, c.year, (int)run);
			break;
		case 'M': o += put_num(out + o, c.month, (int)run); break;
		case 'd': o += put_num(out + o, c.day, (int)run); break;
		case 'H': o += put_num(out + o, c.hour, (int)run); break;
		case 'm': o += put_num(out + o, c.min, (int)run); break;
		case 's': o += put_num(out + o, c.sec, (int)run); break;
		case 'S': o += put_num(out + o, c.msec, 3); break;
		case '\'':
			for (run = 1; i + run < n && f[i + run] != '\''; run++)
				out[o++] = f[i + run];
			if (run == 1)
				out[o++] = '\'';	/* '' is a quote */
			run++;
			break;
		default:
			memcpy(out + o, f + i, run);
			o += run;
		}
	}
	return o;
}

size_t
key_sanitize(const char *s, size_t n, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	int dots = (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == '%' ||
		    (dots && c == '.')) {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else
			out[o++] = (char)c;
	}
	return o;
}

/* The value of a partition key, sanitized, into out (3 bytes per input byte). */
static int
field_value(const struct json_member *m, char *out, size_t cap, size_t *len,
    const char **why)
{
	char *tmp;
	size_t n;

	if (m->type == JS_NONE) {
		*why = "missing";
		return -1;
	}
	if (m->type == JS_OBJECT || m->type == JS_ARRAY || m->type == JS_NULL) {
		*why = "not a string, number or boolean";
		return -1;
	}
	if (m->len == 0) {
		*why = "empty";
		return -1;
	}
	if (m->len * 3 > cap) {
		*why = "too long for a key";
		return -1;
	}
	if (!m->escaped) {
		*len = key_sanitize(m->val, m->len, out);
		return 0;
	}
	if ((tmp = malloc(m->len)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	n = json_unescape(m->val, m->len, tmp);
	*len = key_sanitize(tmp, n, out);
	free(tmp);
	return 0;
}

/* One segment s[0..n), expanded to len bytes; NULL if it may be one. */
static const char *
segment_check(const char *s, size_t n, size_t len, size_t max, int whole,
    int *toolong)
{
	*toolong = len > max;
	if (*toolong)
		return "a key segment too long for a file name in the spool";
	if (!whole)
		return NULL;	/* the object name completes it */
	if (n == 0)
		return "an empty key segment ('//')";
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return "a '.' or '..' key segment";
	return NULL;
}

const char *
key_check(const char *s, size_t n, int final, int *toolong)
{
	size_t i, seg = 0, len = 0;
	const char *why;
	unsigned char c;

	*toolong = final && n > KEY_MAX;
	if (*toolong)
		return "a key longer than 1024 bytes";
	if (final && n == 0)
		return "an empty key";
	if (n > 0 && s[0] == '/')
		return "a key that starts with '/'";
	if (!json_utf8_valid(s, n))
		return "a key that is not UTF-8";	/* as S3 requires */
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '/') {
			if ((why = segment_check(s + seg, i - seg, len,
			    SEGMENT_MAX, 1, toolong)) != NULL)
				return why;
			seg = i + 1;
			len = 0;
			continue;
		}
		if (c == PREFIX_RANDOM && !final)
			len += RANDOM_LEN;
		else if (c < 0x20 || c == 0x7f)
			return "a control character in a key";
		else
			len++;
	}
	/* the last segment: whole in a final key, else the name follows */
	return segment_check(s + seg, n - seg, len, final ? NAME_MAX :
	    NAME_MAX - NAME_BUDGET, final, toolong);
}

int
prefix_eval(const struct prefix *p, int64_t ms, const struct json_member *m,
    const char *errtype, char *out, size_t cap, const char **why,
    const char **field)
{
	size_t i, o = 0, n, randoms = 0;
	int toolong;

	for (i = 0; i < p->n; i++) {
		const struct part *pt = &p->parts[i];

		if (cap - o < 4 * pt->len + 16)
			goto toolong;
		switch (pt->kind) {
		case P_TEXT:
			memcpy(out + o, pt->text, pt->len);
			o += pt->len;
			break;
		case P_TIME:
			o += format_time(pt->text, pt->len, ms, out + o);
			break;
		case P_RANDOM:
			out[o++] = PREFIX_RANDOM;
			randoms++;
			break;
		case P_ERRTYPE:
			n = strlen(errtype);
			if (cap - o < n)
				goto toolong;
			memcpy(out + o, errtype, n);
			o += n;
			break;
		case P_FIELD:
			*field = pt->text;
			if (field_value(&m[pt->field], out + o, cap - o, &n,
			    why) == -1)
				return -1;
			o += n;
			break;
		}
	}
	/* the random strings grow to 11 bytes; the object name follows */
	if (o + randoms * (RANDOM_LEN - 1) + NAME_BUDGET > KEY_MAX)
		goto toolong;
	/* as finally expanded: whatever made it, a segment may break it */
	if ((*why = key_check(out, o, 0, &toolong)) != NULL) {
		*field = NULL;
		return toolong ? -1 : -2;
	}
	return (int)o;
toolong:
	*field = NULL;
	*why = "prefix longer than an S3 key allows";
	return -1;
}
