/*
 * Fuzz target: tel-check's schema compiler.  Any bytes that jansson reads
 * as JSON are compiled: refused with a message, or compiled into a schema
 * that validates a few fixed values without crashing, looping or leaking,
 * the same way twice.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const values[] = {
	"null", "0", "1.5", "-7", "\"\"", "\"TRUCK_001\"", "\"\\u00e9\\u0000\"",
	"true", "[]", "{}", "[1,\"a\",[null]]",
	"{\"a\":1,\"b\":[{\"c\":\"x\"}],\"d\":{\"e\":null},\"n\":2.5}",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct schema s;
	struct failure f, g;
	json_t *doc, *v;
	char err[1024];
	size_t i;

	doc = json_loadb((const char *)data, size, JSON_DECODE_ANY |
	    JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, NULL);
	if (doc == NULL)
		return 0;
	if (schema_compile(&s, doc, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();	/* a refusal always says why */
		schema_free(&s);
		return 0;
	}
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		v = json_loads(values[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (v == NULL)
			abort();
		if (validate(&s, v, &f) != validate(&s, v, &g))
			abort();
		json_decref(v);
	}
	schema_free(&s);
	return 0;
}
