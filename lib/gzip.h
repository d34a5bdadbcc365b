/*
 * gzip files: a writer that compresses into a file descriptor as a
 * series of gzip members (RFC 1952 2.2: a gzip file is one or more
 * members, and gzip(1), zlib, Python, Java's GZIPInputStream and DuckDB
 * read them all as one stream), and a salvaging reader for files a crash
 * left unfinished.  The only file that talks to zlib or libdeflate.
 *
 * Why members: libdeflate compresses a whole buffer at a time, about
 * twice as fast as zlib's deflate at the same level and a few percent
 * smaller, and a member is the unit it makes.  Input is gathered up to
 * GZ_MEMBER bytes (or until gz_sync) and then compressed and written as
 * one member, so everything written so far decodes at every member's
 * end, as zlib's Z_SYNC_FLUSH made it before.
 *
 * A file can carry a line of metadata (say, where a spooled file was
 * going) in its first member's header, as the data of an extra-field
 * subfield (RFC 1952 2.3.1.1) with the ID GZ_META_SI1 GZ_META_SI2, "TL"
 * (for tel; ours, not registered).  Not in the header comment
 * (FCOMMENT), where it was before: DuckDB refuses gzip files with a
 * comment ("Unsupported GZIP archive") but reads those with an extra
 * field.
 */
#ifndef TEL_GZIP_H
#define TEL_GZIP_H

#include <stddef.h>
#include <stdint.h>

#define GZ_META_SI1	'T'
#define GZ_META_SI2	'L'
#define GZ_META_MAX	(65535 - 4)	/* XLEN's most, less SI1 SI2 LEN */
#define GZ_MEMBER	(1024 * 1024)	/* input per member, at most */

/* Called with each run of compressed bytes; returns -1 with errno to stop. */
typedef int	(*gz_sink)(void *, const void *, size_t);

/*
 * Compressors at one level, shared by every writer of a process: with
 * threads, members are compressed by as many workers, in parallel, and
 * written in each file's order by the worker that compressed them (the
 * sink runs on a worker thread, never on two at once for one writer);
 * without, on the caller's thread.  Either way at most 2 * threads
 * (or 2) members wait in memory: a writer with more waits.
 */
struct gz_pool;

#define GZ_THREADS_MAX	64

struct gz_writer {
	struct gz_pool	*pool;
	gz_sink		 sink;
	void		*arg;
	unsigned char	*in;		/* the member being gathered */
	unsigned char	*extra;		/* the first header's extra field */
	size_t		 incap, inlen, lastcap, extralen;
	uint64_t	 raw;		/* bytes taken in */
	uint64_t	 submitted;	/* members handed to the pool */
	/* under the pool's lock (or read after gz_finish or gz_sync): */
	uint64_t	 written;	/* members the sink took (or skipped) */
	uint64_t	 packed;	/* bytes handed to the sink */
	uint64_t	 in_at_out;	/* input in those members */
	uint64_t	 full_packed;	/* of them, those of GZ_MEMBER bytes */
	uint64_t	 full_raw;
	int		 failed;	/* the sink failed: the file has a hole */
	int		 err;		/* its errno */
};

/* level 0 (stored) to 9; threads 0 to GZ_THREADS_MAX.  NULL with errno. */
struct gz_pool	*gz_pool_new(int, int);
void		 gz_pool_free(struct gz_pool *);

/* meta (may be NULL) goes into the header; longer than GZ_META_MAX: EINVAL. */
int	gz_writer_init(struct gz_writer *, struct gz_pool *, const char *,
	    gz_sink, void *);
int	gz_write(struct gz_writer *, const void *, size_t);
/* A member's end, handed over: to be written, without waiting. */
int	gz_flush(struct gz_writer *);
/* A member's end, and waits until it is written: decodable so far. */
int	gz_sync(struct gz_writer *);
int	gz_finish(struct gz_writer *);	/* the last member; complete */
/* Waits until the members handed over are written. */
int	gz_wait(struct gz_writer *);

/*
 * The compressed size the input so far will come to: exact for the
 * members written, the rest at the ratio of the full ones among them
 * (else of all, else 1/4); *guess is set if there is input but no full
 * member written yet.
 */
uint64_t	gz_estimate(const struct gz_writer *, int *);
void	gz_writer_free(struct gz_writer *);

/*
 * Decompresses the gzip file at fd, every member of it, handing the
 * decoded bytes to sink, until its end or, for a file cut short, as far
 * as it decodes.  Returns 1 if the file ended at a member's end, 0 if it
 * was cut short or corrupt after some point, -1 with errno on a read or
 * sink error.  The first header's
 * metadata is copied NUL-terminated into meta[0..size) before the
 * first decoded bytes go to sink: the "TL" subfield's data, or, for a
 * file written before it moved there, the header comment; empty if
 * there is neither or it does not fit.
 */
int	gz_salvage(int, gz_sink, void *, char *, size_t);

#endif
