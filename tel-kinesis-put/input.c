/*
 * The input side, on the main thread: each line is read, checked, given
 * its partition key (and explicit hash key), and added to the filling
 * batch of the lane its key maps to.  A batch goes to its lane when the
 * next record does not fit, when it is full, or when its first record
 * has waited KPUT_LINGER_MS.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "diag.h"
#include "jsonscan.h"
#include "kput.h"

#define KEY_BYTES_MAX	(KINESIS_KEY_MAX * 4)	/* 256 chars of UTF-8 */
#define WAIT_MAX_MS	100	/* how often a wait looks at kput_stop */
#define WAIT_MIN_MS	5	/* a lane still busy: do not spin */

/* The main thread's alone. */
struct input {
	struct kput		*p;
	struct json_member	 m[2];		/* -k, then --hash-key */
	size_t			 nm;
	int			 ikey, ihash;	/* their index in m, or -1 */
	struct tel_prng		 rng;		/* random partition keys */
	char			 key[6 * KEY_BYTES_MAX + 1];	/* unescaped */
	char			 hash[KPUT_HASH_KEY_MAX];
};

static void
count(struct kput *p, uint64_t *c)
{
	pthread_mutex_lock(&p->mu);
	(*c)++;
	pthread_mutex_unlock(&p->mu);
}

static void
reject(struct kput *p, const struct ndjson_line *l, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A line refused before any call: named, and back on stdout if whole. */
static void
reject(struct kput *p, const struct ndjson_line *l, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tel_warnx("line %llu: %s", (unsigned long long)l->lineno, msg);
	count(p, &p->st.rejected);
	if (l->too_long)
		return;
	pthread_mutex_lock(&p->out_mu);
	kput_give_back(p, l->ptr, l->len);
	pthread_mutex_unlock(&p->out_mu);
}

/* Unicode characters in UTF-8 bytes: the unit of the key's limit. */
static size_t
utf8_chars(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* A random partition key: spreads unkeyed records over the shards. */
static void
random_key(struct input *in, const char **key, size_t *klen)
{
	snprintf(in->key, sizeof(in->key), "%016llx",
	    (unsigned long long)tel_prng_next(&in->rng));
	*key = in->key;
	*klen = 16;
}

/*
 * The partition key of a line scanned: the -k member's string
 * (unescaped) or scalar text, else a random one.  -1 with *why if the
 * member holds no valid key.
 */
static int
part_key(struct input *in, const char **key, size_t *klen, const char **why)
{
	const struct json_member *m;

	if (in->ikey == -1) {
		random_key(in, key, klen);
		return 0;
	}
	m = &in->m[in->ikey];
	if (m->type != JS_STRING && m->type != JS_NUMBER &&
	    m->type != JS_TRUE && m->type != JS_FALSE) {
		count(in->p, &in->p->st.unkeyed);
		random_key(in, key, klen);
		return 0;
	}
	/* escapes are at most 6 bytes a byte: unescaped, it fits in key */
	if (m->len > 6 * KEY_BYTES_MAX) {
		*why = "longer than the 256 characters of a partition key";
		return -1;
	}
	*key = m->val;
	*klen = m->len;
	if (m->type == JS_STRING && m->escaped) {
		*klen = json_unescape(m->val, m->len, in->key);
		*key = in->key;
	}
	if (*klen == 0)
		*why = "an empty string, which is no partition key";
	else if (*klen > KEY_BYTES_MAX || utf8_chars(*key, *klen) >
	    KINESIS_KEY_MAX)
		*why = "longer than the 256 characters of a partition key";
	else
		return 0;
	return -1;
}

/* A hash key as Kinesis takes it: 0|[1-9][0-9]{0,38}, at most 2^128-1. */
static int
hash_valid(const char *s, size_t n)
{
	static const char max[] = "340282366920938463463374607431768211455";
	size_t i;

	if (n == 0 || n > KPUT_HASH_KEY_MAX || (n > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n < KPUT_HASH_KEY_MAX || memcmp(s, max, n) <= 0;
}

/*
 * The --hash-key member: a string or number of decimal digits; absent
 * or null, none (*hlen 0: the partition key places the record).
 */
static int
hash_key(struct input *in, const char **hash, size_t *hlen)
{
	const struct json_member *m;

	*hash = NULL;
	*hlen = 0;
	if (in->ihash == -1)
		return 0;
	m = &in->m[in->ihash];
	if (m->type == JS_NONE || m->type == JS_NULL)
		return 0;
	if ((m->type != JS_STRING && m->type != JS_NUMBER) || m->escaped ||
	    !hash_valid(m->val, m->len))
		return -1;
	memcpy(in->hash, m->val, m->len);
	*hash = in->hash;
	*hlen = m->len;
	return 0;
}

/* FNV-1a: the lane of a key, the same for the whole run. */
static unsigned
lane_of(const struct kput *p, const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return (unsigned)(h % p->o.lanes);
}

/*
 * Adds the record to its lane's filling batch, handing the batch over
 * first if the record does not fit (waiting while the lane is behind),
 * and at once when it is full.
 */
static void
add_record(struct kput *p, const struct ndjson_line *l, const char *key,
    size_t klen, const char *hash, size_t hlen)
{
	struct lane *ln;

	ln = &p->lanes[hlen > 0 ? lane_of(p, hash, hlen) :
	    lane_of(p, key, klen)];
	if (!kbatch_fits(ln->fill, l->len + klen))
		while (!lane_handoff(ln, 1))
			;
	if (ln->fill->n == 0)
		ln->fill->since = tel_mono_ms();
	if (kbatch_add(ln->fill, l->ptr, l->len, key, klen, hash, hlen,
	    l->lineno) == -1) {
		tel_warnx("out of memory");
		exit(1);
	}
	if (ln->fill->n == KINESIS_PUT_RECORDS_MAX)
		while (!lane_handoff(ln, 1))
			;
}

/* Its keys, its size: then the line is a record. */
static void
keyed_line(struct input *in, const struct ndjson_line *l)
{
	struct kput *p = in->p;
	const char *key, *hash, *why;
	size_t klen, hlen;

	if (part_key(in, &key, &klen, &why) == -1) {
		reject(p, l, "-k %s: %s", p->o.key_field, why);
		return;
	}
	if (hash_key(in, &hash, &hlen) == -1) {
		reject(p, l, "--hash-key %s: not a decimal integer from 0 to "
		    "2^128-1", p->o.hash_field);
		return;
	}
	if (l->len + klen > KINESIS_RECORD_MAX) {
		reject(p, l, "%zu bytes with the partition key: over the "
		    "1 MiB record limit", l->len + klen);
		return;
	}
	add_record(p, l, key, klen, hash, hlen);
}

static int
blank(const struct ndjson_line *l)
{
	size_t i;

	for (i = 0; i < l->len; i++)
		if (strchr(" \t\r", l->ptr[i]) == NULL)
			return 0;
	return 1;
}

static void
process_line(struct input *in, const struct ndjson_line *l)
{
	struct kput *p = in->p;
	struct json_error e;
	size_t i;
	int top = JS_OBJECT;

	count(p, &p->st.read);
	if (l->too_long) {
		reject(p, l, "%llu bytes: longer than --max-line %llu; dropped",
		    (unsigned long long)l->total,
		    (unsigned long long)p->o.max_line);
		return;
	}
	if (blank(l)) {
		count(p, &p->st.empty);
		return;
	}
	if (p->o.validate || in->nm > 0)
		top = json_scan(l->ptr, l->len, in->m, in->nm, &e);
	if (top == -1 && p->o.validate) {
		if (!json_utf8_valid(l->ptr, l->len))
			reject(p, l, "invalid UTF-8");
		else
			reject(p, l, "invalid JSON: %s at byte %zu", e.msg,
			    e.offset);
		return;
	}
	if (top == -1)		/* --no-validate: no members either */
		for (i = 0; i < in->nm; i++)
			in->m[i].type = JS_NONE;
	keyed_line(in, l);
}

/*
 * Hands over the batches whose first record has waited long enough;
 * returns the ms until the next is due (WAIT_MAX_MS if none).
 */
static int
linger(struct kput *p)
{
	int64_t now = tel_mono_ms(), due, next = WAIT_MAX_MS;
	struct lane *ln;
	unsigned i;

	for (i = 0; i < p->o.lanes; i++) {
		ln = &p->lanes[i];
		if (ln->fill->n == 0)
			continue;
		due = ln->fill->since + KPUT_LINGER_MS - now;
		if (due <= 0 && lane_handoff(ln, 0))
			continue;
		if (due < WAIT_MIN_MS)
			due = WAIT_MIN_MS;	/* the lane is busy */
		if (due < next)
			next = due;
	}
	return (int)next;
}

/* Waits for input while batches linger: 0, or -1 to stop reading. */
static int
wait_input(struct kput *p, struct ndjson_reader *r)
{
	struct pollfd pfd = { r->fd, POLLIN, 0 };

	for (;;) {
		if (kput_stop)
			return -1;
		if (poll(&pfd, 1, linger(p)) == -1 && errno != EINTR) {
			tel_warn("poll");
			p->read_failed = 1;
			return -1;
		}
		if (kput_stop)
			return -1;
		if (pfd.revents == 0)
			continue;
		if (ndjson_fill(r) >= 0)
			return 0;
		if (errno != EINTR && errno != EAGAIN) {
			tel_warn("stdin");
			p->read_failed = 1;
			return -1;
		}
	}
}

/*
 * After a stop, lines read but not yet in a batch go back; what is still
 * in the pipe stays there for whoever reads it next.
 */
static void
give_back_buffered(struct kput *p, struct ndjson_reader *r)
{
	struct ndjson_line l;
	uint64_t n = 0;

	pthread_mutex_lock(&p->out_mu);
	while (ndjson_next(r, &l) == NDJSON_LINE) {
		if (l.too_long)
			continue;
		kput_give_back(p, l.ptr, l.len);
		n++;
	}
	pthread_mutex_unlock(&p->out_mu);
	pthread_mutex_lock(&p->mu);
	p->st.unsent += n;
	pthread_mutex_unlock(&p->mu);
	if (n > 0)
		tel_warnx("%llu lines read but not sent (%s)",
		    (unsigned long long)n, p->read_failed ? "stdin failed" :
		    "stopped");
	if (r->end > r->start)
		tel_warnx("%zu bytes of a partial line read but not sent",
		    r->end - r->start);
}

static int
read_lines(struct input *in, struct ndjson_reader *r)
{
	struct ndjson_line l;
	unsigned n = 0;
	int rv;

	while (!kput_stop) {
		rv = ndjson_next(r, &l);
		if (rv == NDJSON_EOF)
			return 0;
		if (rv == NDJSON_AGAIN) {
			if (wait_input(in->p, r) == -1)
				return -1;
			continue;
		}
		process_line(in, &l);
		if (++n % 1024 == 0)
			linger(in->p);
	}
	return -1;
}

static void
input_init(struct input *in, struct kput *p)
{
	memset(in, 0, sizeof(*in));
	in->p = p;
	in->ikey = in->ihash = -1;
	if (p->o.key_field != NULL) {
		in->ikey = (int)in->nm;
		in->m[in->nm].key = p->o.key_field;
		in->m[in->nm++].keylen = strlen(p->o.key_field);
	}
	if (p->o.hash_field != NULL) {
		in->ihash = (int)in->nm;
		in->m[in->nm].key = p->o.hash_field;
		in->m[in->nm++].keylen = strlen(p->o.hash_field);
	}
	if (tel_prng_seed_random(&in->rng) == -1)
		tel_prng_seed(&in->rng, (uint64_t)tel_now_ms());
}

/*
 * Reads stdin to its end or a stop, then hands every lane what it holds
 * (a stop too sends what is in the batches: --flush-timeout bounds it).
 */
void
kput_input(struct kput *p, struct ndjson_reader *r)
{
	struct input in;
	unsigned i;

	input_init(&in, p);
	if (read_lines(&in, r) == -1)
		give_back_buffered(p, r);
	for (i = 0; i < p->o.lanes; i++)
		while (!lane_handoff(&p->lanes[i], 1))
			;
}
