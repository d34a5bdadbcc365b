/*
 * Fuzz target: gzip writing and salvaging.  The input is compressed
 * with member ends (gz_sync) at input-chosen points, the file cut at an
 * input-chosen length (or corrupted), and salvaged: what comes back must
 * be a prefix of the input, and all of it when nothing was cut; so must
 * the header's metadata, of an input-chosen length (too long must be
 * refused).  Or the input itself is salvaged as a gzip file, for the
 * header parsing (extra subfields, comment).  Or, large(), written over
 * and over into full members.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gzip.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct buf {
	unsigned char	*p;
	size_t		 len, cap;
};

static int
to_buf(void *arg, const void *p, size_t n)
{
	struct buf *b = arg;

	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			abort();
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

/* A file descriptor reading n bytes at p. */
static int
memfile(const void *p, size_t n)
{
	int fd;

	if ((fd = memfd_create("gz", 0)) == -1 ||
	    write(fd, p, n) != (ssize_t)n || lseek(fd, 0, SEEK_SET) == -1)
		abort();
	return fd;
}

/*
 * Salvages the input as a gzip file: the metadata must stay a string,
 * and be bytes of the file (its subfield's data or its comment).
 */
static void
salvage_raw(const uint8_t *data, size_t size)
{
	struct buf back = { 0 };
	char meta[16];
	int fd = memfile(data, size);

	memset(meta, 'x', sizeof(meta));
	(void)gz_salvage(fd, to_buf, &back, meta, sizeof(meta));
	close(fd);
	if (memchr(meta, '\0', sizeof(meta)) == NULL ||
	    (*meta && memmem(data, size, meta, strlen(meta)) == NULL))
		abort();
	free(back.p);
}

/*
 * Metadata of a length chosen by k (0-25): short mostly, so that a cut
 * falls in the data too; long for k >= 18, up to the limit and past it.
 */
static char *
make_meta(unsigned k)
{
	static const size_t lens[] = { 4, 0, 1, 300, 6272, GZ_META_MAX - 1,
	    GZ_META_MAX, GZ_META_MAX + 1 };
	size_t n = lens[k < 18 ? k % 4 : 4 + k % 4], i;
	char *m = malloc(n + 1);

	if (m == NULL)
		abort();
	for (i = 0; i < n; i++)
		m[i] = (char)('a' + i % 26);
	m[n] = '\0';
	return m;
}

/*
 * One pool per level, made once (they are large), compressing on this
 * thread: the fuzzer wants one; tel-batch's tests run the workers.
 */
static struct gz_pool *
pool(int level)
{
	static struct gz_pool *k[10];

	if (k[level] == NULL && (k[level] = gz_pool_new(level, 0)) == NULL)
		abort();
	return k[level];
}

/*
 * The input written over and over, in input-sized writes, past two full
 * members: all of it must come back from the whole file (rc 1), and a
 * file one byte short must be reported cut (rc 0).
 */
static void
large(const uint8_t *data, size_t size)
{
	struct buf z = { 0 }, back = { 0 };
	struct gz_writer g;
	size_t total = 0, i;
	int fd, rc;

	if (gz_writer_init(&g, pool(data[0] % 10), "m", to_buf, &z) == -1)
		abort();
	while (total < 2 * GZ_MEMBER + 1000) {
		if (gz_write(&g, data + 2, size - 2) == -1)
			abort();
		total += size - 2;
	}
	if (gz_finish(&g) == -1)
		abort();
	gz_writer_free(&g);
	fd = memfile(z.p, z.len);
	rc = gz_salvage(fd, to_buf, &back, NULL, 0);
	close(fd);
	if (rc != 1 || back.len != total)
		abort();
	for (i = 0; i < total; i += size - 2)
		if (memcmp(back.p + i, data + 2, size - 2) != 0)
			abort();
	back.len = 0;
	fd = memfile(z.p, z.len - 1);
	rc = gz_salvage(fd, to_buf, &back, NULL, 0);
	close(fd);
	if (rc != 0 || back.len > total)
		abort();
	free(z.p);
	free(back.p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char back_meta[GZ_META_MAX + 1];
	struct buf z = { 0 }, back = { 0 };
	struct gz_writer g;
	char *meta;
	size_t i, cut;
	int fd, rc;

	if (size < 2)
		return 0;
	if (data[1] == 2) {
		salvage_raw(data + 2, size - 2);
		return 0;
	}
	if (data[1] == 3 && size >= 64) {
		large(data, size);
		return 0;
	}
	meta = make_meta(data[0] / 10);
	if (gz_writer_init(&g, pool(data[0] % 10), meta, to_buf, &z) == -1) {
		if (errno != EINVAL || strlen(meta) <= GZ_META_MAX)
			abort();
		free(meta);
		return 0;
	}
	for (i = 2; i < size; i++) {
		if (gz_write(&g, data + i, 1) == -1 ||
		    ((data[i] & 0x3f) == 0 && gz_sync(&g) == -1))
			abort();
	}
	if (gz_finish(&g) == -1)
		abort();
	gz_writer_free(&g);
	cut = data[1] == 0 ? z.len : z.len * data[1] / 256;
	if (data[1] == 1 && z.len > 20)
		z.p[z.len / 2] ^= 0x55;		/* corrupt instead of cut */
	fd = memfile(z.p, cut);
	rc = gz_salvage(fd, to_buf, &back, back_meta, sizeof(back_meta));
	close(fd);
	if (back.len > size - 2 || (back.len && memcmp(back.p, data + 2, back.len)))
		if (data[1] != 1)
			abort();
	if (data[1] == 0 && (rc != 1 || back.len != size - 2 ||
	    strcmp(back_meta, meta) != 0))
		abort();
	free(meta);
	free(z.p);
	free(back.p);
	return 0;
}
