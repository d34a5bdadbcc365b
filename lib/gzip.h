/*
 * gzip streams over zlib: a writer that compresses into a file
 * descriptor, can make everything so far decodable (sync flush) and
 * seals with the gzip trailer; and a salvaging reader for files a crash
 * left without one.  The only file that talks to zlib.
 *
 * A file can carry a line of metadata (say, where a spooled file was
 * going) in its header, as the data of an extra-field subfield (RFC 1952
 * 2.3.1.1) with the ID GZ_META_SI1 GZ_META_SI2, "TL" (for tel; ours, not
 * registered).  Not in the header comment (FCOMMENT), where it was
 * before: DuckDB refuses gzip files with a comment ("Unsupported GZIP
 * archive") but reads those with an extra field.
 */
#ifndef TEL_GZIP_H
#define TEL_GZIP_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#define GZ_META_SI1	'T'
#define GZ_META_SI2	'L'
#define GZ_META_MAX	(65535 - 4)	/* XLEN's most, less SI1 SI2 LEN */

/* Called with each run of compressed bytes; returns -1 with errno to stop. */
typedef int	(*gz_sink)(void *, const void *, size_t);

struct gz_writer {
	z_stream	 z;
	gz_header	 head;
	gz_sink		 sink;
	void		*arg;
	unsigned char	*out, *in;		/* in: input not yet deflated */
	unsigned char	*extra;		/* the header's extra field */
	size_t		 outcap, incap, inlen;
	uint64_t	 raw;		/* bytes taken in */
	uint64_t	 packed;	/* bytes handed to the sink */
	uint64_t	 in_at_out;	/* input consumed at the last output */
	int		 dirty;		/* input since the last flush */
	int		 failed;	/* the sink failed: the stream has a hole */
};

/* meta (may be NULL) goes into the header; longer than GZ_META_MAX: EINVAL. */
int	gz_writer_init(struct gz_writer *, int, const char *, gz_sink, void *);
int	gz_write(struct gz_writer *, const void *, size_t);
int	gz_sync(struct gz_writer *);	/* Z_SYNC_FLUSH: decodable so far */
int	gz_finish(struct gz_writer *);	/* trailer; the stream is complete */

/* The compressed size the input so far will come to, estimated. */
uint64_t	gz_estimate(const struct gz_writer *);
void	gz_writer_free(struct gz_writer *);

/*
 * Decompresses the gzip file at fd, handing the decoded bytes to sink,
 * until its end or, for a file cut short, as far as it decodes.  Returns
 * 1 if the stream was complete, 0 if it was cut short or corrupt after
 * some point, -1 with errno on a read or sink error.  The header's
 * metadata is copied NUL-terminated into meta[0..size) before the
 * first decoded bytes go to sink: the "TL" subfield's data, or, for a
 * file written before it moved there, the header comment; empty if
 * there is neither or it does not fit.
 */
int	gz_salvage(int, gz_sink, void *, char *, size_t);

#endif
