/*
 * A small validating JSON scanner for the hot path: it checks that a
 * buffer holds exactly one JSON text (RFC 8259, strict UTF-8) and picks
 * out the raw values of chosen top-level object members, without
 * building a tree.  jansson stays the reference: t/fuzz/fuzz-jsonscan.c
 * checks the two agree on every input.
 */
#ifndef TEL_JSONSCAN_H
#define TEL_JSONSCAN_H

#include <stddef.h>

#define JSON_MAX_DEPTH	512	/* nesting deeper than this is rejected */

enum json_type {
	JS_NONE,	/* member absent */
	JS_OBJECT, JS_ARRAY, JS_STRING, JS_NUMBER,
	JS_TRUE, JS_FALSE, JS_NULL,
};

struct json_member {
	const char	*key;		/* in: the member name, unescaped */
	size_t		 keylen;
	enum json_type	 type;		/* out: JS_NONE if absent */
	const char	*val;		/* out: strings without quotes, raw */
	size_t		 len;		/* out: 0 for objects and arrays */
	int		 escaped;	/* out: string holds backslash escapes */
};

struct json_error {
	const char	*msg;
	size_t		 offset;	/* byte where the text went wrong */
};

/*
 * Validates p[0..n) and fills the members found at the top level (the
 * last one wins if a name repeats, as in jansson).  Returns the type of
 * the top-level value, or -1 with *err filled.
 */
int	json_scan(const char *, size_t, struct json_member *, size_t,
	    struct json_error *);

/* What json_scan_counted() also says of a top-level object. */
struct json_count {
	size_t		 members;	/* names, repeats included */
	size_t		 unknown;	/* names not among the members asked for */
};

/* json_scan(), counting the top-level member names too. */
int	json_scan_counted(const char *, size_t, struct json_member *, size_t,
	    struct json_count *, struct json_error *);

/* Writes code point cp as UTF-8 into out (1 to 4 bytes); returns how many. */
size_t	json_utf8_put(char *, unsigned long);

/* 1 if p[0..n) is well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF). */
int	json_utf8_valid(const char *, size_t);

/*
 * Decodes the escapes of a string value json_scan() accepted into out,
 * which needs n bytes; returns the decoded length.
 */
size_t	json_unescape(const char *, size_t, char *);



/*
 * Writes s[0..n) as a JSON string literal, quotes included, into out,
 * which needs 6n+2 bytes; returns the length written.  Bytes >= 0x80 are
 * copied as they are: the caller passes UTF-8.
 */
size_t	json_escape(const char *, size_t, char *);

#endif
