/*
 * tel-check: the fast path.  A flat record (an object of scalars, every
 * name one the schema knows) is checked straight from lib/jsonscan.c's
 * scan of its line, without building a jansson tree: records of the
 * truck and viewer kind spend most of their time there otherwise.  It
 * only ever says "valid": whatever it cannot vouch for goes to the tree
 * (validate.c), which gives the verdict and the reason, so the two can
 * differ only in speed; t/fuzz/fuzz-validate.c holds them to that.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jsonscan.h"

/* A property's node is flat if only scalar keywords say anything in it. */
static int
flat(const struct node *n)
{
	size_t i;

	if (n->boolean != -1)
		return 1;
	/* a $ref chain ends (schema.c refuses cycles) */
	if (n->ref != NULL && !flat(n->ref))
		return 0;
	if (n->required != NULL || n->props != NULL ||
	    n->additional != NULL || n->items != NULL)
		return 0;
	if (n->constant != NULL && (json_is_object(n->constant) ||
	    json_is_array(n->constant)))
		return 0;
	for (i = 0; n->enums != NULL && i < json_array_size(n->enums); i++) {
		json_t *e = json_array_get(n->enums, i);

		if (json_is_object(e) || json_is_array(e))
			return 0;
	}
	return 1;
}

int
fast_plan(struct schema *s)
{
	const struct node *r = s->root;
	size_t i, j, n;

	if (r->boolean != -1 || r->ref != NULL || r->items != NULL ||
	    r->enums != NULL || r->constant != NULL || r->nprops == 0 ||
	    (r->types != 0 && r->types != TY_OBJECT))
		return 0;
	for (i = 0; i < r->nprops; i++) {
		if (!flat(r->props[i].schema))
			return 0;
	}
	if (r->additional != NULL && r->nrequired > 0 && !flat(r->additional))
		return 0;
	/* a required name that is no property is looked for too */
	n = r->nprops + r->nrequired;
	if ((s->fm = calloc(n, sizeof(*s->fm))) == NULL ||
	    (s->fnode = calloc(n, sizeof(*s->fnode))) == NULL ||
	    (s->freq = calloc(r->nrequired + 1, sizeof(*s->freq))) == NULL)
		return -1;
	for (i = 0; i < r->nprops; i++) {
		s->fm[i].key = r->props[i].name;
		s->fm[i].keylen = strlen(r->props[i].name);
		s->fnode[i] = r->props[i].schema;
	}
	s->nfm = r->nprops;
	for (i = 0; i < r->nrequired; i++) {
		for (j = 0; j < s->nfm; j++) {
			if (strcmp(s->fm[j].key, r->required[i]) == 0)
				break;
		}
		if (j == s->nfm) {
			/* no property: additionalProperties says */
			s->fm[s->nfm].key = r->required[i];
			s->fm[s->nfm].keylen = strlen(r->required[i]);
			s->fnode[s->nfm++] = r->additional;
		}
		s->freq[i] = j;
	}
	s->fast = 1;
	return 0;
}

/*
 * A number's value as jansson reads it: an integer (no fraction, no
 * exponent) as a long long, else a double; -1 where jansson refuses it
 * (too big an integer, a real out of range).
 */
static int
number(const char *p, size_t len, long double *v, int *integer)
{
	char buf[64], *end;
	double d;
	long long i;

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	errno = 0;
	if (strpbrk(buf, ".eE") == NULL) {
		i = strtoll(buf, &end, 10);
		if (errno != 0 || *end != '\0')
			return -1;
		*v = (long double)i;
		*integer = 1;
		return 0;
	}
	d = strtod(buf, &end);
	if (errno == ERANGE || *end != '\0' || !isfinite(d))
		return -1;
	*v = (long double)d;
	*integer = floor(d) == d;
	return 0;
}

static int
number_ok(const struct node *n, const struct json_member *m)
{
	long double v;
	int integer;
	size_t i;

	if (number(m->val, m->len, &v, &integer) == -1)
		return 0;
	if (n->types != 0 && !(n->types & TY_NUMBER) &&
	    !((n->types & TY_INTEGER) && integer))
		return 0;
	if (((n->bounds & B_MIN) && v < n->min) ||
	    ((n->bounds & B_MAX) && v > n->max) ||
	    ((n->bounds & B_XMIN) && v <= n->xmin) ||
	    ((n->bounds & B_XMAX) && v >= n->xmax))
		return 0;
	if (n->constant != NULL && !(json_is_number(n->constant) &&
	    v == (json_is_integer(n->constant) ?
	    (long double)json_integer_value(n->constant) :
	    (long double)json_real_value(n->constant))))
		return 0;
	for (i = 0; n->enums != NULL && i < json_array_size(n->enums); i++) {
		json_t *e = json_array_get(n->enums, i);

		if (json_is_number(e) && v == (json_is_integer(e) ?
		    (long double)json_integer_value(e) :
		    (long double)json_real_value(e)))
			return 1;
	}
	return n->enums == NULL;
}

static int
same_string(json_t *e, const char *s, size_t len)
{
	return json_is_string(e) && json_string_length(e) == len &&
	    memcmp(json_string_value(e), s, len) == 0;
}

static int
string_ok(struct schema *sc, const struct node *n, const struct json_member *m)
{
	const char *s;
	size_t len = m->len, i;

	if (n->types != 0 && !(n->types & TY_STRING))
		return 0;
	/* decoded, NUL-ended: regexec(3) reads to the NUL in any case */
	if (len + 1 > sc->scratchcap) {
		free(sc->scratch);
		sc->scratchcap = 0;
		if ((sc->scratch = malloc(len + 1)) == NULL)
			return 0;
		sc->scratchcap = len + 1;
	}
	if (m->escaped)
		len = json_unescape(m->val, m->len, sc->scratch);
	else
		memcpy(sc->scratch, m->val, len);
	sc->scratch[len] = '\0';
	s = sc->scratch;
	if (n->minlen >= 0 || n->maxlen >= 0) {
		long long c = utf8_chars(s, len);

		if ((n->minlen >= 0 && c < n->minlen) ||
		    (n->maxlen >= 0 && c > n->maxlen))
			return 0;
	}
	if (n->has_pattern && !pattern_matches(n, s, len))
		return 0;
	if (n->constant != NULL && !same_string(n->constant, s, len))
		return 0;
	for (i = 0; n->enums != NULL && i < json_array_size(n->enums); i++) {
		if (same_string(json_array_get(n->enums, i), s, len))
			return 1;
	}
	return n->enums == NULL;
}

/* true, false, null */
static int
literal_ok(const struct node *n, const struct json_member *m)
{
	json_t *v = m->type == JS_NULL ? json_null() : m->type == JS_TRUE ?
	    json_true() : json_false();
	size_t i;

	if (n->types != 0 && !(n->types & (m->type == JS_NULL ? TY_NULL :
	    TY_BOOLEAN)))
		return 0;
	if (n->constant != NULL && !json_same(n->constant, v))
		return 0;
	for (i = 0; n->enums != NULL && i < json_array_size(n->enums); i++) {
		if (json_same(json_array_get(n->enums, i), v))
			return 1;
	}
	return n->enums == NULL;
}

static int
member_ok(struct schema *s, const struct node *n, const struct json_member *m)
{
	int ok;

	if (n == NULL || n->boolean == 1)
		return 1;
	if (n->boolean == 0)
		return 0;
	switch (m->type) {
	case JS_NUMBER:
		ok = number_ok(n, m);
		break;
	case JS_STRING:
		ok = string_ok(s, n, m);
		break;
	case JS_TRUE:
	case JS_FALSE:
	case JS_NULL:
		ok = literal_ok(n, m);
		break;
	default:
		return 0;	/* an object or an array: the tree's work */
	}
	/* "$ref" applies beside the node's own keywords (2020-12) */
	return ok && (n->ref == NULL || member_ok(s, n->ref, m));
}

int
fast_valid(struct schema *s, const char *line, size_t len)
{
	const struct node *r = s->root;
	struct json_count count;
	struct json_error e;
	size_t i, present = 0;

	if (json_scan_counted(line, len, s->fm, s->nfm, &count, &e) !=
	    JS_OBJECT || count.unknown > 0)
		return 0;	/* unknown names, not an object, not JSON */
	for (i = 0; i < s->nfm; i++) {
		if (s->fm[i].type == JS_NONE)
			continue;
		present++;
		if (!member_ok(s, s->fnode[i], &s->fm[i]))
			return 0;
	}
	if (present != count.members)
		return 0;	/* a name twice: jansson reads every value */
	for (i = 0; i < r->nrequired; i++) {
		if (s->fm[s->freq[i]].type == JS_NONE)
			return 0;
	}
	return 1;
}
