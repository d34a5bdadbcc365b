/*
 * KPL aggregates: a minimal protobuf wire reader of our own, for the
 * three messages of kpl.h and nothing else.  Two passes over the message:
 * the first checks its top level and counts the tables and records, so
 * that each array is allocated once at its size; the second fills them,
 * checking every record and tag.  Nothing is copied: the tables point
 * into the caller's bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "jsonscan.h"
#include "kpl.h"

enum {
	WIRE_VARINT = 0,
	WIRE_I64 = 1,
	WIRE_LEN = 2,
	WIRE_SGROUP = 3,
	WIRE_EGROUP = 4,
	WIRE_I32 = 5,
};

/* Field numbers of AggregatedRecord, Record and Tag. */
enum { AGG_PK = 1, AGG_EHK = 2, AGG_RECORD = 3 };
enum { REC_PK = 1, REC_EHK = 2, REC_DATA = 3, REC_TAG = 4 };
enum { TAG_KEY = 1, TAG_VALUE = 2 };

#define NO_EHK	SIZE_MAX
#define PB_MAX_DEPTH	100	/* of nested groups, as protobuf's parsers */

struct kpl_key {
	const char	*p;
	size_t		 n;
};

struct kpl_entry {
	const uint8_t	*data;
	size_t		 len;
	size_t		 pk;
	size_t		 ehk;		/* NO_EHK if none */
};

/* Where a reason goes, and what was being read, to say so in it. */
struct kpl_ctx {
	const uint8_t	*base;		/* the whole input, for offsets */
	char		*err;
	size_t		 errsz;
	long		 rec;		/* record being read, or -1 */
	long		 tag;		/* its tag being read, or -1 */
};

/* A cursor over one message. */
struct pb {
	const uint8_t	*p, *end;
	struct kpl_ctx	*ctx;
};

/* One field as read off the wire. */
struct pb_field {
	uint32_t	 num;
	int		 wire;
	uint64_t	 v;		/* WIRE_VARINT's value; others' length */
	const uint8_t	*p;		/* the bytes of the other wire types */
	size_t		 n;
	size_t		 off;		/* of its key, in the whole input */
};

static int __attribute__((format(printf, 2, 3)))
fail(struct kpl_ctx *c, const char *fmt, ...)
{
	va_list ap;
	int k = 0;

	if (c->errsz > 0) {
		c->err[0] = '\0';
		if (c->rec >= 0 && c->tag >= 0)
			k = snprintf(c->err, c->errsz, "record %ld, tag %ld: ",
			    c->rec, c->tag);
		else if (c->rec >= 0)
			k = snprintf(c->err, c->errsz, "record %ld: ", c->rec);
		if (k >= 0 && (size_t)k < c->errsz) {
			va_start(ap, fmt);
			vsnprintf(c->err + k, c->errsz - (size_t)k, fmt, ap);
			va_end(ap);
		}
	}
	errno = EINVAL;
	return -1;
}

static size_t
offset(const struct pb *b, const uint8_t *p)
{
	return (size_t)(p - b->ctx->base);
}

/* A base-128 varint of at most 64 bits, so at most 10 bytes. */
static int
pb_varint(struct pb *b, uint64_t *v)
{
	const uint8_t *start = b->p;
	uint64_t x = 0;
	unsigned shift;
	uint8_t c;

	for (shift = 0;; shift += 7) {
		if (b->p == b->end)
			return fail(b->ctx, "truncated varint at byte %zu",
			    offset(b, start));
		c = *b->p++;
		/* The tenth byte may hold only bit 63, and ends it. */
		if (shift == 63 && c > 1)
			return fail(b->ctx, "varint at byte %zu is over 64 bits",
			    offset(b, start));
		x |= (uint64_t)(c & 0x7f) << shift;
		if ((c & 0x80) == 0)
			break;
	}
	*v = x;
	return 0;
}

/* Takes len bytes as the value of f. */
static int
pb_take(struct pb *b, struct pb_field *f, uint64_t len)
{
	size_t left = (size_t)(b->end - b->p);

	if (len > left)
		return fail(b->ctx, "field %u at byte %zu: length %llu past "
		    "the end (%zu bytes left)", (unsigned)f->num, f->off,
		    (unsigned long long)len, left);
	f->p = b->p;
	f->n = (size_t)len;
	b->p += len;
	return 1;
}

static int	pb_read(struct pb *, struct pb_field *, int);

/*
 * Skips a group (deprecated, but a valid wire type an unknown field may
 * have) up to the end-group key of the same number; f is its start.
 */
static int
pb_skip_group(struct pb *b, struct pb_field *f, int depth)
{
	struct pb_field g;
	const uint8_t *start = b->p;
	int r;

	if (depth > PB_MAX_DEPTH)
		return fail(b->ctx, "groups nested over %d deep at byte %zu",
		    PB_MAX_DEPTH, f->off);
	while ((r = pb_read(b, &g, depth)) == 1) {
		if (g.wire != WIRE_EGROUP)
			continue;
		if (g.num != f->num)
			return fail(b->ctx, "group %u at byte %zu ends as %u "
			    "at byte %zu", (unsigned)f->num, f->off,
			    (unsigned)g.num, g.off);
		f->p = start;
		f->n = (size_t)(b->p - start);
		return 1;
	}
	if (r == 0)
		return fail(b->ctx, "group %u at byte %zu has no end",
		    (unsigned)f->num, f->off);
	return -1;
}

/*
 * Reads the next field inside depth groups: 1, or 0 at the end, or -1.
 * A group is read whole: its value is what lies between its keys.
 */
static int
pb_read(struct pb *b, struct pb_field *f, int depth)
{
	uint64_t key;

	if (b->p == b->end)
		return 0;
	f->off = offset(b, b->p);
	if (pb_varint(b, &key) == -1)
		return -1;
	if (key > UINT32_MAX || key >> 3 == 0)
		return fail(b->ctx, "bad field key %llu at byte %zu",
		    (unsigned long long)key, f->off);
	f->num = (uint32_t)(key >> 3);
	f->wire = (int)(key & 7);
	f->p = NULL;
	f->n = 0;
	switch (f->wire) {
	case WIRE_VARINT:
		return pb_varint(b, &f->v) == -1 ? -1 : 1;
	case WIRE_I64:
		return pb_take(b, f, 8);
	case WIRE_I32:
		return pb_take(b, f, 4);
	case WIRE_LEN:
		return pb_varint(b, &f->v) == -1 ? -1 : pb_take(b, f, f->v);
	case WIRE_SGROUP:
		return pb_skip_group(b, f, depth + 1);
	case WIRE_EGROUP:
		if (depth == 0)
			return fail(b->ctx, "end of group %u at byte %zu "
			    "without its start", (unsigned)f->num, f->off);
		return 1;
	default:
		return fail(b->ctx, "field %u at byte %zu has wire type %d",
		    (unsigned)f->num, f->off, f->wire);
	}
}

/* The next field of a message: 1, or 0 at its end, or -1. */
static int
pb_next(struct pb *b, struct pb_field *f)
{
	return pb_read(b, f, 0);
}

/* A known field on the wire as another type is corruption, not news. */
static int
want_wire(struct kpl_ctx *c, const struct pb_field *f, int wire)
{
	if (f->wire == wire)
		return 0;
	return fail(c, "field %u at byte %zu has wire type %d, not %d",
	    (unsigned)f->num, f->off, f->wire, wire);
}

/* A protobuf string: length-delimited, UTF-8. */
static int
pb_string(struct kpl_ctx *c, const struct pb_field *f, const char *what)
{
	if (want_wire(c, f, WIRE_LEN) == -1)
		return -1;
	if (!json_utf8_valid((const char *)f->p, f->n))
		return fail(c, "%s at byte %zu is not UTF-8", what, f->off);
	return 0;
}

/* Checks a Tag, which is then ignored. */
static int
check_tag(struct kpl_ctx *c, const struct pb_field *outer)
{
	struct pb b = { outer->p, outer->p + outer->n, c };
	struct pb_field f;
	int r, haskey = 0;

	while ((r = pb_next(&b, &f)) == 1) {
		if (f.num == TAG_KEY) {
			if (pb_string(c, &f, "key") == -1)
				return -1;
			haskey = 1;
		} else if (f.num == TAG_VALUE) {
			if (pb_string(c, &f, "value") == -1)
				return -1;
		}
	}
	if (r == 0 && !haskey)
		return fail(c, "no key");
	return r;
}

/* What a Record said so far; a repeated scalar field's last value wins. */
struct rec_state {
	const uint8_t	*data;
	size_t		 len;
	uint64_t	 pk, ehk;
	int		 haspk, hasehk, hasdata;
	long		 ntags;
};

static int
record_field(struct kpl_ctx *c, const struct pb_field *f, struct rec_state *s)
{
	int wire = f->num == REC_PK || f->num == REC_EHK ? WIRE_VARINT :
	    WIRE_LEN;

	if (f->num < REC_PK || f->num > REC_TAG)
		return 0;
	if (want_wire(c, f, wire) == -1)
		return -1;
	switch (f->num) {
	case REC_PK:
		s->pk = f->v;
		s->haspk = 1;
		break;
	case REC_EHK:
		s->ehk = f->v;
		s->hasehk = 1;
		break;
	case REC_DATA:
		s->data = f->p;
		s->len = f->n;
		s->hasdata = 1;
		break;
	default:
		c->tag = s->ntags++;
		if (check_tag(c, f) == -1)
			return -1;
		c->tag = -1;
	}
	return 0;
}

/* Reads one Record into *e, its indices checked against the tables. */
static int
parse_record(struct kpl_ctx *c, const struct pb_field *outer,
    const struct kpl_agg *a, struct kpl_entry *e)
{
	struct pb b = { outer->p, outer->p + outer->n, c };
	struct rec_state s;
	struct pb_field f;
	int r;

	memset(&s, 0, sizeof(s));
	while ((r = pb_next(&b, &f)) == 1)
		if (record_field(c, &f, &s) == -1)
			return -1;
	if (r == -1)
		return -1;
	if (!s.haspk)
		return fail(c, "no partition key index");
	if (!s.hasdata)
		return fail(c, "no data");
	if (s.pk >= a->npk)
		return fail(c, "partition key index %llu out of range "
		    "(table of %zu)", (unsigned long long)s.pk, a->npk);
	if (s.hasehk && s.ehk >= a->nehk)
		return fail(c, "explicit hash key index %llu out of range "
		    "(table of %zu)", (unsigned long long)s.ehk, a->nehk);
	e->data = s.data;
	e->len = s.len;
	e->pk = (size_t)s.pk;
	e->ehk = s.hasehk ? (size_t)s.ehk : NO_EHK;
	return 0;
}

/* First pass: the top level's shape, and how many of each there are. */
static int
count_fields(struct kpl_ctx *c, const uint8_t *p, size_t n,
    struct kpl_agg *a)
{
	struct pb b = { p, p + n, c };
	struct pb_field f;
	int r;

	while ((r = pb_next(&b, &f)) == 1) {
		if (f.num < AGG_PK || f.num > AGG_RECORD)
			continue;
		if (want_wire(c, &f, WIRE_LEN) == -1)
			return -1;
		if (f.num == AGG_PK)
			a->npk++;
		else if (f.num == AGG_EHK)
			a->nehk++;
		else
			a->nrec++;
	}
	return r;
}

static int
alloc_tables(struct kpl_agg *a)
{
	if ((a->npk > 0 &&
	    (a->pk = calloc(a->npk, sizeof(*a->pk))) == NULL) ||
	    (a->nehk > 0 &&
	    (a->ehk = calloc(a->nehk, sizeof(*a->ehk))) == NULL) ||
	    (a->nrec > 0 &&
	    (a->rec = calloc(a->nrec, sizeof(*a->rec))) == NULL)) {
		kpl_free(a);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

static int
table_key(struct kpl_ctx *c, const struct pb_field *f, const char *what,
    struct kpl_key *k)
{
	if (pb_string(c, f, what) == -1)
		return -1;
	k->p = (const char *)f->p;
	k->n = f->n;
	return 0;
}

/* Second pass, over the shape the first one checked and counted. */
static int
fill(struct kpl_ctx *c, const uint8_t *p, size_t n, struct kpl_agg *a)
{
	struct pb b = { p, p + n, c };
	struct pb_field f;
	size_t ipk = 0, iehk = 0, irec = 0;
	int r;

	while ((r = pb_next(&b, &f)) == 1) {
		if (f.num == AGG_PK) {
			if (table_key(c, &f, "partition key", &a->pk[ipk++]))
				return -1;
		} else if (f.num == AGG_EHK) {
			if (table_key(c, &f, "explicit hash key",
			    &a->ehk[iehk++]))
				return -1;
		} else if (f.num == AGG_RECORD) {
			c->rec = (long)irec;
			if (parse_record(c, &f, a, &a->rec[irec++]) == -1)
				return -1;
			c->rec = -1;
		}
	}
	return r;
}

static int
check_digest(struct kpl_ctx *c, const uint8_t *p, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len;

	if (EVP_Digest(p, n, md, &len, EVP_md5(), NULL) != 1 ||
	    len != KPL_DIGEST_LEN) {
		fail(c, "cannot compute MD5 (OpenSSL)");
		errno = ENOTSUP;
		return -1;
	}
	if (memcmp(md, p + n, KPL_DIGEST_LEN) != 0)
		return fail(c, "MD5 mismatch");
	return 0;
}

int
kpl_is_aggregated(const void *p, size_t n)
{
	return n >= KPL_MAGIC_LEN && memcmp(p, KPL_MAGIC, KPL_MAGIC_LEN) == 0;
}

int
kpl_parse(struct kpl_agg *agg, const void *p, size_t n, char *err,
    size_t errsz)
{
	struct kpl_ctx c = { p, err, errsz, -1, -1 };
	struct kpl_agg a = { NULL, NULL, 0, 0, NULL, 0 };
	const uint8_t *body;
	size_t bn;

	*agg = a;
	if (!kpl_is_aggregated(p, n))
		return fail(&c, "no KPL magic");
	if (n < KPL_MAGIC_LEN + KPL_DIGEST_LEN)
		return fail(&c, "%zu bytes, too short for an aggregate "
		    "(magic and MD5 are %d)", n, KPL_MAGIC_LEN + KPL_DIGEST_LEN);
	body = (const uint8_t *)p + KPL_MAGIC_LEN;
	bn = n - KPL_MAGIC_LEN - KPL_DIGEST_LEN;
	if (check_digest(&c, body, bn) == -1 ||
	    count_fields(&c, body, bn, &a) == -1 || alloc_tables(&a) == -1)
		return -1;
	if (fill(&c, body, bn, &a) == -1) {
		kpl_free(&a);
		errno = EINVAL;
		return -1;
	}
	*agg = a;
	return 0;
}

size_t
kpl_count(const struct kpl_agg *a)
{
	return a->nrec;
}

int
kpl_get(const struct kpl_agg *a, size_t i, struct kpl_record *r)
{
	const struct kpl_entry *e;

	if (i >= a->nrec)
		return -1;
	e = &a->rec[i];
	r->data = e->data;
	r->datalen = e->len;
	r->pk = a->pk[e->pk].p;
	r->pklen = a->pk[e->pk].n;
	r->ehk = e->ehk == NO_EHK ? NULL : a->ehk[e->ehk].p;
	r->ehklen = e->ehk == NO_EHK ? 0 : a->ehk[e->ehk].n;
	return 0;
}

void
kpl_free(struct kpl_agg *a)
{
	free(a->pk);
	free(a->ehk);
	free(a->rec);
	a->pk = a->ehk = NULL;
	a->rec = NULL;
	a->npk = a->nehk = a->nrec = 0;
}
