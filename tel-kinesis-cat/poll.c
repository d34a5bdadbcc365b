/*
 * tel-kinesis-cat: reading one shard.  An iterator from where the shard
 * was left (the state, or the last record written), else from -o; then
 * GetRecords, at most five calls a second per shard (the service's
 * limit), once per --poll-interval when caught up, with full-jitter
 * back-off when throttled.  An iterator lasts five minutes: an expired
 * one is fetched again from the last record written.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "diag.h"
#include "kcat.h"

#define CALL_GAP_MS	200	/* 5 GetRecords calls a second per shard */
#define BACKOFF_BASE_MS	200
#define BACKOFF_CAP_MS	10000

/*
 * -o end, a shard with no record read yet: LATEST the first time; after
 * that (the iterator expired) from the time of that first one, less a
 * second for the clocks, so nothing that came since is skipped.
 */
static json_t *
latest_request(const struct kcat *c, struct shard *s)
{
	if (s->latest_ms == 0) {
		s->latest_ms = tel_now_ms() - 1000;
		return json_pack("{ss ss ss}", "StreamName", c->o.stream,
		    "ShardId", s->id, "ShardIteratorType", "LATEST");
	}
	return json_pack("{ss ss ss sf}", "StreamName", c->o.stream,
	    "ShardId", s->id, "ShardIteratorType", "AT_TIMESTAMP",
	    "Timestamp", (double)s->latest_ms / 1000.0);
}

/* The GetShardIterator request for s, by how far it was read. */
static json_t *
iterator_request(const struct kcat *c, struct shard *s)
{
	const char *pos = s->last[0] ? s->last : s->kept;

	if (*pos != '\0')
		return json_pack("{ss ss ss ss}", "StreamName", c->o.stream,
		    "ShardId", s->id, "ShardIteratorType",
		    "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber", pos);
	if (s->late || c->o.start == START_BEGINNING)
		return json_pack("{ss ss ss}", "StreamName", c->o.stream,
		    "ShardId", s->id, "ShardIteratorType", "TRIM_HORIZON");
	if (c->o.start == START_END)
		return latest_request(c, s);
	return json_pack("{ss ss ss sf}", "StreamName", c->o.stream,
	    "ShardId", s->id, "ShardIteratorType", "AT_TIMESTAMP",
	    "Timestamp", (double)c->o.since_ms / 1000.0);
}

/* Waits before s's next call: longer each time in a row it failed. */
static void
back_off(struct kcat *c, struct shard *s, const struct kinesis_reply *r,
    const char *op)
{
	char why[512];
	int64_t d;

	s->fails++;
	d = kinesis_backoff_ms(&c->conn, s->fails, BACKOFF_BASE_MS,
	    BACKOFF_CAP_MS);
	s->next_at = tel_mono_ms() + d;
	if (strcmp(r->type, "ProvisionedThroughputExceededException") == 0) {
		c->st.throttled++;
		if (c->o.verbose < 1)
			return;
	} else if (c->o.verbose < 0)
		return;
	kinesis_reply_describe(r, why, sizeof(why));
	tel_warnx("%s %s: %s: %s; again in %lld ms", c->o.stream, s->id, op,
	    why, (long long)d);
}

/* A failure no retry mends (no such stream, no permission): the end. */
static void
give_up(struct kcat *c, struct shard *s, const struct kinesis_reply *r,
    const char *op)
{
	char why[512];

	kinesis_reply_describe(r, why, sizeof(why));
	tel_warnx("%s %s: %s: %s", c->o.stream, s->id, op, why);
	c->failed = 1;
	c->done = 1;
}

static int
get_iterator(struct kcat *c, struct shard *s)
{
	struct kinesis_reply r;
	json_t *q;
	char *body;
	const char *it;
	int rc = -1;

	if ((q = iterator_request(c, s)) == NULL ||
	    (body = json_dumps(q, JSON_COMPACT)) == NULL)
		err(1, NULL);
	json_decref(q);
	memset(&r, 0, sizeof(r));
	c->st.calls++;
	switch (kinesis_call(&c->conn, "GetShardIterator", body, strlen(body),
	    &r)) {
	case KINESIS_OK:
		if ((it = kinesis_str(r.json, "ShardIterator")) == NULL) {
			s->ended = s->dirty = 1;	/* nothing left in it */
			c->relist = 1;
		} else if ((s->iter = strdup(it)) == NULL)
			err(1, NULL);
		rc = 0;
		break;
	case KINESIS_RETRY:
		back_off(c, s, &r, "GetShardIterator");
		break;
	case KINESIS_FAIL:
		give_up(c, s, &r, "GetShardIterator");
		break;
	}
	kinesis_reply_free(&r);
	free(body);
	return rc;
}

/* A reply's records, in order, then where the shard stands. */
static void
take_records(struct kcat *c, struct shard *s, const json_t *j)
{
	const json_t *a = json_object_get(j, "Records");
	const json_t *b = json_object_get(j, "MillisBehindLatest");
	const char *next = kinesis_str(j, "NextShardIterator");
	size_t i, n = json_array_size(a);

	for (i = 0; i < n && !c->done; i++)
		emit_record(c, s, json_array_get(a, i));
	if (c->done)
		return;
	free(s->iter);
	s->iter = NULL;
	if (next == NULL) {
		s->ended = 1;	/* a closed shard, read to its end */
		s->dirty = 1;	/* which a checkpoint carries */
		c->relist = 1;	/* its children may be read now */
		if (c->o.verbose > 0)
			tel_warnx("%s %s: read to its end", c->o.stream, s->id);
	} else if ((s->iter = strdup(next)) == NULL)
		err(1, NULL);
	s->behind_ms = json_is_integer(b) && json_integer_value(b) > 0 ?
	    (uint64_t)json_integer_value(b) : 0;
	s->caught_up = s->behind_ms == 0 && n < KINESIS_GET_RECORDS_MAX;
	s->next_at = tel_mono_ms() + (int64_t)(s->caught_up && n == 0 ?
	    c->o.poll_ms : CALL_GAP_MS);
}

static void
get_records(struct kcat *c, struct shard *s)
{
	struct kinesis_reply r;
	json_t *q;
	char *body;

	if ((q = json_pack("{ss}", "ShardIterator", s->iter)) == NULL ||
	    (body = json_dumps(q, JSON_COMPACT)) == NULL)
		err(1, NULL);
	json_decref(q);
	memset(&r, 0, sizeof(r));
	c->st.calls++;
	switch (kinesis_call(&c->conn, "GetRecords", body, strlen(body), &r)) {
	case KINESIS_OK:
		s->fails = 0;
		take_records(c, s, r.json);
		break;
	case KINESIS_RETRY:
		back_off(c, s, &r, "GetRecords");
		break;
	case KINESIS_FAIL:
		if (strcmp(r.type, "ExpiredIteratorException") == 0) {
			free(s->iter);	/* again from the last record */
			s->iter = NULL;
			break;
		}
		give_up(c, s, &r, "GetRecords");
		break;
	}
	kinesis_reply_free(&r);
	free(body);
}

void
poll_shard(struct kcat *c, struct shard *s)
{
	if (s->iter == NULL && get_iterator(c, s) == -1)
		return;
	if (s->iter != NULL)
		get_records(c, s);
}
