/*
 * Fuzz target: the KPL aggregate decoder (lib/kpl.c).  An input that
 * begins with the magic is parsed as it is, then again with its MD5 made
 * right, so that mutations get past the checksum to the parser; any
 * other input is taken as the protobuf message and sealed.  A refusal
 * must leave *agg empty with a reason (the same one, cut, in a short
 * buffer); an accepted aggregate's records must lie inside the input,
 * with UTF-8 keys.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"
#include "kpl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
inside(const void *p, size_t n, const uint8_t *buf, size_t size)
{
	const uint8_t *q = p;

	return n == 0 || (q >= buf && q <= buf + size && n <= size &&
	    (size_t)(q - buf) <= size - n);
}

static void
check_records(const struct kpl_agg *a, const uint8_t *buf, size_t size)
{
	struct kpl_record r;
	size_t i;

	for (i = 0; i < kpl_count(a); i++) {
		if (kpl_get(a, i, &r) == -1 || r.pk == NULL ||
		    !inside(r.data, r.datalen, buf, size) ||
		    !inside(r.pk, r.pklen, buf, size) ||
		    !json_utf8_valid(r.pk, r.pklen))
			abort();
		if (r.ehk == NULL ? r.ehklen != 0 :
		    !inside(r.ehk, r.ehklen, buf, size) ||
		    !json_utf8_valid(r.ehk, r.ehklen))
			abort();
	}
	if (kpl_get(a, i, &r) != -1)
		abort();
}

static void
check(const uint8_t *buf, size_t size)
{
	struct kpl_agg a;
	char err[256], cut[16];

	memset(err, 0, sizeof(err));
	if (kpl_parse(&a, buf, size, err, sizeof(err)) == 0) {
		if (!kpl_is_aggregated(buf, size))
			abort();
		check_records(&a, buf, size);
		kpl_free(&a);
		return;
	}
	if (errno == ENOMEM)
		return;
	if (errno != EINVAL || err[0] == '\0' || a.nrec != 0 ||
	    a.rec != NULL || a.pk != NULL || a.ehk != NULL)
		abort();
	if (kpl_parse(&a, buf, size, cut, sizeof(cut)) != -1 ||
	    memchr(cut, '\0', sizeof(cut)) == NULL ||
	    strncmp(cut, err, sizeof(cut) - 1) != 0)
		abort();
}

/* magic + msg + MD5(msg), then check() on it. */
static void
check_sealed(const uint8_t *msg, size_t n)
{
	uint8_t *buf;
	unsigned len;

	if ((buf = malloc(n + KPL_MAGIC_LEN + KPL_DIGEST_LEN)) == NULL)
		abort();
	memcpy(buf, KPL_MAGIC, KPL_MAGIC_LEN);
	if (n > 0)
		memcpy(buf + KPL_MAGIC_LEN, msg, n);
	if (EVP_Digest(msg, n, buf + KPL_MAGIC_LEN + n, &len, EVP_md5(),
	    NULL) != 1 || len != KPL_DIGEST_LEN)
		abort();
	check(buf, n + KPL_MAGIC_LEN + KPL_DIGEST_LEN);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size);
	if (size >= KPL_MAGIC_LEN + KPL_DIGEST_LEN &&
	    kpl_is_aggregated(data, size))
		check_sealed(data + KPL_MAGIC_LEN,
		    size - KPL_MAGIC_LEN - KPL_DIGEST_LEN);
	else
		check_sealed(data, size);
	return 0;
}
