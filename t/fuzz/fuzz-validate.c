/*
 * Fuzz target: tel-check's validation of any record against fixed
 * schemas that use every supported keyword.  A failure must name a JSON
 * pointer that leads to a value of the record (or the record itself),
 * and validation must agree with itself.  Differential: the fast path
 * (fast.c, on lib/jsonscan.c) may call a line valid only if jansson reads
 * it and the tree (validate.c) finds it valid.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const schemas[] = {
	"{\"type\":\"object\",\"required\":[\"a\"],\"properties\":{"
	"\"a\":{\"type\":[\"integer\",\"string\"],\"minimum\":-5,"
	"\"exclusiveMaximum\":1e3,\"minLength\":1,\"maxLength\":4,"
	"\"pattern\":\"^[a-z]+$\"},\"b\":{\"items\":{\"$ref\":\"#\"}},"
	"\"c\":{\"enum\":[1,\"x\",null,[1],{\"k\":true}]},\"d\":{\"const\":2.0}"
	",\"e\":false},\"additionalProperties\":{\"type\":\"number\","
	"\"maximum\":10,\"exclusiveMinimum\":0}}",
	"{\"$defs\":{\"t\":{\"type\":\"array\",\"items\":{\"$ref\":"
	"\"#/$defs/t\"}}},\"$ref\":\"#/$defs/t\"}",
	"true",
	/* flat: the fast path's kind, every scalar keyword */
	"{\"type\":\"object\",\"required\":[\"id\",\"t\",\"zz\"],"
	"\"properties\":{\"id\":{\"type\":\"string\",\"pattern\":"
	"\"^T_[0-9]{3,}$\",\"maxLength\":8},\"t\":{\"type\":\"number\","
	"\"minimum\":28,\"maximum\":35.5},\"r\":{\"type\":\"integer\","
	"\"exclusiveMinimum\":-1,\"exclusiveMaximum\":9007199254740993},"
	"\"h\":{\"enum\":[\"OK\",\"\\u00e9\",1,null,true]},\"c\":"
	"{\"const\":2.0},\"s\":{\"minLength\":2},\"b\":{\"type\":"
	"[\"boolean\",\"null\"]},\"f\":false,\"a\":true},"
	"\"additionalProperties\":false}",
};

static struct schema	compiled[sizeof(schemas) / sizeof(schemas[0])];
static int		ready;

static void
setup(void)
{
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++) {
		json_t *doc = json_loads(schemas[i], 0 | JSON_DECODE_ANY, NULL);

		if (doc == NULL || schema_compile(&compiled[i], doc, err,
		    sizeof(err)) == -1)
			abort();
	}
	if (!compiled[3].fast)
		abort();	/* the flat schema must take the fast path */
	ready = 1;
}

/* The value at JSON pointer p in v, or NULL. */
static json_t *
at(json_t *v, const char *p)
{
	char seg[256];
	size_t n, i, o;

	while (v != NULL && *p == '/') {
		p++;
		n = strcspn(p, "/");
		if (n >= sizeof(seg))
			return NULL;
		for (i = o = 0; i < n; i++) {
			if (p[i] == '~' && i + 1 < n)
				seg[o++] = p[++i] == '0' ? '~' : '/';
			else
				seg[o++] = p[i];
		}
		seg[o] = '\0';
		v = json_is_object(v) ? json_object_get(v, seg) :
		    json_is_array(v) ? json_array_get(v, strtoul(seg, NULL, 10)) :
		    NULL;
		p += n;
	}
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct failure f, g;
	json_t *v;
	size_t i;
	int a, b;

	if (!ready)
		setup();
	v = json_loadb((const char *)data, size, JSON_DECODE_ANY |
	    JSON_ALLOW_NUL, NULL);
	for (i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++) {
		if (compiled[i].fast && fast_valid(&compiled[i],
		    (const char *)data, size) && (v == NULL ||
		    validate(&compiled[i], v, &f) == -1))
			abort();	/* the fast path passed what fails */
		if (v == NULL)
			continue;
		a = validate(&compiled[i], v, &f);
		b = validate(&compiled[i], v, &g);
		if (a != b || (a == -1 && (strcmp(f.where, g.where) != 0 ||
		    f.keyword == NULL || f.schema_path == NULL)))
			abort();
		/* a pointer cut at 255 bytes need not lead anywhere */
		if (a == -1 && strlen(f.where) < sizeof(f.where) - 8 &&
		    at(v, f.where) == NULL)
			abort();
	}
	json_decref(v);	/* NULL-safe */
	return 0;
}
