/* MSK IAM tokens: see mskiam.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "mskiam.h"
#include "sigv4.h"

static int
region_ok(const char *r, size_t n)
{
	return n > 0 && n < 64 && r[0] != '-' && r[n - 1] != '-' &&
	    strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789-") >= n;
}

static void
wipe_free(char *p)
{
	if (p != NULL) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
}

void
msk_token_free(char *t)
{
	wipe_free(t);
}

/* The signed URL, User-Agent last and unsigned, as the signers do. */
static char *
msk_url(const struct sigv4_creds *c, const char *region, int64_t now,
    const char *ua)
{
	struct sigv4_param q[] = { { "Action", "kafka-cluster:Connect" } };
	struct sigv4_req r = { "GET", NULL, "/", q, 1, NULL, 0,
	    SIGV4_EMPTY_SHA256 };
	char host[128], *query, *agent = NULL, *url = NULL;

	snprintf(host, sizeof(host), "kafka.%s.amazonaws.com", region);
	r.host = host;
	if ((query = sigv4_presign(&r, c, region, "kafka-cluster", now,
	    MSK_TOKEN_EXPIRES)) == NULL ||
	    (ua != NULL && (agent = sigv4_uri_encode(ua, 0)) == NULL))
		goto out;
	if (asprintf(&url, "https://%s/?%s%s%s", host, query,
	    agent ? "&User-Agent=" : "", agent ? agent : "") == -1)
		url = NULL;
out:
	wipe_free(query);	/* holds the session token */
	free(agent);
	return url;
}

int
msk_iam_token(const struct sigv4_creds *c, const char *region, int64_t now,
    int64_t creds_expiry, const char *ua, char **token, int64_t *lifetime)
{
	int64_t life = now / 1000 * 1000 + MSK_TOKEN_EXPIRES * 1000LL;
	char *url, *t;
	size_t n;

	*token = NULL;
	if (c == NULL || c->akid == NULL || c->secret == NULL || now < 0 ||
	    region == NULL || !region_ok(region, strlen(region))) {
		errno = EINVAL;
		return -1;
	}
	if (creds_expiry != 0 && creds_expiry < life)
		life = creds_expiry;
	if (life <= now) {
		errno = EKEYEXPIRED;
		return -1;
	}
	if ((url = msk_url(c, region, now, ua)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	n = strlen(url);
	if ((t = malloc(BASE64_LEN(n) + 1)) != NULL)
		t[base64url_encode(url, n, t)] = '\0';
	wipe_free(url);
	if (t == NULL) {
		errno = ENOMEM;
		return -1;
	}
	*token = t;
	*lifetime = life;
	return 0;
}

/* Lowercases host[0..n) into region if it ends as an MSK host name does. */
static int
msk_host(const char *h, size_t n, char *region, size_t size)
{
	static const char *const suffix[] = { ".amazonaws.com",
	    ".amazonaws.com.cn" };
	const char *end = NULL, *dot;
	size_t i, k;

	while (n > 0 && h[n - 1] == '.')	/* a fully qualified name */
		n--;
	for (i = 0; i < 2 && end == NULL; i++)
		if (n > (k = strlen(suffix[i])) &&
		    strncasecmp(h + n - k, suffix[i], k) == 0)
			end = h + n - k;
	if (end == NULL)
		return -1;
	for (dot = end - 1; dot > h && dot[-1] != '.'; dot--)
		;
	k = (size_t)(end - dot);	/* region: the label before the suffix */
	if (dot - h < 7 || k >= size)
		return -1;
	if (!(dot - h >= 7 && strncasecmp(dot - 7, ".kafka.", 7) == 0) &&
	    !(dot - h >= 18 && strncasecmp(dot - 18, ".kafka-serverless.",
	    18) == 0))
		return -1;
	for (i = 0; i < k; i++)
		region[i] = (char)tolower((unsigned char)dot[i]);
	region[k] = '\0';
	return region_ok(region, k) ? 0 : -1;
}

int
msk_region_from_host(const char *brokers, char *region, size_t size)
{
	const char *h = brokers;
	size_t n;

	while (isspace((unsigned char)*h))
		h++;
	n = strcspn(h, ",: \t");
	return msk_host(h, n, region, size);
}
