/*
 * A Kafka message value (or key) as text for one NDJSON line: JSON made
 * compact when it spans lines, anything else as a JSON string.
 */
#ifndef TEL_KAFKA_CAT_VALUE_H
#define TEL_KAFKA_CAT_VALUE_H

#include <stddef.h>

/* Bytes value_compact() or value_string() may need for n input bytes. */
#define VALUE_STRING_MAX(n)	(6 * (n) + 2)

/*
 * Copies the JSON text p[0..n), which json_scan() accepted, into out (n
 * bytes) without the whitespace between tokens; returns the length.
 */
size_t	value_compact(const char *, size_t, char *);

/*
 * Writes p[0..n) as a JSON string literal into out.  UTF-8 is kept; if
 * the bytes are not UTF-8, each byte above 0x7f is read as Latin-1
 * (\u00XX), so nothing is lost and the line stays valid JSON.
 */
size_t	value_string(const char *, size_t, char *);

/* 1 if the JSON text holds a raw line break (only possible between tokens). */
int	value_multiline(const char *, size_t);

#endif
