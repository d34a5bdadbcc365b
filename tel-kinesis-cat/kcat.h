/*
 * tel-kinesis-cat: Kinesis records as NDJSON lines, every shard of a
 * stream, parents before children, at least once.
 *
 *	tel-kinesis-cat.c	options, the loop, the end of a run
 *	shards.c		the stream's shards: listing, who may be read
 *	poll.c			GetShardIterator, GetRecords, back-off
 *	emit.c			a record as its line(s): KPL, -E, --raw
 *	state.c			-G: positions in a state file, locked
 *	checkpoint.c		--ack: positions kept once they come back
 */
#ifndef KINESIS_CAT_H
#define KINESIS_CAT_H

#include <signal.h>
#include <stdint.h>

#include "ack.h"
#include "kinesis.h"
#include "metrics.h"
#include "ndjson.h"
#include "value.h"

#define SHARD_ID_MAX	128
#define SEQ_MAX		130	/* sequence numbers: up to 128 digits */

enum start { START_BEGINNING, START_END, START_TIME };

struct opts {
	const char		*stream;
	const char		*group;		/* -G: positions kept */
	const char		*state_dir;
	const char		*ack;		/* --ack FILE */
	enum start		 start;
	int64_t			 since_ms;	/* -o s@TIME */
	uint64_t		 count;		/* -c */
	uint64_t		 poll_ms;	/* --poll-interval */
	uint64_t		 ack_ms, checkpoint_ms;
	int			 envelope, raw, exit_eof;
	int			 verbose;	/* -1 with -q */
	struct kinesis_opts	 k;
};

/* A shard as listed, and how far it has been read. */
struct shard {
	char		 id[SHARD_ID_MAX];
	char		 parent[SHARD_ID_MAX];	/* "" if none */
	char		 adjacent[SHARD_ID_MAX];
	char		 last[SEQ_MAX];		/* last record written */
	char		 kept[SEQ_MAX];		/* last record kept (state) */
	char		*iter;			/* NULL: get one */
	int		 listed;		/* in the last ListShards */
	unsigned	 seen;			/* listing that last saw it */
	int		 closed;		/* has an ending sequence number */
	int		 ended;			/* read to its end */
	int		 kept_ended;		/* ended, and that kept */
	int		 dirty;			/* written since checkpoint */
	int		 caught_up;		/* last reply: 0 ms behind */
	int		 late;			/* appeared after the start */
	int64_t		 next_at;		/* monotonic ms, next call */
	unsigned	 fails;			/* in a row, for back-off */
	uint64_t	 behind_ms;		/* MillisBehindLatest */
	int64_t		 latest_ms;		/* -o end: when, wall ms */
};

struct stats {
	uint64_t	 records, lines, bytes, skipped, errors;
	uint64_t	 calls, throttled, shards, saves;
};

struct kcat {
	struct opts		 o;
	struct kinesis		 k;
	struct kinesis_conn	 conn;
	struct shard		*sh;
	size_t			 nsh, cap;
	struct ndjson_writer	 out;
	struct value_buf	 vb, env;
	char			*data;		/* a record's bytes */
	size_t			 datacap;
	struct ack		 ack;
	int			 acking;
	int64_t			 last_checkpoint, last_save;
	int			 ack_warned;
	int			 lockfd;		/* -G: the state's lock */
	char			*state_path;
	struct metrics		 metrics;
	struct stats		 st;
	uint64_t		 max_behind_ms;
	volatile sig_atomic_t	*stop, *signals;
	int			 relist;	/* a shard ended: list again */
	unsigned		 list_gen;	/* listings begun */
	unsigned		 relist_fails;	/* in a row */
	int64_t			 relist_at;	/* monotonic ms */
	int			 listed_once;
	int			 done, failed, out_broken, out_closed;
};

/* shards.c */
int		 shard_id_ok(const char *);
int		 seq_ok(const char *);
int		 list_shards(struct kcat *, unsigned);
int		 relist_shards(struct kcat *);
struct shard	*find_shard(struct kcat *, const char *);
struct shard	*add_shard(struct kcat *, const char *);
int		 readable(struct kcat *, const struct shard *);
int		 all_caught_up(struct kcat *);

/* poll.c */
void		 poll_shard(struct kcat *, struct shard *);

/* emit.c */
void		 emit_record(struct kcat *, struct shard *, const json_t *);
int		 put_line(struct kcat *, const char *, size_t);
void		 flush_out(struct kcat *);

/* state.c */
int		 state_open(struct kcat *);
int		 state_save(struct kcat *);
void		 state_close(struct kcat *);

/* checkpoint.c */
void		 tick_ack(struct kcat *);
void		 ack_finish(struct kcat *);
void		 keep_written(struct kcat *);
void		 free_payload(void *);

#endif
