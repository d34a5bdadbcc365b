/*
 * --ack (ack.h): the checkpoints tel-kafka-cat writes, and the thread
 * that reads them back.  Only a checkpoint of this run counts: the run id
 * is random, so a line left in FILE by an earlier run, or another run's
 * checkpoint passed through tee, commits nothing.
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

int
ack_open(struct ack *a, const char *path)
{
	struct tel_prng rng;
	struct stat st;

	memset(a, 0, sizeof(*a));
	a->path = path;
	if (tel_prng_seed_random(&rng) == -1)
		return -1;
	a->run = tel_prng_next(&rng);
	/* O_NONBLOCK: a FIFO opens at once, and its writer's open returns */
	if ((a->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(a->fd, &st) == -1 || S_ISDIR(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			errno = EISDIR;
		close(a->fd);
		a->fd = -1;
		return -1;
	}
	a->follow = S_ISREG(st.st_mode);
	return ndjson_reader_init(&a->r, a->fd, 4096);
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
ack_free(struct ack *a)
{
	size_t i;

	if (a->started) {
		atomic_store(&a->stop, 1);
		pthread_join(a->thread, NULL);
	}
	for (i = 0; i < a->n; i++)
		free(a->q[(a->head + i) % a->cap].pos);
	free(a->q);
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
ack_checkpoint(struct ack *a, const struct ack_pos *pos, size_t n,
    char *line, int64_t now, int flush)
{
	struct ack_snap *s;

	if (a->n == a->cap && grow(a) == -1)
		return 0;
	s = &a->q[(a->head + a->n) % a->cap];
	if ((s->pos = calloc(n ? n : 1, sizeof(*pos))) == NULL)
		return 0;
	memcpy(s->pos, pos, n * sizeof(*pos));
	s->npos = n;
	s->seq = ++a->seq;
	s->at = now;
	a->n++;
	a->sent++;
	return control_checkpoint(line, a->run, s->seq, tel_now_ms(), flush);
}

rd_kafka_topic_partition_list_t *
ack_take(struct ack *a)
{
	rd_kafka_topic_partition_list_t *l = NULL;
	rd_kafka_topic_partition_t *e;
	uint64_t back = atomic_load(&a->back);
	struct ack_snap *s;
	size_t i;

	while (a->n > 0 && a->q[a->head].seq <= back) {
		s = &a->q[a->head];
		if (l == NULL)
			l = rd_kafka_topic_partition_list_new(16);
		for (i = 0; i < s->npos; i++) {
			if (s->pos[i].partition == -1)
				continue;
			e = rd_kafka_topic_partition_list_find(l,
			    s->pos[i].topic, s->pos[i].partition);
			if (e == NULL)
				e = rd_kafka_topic_partition_list_add(l,
				    s->pos[i].topic, s->pos[i].partition);
			e->offset = s->pos[i].next;
		}
		free(s->pos);
		a->head = (a->head + 1) % a->cap;
		a->n--;
		a->returned++;
		a->applied = s->seq;
	}
	return l;
}

void
ack_forget(struct ack *a, const char *topic, int32_t partition)
{
	struct ack_snap *s;
	size_t i, j;

	for (i = 0; i < a->n; i++) {
		s = &a->q[(a->head + i) % a->cap];
		for (j = 0; j < s->npos; j++) {
			if (s->pos[j].topic == topic &&
			    s->pos[j].partition == partition)
				s->pos[j].partition = -1;
		}
	}
}

uint64_t
ack_oldest(const struct ack *a, int64_t now, int64_t *age)
{
	if (a->n == 0) {
		*age = 0;
		return 0;
	}
	*age = now - a->q[a->head].at;
	return a->q[a->head].seq;
}
