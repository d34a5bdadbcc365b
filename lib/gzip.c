/* gzip files over libdeflate (writing) and zlib (salvage): see gzip.h. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdeflate.h>
#include <zlib.h>

#include "gzip.h"

#define OUTCAP	(64 * 1024)	/* salvage's read and inflate buffers */
#define INMIN	(64 * 1024)	/* a member's buffer starts so and doubles */
#define XLEN_MAX	65535		/* RFC 1952 2.3.1.1: XLEN is 2 bytes */
#define HEAD_MAX	(10 + 2 + XLEN_MAX)	/* header, XLEN, extra field */
#define TRAILER	8		/* CRC-32, ISIZE */
#define FEXTRA	4		/* RFC 1952 2.3.1: FLG bit 2 */

/* A compressor and room for any member it makes. */
struct codec {
	struct libdeflate_compressor	*c;
	unsigned char			*out;
	size_t				 outcap;
	struct gz_pool			*pool;
};

/* A member to compress: writer w's input p[0..n), its seq'th member. */
struct job {
	struct gz_writer	*w;
	unsigned char		*p;
	size_t			 n, cap;	/* cap: p's size */
	uint64_t		 seq;
	struct job		*next;
};

struct gz_pool {
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* a job was queued, or stop */
	pthread_cond_t	 done;		/* a member was written */
	struct job	*head, *tail;	/* queued, oldest first */
	size_t		 inflight;	/* queued or being compressed */
	size_t		 maxflight;
	unsigned char	**spare;	/* GZ_MEMBER buffers to use again */
	size_t		 nspare;	/* at most maxflight */
	int		 stop, nthreads, ncodecs;
	pthread_t	*threads;
	struct codec	*codecs;	/* one per thread; [0] inline */
};

static int
codec_init(struct codec *k, int level)
{
	if ((k->c = libdeflate_alloc_compressor(level)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	/* room for any member: the largest header, the body, the trailer */
	k->outcap = HEAD_MAX + libdeflate_deflate_compress_bound(k->c,
	    GZ_MEMBER) + TRAILER;
	if ((k->out = malloc(k->outcap)) == NULL)
		return -1;
	return 0;
}

static void
put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/*
 * A member header (RFC 1952 2.3) at p: no name, no time; the first
 * member's carries the extra field.  Returns its length.
 */
static size_t
put_header(const struct gz_writer *g, uint64_t seq, unsigned char *p)
{
	int extra = seq == 0 && g->extra != NULL;

	p[0] = 0x1f;
	p[1] = 0x8b;
	p[2] = 8;			/* CM: deflate */
	p[3] = extra ? FEXTRA : 0;	/* FLG */
	put_le32(p + 4, 0);		/* MTIME: none */
	p[8] = 0;			/* XFL */
	p[9] = 3;			/* OS: Unix */
	if (!extra)
		return 10;
	p[10] = (unsigned char)(g->extralen & 0xff);
	p[11] = (unsigned char)(g->extralen >> 8);
	memcpy(p + 12, g->extra, g->extralen);
	return 12 + g->extralen;
}

/* Compresses job j into k->out as a whole member; returns its length. */
static size_t
compress_member(struct codec *k, const struct job *j)
{
	static const unsigned char none[1];
	const unsigned char *p = j->p != NULL ? j->p : none;
	size_t h, z;

	h = put_header(j->w, j->seq, k->out);
	z = libdeflate_deflate_compress(k->c, p, j->n, k->out + h,
	    k->outcap - h - TRAILER);
	if (z == 0)		/* cannot be: outcap is the bound */
		abort();
	put_le32(k->out + h + z, libdeflate_crc32(0, p, j->n));
	put_le32(k->out + h + z + 4, (uint32_t)j->n);	/* ISIZE: mod 2^32 */
	return h + z + TRAILER;
}

/*
 * Hands a compressed member to its writer's sink, in the writer's order,
 * and accounts for it.  With the pool's lock held; drops it while the
 * sink runs (the order makes the sink the writer's alone meanwhile).
 */
static void
deliver(struct gz_pool *pl, const struct job *j, const unsigned char *out,
    size_t len)
{
	struct gz_writer *g = j->w;
	int rc = 0, e = 0;

	while (g->written != j->seq)
		pthread_cond_wait(&pl->done, &pl->mu);
	if (!g->failed) {
		pthread_mutex_unlock(&pl->mu);
		if ((rc = g->sink(g->arg, out, len)) == -1)
			e = errno;
		pthread_mutex_lock(&pl->mu);
	}
	if (rc == -1) {
		g->failed = 1;
		g->err = e;
	} else if (!g->failed) {
		g->packed += len;
		g->in_at_out += j->n;
		if (j->n == GZ_MEMBER) {
			g->full_packed += len;
			g->full_raw += j->n;
		}
	}
	g->written++;
	pl->inflight--;
	pthread_cond_broadcast(&pl->done);
}

/*
 * With the pool's lock held: keeps buffer p of size cap for the next
 * member if it is a full-size one and there is room (malloc and free of
 * a MiB a member would cost page faults, and a sanitizer's quarantine),
 * else frees it.
 */
static void
spare(struct gz_pool *pl, unsigned char *p, size_t cap)
{
	if (cap == GZ_MEMBER && pl->nspare < pl->maxflight)
		pl->spare[pl->nspare++] = p;
	else
		free(p);
}

/* With the pool's lock held: done with job j. */
static void
recycle(struct gz_pool *pl, struct job *j)
{
	spare(pl, j->p, j->cap);
	free(j);
}

static void *
worker(void *arg)
{
	struct codec *k = arg;
	struct gz_pool *pl = k->pool;
	struct job *j;
	size_t len;

	pthread_mutex_lock(&pl->mu);
	for (;;) {
		while (pl->head == NULL && !pl->stop)
			pthread_cond_wait(&pl->work, &pl->mu);
		if ((j = pl->head) == NULL)
			break;		/* stopped, and nothing left */
		if ((pl->head = j->next) == NULL)
			pl->tail = NULL;
		len = 0;	/* a failed writer's members are skipped */
		if (!j->w->failed) {
			pthread_mutex_unlock(&pl->mu);
			len = compress_member(k, j);
			pthread_mutex_lock(&pl->mu);
		}
		deliver(pl, j, k->out, len);
		recycle(pl, j);
	}
	pthread_mutex_unlock(&pl->mu);
	return NULL;
}

static void
pool_stop(struct gz_pool *pl)
{
	int i;

	pthread_mutex_lock(&pl->mu);
	pl->stop = 1;
	pthread_cond_broadcast(&pl->work);
	pthread_mutex_unlock(&pl->mu);
	for (i = 0; i < pl->nthreads; i++)
		pthread_join(pl->threads[i], NULL);
	pl->nthreads = 0;
}

/* Starts the workers with every signal blocked: they are the reader's. */
static int
pool_start(struct gz_pool *pl, int n)
{
	sigset_t all, old;
	int e = 0;

	if ((pl->threads = calloc((size_t)n, sizeof(*pl->threads))) == NULL)
		return -1;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; pl->nthreads < n; pl->nthreads++) {
		if ((e = pthread_create(&pl->threads[pl->nthreads], NULL,
		    worker, &pl->codecs[pl->nthreads])) != 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		errno = e;
		return -1;
	}
	return 0;
}

struct gz_pool *
gz_pool_new(int level, int threads)
{
	struct gz_pool *pl;
	int i, n = threads > 0 ? threads : 1;

	if (level < 0 || level > 9 || threads < 0 || threads > GZ_THREADS_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if ((pl = calloc(1, sizeof(*pl))) == NULL)
		return NULL;
	if (pthread_mutex_init(&pl->mu, NULL) != 0 ||
	    pthread_cond_init(&pl->work, NULL) != 0 ||
	    pthread_cond_init(&pl->done, NULL) != 0) {
		free(pl);	/* none of them holds anything on Linux */
		errno = ENOMEM;
		return NULL;
	}
	pl->maxflight = 2 * (size_t)n;	/* members in memory, at most */
	if ((pl->codecs = calloc((size_t)n, sizeof(*pl->codecs))) == NULL ||
	    (pl->spare = calloc(pl->maxflight, sizeof(*pl->spare))) == NULL)
		goto fail;
	pl->ncodecs = n;
	for (i = 0; i < n; i++) {
		pl->codecs[i].pool = pl;
		if (codec_init(&pl->codecs[i], level) == -1)
			goto fail;
	}
	if (threads > 0 && pool_start(pl, threads) == -1)
		goto fail;
	return pl;
fail:
	gz_pool_free(pl);
	return NULL;
}

/* Every writer must have been finished or freed. */
void
gz_pool_free(struct gz_pool *pl)
{
	int i, e = errno;

	if (pl == NULL)
		return;
	pool_stop(pl);
	for (i = 0; i < pl->ncodecs; i++) {
		libdeflate_free_compressor(pl->codecs[i].c);
		free(pl->codecs[i].out);
	}
	while (pl->nspare > 0)
		free(pl->spare[--pl->nspare]);
	free(pl->spare);
	free(pl->codecs);
	free(pl->threads);
	pthread_cond_destroy(&pl->work);
	pthread_cond_destroy(&pl->done);
	pthread_mutex_destroy(&pl->mu);
	free(pl);
	errno = e;
}

/* Keeps meta as the data of a "TL" subfield, for the first header. */
static int
set_meta(struct gz_writer *g, const char *meta)
{
	size_t n = strlen(meta);

	if (n > GZ_META_MAX) {
		errno = EINVAL;
		return -1;
	}
	if ((g->extra = malloc(4 + n)) == NULL)
		return -1;
	g->extra[0] = GZ_META_SI1;
	g->extra[1] = GZ_META_SI2;
	g->extra[2] = (unsigned char)(n & 0xff);	/* LEN, little-endian */
	g->extra[3] = (unsigned char)(n >> 8);
	memcpy(g->extra + 4, meta, n);
	g->extralen = 4 + n;
	return 0;
}

int
gz_writer_init(struct gz_writer *g, struct gz_pool *pl, const char *meta,
    gz_sink sink, void *arg)
{
	memset(g, 0, sizeof(*g));
	g->pool = pl;
	g->sink = sink;
	g->arg = arg;
	if (meta != NULL && set_meta(g, meta) == -1)
		return -1;
	return 0;
}

/*
 * With the pool's lock held, released on return: -1 with the sink's
 * errno if a member of g could not be written, else 0.
 */
static int
failure(struct gz_pool *pl, struct gz_writer *g)
{
	int failed = g->failed, e = g->err;

	pthread_mutex_unlock(&pl->mu);
	if (failed) {
		errno = e != 0 ? e : EIO;
		return -1;
	}
	return 0;
}

/* Waits until every member handed over is written; see failure(). */
static int
drained(struct gz_writer *g)
{
	struct gz_pool *pl = g->pool;

	pthread_mutex_lock(&pl->mu);
	while (g->written != g->submitted)
		pthread_cond_wait(&pl->done, &pl->mu);
	return failure(pl, g);
}

/* Is the file whole so far?  See failure(). */
static int
intact(struct gz_writer *g)
{
	pthread_mutex_lock(&g->pool->mu);
	return failure(g->pool, g);
}

void
gz_writer_free(struct gz_writer *g)
{
	struct gz_pool *pl = g->pool;
	int e = errno;

	if (pl != NULL) {
		(void)drained(g);	/* no job may point at g */
		pthread_mutex_lock(&pl->mu);
		spare(pl, g->in, g->incap);	/* for the next batch */
		pthread_mutex_unlock(&pl->mu);
	} else
		free(g->in);
	free(g->extra);
	g->in = g->extra = NULL;
	errno = e;
}

/* Without threads: compresses and writes job j here. */
static int
run_here(struct gz_writer *g, struct job *j)
{
	struct gz_pool *pl = g->pool;
	size_t len = compress_member(&pl->codecs[0], j);

	pthread_mutex_lock(&pl->mu);
	pl->inflight++;
	deliver(pl, j, pl->codecs[0].out, len);
	recycle(pl, j);
	return failure(pl, g);
}

/*
 * Hands the gathered input over as the next member: to a worker, or,
 * without threads, compresses and writes it here.
 */
static int
submit(struct gz_writer *g)
{
	struct gz_pool *pl = g->pool;
	struct job *j;

	if (intact(g) == -1 || (j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	j->w = g;
	j->p = g->in;
	j->n = g->inlen;
	j->cap = g->incap;
	j->seq = g->submitted++;
	g->lastcap = g->incap;
	g->in = NULL;
	g->incap = g->inlen = 0;
	if (pl->nthreads == 0)
		return run_here(g, j);
	pthread_mutex_lock(&pl->mu);
	while (pl->inflight >= pl->maxflight)	/* bounds the memory */
		pthread_cond_wait(&pl->done, &pl->mu);
	if (pl->tail != NULL)
		pl->tail->next = j;
	else
		pl->head = j;
	pl->tail = j;
	pl->inflight++;
	pthread_cond_signal(&pl->work);
	pthread_mutex_unlock(&pl->mu);
	return 0;
}

/*
 * Makes room for n more bytes of the member being gathered: as much as
 * the last member took, to begin with, so that a busy batch does not
 * grow its buffer again for every member.
 */
static int
reserve(struct gz_writer *g, size_t n)
{
	size_t cap = g->incap ? g->incap : g->lastcap ? g->lastcap : INMIN;
	struct gz_pool *pl = g->pool;
	unsigned char *p;

	if (g->in == NULL && cap == GZ_MEMBER) {	/* a spare, if any */
		pthread_mutex_lock(&pl->mu);
		p = pl->nspare > 0 ? pl->spare[--pl->nspare] : NULL;
		pthread_mutex_unlock(&pl->mu);
		if (p == NULL && (p = malloc(GZ_MEMBER)) == NULL)
			return -1;
		g->in = p;
		g->incap = GZ_MEMBER;
		return 0;
	}
	while (cap < g->inlen + n)
		cap *= 2;
	if (cap == g->incap)
		return 0;
	if ((p = realloc(g->in, cap)) == NULL)
		return -1;
	g->in = p;
	g->incap = cap;
	return 0;
}

int
gz_write(struct gz_writer *g, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t k;

	g->raw += n;
	while (n > 0) {
		k = GZ_MEMBER - g->inlen;
		if (k > n)
			k = n;
		if (reserve(g, k) == -1)
			return -1;
		memcpy(g->in + g->inlen, s, k);
		g->inlen += k;
		s += k;
		n -= k;
		if (g->inlen == GZ_MEMBER && submit(g) == -1)
			return -1;
	}
	return 0;
}

int
gz_flush(struct gz_writer *g)
{
	if (g->inlen == 0)
		return 0;
	return submit(g);
}

/* Waits for the members handed over even if the last could not be. */
static int
settle(struct gz_writer *g, int rc)
{
	int e = errno;

	if (drained(g) == -1)
		return -1;
	errno = e;
	return rc;
}

int
gz_sync(struct gz_writer *g)
{
	return settle(g, gz_flush(g));
}

int
gz_finish(struct gz_writer *g)
{
	/* an empty file is still one (empty) member */
	if (g->inlen > 0 || g->submitted == 0)
		return settle(g, submit(g));
	return drained(g);
}

int
gz_wait(struct gz_writer *g)
{
	return drained(g);
}

uint64_t
gz_estimate(const struct gz_writer *g, int *guess)
{
	struct gz_pool *pl = g->pool;
	uint64_t packed, done, fp, fr, pending;

	pthread_mutex_lock(&pl->mu);
	packed = g->packed;
	done = g->in_at_out;
	fp = g->full_packed;
	fr = g->full_raw;
	pthread_mutex_unlock(&pl->mu);
	/*
	 * The rest at the ratio of the full members: a short one (ended by
	 * a sync) compresses worse, and would seal the batch early.
	 */
	pending = g->raw - done;
	*guess = fr == 0 && pending > 0;
	if (fr > 0)
		return packed + pending * fp / fr;
	if (done > 0)
		return packed + pending * packed / done;
	return packed + pending / 4;
}

/* The data of the "TL" subfield in extra field x[0..len); NULL if none. */
static const unsigned char *
find_meta(const unsigned char *x, size_t len, size_t *n)
{
	size_t i, k;

	for (i = 0; len - i >= 4; i += 4 + k) {
		k = x[i + 2] | (size_t)x[i + 3] << 8;
		if (k > len - i - 4)
			return NULL;	/* runs past the field: corrupt */
		if (x[i] == GZ_META_SI1 && x[i + 1] == GZ_META_SI2) {
			*n = k;
			return x + i + 4;
		}
	}
	return NULL;
}

/*
 * Once the header is read: the "TL" subfield's data into meta, over the
 * comment zlib put there (a file from before the subfield keeps it).
 */
static void
take_meta(const gz_header *h, const unsigned char *extra, char *meta,
    size_t size)
{
	const unsigned char *d;
	size_t n;

	/* zlib sets h->extra to NULL for a header without an extra field */
	if (h->extra == NULL || (d = find_meta(extra, h->extra_len <
	    h->extra_max ? h->extra_len : h->extra_max, &n)) == NULL)
		return;
	if (n >= size)
		n = 0;		/* does not fit: cut, it would not parse */
	memcpy(meta, d, n);
	meta[n] = '\0';
}

/* A salvage under way. */
struct inflater {
	z_stream	 z;
	gz_header	 head;
	unsigned char	*extra;		/* the first header's extra field */
	char		*meta;
	size_t		 size;
	int		 took;		/* meta is taken (or not wanted) */
	int		 ended;		/* at a member's end */
	gz_sink		 sink;
	void		*arg;
};

/* Starts inflating a gzip file, asking for its header if meta is wanted. */
static int
salvage_init(struct inflater *f)
{
	if (!f->took && (f->extra = malloc(XLEN_MAX)) == NULL)
		return -1;
	if (inflateInit2(&f->z, 15 + 16) != Z_OK) {
		free(f->extra);
		errno = ENOMEM;
		return -1;
	}
	if (f->took)
		return 0;
	memset(f->meta, 0, f->size);	/* a header cut short stays a string */
	f->head.extra = f->extra;
	f->head.extra_max = XLEN_MAX;
	f->head.comment = (Bytef *)f->meta;	/* files from before "TL" */
	f->head.comm_max = (uInt)f->size - 1;
	inflateGetHeader(&f->z, &f->head);	/* the first member's only */
	return 0;
}

/*
 * Inflates what is in the input, member after member, into the sink:
 * 1 when it needs more input, 0 if the data is corrupt from here on, -1
 * if the sink failed.
 */
static int
inflate_run(struct inflater *f)
{
	unsigned char out[OUTCAP];
	size_t n;
	int rc;

	do {
		/* another member follows the one that ended */
		if (f->ended && inflateReset(&f->z) != Z_OK)
			return 0;
		f->ended = 0;
		f->z.next_out = out;
		f->z.avail_out = sizeof(out);
		rc = inflate(&f->z, Z_NO_FLUSH);
		if (!f->took && f->head.done == 1) {
			take_meta(&f->head, f->extra, f->meta, f->size);
			f->took = 1;
		}
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
			return 0;
		n = sizeof(out) - f->z.avail_out;
		if (n > 0 && f->sink(f->arg, out, n) == -1)
			return -1;
		f->ended = rc == Z_STREAM_END;
	} while (f->ended ? f->z.avail_in > 0 : f->z.avail_out == 0);
	return 1;
}

int
gz_salvage(int fd, gz_sink sink, void *arg, char *meta, size_t size)
{
	unsigned char in[OUTCAP];
	struct inflater f;
	ssize_t n;
	int result;

	memset(&f, 0, sizeof(f));
	f.meta = meta;
	f.size = size;
	f.took = meta == NULL || size == 0;	/* nowhere to put it */
	f.sink = sink;
	f.arg = arg;
	if (salvage_init(&f) == -1)
		return -1;
	for (;;) {
		if ((n = read(fd, in, sizeof(in))) == -1) {
			if (errno == EINTR)
				continue;
			result = -1;
			break;
		}
		if (n == 0) {	/* complete only at a member's end */
			result = f.ended;
			break;
		}
		f.z.next_in = in;
		f.z.avail_in = (uInt)n;
		if ((result = inflate_run(&f)) != 1)
			break;	/* corrupt (0), or the sink failed (-1) */
	}
	if (!f.took)
		meta[size - 1] = '\0';	/* a cut-short comment */
	inflateEnd(&f.z);
	free(f.extra);
	return result;
}
