/*
 * AWS Signature Version 4, pure: OpenSSL for SHA-256 and HMAC, the time
 * passed in, one function per step of AWS's description (canonical
 * request, string to sign, signing key, signature), header and query
 * (presigned) forms.  Paths are encoded once and not normalized, as S3
 * and the MSK IAM signer want.  Returned strings are malloc'd; NULL
 * means out of memory or an OpenSSL failure.
 */
#ifndef TEL_SIGV4_H
#define TEL_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#define SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct sigv4_creds {
	const char	*akid, *secret;
	const char	*token;		/* session token, or NULL */
};

struct sigv4_param {
	const char	*name, *value;	/* query: raw, encoded here */
};

struct sigv4_req {
	const char			*method, *host;
	const char			*path;		/* raw, e.g. "/test$file.text" */
	const struct sigv4_param	*query;
	size_t				 nquery;
	const struct sigv4_param	*headers;	/* besides host */
	size_t				 nheaders;
	const char			*payload_hash;	/* hex, or UNSIGNED-PAYLOAD */
};

/* "20130524T000000Z" (17 bytes with NUL) for ms since the epoch. */
void	sigv4_amzdate(int64_t, char *);

/* Step 1: RFC 3986 encoding, sorting, trimming; the canonical request. */
char	*sigv4_uri_encode(const char *, int);
char	*sigv4_canonical_query(const struct sigv4_param *, size_t);
char	*sigv4_canonical_headers(const struct sigv4_req *, char **);
char	*sigv4_canonical_request(const struct sigv4_req *, const char *,
	    char **);

/* Step 2: the string to sign, for amzdate and scope date/region/service. */
char	*sigv4_string_to_sign(const char *, const char *, const char *);

/* Step 3: the signing key, HMAC chain from "AWS4" + secret. */
int	sigv4_signing_key(const char *, const char *, const char *,
	    const char *, unsigned char [32]);

/* Step 4: the hex signature of a string to sign. */
int	sigv4_signature(const unsigned char [32], const char *, char [65]);

/*
 * The Authorization header value for req at time ms.  The caller has put
 * x-amz-date (sigv4_amzdate), x-amz-content-sha256 and, with a session
 * token, x-amz-security-token among req's headers: every header given
 * is signed.
 */
char	*sigv4_authorization(const struct sigv4_req *,
	    const struct sigv4_creds *, const char *, const char *, int64_t);

/*
 * The presigned query string (req's own parameters plus the X-Amz-*
 * ones, X-Amz-Signature last) valid for expires seconds from ms.
 */
char	*sigv4_presign(const struct sigv4_req *, const struct sigv4_creds *,
	    const char *, const char *, int64_t, unsigned);

/* Hex SHA-256 of n bytes into out[65]; -1 on an OpenSSL failure. */
int	sigv4_sha256_hex(const void *, size_t, char [65]);

#endif
