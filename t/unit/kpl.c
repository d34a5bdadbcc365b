/*
 * Unit tests for lib/kpl.c on hand-built aggregates: protobuf written
 * here byte by byte (the wire format of protobuf's encoding guide), so
 * that every shape and every refusal can be made.  Aggregates built by
 * AWS's own encoder are t/t0011-kpl.t's.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "kpl.h"
#include "tap.h"

enum { VARINT = 0, I64 = 1, LEN = 2, SGROUP = 3, EGROUP = 4, I32 = 5 };

/* A protobuf message being written. */
struct msg {
	unsigned char	b[8192];
	size_t		n;
};

static void
put_raw(struct msg *m, const void *p, size_t n)
{
	if (m->n + n > sizeof(m->b))
		abort();
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void
put_varint(struct msg *m, uint64_t v)
{
	unsigned char c;

	do {
		c = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v != 0)
			c |= 0x80;
		put_raw(m, &c, 1);
	} while (v != 0);
}

static void
put_key(struct msg *m, unsigned num, int wire)
{
	put_varint(m, (uint64_t)num << 3 | (unsigned)wire);
}

static void
put_uint(struct msg *m, unsigned num, uint64_t v)
{
	put_key(m, num, VARINT);
	put_varint(m, v);
}

static void
put_bytes(struct msg *m, unsigned num, const void *p, size_t n)
{
	put_key(m, num, LEN);
	put_varint(m, n);
	put_raw(m, p, n);
}

static void
put_str(struct msg *m, unsigned num, const char *s)
{
	put_bytes(m, num, s, strlen(s));
}

static void
put_msg(struct msg *m, unsigned num, const struct msg *sub)
{
	put_bytes(m, num, sub->b, sub->n);
}

/* A Record {pk, data} and, if ehk >= 0, its explicit hash key index. */
static void
put_record(struct msg *m, uint64_t pk, long ehk, const char *data)
{
	struct msg r = { .n = 0 };

	put_uint(&r, 1, pk);
	if (ehk >= 0)
		put_uint(&r, 2, (uint64_t)ehk);
	put_str(&r, 3, data);
	put_msg(m, 3, &r);
}

/* The aggregate of a message: magic, message, MD5; in a static buffer. */
static const unsigned char *
seal(const struct msg *m, size_t *n)
{
	static unsigned char out[sizeof(((struct msg *)0)->b) + 20];
	unsigned len;

	memcpy(out, KPL_MAGIC, KPL_MAGIC_LEN);
	memcpy(out + KPL_MAGIC_LEN, m->b, m->n);
	if (EVP_Digest(m->b, m->n, out + KPL_MAGIC_LEN + m->n, &len,
	    EVP_md5(), NULL) != 1 || len != KPL_DIGEST_LEN)
		abort();
	*n = KPL_MAGIC_LEN + m->n + KPL_DIGEST_LEN;
	return out;
}

static int
is_empty(const struct kpl_agg *a)
{
	return a->pk == NULL && a->ehk == NULL && a->rec == NULL &&
	    a->npk == 0 && a->nehk == 0 && a->nrec == 0;
}

/* Raw bytes p[0..n) are refused, with want in the reason. */
static void
refused_raw(const void *p, size_t n, const char *want, const char *label)
{
	struct kpl_agg a;
	char err[256] = "";
	int r;

	errno = 0;
	r = kpl_parse(&a, p, n, err, sizeof(err));
	ok(r == -1 && errno == EINVAL && strstr(err, want) != NULL &&
	    is_empty(&a), "refused: %s (%s)", label, err);
	if (r == 0)
		kpl_free(&a);
}

static void
refused(const struct msg *m, const char *want, const char *label)
{
	const unsigned char *p;
	size_t n;

	p = seal(m, &n);
	refused_raw(p, n, want, label);
}

/* Parses the aggregate of m, which must be valid. */
static int
parse(const struct msg *m, struct kpl_agg *a, const char *label)
{
	const unsigned char *p;
	char err[256] = "";
	size_t n;
	int r;

	p = seal(m, &n);
	r = kpl_parse(a, p, n, err, sizeof(err));
	ok(r == 0, "parsed: %s%s%s", label, r ? ": " : "", err);
	return r;
}

/* Record i of a is {pk, ehk or NULL, data}. */
static void
is_record(const struct kpl_agg *a, size_t i, const char *pk, const char *ehk,
    const void *data, size_t len, const char *label)
{
	struct kpl_record r;

	ok(kpl_get(a, i, &r) == 0 && r.pklen == strlen(pk) &&
	    memcmp(r.pk, pk, r.pklen) == 0 &&
	    (ehk == NULL ? r.ehk == NULL && r.ehklen == 0 :
	    r.ehk != NULL && r.ehklen == strlen(ehk) &&
	    memcmp(r.ehk, ehk, r.ehklen) == 0) &&
	    r.datalen == len && (len == 0 || memcmp(r.data, data, len) == 0),
	    "%s: record %zu", label, i);
}

static void
test_magic(void)
{
	static const unsigned char short_ok[] = { 0xf3, 0x89, 0x9a, 0xc2 };
	static const unsigned char other[] = { 0xf3, 0x89, 0x9a, 0xc3, 0 };
	struct msg m = { .n = 0 };

	ok(kpl_is_aggregated(short_ok, 4), "the magic alone is aggregated");
	ok(!kpl_is_aggregated(short_ok, 3), "three bytes of it are not");
	ok(!kpl_is_aggregated(other, 5), "another last byte is not");
	ok(!kpl_is_aggregated("{\"a\":1}", 7), "JSON is not");
	ok(!kpl_is_aggregated(NULL, 0), "nothing is not");
	refused_raw("{\"a\":1}", 7, "no KPL magic", "JSON");
	refused_raw(other, sizeof(other), "no KPL magic", "magic off by one");
	refused_raw(NULL, 0, "no KPL magic", "nothing");
	refused_raw(short_ok, 4, "too short", "the magic alone");
	put_uint(&m, 9, 1);
	refused_raw(seal(&m, &(size_t){ 0 }), 19, "too short", "19 bytes");
}

static void
test_valid(void)
{
	struct msg m = { .n = 0 };
	struct kpl_agg a;

	put_str(&m, 1, "truck-7");
	put_str(&m, 1, "caf\xc3\xa9 \xf0\x9f\x9a\x9a");
	put_str(&m, 2, "340282366920938463463374607431768211455");
	put_record(&m, 0, -1, "{\"v\":1}");
	put_record(&m, 1, 0, "");
	put_record(&m, 0, 0, "x");
	if (parse(&m, &a, "three records, two keys") == 0) {
		is_int(kpl_count(&a), 3, "three records");
		is_record(&a, 0, "truck-7", NULL, "{\"v\":1}", 7, "basic");
		is_record(&a, 1, "caf\xc3\xa9 \xf0\x9f\x9a\x9a",
		    "340282366920938463463374607431768211455", "", 0, "basic");
		is_record(&a, 2, "truck-7",
		    "340282366920938463463374607431768211455", "x", 1, "basic");
		ok(kpl_get(&a, 3, &(struct kpl_record){ 0 }) == -1,
		    "kpl_get past the end");
		kpl_free(&a);
		ok(is_empty(&a), "kpl_free empties");
		kpl_free(&a);
	}
	m.n = 0;
	if (parse(&m, &a, "an empty message") == 0) {
		is_int(kpl_count(&a), 0, "no records");
		ok(kpl_get(&a, 0, &(struct kpl_record){ 0 }) == -1,
		    "no record 0");
		kpl_free(&a);
	}
	m.n = 0;
	put_str(&m, 1, "");
	put_bytes(&m, 1, "nul\0in", 6);
	put_record(&m, 0, -1, "a");
	if (parse(&m, &a, "an empty key") == 0) {
		is_record(&a, 0, "", NULL, "a", 1, "empty key");
		kpl_free(&a);
	}
}

/* Binary data, a key with a NUL, tables after the records. */
static void
test_order(void)
{
	static const unsigned char bin[] = { 0, 0xff, 0xf3, 0x89, 0x9a, 0xc2,
	    '\n', 0x80 };
	struct msg m = { .n = 0 }, r = { .n = 0 };
	struct kpl_agg a;
	struct kpl_record k;

	put_uint(&r, 1, 1);
	put_bytes(&r, 3, bin, sizeof(bin));
	put_msg(&m, 3, &r);
	put_bytes(&m, 1, "a", 1);
	put_bytes(&m, 1, "n\0l", 3);
	if (parse(&m, &a, "records before the tables") == 0) {
		ok(kpl_get(&a, 0, &k) == 0 && k.pklen == 3 &&
		    memcmp(k.pk, "n\0l", 3) == 0 && k.datalen == sizeof(bin) &&
		    memcmp(k.data, bin, sizeof(bin)) == 0,
		    "a key with a NUL, binary data");
		kpl_free(&a);
	}
}

/* Unknown fields of every wire type, at every level, are skipped. */
static void
put_unknowns(struct msg *m, unsigned num)
{
	struct msg g = { .n = 0 };

	put_uint(m, num, UINT64_MAX);
	put_key(m, num + 1, I64);
	put_raw(m, "\1\2\3\4\5\6\7\x08", 8);
	put_key(m, num + 2, I32);
	put_raw(m, "\x0a\x0b\x0c\x0d", 4);
	put_str(m, num + 3, "\xff not even UTF-8");
	/* a group holding a group of the same number, and fields */
	put_key(&g, num + 4, SGROUP);
	put_uint(&g, 1, 7);
	put_key(&g, num + 4, EGROUP);
	put_key(m, num + 4, SGROUP);
	put_str(m, 3, "known numbers mean nothing in a group");
	put_raw(m, g.b, g.n);
	put_key(m, num + 4, EGROUP);
	put_uint(m, (1u << 29) - 1, 1);		/* the largest field number */
}

static void
test_unknown(void)
{
	struct msg m = { .n = 0 }, r = { .n = 0 }, t = { .n = 0 };
	struct kpl_agg a;

	put_unknowns(&m, 4);
	put_str(&m, 1, "k");
	put_unknowns(&r, 5);
	put_uint(&r, 1, 3);		/* a repeated scalar: the last wins */
	put_str(&r, 3, "old");
	put_uint(&r, 1, 0);
	put_str(&t, 1, "tag-key");
	put_unknowns(&t, 3);
	put_str(&t, 2, "tag-value");
	put_msg(&r, 4, &t);
	t.n = 0;
	put_str(&t, 1, "");
	put_msg(&r, 4, &t);
	put_str(&r, 3, "new");
	put_msg(&m, 3, &r);
	put_unknowns(&m, 100);
	if (parse(&m, &a, "unknown fields everywhere, tags") == 0) {
		is_int(kpl_count(&a), 1, "one record");
		is_record(&a, 0, "k", NULL, "new", 3, "last value wins");
		kpl_free(&a);
	}
}

static void
test_digest(void)
{
	struct msg m = { .n = 0 };
	const unsigned char *p;
	unsigned char buf[64];
	size_t n;

	memset(buf, 0, sizeof(buf));
	put_str(&m, 1, "k");
	put_record(&m, 0, -1, "data");
	p = seal(&m, &n);
	memcpy(buf, p, n);
	buf[7] ^= 0x01;
	refused_raw(buf, n, "MD5 mismatch", "a bit flipped in the message");
	buf[7] ^= 0x01;
	buf[n - 1] ^= 0x80;
	refused_raw(buf, n, "MD5 mismatch", "a bit flipped in the MD5");
	buf[n - 1] ^= 0x80;
	refused_raw(buf, n - 1, "MD5 mismatch", "the last byte cut");
	refused_raw(buf, n + 1, "MD5 mismatch", "a byte too many");
}

/* Varints and keys, with a right MD5. */
static void
test_varints(void)
{
	struct msg m = { .n = 0 };

	put_raw(&m, "\x80", 1);
	refused(&m, "truncated varint at byte 4", "a key cut short");
	m.n = 0;
	put_key(&m, 1, LEN);
	refused(&m, "truncated varint at byte 5", "a length missing");
	m.n = 0;
	put_raw(&m, "\x00\x00", 2);
	refused(&m, "bad field key 0 at byte 4", "field number 0");
	m.n = 0;
	put_varint(&m, (uint64_t)1 << 32);
	refused(&m, "bad field key 4294967296", "a key over 32 bits");
	m.n = 0;
	put_key(&m, 9, VARINT);
	put_raw(&m, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10);
	refused(&m, "is over 64 bits", "a varint of 65 bits");
	m.n = 0;
	put_key(&m, 9, VARINT);
	put_raw(&m, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 11);
	refused(&m, "is over 64 bits", "a varint of 11 bytes");
	m.n = 0;
	put_key(&m, 9, 6);
	refused(&m, "field 9 at byte 4 has wire type 6", "wire type 6");
	m.n = 0;
	put_key(&m, 9, 7);
	refused(&m, "has wire type 7", "wire type 7");
}

/* Lengths, explicit and fixed, past the end of their message. */
static void
test_lengths(void)
{
	struct msg m = { .n = 0 };

	put_raw(&m, "\x0a\x05" "abc", 5);
	refused(&m, "field 1 at byte 4: length 5 past the end (3 bytes left)",
	    "a length past the end");
	m.n = 0;
	put_raw(&m, "\x0a\x04" "abc", 5);
	refused(&m, "length 4 past the end (3 bytes left)",
	    "a length one past the end");
	m.n = 0;
	put_str(&m, 1, "k");
	put_raw(&m, "\x1a\x05" "\x08\x00\x1a\x02x", 7);
	put_str(&m, 1, "more bytes after the record");
	refused(&m, "record 0: field 3 at byte 11: length 2 past the end "
	    "(1 bytes left)", "data past its record, inside the message");
	m.n = 0;
	put_key(&m, 1, LEN);
	put_raw(&m, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
	refused(&m, "length 18446744073709551615 past the end",
	    "a length of 2^64-1");
	m.n = 0;
	put_key(&m, 9, I64);
	put_raw(&m, "1234567", 7);
	refused(&m, "length 8 past the end", "a fixed64 cut short");
	m.n = 0;
	put_key(&m, 9, I32);
	put_raw(&m, "123", 3);
	refused(&m, "length 4 past the end", "a fixed32 cut short");
}

/* Groups: skipped whole if well-formed, else refused. */
static void
test_groups(void)
{
	struct msg m = { .n = 0 };
	struct kpl_agg a;
	int i;

	put_key(&m, 9, EGROUP);
	refused(&m, "end of group 9 at byte 4 without its start",
	    "a stray end-group");
	m.n = 0;
	put_key(&m, 9, SGROUP);
	put_uint(&m, 1, 1);
	refused(&m, "group 9 at byte 4 has no end", "a group without end");
	m.n = 0;
	put_key(&m, 9, SGROUP);
	put_key(&m, 10, EGROUP);
	refused(&m, "group 9 at byte 4 ends as 10 at byte 5",
	    "a group ended by another number");
	m.n = 0;
	for (i = 0; i < 101; i++)
		put_key(&m, 9, SGROUP);
	for (i = 0; i < 101; i++)
		put_key(&m, 9, EGROUP);
	refused(&m, "groups nested over 100 deep", "groups 101 deep");
	m.n -= 2;
	memmove(m.b, m.b + 1, m.n);
	if (parse(&m, &a, "groups 100 deep, skipped") == 0)
		kpl_free(&a);
}

/* A known field of the AggregatedRecord on the wire as another type. */
static void
test_wire_types(void)
{
	struct msg m = { .n = 0 };

	put_uint(&m, 1, 0);
	refused(&m, "field 1 at byte 4 has wire type 0, not 2",
	    "partition key table as a varint");
	m.n = 0;
	put_key(&m, 2, I32);
	put_raw(&m, "abcd", 4);
	refused(&m, "field 2 at byte 4 has wire type 5, not 2",
	    "explicit hash key table as a fixed32");
	m.n = 0;
	put_key(&m, 3, SGROUP);
	put_key(&m, 3, EGROUP);
	refused(&m, "field 3 at byte 4 has wire type 3, not 2",
	    "records as a group");
}

/* The same in a Record and a Tag. */
static void
test_record_wire_types(void)
{
	struct msg m = { .n = 0 }, r = { .n = 0 }, t = { .n = 0 };

	put_str(&m, 1, "k");
	put_bytes(&r, 1, "\0", 1);
	put_str(&r, 3, "d");
	put_msg(&m, 3, &r);
	refused(&m, "record 0: field 1 at byte 9 has wire type 2, not 0",
	    "partition key index as bytes");
	m.n = r.n = 0;
	put_str(&m, 1, "k");
	put_uint(&r, 1, 0);
	put_key(&r, 2, I64);
	put_raw(&r, "\0\0\0\0\0\0\0\0", 8);
	put_str(&r, 3, "d");
	put_msg(&m, 3, &r);
	refused(&m, "record 0: field 2 at byte 11 has wire type 1, not 0",
	    "explicit hash key index as a fixed64");
	m.n = r.n = 0;
	put_str(&m, 1, "k");
	put_uint(&r, 1, 0);
	put_uint(&r, 3, 5);
	put_msg(&m, 3, &r);
	refused(&m, "record 0: field 3 at byte 11 has wire type 0, not 2",
	    "data as a varint");
	m.n = r.n = 0;
	put_str(&m, 1, "k");
	put_uint(&r, 1, 0);
	put_str(&r, 3, "d");
	put_uint(&t, 1, 1);
	put_msg(&r, 4, &t);
	put_msg(&m, 3, &r);
	refused(&m, "record 0, tag 0: field 1 at byte 16 has wire type 0, "
	    "not 2", "a tag key as a varint");
	m.n = r.n = 0;
	put_str(&m, 1, "k");
	put_uint(&r, 1, 0);
	put_str(&r, 3, "d");
	put_uint(&r, 4, 1);
	put_msg(&m, 3, &r);
	refused(&m, "record 0: field 4 at byte 14 has wire type 0, not 2",
	    "a tag as a varint");
}

/* Required fields; the reason names the record and the tag. */
static void
test_required(void)
{
	struct msg m = { .n = 0 }, r = { .n = 0 }, t = { .n = 0 };

	put_str(&m, 1, "k");
	put_record(&m, 0, -1, "fine");
	put_str(&r, 3, "d");
	put_msg(&m, 3, &r);
	refused(&m, "record 1: no partition key index", "no pk index");
	m.n = r.n = 0;
	put_str(&m, 1, "k");
	put_uint(&r, 1, 0);
	put_msg(&m, 3, &r);
	refused(&m, "record 0: no data", "no data");
	m.n = r.n = 0;
	put_str(&m, 1, "k");
	put_uint(&r, 1, 0);
	put_str(&r, 3, "d");
	put_str(&t, 1, "a");
	put_msg(&r, 4, &t);
	t.n = 0;
	put_str(&t, 2, "value only");
	put_msg(&r, 4, &t);
	put_msg(&m, 3, &r);
	refused(&m, "record 0, tag 1: no key", "a tag without key");
}

/* Indices into the key tables; the reason names the record. */
static void
test_indices(void)
{
	struct msg m = { .n = 0 };

	put_str(&m, 1, "k");
	put_record(&m, 0, -1, "a");
	put_record(&m, 0, -1, "b");
	put_record(&m, 1, -1, "c");
	refused(&m, "record 2: partition key index 1 out of range "
	    "(table of 1)", "pk index past the table");
	m.n = 0;
	put_record(&m, 0, -1, "a");
	refused(&m, "record 0: partition key index 0 out of range "
	    "(table of 0)", "no partition key table");
	m.n = 0;
	put_str(&m, 1, "k");
	put_record(&m, UINT64_MAX, -1, "a");
	refused(&m, "index 18446744073709551615 out of range",
	    "pk index 2^64-1");
	m.n = 0;
	put_str(&m, 1, "k");
	put_str(&m, 2, "1");
	put_record(&m, 0, 1, "a");
	refused(&m, "record 0: explicit hash key index 1 out of range "
	    "(table of 1)", "ehk index past the table");
	m.n = 0;
	put_str(&m, 1, "k");
	put_record(&m, 0, 0, "a");
	refused(&m, "explicit hash key index 0 out of range (table of 0)",
	    "no explicit hash key table");
}

static void
test_utf8(void)
{
	struct msg m = { .n = 0 }, r = { .n = 0 }, t = { .n = 0 };

	put_str(&m, 1, "k\xc0\xaf");
	put_record(&m, 0, -1, "a");
	refused(&m, "partition key at byte 4 is not UTF-8", "overlong pk");
	m.n = 0;
	put_str(&m, 1, "k");
	put_str(&m, 2, "\xed\xa0\x80");
	refused(&m, "explicit hash key at byte 7 is not UTF-8",
	    "surrogate in an ehk");
	m.n = 0;
	put_str(&m, 1, "k");
	put_uint(&r, 1, 0);
	put_str(&r, 3, "\xff binary data is fine");
	put_str(&t, 1, "\xf4\x90\x80\x80");
	put_msg(&r, 4, &t);
	put_msg(&m, 3, &r);
	refused(&m, "record 0, tag 0: key at byte", "tag key past U+10FFFF");
	m.n = r.n = t.n = 0;
	put_str(&m, 1, "k");
	put_uint(&r, 1, 0);
	put_str(&r, 3, "d");
	put_str(&t, 1, "key");
	put_str(&t, 2, "\xe2\x82");
	put_msg(&r, 4, &t);
	put_msg(&m, 3, &r);
	refused(&m, "record 0, tag 0: value at byte", "a cut tag value");
}

/* The reason fits any buffer; *agg is empty after a refusal. */
static void
test_err_buffer(void)
{
	struct msg m = { .n = 0 };
	const unsigned char *p;
	struct kpl_agg a;
	char err[8];
	size_t n;

	put_str(&m, 1, "k");
	put_str(&m, 1, "k");
	put_record(&m, 0, -1, "a");
	put_record(&m, 5, -1, "b");
	p = seal(&m, &n);
	memset(err, 'x', sizeof(err));
	ok(kpl_parse(&a, p, n, err, sizeof(err)) == -1 &&
	    strcmp(err, "record ") == 0 && is_empty(&a),
	    "a reason cut to the buffer, after the tables were allocated");
	ok(kpl_parse(&a, p, n, NULL, 0) == -1 && errno == EINVAL,
	    "no buffer at all");
}

int
main(void)
{
	test_magic();
	test_valid();
	test_order();
	test_unknown();
	test_digest();
	test_varints();
	test_lengths();
	test_groups();
	test_wire_types();
	test_record_wire_types();
	test_required();
	test_indices();
	test_utf8();
	test_err_buffer();
	return done_testing();
}
