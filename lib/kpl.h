/*
 * Kinesis Producer Library (KPL) aggregated records, taken apart.  An
 * aggregate is the magic F3 89 9A C2, a protobuf (proto2) message
 *
 *	AggregatedRecord { repeated string partition_key_table = 1;
 *	    repeated string explicit_hash_key_table = 2;
 *	    repeated Record records = 3; }
 *	Record { required uint64 partition_key_index = 1;
 *	    optional uint64 explicit_hash_key_index = 2;
 *	    required bytes data = 3; repeated Tag tags = 4; }
 *	Tag { required string key = 1; optional string value = 2; }
 *
 * and the 16-byte MD5 of that message.
 *
 * Our rule, unlike the KCL's: a record that begins with the magic is an
 * aggregate, and it is either whole and valid or refused with the reason,
 * never passed on as a plain record.  (The magic is not UTF-8, so no text
 * or JSON record begins with it.)  A refused aggregate yields no records.
 */
#ifndef TEL_KPL_H
#define TEL_KPL_H

#include <stddef.h>

#define KPL_MAGIC	"\xf3\x89\x9a\xc2"
#define KPL_MAGIC_LEN	4
#define KPL_DIGEST_LEN	16	/* MD5 */

/* One user record; every pointer is into the aggregate's bytes. */
struct kpl_record {
	const void	*data;
	size_t		 datalen;
	const char	*pk;		/* partition key: UTF-8, not NUL-ended */
	size_t		 pklen;
	const char	*ehk;		/* explicit hash key (UTF-8), or NULL */
	size_t		 ehklen;
};

struct kpl_key;
struct kpl_entry;

/* A parsed aggregate; its arrays are allocated once, at their size. */
struct kpl_agg {
	struct kpl_key		*pk, *ehk;	/* the two key tables */
	size_t			 npk, nehk;
	struct kpl_entry	*rec;		/* user records, in order */
	size_t			 nrec;
};

/*
 * 1 if p[0..n) begins with the magic, whatever its length: then it must
 * go through kpl_parse(), which refuses it if it is too short.
 */
int	kpl_is_aggregated(const void *, size_t);

/*
 * Checks the magic, the MD5 and the whole message (wire format, required
 * fields, table indices, UTF-8 keys) before filling *agg.  Returns 0, or
 * -1 with *agg empty, errno EINVAL and the reason in err ("MD5 mismatch",
 * "record 3: partition key index 7 out of range (table of 2)"; records
 * count from 0, as sub-sequence numbers do; offsets are of p), or errno
 * ENOMEM (or ENOTSUP if OpenSSL has no MD5).  Unknown fields are skipped,
 * groups too, as protobuf does; a known field of another wire type is
 * refused (protobuf would keep it as unknown: here it is corruption).
 * Tags are checked, then ignored.
 */
int	kpl_parse(struct kpl_agg *, const void *, size_t, char *, size_t);

/* The number of user records (0 is possible: a valid, empty aggregate). */
size_t	kpl_count(const struct kpl_agg *);

/* User record i, for i < kpl_count(); returns 0, or -1 if i is not. */
int	kpl_get(const struct kpl_agg *, size_t, struct kpl_record *);

/* Frees what kpl_parse() allocated; a no-op on an empty *agg. */
void	kpl_free(struct kpl_agg *);

#endif
