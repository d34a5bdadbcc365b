/*
 * Fuzz target: the NDJSON line reader, over a memory file, with a small
 * limit so overlong lines are common and small reads so lines straddle
 * them (compaction, growth and skipping across reads all get exercised).  The lines it returns must tile
 * the input exactly: contents, lengths and newlines add up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ndjson.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ndjson_reader r;
	struct ndjson_line l;
	uint64_t seen = 0, lines = 0;
	size_t limit = size > 0 ? 1 + data[0] % 64 : 16;
	int fd = memfd_create("fuzz", 0), rc;

	if (fd == -1 || write(fd, data, size) != (ssize_t)size ||
	    lseek(fd, 0, SEEK_SET) == -1 || ndjson_reader_init(&r, fd, limit))
		abort();
	r.chunk = size > 1 ? 1 + data[1] % 97 : 7;
	while ((rc = ndjson_read(&r, &l)) == NDJSON_LINE) {
		if (l.len > limit || (l.too_long != (l.total > limit)) ||
		    (!l.too_long && l.len != l.total) ||
		    memcmp(l.ptr, data + seen, l.len) != 0 ||
		    memchr(l.ptr, '\n', l.len) != NULL ||
		    l.lineno != ++lines)
			abort();
		seen += l.total + !l.unterminated;
	}
	if (rc != NDJSON_EOF || seen != size)
		abort();
	ndjson_reader_free(&r);
	close(fd);
	return 0;
}
