/*
 * tel-check: one value against the compiled schema, keyword by keyword as
 * JSON Schema 2020-12 defines them; the first failure is reported.
 */
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

/*
 * Where a value is in the record: a chain of frames up to the record
 * itself, made into a JSON pointer only when a check fails.
 */
struct frame {
	const struct frame	*up;
	const char		*key;	/* NULL: an array index */
	size_t			 index;
};

static int	check(const struct node *, json_t *, const struct frame *,
		    struct failure *);

/* The JSON pointer of fr into out, "~0" and "~1" escaped. */
static size_t
pointer(const struct frame *fr, char *out, size_t size)
{
	size_t o;
	const char *k;

	if (fr == NULL || fr->up == NULL) {
		out[0] = '\0';
		return 0;
	}
	o = pointer(fr->up, out, size);
	if (o + 2 >= size)
		return o;
	out[o++] = '/';
	if (fr->key == NULL)
		o += (size_t)snprintf(out + o, size - o, "%zu", fr->index);
	else {
		for (k = fr->key; *k != '\0' && o + 3 < size; k++) {
			if (*k == '~' || *k == '/') {
				out[o++] = '~';
				out[o++] = *k == '~' ? '0' : '1';
			} else
				out[o++] = *k;
		}
	}
	if (o >= size)
		o = size - 1;
	out[o] = '\0';
	return o;
}

static int
failed(struct failure *f, const struct frame *where, const struct node *n,
    const char *kw, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
failed(struct failure *f, const struct frame *where, const struct node *n,
    const char *kw, const char *fmt, ...)
{
	va_list ap;

	pointer(where, f->where, sizeof(f->where));
	f->keyword = kw;
	f->schema_path = n->path;
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
	return -1;
}

static long double
number(json_t *v)
{
	return json_is_integer(v) ? (long double)json_integer_value(v) :
	    (long double)json_real_value(v);
}

/* 1.0 is an integer, as 2020-12 says. */
static int
is_integer(json_t *v)
{
	double d;

	if (json_is_integer(v))
		return 1;
	d = json_is_real(v) ? json_real_value(v) : 0.5;
	return isfinite(d) && floor(d) == d;
}

static unsigned
type_of(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
		return TY_NULL;
	case JSON_TRUE:
	case JSON_FALSE:
		return TY_BOOLEAN;
	case JSON_OBJECT:
		return TY_OBJECT;
	case JSON_ARRAY:
		return TY_ARRAY;
	case JSON_STRING:
		return TY_STRING;
	default:
		return TY_NUMBER | (is_integer(v) ? TY_INTEGER : 0);
	}
}

int
json_same(json_t *a, json_t *b)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_number(a) && json_is_number(b))
		return number(a) == number(b);
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		json_array_foreach(a, i, v) {
			if (!json_same(v, json_array_get(b, i)))
				return 0;
		}
		return 1;
	}
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach(a, k, v) {
			json_t *w = json_object_get(b, k);

			if (w == NULL || !json_same(v, w))
				return 0;
		}
		return 1;
	}
	if (json_is_string(a))
		return json_string_length(a) == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b),
		    json_string_length(a)) == 0;
	return 1;	/* null, true, false */
}

static int
is_ascii(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)p[i] >= 0x80)
			return 0;
	}
	return 1;
}

int
pattern_matches(const struct node *n, const char *p, size_t len)
{
	regmatch_t m;
	locale_t old;
	int rc;

	/* REG_STARTEND: the whole string, NUL bytes and all */
	m.rm_so = 0;
	m.rm_eo = (regoff_t)len;
	if (!is_ascii(p, len))
		return regexec(&n->pattern, p, 1, &m, REG_STARTEND) == 0;
	old = uselocale(n->c_locale);
	rc = regexec(&n->pattern_ascii, p, 1, &m, REG_STARTEND);
	uselocale(old);
	return rc == 0;
}

long long
utf8_chars(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;
	long long c = 0;

	for (i = 0; i < n; i++)
		c += (p[i] & 0xc0) != 0x80;
	return c;
}

static int
check_numbers(const struct node *n, json_t *v, const struct frame *where,
    struct failure *f)
{
	long double d = number(v);

	if ((n->bounds & B_MIN) && d < n->min)
		return failed(f, where, n, "minimum", "%Lg is less than the "
		    "minimum %Lg", d, n->min);
	if ((n->bounds & B_MAX) && d > n->max)
		return failed(f, where, n, "maximum", "%Lg is more than the "
		    "maximum %Lg", d, n->max);
	if ((n->bounds & B_XMIN) && d <= n->xmin)
		return failed(f, where, n, "exclusiveMinimum", "%Lg is not "
		    "more than %Lg", d, n->xmin);
	if ((n->bounds & B_XMAX) && d >= n->xmax)
		return failed(f, where, n, "exclusiveMaximum", "%Lg is not "
		    "less than %Lg", d, n->xmax);
	return 0;
}

static int
check_string(const struct node *n, json_t *v, const struct frame *where,
    struct failure *f)
{
	long long len;

	if (n->minlen >= 0 || n->maxlen >= 0) {
		len = utf8_chars(json_string_value(v), json_string_length(v));
		if (n->minlen >= 0 && len < n->minlen)
			return failed(f, where, n, "minLength", "%lld "
			    "characters, fewer than %lld", len, n->minlen);
		if (n->maxlen >= 0 && len > n->maxlen)
			return failed(f, where, n, "maxLength", "%lld "
			    "characters, more than %lld", len, n->maxlen);
	}
	if (n->has_pattern && !pattern_matches(n, json_string_value(v),
	    json_string_length(v)))
		return failed(f, where, n, "pattern", "does not match %s",
		    n->pattern_src);
	return 0;
}

/* The schema of member k: its property's, else additionalProperties. */
static const struct node *
member_schema(const struct node *n, const char *k)
{
	size_t lo = 0, hi = n->nprops, mid;
	int c;

	while (lo < hi) {	/* props are sorted by name (schema.c) */
		mid = (lo + hi) / 2;
		if ((c = strcmp(k, n->props[mid].name)) == 0)
			return n->props[mid].schema;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return n->additional;
}

static int
check_object(const struct node *n, json_t *v, const struct frame *where,
    struct failure *f)
{
	struct frame fr = { where, NULL, 0 };
	const struct node *s;
	const char *k;
	json_t *e;
	size_t i;

	for (i = 0; i < n->nrequired; i++) {
		if (json_object_get(v, n->required[i]) == NULL)
			return failed(f, where, n, "required", "\"%s\" is "
			    "missing", n->required[i]);
	}
	if (n->nprops == 0 && n->additional == NULL)
		return 0;
	json_object_foreach(v, k, e) {
		if ((s = member_schema(n, k)) == NULL)
			continue;
		fr.key = k;
		if (check(s, e, &fr, f) == -1)
			return -1;
	}
	return 0;
}

static int
check_array(const struct node *n, json_t *v, const struct frame *where,
    struct failure *f)
{
	struct frame fr = { where, NULL, 0 };
	json_t *e;

	if (n->items == NULL)
		return 0;
	json_array_foreach(v, fr.index, e) {
		if (check(n->items, e, &fr, f) == -1)
			return -1;
	}
	return 0;
}

static int
check_values(const struct node *n, json_t *v, const struct frame *where,
    struct failure *f)
{
	json_t *e;
	size_t i;

	if (n->constant != NULL && !json_same(n->constant, v))
		return failed(f, where, n, "const", "not the constant value");
	if (n->enums == NULL)
		return 0;
	json_array_foreach(n->enums, i, e) {
		if (json_same(e, v))
			return 0;
	}
	return failed(f, where, n, "enum", "not one of the values listed");
}

static int
check(const struct node *n, json_t *v, const struct frame *where,
    struct failure *f)
{
	unsigned t = type_of(v);

	if (n->boolean == 0)
		return failed(f, where, n, "false", "no value is valid here");
	if (n->boolean == 1)
		return 0;
	if (n->ref != NULL && check(n->ref, v, where, f) == -1)
		return -1;
	if (n->types != 0 && (n->types & t) == 0)
		return failed(f, where, n, "type", "not of the type the "
		    "schema allows");
	if (check_values(n, v, where, f) == -1)
		return -1;
	if ((t & TY_NUMBER) && check_numbers(n, v, where, f) == -1)
		return -1;
	if (t == TY_STRING && check_string(n, v, where, f) == -1)
		return -1;
	if (t == TY_OBJECT)
		return check_object(n, v, where, f);
	if (t == TY_ARRAY)
		return check_array(n, v, where, f);
	return 0;
}

int
validate(const struct schema *s, json_t *v, struct failure *f)
{
	struct frame top = { NULL, NULL, 0 };

	return check(s->root, v, &top, f);
}
