/*
 * --ack (ack.h): the checkpoints a tool writes, and the thread that reads
 * them back.  What each covers is the tool's; here only its seq and age.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ack.h"
#include "clock.h"
#include "control.h"
#include "prng.h"

#define POLL_MS		200	/* how soon the reader sees a stop */

/* Closes FILE after a failure to open it, with errno e. */
static int
open_failed(struct ack *a, int e)
{
	close(a->fd);
	a->fd = -1;
	errno = e;
	return -1;
}

int
ack_open(struct ack *a, const char *path)
{
	struct tel_prng rng;
	struct stat st;

	memset(a, 0, sizeof(*a));
	a->fd = -1;
	a->path = path;
	if (tel_prng_seed_random(&rng) == -1)
		return -1;
	a->run = tel_prng_next(&rng);
	/* O_NONBLOCK: a FIFO opens at once, and its writer's open returns */
	if ((a->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(a->fd, &st) == -1)
		return open_failed(a, errno);
	if (S_ISDIR(st.st_mode))
		return open_failed(a, EISDIR);
	a->follow = S_ISREG(st.st_mode);
	if (ndjson_reader_init(&a->r, a->fd, 4096) == -1)
		return open_failed(a, errno);
	return 0;
}

/* Takes note of one line of FILE. */
static void
take_line(struct ack *a, const struct ndjson_line *l)
{
	struct control c;

	if (l->too_long || !control_parse(l->ptr, l->len, &c) ||
	    !c.checkpoint || c.run != a->run)
		return;
	if (c.seq > atomic_load(&a->back))
		atomic_store(&a->back, c.seq);
}

/* A followed file that shrank was truncated: read it from the start. */
static int
rewind_if_truncated(struct ack *a)
{
	struct stat st;
	off_t at;

	if ((at = lseek(a->fd, 0, SEEK_CUR)) == -1 || fstat(a->fd, &st) == -1)
		return -1;
	if (st.st_size >= at)
		return 0;
	if (lseek(a->fd, 0, SEEK_SET) == -1)
		return -1;
	ndjson_reader_free(&a->r);
	return ndjson_reader_init(&a->r, a->fd, 4096);
}

/* Reads what there is; 1 at the end of a FIFO, -1 on an error. */
static int
drain(struct ack *a)
{
	struct ndjson_line l;
	ssize_t n;

	for (;;) {
		while (ndjson_next(&a->r, &l) == NDJSON_LINE)
			take_line(a, &l);
		if ((n = ndjson_fill(&a->r)) > 0)
			continue;
		if (n == -1)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (!a->follow)
			return 1;
		a->r.eof = 0;	/* a file grows: its end is no end */
		return rewind_if_truncated(a);
	}
}

static void *
reader(void *arg)
{
	struct ack *a = arg;
	struct pollfd pfd = { a->fd, POLLIN, 0 };
	int rc;

	while (!atomic_load(&a->stop)) {
		/* a regular file is always readable: look again later */
		rc = poll(a->follow ? NULL : &pfd, a->follow ? 0 : 1, POLL_MS);
		if (rc == -1 && errno != EINTR)
			break;
		if (rc != 0 && !a->follow)
			rc = drain(a);	/* data, or POLLHUP: its writer left */
		else if (rc == 0 && a->follow)
			rc = drain(a);
		else
			rc = 0;
		if (rc != 0)
			break;
	}
	if (atomic_load(&a->stop))
		return NULL;
	a->error = errno;
	atomic_store(&a->state, rc == 1 ? ACK_CLOSED : ACK_FAILED);
	return NULL;
}

int
ack_start(struct ack *a)
{
	if (pthread_create(&a->thread, NULL, reader, a) != 0)
		return -1;
	a->started = 1;
	return 0;
}

void
ack_free(struct ack *a, void (*free_data)(void *))
{
	size_t i;

	if (a->started) {
		atomic_store(&a->stop, 1);
		pthread_join(a->thread, NULL);
	}
	for (i = 0; free_data != NULL && i < a->n; i++)
		free_data(a->q[(a->head + i) % a->cap].data);
	free(a->q);
	a->q = NULL;
	a->n = a->cap = 0;
	ndjson_reader_free(&a->r);
	if (a->fd != -1)
		close(a->fd);
	a->fd = -1;
}

static int
grow(struct ack *a)
{
	struct ack_snap *q;
	size_t i, cap = a->cap ? 2 * a->cap : 64;

	if ((q = calloc(cap, sizeof(*q))) == NULL)
		return -1;
	for (i = 0; i < a->n; i++)
		q[i] = a->q[(a->head + i) % a->cap];
	free(a->q);
	a->q = q;
	a->head = 0;
	a->cap = cap;
	return 0;
}

size_t
ack_checkpoint(struct ack *a, void *data, char *line, int64_t now, int flush)
{
	struct ack_snap *s;

	if (a->n == a->cap && grow(a) == -1)
		return 0;
	s = &a->q[(a->head + a->n) % a->cap];
	s->data = data;
	s->seq = ++a->seq;
	s->at = now;
	a->n++;
	a->sent++;
	return control_checkpoint(line, a->run, s->seq, tel_now_ms(), flush);
}

size_t
ack_take(struct ack *a, void (*fn)(void *, void *), void *arg)
{
	uint64_t back = atomic_load(&a->back);
	struct ack_snap s;
	size_t n = 0;

	while (a->n > 0 && a->q[a->head].seq <= back) {
		/* off the queue first: fn owns the payload from now on */
		s = a->q[a->head];
		a->head = (a->head + 1) % a->cap;
		a->n--;
		a->returned++;
		a->applied = s.seq;
		fn(s.data, arg);
		n++;
	}
	return n;
}

void
ack_each(struct ack *a, void (*fn)(void *, void *), void *arg)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		fn(a->q[(a->head + i) % a->cap].data, arg);
}

uint64_t
ack_oldest(struct ack *a, int64_t now, int64_t *age)
{
	if (a->n == 0) {
		*age = 0;
		a->age_s = 0;
		return 0;
	}
	*age = now - a->q[a->head].at;
	a->age_s = (uint64_t)*age / 1000;
	return a->q[a->head].seq;
}

int
ack_state(const struct ack *a, int *error)
{
	/* the reader sets error before state: seen once state is */
	int state = atomic_load(&a->state);

	*error = state == ACK_FAILED ? a->error : 0;
	return state;
}
