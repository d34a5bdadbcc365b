/*
 * What became of each stream: one NDJSON line on stdout (the format is in
 * tel-mkstream(1)), and for a stream that failed or differs, messages on
 * standard error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "mkstream.h"

static const char *const result_names[] = {
	[R_PENDING] = "error", [R_CREATED] = "created", [R_EXISTS] = "exists",
	[R_DIFFERS] = "differs", [R_ERROR] = "error",
};

/* The API's own spelling, as aws kinesis describe-stream-summary has it. */
static const char *
api_mode(int on_demand)
{
	return on_demand ? "ON_DEMAND" : "PROVISIONED";
}

static void
set(json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) == -1)
		oom();
}

/*
 * A JSON string of text from outside (a server's message): bytes that
 * are not UTF-8 become '?' rather than failing the line.
 */
static json_t *
text(const char *t)
{
	json_t *v;
	char *copy;
	size_t i;

	if ((v = json_string(t)) != NULL)
		return v;
	if ((copy = strdup(t)) == NULL)
		oom();
	for (i = 0; copy[i] != '\0'; i++) {
		if ((unsigned char)copy[i] >= 0x80)
			copy[i] = '?';
	}
	v = json_string(copy);
	free(copy);
	return v;
}

/* The stream as described. */
static void
put_summary(json_t *o, const struct stream *s)
{
	set(o, "mode", json_string(api_mode(s->sum.on_demand)));
	set(o, "shards", json_integer(s->sum.shards));
	set(o, "retention_hours", json_integer(s->sum.retention));
	set(o, "arn", s->sum.arn[0] != '\0' ? text(s->sum.arn) :
	    json_null());
}

/* "asked": what was compared, so that a differs line stands alone. */
static void
put_asked(json_t *o, const struct ctx *c)
{
	json_t *a;

	if ((a = json_object()) == NULL)
		oom();
	set(a, "mode", json_string(api_mode(c->o.on_demand)));
	if (!c->o.on_demand)
		set(a, "shards", json_integer(c->o.shards));
	if (c->o.retention != 0)
		set(a, "retention_hours", json_integer(c->o.retention));
	set(o, "asked", a);
}

static json_t *
line(const struct ctx *c, const struct stream *s)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		oom();
	set(o, "stream", json_string(s->name));
	set(o, "result", json_string(result_names[s->res]));
	if (s->res == R_ERROR || s->res == R_PENDING) {
		set(o, "code", text(s->code[0] != '\0' ? s->code : "_FAIL"));
		set(o, "error", text(s->error));
		return o;
	}
	put_summary(o, s);
	if (s->res == R_DIFFERS) {
		put_asked(o, c);
		set(o, "error", text(s->error));
	}
	return o;
}

/* One line for s; -1 if stdout failed. */
int
report(const struct ctx *c, const struct stream *s)
{
	json_t *o = line(c, s);
	int e;

	e = json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (e == -1 || putchar('\n') == EOF || fflush(stdout) == EOF) {
		tel_warn("stdout");
		return -1;
	}
	return 0;
}

/* stderr: each difference, or why it failed; with -v, every outcome. */
void
report_message(const struct ctx *c, const struct stream *s)
{
	char one[160];
	unsigned bit;

	if (c->o.verbose < 0 || s->said)
		return;
	switch (s->res) {
	case R_DIFFERS:
		for (bit = DIFF_MODE; bit <= DIFF_RETENTION; bit <<= 1) {
			if (!(s->diff & bit))
				continue;
			stream_difference(c, s, bit, one, sizeof(one));
			tel_warnx("%s: %s", s->name, one);
		}
		break;
	case R_EXISTS:
	case R_CREATED:
		if (c->o.verbose > 0)
			tel_warnx("%s: %s", s->name, s->res == R_CREATED ?
			    "created" : "exists as asked");
		break;
	default:
		tel_warnx("%s: %s", s->name, s->error[0] != '\0' ? s->error :
		    "failed");
		break;
	}
}
