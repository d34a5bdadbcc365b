/*
 * Binary-to-text encodings: base64 (RFC 4648 section 4), its URL-safe,
 * unpadded variant (section 5), and hex.
 */
#ifndef TEL_BASE64_H
#define TEL_BASE64_H

#include <stddef.h>

#define BASE64_LEN(n)	(((n) + 2) / 3 * 4)	/* padded length, no NUL */

/* Encodes n bytes into out (BASE64_LEN(n) bytes); returns the length. */
size_t	base64_encode(const void *, size_t, char *);
size_t	base64url_encode(const void *, size_t, char *);

/* Lowercase hex of n bytes into out (2n bytes and a NUL). */
void	hex_encode(const void *, size_t, char *);

#endif
