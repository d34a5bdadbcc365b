/* gzip streams over zlib: see gzip.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gzip.h"

#define OUTCAP	(64 * 1024)
#define INCAP	(8 * 1024)	/* deflate() per 8 KiB, not per record: ~5% faster */

int
gz_writer_init(struct gz_writer *g, int level, const char *comment,
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
	if (comment != NULL) {
		g->head.comment = (Bytef *)(uintptr_t)comment;
		g->head.os = 3;		/* Unix */
		if (deflateSetHeader(&g->z, &g->head) != Z_OK) {
			gz_writer_free(g);
			errno = EINVAL;
			return -1;
		}
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

int
gz_salvage(int fd, gz_sink sink, void *arg, char *comment, size_t size)
{
	unsigned char in[OUTCAP], out[OUTCAP];
	gz_header head;
	z_stream z;
	ssize_t n;
	int rc = Z_OK, result = 0;

	memset(&z, 0, sizeof(z));
	memset(&head, 0, sizeof(head));
	if (comment != NULL && size > 0)
		memset(comment, 0, size);	/* a header cut short stays a string */
	if (inflateInit2(&z, 15 + 16) != Z_OK) {
		errno = ENOMEM;
		return -1;
	}
	if (comment != NULL && size > 0) {
		head.comment = (Bytef *)comment;
		head.comm_max = (uInt)size - 1;
		inflateGetHeader(&z, &head);
	}
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
	if (comment != NULL && size > 0)
		comment[size - 1] = '\0';	/* a cut-short comment */
	inflateEnd(&z);
	return result;
}
