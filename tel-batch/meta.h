/*
 * tel-batch: a batch's gzip header metadata (lib/gzip.h, subfield "TL"),
 * which says where the file was going, so that a salvage after a crash
 * can finish it: {"tel-batch":1,"key":K,"first":N,"error":B}.
 */
#ifndef TEL_BATCH_META_H
#define TEL_BATCH_META_H

#include <stdint.h>

#include "prefix.h"

/*
 * The most the metadata holds: a key of KEY_MAX bytes JSON-escaped (6
 * bytes each at most), the rest, and the NUL.  Far below GZ_META_MAX.
 */
#define META_MAX	(6 * KEY_MAX + 128)

/* The metadata for a batch (malloc'd); NULL with errno set. */
char	*meta_make(const char *, int64_t, int);

/*
 * Reads the key (malloc'd), first record time and error flag back from
 * metadata.  -1 if it is not tel-batch's, with *why set when it is but
 * names a key no batch may have, since anyone who can write in open/
 * can craft a header.
 */
int	 meta_parse(const char *, char **, int64_t *, int *, const char **);

#endif
