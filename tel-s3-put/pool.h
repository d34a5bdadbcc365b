/*
 * Worker threads for -j: lines go into a bounded queue, each worker
 * takes the next and runs the tool's function on it with its own
 * argument (its own S3 handle and connections), so that n objects are
 * in flight at once.
 */
#ifndef S3PUT_POOL_H
#define S3PUT_POOL_H

#include <stddef.h>

typedef void	(*pool_fn)(void *, const char *, size_t);

struct pool;

/* n workers; fn(args[i], line, len) on worker i.  NULL on failure. */
struct pool	*pool_new(unsigned, pool_fn, void **);

/* Queues a copy of line, waiting while the queue is full; -1 no memory. */
int	pool_put(struct pool *, const char *, size_t);

/* Waits until every queued line is done, then frees the pool. */
void	pool_finish(struct pool *);

#endif
