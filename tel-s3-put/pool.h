/*
 * Worker threads for -j: lines go into a bounded queue, each worker
 * takes the next and runs the tool's function on it with its own
 * argument (its own S3 handle and connections), so that n objects are
 * in flight at once.  A worker busy with a large object may also offer
 * its parts as a task: idle workers take turns at it (one call of the
 * task's function each) before they take a new line, so that the parts
 * of one multipart upload go up in parallel too.
 */
#ifndef S3PUT_POOL_H
#define S3PUT_POOL_H

#include <stddef.h>
#include <stdint.h>

typedef void	(*pool_fn)(void *, const char *, size_t, uint64_t);

/*
 * fn(worker's argument, arg) does one piece of the task; it returns 0
 * once there is nothing left to take, and must never wait for the pool.
 */
struct pool_task {
	int			(*fn)(void *, void *);
	void			*arg;
	struct pool_task	*next;		/* the pool's */
	unsigned		 users;		/* the pool's */
	int			 listed;	/* the pool's */
};

struct pool;

/* n workers; fn(args[i], line, len, tag) on worker i.  NULL on failure. */
struct pool	*pool_new(unsigned, pool_fn, void **);

/*
 * Queues a copy of line and the caller's tag for it, waiting while the
 * queue is full; -1 no memory.
 */
int	pool_put(struct pool *, const char *, size_t, uint64_t);

/* Offers a task to idle workers (t->fn and t->arg set). */
void	pool_offer(struct pool *, struct pool_task *);

/* Withdraws it, waiting until no worker is inside its function. */
void	pool_withdraw(struct pool *, struct pool_task *);

/* Waits until every queued line is done, then frees the pool. */
void	pool_finish(struct pool *);

#endif
