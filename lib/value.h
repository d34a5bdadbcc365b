/*
 * A message's value (a Kafka message's, a Kinesis record's) as the text
 * of one NDJSON line: JSON as it is, made one line when it spans lines;
 * else, with raw, a JSON string, or for bytes that are not UTF-8 their
 * base64 (in an envelope) or an error line of tel(7).  A value with a
 * top-level "@tel" member is never a record.  Shared by the cat tools so
 * that one value makes the same line whichever transport carried it.
 */
#ifndef TEL_VALUE_H
#define TEL_VALUE_H

#include <stddef.h>

/* Bytes json_escape() may need to write n bytes of UTF-8 as a string. */
#define VALUE_STRING_MAX(n)	(6 * (n) + 2)

/*
 * Copies the JSON text p[0..n), which json_scan() accepted, into out (n
 * bytes) without the whitespace between tokens; returns the length.
 * Valid JSON holds a raw CR or LF only between tokens, so this makes any
 * JSON text one line without changing it.
 */
size_t	value_compact(const char *, size_t, char *);

/* 1 if the JSON text holds a raw line break (only possible between tokens). */
int	value_multiline(const char *, size_t);

enum value_form {
	VALUE_TEXT,	/* JSON, or a JSON string: the line itself */
	VALUE_BYTES,	/* envelope and raw, not UTF-8: for "value_base64" */
	VALUE_ERROR,	/* raw, not UTF-8: an error line of tel(7) */
};

/* A caller's scratch buffer, grown as needed; zero it to start. */
struct value_buf {
	char	*p;
	size_t	 cap;
};

/*
 * The line text for the value v[0..n) (v may be NULL: no value), and
 * its length in *len and kind in *form; it is v itself or lies in b.
 * where names the value in an error line's message ("fleet
 * shardId-000000000001 49590..."); raw and envelope are the options of
 * that name.  NULL, with why, for a value to skip and report.
 */
const char	*value_render(struct value_buf *, const char *, size_t, int, int,
		    const char *, size_t *, enum value_form *, char *, size_t);

/*
 * An envelope member ,"name":"text", or ,"name_base64":"..." for bytes
 * that are not UTF-8, into buf (VALUE_STRING_MAX(n) + BASE64_LEN(n) +
 * strlen(name) + 16 bytes); returns its length.
 */
size_t	value_member(char *, const char *, const char *, size_t);

/* Room for n bytes in b; NULL if there is not that much memory. */
char	*value_room(struct value_buf *, size_t);
void	value_buf_free(struct value_buf *);

#endif
