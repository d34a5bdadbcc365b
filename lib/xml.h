/*
 * The little XML that S3 and STS answer with: the text of a named
 * element (Code, Message, RequestId, UploadId, ETag; STS's Credentials),
 * entities decoded.  Not an XML parser: the replies are flat enough that
 * the first element of a name is the one meant.
 */
#ifndef TEL_XML_H
#define TEL_XML_H

#include <stddef.h>

/*
 * Copies the decoded text of the first <tag>...</tag> in p[0..n) into
 * out[outsz] (NUL-terminated, cut short if it does not fit).  Returns 1
 * if found, 0 if not (out is then "").
 */
int	xml_text(const char *, size_t, const char *, char *, size_t);

/*
 * As xml_text, but the text is never cut: *out is malloc'd (the caller
 * frees it), NULL if not found.  Returns 1 if found, 0 if not, -1 out
 * of memory.
 */
int	xml_dup(const char *, size_t, const char *, char **);

/*
 * The next <tag>...</tag> element at or after *off in p[0..n): its inner
 * bytes in *inner and *innerlen, *off moved past it.  1 if found, 0 not.
 */
int	xml_next(const char *, size_t, const char *, size_t *, const char **,
	    size_t *);

/* 1 if p[0..n) holds an <Error> element: a failure even with a 200. */
int	xml_is_error(const char *, size_t);

#endif
