/*
 * tel-kinesis-put's parts: the input side (main thread: lines read,
 * checked and sorted into per-lane batches), the batches themselves,
 * and the lanes (one thread each, one PutRecords call in flight each).
 * See tel-kinesis-put(1).
 */
#ifndef KPUT_H
#define KPUT_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "kinesis.h"
#include "metrics.h"
#include "ndjson.h"
#include "prng.h"

#define KPUT_LANES_MAX		64
#define KPUT_LINGER_MS		50	/* the longest a record waits for input */
#define KPUT_HASH_KEY_MAX	39	/* digits of 2^128 - 1 */
#define KPUT_WHY_MAX		200	/* a record's last error, for its report */
#define KPUT_REPORT_MAX		10	/* delivery failures named one by one */

struct kput_opts {
	struct kinesis_opts	 k;
	const char		*stream, *key_field, *hash_field;
	uint64_t		 flush_ms, retry_ms, max_line;
	unsigned		 lanes;
	int			 validate, verbose;
};

/* The counters of the summary and --metrics, under kput.mu. */
struct kput_stats {
	uint64_t	read, put, rejected, failed, unsent, empty, unkeyed;
	uint64_t	retried, throttled, calls, call_errors, bytes;
	uint64_t	in_flight;	/* a gauge: records in calls now */
};

/* A record: its data in the batch's buffer, then its keys. */
struct krec {
	size_t		 off;
	uint32_t	 len;		/* data, at most KINESIS_RECORD_MAX */
	uint16_t	 klen;		/* partition key, bytes */
	uint8_t		 hlen;		/* explicit hash key digits, or 0 */
	uint64_t	 lineno;
};

struct kbatch {
	struct krec	*r;
	size_t		 n;
	char		*buf;
	size_t		 used, cap;
	size_t		 bytes;		/* data and keys: what the limit counts */
	int64_t		 since;		/* monotonic ms of its first record */
};

struct kput;

struct lane {
	struct kput		*p;
	unsigned		 id;
	pthread_t		 tid;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cond;
	struct kbatch		*next;		/* handed over, not yet taken */
	struct kbatch		*spare;		/* sent, kept for reuse */
	int			 closing, done;
	struct kbatch		*fill;		/* the main thread's alone */
	/* the lane thread's alone: */
	struct kinesis_conn	 conn;
	char			*body;
	size_t			 bodycap;
	uint32_t		*todo;		/* records still to store */
	size_t			 ntodo;
	uint32_t		*gone;		/* refused for good this attempt */
	size_t			 ngone;
	char			(*why)[KPUT_WHY_MAX];
};

struct kput {
	struct kput_opts	 o;
	struct kinesis		 k;
	struct lane		*lanes;
	struct kput_stats	 st;
	pthread_mutex_t		 mu;		/* st, read by the metrics too */
	pthread_mutex_t		 out_mu;	/* stdout and failure reports */
	struct ndjson_writer	 out;
	struct metrics		 metrics;
	char			*stream_json;	/* "StreamName":"..." */
	size_t			 stream_json_len;
	uint64_t		 reported;	/* failures named, under out_mu */
	int			 out_failed;	/* stdout broke: lines lost */
	int			 read_failed;	/* stdin broke: input cut short */
	volatile sig_atomic_t	 abandon;	/* --flush-timeout is over */
};

extern volatile sig_atomic_t kput_stop;	/* signals seen */

/* batch.c */
struct kbatch	*kbatch_new(void);
void		 kbatch_free(struct kbatch *);
void		 kbatch_clear(struct kbatch *);
int		 kbatch_fits(const struct kbatch *, size_t);
int		 kbatch_add(struct kbatch *, const char *, size_t, const char *,
		    size_t, const char *, size_t, uint64_t);
int		 kbatch_merge(struct kbatch *, const struct kbatch *);
const char	*kbatch_data(const struct kbatch *, const struct krec *);
int		 kput_body(struct lane *, const struct kbatch *, size_t *);

/* lane.c */
int	lanes_start(struct kput *);
void	lanes_finish(struct kput *);
int	lane_handoff(struct lane *, int);
void	kput_give_back(struct kput *, const char *, size_t);
void	kput_deadline(struct kput *);

/* input.c */
void	kput_input(struct kput *, struct ndjson_reader *);

#endif
