/*
 * --ack: checkpoints written into the output, and read back from FILE
 * once the last stage has made everything before them safe.  A thread
 * reads FILE, so that reading it never waits on writing stdout, nor the
 * reverse; the main thread keeps, for each checkpoint not yet back, the
 * offsets it covers, and commits them when it comes back.
 */
#ifndef KCAT_ACK_H
#define KCAT_ACK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "ndjson.h"

/* A partition's next offset to commit: the last line's offset + 1. */
struct ack_pos {
	const char	*topic;		/* interned by the caller */
	int32_t		 partition;	/* -1: forgotten (revoked) */
	int64_t		 next;
};

struct ack_snap {
	uint64_t	 seq;
	int64_t		 at;		/* monotonic ms, when written */
	struct ack_pos	*pos;
	size_t		 npos;
};

enum { ACK_OPEN, ACK_CLOSED, ACK_FAILED };

struct ack {
	const char		*path;
	int			 fd, follow;	/* follow: a regular file */
	uint64_t		 run;		/* this run's id */
	uint64_t		 seq;		/* the last checkpoint written */
	uint64_t		 applied;	/* the last one committed */
	struct ack_snap		*q;		/* written, not yet back */
	size_t			 head, n, cap;
	uint64_t		 sent, returned, age_s;	/* metrics */
	_Atomic uint64_t	 back;		/* the reader's latest */
	_Atomic int		 state, stop;	/* ACK_*; the reader stops */
	int			 error;		/* errno, for ACK_FAILED */
	struct ndjson_reader	 r;
	pthread_t		 thread;
	int			 started;
};

/*
 * Opens FILE without waiting for its writer (a FIFO's writer, blocked in
 * its open, goes on).  -1 with errno.
 */
int	ack_open(struct ack *, const char *);

/* Starts the reader thread; -1 if it could not. */
int	ack_start(struct ack *);

/* Stops the reader thread and frees everything. */
void	ack_free(struct ack *);

/*
 * Records a checkpoint covering pos[0..n) and writes its line (no
 * newline, "flush" if set) into line, CONTROL_CHECKPOINT_MAX bytes, at
 * monotonic time now; returns the length,
 * 0 with errno if out of memory.
 */
size_t	ack_checkpoint(struct ack *, const struct ack_pos *, size_t, char *,
	    int64_t, int);

/*
 * The offsets of every checkpoint back since the last call, merged (the
 * later wins), or NULL if none came back.
 */
rd_kafka_topic_partition_list_t *ack_take(struct ack *);

/* A partition taken away: what was written from it is never committed. */
void	ack_forget(struct ack *, const char *, int32_t);

/* The oldest checkpoint not yet back: its seq, and its age in ms; 0 if none. */
uint64_t ack_oldest(const struct ack *, int64_t, int64_t *);

#endif
