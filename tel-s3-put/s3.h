/*
 * S3 requests: addressing (virtual-hosted or path style), SigV4 header
 * signing with the real payload hash, and the retry policy (backoff with
 * full jitter; clock skew and expired tokens corrected and re-signed).
 */
#ifndef S3PUT_S3_H
#define S3PUT_S3_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "creds.h"
#include "http.h"
#include "prng.h"
#include "sigv4.h"

struct s3_opts {
	const char	*bucket, *region, *endpoint, *profile;
	int		 path_style;	/* forced; else as the endpoint needs */
	unsigned	 max_attempts;
	long		 stall_s;	/* no byte either way this long: retry */
	int		 verbose, quiet;
};

struct s3 {
	struct s3_opts		 o;
	char			 region[64];
	char			 host[512];	/* as signed: host[:port] */
	char			 base[600];	/* scheme://host */
	char			*prefix;	/* "/bucket" path style, or "" */
	struct aws_creds_cache	*cc;
	int			 own_cc;	/* else the parent's, shared */
	struct aws_creds_opts	 co;
	struct http_conn	*conn;
	struct tel_prng		 rng;
	int64_t			 skew_ms;	/* server clock minus ours */
	const volatile sig_atomic_t *stop;
};

/* One logical request, retried as a whole. */
struct s3_call {
	const char			*method;
	const char			*key;		/* NULL: the bucket */
	const struct sigv4_param	*query;
	size_t				 nquery;
	const struct http_header	*headers;	/* lowercase, signed */
	size_t				 nheaders;
	struct http_body		 body;
	const char			*sha256;	/* hex of the body */
	int64_t				 deadline;	/* ms; 0: none */
	int				 no_stop;	/* an abort: not interrupted */
};

struct s3_reply {
	long		 status;	/* 0: no response */
	char		 code[64], message[256], request_id[128];
	char		 etag[136], version_id[256];
	char		*body;		/* malloc'd, NUL-terminated */
	size_t		 len;
	unsigned	 attempts;
	char		 why[256];	/* transport error, when status is 0 */
};

int	s3_init(struct s3 *, const struct s3_opts *, char *, size_t);

/*
 * A handle for a -j worker: the parent's settings and credential cache
 * (thread-safe: one credential fetch serves every worker), connections
 * and clock correction of its own.  The parent outlives it.
 */
int	s3_init_worker(struct s3 *, const struct s3 *, char *, size_t);
void	s3_free(struct s3 *);

/*
 * Performs the call with retries.  0 on a 2xx without an <Error> body;
 * -1 otherwise, with what is known in *r.  Frees r's body first.
 */
int	s3_do(struct s3 *, const struct s3_call *, struct s3_reply *);
void	s3_reply_free(struct s3_reply *);

/* "CODE: message (request id X)" or the transport error, into buf. */
void	s3_reply_describe(const struct s3_reply *, char *, size_t);


#endif
