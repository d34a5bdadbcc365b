/*
 * Firehose's S3 prefix language: literal text with !{timestamp:FORMAT},
 * !{firehose:random-string}, !{firehose:error-output-type} and
 * !{partitionKeyFromQuery:FIELD} expressions.
 */
#ifndef TEL_BATCH_PREFIX_H
#define TEL_BATCH_PREFIX_H

#include <stddef.h>
#include <stdint.h>

#include "jsonscan.h"

#define PREFIX_RANDOM	'\001'	/* stands for a per-object random string */
#define KEY_MAX		1024	/* S3's limit on object keys, in bytes */
#define NAME_BUDGET	112	/* an object name: --name, time, id, ".gz" */
#define SEGMENT_MAX	200	/* a key segment, so spool paths fit NAME_MAX */
#define RANDOM_LEN	11	/* what a PREFIX_RANDOM grows to */

enum part_kind { P_TEXT, P_TIME, P_RANDOM, P_ERRTYPE, P_FIELD };

struct part {
	enum part_kind	 kind;
	char		*text;		/* text, time format, or field name */
	size_t		 len;
	size_t		 field;		/* P_FIELD: index into the members */
};

struct prefix {
	struct part	*parts;
	size_t		 n;
};

/*
 * Compiles tmpl; error prefixes may use error-output-type but not
 * partition keys, and the other way round.  Field names are added to
 * names[] (at most *nnames < max) and referred to by index.
 */
int	prefix_parse(const char *, int, struct prefix *, const char **names,
	    size_t *, size_t, char *, size_t);
void	prefix_free(struct prefix *);

/*
 * Evaluates the prefix for a record at time ms with the scanned members;
 * random strings come out as PREFIX_RANDOM.  Returns the length, or -1
 * with *why set (and *field, for a partition key), or -2 with *why set if
 * the expanded key has a segment no key may have (key_check).
 */
int	prefix_eval(const struct prefix *, int64_t, const struct json_member *,
	    const char *, char *, size_t, const char **, const char **);

/*
 * NULL if s[0..n) can be a key, as finally expanded: relative, without an
 * empty, "." or ".." segment or a control byte, each segment a file name
 * in the spool.  Not final: PREFIX_RANDOM counts as RANDOM_LEN bytes and
 * the object name (NAME_BUDGET) completes the last segment.  Else the
 * reason, with *toolong set if it is a length.
 */
const char	*key_check(const char *, size_t, int, int *);

/* Percent-encodes what must not reach a key: '/', '\\', '%', controls, "..". */
size_t	key_sanitize(const char *, size_t, char *);

#endif
