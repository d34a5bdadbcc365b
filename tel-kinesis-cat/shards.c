/*
 * tel-kinesis-cat: the stream's shards.  ListShards, page by page; a
 * shard may be read once its parents have been read to their end (or are
 * gone: past the retention period), so that a partition key's records
 * come out in order across a split or a merge.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "diag.h"
#include "kcat.h"

#define RELIST_BASE_MS	200
#define RELIST_CAP_MS	10000

struct shard *
find_shard(struct kcat *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->nsh; i++)
		if (strcmp(c->sh[i].id, id) == 0)
			return &c->sh[i];
	return NULL;
}

struct shard *
add_shard(struct kcat *c, const char *id)
{
	struct shard *s;

	if ((s = find_shard(c, id)) != NULL)
		return s;
	if (c->nsh == c->cap) {
		size_t n = c->cap ? 2 * c->cap : 16;

		if ((s = reallocarray(c->sh, n, sizeof(*s))) == NULL)
			err(1, NULL);
		c->sh = s;
		c->cap = n;
	}
	s = &c->sh[c->nsh++];
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	return s;
}

/*
 * What the service's shard ids and sequence numbers are made of: they go
 * into lines and the state file as they are, so nothing else may pass.
 */
int
shard_id_ok(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n < SHARD_ID_MAX && strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

int
seq_ok(const char *seq)
{
	size_t n = strlen(seq);

	return n > 0 && n < SEQ_MAX && strspn(seq, "0123456789") == n;
}

/* One listed shard into the table. */
static int
take_shard(struct kcat *c, const json_t *j, int first)
{
	const char *id = kinesis_str(j, "ShardId"), *p;
	const json_t *r = json_object_get(j, "SequenceNumberRange");
	struct shard *s;
	int fresh;

	if (id == NULL || !shard_id_ok(id))
		return -1;
	fresh = find_shard(c, id) == NULL;
	s = add_shard(c, id);
	s->seen = c->list_gen;
	if (fresh && !first)
		s->late = 1;	/* born during the run: from its start */
	p = kinesis_str(j, "ParentShardId");
	snprintf(s->parent, sizeof(s->parent), "%s", p && shard_id_ok(p) ?
	    p : "");
	p = kinesis_str(j, "AdjacentParentShardId");
	snprintf(s->adjacent, sizeof(s->adjacent), "%s", p && shard_id_ok(p) ?
	    p : "");
	s->closed = kinesis_str(r, "EndingSequenceNumber") != NULL;
	if (fresh && c->o.verbose > 0)
		tel_warnx("%s: shard %s%s%s", c->o.stream, id,
		    s->parent[0] ? ", child of " : "", s->parent);
	return 0;
}

/*
 * One page of ListShards: its shards, and the token for the next.  0, or
 * 1 when no answer came (try later), or -1 when the answer was no.
 */
static int
list_page(struct kcat *c, const char *token, char **next, int first,
    unsigned attempts)
{
	enum kinesis_verdict v;
	struct kinesis_reply r;
	json_t *q, *a;
	char *body, why[512];
	const char *t;
	size_t i;
	int rc = -1;

	q = token ? json_pack("{ss}", "NextToken", token) :
	    json_pack("{ss}", "StreamName", c->o.stream);
	if (q == NULL || (body = json_dumps(q, JSON_COMPACT)) == NULL)
		err(1, NULL);
	json_decref(q);
	memset(&r, 0, sizeof(r));
	c->st.calls++;
	if ((v = kinesis_do(&c->conn, "ListShards", body, strlen(body),
	    attempts, &r)) != KINESIS_OK) {
		kinesis_reply_describe(&r, why, sizeof(why));
		if (v == KINESIS_RETRY)
			rc = 1;
		if (v != KINESIS_RETRY || c->o.verbose >= 0)
			tel_warnx("%s: listing shards: %s", c->o.stream, why);
		goto out;
	}
	a = json_object_get(r.json, "Shards");
	for (i = 0; i < json_array_size(a); i++)
		if (take_shard(c, json_array_get(a, i), first) == -1) {
			tel_warnx("%s: listing shards: a shard without an id",
			    c->o.stream);
			goto out;
		}
	t = kinesis_str(r.json, "NextToken");
	if ((*next = t ? strdup(t) : NULL) == NULL && t != NULL)
		err(1, NULL);
	rc = 0;
out:
	kinesis_reply_free(&r);
	free(body);
	return rc;
}

/*
 * Lists every shard (a stream may have thousands: pages), each call
 * tried attempts times (0: kinesis_do's default).  Which shards are
 * listed changes only once every page came: a shard no longer listed is
 * past the retention period, and forgotten.  0, 1 (no answer: try
 * later) or -1 (refused).
 */
int
list_shards(struct kcat *c, unsigned attempts)
{
	char *token = NULL, *next;
	size_t i;
	int first = !c->listed_once, rc;

	c->list_gen++;
	do {
		next = NULL;
		rc = list_page(c, token, &next, first, attempts);
		free(token);
		if (rc != 0)
			return rc;
		token = next;
	} while (token != NULL);
	for (i = 0; i < c->nsh; i++)
		c->sh[i].listed = c->sh[i].seen == c->list_gen;
	c->listed_once = 1;
	c->st.shards = c->nsh;
	c->relist = 0;
	return 0;
}

/*
 * Lists the shards again, once they are due (a shard ended, or -e is
 * about to stop), with one try per page: while the server does not
 * answer, the shards already known are read on and the listing is tried
 * again later, backing off.  0 listed, 1 not now, -1 refused.
 */
int
relist_shards(struct kcat *c)
{
	int64_t now = tel_mono_ms();
	int rc;

	if (now < c->relist_at)
		return 1;
	if ((rc = list_shards(c, 1)) == 1) {
		c->relist = 1;
		c->relist_fails++;
		c->relist_at = now + kinesis_backoff_ms(&c->conn,
		    c->relist_fails, RELIST_BASE_MS, RELIST_CAP_MS);
	} else
		c->relist_fails = 0;
	return rc;
}

/* A parent no longer blocks: read to its end here, or gone. */
static int
parent_done(struct kcat *c, const char *id)
{
	const struct shard *p;

	if (*id == '\0' || (p = find_shard(c, id)) == NULL || !p->listed)
		return 1;
	return p->ended || p->kept_ended;
}

int
readable(struct kcat *c, const struct shard *s)
{
	return s->listed && !s->ended && !s->kept_ended &&
	    parent_done(c, s->parent) && parent_done(c, s->adjacent);
}

/*
 * -e: done when every open shard that can be read is caught up (0 ms
 * behind the tip) and every other one has ended or waits on such a
 * parent.  A closed shard is done only once read to its end: 0 ms behind
 * says nothing of it, and its children wait for it.
 */
int
all_caught_up(struct kcat *c)
{
	size_t i;

	for (i = 0; i < c->nsh; i++) {
		const struct shard *s = &c->sh[i];

		if (readable(c, s) && (s->closed || !s->caught_up))
			return 0;
	}
	return 1;
}
