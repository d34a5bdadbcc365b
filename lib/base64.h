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

/*
 * Decodes standard, padded base64 into out (3n/4 bytes); -1 if s[0..n)
 * is not such a text.
 */
int	base64_decode(const char *, size_t, void *, size_t *);

/* Lowercase hex of n bytes into out (2n bytes and a NUL). */
void	hex_encode(const void *, size_t, char *);

#endif
