/*
 * tel-kafka-cat: the partitions it holds and the offsets it stores.
 * Without --ack an offset is stored once its line is written out; with
 * it, a partition's position is only noted, for the next checkpoint
 * (checkpoint.c).  Also each partition's lag, for --metrics.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "cat.h"
#include "clock.h"

/* Topic names live as long as the run, so pointers can be compared. */
const char *
intern(struct cat *c, const char *name)
{
	char **p;
	size_t i;

	for (i = 0; i < c->nnames; i++) {
		if (strcmp(c->names[i], name) == 0)
			return c->names[i];
	}
	if ((p = realloc(c->names, (c->nnames + 1) * sizeof(*p))) == NULL ||
	    (p[c->nnames] = strdup(name)) == NULL)
		err(1, NULL);
	c->names = p;
	return c->names[c->nnames++];
}

struct part *
find_part(struct cat *c, const char *topic, int32_t partition)
{
	size_t i;

	for (i = 0; i < c->nparts; i++) {
		if (c->parts[i].topic == topic &&
		    c->parts[i].partition == partition)
			return &c->parts[i];
	}
	return NULL;
}

void
track_add(struct cat *c, const rd_kafka_topic_partition_list_t *l)
{
	const char *t;
	int i;

	for (i = 0; i < l->cnt; i++) {
		t = intern(c, l->elems[i].topic);
		if (find_part(c, t, l->elems[i].partition) != NULL)
			continue;
		if (c->nparts == c->capparts) {
			c->capparts = c->capparts ? 2 * c->capparts : 16;
			c->parts = reallocarray(c->parts, c->capparts,
			    sizeof(*c->parts));
			if (c->parts == NULL)
				err(1, NULL);
		}
		memset(&c->parts[c->nparts], 0, sizeof(c->parts[0]));
		c->parts[c->nparts].topic = t;
		c->parts[c->nparts].partition = l->elems[i].partition;
		c->parts[c->nparts++].pos = -1;
	}
	c->assigned = 1;
}

void
track_remove(struct cat *c, const rd_kafka_topic_partition_list_t *l)
{
	struct part *p;
	int i;

	for (i = 0; i < l->cnt; i++) {
		p = find_part(c, intern(c, l->elems[i].topic),
		    l->elems[i].partition);
		if (p != NULL)
			*p = c->parts[--c->nparts];
	}
}

/*
 * -e: done once every assigned partition sits at its end.  A member the
 * group gives nothing waits for the group to settle first: cooperative
 * rebalancing hands out partitions in a second round.
 */
void
check_done(struct cat *c)
{
	int64_t quiet = tel_mono_ms() - c->rebalanced;
	size_t i;

	if (!c->o.exit_eof || !c->assigned)
		return;
	for (i = 0; i < c->nparts; i++) {
		if (!c->parts[i].eof)
			return;
	}
	if (c->o.group != NULL && quiet < (c->nparts == 0 ? SETTLE_MS :
	    c->coop ? SETTLE_MS / 3 : 0))
		return;
	c->done = 1;
}

/* Remembers that a line for this message sits in the output buffer. */
static void
pend_add(struct cat *c, const char *topic, int32_t partition, int64_t off)
{
	struct pend *p = c->npend ? &c->pend[c->npend - 1] : NULL;

	if (p != NULL && p->topic == topic && p->partition == partition) {
		p->next = off + 1;
		return;
	}
	if (c->npend == c->cappend) {
		c->cappend = c->cappend ? 2 * c->cappend : 64;
		if ((c->pend = reallocarray(c->pend, c->cappend,
		    sizeof(*c->pend))) == NULL)
			err(1, NULL);
	}
	c->pend[c->npend].topic = topic;
	c->pend[c->npend].partition = partition;
	c->pend[c->npend++].next = off + 1;
}

/* Stores the offsets of lines now written; later entries win. */
static void
store_pending(struct cat *c)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_topic_partition_t *e;
	rd_kafka_resp_err_t r;
	size_t i;

	if (c->npend == 0)
		return;
	if (c->o.group == NULL) {
		c->npend = 0;
		return;
	}
	l = rd_kafka_topic_partition_list_new((int)c->npend);
	for (i = 0; i < c->npend; i++) {
		e = rd_kafka_topic_partition_list_find(l, c->pend[i].topic,
		    c->pend[i].partition);
		if (e == NULL)
			e = rd_kafka_topic_partition_list_add(l,
			    c->pend[i].topic, c->pend[i].partition);
		e->offset = c->pend[i].next;
	}
	c->npend = 0;
	r = rd_kafka_offsets_store(c->rk, l);
	if (r != RD_KAFKA_RESP_ERR_NO_ERROR && c->o.k.verbose > 0)
		warnx("storing offsets: %s", rd_kafka_err2str(r));
	rd_kafka_topic_partition_list_destroy(l);
}

/*
 * Writes out the buffered lines, then stores their offsets.  On a write
 * error nothing more is stored: those lines may not have been written.
 */
int
flush_out(struct cat *c)
{
	if (c->out_broken || c->out_closed)
		return -1;
	if (ndjson_flush(&c->out) == -1) {
		warn("stdout");
		c->out_broken = 1;
		c->failed = 1;
		c->npend = 0;
		*c->stop = 1;
		return -1;
	}
	store_pending(c);
	return 0;
}

/*
 * A message is dealt with: its offset is stored once its line is out
 * (pend_add), or with --ack noted for the next checkpoint.  A message of
 * a partition no longer held is read again by its owner.
 */
void
advance(struct cat *c, struct part *p, const char *topic, int32_t partition,
    int64_t off)
{
	if (p != NULL)
		p->pos = off + 1;
	if (!c->acking) {
		pend_add(c, topic, partition, off);
		return;
	}
	if (p != NULL) {
		p->next = off + 1;
		p->dirty = 1;
	}
}

/* Buffers a line; -1 if stdout broke (then nothing more is stored). */
int
put_line(struct cat *c, const char *v, size_t n)
{
	if (c->out.len + n + 1 > c->out.cap && flush_out(c) == -1)
		return -1;
	if (ndjson_put_line(&c->out, v, n) == -1) {
		warn("stdout");
		c->out_broken = c->failed = 1;
		c->npend = 0;
		*c->stop = 1;
		return -1;
	}
	return 0;
}

/*
 * Each partition's lag behind its high watermark, as the last fetch saw
 * it (no request), for --metrics: worked out here because the metrics
 * are also written after the client is gone.
 */
void
update_lag(struct cat *c)
{
	const struct part *p;
	int64_t lo, hi, now;
	size_t i;

	if (c->metrics.file == NULL || c->nparts == 0 ||
	    (now = tel_mono_ms()) - c->lag_at < 500)
		return;
	c->lag_at = now;
	free(c->lags);
	if ((c->lags = calloc(c->nparts, sizeof(*c->lags))) == NULL)
		err(1, NULL);
	for (c->nlags = 0, i = 0; i < c->nparts; i++) {
		p = &c->parts[i];
		if (p->pos < 0 || rd_kafka_get_watermark_offsets(c->rk,
		    p->topic, p->partition, &lo, &hi) != 0 || hi < 0)
			continue;	/* nothing read yet: unknown */
		c->lags[c->nlags].topic = p->topic;
		c->lags[c->nlags].partition = p->partition;
		c->lags[c->nlags++].lag = hi > p->pos ? hi - p->pos : 0;
	}
}

/* --metrics: tel_kafka_cat_lag{topic,partition}, one a partition. */
void
put_lag(const struct metrics *m, FILE *fp, void *arg)
{
	const struct cat *c = arg;
	char labels[512], v[32];
	size_t i;

	for (i = 0; i < c->nlags; i++) {
		if (i == 0)
			metrics_put_header(m, fp, "lag", "", "gauge",
			    "Messages behind the high watermark, per partition.");
		snprintf(labels, sizeof(labels), "topic=\"%s\",partition=\"%d\"",
		    c->lags[i].topic, (int)c->lags[i].partition);
		snprintf(v, sizeof(v), "%lld", (long long)c->lags[i].lag);
		metrics_put_sample(m, fp, "lag", "", labels, v);
	}
}
