/*
 * tel-batch: NDJSON records in, sealed gzip batches in a spool directory
 * out, one manifest line per batch on stdout.  Control lines (tel(7))
 * never go into a batch: each is passed on once every batch open when it
 * came is sealed and announced.  See tel-batch(1).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "base64.h"
#include "batch.h"
#include "clock.h"
#include "control.h"
#include "jsonscan.h"
#include "metrics.h"
#include "ndjson.h"
#include "number.h"
#include "prefix.h"
#include "rfc3339.h"

#define MAX_FIELDS	16

struct opts {
	const char	*spool, *name, *time_field, *time_format;
	const char	*prefix, *error_prefix;
	uint64_t	 max_bytes, max_compressed, max_records;
	uint64_t	 max_age, sync;		/* ms */
	uint64_t	 max_open, max_line, max_partitions;
	int		 level, threads, verbose, plain;
};

struct stats {
	uint64_t	lines, records, errors, empty, control;
};

/* A control line waiting for the batches open when it came. */
struct held {
	char		*line;
	size_t		 len;
	uint64_t	 upto;		/* the last batch opened before it */
};

struct ctx {
	struct opts		 o;
	struct spool		 sp;
	struct prefix		 prefix, eprefix;
	const char		*names[MAX_FIELDS];
	size_t			 nnames;
	struct json_member	 m[MAX_FIELDS + 1];	/* keys, time field */
	size_t			 nm, time_idx;
	struct batch		**open;
	size_t			 nopen;
	char			 ident[4 * KEY_MAX];
	char			*rec;		/* error records are built here */
	size_t			 reccap;
	struct held		*held;		/* control lines, in order */
	size_t			 nheld, capheld;
	struct stats		 st;
	struct metrics		 metrics;
	int			 failed;	/* spool or stdout trouble: stop */
	int64_t			 window;	/* --max-partitions: since, ms */
	uint64_t		 opened;	/* data batches opened since */
	int			 recover_failed;	/* some leftovers left as is */
};

static volatile sig_atomic_t got_stop, got_seal;

static void
on_signal(int sig)
{
	if (sig == SIGHUP || sig == SIGUSR1)
		got_seal = 1;
	else
		got_stop = 1;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: tel-batch [-hqVv] -d spool [-j threads] [-l level]\n"
	    "                 [--compression none | gzip] [--error-prefix prefix]\n"
	    "                 [--max-age duration] [--max-bytes size]\n"
	    "                 [--max-compressed size] [--max-line size]\n"
	    "                 [--max-open n] [--max-partitions n]\n"
	    "                 [--max-records n] [--metrics file]\n"
	    "                 [--metrics-interval duration] [--name name]\n"
	    "                 [--prefix prefix] [--sync duration] [--time-field field]\n"
	    "                 [--time-format format]\n");
}

#define bad_option(o, a, w)	tel_bad_option(o, a, w, usage)
#define num_arg(o, a, lo, hi)	tel_num_option(o, a, lo, hi, usage)
#define size_arg(o, a, lo)	tel_size_option(o, a, lo, usage)
#define duration_arg(o, a, lo)	tel_duration_option(o, a, lo, usage)

enum { OPT_COMPRESSION = 256, OPT_ERROR_PREFIX, OPT_MAX_AGE, OPT_MAX_BYTES, OPT_MAX_COMPRESSED,
    OPT_MAX_LINE, OPT_MAX_OPEN, OPT_MAX_PARTITIONS, OPT_MAX_RECORDS,
    OPT_NAME, OPT_PREFIX,
    OPT_SYNC, OPT_TIME_FIELD, OPT_TIME_FORMAT };

static const struct option longopts[] = {
	{ "compression", required_argument, NULL, OPT_COMPRESSION },
	{ "error-prefix", required_argument, NULL, OPT_ERROR_PREFIX },
	{ "help", no_argument, NULL, 'h' },
	{ "level", required_argument, NULL, 'l' },
	{ "max-age", required_argument, NULL, OPT_MAX_AGE },
	{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
	{ "max-compressed", required_argument, NULL, OPT_MAX_COMPRESSED },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	{ "max-open", required_argument, NULL, OPT_MAX_OPEN },
	{ "max-partitions", required_argument, NULL, OPT_MAX_PARTITIONS },
	{ "max-records", required_argument, NULL, OPT_MAX_RECORDS },
	METRICS_LONGOPTS,
	{ "name", required_argument, NULL, OPT_NAME },
	{ "prefix", required_argument, NULL, OPT_PREFIX },
	{ "quiet", no_argument, NULL, 'q' },
	{ "spool", required_argument, NULL, 'd' },
	{ "sync", required_argument, NULL, OPT_SYNC },
	{ "threads", required_argument, NULL, 'j' },
	{ "time-field", required_argument, NULL, OPT_TIME_FIELD },
	{ "time-format", required_argument, NULL, OPT_TIME_FORMAT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void
parse_args(int argc, char *argv[], struct opts *o, struct metrics *m)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "Vd:hj:l:qv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'V':
			printf("tel-batch %s\n", TEL_VERSION);
			exit(0);
		case 'd':
			o->spool = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'j':
			o->threads = (int)num_arg("-j", optarg, 0,
			    GZ_THREADS_MAX);
			break;
		case 'l':
			o->level = (int)num_arg("-l", optarg, 0, 9);
			break;
		case 'q':
			o->verbose = -1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case METRICS_OPT_FILE:
		case METRICS_OPT_INTERVAL:
			metrics_getopt(m, ch, optarg, usage);
			break;
		case OPT_COMPRESSION:
			if (strcmp(optarg, "none") != 0 &&
			    strcmp(optarg, "gzip") != 0)
				bad_option("--compression", optarg,
				    "not none or gzip");
			o->plain = strcmp(optarg, "none") == 0;
			break;
		case OPT_ERROR_PREFIX:
			o->error_prefix = optarg;
			break;
		case OPT_MAX_AGE:
			o->max_age = duration_arg("--max-age", optarg, 1);
			break;
		case OPT_MAX_BYTES:
			o->max_bytes = size_arg("--max-bytes", optarg, 1);
			break;
		case OPT_MAX_COMPRESSED:
			o->max_compressed = size_arg("--max-compressed", optarg, 1);
			break;
		case OPT_MAX_LINE:
			o->max_line = size_arg("--max-line", optarg, 1);
			if (o->max_line > 256 * 1024 * 1024)
				bad_option("--max-line", optarg, "too large");
			break;
		case OPT_MAX_OPEN:
			o->max_open = num_arg("--max-open", optarg, 1, 4096);
			break;
		case OPT_MAX_PARTITIONS:
			o->max_partitions = num_arg("--max-partitions", optarg,
			    1, 1000000);
			break;
		case OPT_MAX_RECORDS:
			o->max_records = num_arg("--max-records", optarg, 1,
			    LLONG_MAX);
			break;
		case OPT_NAME:
			o->name = optarg;
			if (*optarg == '\0' || strpbrk(optarg, "/\\%") != NULL ||
			    strlen(optarg) > 64)
				bad_option("--name", optarg,
				    "must be 1-64 bytes without / \\ %");
			break;
		case OPT_PREFIX:
			o->prefix = optarg;
			break;
		case OPT_SYNC:
			o->sync = duration_arg("--sync", optarg, 1);
			break;
		case OPT_TIME_FORMAT:
			o->time_format = optarg;
			break;
		case OPT_TIME_FIELD:
			o->time_field = optarg;
			break;
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc)
		bad_option("argument", argv[optind], "unexpected");
	if (o->spool == NULL)
		bad_option("-d", "", "the spool directory is required");
	if (o->time_format != NULL && o->time_field == NULL)
		bad_option("--time-format", o->time_format,
		    "needs --time-field");
}

/*
 * As many compressing threads as CPUs, up to 4: deflate is the work, and
 * 4 outrun what tel-kafka-cat feeds one pipeline.
 */
static int
default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 4 ? 4 : (int)n;
}

/*
 * A prefix of no partition key expands alike for every record: if the
 * key it makes is one no key may be (a timestamp format of "..", say),
 * that is a usage error, not an error record each.
 */
static void
check_prefix(const struct prefix *p, const char *opt, const char *arg)
{
	char key[4 * KEY_MAX];
	const char *why, *field = NULL;
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (p->parts[i].kind == P_FIELD)
			return;
	}
	if (prefix_eval(p, tel_now_ms(), NULL, "processing-failed", key,
	    sizeof(key), &why, &field) == -2)
		bad_option(opt, arg, why);
}

static void
setup_prefixes(struct ctx *c)
{
	char err[256];
	size_t i;

	if (prefix_parse(c->o.prefix, 0, &c->prefix, c->names, &c->nnames,
	    MAX_FIELDS, err, sizeof(err)) == -1)
		bad_option("--prefix", c->o.prefix, err);
	if (prefix_parse(c->o.error_prefix, 1, &c->eprefix, NULL, &c->nnames,
	    0, err, sizeof(err)) == -1)
		bad_option("--error-prefix", c->o.error_prefix, err);
	check_prefix(&c->prefix, "--prefix", c->o.prefix);
	check_prefix(&c->eprefix, "--error-prefix", c->o.error_prefix);
	/* members: the partition keys, then the time field unless it is one */
	for (c->nm = 0; c->nm < c->nnames; c->nm++) {
		c->m[c->nm].key = c->names[c->nm];
		c->m[c->nm].keylen = strlen(c->names[c->nm]);
	}
	if (c->o.time_field == NULL)
		return;
	for (i = 0; i < c->nnames; i++) {
		if (strcmp(c->names[i], c->o.time_field) == 0)
			break;
	}
	c->time_idx = i;
	if (i == c->nnames) {
		c->m[c->nm].key = c->o.time_field;
		c->m[c->nm++].keylen = strlen(c->o.time_field);
	}
}

static int
expired(struct ctx *c, size_t i, int64_t now)
{
	return now - c->open[i]->opened >= (int64_t)c->o.max_age;
}

/*
 * Hands the records gathered by every open batch (only the expired ones
 * if now is set) to the compressing threads, so that these work on them
 * together before each batch is waited for, by a sync or a seal.
 */
static void
flush_all(struct ctx *c, int64_t now)
{
	size_t i;

	for (i = 0; i < c->nopen; i++) {
		if ((now == 0 || expired(c, i, now)) &&
		    batch_flush(c->open[i]) == -1) {
			warn("%s", c->open[i]->path);
			c->failed = 1;
		}
	}
}

/* Writes a control line to stdout, after the manifest lines before it. */
static void
pass_on(struct ctx *c, const char *line, size_t len)
{
	if (spool_out(&c->sp, line, len) == 0)
		c->st.control++;
}

/*
 * Passes on the held control lines whose batches are all sealed: those
 * opened up to its serial.  Never after a failed seal: a record before
 * the line may be in no announced batch.
 */
static void
release(struct ctx *c)
{
	uint64_t lowest = UINT64_MAX;
	size_t i, done;

	if (c->nheld == 0 || c->failed)
		return;
	for (i = 0; i < c->nopen; i++) {
		if (c->open[i]->serial < lowest)
			lowest = c->open[i]->serial;
	}
	for (done = 0; done < c->nheld && c->held[done].upto < lowest; done++) {
		pass_on(c, c->held[done].line, c->held[done].len);
		free(c->held[done].line);
	}
	c->nheld -= done;
	memmove(c->held, c->held + done, c->nheld * sizeof(*c->held));
}

/* A control line: held until what came before it is sealed. */
static int
hold(struct ctx *c, const char *line, size_t len)
{
	struct held *h;

	if (c->nheld == c->capheld) {
		c->capheld = c->capheld ? 2 * c->capheld : 16;
		if ((h = reallocarray(c->held, c->capheld, sizeof(*h))) == NULL)
			err(1, NULL);
		c->held = h;
	}
	h = &c->held[c->nheld];
	if ((h->line = malloc(len)) == NULL)
		err(1, NULL);
	memcpy(h->line, line, len);
	h->len = len;
	h->upto = c->sp.serial;
	c->nheld++;
	release(c);
	return c->sp.out_failed ? -1 : 0;
}

/* Seals b and drops it from the open table (slot i). */
static void
seal_slot(struct ctx *c, size_t i)
{
	struct batch *b = c->open[i];

	if (batch_seal(&c->sp, b, 1) == -1)
		c->failed = 1;
	batch_free(b);
	c->open[i] = c->open[--c->nopen];
	release(c);
}

static void
seal_all(struct ctx *c)
{
	flush_all(c, 0);
	while (c->nopen > 0)
		seal_slot(c, c->nopen - 1);
}

static struct batch *
find_batch(struct ctx *c, const char *ident, int error)
{
	size_t i;

	for (i = 0; i < c->nopen; i++) {
		if (c->open[i]->error == error &&
		    strcmp(c->open[i]->ident, ident) == 0)
			return c->open[i];
	}
	return NULL;
}

static size_t
slot_of(struct ctx *c, const struct batch *b)
{
	size_t i;

	for (i = 0; c->open[i] != b; i++)
		;
	return i;
}

/* A batch to put the next record in, sealing what must be sealed first. */
static struct batch *
batch_for(struct ctx *c, const char *ident, int error, size_t len, int64_t t)
{
	struct batch *b = find_batch(c, ident, error);
	size_t i, oldest;

	if (b != NULL && c->o.max_bytes > 0 &&
	    b->gz.raw + len + 1 > c->o.max_bytes) {
		seal_slot(c, slot_of(c, b));	/* would overflow: seal first */
		b = NULL;
	}
	if (b != NULL)
		return b;
	if (c->nopen == c->o.max_open) {
		for (oldest = 0, i = 1; i < c->nopen; i++) {
			if (c->open[i]->opened < c->open[oldest]->opened)
				oldest = i;
		}
		seal_slot(c, oldest);
	}
	if ((b = batch_open(&c->sp, ident, error, tel_now_ms(), t, NULL)) == NULL)
		return NULL;
	c->open[c->nopen++] = b;
	return b;
}

/*
 * Past --max-compressed?  Until a full member of the batch is written
 * the estimate's ratio is a guess: then it waits for the members handed
 * over and, if still in doubt, writes what it has and looks again.
 */
static int
over_compressed(struct ctx *c, struct batch *b)
{
	int guess;

	if (gz_estimate(&b->gz, &guess) < c->o.max_compressed)
		return 0;
	if (!guess)
		return 1;
	if (gz_wait(&b->gz) == -1 ||
	    (gz_estimate(&b->gz, &guess) >= c->o.max_compressed && guess &&
	    batch_sync(b) == -1)) {
		warn("%s", b->path);
		c->failed = 1;
		return 0;
	}
	return gz_estimate(&b->gz, &guess) >= c->o.max_compressed;
}

static int
add_record(struct ctx *c, const char *ident, int error, const char *p,
    size_t len, int64_t t)
{
	struct batch *b = batch_for(c, ident, error, len, t);

	if (b == NULL || batch_add(b, p, len, t) == -1) {
		warn("%s", b ? b->path : c->sp.open);
		return -1;
	}
	if ((c->o.max_records > 0 && b->records >= c->o.max_records) ||
	    (c->o.max_bytes > 0 && b->gz.raw >= c->o.max_bytes) ||
	    (c->o.max_compressed > 0 && over_compressed(c, b)))
		seal_slot(c, slot_of(c, b));
	return c->failed ? -1 : 0;
}

/* The error record in c->rec[0..n) into its error batch. */
static int
error_add(struct ctx *c, const char *type, size_t n, int64_t now)
{
	const char *why, *field = NULL;
	int k;

	if ((k = prefix_eval(&c->eprefix, now, NULL, type, c->ident,
	    sizeof(c->ident), &why, &field)) < 0) {
		warnx("--error-prefix: %s", why);
		return -1;
	}
	c->ident[k] = '\0';
	return add_record(c, c->ident, 1, c->rec, n, now);
}

/*
 * A record that cannot go into the lake goes into an error batch as a
 * JSON object in Firehose's shape, its original bytes in rawData.
 */
static int
error_record(struct ctx *c, const struct ndjson_line *l, int64_t now,
    const char *code, const char *type, const char *fmt, ...)
{
	char msg[512], esc[6 * sizeof(msg) + 2];
	size_t need = BASE64_LEN(l->len) + sizeof(esc) + 256, o;
	va_list ap;

	c->st.errors++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->o.verbose >= 0)	/* -q: the error batch holds it all */
		warnx("line %llu: %s", (unsigned long long)l->lineno, msg);
	if (need > c->reccap) {
		free(c->rec);
		if ((c->rec = malloc(need)) == NULL)
			err(1, NULL);
		c->reccap = need;
	}
	o = (size_t)sprintf(c->rec, "{\"errorCode\":\"%s\",\"errorMessage\":", code);
	o += json_escape(msg, strlen(msg), c->rec + o);
	o += (size_t)sprintf(c->rec + o, ",\"lineNumber\":%llu,"
	    "\"arrivalTimestamp\":%lld,\"rawData\":\"",
	    (unsigned long long)l->lineno, (long long)now);
	o += base64_encode(l->ptr, l->len, c->rec + o);
	o += (size_t)sprintf(c->rec + o, "\"");
	if (l->too_long)
		o += (size_t)sprintf(c->rec + o, ",\"rawBytes\":%llu,"
		    "\"truncated\":true", (unsigned long long)l->total);
	c->rec[o++] = '}';
	return error_add(c, type, o, now);
}

/*
 * An error line from an earlier stage (tel(7)): the record it refused
 * goes into an error batch with that stage's reason.  It was reported
 * there; a malformed one is an error record of its own.
 */
static int
handed_error(struct ctx *c, const struct ndjson_line *l, size_t len)
{
	struct control_error ce;
	int64_t now = tel_now_ms();
	size_t need, o;

	if (control_error_parse(l->ptr, len, &ce) == -1)
		return error_record(c, l, now, "InvalidControlLine",
		    "processing-failed", "an \"%s\":\"error\" line without "
		    "errorCode, errorMessage or base64 rawData", CONTROL_MEMBER);
	c->st.errors++;
	need = ce.codelen + ce.msglen + ce.rawlen + 160;
	if (need > c->reccap) {
		free(c->rec);
		if ((c->rec = malloc(need)) == NULL)
			err(1, NULL);
		c->reccap = need;
	}
	/* the strings as they were escaped in the line */
	o = (size_t)sprintf(c->rec, "{\"errorCode\":\"%.*s\","
	    "\"errorMessage\":\"%.*s\",\"lineNumber\":%llu,"
	    "\"arrivalTimestamp\":%lld,\"rawData\":\"%.*s\"}",
	    (int)ce.codelen, ce.code, (int)ce.msglen, ce.msg,
	    (unsigned long long)ce.lineno, (long long)now, (int)ce.rawlen,
	    ce.raw);
	return error_add(c, "processing-failed", o, now);
}

/*
 * A time in --time-format (strptime(3), UTC, whole seconds).  timegm
 * would take "2025-02-30" for March 2: a time whose fields change when
 * it is made a real one is refused.
 */
static int
formatted_time(const char *s, const char *fmt, int64_t *t, const char **why)
{
	struct tm tm, back;
	const char *end;
	time_t secs;

	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = 1;		/* a format without a day means the first */
	if ((end = strptime(s, fmt, &tm)) == NULL || *end != '\0') {
		*why = "does not match --time-format";
		return -1;
	}
	back = tm;
	if ((secs = timegm(&back)) == (time_t)-1 || secs < 0 ||
	    secs > 253402300799LL) {
		*why = "is outside years 1970-9999";
		return -1;
	}
	if (back.tm_year != tm.tm_year || back.tm_mon != tm.tm_mon ||
	    back.tm_mday != tm.tm_mday || back.tm_hour != tm.tm_hour ||
	    back.tm_min != tm.tm_min || back.tm_sec != tm.tm_sec) {
		*why = "is no real time (a day or hour out of range)";
		return -1;
	}
	*t = (int64_t)secs * 1000;
	return 0;
}

/*
 * The record's own time from --time-field: RFC 3339, or epoch ms; or
 * in --time-format.
 */
static int
record_time(const struct json_member *m, const char *fmt, int64_t *t,
    const char **why)
{
	char buf[64];
	size_t n;
	const char *errstr;

	if (m->type == JS_NUMBER && fmt == NULL) {
		n = m->len < sizeof(buf) ? m->len : sizeof(buf) - 1;
		memcpy(buf, m->val, n);
		buf[n] = '\0';
		*t = (int64_t)tel_strtonum(buf, 0, 253402300799999LL, &errstr);
		*why = errstr ? "is not milliseconds since the epoch" : NULL;
		return errstr ? -1 : 0;
	}
	if (m->type != JS_STRING) {
		*why = m->type == JS_NONE ? "is missing" : fmt != NULL ?
		    "is not a string" : "is not an RFC 3339 string";
		return -1;
	}
	if (m->len >= sizeof(buf)) {
		*why = "is too long to be a time";
		return -1;
	}
	n = m->escaped ? json_unescape(m->val, m->len, buf) : m->len;
	if (!m->escaped)
		memcpy(buf, m->val, n);
	buf[n] = '\0';
	if (fmt != NULL)
		return n == strlen(buf) ? formatted_time(buf, fmt, t, why) :
		    (*why = "holds a NUL", -1);
	if (tel_rfc3339_parse(buf, n, t, why) == -1)
		return -1;
	if (*t < 0 || *t > 253402300799999LL) {
		*why = "is outside years 1970-9999";
		return -1;
	}
	return 0;
}

/*
 * A flood of partition values is bounded, as Firehose bounds active
 * partitions: at most --max-partitions data batches are opened within a
 * --max-age window; the records that would open more go to an error
 * batch, so a stream of unique values cannot make an object each.
 */
static int
may_open(struct ctx *c)
{
	int64_t now = tel_mono_ms();

	if (c->opened == 0 || now - c->window >= (int64_t)c->o.max_age) {
		c->window = now;
		c->opened = 0;
	}
	if (c->opened >= c->o.max_partitions)
		return 0;
	c->opened++;
	return 1;
}

static int
blank(const char *p, size_t n)
{
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return n == 0;
}

static int
process_line(struct ctx *c, const struct ndjson_line *l)
{
	struct json_error e;
	const char *why, *field = NULL;
	struct control ctl;
	int64_t now, t;
	size_t len = l->len;
	int top, n;

	c->st.lines++;
	if (len > 0 && l->ptr[len - 1] == '\r' && !l->too_long)
		len--;	/* CRLF: the CR is not part of the record */
	/* blanks alone make an empty line, as in tel-kafka-put */
	if (!l->too_long && blank(l->ptr, len)) {
		c->st.empty++;
		return 0;
	}
	if (!l->too_long && control_parse(l->ptr, len, &ctl)) {
		if (strcmp(ctl.kind, "error") == 0)
			return handed_error(c, l, len);
		if (ctl.flush)
			seal_all(c);	/* "make it safe now" */
		return hold(c, l->ptr, len);
	}
	now = tel_now_ms();
	if (l->too_long)
		return error_record(c, l, now, "LineTooLong", "processing-failed",
		    "line of %llu bytes is longer than --max-line %llu",
		    (unsigned long long)l->total,
		    (unsigned long long)c->o.max_line);
	top = json_scan(l->ptr, len, c->m, c->nm, &e);
	if (top == -1 && !json_utf8_valid(l->ptr, len))
		return error_record(c, l, now, "InvalidUTF8", "processing-failed",
		    "invalid UTF-8");
	if (top == -1)
		return error_record(c, l, now, "InvalidJSON", "processing-failed",
		    "invalid JSON: %s at byte %zu", e.msg, e.offset);
	if (top != JS_OBJECT)
		return error_record(c, l, now, "NotAnObject", "processing-failed",
		    "a record must be a JSON object");
	t = now;
	if (c->o.time_field != NULL &&
	    record_time(&c->m[c->time_idx], c->o.time_format, &t, &why) == -1)
		return error_record(c, l, now, "InvalidTimeField",
		    "partitioning-failed", "time field \"%s\" %s",
		    c->o.time_field, why);
	if ((n = prefix_eval(&c->prefix, t, c->m, NULL, c->ident,
	    sizeof(c->ident), &why, &field)) < 0) {
		if (n == -2)
			return error_record(c, l, now, "InvalidKey",
			    "partitioning-failed", "the key would have %s", why);
		if (field == NULL)
			return error_record(c, l, now, "PrefixTooLong",
			    "partitioning-failed", "%s", why);
		return error_record(c, l, now, "PartitionKeyError",
		    "partitioning-failed", "partition key \"%s\" is %s", field,
		    why);
	}
	c->ident[n] = '\0';
	if (find_batch(c, c->ident, 0) == NULL && !may_open(c))
		return error_record(c, l, now, "PartitionLimitExceeded",
		    "partitioning-failed", "more than --max-partitions %llu "
		    "batches opened within --max-age",
		    (unsigned long long)c->o.max_partitions);
	c->st.records++;
	return add_record(c, c->ident, 0, l->ptr, len, t);
}

/* Seals batches past --max-age, syncs on --sync; returns ms to the next. */
static int
timers(struct ctx *c, int64_t *next_sync)
{
	int64_t now = tel_mono_ms(), wait = -1, left;
	size_t i;
	int dirty = 0;

	flush_all(c, now);
	for (i = c->nopen; i-- > 0;) {
		if (expired(c, i, now))
			seal_slot(c, i);
	}
	for (i = 0; i < c->nopen; i++)
		dirty |= c->open[i]->gz.inlen > 0;
	if (now >= *next_sync) {
		flush_all(c, 0);
		for (i = 0; i < c->nopen; i++) {
			if (batch_sync(c->open[i]) == -1) {
				warn("%s", c->open[i]->path);
				c->failed = 1;
			}
		}
		*next_sync = now + (int64_t)c->o.sync;
		dirty = 0;
	}
	if (dirty)
		wait = *next_sync - now;
	for (i = 0; i < c->nopen; i++) {
		left = c->open[i]->opened + (int64_t)c->o.max_age - now;
		if (wait == -1 || left < wait)
			wait = left;
	}
	return wait < 0 ? -1 : wait > INT_MAX ? INT_MAX : (int)wait;
}

/* Reads stdin until EOF, a stop signal, or trouble; seals on time. */
static void
run(struct ctx *c, struct ndjson_reader *r, const sigset_t *waitmask)
{
	struct ndjson_line l;
	struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
	struct timespec ts, *tp;
	int64_t next_sync = tel_mono_ms() + (int64_t)c->o.sync;
	int rc, wait, mwait;

	while (!got_stop && !c->failed && !c->sp.out_failed) {
		while ((rc = ndjson_next(r, &l)) == NDJSON_LINE) {
			if (process_line(c, &l) == -1) {
				c->failed = 1;
				return;
			}
		}
		if (rc == NDJSON_EOF)
			return;
		if (got_seal) {
			got_seal = 0;
			seal_all(c);
		}
		wait = timers(c, &next_sync);
		if ((mwait = metrics_timeout(&c->metrics)) >= 0 &&
		    (wait == -1 || mwait < wait))
			wait = mwait;
		ts.tv_sec = wait / 1000;
		ts.tv_nsec = (long)(wait % 1000) * 1000000;
		tp = wait >= 0 ? &ts : NULL;
		rc = ppoll(&pfd, 1, tp, waitmask);
		metrics_tick(&c->metrics);
		if (rc == -1) {
			if (errno != EINTR)
				err(1, "poll");
			continue;
		}
		if (pfd.revents != 0 && ndjson_fill(r) == -1 && errno != EINTR &&
		    errno != EAGAIN) {
			warn("stdin");
			c->failed = 1;
		}
	}
}

/* Signals arrive only inside ppoll, so none slips between check and wait. */
static void
setup_signals(sigset_t *waitmask)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1 };
	struct sigaction sa;
	sigset_t block;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	signal(SIGPIPE, SIG_IGN);	/* a broken stdout is an error we report */
	/* a file past the size limit is a write error (EFBIG), on any thread */
	signal(SIGXFSZ, SIG_IGN);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigdelset(waitmask, sigs[i]);	/* even if blocked on entry */
}

int
main(int argc, char *argv[])
{
	struct ctx c = { .o = {
		.name = "tel",
		.prefix = "telemetry/year=!{timestamp:yyyy}/month=!{timestamp:MM}/"
		    "day=!{timestamp:dd}/hour=!{timestamp:HH}/",
		.error_prefix = "errors/!{firehose:error-output-type}/"
		    "year=!{timestamp:yyyy}/month=!{timestamp:MM}/"
		    "day=!{timestamp:dd}/",
		.max_bytes = 128ULL << 20, .max_age = 300000, .sync = 1000,
		.max_open = 64, .max_line = TEL_LINE_MAX_DEFAULT, .level = 6,
		.max_partitions = 500,
		.threads = -1,
	} };
	/* the -v summary and the --metrics file */
	const struct metric table[] = {
		M_COUNTER("lines", &c.st.lines, "Lines read from stdin.", 0),
		M_COUNTER("records", &c.st.records, "Records put into batches.",
		    METRIC_PROGRESS),
		M_COUNTER("errors", &c.st.errors, "Lines put into error "
		    "batches.", 0),
		M_COUNTER("empty", &c.st.empty, "Empty lines skipped.", 0),
		M_COUNTER("batches", &c.sp.sealed, "Batches sealed.",
		    METRIC_PROGRESS),
		M_COUNTER("error_batches", &c.sp.sealed_error, "Error batches "
		    "sealed.", 0),
		M_COUNTER("raw_bytes", &c.sp.raw, "Bytes of records in sealed "
		    "batches, before compression.", 0),
		M_COUNTER("bytes", &c.sp.bytes, "Bytes of sealed batch files.",
		    0),
		M_COUNTER("control_lines", &c.st.control, "Control lines "
		    "(checkpoints) passed on once what came before was sealed.",
		    0),
		M_SECONDS("seconds"),
	};
	struct ndjson_writer out;
	struct ndjson_reader r;
	sigset_t waitmask;
	int status;

	metrics_init(&c.metrics, "tel-batch");
	parse_args(argc, argv, &c.o, &c.metrics);
	setup_prefixes(&c);
	if ((c.open = calloc(c.o.max_open, sizeof(*c.open))) == NULL ||
	    ndjson_reader_init(&r, STDIN_FILENO, c.o.max_line) == -1 ||
	    ndjson_writer_init(&out, STDOUT_FILENO, 0) == -1)
		err(1, NULL);
	if (tel_prng_seed_random(&c.sp.rng) == -1)
		err(1, "getrandom");
	c.sp.level = c.o.level;
	c.sp.threads = c.o.threads >= 0 ? c.o.threads : default_threads();
	c.sp.name = c.o.name;
	c.sp.max_line = c.o.max_line;
	c.sp.plain = c.o.plain;
	c.sp.out = &out;
	setup_signals(&waitmask);
	metrics_start(&c.metrics, table, sizeof(table) / sizeof(table[0]), 1);
	if (spool_open(&c.sp, c.o.spool) == -1) {
		c.failed = 1;
		goto out;
	}
	if (spool_recover(&c.sp) == -1)
		c.recover_failed = 1;	/* said why; the rest goes on */
	run(&c, &r, &waitmask);
	seal_all(&c);
	if (!c.sp.out_failed && close(STDOUT_FILENO) == -1) {
		warn("stdout");
		c.failed = 1;
	}
out:
	status = c.failed || c.recover_failed || c.sp.out_failed ? 1 : 0;
	metrics_finish(&c.metrics, status);
	if (c.o.verbose > 0)
		metrics_summary(&c.metrics, stderr);
	spool_close(&c.sp);
	prefix_free(&c.prefix);
	prefix_free(&c.eprefix);
	ndjson_reader_free(&r);
	ndjson_writer_free(&out);
	free(c.open);
	free(c.rec);
	while (c.nheld > 0)
		free(c.held[--c.nheld].line);
	free(c.held);
	return status;
}
