/*
 * tel-s3-put: manifest lines (or files) in, S3 objects out, one result
 * line per object on stdout; a file is removed only once the store has
 * confirmed its object.  A control line (tel(7)) goes out once every
 * manifest line before it is stored (hold.c).  See tel-s3-put(1).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "args.h"
#include "clock.h"
#include "control.h"
#include "diag.h"
#include "hold.h"
#include "manifest.h"
#include "metrics.h"
#include "ndjson.h"
#include "pool.h"
#include "s3.h"
#include "upload.h"

#define MIN_PART	(5ULL * 1024 * 1024)
#define MAX_PART	(5ULL * 1024 * 1024 * 1024)

struct opts {
	const char	*spool, *key_prefix;
	uint64_t	 max_time;	/* ms */
	unsigned	 jobs;
	int		 keep;
};

struct ctx {
	struct opts		 o;
	struct s3_opts		 so;
	struct up_opts		 up;
	struct s3		 s;
	struct ndjson_writer	 w;
	_Atomic int		 failed;
	int			 out_broken;	/* under mu */
	uint64_t		 sent;		/* under mu */
	uint64_t		 bytes, attempts;	/* of those sent, under mu */
	uint64_t		 nfailed, skipped, rejected;	/* under mu */
	uint64_t		 control;	/* passed on, under mu */
	struct hold		 hold;		/* control lines, under mu */
	struct metrics		 metrics;
	pthread_mutex_t		 mu;		/* stdout, for -j workers */
	struct pool		*pool;		/* -j n > 1 */
	struct worker		*workers;
};

/*
 * A -j worker: its own S3 handle and connections, the credentials
 * shared (s3_init_worker).  The handle comes first: the parts of a multipart upload, which know
 * nothing of workers, are handed the worker's pointer as a struct s3 *.
 */
struct worker {
	struct s3	 s;
	struct ctx	*c;
};

static volatile sig_atomic_t got_stop;

static void
on_signal(int sig)
{
	(void)sig;
	got_stop = 1;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: tel-s3-put [-hqVv] -B bucket [-j n] [--checksum-algorithm alg]\n"
	    "                  [--content-encoding enc] [--content-type type]\n"
	    "                  [--endpoint url] [--keep]\n"
	    "                  [--key-prefix prefix] [--max-attempts n]\n"
	    "                  [--max-time duration] [--metrics file]\n"
	    "                  [--metrics-interval duration] [--multipart-threshold size]\n"
	    "                  [--part-size size] [--path-style] [--profile name]\n"
	    "                  [--region region] [--spool dir] [--sse algorithm]\n"
	    "                  [--sse-kms-key-id id] [--stall-timeout duration]\n"
	    "                  [--storage-class class] [--tagging tags] [file ...]\n");
}

#define bad_option(o, a, w)	tel_bad_option(o, a, w, usage)
#define num_arg(o, a, lo, hi)	tel_num_option(o, a, lo, hi, usage)
#define size_arg(o, a, lo)	tel_size_option(o, a, lo, usage)
#define duration_arg(o, a, lo)	tel_duration_option(o, a, lo, usage)

enum { OPT_CHECKSUM = 256, OPT_CONTENT_ENCODING, OPT_CONTENT_TYPE,
    OPT_ENDPOINT, OPT_KEEP,
    OPT_KEY_PREFIX, OPT_MAX_ATTEMPTS, OPT_MAX_TIME, OPT_THRESHOLD,
    OPT_PART_SIZE, OPT_PATH_STYLE, OPT_PROFILE, OPT_REGION, OPT_SPOOL,
    OPT_SSE, OPT_STALL_TIMEOUT, OPT_SSE_KMS_KEY_ID, OPT_STORAGE_CLASS, OPT_TAGGING };

static const struct option longopts[] = {
	{ "bucket", required_argument, NULL, 'B' },
	{ "checksum-algorithm", required_argument, NULL, OPT_CHECKSUM },
	{ "content-encoding", required_argument, NULL, OPT_CONTENT_ENCODING },
	{ "content-type", required_argument, NULL, OPT_CONTENT_TYPE },
	{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
	{ "help", no_argument, NULL, 'h' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "key-prefix", required_argument, NULL, OPT_KEY_PREFIX },
	{ "max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS },
	{ "max-time", required_argument, NULL, OPT_MAX_TIME },
	METRICS_LONGOPTS,
	{ "multipart-threshold", required_argument, NULL, OPT_THRESHOLD },
	{ "part-size", required_argument, NULL, OPT_PART_SIZE },
	{ "path-style", no_argument, NULL, OPT_PATH_STYLE },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "region", required_argument, NULL, OPT_REGION },
	{ "spool", required_argument, NULL, OPT_SPOOL },
	{ "sse", required_argument, NULL, OPT_SSE },
	{ "sse-kms-key-id", required_argument, NULL, OPT_SSE_KMS_KEY_ID },
	{ "stall-timeout", required_argument, NULL, OPT_STALL_TIMEOUT },
	{ "storage-class", required_argument, NULL, OPT_STORAGE_CLASS },
	{ "tagging", required_argument, NULL, OPT_TAGGING },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Options that become request headers. */
static int
header_option(struct ctx *c, int ch)
{
	switch (ch) {
	case OPT_CHECKSUM:
		if (strcasecmp(optarg, "SHA256") == 0)
			c->up.checksum = UP_CK_SHA256;
		else if (strcasecmp(optarg, "CRC32C") == 0)
			c->up.checksum = UP_CK_CRC32C;
		else if (strcasecmp(optarg, "NONE") == 0)
			c->up.checksum = UP_CK_NONE;
		else
			bad_option("--checksum-algorithm", optarg,
			    "SHA256, CRC32C or NONE");
		break;
	case OPT_CONTENT_ENCODING:
		c->up.content_encoding = optarg;
		break;
	case OPT_CONTENT_TYPE:
		c->up.content_type = optarg;
		break;
	case OPT_SSE:
		if (strcmp(optarg, "AES256") != 0 &&
		    strcmp(optarg, "aws:kms") != 0)
			bad_option("--sse", optarg, "AES256 or aws:kms");
		c->up.sse = optarg;
		break;
	case OPT_SSE_KMS_KEY_ID:
		c->up.sse_kms_key_id = optarg;
		break;
	case OPT_STORAGE_CLASS:
		c->up.storage_class = optarg;
		break;
	case OPT_TAGGING:
		c->up.tagging = optarg;
		break;
	default:
		return 0;
	}
	if (strpbrk(optarg, "\r\n") != NULL)
		bad_option("option", optarg, "holds a line break");
	return 1;
}

/* Options about where and how to send. */
static int
transfer_option(struct ctx *c, int ch)
{
	switch (ch) {
	case OPT_ENDPOINT:
		if (strncmp(optarg, "http://", 7) != 0 &&
		    strncmp(optarg, "https://", 8) != 0 &&
		    strncmp(optarg, "file:///", 8) != 0)
			bad_option("--endpoint", optarg,
			    "http://, https:// or file:///");
		c->so.endpoint = optarg;
		break;
	case OPT_MAX_ATTEMPTS:
		c->so.max_attempts = (unsigned)num_arg("--max-attempts",
		    optarg, 1, 100);
		break;
	case OPT_MAX_TIME:
		c->o.max_time = duration_arg("--max-time", optarg, 1);
		break;
	case OPT_THRESHOLD:
		c->up.threshold = size_arg("--multipart-threshold", optarg,
		    MIN_PART);
		break;
	case OPT_PART_SIZE:
		c->up.part_size = size_arg("--part-size", optarg, MIN_PART);
		if (c->up.part_size > MAX_PART)
			bad_option("--part-size", optarg, "over 5G");
		break;
	case OPT_PATH_STYLE:
		c->so.path_style = 1;
		break;
	case OPT_STALL_TIMEOUT:
		c->so.stall_s = (long)((duration_arg("--stall-timeout", optarg,
		    1000) + 999) / 1000);
		break;
	case OPT_PROFILE:
		c->so.profile = optarg;
		break;
	case OPT_REGION:
		c->so.region = optarg;
		break;
	default:
		return 0;
	}
	return 1;
}

static void
parse_args(int argc, char *argv[], struct ctx *c)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "B:Vhj:qv", longopts, NULL)) !=
	    -1) {
		if (header_option(c, ch) || transfer_option(c, ch) ||
		    metrics_getopt(&c->metrics, ch, optarg, usage))
			continue;
		switch (ch) {
		case 'B':
			c->so.bucket = optarg;
			break;
		case 'V':
			printf("tel-s3-put %s\n", TEL_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case 'j':
			c->o.jobs = (unsigned)num_arg("-j", optarg, 1, 64);
			break;
		case 'q':
			c->so.quiet = 1;
			break;
		case 'v':
			c->so.verbose = 1;
			break;
		case OPT_KEEP:
			c->o.keep = 1;
			break;
		case OPT_KEY_PREFIX:
			c->o.key_prefix = optarg;
			break;
		case OPT_SPOOL:
			c->o.spool = optarg;
			break;
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (c->so.bucket == NULL || *c->so.bucket == '\0')
		bad_option("-B", "", "the bucket is required");
	if (strchr(c->so.bucket, '/') != NULL)
		bad_option("-B", c->so.bucket, "a bucket name has no /");
	if (c->o.key_prefix != NULL && optind == argc)
		bad_option("--key-prefix", c->o.key_prefix,
		    "only for file arguments");
}

/* Adds to one of the counters the metrics thread reads. */
static void
count(struct ctx *c, uint64_t *counter, uint64_t n)
{
	pthread_mutex_lock(&c->mu);
	*counter += n;
	pthread_mutex_unlock(&c->mu);
}

/* Writes a line under mu; -1 (said) if stdout is broken. */
static int
out_line(struct ctx *c, const char *line, size_t len)
{
	if (c->out_broken || ndjson_put_line(&c->w, line, len) == -1 ||
	    ndjson_flush(&c->w) == -1) {
		if (!c->out_broken)
			tel_warn("stdout");
		c->failed = c->out_broken = 1;
		return -1;
	}
	return 0;
}

/* Under mu: the control lines whose manifest lines are all stored. */
static void
release(struct ctx *c)
{
	const struct held_line *h;

	while ((h = hold_ready(&c->hold)) != NULL) {
		if (out_line(c, h->line, h->len) == 0)
			c->control++;
		hold_pop(&c->hold);
	}
}

/*
 * The result line goes out (and is flushed) before the file is removed:
 * an object whose record could not be written is sent again next time,
 * which is harmless, rather than lost from the log.
 */
static void
finish(struct ctx *c, const struct manifest *m, const struct up_result *res,
    int64_t t0, uint64_t seq)
{
	struct result r = { c->so.bucket, res->etag, res->version_id,
	    res->attempts, tel_mono_ms() - t0 };
	struct stat st;
	char *line = NULL;
	size_t len;

	if (manifest_result(m, &r, &line, &len) == -1) {
		tel_warnx("out of memory");
		c->failed = 1;
		goto out;
	}
	pthread_mutex_lock(&c->mu);
	if (out_line(c, line, len) == -1) {
		pthread_mutex_unlock(&c->mu);
		goto out;
	}
	hold_done(&c->hold, seq);
	release(c);
	c->sent++;
	c->bytes += fstat(res->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	c->attempts += res->attempts;
	pthread_mutex_unlock(&c->mu);
	if (!c->o.keep && unlink(m->file) == -1) {
		tel_warn("%s", m->file);
		c->failed = 1;
	}
	if (c->so.verbose)
		tel_warnx("s3://%s/%s: stored, %s", c->so.bucket, m->key,
		    c->o.keep ? "file kept" : "file removed");
out:
	free(line);
}

static void
put_with(struct ctx *c, struct s3 *s, const struct manifest *m, uint64_t seq)
{
	struct up_item it = { m->file, m->key, m->sha256, m->bytes,
	    seq == HOLD_SPOOL };
	struct up_result res;
	int64_t t0 = tel_mono_ms();
	int rc;

	rc = upload(s, &c->up, &it, (int64_t)c->o.max_time, &res);
	if (rc == -1)
		c->failed = 1;
	if (rc != 0) {
		count(c, rc == -1 ? &c->nfailed : &c->skipped, 1);
		return;
	}
	finish(c, m, &res, t0, seq);
	close(res.fd);
}

/* A worker's turn: the line was parsed once already, so it parses. */
static void
worker_put(void *arg, const char *line, size_t len, uint64_t seq)
{
	struct worker *w = arg;
	struct manifest m;
	char why[256];

	if (manifest_parse(line, len, &m, why, sizeof(why)) == -1) {
		tel_warnx("%s", why);
		w->c->failed = 1;
		return;
	}
	put_with(w->c, &w->s, &m, seq);
	manifest_free(&m);
}

/* Now, or queued for the next free worker with -j. */
static void
put_one(struct ctx *c, const struct manifest *m, uint64_t seq)
{
	if (c->pool == NULL)
		put_with(c, &c->s, m, seq);
	else if (pool_put(c->pool, m->line, m->len, seq) == -1) {
		tel_warnx("out of memory");
		c->failed = 1;
	}
}

/* A file given by name: a manifest line of its own. */
static void
put_path(struct ctx *c, const char *file, const char *key, uint64_t tag)
{
	struct manifest m;
	char err[256], *line;

	if (key_check(key, err, sizeof(err)) == -1) {
		tel_warnx("%s: %s", file, err);
		c->failed = 1;
		count(c, &c->rejected, 1);
		return;
	}
	if ((line = manifest_make(file, key)) == NULL ||
	    manifest_parse(line, strlen(line), &m, err, sizeof(err)) == -1) {
		tel_warnx("%s: %s", file, line == NULL ? "out of memory" : err);
		c->failed = 1;
		count(c, &c->rejected, 1);
		free(line);
		return;
	}
	put_one(c, &m, tag);
	manifest_free(&m);
	free(line);
}

/*
 * A line of stdin gets its number; one that is refused never counts as
 * stored, so it holds back every control line after it.
 */
static uint64_t
number(struct ctx *c)
{
	uint64_t seq;

	pthread_mutex_lock(&c->mu);
	seq = hold_number(&c->hold);
	pthread_mutex_unlock(&c->mu);
	if (seq == HOLD_UNTRACKED)
		err(1, NULL);
	return seq;
}

static void
control_line(struct ctx *c, const char *line, size_t len)
{
	pthread_mutex_lock(&c->mu);
	if (hold_control(&c->hold, line, len) == -1)
		err(1, NULL);
	release(c);
	pthread_mutex_unlock(&c->mu);
}

static void
read_stdin(struct ctx *c)
{
	struct ndjson_reader rd;
	struct ndjson_line l;
	struct manifest m;
	struct control ctl;
	uint64_t seq;
	char why[256];
	int r;

	if (ndjson_reader_init(&rd, STDIN_FILENO, TEL_LINE_MAX_DEFAULT) == -1)
		err(1, "ndjson_reader_init");
	while (!got_stop && (r = ndjson_read(&rd, &l)) != NDJSON_EOF) {
		if (r == -1) {
			if (errno != EINTR) {
				tel_warn("stdin");
				c->failed = 1;
				break;
			}
			continue;
		}
		if (!l.too_long && control_parse(l.ptr, l.len, &ctl)) {
			control_line(c, l.ptr, l.len);
			continue;
		}
		seq = number(c);
		if (l.too_long) {
			tel_warnx("line %llu: longer than %d bytes",
			    (unsigned long long)l.lineno, TEL_LINE_MAX_DEFAULT);
			c->failed = 1;
			count(c, &c->rejected, 1);
			continue;
		}
		if (manifest_parse(l.ptr, l.len, &m, why, sizeof(why)) == -1) {
			tel_warnx("line %llu: %s", (unsigned long long)l.lineno, why);
			c->failed = 1;
			count(c, &c->rejected, 1);
			continue;
		}
		put_one(c, &m, seq);
		manifest_free(&m);
	}
	ndjson_reader_free(&rd);
}

/* Every regular file below dir, in name order, key = path below ready/. */
static void
walk(struct ctx *c, const char *dir, size_t rootlen)
{
	struct dirent **ents;
	struct stat st;
	char *path;
	int i, n;

	if ((n = scandir(dir, &ents, NULL, alphasort)) == -1) {
		tel_warn("%s", dir);
		c->failed = 1;
		return;
	}
	for (i = 0; i < n; i++) {
		/* ".hidden" is a partition value like any other */
		if (strcmp(ents[i]->d_name, ".") == 0 ||
		    strcmp(ents[i]->d_name, "..") == 0 || got_stop ||
		    asprintf(&path, "%s/%s", dir, ents[i]->d_name) == -1) {
			free(ents[i]);
			continue;
		}
		if (lstat(path, &st) == -1) {
			if (errno != ENOENT) {	/* gone: sent by another */
				tel_warn("%s", path);
				c->failed = 1;
			}
		} else if (S_ISDIR(st.st_mode))
			walk(c, path, rootlen);
		else if (S_ISREG(st.st_mode))
			put_path(c, path, path + rootlen + 1, HOLD_SPOOL);
		free(path);
		free(ents[i]);
	}
	free(ents);
}

static void
drain_spool(struct ctx *c)
{
	char *ready;

	if (asprintf(&ready, "%s/ready", c->o.spool) == -1)
		err(1, NULL);
	if (access(ready, F_OK) == -1) {
		tel_warn("%s", ready);
		c->failed = 1;
	} else
		walk(c, ready, strlen(ready));
	free(ready);
}

/* No SA_RESTART: a blocked read of stdin returns, and we stop. */
static void
setup_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) == -1)
			err(1, "sigaction");
	signal(SIGPIPE, SIG_IGN);	/* a broken stdout is an error we report */
}

/* A file:// endpoint is the lake's directory; else set up S3. */
static void
setup_store(struct ctx *c)
{
	char why[512];
	const char *ep = c->so.endpoint;

	c->s.o = c->so;
	if (ep != NULL && strncmp(ep, "file://", 7) == 0) {
		c->up.lake = ep + 7;
		if (access(c->up.lake, W_OK) == -1)
			err(1, "%s", c->up.lake);
		return;
	}
	if (s3_init(&c->s, &c->so, why, sizeof(why)) == -1)
		errx(1, "%s", why);
	c->s.stop = &got_stop;
}

/*
 * -j n: n workers, each with an S3 handle of its own (connections,
 * clock offset); they share the credential cache (one fetch, one
 * refresh for all), the output, and the parts of multipart uploads.
 */
static void
setup_workers(struct ctx *c)
{
	void *args[64];
	char why[512];
	unsigned i;

	if (c->o.jobs <= 1)
		return;
	if ((c->workers = calloc(c->o.jobs, sizeof(*c->workers))) == NULL)
		err(1, NULL);
	for (i = 0; i < c->o.jobs; i++) {
		c->workers[i].c = c;
		if (c->up.lake != NULL)
			c->workers[i].s.o = c->so;
		else if (s3_init_worker(&c->workers[i].s, &c->s, why,
		    sizeof(why)) == -1)
			errx(1, "%s", why);
		c->workers[i].s.stop = &got_stop;
		args[i] = &c->workers[i];
	}
	if ((c->pool = pool_new(c->o.jobs, worker_put, args)) == NULL)
		errx(1, "cannot start %u threads", c->o.jobs);
	c->up.pool = c->pool;	/* idle workers take parts too */
}

static void
finish_workers(struct ctx *c)
{
	unsigned i;

	if (c->pool == NULL)
		return;
	pool_finish(c->pool);
	c->pool = NULL;
	for (i = 0; i < c->o.jobs; i++)
		if (c->up.lake == NULL)
			s3_free(&c->workers[i].s);
	free(c->workers);
}

int
main(int argc, char *argv[])
{
	struct ctx c;
	int i, status;

	memset(&c, 0, sizeof(c));
	c.up.threshold = 16ULL * 1024 * 1024;
	c.up.part_size = 8ULL * 1024 * 1024;
	c.o.jobs = 16;
	c.so.stall_s = 30;
	metrics_init(&c.metrics, "tel-s3-put");
	parse_args(argc, argv, &c);
	setup_signals();
	/* declared here: the bucket is known only now */
	const struct metric table[] = {
		M_LABEL("bucket", c.so.bucket, 0),
		M_COUNTER("objects", &c.sent, "Objects stored.",
		    METRIC_PROGRESS),
		M_COUNTER("bytes", &c.bytes, "Bytes of the objects stored.",
		    METRIC_PROGRESS),
		M_COUNTER("attempts", &c.attempts, "Requests it took to store "
		    "them, retries included.", 0),
		M_COUNTER("failed", &c.nfailed, "Objects not stored: their "
		    "files are kept.", 0),
		M_COUNTER("skipped", &c.skipped, "Files left to another "
		    "tel-s3-put that holds them.", 0),
		M_COUNTER("rejected", &c.rejected, "Input lines or files "
		    "refused before any upload.", 0),
		M_COUNTER("control_lines", &c.control, "Control lines "
		    "(checkpoints) passed on once every object before was "
		    "stored.", 0),
		M_SECONDS("seconds"),
	};
	metrics_start(&c.metrics, table, sizeof(table) / sizeof(table[0]),
	    !c.so.quiet);
	setup_store(&c);
	if (ndjson_writer_init(&c.w, STDOUT_FILENO, 64 * 1024) == -1)
		err(1, "ndjson_writer_init");
	if (pthread_mutex_init(&c.mu, NULL) != 0)
		errx(1, "pthread_mutex_init");
	setup_workers(&c);
	if (metrics_thread_start(&c.metrics, &c.mu) == -1)
		tel_warnx("--metrics: cannot start a thread; written at exit only");
	c.w.interrupt = &got_stop;
	if (c.o.spool != NULL)
		drain_spool(&c);
	for (i = optind; i < argc && !got_stop; i++) {
		char *dup = strdup(argv[i]), *key = NULL;

		if (dup == NULL || asprintf(&key, "%s%s", c.o.key_prefix ?
		    c.o.key_prefix : "", basename(dup)) == -1)
			err(1, NULL);
		put_path(&c, argv[i], key, HOLD_UNTRACKED);
		free(key);
		free(dup);
	}
	if (c.o.spool == NULL && optind == argc)
		read_stdin(&c);
	finish_workers(&c);
	if (got_stop) {
		tel_warnx("interrupted; files not confirmed by the store are kept");
		c.failed = 1;
	}
	if (ndjson_flush(&c.w) == -1 && !c.out_broken) {
		tel_warn("stdout");
		c.failed = 1;
	}
	status = c.failed ? 1 : 0;
	metrics_finish(&c.metrics, status);	/* before mu goes */
	if (c.so.verbose)
		metrics_summary(&c.metrics, stderr);
	ndjson_writer_free(&c.w);
	hold_free(&c.hold);
	pthread_mutex_destroy(&c.mu);
	if (c.up.lake == NULL)
		s3_free(&c.s);
	return status;
}
