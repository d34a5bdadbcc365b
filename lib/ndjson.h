/*
 * Newline-delimited JSON streams: a buffered line reader that numbers
 * lines and bounds their length, and a buffered writer that reports write
 * errors instead of losing them.  Neither looks inside the lines.
 */
#ifndef TEL_NDJSON_H
#define TEL_NDJSON_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

#define TEL_LINE_MAX_DEFAULT	(1024 * 1024)	/* bytes, newline excluded */

struct ndjson_line {
	const char	*ptr;		/* not NUL-terminated */
	size_t		 len;		/* bytes at ptr, at most the limit */
	uint64_t	 total;		/* the line's real length */
	uint64_t	 lineno;	/* 1-based */
	int		 too_long;	/* total > limit: ptr holds a prefix */
	int		 unterminated;	/* last line had no newline */
};

struct ndjson_reader {
	int		 fd;
	char		*buf;
	size_t		 cap, start, end, scan;
	size_t		 max;		/* line length limit */
	size_t		 consume;	/* where the next line starts */
	size_t		 chunk;		/* bytes asked of each read(2) */
	uint64_t	 lineno;
	uint64_t	 skipped;	/* bytes of an overlong line dropped */
	int		 skipping, eof;
};

enum {
	NDJSON_EOF = 0,		/* no more lines */
	NDJSON_LINE = 1,	/* *line is valid until the next call */
	NDJSON_AGAIN = 2,	/* no complete line buffered: fill first */
};

int	ndjson_reader_init(struct ndjson_reader *, int, size_t);
void	ndjson_reader_free(struct ndjson_reader *);

/* Next buffered line without reading: NDJSON_LINE, _AGAIN or _EOF. */
int	ndjson_next(struct ndjson_reader *, struct ndjson_line *);

/* One read(2) into the buffer: >0 bytes, 0 at end of input, -1 errno. */
ssize_t	ndjson_fill(struct ndjson_reader *);

/* Blocking: NDJSON_LINE, NDJSON_EOF, or -1 with errno (EINTR included). */
int	ndjson_read(struct ndjson_reader *, struct ndjson_line *);

struct ndjson_writer {
	int		 fd;
	/* if set and nonzero when a write is interrupted, give up (EINTR) */
	const volatile sig_atomic_t *interrupt;
	char		*buf;
	size_t		 len, cap;
	uint64_t	 bytes;		/* written to fd so far */
};

int	ndjson_writer_init(struct ndjson_writer *, int, size_t);
void	ndjson_writer_free(struct ndjson_writer *);

/*
 * Room for n more bytes at the returned pointer (flushing first if
 * needed); NULL with errno on a write error or if n exceeds the buffer.
 * Commit what was written there with ndjson_commit().
 */
char	*ndjson_reserve(struct ndjson_writer *, size_t);

static inline void
ndjson_commit(struct ndjson_writer *w, size_t n)
{
	w->len += n;
}

/* Writes the bytes and a newline; -1 with errno on a write error. */
int	ndjson_put_line(struct ndjson_writer *, const char *, size_t);

/* Writes out everything buffered; -1 with errno. */
int	ndjson_flush(struct ndjson_writer *);

#endif
