/*
 * Fuzz target: gzip writing and salvaging.  The input is compressed
 * with sync flushes at input-chosen points, the file cut at an
 * input-chosen length (or corrupted), and salvaged: what comes back must
 * be a prefix of the input, and all of it when nothing was cut.
 */
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf z = { 0 }, back = { 0 };
	struct gz_writer g;
	char comment[64];
	size_t i, cut;
	int fd, rc;

	if (size < 2)
		return 0;
	if (gz_writer_init(&g, data[0] % 10, "fuzz", to_buf, &z) == -1)
		abort();
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
	if ((fd = memfd_create("gz", 0)) == -1 ||
	    write(fd, z.p, cut) != (ssize_t)cut || lseek(fd, 0, SEEK_SET) == -1)
		abort();
	rc = gz_salvage(fd, to_buf, &back, comment, sizeof(comment));
	close(fd);
	if (back.len > size - 2 || (back.len && memcmp(back.p, data + 2, back.len)))
		if (data[1] != 1)
			abort();
	if (data[1] == 0 && (rc != 1 || back.len != size - 2 ||
	    strcmp(comment, "fuzz") != 0))
		abort();
	free(z.p);
	free(back.p);
	return 0;
}
