/*
 * tel-check: the schema file compiled into nodes.  Every keyword is one
 * of the supported subset or an annotation; anything else is refused,
 * never ignored, since an ignored rule is a rule that silently passes.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

struct compiler {
	struct schema	*s;
	char		*err;
	size_t		 errsz;
};

static struct node	*compile(struct compiler *, json_t *, const char *);

/* Keywords that say nothing about validity (2020-12's annotations). */
static const char *const annotations[] = {
	"$comment", "$defs", "$schema", "default", "definitions",
	"deprecated", "description", "examples", "format", "readOnly",
	"title", "writeOnly",
};

static int
fail(struct compiler *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct compiler *c, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errsz, "%s: %s", path, msg);
	return -1;
}

static int
is_annotation(const char *k)
{
	size_t i;

	for (i = 0; i < sizeof(annotations) / sizeof(annotations[0]); i++) {
		if (strcmp(k, annotations[i]) == 0)
			return 1;
	}
	return 0;
}

/* path/key with JSON pointer escapes (~0, ~1), malloc'd. */
static char *
subpath(const char *path, const char *kw, const char *key)
{
	size_t n = strlen(key), i, o = 0;
	char *esc, *p;

	if ((esc = malloc(2 * n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (key[i] == '~' || key[i] == '/') {
			esc[o++] = '~';
			esc[o++] = key[i] == '~' ? '0' : '1';
		} else
			esc[o++] = key[i];
	}
	esc[o] = '\0';
	if (asprintf(&p, "%s/%s%s%s", path, kw, kw[0] ? "/" : "", esc) == -1)
		p = NULL;
	free(esc);
	return p;
}

static int
type_bit(const char *name, unsigned *bit)
{
	static const struct { const char *name; unsigned bit; } t[] = {
		{ "null", TY_NULL }, { "boolean", TY_BOOLEAN },
		{ "object", TY_OBJECT }, { "array", TY_ARRAY },
		{ "number", TY_NUMBER }, { "string", TY_STRING },
		{ "integer", TY_INTEGER },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(name, t[i].name) == 0) {
			*bit = t[i].bit;
			return 0;
		}
	}
	return -1;
}

static int
kw_type(struct compiler *c, struct node *n, json_t *v)
{
	size_t i;
	unsigned bit;
	json_t *e;

	if (json_is_string(v)) {
		if (type_bit(json_string_value(v), &bit) == -1)
			return fail(c, n->path, "unknown type \"%s\"",
			    json_string_value(v));
		n->types = bit;
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) == 0)
		return fail(c, n->path, "\"type\" must be a string or a "
		    "non-empty array of them");
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) ||
		    type_bit(json_string_value(e), &bit) == -1)
			return fail(c, n->path, "unknown type in \"type\"");
		n->types |= bit;
	}
	return 0;
}

static int
kw_required(struct compiler *c, struct node *n, json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return fail(c, n->path, "\"required\" must be an array");
	if ((n->required = calloc(json_array_size(v) + 1,
	    sizeof(*n->required))) == NULL)
		return fail(c, n->path, "%s", strerror(errno));
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return fail(c, n->path, "\"required\" must hold "
			    "strings");
		n->required[n->nrequired++] = json_string_value(e);
	}
	return 0;
}

/* Sorted, for validate.c's binary search. */
static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct prop *)a)->name,
	    ((const struct prop *)b)->name);
}

static int
kw_properties(struct compiler *c, struct node *n, json_t *v)
{
	const char *k;
	json_t *e;
	char *p;

	if (!json_is_object(v))
		return fail(c, n->path, "\"properties\" must be an object");
	if ((n->props = calloc(json_object_size(v) + 1,
	    sizeof(*n->props))) == NULL)
		return fail(c, n->path, "%s", strerror(errno));
	json_object_foreach(v, k, e) {
		if ((p = subpath(n->path, "properties", k)) == NULL)
			return fail(c, n->path, "%s", strerror(errno));
		n->props[n->nprops].name = k;
		n->props[n->nprops].schema = compile(c, e, p);
		free(p);
		if (n->props[n->nprops++].schema == NULL)
			return -1;
	}
	qsort(n->props, n->nprops, sizeof(*n->props), by_name);
	return 0;
}

/* A keyword whose value is one schema: additionalProperties, items. */
static int
kw_subschema(struct compiler *c, struct node *n, const char *kw, json_t *v,
    struct node **out)
{
	char *p;

	if (json_is_array(v) && strcmp(kw, "items") == 0)
		return fail(c, n->path, "\"items\" as an array is 2020-12's "
		    "\"prefixItems\", which is not supported");
	if ((p = subpath(n->path, kw, "")) == NULL)
		return fail(c, n->path, "%s", strerror(errno));
	p[strlen(p) - 1] = '\0';	/* no trailing '/' */
	*out = compile(c, v, p);
	free(p);
	return *out == NULL ? -1 : 0;
}

static int
kw_bound(struct compiler *c, struct node *n, const char *kw, json_t *v)
{
	long double d;

	if (!json_is_number(v))
		return fail(c, n->path, "\"%s\" must be a number", kw);
	d = json_is_integer(v) ? (long double)json_integer_value(v) :
	    (long double)json_real_value(v);
	if (strcmp(kw, "minimum") == 0) {
		n->bounds |= B_MIN;
		n->min = d;
	} else if (strcmp(kw, "maximum") == 0) {
		n->bounds |= B_MAX;
		n->max = d;
	} else if (strcmp(kw, "exclusiveMinimum") == 0) {
		n->bounds |= B_XMIN;
		n->xmin = d;
	} else {
		n->bounds |= B_XMAX;
		n->xmax = d;
	}
	return 0;
}

static int
kw_length(struct compiler *c, struct node *n, const char *kw, json_t *v)
{
	long long len;

	if (json_is_integer(v))
		len = json_integer_value(v);
	else if (json_is_real(v) && json_real_value(v) >= 0 &&
	    json_real_value(v) < 9e18 &&
	    floor(json_real_value(v)) == json_real_value(v))
		len = (long long)json_real_value(v);
	else
		len = -1;
	if (len < 0)
		return fail(c, n->path, "\"%s\" must be a non-negative "
		    "integer", kw);
	if (strcmp(kw, "minLength") == 0)
		n->minlen = len;
	else
		n->maxlen = len;
	return 0;
}

/*
 * What an ECMA-262 pattern means that a POSIX one would read otherwise
 * (glibc takes "\\d" for "d"): refused rather than matched wrongly.
 */
static const char *
ecma_only(const char *p)
{
	for (; *p != '\0'; p++) {
		if (p[0] == '(' && p[1] == '?')
			return "\"(?\" (lookaround or a non-capturing group)";
		if (p[0] != '\\' || p[1] == '\0')
			continue;
		p++;
		if (strchr("dDuxcpPkfnrtv0123456789", *p) != NULL)
			return "a \"\\d\"-style escape (write [0-9] or the "
			    "character itself)";
	}
	return NULL;
}

static int
kw_pattern(struct compiler *c, struct node *n, json_t *v)
{
	const char *why;
	char msg[256];
	locale_t old;
	int rc;

	if (!json_is_string(v))
		return fail(c, n->path, "\"pattern\" must be a string");
	n->pattern_src = json_string_value(v);
	if ((why = ecma_only(n->pattern_src)) != NULL)
		return fail(c, n->path, "\"pattern\" %s: %s, which POSIX "
		    "extended regular expressions do not have", n->pattern_src,
		    why);
	if ((rc = regcomp(&n->pattern, n->pattern_src,
	    REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(rc, &n->pattern, msg, sizeof(msg));
		return fail(c, n->path, "\"pattern\" %s: %s (POSIX extended "
		    "regular expressions)", n->pattern_src, msg);
	}
	n->has_pattern = 1;
	n->c_locale = c->s->c_locale;
	/* glibc's multibyte matching is slow: ASCII strings do without */
	old = uselocale(c->s->c_locale);
	rc = regcomp(&n->pattern_ascii, n->pattern_src,
	    REG_EXTENDED | REG_NOSUB);
	uselocale(old);
	if (rc != 0) {
		regfree(&n->pattern);
		n->has_pattern = 0;
		return fail(c, n->path, "\"pattern\" %s: not a pattern in the "
		    "C locale", n->pattern_src);
	}
	return 0;
}

static int
kw_enum(struct compiler *c, struct node *n, json_t *v)
{
	if (!json_is_array(v))
		return fail(c, n->path, "\"enum\" must be an array");
	n->enums = v;
	return 0;
}

/* "#/a/b" within the document: the schema it names, or NULL. */
static json_t *
pointer(json_t *doc, const char *ref)
{
	char seg[512];
	const char *p = ref + 1, *e;
	json_t *v = doc;
	size_t n, i, o;

	while (v != NULL && *p == '/') {
		p++;
		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n >= sizeof(seg))
			return NULL;
		for (i = o = 0; i < n; i++) {
			if (p[i] == '~' && i + 1 < n &&
			    (p[i + 1] == '0' || p[i + 1] == '1'))
				seg[o++] = p[++i] == '0' ? '~' : '/';
			else
				seg[o++] = p[i];
		}
		seg[o] = '\0';
		if (json_is_object(v))
			v = json_object_get(v, seg);
		else if (json_is_array(v) && o > 0 && strspn(seg,
		    "0123456789") == o)
			v = json_array_get(v, strtoul(seg, NULL, 10));
		else
			v = NULL;
		p += n;
	}
	return *p == '\0' ? v : NULL;
}

static int
kw_ref(struct compiler *c, struct node *n, json_t *v)
{
	const char *ref;
	json_t *target;

	if (!json_is_string(v))
		return fail(c, n->path, "\"$ref\" must be a string");
	ref = json_string_value(v);
	if (ref[0] != '#')
		return fail(c, n->path, "\"$ref\" %s: only references within "
		    "the file (\"#...\") are supported", ref);
	if ((target = pointer(c->s->doc, ref)) == NULL)
		return fail(c, n->path, "\"$ref\" %s: no such place in the "
		    "file", ref);
	n->ref = compile(c, target, ref);
	return n->ref == NULL ? -1 : 0;
}

static int
keyword(struct compiler *c, struct node *n, const char *k, json_t *v)
{
	if (strcmp(k, "type") == 0)
		return kw_type(c, n, v);
	if (strcmp(k, "required") == 0)
		return kw_required(c, n, v);
	if (strcmp(k, "properties") == 0)
		return kw_properties(c, n, v);
	if (strcmp(k, "additionalProperties") == 0)
		return kw_subschema(c, n, k, v, &n->additional);
	if (strcmp(k, "items") == 0)
		return kw_subschema(c, n, k, v, &n->items);
	if (strcmp(k, "enum") == 0)
		return kw_enum(c, n, v);
	if (strcmp(k, "const") == 0) {
		n->constant = v;
		return 0;
	}
	if (strcmp(k, "minimum") == 0 || strcmp(k, "maximum") == 0 ||
	    strcmp(k, "exclusiveMinimum") == 0 ||
	    strcmp(k, "exclusiveMaximum") == 0)
		return kw_bound(c, n, k, v);
	if (strcmp(k, "minLength") == 0 || strcmp(k, "maxLength") == 0)
		return kw_length(c, n, k, v);
	if (strcmp(k, "pattern") == 0)
		return kw_pattern(c, n, v);
	if (strcmp(k, "$ref") == 0)
		return kw_ref(c, n, v);
	if (strcmp(k, "$id") == 0 && n->next == NULL)
		return 0;	/* the root's own name; nothing resolves by it */
	if (is_annotation(k))
		return 0;
	return fail(c, n->path, "keyword \"%s\" is not supported", k);
}

/* A new node for schema text s, on the list of all nodes. */
static struct node *
new_node(struct compiler *c, json_t *s, const char *path)
{
	struct node *n;

	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (n->path = strdup(path)) == NULL) {
		free(n);
		fail(c, path, "%s", strerror(errno));
		return NULL;
	}
	n->src = s;
	n->minlen = n->maxlen = -1;
	n->boolean = json_is_true(s) ? 1 : json_is_false(s) ? 0 : -1;
	n->next = c->s->all;
	c->s->all = n;
	return n;
}

/* The node for schema text s, made once however often it is named. */
static struct node *
compile(struct compiler *c, json_t *s, const char *path)
{
	struct node *n;
	const char *k;
	json_t *v;

	for (n = c->s->all; n != NULL; n = n->next) {
		if (n->src == s)
			return n;
	}
	if (!json_is_object(s) && !json_is_boolean(s)) {
		fail(c, path, "a schema must be an object or a boolean");
		return NULL;
	}
	if ((n = new_node(c, s, path)) == NULL)
		return NULL;
	json_object_foreach(s, k, v) {
		if (keyword(c, n, k, v) == -1)
			return NULL;
	}
	return n;
}

/* A chain of $ref that comes back to where it began never ends. */
static int
check_cycles(struct compiler *c)
{
	struct node *n, *r;
	size_t count = 0, steps;

	for (n = c->s->all; n != NULL; n = n->next)
		count++;
	for (n = c->s->all; n != NULL; n = n->next) {
		for (r = n->ref, steps = 0; r != NULL; r = r->ref) {
			if (++steps > count)
				return fail(c, n->path, "a \"$ref\" cycle that "
				    "would never end");
		}
	}
	return 0;
}

int
schema_compile(struct schema *s, json_t *doc, char *err, size_t errsz)
{
	struct compiler c = { s, err, errsz };

	memset(s, 0, sizeof(*s));
	s->doc = doc;
	if ((s->c_locale = newlocale(LC_CTYPE_MASK, "C", (locale_t)0)) ==
	    (locale_t)0) {
		snprintf(err, errsz, "the C locale: %s", strerror(errno));
		return -1;
	}
	if ((s->root = compile(&c, s->doc, "#")) == NULL ||
	    check_cycles(&c) == -1)
		return -1;
	if (fast_plan(s) == -1) {
		snprintf(err, errsz, "%s", strerror(errno));
		return -1;
	}
	return 0;
}

int
schema_load(struct schema *s, const char *file, char *err, size_t errsz)
{
	json_error_t je;
	json_t *doc;
	char e[512];

	memset(s, 0, sizeof(*s));
	if ((doc = json_load_file(file, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY | JSON_ALLOW_NUL, &je)) == NULL) {
		snprintf(err, errsz, "%s: line %d: %s", file, je.line,
		    je.text);
		return -1;
	}
	if (schema_compile(s, doc, e, sizeof(e)) == -1) {
		snprintf(err, errsz, "%s: %s", file, e);
		return -1;
	}
	return 0;
}

void
schema_free(struct schema *s)
{
	struct node *n, *next;

	for (n = s->all; n != NULL; n = next) {
		next = n->next;
		if (n->has_pattern) {
			regfree(&n->pattern);
			regfree(&n->pattern_ascii);
		}
		free(n->required);
		free(n->props);
		free(n->path);
		free(n);
	}
	free(s->fm);
	free(s->fnode);
	free(s->freq);
	free(s->scratch);
	json_decref(s->doc);
	if (s->c_locale != (locale_t)0)
		freelocale(s->c_locale);
	memset(s, 0, sizeof(*s));
}
