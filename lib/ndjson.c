/* Buffered NDJSON line reading and writing: see ndjson.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ndjson.h"

#define READ_CHUNK	(64 * 1024)

int
ndjson_reader_init(struct ndjson_reader *r, int fd, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->max = max > 0 ? max : TEL_LINE_MAX_DEFAULT;
	r->chunk = READ_CHUNK;
	r->cap = READ_CHUNK * 2;
	if ((r->buf = malloc(r->cap)) == NULL)
		return -1;
	return 0;
}

void
ndjson_reader_free(struct ndjson_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

static int
emit(struct ndjson_reader *r, struct ndjson_line *line, size_t len,
    uint64_t total, size_t next)
{
	line->ptr = r->buf + r->start;
	line->len = len;
	line->total = total;
	line->lineno = ++r->lineno;
	line->too_long = total > r->max;
	line->unterminated = 0;
	r->consume = next;
	return NDJSON_LINE;
}

/*
 * An overlong line keeps its first max bytes at start; what follows is
 * read in behind them and dropped up to the newline, so the buffer never
 * holds more than max plus one read.
 */
static int
next_skipping(struct ndjson_reader *r, struct ndjson_line *line)
{
	size_t keep = r->start + r->max;
	char *nl = memchr(r->buf + keep, '\n', r->end - keep);
	size_t rest;

	if (nl == NULL) {
		r->skipped += r->end - keep;
		r->end = keep;
		if (!r->eof)
			return NDJSON_AGAIN;
		r->skipping = 0;
		emit(r, line, r->max, r->max + r->skipped, r->end);
		line->unterminated = 1;
		return NDJSON_LINE;
	}
	r->skipped += (size_t)(nl - (r->buf + keep));
	rest = r->end - (size_t)(nl + 1 - r->buf);
	memmove(r->buf + keep, nl + 1, rest);
	r->end = keep + rest;
	r->skipping = 0;
	return emit(r, line, r->max, r->max + r->skipped, keep);
}

int
ndjson_next(struct ndjson_reader *r, struct ndjson_line *line)
{
	char *nl;
	size_t len;

	if (r->consume > r->start) {
		r->start = r->scan = r->consume;
		if (r->start == r->end)
			r->start = r->end = r->scan = r->consume = 0;
	}
	if (r->skipping)
		return next_skipping(r, line);
	nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
	if (nl != NULL) {
		len = (size_t)(nl - (r->buf + r->start));
		/* one read can bring a whole overlong line: keep its prefix */
		return emit(r, line, len <= r->max ? len : r->max, len,
		    r->start + len + 1);
	}
	r->scan = r->end;
	if (r->end - r->start > r->max) {
		r->skipping = 1;
		r->skipped = r->end - r->start - r->max;
		r->end = r->start + r->max;
		r->scan = r->end;
		return r->eof ? next_skipping(r, line) : NDJSON_AGAIN;
	}
	if (!r->eof)
		return NDJSON_AGAIN;
	if (r->end == r->start)
		return NDJSON_EOF;
	len = r->end - r->start;
	emit(r, line, len, len, r->end);
	line->unterminated = 1;
	return NDJSON_LINE;
}

/*
 * Makes room for one chunk after end, moving or growing the buffer; it
 * never needs more than a line's limit, its newline and one chunk.
 */
static int
make_room(struct ndjson_reader *r)
{
	size_t used = r->end - r->start, need, ncap;
	char *nbuf;

	if (r->cap - r->end >= r->chunk)
		return 0;
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, used);
		r->scan -= r->start;
		r->consume = r->consume > r->start ? r->consume - r->start : 0;
		r->end = used;
		r->start = 0;
		if (r->cap - r->end >= r->chunk)
			return 0;
	}
	need = r->end + r->chunk;
	ncap = r->cap * 2 > need ? r->cap * 2 : need;
	if (ncap > r->max + 1 + r->chunk && need <= r->max + 1 + r->chunk)
		ncap = r->max + 1 + r->chunk;
	if ((nbuf = realloc(r->buf, ncap)) == NULL)
		return -1;
	r->cap = ncap;
	r->buf = nbuf;
	return 0;
}

ssize_t
ndjson_fill(struct ndjson_reader *r)
{
	ssize_t n;

	if (r->eof)
		return 0;
	if (make_room(r) == -1)
		return -1;
	n = read(r->fd, r->buf + r->end, r->chunk);
	if (n == 0)
		r->eof = 1;
	else if (n > 0)
		r->end += (size_t)n;
	return n;
}

int
ndjson_read(struct ndjson_reader *r, struct ndjson_line *line)
{
	int rc;

	while ((rc = ndjson_next(r, line)) == NDJSON_AGAIN) {
		if (ndjson_fill(r) == -1)
			return -1;
	}
	return rc;
}

int
ndjson_writer_init(struct ndjson_writer *w, int fd, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	/*
	 * Writes no larger than a pipe's default capacity (64 KiB) let the
	 * reader drain one while we fill the next; larger ones measured
	 * about 2x slower through "| cat".
	 */
	w->cap = cap > 0 ? cap : 64 * 1024;
	if ((w->buf = malloc(w->cap)) == NULL)
		return -1;
	return 0;
}

void
ndjson_writer_free(struct ndjson_writer *w)
{
	free(w->buf);
	w->buf = NULL;
}

static int
write_all(struct ndjson_writer *w, const char *p, size_t n, size_t *done)
{
	ssize_t k;

	for (*done = 0; *done < n; *done += (size_t)k) {
		k = write(w->fd, p + *done, n - *done);
		if (k == -1) {
			if (errno == EINTR &&
			    (w->interrupt == NULL || !*w->interrupt)) {
				k = 0;
				continue;
			}
			return -1;
		}
		w->bytes += (uint64_t)k;
	}
	return 0;
}

int
ndjson_flush(struct ndjson_writer *w)
{
	size_t done;

	if (write_all(w, w->buf, w->len, &done) == -1) {
		/* keep what was not written, so a retry sends it */
		memmove(w->buf, w->buf + done, w->len - done);
		w->len -= done;
		return -1;
	}
	w->len = 0;
	return 0;
}

char *
ndjson_reserve(struct ndjson_writer *w, size_t n)
{
	if (n > w->cap) {
		errno = EMSGSIZE;
		return NULL;
	}
	if (w->cap - w->len < n && ndjson_flush(w) == -1)
		return NULL;
	return w->buf + w->len;
}

int
ndjson_put_line(struct ndjson_writer *w, const char *p, size_t n)
{
	size_t done;
	char *dst;

	if (n + 1 > w->cap) {	/* larger than the buffer: write through */
		if (ndjson_flush(w) == -1 || write_all(w, p, n, &done) == -1)
			return -1;
		n = 0;
		p = "";
	}
	if ((dst = ndjson_reserve(w, n + 1)) == NULL)
		return -1;
	memcpy(dst, p, n);
	dst[n] = '\n';
	ndjson_commit(w, n + 1);
	return 0;
}
