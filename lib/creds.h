/*
 * AWS credentials, found the way the AWS SDKs find them, in this order;
 * the first source that is configured decides (a source that is
 * configured but fails is an error, not a reason to try the next one,
 * so that a broken setup never quietly runs as another identity):
 *
 *  1. Environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, with
 *     AWS_SESSION_TOKEN for temporary credentials.
 *  2. Shared files: the profile named by the caller's option, else by
 *     AWS_PROFILE, else "default", in AWS_SHARED_CREDENTIALS_FILE
 *     (~/.aws/credentials, sections "[name]") and AWS_CONFIG_FILE
 *     (~/.aws/config, sections "[profile name]" and "[default]"); the
 *     credentials file wins a key both set.  In the profile, in turn:
 *     role_arn with web_identity_token_file (as in 3); static keys
 *     aws_access_key_id, aws_secret_access_key [, aws_session_token];
 *     credential_process, a command run by /bin/sh that prints JSON
 *     (Version 1).  A profile named explicitly must exist.  Profiles
 *     that assume a role from another profile (source_profile,
 *     credential_source) or use SSO are reported as unsupported.
 *  3. Web identity: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN (and
 *     AWS_ROLE_SESSION_NAME, default "tel-<unix time>"): the token file
 *     is read afresh and exchanged with STS AssumeRoleWithWebIdentity at
 *     AWS_ENDPOINT_URL_STS, else https://sts.REGION.amazonaws.com for
 *     the region as aws_region() finds it, else https://sts.amazonaws.com.
 *  4. Container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (appended to
 *     http://169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI
 *     (https, or http to a loopback address, 169.254.170.2 or
 *     169.254.170.23), sending AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE's
 *     content or AWS_CONTAINER_AUTHORIZATION_TOKEN as Authorization.
 *  5. EC2 instance metadata, IMDSv2 only: a session token (PUT
 *     /latest/api/token), the role name, the role's credentials, at
 *     AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254
 *     (http://[fd00:ec2::254] with AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE
 *     =IPv6); skipped with AWS_EC2_METADATA_DISABLED=true.
 *
 * Metadata endpoints (4, 5) fail fast: 1 s to connect, 1 s (instance)
 * or 2 s (container) for a whole request, AWS_METADATA_SERVICE_TIMEOUT
 * seconds if set.  Secrets (secret key, session token, web identity and
 * container tokens) never appear in error messages and are wiped from
 * memory when freed.  Functions return -1 with a message in err[errsz].
 */
#ifndef TEL_CREDS_H
#define TEL_CREDS_H

#include <stddef.h>
#include <stdint.h>

#define AWS_SOURCE_MAX	128

struct aws_creds {
	char	*akid, *secret;
	char	*token;			/* session token, or NULL */
	int64_t	 expiry_ms;		/* 0: never expires */
	/* "env", "profile:NAME", "web-identity", "container" or "imds" */
	char	 source[AWS_SOURCE_MAX];
};

struct aws_creds_opts {
	const char	*profile;	/* NULL: $AWS_PROFILE, else "default" */
	const char	*region;	/* for STS; NULL: aws_region() */
};

/* Runs the chain above at wall-clock time now_ms. */
int	aws_creds_load(struct aws_creds *, const struct aws_creds_opts *,
	    int64_t, char *, size_t);

/* Wipes and frees the strings; c may be all zeroes. */
void	aws_creds_free(struct aws_creds *);

/* A deep copy; -1 out of memory. */
int	aws_creds_copy(struct aws_creds *, const struct aws_creds *);

/*
 * Refreshing: credentials with an expiry are refreshed once less than
 * AWS_CREDS_REFRESH_MS of their life is left.  If that fails they are
 * kept while more than AWS_CREDS_MIN_MS is left, and the refresh is
 * retried no sooner than AWS_CREDS_RETRY_MS later.
 */
#define AWS_CREDS_REFRESH_MS	(15 * 60 * 1000LL)
#define AWS_CREDS_MIN_MS	(60 * 1000LL)
#define AWS_CREDS_RETRY_MS	(10 * 1000LL)

enum aws_creds_state {
	AWS_CREDS_FRESH,	/* use them */
	AWS_CREDS_STALE,	/* refresh; keep them if that fails */
	AWS_CREDS_EXPIRED,	/* refresh; unusable if that fails */
};

enum aws_creds_state	aws_creds_state(const struct aws_creds *, int64_t);

/*
 * A cache of the chain's credentials for a long-running program, safe
 * to share between threads (librdkafka calls back from its own).
 * aws_creds_get copies the current credentials into *out (which the
 * caller frees with aws_creds_free), refreshing them first as above;
 * a refresh holds the lock, so other threads wait for it, as long as
 * the source's time limits at most (credential_process: 60 s).
 */
struct aws_creds_cache;

struct aws_creds_cache	*aws_creds_cache_new(const struct aws_creds_opts *,
			    char *, size_t);
int	aws_creds_get(struct aws_creds_cache *, int64_t, struct aws_creds *,
	    char *, size_t);
void	aws_creds_cache_free(struct aws_creds_cache *);

/*
 * The region: option if not NULL, else AWS_REGION, AWS_DEFAULT_REGION,
 * then the profile's (NULL: as above) "region" key.  Returns 0, or -1
 * if there is none or it is not a region name ([a-z0-9-]).
 */
int	aws_region(const char *, const char *, char *, size_t);

/*
 * The shared-file parser, exposed for tests and fuzzing.  Looks up the
 * named keys of profile in a config (config=1) or credentials file's
 * text, following the AWS SDKs' file format: "#"/";" comments, values
 * trimmed, indented continuation lines and sub-properties, merged
 * duplicate sections, last key wins, keys case-insensitive.  Sets each
 * key's value (malloc'd) or leaves it NULL; the caller frees them with
 * aws_profile_clear.  Returns 1 if the profile is there, 0 if not, -1
 * for a malformed file (with its line number) or no memory.
 */
struct aws_profile_key {
	const char	*name;		/* in: lowercase */
	char		*value;		/* out */
};

int	aws_profile_parse(const char *, size_t, int, const char *,
	    struct aws_profile_key *, size_t, char *, size_t);
void	aws_profile_clear(struct aws_profile_key *, size_t);

/*
 * The container endpoint's URL from the environment (checked as above):
 * 1 with the URL, 0 if neither variable is set, -1 if one is wrong.
 */
int	aws_container_url(char *, size_t, char *, size_t);

#endif
