/* Worker threads for -j: see pool.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

struct line {
	char		*p;
	size_t		 len;
	uint64_t	 tag;
};

struct worker {
	struct pool	*pool;
	void		*arg;
	pthread_t	 tid;
	int		 started;
};

struct pool {
	pthread_mutex_t	 mu;
	pthread_cond_t	 not_empty, not_full, task_idle;
	struct line	*q;		/* a ring of cap lines */
	size_t		 cap, head, n;
	int		 closing;
	unsigned	 busy;		/* workers running fn on a line */
	struct pool_task *tasks;	/* offered, oldest first */
	pool_fn		 fn;
	struct worker	*w;
	unsigned	 nw;
};

/* Unlinks t from the offered tasks; under mu. */
static void
unlist(struct pool *p, struct pool_task *t)
{
	struct pool_task **pp;

	for (pp = &p->tasks; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	t->listed = 0;
}

/* One piece of the oldest task, with mu held on entry and on return. */
static void
help(struct worker *w, struct pool_task *t)
{
	struct pool *p = w->pool;
	int more;

	t->users++;
	pthread_mutex_unlock(&p->mu);
	more = t->fn(w->arg, t->arg);
	pthread_mutex_lock(&p->mu);
	if (!more && t->listed)
		unlist(p, t);	/* no one else need try it */
	if (--t->users == 0)
		pthread_cond_broadcast(&p->task_idle);
}

/*
 * Parts of an object under way come before new lines.  A worker stays
 * until the queue is closed and drained and no other worker runs a
 * line: that one may yet offer parts.
 */
static void *
run(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	struct line l;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->n == 0 && p->tasks == NULL &&
		    !(p->closing && p->busy == 0))
			pthread_cond_wait(&p->not_empty, &p->mu);
		if (p->tasks != NULL) {
			help(w, p->tasks);
			continue;
		}
		if (p->n == 0)	/* closing, drained, no one busy */
			break;
		l = p->q[p->head];
		p->head = (p->head + 1) % p->cap;
		p->n--;
		p->busy++;
		pthread_cond_signal(&p->not_full);
		pthread_mutex_unlock(&p->mu);
		p->fn(w->arg, l.p, l.len, l.tag);
		free(l.p);
		pthread_mutex_lock(&p->mu);
		if (--p->busy == 0 && p->closing)
			pthread_cond_broadcast(&p->not_empty);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

void
pool_offer(struct pool *p, struct pool_task *t)
{
	struct pool_task **pp;

	pthread_mutex_lock(&p->mu);
	t->next = NULL;
	t->users = 0;
	t->listed = 1;
	for (pp = &p->tasks; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = t;
	pthread_cond_broadcast(&p->not_empty);
	pthread_mutex_unlock(&p->mu);
}

void
pool_withdraw(struct pool *p, struct pool_task *t)
{
	pthread_mutex_lock(&p->mu);
	if (t->listed)
		unlist(p, t);
	while (t->users > 0)
		pthread_cond_wait(&p->task_idle, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

struct pool *
pool_new(unsigned n, pool_fn fn, void **args)
{
	struct pool *p;
	unsigned i;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->cap = 2 * (size_t)n;
	p->fn = fn;
	if ((p->q = calloc(p->cap, sizeof(*p->q))) == NULL ||
	    (p->w = calloc(n, sizeof(*p->w))) == NULL ||
	    pthread_mutex_init(&p->mu, NULL) != 0 ||
	    pthread_cond_init(&p->not_empty, NULL) != 0 ||
	    pthread_cond_init(&p->not_full, NULL) != 0 ||
	    pthread_cond_init(&p->task_idle, NULL) != 0) {
		free(p->q);
		free(p->w);
		free(p);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		p->w[i].pool = p;
		p->w[i].arg = args[i];
		if (pthread_create(&p->w[i].tid, NULL, run, &p->w[i]) != 0)
			break;
		p->w[i].started = 1;
		p->nw++;
	}
	if (p->nw == 0) {
		pool_finish(p);
		return NULL;
	}
	return p;
}

int
pool_put(struct pool *p, const char *line, size_t len, uint64_t tag)
{
	char *c;

	if ((c = malloc(len + 1)) == NULL)
		return -1;
	memcpy(c, line, len);
	c[len] = '\0';
	pthread_mutex_lock(&p->mu);
	while (p->n == p->cap)
		pthread_cond_wait(&p->not_full, &p->mu);
	p->q[(p->head + p->n) % p->cap] = (struct line){ c, len, tag };
	p->n++;
	pthread_cond_signal(&p->not_empty);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

void
pool_finish(struct pool *p)
{
	unsigned i;

	pthread_mutex_lock(&p->mu);
	p->closing = 1;
	pthread_cond_broadcast(&p->not_empty);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nw; i++)
		pthread_join(p->w[i].tid, NULL);
	pthread_cond_destroy(&p->not_empty);
	pthread_cond_destroy(&p->not_full);
	pthread_cond_destroy(&p->task_idle);
	pthread_mutex_destroy(&p->mu);
	free(p->q);
	free(p->w);
	free(p);
}
