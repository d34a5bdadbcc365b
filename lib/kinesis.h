/*
 * Amazon Kinesis Data Streams: its JSON API (version 2013-12-02) over
 * HTTP, signed with SigV4 for the service "kinesis".  A call is a POST of
 * a JSON body to the endpoint's "/" with X-Amz-Target
 * Kinesis_20131202.OPERATION; the reply is JSON, an error's kind in its
 * "__type".  This file owns the address, the signing of a call, one
 * attempt at it, and the classification of what came back; what to do
 * with a reply (retry a record, back off a shard) is each tool's policy,
 * with kinesis_do() for the calls that simply retry.
 *
 * A struct kinesis is set up once and shared by threads (its credential
 * cache is thread-safe); each thread makes its calls over a
 * struct kinesis_conn of its own, whose connections are kept alive.
 */
#ifndef TEL_KINESIS_H
#define TEL_KINESIS_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "args.h"
#include "creds.h"
#include "http.h"
#include "prng.h"

/* The service's limits, from the Kinesis API reference. */
#define KINESIS_PUT_RECORDS_MAX		500		/* records per call */
#define KINESIS_PUT_BYTES_MAX		(5 * 1024 * 1024) /* data+keys per call */
#define KINESIS_RECORD_MAX		(1024 * 1024)	/* data+key per record */
#define KINESIS_KEY_MAX			256		/* partition key, chars */
#define KINESIS_GET_RECORDS_MAX		10000		/* records per call */
#define KINESIS_REPLY_MAX		(64 * 1024 * 1024) /* 10 MiB, base64, JSON */

struct kinesis_opts {
	const char	*endpoint;	/* NULL: see kinesis_init */
	const char	*region;	/* NULL: aws_region() */
	const char	*profile;	/* NULL: $AWS_PROFILE, else "default" */
	const char	*prog;		/* for messages: "tel-kinesis-put" */
	int		 trace;		/* each attempt on stderr */
	long		 timeout_ms;	/* per attempt; 0: 30 s */
	/* if set and nonzero, a call in progress is given up */
	const volatile sig_atomic_t	*stop;
};

struct kinesis {
	struct kinesis_opts	 o;
	char			 region[64];
	char			 host[400];	/* as signed: host[:port] */
	char			 url[512];	/* scheme://host/ */
	struct aws_creds_opts	 co;
	struct aws_creds_cache	*cc;
	_Atomic int_least64_t	 skew_ms;	/* server clock - ours */
};

struct kinesis_conn {
	struct kinesis		*k;
	struct http_conn	*http;
	struct tel_prng		 rng;		/* backoff jitter */
};

enum kinesis_verdict {
	KINESIS_OK,		/* 2xx: reply.json is the body */
	KINESIS_RETRY,		/* throttled, 5xx, no answer: try again */
	KINESIS_FAIL,		/* the request is wrong, or we are stopping */
};

struct kinesis_reply {
	long			 status;	/* HTTP; 0 if no answer */
	json_t			*json;		/* a 2xx body, parsed */
	enum kinesis_verdict	 verdict;
	char			 type[96];	/* "__type", short; or "HTTP503" */
	char			 message[320];	/* printable, no secrets */
	char			 request_id[80];
	unsigned		 attempts;	/* kinesis_do's */
};

/* getopt_long values of the options every Kinesis tool takes. */
#define KINESIS_OPT_ENDPOINT	0x4b01
#define KINESIS_OPT_PROFILE	0x4b02
#define KINESIS_OPT_REGION	0x4b03
#define KINESIS_LONGOPTS						\
	{ "endpoint", required_argument, NULL, KINESIS_OPT_ENDPOINT },	\
	{ "profile", required_argument, NULL, KINESIS_OPT_PROFILE },	\
	{ "region", required_argument, NULL, KINESIS_OPT_REGION }

#define KINESIS_STREAM_NAME_MAX	128		/* the API's limit */

/*
 * Takes --endpoint (http:// or https://), --profile or --region (a
 * region's name: it goes into a host name and the signature): 1 if ch
 * was one of them, else 0.  A bad value is a usage error.
 */
int	kinesis_getopt(struct kinesis_opts *, int, const char *, tel_usage_fn);

/*
 * Checks a stream name given with opt against the service's rule (1 to
 * 128 of [a-zA-Z0-9_.-]), so a typo costs no request and the name can go
 * into JSON and file names as it is; returns it.  A usage error if not.
 */
const char	*kinesis_stream_option(const char *, const char *,
		    tel_usage_fn);

/*
 * Sets up k: the region (option, environment, profile; with an endpoint
 * and none of them, us-east-1), the endpoint (option, else
 * $AWS_ENDPOINT_URL_KINESIS, else $AWS_ENDPOINT_URL, else
 * https://kinesis.REGION.amazonaws.com), and the credentials, loaded
 * once now so that a run without any fails at once.  -1 with a message.
 */
int	kinesis_init(struct kinesis *, const struct kinesis_opts *, char *,
	    size_t);
void	kinesis_free(struct kinesis *);

/* A thread's connection; -1 if out of memory. */
int	kinesis_conn_init(struct kinesis_conn *, struct kinesis *);
void	kinesis_conn_free(struct kinesis_conn *);

/*
 * The headers of a call signed at now_ms, pure (no clock, no network):
 * content-type, x-amz-target, x-amz-date, x-amz-security-token (with a
 * session token) and authorization, in h[KINESIS_SIGNED_MAX].  auth is
 * malloc'd (free it); -1 if out of memory.
 */
#define KINESIS_SIGNED_MAX	5
struct kinesis_signed {
	struct http_header	 h[KINESIS_SIGNED_MAX];
	size_t			 n;
	char			 amzdate[17];
	char			 target[80];
	char			*auth;
};

int	kinesis_sign(const char *, const char *, const char *, const void *,
	    size_t, const struct aws_creds *, int64_t, struct kinesis_signed *);

/*
 * One attempt at operation op ("PutRecords") with a JSON body: fills r
 * (free it with kinesis_reply_free) and returns its verdict.
 */
enum kinesis_verdict	kinesis_call(struct kinesis_conn *, const char *,
			    const char *, size_t, struct kinesis_reply *);

/*
 * kinesis_call until it is done or fails for good: KINESIS_RETRY
 * verdicts are retried with full-jitter backoff, up to max attempts (0:
 * 10), the last reply kept in r.
 */
enum kinesis_verdict	kinesis_do(struct kinesis_conn *, const char *,
			    const char *, size_t, unsigned,
			    struct kinesis_reply *);

/*
 * A full-jitter backoff for attempt n (1-based): a random delay in
 * [1, min(cap, base * 2^n)] ms, returned.  kinesis_sleep() sleeps ms
 * unless stopped first (-1).
 */
int64_t	kinesis_backoff_ms(struct kinesis_conn *, unsigned, int64_t, int64_t);
int	kinesis_sleep(const struct kinesis *, int64_t);

/* "TYPE: message (HTTP 400, request id ...)" or why no answer came. */
void	kinesis_reply_describe(const struct kinesis_reply *, char *, size_t);
void	kinesis_reply_free(struct kinesis_reply *);

/* The string member "name" of a JSON object, or NULL. */
const char	*kinesis_str(const json_t *, const char *);

#endif
