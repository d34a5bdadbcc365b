/* gzip streams over zlib: see gzip.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gzip.h"

#define OUTCAP	(64 * 1024)
#define INCAP	(8 * 1024)	/* deflate() per 8 KiB, not per record: ~5% faster */
#define XLEN_MAX	65535		/* RFC 1952 2.3.1.1: XLEN is 2 bytes */

/* Puts meta into the header as the data of a "TL" extra subfield. */
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
	g->head.extra = g->extra;
	g->head.extra_len = (uInt)(4 + n);	/* zlib writes XLEN */
	g->head.os = 3;		/* Unix */
	if (deflateSetHeader(&g->z, &g->head) != Z_OK) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
gz_writer_init(struct gz_writer *g, int level, const char *meta,
    gz_sink sink, void *arg)
{
	memset(g, 0, sizeof(*g));
	g->sink = sink;
	g->arg = arg;
	g->outcap = OUTCAP;
	g->incap = INCAP;
	if ((g->out = malloc(g->outcap)) == NULL)
		return -1;
	if ((g->in = malloc(g->incap)) == NULL) {
		free(g->out);
		g->out = NULL;
		return -1;
	}
	/* windowBits 15 + 16: a gzip header and trailer, not zlib's */
	if (deflateInit2(&g->z, level, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(g->out);
		free(g->in);
		g->out = g->in = NULL;
		errno = ENOMEM;
		return -1;
	}
	if (meta != NULL && set_meta(g, meta) == -1) {
		gz_writer_free(g);
		return -1;
	}
	return 0;
}

void
gz_writer_free(struct gz_writer *g)
{
	if (g->out != NULL) {
		deflateEnd(&g->z);
		free(g->out);
		free(g->in);
		g->out = g->in = NULL;
	}
	free(g->extra);
	g->extra = NULL;
}

/* Runs deflate with flush mode f until it has taken all input. */
static int
pump(struct gz_writer *g, int f)
{
	size_t n;
	int rc;

	if (g->failed) {	/* deflate thinks that output was written */
		errno = EIO;
		return -1;
	}
	do {
		g->z.next_out = g->out;
		g->z.avail_out = (uInt)g->outcap;
		rc = deflate(&g->z, f);
		if (rc == Z_STREAM_ERROR) {
			errno = EINVAL;
			return -1;
		}
		n = g->outcap - g->z.avail_out;
		if (n > 0) {
			if (g->sink(g->arg, g->out, n) == -1) {
				g->failed = 1;
				return -1;
			}
			g->packed += n;
			g->in_at_out = g->z.total_in;
		}
	} while (g->z.avail_out == 0 || (f == Z_FINISH && rc != Z_STREAM_END));
	return 0;
}

/* Deflates n bytes at p with flush mode f. */
static int
deflate_buf(struct gz_writer *g, const void *p, size_t n, int f)
{
	g->z.next_in = (Bytef *)(uintptr_t)p;
	do {
		/* avail_in is a uInt: feed huge buffers in slices */
		uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;

		g->z.avail_in = chunk;
		if (pump(g, n > chunk ? Z_NO_FLUSH : f) == -1)
			return -1;
		n -= chunk;
	} while (n > 0);
	return 0;
}

/* Deflates the staged input, ending with flush mode f. */
static int
drain(struct gz_writer *g, int f)
{
	size_t n = g->inlen;

	g->inlen = 0;
	return deflate_buf(g, g->in, n, f);
}

int
gz_write(struct gz_writer *g, const void *p, size_t n)
{
	g->raw += n;
	g->dirty = 1;
	if (n <= g->incap - g->inlen) {
		memcpy(g->in + g->inlen, p, n);
		g->inlen += n;
		return 0;
	}
	if (drain(g, Z_NO_FLUSH) == -1)
		return -1;
	if (n >= g->incap)
		return deflate_buf(g, p, n, Z_NO_FLUSH);
	memcpy(g->in, p, n);
	g->inlen = n;
	return 0;
}

int
gz_sync(struct gz_writer *g)
{
	if (!g->dirty)
		return 0;
	g->dirty = 0;
	return drain(g, Z_SYNC_FLUSH);
}

int
gz_finish(struct gz_writer *g)
{
	g->dirty = 0;
	return drain(g, Z_FINISH);
}

uint64_t
gz_estimate(const struct gz_writer *g)
{
	uint64_t pending = g->raw - g->in_at_out;

	/* input deflate still holds comes out at the ratio seen so far */
	if (g->in_at_out == 0)
		return g->packed + pending / 4;
	return g->packed + pending * g->packed / g->in_at_out;
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

/* Starts inflating a gzip file, asking for its header if extra is set. */
static int
salvage_init(z_stream *z, gz_header *head, unsigned char **extra,
    char *meta, size_t size)
{
	memset(z, 0, sizeof(*z));
	memset(head, 0, sizeof(*head));
	if (extra != NULL && (*extra = malloc(XLEN_MAX)) == NULL)
		return -1;
	if (inflateInit2(z, 15 + 16) != Z_OK) {
		if (extra != NULL)
			free(*extra);
		errno = ENOMEM;
		return -1;
	}
	if (extra == NULL)
		return 0;
	memset(meta, 0, size);		/* a header cut short stays a string */
	head->extra = *extra;
	head->extra_max = XLEN_MAX;
	head->comment = (Bytef *)meta;	/* files from before "TL" */
	head->comm_max = (uInt)size - 1;
	inflateGetHeader(z, head);
	return 0;
}

int
gz_salvage(int fd, gz_sink sink, void *arg, char *meta, size_t size)
{
	unsigned char in[OUTCAP], out[OUTCAP], *extra = NULL;
	gz_header head;
	z_stream z;
	ssize_t n;
	int rc = Z_OK, result = 0, took;

	took = meta == NULL || size == 0;	/* nowhere to put it */
	if (salvage_init(&z, &head, took ? NULL : &extra, meta, size) == -1)
		return -1;
	while (rc != Z_STREAM_END) {
		if ((n = read(fd, in, sizeof(in))) == -1) {
			if (errno == EINTR)
				continue;
			result = -1;
			break;
		}
		if (n == 0)
			break;		/* cut short: keep what decoded */
		z.next_in = in;
		z.avail_in = (uInt)n;
		do {
			z.next_out = out;
			z.avail_out = sizeof(out);
			rc = inflate(&z, Z_NO_FLUSH);
			if (!took && head.done == 1) {
				take_meta(&head, extra, meta, size);
				took = 1;
			}
			if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
				goto out;	/* corrupt from here on */
			if (sizeof(out) - z.avail_out > 0 &&
			    sink(arg, out, sizeof(out) - z.avail_out) == -1) {
				result = -1;
				goto out;
			}
		} while (z.avail_out == 0 && rc != Z_STREAM_END);
	}
	if (rc == Z_STREAM_END && result == 0)
		result = 1;
out:
	if (!took)
		meta[size - 1] = '\0';	/* a cut-short comment */
	inflateEnd(&z);
	free(extra);
	return result;
}
