/*
 * Open batches: records go into a gzip file under open/, flushed to the
 * kernel every --sync; sealing writes the trailer, fsyncs, renames the
 * file to ready/KEY, fsyncs the directory and only then prints its
 * manifest line.  The gzip header's metadata (lib/gzip.h: an extra
 * subfield "TL") says where the file was going, so a crash leaves
 * nothing that cannot be recovered.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base64.h"
#include "batch.h"
#include "clock.h"
#include "jsonscan.h"
#include "meta.h"
#include "prefix.h"
#include "rfc3339.h"

static int	fsync_parent(const char *);

static int
write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t k;

	while (n > 0) {
		if ((k = write(fd, s, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Compressed bytes go to the file and into its SHA-256. */
static int
sink(void *arg, const void *p, size_t n)
{
	struct batch *b = arg;

	if (EVP_DigestUpdate(b->sha, p, n) != 1) {
		errno = EIO;
		return -1;
	}
	return write_all(b->fd, p, n);
}

/*
 * "tel-2026-11-22-18-00-00-<16 hex>.gz" for an object opened at now
 * (".json" with --compression none).
 */
static void
object_name(struct spool *sp, int64_t now, char *out, size_t cap, char *id)
{
	struct tel_civil c;

	tel_civil_from_ms(now, &c);
	snprintf(id, 17, "%016llx", (unsigned long long)tel_prng_next(&sp->rng));
	snprintf(out, cap, "%s-%04d-%02d-%02d-%02d-%02d-%02d-%s%s", sp->name,
	    c.year, c.month, c.day, c.hour, c.min, c.sec, id,
	    sp->plain ? PLAIN_SUFFIX : ".gz");
}

/* The key: the partition with its random strings drawn, then the name. */
static char *
make_key(struct spool *sp, const char *ident, const char *name)
{
	static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t n = strlen(ident), i, o = 0, r;
	char *key = malloc(n * 11 + strlen(name) + 1);

	if (key == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (ident[i] != PREFIX_RANDOM) {
			key[o++] = ident[i];
			continue;
		}
		for (r = 0; r < 11; r++)
			key[o++] = abc[tel_prng_below(&sp->rng, 36)];
	}
	strcpy(key + o, name);
	return key;
}

/*
 * A new batch for partition ident, opened at now (ms) for a first record
 * of time first; key, if not NULL, is a key decided before (a salvaged
 * batch keeps its own).
 */
struct batch *
batch_open(struct spool *sp, const char *ident, int error, int64_t now,
    int64_t first, const char *key)
{
	struct batch *b = calloc(1, sizeof(*b));
	char name[256], id[17];

	if (b == NULL)
		return NULL;
	b->fd = -1;
	b->error = error;
	b->opened = tel_mono_ms();
	b->serial = ++sp->serial;
	b->first = b->last = first;
	object_name(sp, now, name, sizeof(name), id);
	if ((b->ident = strdup(ident)) == NULL ||
	    (b->key = key ? strdup(key) : make_key(sp, ident, name)) == NULL ||
	    (b->meta = meta_make(b->key, first, error)) == NULL ||
	    asprintf(&b->path, "%s/%s.gz", sp->open, id) == -1 ||
	    (b->sha = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(b->sha, EVP_sha256(), NULL) != 1)
		goto fail;
	if ((b->fd = open(b->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1 || fsync_parent(b->path) == -1)
		goto fail;
	if (gz_writer_init(&b->gz, sp->pool, b->meta, sink, b) == -1)
		goto fail;
	/* a salvaged batch keeps what its key says, whatever this run's */
	b->plain = is_plain_key(b->key);
	return b;
fail:
	warn("%s", b->path ? b->path : "new batch");
	if (b->fd != -1)
		unlink(b->path);
	batch_free(b);
	return NULL;
}

void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	gz_writer_free(&b->gz);	/* waits for the threads writing to fd */
	if (b->fd != -1)
		close(b->fd);
	EVP_MD_CTX_free(b->sha);
	free(b->ident);
	free(b->key);
	free(b->path);
	free(b->meta);
	free(b);
}

int
batch_add(struct batch *b, const char *line, size_t len, int64_t t)
{
	if (gz_write(&b->gz, line, len) == -1 || gz_write(&b->gz, "\n", 1) == -1)
		return -1;
	if (b->records == 0 || t < b->first)
		b->first = t;
	if (b->records == 0 || t > b->last)
		b->last = t;
	b->records++;
	return 0;
}

int
batch_flush(struct batch *b)
{
	return gz_flush(&b->gz);
}

int
batch_sync(struct batch *b)
{
	return gz_sync(&b->gz);
}

static int
fsync_parent(const char *path)
{
	char *d = strdup(path);
	int fd, rc = -1;

	if (d == NULL)
		return -1;
	*strrchr(d, '/') = '\0';
	if ((fd = open(d, O_RDONLY | O_DIRECTORY)) != -1) {
		rc = fsync(fd);
		close(fd);
	}
	free(d);
	return rc;
}

/* mkdir -p for the directories of path below base; fsyncs what it made. */
static int
make_dirs(const char *base, const char *path)
{
	char *p = strdup(path), *s;
	int rc = 0;

	if (p == NULL)
		return -1;
	for (s = p + strlen(base) + 1; rc == 0 && (s = strchr(s, '/')) != NULL;
	    *s++ = '/') {
		*s = '\0';
		if (mkdir(p, 0700) == 0)
			rc = fsync_parent(p);
		else if (errno != EEXIST)
			rc = -1;
	}
	free(p);
	return rc;
}

/* Moves a finished file into ready/KEY durably; returns the new path. */
static char *
publish(struct spool *sp, const char *from, const char *key)
{
	char *to;

	if (asprintf(&to, "%s/%s", sp->ready, key) == -1)
		return NULL;
	if (make_dirs(sp->ready, to) == -1 || rename(from, to) == -1 ||
	    fsync_parent(to) == -1) {
		warn("%s", to);
		free(to);
		return NULL;
	}
	return to;
}

int
is_plain_key(const char *key)
{
	size_t n = strlen(key), s = sizeof(PLAIN_SUFFIX) - 1;

	return n > s && strcmp(key + n - s, PLAIN_SUFFIX) == 0;
}

/* Expanded bytes go to the plain file and into its SHA-256. */
struct expansion {
	int		 fd;
	EVP_MD_CTX	*sha;
	uint64_t	 size;
};

static int
expand_sink(void *arg, const void *p, size_t n)
{
	struct expansion *x = arg;

	if (EVP_DigestUpdate(x->sha, p, n) != 1) {
		errno = EIO;
		return -1;
	}
	x->size += n;
	return write_all(x->fd, p, n);
}

/*
 * --compression none: the sealed gzip file in open/ is expanded beside it
 * into open/ID.plain (synced, its mtime the last record's time), which is
 * what ready/ gets.  The gzip file stays until then: a crash midway leaves
 * it to be salvaged and the .plain file to be dropped (spool.c).
 */
static char *
expand(struct batch *b, const struct timespec *times, unsigned char *md,
    uint64_t *size)
{
	struct expansion x = { -1, NULL, 0 };
	char meta[16], *to = NULL;
	unsigned int mdlen;
	int in = -1, ok = 0;

	if (asprintf(&to, "%.*s.plain", (int)(strlen(b->path) - 3),
	    b->path) == -1) {
		to = NULL;
		goto out;
	}
	if ((in = open(b->path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    (x.fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || (x.sha = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(x.sha, EVP_sha256(), NULL) != 1)
		goto out;
	if (gz_salvage(in, expand_sink, &x, meta, sizeof(meta)) != 1) {
		errno = errno ? errno : EIO;
		goto out;
	}
	ok = futimens(x.fd, times) == 0 && fsync(x.fd) == 0 &&
	    EVP_DigestFinal_ex(x.sha, md, &mdlen) == 1;
out:
	if (!ok)
		warn("%s", to ? to : b->path);
	if (in != -1)
		close(in);
	if (x.fd != -1 && close(x.fd) == -1 && ok) {
		warn("%s", to);
		ok = 0;
	}
	EVP_MD_CTX_free(x.sha);
	if (!ok && to != NULL) {
		unlink(to);
		free(to);
		to = NULL;
	}
	*size = x.size;
	return to;
}

/* Publishes the plain file of b, then drops its gzip file. */
static char *
publish_plain(struct spool *sp, struct batch *b, const struct timespec *t,
    unsigned char *md, uint64_t *size)
{
	char *plain, *file;

	if ((plain = expand(b, t, md, size)) == NULL)
		return NULL;
	file = publish(sp, plain, b->key);
	free(plain);
	if (file != NULL && (unlink(b->path) == -1 ||
	    fsync_parent(b->path) == -1))
		warn("%s", b->path);	/* a restart re-seals it: a duplicate */
	return file;
}

/* Seals b into ready/; prints its manifest line if announce is set. */
int
batch_seal(struct spool *sp, struct batch *b, int announce)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	struct timespec times[2];
	unsigned int mdlen;
	uint64_t bytes, raw;
	char *file;
	int rc;

	/* the file's mtime keeps the last record's time for a restart */
	times[0].tv_sec = 0;
	times[0].tv_nsec = UTIME_NOW;
	times[1].tv_sec = b->last / 1000;
	times[1].tv_nsec = (long)(b->last % 1000) * 1000000;
	if (gz_finish(&b->gz) == -1) {	/* a hole: leave it to salvage */
		warn("%s: not sealed; a restart salvages what it can",
		    b->path);
		return -1;
	}
	if (futimens(b->fd, times) == -1 || fsync(b->fd) == -1) {
		warn("%s", b->path);
		return -1;
	}
	rc = close(b->fd);
	b->fd = -1;
	if (rc == -1) {
		warn("%s", b->path);
		return -1;
	}
	/* gz_finish has waited for the threads: the counts are final */
	bytes = b->gz.packed;
	raw = b->gz.raw;
	if (b->plain)
		file = publish_plain(sp, b, times, md, &bytes);
	else if (EVP_DigestFinal_ex(b->sha, md, &mdlen) != 1)
		file = NULL;
	else
		file = publish(sp, b->path, b->key);
	if (file == NULL)
		return -1;
	sp->sealed++;
	sp->sealed_error += b->error;
	sp->bytes += bytes;
	sp->raw += raw;
	rc = announce ? manifest(sp, file, b->key, b->records, bytes, raw,
	    b->first, b->last, md, b->error, 0) : 0;
	free(file);
	return rc;
}

int
manifest(struct spool *sp, const char *file, const char *key,
    uint64_t records, uint64_t bytes, uint64_t raw, int64_t first,
    int64_t last, const unsigned char *sha, int error, int recovered)
{
	size_t flen = strlen(file), klen = strlen(key), o;
	char *line = malloc(6 * (flen + klen) + 512), t1[TEL_RFC3339_LEN],
	    t2[TEL_RFC3339_LEN];
	int rc;

	if (line == NULL)
		return -1;
	if (tel_rfc3339_format(t1, first) == -1)
		memcpy(t1, "0000-01-01T00:00:00.000Z", sizeof(t1));
	if (tel_rfc3339_format(t2, last) == -1)
		memcpy(t2, "9999-12-31T23:59:59.999Z", sizeof(t2));
	o = (size_t)sprintf(line, "{\"file\":");
	o += json_escape(file, flen, line + o);
	o += (size_t)sprintf(line + o, ",\"key\":");
	o += json_escape(key, klen, line + o);
	o += (size_t)sprintf(line + o, ",\"records\":%llu,\"bytes\":%llu,"
	    "\"raw_bytes\":%llu,\"first\":\"%.24s\",\"last\":\"%.24s\","
	    "\"sha256\":\"", (unsigned long long)records,
	    (unsigned long long)bytes, (unsigned long long)raw, t1, t2);
	hex_encode(sha, 32, line + o);
	o += 64;
	o += (size_t)sprintf(line + o, "\"%s%s}", error ? ",\"error\":true" : "",
	    recovered ? ",\"recovered\":true" : "");
	rc = spool_out(sp, line, o);
	free(line);
	return rc;
}

int
spool_out(struct spool *sp, const char *line, size_t len)
{
	if (!sp->out_failed && (ndjson_put_line(sp->out, line, len) == -1 ||
	    ndjson_flush(sp->out) == -1)) {
		warn("stdout");
		sp->out_failed = 1;
	}
	return sp->out_failed ? -1 : 0;
}
