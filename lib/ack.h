/*
 * --ack: checkpoints written into the output, and read back from FILE
 * once the last stage has made everything before them safe (tel(7),
 * CHECKPOINTS).  A thread reads FILE, so that reading it never waits on
 * writing stdout, nor the reverse; the main thread keeps, for each
 * checkpoint not yet back, what it covers, and applies that when it comes
 * back.  What a checkpoint covers (Kafka offsets, Kinesis sequence
 * numbers) is the tool's: ack keeps it as an opaque payload.
 *
 * Only a checkpoint of this run counts: the run id is random, so a line
 * left in FILE by an earlier run, or another run's checkpoint passed
 * through tee, applies nothing.  But for the reader thread, everything
 * here is for one thread.
 */
#ifndef TEL_ACK_H
#define TEL_ACK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ndjson.h"

struct ack_snap {
	uint64_t	 seq;
	int64_t		 at;		/* monotonic ms, when written */
	void		*data;		/* what it covers: the tool's */
};

enum { ACK_OPEN, ACK_CLOSED, ACK_FAILED };

/* Read, not written, by the tool: seq, applied, n and the metrics. */
struct ack {
	const char		*path;
	int			 fd, follow;	/* follow: a regular file */
	uint64_t		 run;		/* this run's id */
	uint64_t		 seq;		/* the last checkpoint written */
	uint64_t		 applied;	/* the last one taken back */
	struct ack_snap		*q;		/* written, not yet back */
	size_t			 head, n, cap;
	uint64_t		 sent, returned, age_s;	/* metrics */
	_Atomic uint64_t	 back;		/* the reader's latest */
	_Atomic int		 state, stop;	/* ACK_*; the reader stops */
	int			 error;		/* errno, once not ACK_OPEN */
	struct ndjson_reader	 r;
	pthread_t		 thread;
	int			 started;
};

/*
 * Opens FILE without waiting for its writer (a FIFO's writer, blocked in
 * its open, goes on); a regular file is followed as it grows.  -1 with
 * errno, and nothing to free.
 */
int	ack_open(struct ack *, const char *);

/* Starts the reader thread; -1 if it could not. */
int	ack_start(struct ack *);

/*
 * Stops the reader thread and frees everything, each payload still out
 * with free_data (unless NULL).
 */
void	ack_free(struct ack *, void (*)(void *));

/*
 * Records a checkpoint covering data, which ack then owns, and writes its
 * line (no newline, "flush" if set) into line, CONTROL_CHECKPOINT_MAX
 * bytes, at monotonic time now; returns the length, 0 with errno if out
 * of memory (data not taken).
 */
size_t	ack_checkpoint(struct ack *, void *, char *, int64_t, int);

/*
 * Calls fn(data, arg) for every checkpoint back since the last call,
 * oldest first, handing it its payload to own; returns how many.
 */
size_t	ack_take(struct ack *, void (*)(void *, void *), void *);

/* Calls fn(data, arg) for every checkpoint not yet back, oldest first. */
void	ack_each(struct ack *, void (*)(void *, void *), void *);

/*
 * The oldest checkpoint not yet back: its seq, and its age in ms at
 * monotonic time now (also kept in age_s, in s); 0 if none.
 */
uint64_t ack_oldest(struct ack *, int64_t, int64_t *);

/* ACK_OPEN, or why no more can come back, with errno for ACK_FAILED. */
int	ack_state(const struct ack *, int *);

#endif
