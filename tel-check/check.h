/*
 * tel-check: a JSON Schema (a documented subset of 2020-12) compiled into
 * a tree of nodes, and records validated against it.
 *
 *	schema.c	the schema file: keywords checked, $ref resolved
 *	validate.c	one record against the tree; the first failure
 *	tel-check.c	options, the NDJSON loop, error lines
 */
#ifndef TEL_CHECK_H
#define TEL_CHECK_H

#include <jansson.h>
#include <locale.h>
#include <regex.h>
#include <stddef.h>

/* JSON types, as a set ("type" may list several). */
#define TY_NULL		0x01
#define TY_BOOLEAN	0x02
#define TY_OBJECT	0x04
#define TY_ARRAY	0x08
#define TY_NUMBER	0x10
#define TY_STRING	0x20
#define TY_INTEGER	0x40

/* Which numeric bounds a node has. */
#define B_MIN		0x1
#define B_MAX		0x2
#define B_XMIN		0x4
#define B_XMAX		0x8

struct prop {
	const char	*name;		/* the schema's own string */
	struct node	*schema;
};

struct node {
	int		 boolean;	/* 1 for true, 0 for false, -1 a schema */
	char		*path;		/* "#/properties/speed", for messages */
	struct node	*ref;		/* "$ref", resolved */
	unsigned	 types;		/* 0: any */
	const char	**required;
	size_t		 nrequired;
	struct prop	*props;
	size_t		 nprops;
	struct node	*additional;	/* NULL: anything */
	struct node	*items;		/* NULL: anything */
	json_t		*enums;		/* an array, or NULL */
	json_t		*constant;	/* NULL if no "const" */
	unsigned	 bounds;	/* B_* */
	long double	 min, max, xmin, xmax;
	long long	 minlen, maxlen;	/* -1: none; in characters */
	int		 has_pattern;
	regex_t		 pattern;	/* in C.UTF-8: characters */
	regex_t		 pattern_ascii;	/* in C: the same for ASCII, faster */
	locale_t	 c_locale;	/* the schema's, for pattern_ascii */
	const char	*pattern_src;
	json_t		*src;		/* the schema text it was made from */
	struct node	*next;		/* every node, for schema_free() */
};

struct json_member;

struct schema {
	json_t		*doc;
	locale_t	 c_locale;	/* for pattern_ascii */
	struct node	*root;
	struct node	*all;		/* the list of every node */
	/* fast.c: a flat root's members, their nodes, the required ones */
	int		 fast;
	struct json_member *fm;
	const struct node **fnode;
	size_t		*freq;
	size_t		 nfm;
	char		*scratch;	/* unescaped strings */
	size_t		 scratchcap;
};

/*
 * Reads and compiles the schema file; -1 with a message in err (the
 * keyword, or the reason, and where).
 */
int	schema_load(struct schema *, const char *, char *, size_t);

/* The same for a parsed document, which the schema then owns. */
int	schema_compile(struct schema *, json_t *, char *, size_t);
void	schema_free(struct schema *);

/* A failure: where in the record, which keyword of which node, why. */
struct failure {
	char		 where[256];	/* JSON pointer into the record */
	const char	*keyword;
	const char	*schema_path;
	char		 why[256];
};

/* 0 if v is valid against the schema, -1 with the first failure in *f. */
int	validate(const struct schema *, json_t *, struct failure *);

/* 1 if a and b are equal as JSON Schema compares (1 equals 1.0). */
int	json_same(json_t *, json_t *);

/* Characters (code points) of UTF-8 text, as JSON Schema counts them. */
long long	utf8_chars(const char *, size_t);

/* 1 if n's pattern matches anywhere in s[0..len). */
int	pattern_matches(const struct node *, const char *, size_t);

/*
 * fast.c: fast_plan() sees whether the schema allows the fast path (0,
 * or -1 out of memory); fast_valid() is 1 only for a line it knows is a
 * valid record, 0 for anything else, to be checked by validate().
 */
int	fast_plan(struct schema *);
int	fast_valid(struct schema *, const char *, size_t);

#endif
