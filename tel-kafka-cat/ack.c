/*
 * --ack, the Kafka side: what a checkpoint covers, the payload lib/ack.h
 * carries for it.  That is, for each partition with lines since the last
 * checkpoint, the next offset to commit; when checkpoints come back,
 * their offsets merged into one list to commit.
 */
#include <err.h>
#include <stdlib.h>

#include "cat.h"

/* A partition's next offset to commit: the last line's offset + 1. */
struct ack_pos {
	const char	*topic;		/* interned */
	int32_t		 partition;	/* -1: forgotten (revoked) */
	int64_t		 next;
};

struct covered {
	size_t		 n;
	struct ack_pos	 pos[];
};

/* A partition taken away, for forget_in. */
struct revoked {
	const char	*topic;		/* interned */
	int32_t		 partition;
};

/* How many partitions have lines since the last checkpoint. */
size_t
dirty_parts(const struct cat *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->nparts; i++)
		n += c->parts[i].dirty != 0;
	return n;
}

/*
 * What the next checkpoint covers: the n partitions with lines since the
 * last one, which from now on have none.
 */
void *
covered(struct cat *c, size_t n)
{
	struct covered *k;
	size_t i;

	if ((k = malloc(sizeof(*k) + n * sizeof(k->pos[0]))) == NULL)
		err(1, NULL);
	k->n = 0;
	for (i = 0; i < c->nparts && k->n < n; i++) {
		if (!c->parts[i].dirty)
			continue;
		k->pos[k->n].topic = c->parts[i].topic;
		k->pos[k->n].partition = c->parts[i].partition;
		k->pos[k->n++].next = c->parts[i].next;
		c->parts[i].dirty = 0;
	}
	return k;
}

/* ack_take's: a checkpoint back, its offsets into the list (the later wins). */
static void
merge(void *data, void *arg)
{
	rd_kafka_topic_partition_list_t **l = arg;
	rd_kafka_topic_partition_t *e;
	struct covered *k = data;
	size_t i;

	if (*l == NULL)
		*l = rd_kafka_topic_partition_list_new(16);
	for (i = 0; i < k->n; i++) {
		if (k->pos[i].partition == -1)
			continue;
		e = rd_kafka_topic_partition_list_find(*l, k->pos[i].topic,
		    k->pos[i].partition);
		if (e == NULL)
			e = rd_kafka_topic_partition_list_add(*l,
			    k->pos[i].topic, k->pos[i].partition);
		e->offset = k->pos[i].next;
	}
	free(k);
}

/*
 * The offsets of every checkpoint back since the last call, merged, or
 * NULL if none came back.
 */
rd_kafka_topic_partition_list_t *
take_returned(struct cat *c)
{
	rd_kafka_topic_partition_list_t *l = NULL;

	ack_take(&c->ack, merge, &l);
	return l;
}

/* ack_each's: a partition taken away, out of a checkpoint not yet back. */
static void
forget_in(void *data, void *arg)
{
	const struct revoked *r = arg;
	struct covered *k = data;
	size_t i;

	for (i = 0; i < k->n; i++) {
		if (k->pos[i].topic == r->topic &&
		    k->pos[i].partition == r->partition)
			k->pos[i].partition = -1;
	}
}

/* --ack: lines from partitions taken away are read again by their owner. */
void
forget(struct cat *c, const rd_kafka_topic_partition_list_t *l)
{
	struct revoked r;
	int i;

	for (i = 0; i < l->cnt; i++) {
		r.topic = intern(c, l->elems[i].topic);
		r.partition = l->elems[i].partition;
		ack_each(&c->ack, forget_in, &r);
	}
}
