/*
 * tel-kinesis-cat: a record as its line, or its lines: an aggregate of
 * the Kinesis Producer Library holds many user records, each written as
 * a line of its own.  Values are rendered as tel-kafka-cat renders them
 * (lib/value.c): JSON as it is, else reported and skipped, or with --raw
 * a JSON string.  A corrupt aggregate is not guessed at: it is handed on
 * whole, as an error line of tel(7), for tel-batch to file.
 */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "control.h"
#include "diag.h"
#include "jsonscan.h"
#include "kcat.h"
#include "kpl.h"

/* What a user record is, for its line. */
struct rec {
	const struct shard	*s;
	const char		*seq;
	const char		*key;		/* partition key */
	size_t			 keylen;
	int64_t			 ts;		/* arrival, ms; -1 if none */
	long			 sub;		/* index in an aggregate, or -1 */
	const char		*data;
	size_t			 len;
};

void
flush_out(struct kcat *c)
{
	if (c->out_broken || c->out_closed)
		return;
	if (ndjson_flush(&c->out) == -1) {
		if (errno != EPIPE)
			tel_warn("stdout");
		c->out_broken = 1;
		c->failed = 1;
		c->done = 1;
	}
}

int
put_line(struct kcat *c, const char *p, size_t n)
{
	if (c->out_broken || c->out_closed)
		return -1;
	if (ndjson_put_line(&c->out, p, n) == -1) {
		if (errno != EPIPE)
			tel_warn("stdout");
		c->out_broken = 1;	/* nothing more is kept as read */
		c->failed = 1;
		c->done = 1;
		return -1;
	}
	return 0;
}

/* -E: the record's coordinates around its value. */
static const char *
envelope(struct kcat *c, const struct rec *r, const char *v, size_t *n,
    enum value_form form)
{
	size_t need = 256 + strlen(c->o.stream) * 6 + strlen(r->s->id) +
	    strlen(r->seq) + VALUE_STRING_MAX(r->keylen) + BASE64_LEN(*n) + *n,
	    o;
	char *buf;

	if ((buf = value_room(&c->env, need)) == NULL)
		return NULL;
	o = (size_t)sprintf(buf, "{\"stream\":");
	o += json_escape(c->o.stream, strlen(c->o.stream), buf + o);
	o += (size_t)sprintf(buf + o, ",\"shard\":\"%s\",\"sequence\":\"%s\"",
	    r->s->id, r->seq);
	if (r->sub >= 0)
		o += (size_t)sprintf(buf + o, ",\"subsequence\":%ld", r->sub);
	o += (size_t)(r->ts < 0 ? sprintf(buf + o, ",\"timestamp\":null") :
	    sprintf(buf + o, ",\"timestamp\":%" PRId64, r->ts));
	o += value_member(buf + o, "key", r->key, r->keylen);
	if (form == VALUE_BYTES)
		o += value_member(buf + o, "value", v, *n);
	else {
		o += (size_t)sprintf(buf + o, ",\"value\":");
		memcpy(buf + o, v, *n);
		o += *n;
	}
	buf[o++] = '}';
	*n = o;
	return buf;
}

/* "fleet shardId-000000000001 4959...[:3]", naming a record. */
static void
where(struct kcat *c, const struct rec *r, char *buf, size_t n)
{
	if (r->sub >= 0)
		snprintf(buf, n, "%s %s %s:%ld", c->o.stream, r->s->id, r->seq,
		    r->sub);
	else
		snprintf(buf, n, "%s %s %s", c->o.stream, r->s->id, r->seq);
}

/* A line out, counted; -c is reached with it. */
static void
written(struct kcat *c, const char *line, size_t n)
{
	if (put_line(c, line, n) == -1)
		return;
	c->st.lines++;
	c->st.bytes += n + 1;
	if (c->o.count > 0 && c->st.lines >= c->o.count)
		c->done = 1;
}

/* One user record's line. */
static void
emit_value(struct kcat *c, const struct rec *r)
{
	char at[400], why[256];
	const char *v;
	enum value_form form;
	size_t n;

	where(c, r, at, sizeof(at));
	if ((v = value_render(&c->vb, r->data, r->len, c->o.raw,
	    c->o.envelope, at, &n, &form, why, sizeof(why))) != NULL &&
	    c->o.envelope && (v = envelope(c, r, v, &n, form)) == NULL)
		snprintf(why, sizeof(why), "no memory to render it");
	if (v == NULL) {
		tel_warnx("%s: %s; skipped", at, why);
		c->st.skipped++;
		return;
	}
	if (form == VALUE_ERROR && c->o.verbose >= 0)
		tel_warnx("%s: not JSON: invalid UTF-8; handed on as an error "
		    "line", at);
	written(c, v, n);
}

/* A corrupt aggregate: whole, as an error line, never in part. */
static void
emit_corrupt(struct kcat *c, struct rec *r, const char *why)
{
	char at[400], msg[700], *line;
	size_t n;

	where(c, r, at, sizeof(at));
	snprintf(msg, sizeof(msg), "%s: a corrupt KPL aggregate: %s", at, why);
	tel_warnx("%s; handed on as an error line", msg);
	c->st.errors++;
	if ((line = control_error("KPL.CorruptAggregate", msg, 0, r->data,
	    r->len, &n)) == NULL)
		err(1, NULL);
	written(c, line, n);
	free(line);
}

/*
 * The user records of an aggregate, each its own line.  -1 if -c or
 * stdout cut it short: then the record is not read (kept as read),
 * for the positions of an aggregate are those of the whole record.
 */
static int
emit_aggregate(struct kcat *c, struct rec *r)
{
	struct kpl_agg a;
	struct kpl_record k;
	struct rec u = *r;
	char why[256];
	size_t i, n;

	if (kpl_parse(&a, r->data, r->len, why, sizeof(why)) == -1) {
		emit_corrupt(c, r, why);
		return 0;
	}
	if ((n = kpl_count(&a)) == 0) {
		/* valid, but no producer writes one: never dropped unsaid */
		kpl_free(&a);
		emit_corrupt(c, r, "an aggregate of no user records");
		return 0;
	}
	for (i = 0; i < n && !c->done; i++) {
		kpl_get(&a, i, &k);
		u.sub = (long)i;
		u.key = k.pk;
		u.keylen = k.pklen;
		u.data = (const char *)k.data;
		u.len = k.datalen;
		emit_value(c, &u);
	}
	kpl_free(&a);
	return i < n ? -1 : 0;
}

/* The record's bytes, from the reply's base64. */
static int
decode_data(struct kcat *c, const char *b64, size_t *n)
{
	size_t len = strlen(b64), need = len / 4 * 3 + 3;

	if (need > c->datacap) {
		free(c->data);
		if ((c->data = malloc(need)) == NULL)
			err(1, NULL);
		c->datacap = need;
	}
	return base64_decode(b64, len, c->data, n);
}

void
emit_record(struct kcat *c, struct shard *s, const json_t *j)
{
	const json_t *t = json_object_get(j, "ApproximateArrivalTimestamp");
	const char *b64 = kinesis_str(j, "Data");
	struct rec r = { .s = s, .seq = kinesis_str(j, "SequenceNumber"),
	    .key = kinesis_str(j, "PartitionKey"), .sub = -1, .ts = -1 };

	if (r.seq == NULL || !seq_ok(r.seq) || r.key == NULL ||
	    b64 == NULL) {
		tel_warnx("%s %s: a record without its sequence number, "
		    "partition key or data; the reply is not Kinesis's",
		    c->o.stream, s->id);
		c->failed = c->done = 1;
		return;
	}
	r.keylen = strlen(r.key);
	if (json_is_number(t))
		r.ts = (int64_t)llround(json_number_value(t) * 1000.0);
	c->st.records++;
	if (decode_data(c, b64, &r.len) == -1) {
		r.data = b64;
		r.len = strlen(b64);
		emit_corrupt(c, &r, "its data is not base64");
	} else {
		r.data = c->data;
		if (kpl_is_aggregated(r.data, r.len)) {
			if (emit_aggregate(c, &r) == -1)
				return;
		} else
			emit_value(c, &r);
	}
	if (c->out_broken)
		return;
	snprintf(s->last, sizeof(s->last), "%s", r.seq);
	s->dirty = 1;
}
