/*
 * A Kafka message value as text for one NDJSON line: JSON made compact
 * when it spans lines.
 */
#ifndef TEL_KAFKA_CAT_VALUE_H
#define TEL_KAFKA_CAT_VALUE_H

#include <stddef.h>

/* Bytes json_escape() may need to write n bytes of UTF-8 as a string. */
#define VALUE_STRING_MAX(n)	(6 * (n) + 2)

/*
 * Copies the JSON text p[0..n), which json_scan() accepted, into out (n
 * bytes) without the whitespace between tokens; returns the length.
 */
size_t	value_compact(const char *, size_t, char *);

/* 1 if the JSON text holds a raw line break (only possible between tokens). */
int	value_multiline(const char *, size_t);

#endif
