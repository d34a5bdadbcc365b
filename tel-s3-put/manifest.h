/*
 * Manifest lines in (tel-batch(1)'s, or any JSON object with "file" and
 * "key"), result lines out: the input line with the upload's members
 * inserted before its closing brace.
 */
#ifndef S3PUT_MANIFEST_H
#define S3PUT_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#define KEY_MAX		1024	/* S3's limit on a key, in bytes */

struct manifest {
	char		*file, *key;	/* malloc'd, unescaped */
	char		 sha256[65];	/* "" if the line had none */
	int64_t		 bytes;		/* -1 if the line had none */
	const char	*line;		/* the object, surrounding space trimmed */
	size_t		 len;
};

/*
 * Parses the line p[0..n); -1 with the reason in err.  The manifest
 * points into p for line; the caller frees it with manifest_free.
 */
int	manifest_parse(const char *, size_t, struct manifest *, char *,
	    size_t);
void	manifest_free(struct manifest *);

/* 0 if key can be an S3 key: 1-1024 bytes of UTF-8, no control bytes. */
int	key_check(const char *, char *, size_t);

struct result {
	const char	*bucket;
	const char	*etag;		/* with its quotes */
	const char	*version_id;	/* NULL or "": left out */
	unsigned	 attempts;
	int64_t		 ms;
};

/*
 * The result line for m (no newline), malloc'd in *out with its length;
 * -1 out of memory.
 */
int	manifest_result(const struct manifest *, const struct result *,
	    char **, size_t *);

/* A manifest line for a file given without one, malloc'd; NULL no memory. */
char	*manifest_make(const char *, const char *);

#endif
