/*
 * Amazon MSK IAM authentication tokens for SASL OAUTHBEARER, pure (no
 * I/O): the token is the base64url, unpadded, of a SigV4-presigned
 *   GET https://kafka.REGION.amazonaws.com/?Action=kafka-cluster:Connect
 * (service kafka-cluster, 900 s), a User-Agent parameter appended after
 * signing, as aws-msk-iam-sasl-signer-python, -go and -js build it.
 */
#ifndef TEL_MSKIAM_H
#define TEL_MSKIAM_H

#include <stddef.h>
#include <stdint.h>

#include "sigv4.h"

#define MSK_TOKEN_EXPIRES	900	/* seconds, X-Amz-Expires */

/*
 * Signs with creds at now_ms.  *token (malloc'd; a bearer secret, free
 * it with msk_token_free) and *lifetime_ms_abs, the absolute ms since
 * the epoch librdkafka wants: X-Amz-Date + 900 s, or creds_expiry_ms
 * if that is earlier (0: the credentials do not expire).  user_agent
 * may be NULL for none.  Returns 0, or -1 with errno EINVAL (a bad
 * region), EKEYEXPIRED (the credentials expire before now_ms) or ENOMEM.
 */
int	msk_iam_token(const struct sigv4_creds *, const char *, int64_t,
	    int64_t, const char *, char **, int64_t *);

void	msk_token_free(char *);

/*
 * The region of an MSK bootstrap host, the first of a comma-separated
 * broker list: b-1.CLUSTER.ID.c2.kafka.REGION.amazonaws.com[:port],
 * boot-ID.c1.kafka-serverless.REGION.amazonaws.com, or either ending in
 * .amazonaws.com.cn.  Returns 0, or -1 if the host is not of that form.
 */
int	msk_region_from_host(const char *, char *, size_t);

#endif
