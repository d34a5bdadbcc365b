/*
 * What the files of the credential chain share; not for use outside
 * lib/creds*.c (the interface is creds.h).  creds.c runs the sources in
 * creds.h's order, each but the environment in a file of its own:
 *
 *	creds_file.c		the shared files and their profiles
 *	creds_process.c		a profile's credential_process
 *	creds_sts.c		web identity, through STS
 *	creds_metadata.c	container and EC2 instance metadata
 *
 * A source returns 1 with the credentials, 0 if it is not configured,
 * or -1 with a message in err[errsz].
 */
#ifndef TEL_CREDS_IMPL_H
#define TEL_CREDS_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "creds.h"

/* creds.c: messages, secrets and the credentials themselves */
int	creds_fail(char *, size_t, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	creds_nomem(char *, size_t);
const char	*creds_env(const char *);
void	creds_secret_free(char *);
void	creds_buf_free(char *, size_t);
int	creds_fill(struct aws_creds *, const char *, const char *,
	    const char *, int64_t, const char *, char *, size_t);
size_t	creds_rtrim(char *, size_t);
int	creds_read_file(const char *, char **, size_t *, char *, size_t);
int	creds_clean_len(const char *, size_t, size_t);
int	creds_parse_expiry(const char *, size_t, int64_t, int64_t *,
	    const char *, char *, size_t);
int	creds_json(struct aws_creds *, const char *, size_t, int,
	    const char *, int64_t, char *, size_t);

/* creds_file.c */
int	creds_source_profile(struct aws_creds *, const struct aws_creds_opts *,
	    int64_t, char *, size_t);

/* creds_process.c: the command, the source's name, now */
int	creds_process(struct aws_creds *, const char *, const char *, int64_t,
	    char *, size_t);

/* creds_sts.c: creds_web_identity(c, token file, role, session, ...) */
int	creds_web_identity(struct aws_creds *, const char *, const char *,
	    const char *, const struct aws_creds_opts *, int64_t,
	    const char *, char *, size_t);
int	creds_source_web_identity(struct aws_creds *,
	    const struct aws_creds_opts *, int64_t, char *, size_t);

/* creds_metadata.c */
int	creds_source_container(struct aws_creds *, int64_t, char *, size_t);
int	creds_imds_disabled(void);
int	creds_source_imds(struct aws_creds *, int64_t, char *, size_t);

#endif
