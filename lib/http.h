/*
 * HTTP client over libcurl, the only file that uses it.  One synchronous
 * request at a time: http_do on a fresh connection, as the AWS credential
 * chain needs, or http_conn_do on a kept handle whose connections are
 * reused (keep-alive), as an uploader needs.  The request and response
 * structures are meant to serve a curl-multi uploader later too (a body
 * from memory or from a file range, any headers, chosen response headers
 * kept).  Response bodies are bounded and wiped when freed: they may
 * carry credentials.
 */
#ifndef TEL_HTTP_H
#define TEL_HTTP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_BODY	(1024 * 1024)	/* default bound on a response body */

struct http_header {
	const char	*name, *value;
};

enum http_body_kind {
	HTTP_BODY_NONE,		/* zero-initialised: no body */
	HTTP_BODY_MEM,
	HTTP_BODY_FD,		/* len bytes from fd at off, with pread */
};

struct http_body {
	enum http_body_kind	 kind;
	const void		*mem;
	int			 fd;
	int64_t			 off;
	uint64_t		 len;
};

struct http_req {
	const char			*method;	/* "GET", "PUT", ... */
	const char			*url;		/* http: or https: */
	const struct http_header	*headers;	/* no CR or LF */
	size_t				 nheaders;
	struct http_body		 body;
	long				 connect_ms;	/* 0: curl's default */
	long				 total_ms;	/* 0: no limit */
	size_t				 max_body;	/* 0: HTTP_MAX_BODY */
	const char *const		*keep;		/* response headers */
	size_t				 nkeep;
	int				 no_proxy;	/* link-local endpoints */
	long				 stall_s;	/* 0, or give up after
							   this long without a
							   byte either way */
	/* if set and nonzero, the transfer is given up ("interrupted") */
	const volatile sig_atomic_t	*stop;
};

struct http_kept {
	char	*name, *value;
};

struct http_resp {
	long			 status;	/* 0 if no response came */
	char			*body;		/* NUL-terminated */
	size_t			 len;
	struct http_kept	*headers;	/* those of req.keep received */
	size_t			 nheaders;
};

/* curl_global_init, once per process, thread-safe; -1 if it failed. */
int	http_init(char *, size_t);

/*
 * Performs req, filling resp (which the caller frees with
 * http_resp_free) whatever the status.  Returns -1 with a message in
 * err, and nothing to free, if no complete response came: no
 * connection, a timeout, a body over max_body.  The message names no
 * header value or body.
 */
int	http_do(const struct http_req *, struct http_resp *, char *, size_t);

/*
 * A handle kept across requests so that their connections are reused;
 * NULL if out of memory.  Not for two threads at once.
 */
struct http_conn;

struct http_conn	*http_conn_new(void);
void	http_conn_free(struct http_conn *);

/* http_do over conn's connections. */
int	http_conn_do(struct http_conn *, const struct http_req *,
	    struct http_resp *, char *, size_t);

/* A kept response header's value (name case-insensitive), or NULL. */
const char	*http_resp_header(const struct http_resp *, const char *);

/* Frees and wipes the body and kept headers. */
void	http_resp_free(struct http_resp *);

/*
 * Splits url into its scheme and host (lowercase, IPv6 without
 * brackets); -1 if curl cannot parse it or a part does not fit.
 */
int	http_url_host(const char *, char *, size_t, char *, size_t);

/*
 * An AWS endpoint URL, http(s)://HOST[:PORT] with at most a "/" after
 * it: its scheme and the host[:port] that curl sends in Host (and so
 * the one to sign), lowercase, the scheme's default port left out.  -1
 * if it is not of that form or does not fit.
 */
int	http_endpoint(const char *, char *, size_t, char *, size_t);

#endif
