/*
 * One object up: the file checked against its manifest, then a single
 * PUT or a multipart upload to S3, or a copy into a file:// lake.
 */
#ifndef S3PUT_UPLOAD_H
#define S3PUT_UPLOAD_H

#include <stdint.h>

#include "pool.h"
#include "s3.h"

/* --checksum-algorithm: a flexible checksum the store verifies too. */
enum { UP_CK_NONE, UP_CK_SHA256, UP_CK_CRC32C };

struct up_opts {
	const char	*content_type, *content_encoding, *storage_class;
	const char	*sse, *sse_kms_key_id, *tagging;
	uint64_t	 threshold, part_size;
	int		 checksum;	/* UP_CK_* */
	const char	*lake;		/* file:// root directory, or NULL */
	struct pool	*pool;		/* -j workers that take parts, or NULL */
};

struct up_item {
	const char	*file, *key;
	const char	*sha256;	/* expected, or "" */
	int64_t		 bytes;		/* expected, or -1 */
	int		 spool;		/* --spool: gone is sent by another */
};

struct up_result {
	char		 etag[136], version_id[256];
	unsigned	 attempts;
	int		 fd;		/* locked; the caller closes it */
};

/*
 * Uploads item within max_ms (0: no limit); 0 once the store confirmed
 * it, with the file still open and locked in res->fd for the caller to
 * remove it and close; -1 if not (reported on stderr); 1 if another
 * tel-s3-put holds the file or has just removed it.  The file is left
 * as it is in every case.
 */
int	upload(struct s3 *, const struct up_opts *, const struct up_item *,
	    int64_t, struct up_result *);

/* The file:// lake: DIR/BUCKET/KEY written atomically.  See lake.c. */
int	lake_put(const char *, const char *, const char *, int, uint64_t,
	    char *, size_t);

#endif
