/*
 * Batches of records for one PutRecords call, and the call's body.  A
 * batch copies each line with its keys into one buffer, so a record
 * outlives the reader's and a retry can send any subset again.  The
 * body is written by hand: base64 and escaping are all it needs, and a
 * JSON tree of 500 records would cost more than the encoding.
 */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "jsonscan.h"
#include "kput.h"

struct kbatch *
kbatch_new(void)
{
	struct kbatch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	if ((b->r = calloc(KINESIS_PUT_RECORDS_MAX, sizeof(*b->r))) == NULL) {
		free(b);
		return NULL;
	}
	return b;
}

void
kbatch_free(struct kbatch *b)
{
	if (b == NULL)
		return;
	free(b->r);
	free(b->buf);
	free(b);
}

void
kbatch_clear(struct kbatch *b)
{
	b->n = 0;
	b->used = 0;
	b->bytes = 0;
	b->since = 0;
}

/* Room for one more record of size bytes (data and partition key). */
int
kbatch_fits(const struct kbatch *b, size_t size)
{
	return b->n < KINESIS_PUT_RECORDS_MAX &&
	    b->bytes + size <= KINESIS_PUT_BYTES_MAX;
}

static int
reserve(struct kbatch *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 64 * 1024;
	char *nb;

	if (b->used + more <= b->cap)
		return 0;
	while (cap < b->used + more)
		cap *= 2;
	if ((nb = realloc(b->buf, cap)) == NULL)
		return -1;
	b->buf = nb;
	b->cap = cap;
	return 0;
}

/* Appends a record: data, partition key, hash key (hlen may be 0). */
int
kbatch_add(struct kbatch *b, const char *data, size_t len, const char *key,
    size_t klen, const char *hash, size_t hlen, uint64_t lineno)
{
	struct krec *r;

	if (reserve(b, len + klen + hlen) == -1)
		return -1;
	r = &b->r[b->n++];
	r->off = b->used;
	r->len = (uint32_t)len;
	r->klen = (uint16_t)klen;
	r->hlen = (uint8_t)hlen;
	r->lineno = lineno;
	memcpy(b->buf + b->used, data, len);
	memcpy(b->buf + b->used + len, key, klen);
	if (hlen > 0)
		memcpy(b->buf + b->used + len + klen, hash, hlen);
	b->used += len + klen + hlen;
	b->bytes += len + klen;
	return 0;
}

/*
 * Appends every record of from; the caller checked they fit.  All or
 * none: the room is made first, so a failure leaves b as it was (else
 * the records already appended would be sent twice).
 */
int
kbatch_merge(struct kbatch *b, const struct kbatch *from)
{
	const struct krec *r;
	size_t i;

	if (reserve(b, from->used) == -1)
		return -1;

	for (i = 0; i < from->n; i++) {
		r = &from->r[i];
		if (kbatch_add(b, from->buf + r->off, r->len,
		    from->buf + r->off + r->len, r->klen,
		    from->buf + r->off + r->len + r->klen, r->hlen,
		    r->lineno) == -1)
			return -1;
	}
	return 0;
}

const char *
kbatch_data(const struct kbatch *b, const struct krec *r)
{
	return b->buf + r->off;
}

/* The most bytes record r can take in a body. */
static size_t
rec_room(const struct krec *r)
{
	return BASE64_LEN(r->len) + 6 * (size_t)r->klen + r->hlen + 64;
}

static int
body_reserve(struct lane *ln, size_t need)
{
	char *nb;

	if (need <= ln->bodycap)
		return 0;
	if ((nb = realloc(ln->body, need)) == NULL)
		return -1;
	ln->body = nb;
	ln->bodycap = need;
	return 0;
}

static size_t
put_str(char *d, const char *s)
{
	size_t n = strlen(s);

	memcpy(d, s, n);
	return n;
}

/* One element of Records: {"Data":...,"PartitionKey":...[,...]}. */
static size_t
put_record(char *d, const struct kbatch *b, const struct krec *r)
{
	const char *data = b->buf + r->off;
	size_t n = 0;

	n += put_str(d + n, "{\"Data\":\"");
	n += base64_encode(data, r->len, d + n);
	n += put_str(d + n, "\",\"PartitionKey\":");
	n += json_escape(data + r->len, r->klen, d + n);
	if (r->hlen > 0) {
		n += put_str(d + n, ",\"ExplicitHashKey\":\"");
		memcpy(d + n, data + r->len + r->klen, r->hlen);
		n += r->hlen;
		d[n++] = '"';
	}
	d[n++] = '}';
	return n;
}

/*
 * The PutRecords body for the records of b the lane still has to store
 * (ln->todo), into ln->body; its length in *len.  -1 if out of memory.
 */
int
kput_body(struct lane *ln, const struct kbatch *b, size_t *len)
{
	const struct kput *p = ln->p;
	size_t need = p->stream_json_len + 32, n = 0, i;
	char *d;

	for (i = 0; i < ln->ntodo; i++)
		need += rec_room(&b->r[ln->todo[i]]);
	if (body_reserve(ln, need) == -1)
		return -1;
	d = ln->body;
	d[n++] = '{';
	memcpy(d + n, p->stream_json, p->stream_json_len);
	n += p->stream_json_len;
	n += put_str(d + n, ",\"Records\":[");
	for (i = 0; i < ln->ntodo; i++) {
		if (i > 0)
			d[n++] = ',';
		n += put_record(d + n, b, &b->r[ln->todo[i]]);
	}
	n += put_str(d + n, "]}");
	*len = n;
	return 0;
}
