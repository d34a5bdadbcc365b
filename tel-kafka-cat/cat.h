/*
 * tel-kafka-cat's state, shared by its files:
 *
 *	tel-kafka-cat.c	options, signals, the consuming loop, main
 *	client.c	the Kafka client: setup, callbacks, assignment, close
 *	offsets.c	partitions held, offsets stored, lag
 *	render.c	a message as its line
 *	checkpoint.c	--ack: checkpoints out, commits for those back
 *	ack.c		--ack: the offsets a checkpoint covers (lib/ack.c
 *			reads the checkpoints back)
 */
#ifndef KCAT_CAT_H
#define KCAT_CAT_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <librdkafka/rdkafka.h>

#include "ack.h"
#include "kafka.h"
#include "metrics.h"
#include "ndjson.h"
#include "value.h"

#define MAX_TOPICS	64
#define SETTLE_MS	3000	/* -G -e: no rebalance for this long */

struct opts {
	struct kafka_opts	 k;
	const char		*topics[MAX_TOPICS];
	size_t			 ntopics;
	const char		*group;
	int64_t			 offset;	/* RD_KAFKA_OFFSET_* or >= 0 */
	int64_t			 since;		/* s@TIME in ms, or -1 */
	int32_t			 partition;	/* -p, or -1 for all */
	uint64_t		 count, close_ms;
	const char		*ack;		/* --ack FILE */
	uint64_t		 ack_ms, checkpoint_ms;
	int			 exit_eof, envelope, raw, offset_given;
};

struct part {
	const char	*topic;		/* interned */
	int32_t		 partition;
	int		 eof;
	int		 dirty;		/* --ack: lines since the checkpoint */
	int64_t		 next;		/* --ack: last line's offset + 1 */
	int64_t		 pos;		/* last message's offset + 1, or -1 */
};

/* A partition's lag behind its high watermark, as last seen. */
struct lag {
	const char	*topic;		/* interned */
	int32_t		 partition;
	int64_t		 lag;
};

struct pend {
	const char	*topic;
	int32_t		 partition;
	int64_t		 next;		/* offset to store: last written + 1 */
};

struct stats {
	uint64_t	messages, lines, skipped, bytes, eofs;
	int64_t		began;
};

struct cat {
	struct opts		 o;
	rd_kafka_t		*rk;
	struct ndjson_writer	 out;
	struct value_buf	 vb, env;	/* rendered value, envelope */
	struct part		*parts;		/* the current assignment */
	size_t			 nparts, capparts;
	struct pend		*pend;		/* buffered, not yet stored */
	size_t			 npend, cappend;
	char			**names;	/* interned topic names */
	size_t			 nnames;
	struct stats		 st;
	struct metrics		 metrics;
	int			 assigned;	/* an assignment has been seen */
	int			 coop;		/* cooperative rebalancing */
	int64_t			 rebalanced;	/* when, monotonic ms */
	uint64_t		 maxparts;	/* most partitions held */
	int64_t			 assign_ms;	/* -G -e: give up unassigned */
	int			 done, failed, out_broken;
	int			 closing;	/* the final commit is under way */
	struct ack		 ack;		/* --ack */
	int			 acking, out_closed, ack_warned;
	int64_t			 last_checkpoint;	/* monotonic ms */
	struct lag		*lags;		/* --metrics, kept past a revoke */
	size_t			 nlags;
	int64_t			 lag_at;	/* when, monotonic ms */
	volatile sig_atomic_t	*stop;		/* set: stop consuming */
	volatile sig_atomic_t	*signals;	/* SIGINT and SIGTERM seen */
};

/* client.c */
void		 setup(struct cat *);
void		 finish(struct cat *);

/* offsets.c */
const char	*intern(struct cat *, const char *);
struct part	*find_part(struct cat *, const char *, int32_t);
void		 track_add(struct cat *, const rd_kafka_topic_partition_list_t *);
void		 track_remove(struct cat *,
		    const rd_kafka_topic_partition_list_t *);
void		 check_done(struct cat *);
void		 advance(struct cat *, struct part *, const char *, int32_t,
		    int64_t);
int		 flush_out(struct cat *);
int		 put_line(struct cat *, const char *, size_t);
void		 update_lag(struct cat *);
void		 put_lag(const struct metrics *, FILE *, void *);

/* render.c */
void		 emit(struct cat *, const rd_kafka_message_t *);

/* ack.c */
size_t		 dirty_parts(const struct cat *);
void		*covered(struct cat *, size_t);
rd_kafka_topic_partition_list_t *take_returned(struct cat *);
void		 forget(struct cat *, const rd_kafka_topic_partition_list_t *);

/* checkpoint.c */
void		 tick_ack(struct cat *);
void		 commit_returned(struct cat *);
void		 ack_finish(struct cat *);

#endif
