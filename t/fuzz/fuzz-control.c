/*
 * Fuzz target: control lines (lib/control.c), checked against jansson.
 * A line is "reserved" exactly when jansson finds a top-level "@tel"
 * member; a line is a control line only if jansson reads an object whose
 * first member is "@tel" with a string value, and every such object that
 * spells the name plainly is one; a checkpoint written is read back the
 * same.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "jsonscan.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The text starts with { and the name "@tel", spelt as it is. */
static int
plain_first(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && strchr(" \t\r\n", p[i]) != NULL && p[i] != '\0')
		i++;
	if (i == n || p[i++] != '{')
		return 0;
	while (i < n && strchr(" \t\r\n", p[i]) != NULL && p[i] != '\0')
		i++;
	return n - i >= 6 && memcmp(p + i, "\"@tel\"", 6) == 0;
}

static void
check_against_jansson(const char *p, size_t n)
{
	struct json_error e;
	struct control c;
	json_t *j, *v;
	void *it;
	int is, want;

	is = control_parse(p, n, &c);
	if (json_scan(p, n, NULL, 0, &e) == -1) {
		if (is || control_reserved(p, n))
			abort();
		return;
	}
	/* jansson nests deeper than json_scan: compare where both read */
	if ((j = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL)) ==
	    NULL)
		return;
	v = json_is_object(j) ? json_object_get(j, "@tel") : NULL;
	if (control_reserved(p, n) != (v != NULL))
		abort();
	it = json_is_object(j) ? json_object_iter(j) : NULL;
	want = it != NULL && strcmp(json_object_iter_key(it), "@tel") == 0 &&
	    json_is_string(v) && plain_first(p, n);
	if (is != want)
		abort();
	if (is && c.checkpoint && strcmp(json_string_value(v), "checkpoint"))
		abort();
	json_decref(j);
}

static void
check_round_trip(const uint8_t *d, size_t n)
{
	char line[CONTROL_CHECKPOINT_MAX];
	struct control c;
	uint64_t run = 0, seq = 0;
	size_t len;

	if (n < 16)
		return;
	memcpy(&run, d, 8);
	memcpy(&seq, d + 8, 8);
	seq = seq % INT64_MAX + 1;
	len = control_checkpoint(line, run, seq,
	    (int64_t)(seq % 253402300799999ULL), (int)(run & 1));
	if (len >= sizeof(line) || control_parse(line, len, &c) != 1 ||
	    !c.checkpoint || c.run != run || c.seq != seq ||
	    c.flush != (int)(run & 1) ||
	    !control_reserved(line, len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	check_against_jansson((const char *)d, n);
	check_round_trip(d, n);
	return 0;
}
