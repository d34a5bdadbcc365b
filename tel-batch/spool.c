/*
 * The spool directory: open/ holds batches being written, ready/KEY the
 * sealed ones until tel-s3-put takes them, lock keeps out a second
 * tel-batch.  On start, files a crash left in open/ are salvaged into
 * ready/, and everything in ready/ is announced again.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "jsonscan.h"
#include "meta.h"

static int
mkdir_0700(const char *path)
{
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		warn("%s", path);
		return -1;
	}
	return 0;
}

/*
 * The spool is ours alone: a directory (not a link to one) of the user
 * tel-batch runs as, that no one else may write.  Else another user
 * could plant a link where a batch or the lock is written.
 */
static int
owned_dir(const char *path)
{
	struct stat st;
	const char *why = NULL;

	if (lstat(path, &st) == -1) {
		warn("%s", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		why = "not a directory (a symbolic link?)";
	else if (st.st_uid != geteuid())
		why = "not owned by the user tel-batch runs as";
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		why = "writable by others";
	if (why == NULL)
		return 0;
	warnx("%s: %s: refused as a spool", path, why);
	return -1;
}

/* The lock file: never through a link, and a regular file of ours. */
static int
open_lock(const char *path)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1) {
		warn("%s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		warnx("%s: not a regular file of ours: refused as a lock", path);
		close(fd);
		return -1;
	}
	return fd;
}

static int
take_lock(struct spool *sp)
{
	char *path, pid[32];
	int n;

	if (asprintf(&path, "%s/lock", sp->dir) == -1)
		return -1;
	if ((sp->lockfd = open_lock(path)) == -1) {
		free(path);
		return -1;
	}
	if (flock(sp->lockfd, LOCK_EX | LOCK_NB) == -1) {
		n = (int)read(sp->lockfd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		warnx("%s is in use by another tel-batch%s%s%s", sp->dir,
		    *pid ? " (pid " : "", pid, *pid ? ")" : "");
		free(path);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(sp->lockfd, 0) == -1 || pwrite(sp->lockfd, pid,
	    (size_t)n, 0) != n)
		warn("%s", path);
	free(path);
	return 0;
}

int
spool_open(struct spool *sp, const char *dir)
{
	char real[PATH_MAX];

	umask(077);
	if (mkdir_0700(dir) == -1)
		return -1;
	if (realpath(dir, real) == NULL) {
		warn("%s", dir);
		return -1;
	}
	if ((sp->dir = strdup(real)) == NULL ||
	    asprintf(&sp->open, "%s/open", real) == -1 ||
	    asprintf(&sp->ready, "%s/ready", real) == -1)
		return -1;
	if (owned_dir(sp->dir) == -1 || mkdir_0700(sp->open) == -1 ||
	    mkdir_0700(sp->ready) == -1 || owned_dir(sp->open) == -1 ||
	    owned_dir(sp->ready) == -1)
		return -1;
	if ((sp->pool = gz_pool_new(sp->level, sp->threads)) == NULL) {
		warn("compression threads");
		return -1;
	}
	return take_lock(sp);
}

/* Opens path for reading and stats it; -1 (with a warning) if it cannot. */
static int
open_stat(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd == -1 || fstat(fd, st) == -1) {
		warn("%s", path);
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/* Releases the lock and the paths. */
void
spool_close(struct spool *sp)
{
	if (sp->lockfd > 0)
		close(sp->lockfd);
	free(sp->dir);
	free(sp->open);
	free(sp->ready);
	gz_pool_free(sp->pool);
	sp->dir = sp->open = sp->ready = NULL;
	sp->pool = NULL;
}

/* meta_parse(), saying why a header that names a bad key is refused. */
static int
meta_parse_warn(const char *c, char **key, int64_t *first, int *error)
{
	const char *why;

	if (meta_parse(c, key, first, error, &why) == 0)
		return 0;
	if (why != NULL)
		warnx("a salvaged file's header names %s", why);
	return -1;
}

/*
 * Decoded bytes of a salvaged file go, line by line, into a new batch
 * under the same key; opened on the first bytes, when the gzip header
 * (and so the key) is known.
 */
struct salvage {
	struct spool	*sp;
	struct batch	*b;
	char		 meta[META_MAX];
	char		*line;		/* a line not yet ended */
	size_t		 len, cap;
	uint64_t	 dropped;	/* bytes of lines too long to be ours */
	int		 toolong;	/* the line now read is being dropped */
	int		 bad_header;
};

/*
 * No record tel-batch writes is longer than this (an error record holds
 * a --max-line prefix in base64): a crafted file's endless line is cut.
 */
#define SALVAGE_LINE_MAX(sp)	(2 * (sp)->max_line + 65536)

static int
salvage_append(struct salvage *s, const char *p, size_t n)
{
	char *np;

	if (s->toolong || s->len + n > SALVAGE_LINE_MAX(s->sp)) {
		s->dropped += s->len + n;	/* and the rest of the line */
		s->len = 0;
		s->toolong = 1;
		return 0;
	}
	if (s->len + n > s->cap) {
		if ((np = realloc(s->line, s->len + n + 4096)) == NULL)
			return -1;
		s->line = np;
		s->cap = s->len + n + 4096;
	}
	memcpy(s->line + s->len, p, n);
	s->len += n;
	return 0;
}

static int
salvage_sink(void *arg, const void *data, size_t n)
{
	struct salvage *s = arg;
	const char *p = data, *nl;
	char *key;
	int64_t first;
	int error;

	if (s->b == NULL) {
		if (meta_parse_warn(s->meta, &key, &first, &error) == -1) {
			s->bad_header = 1;
			errno = EINVAL;
			return -1;
		}
		s->b = batch_open(s->sp, key, error, first, first, key);
		free(key);
		if (s->b == NULL)
			return -1;
	}
	while ((nl = memchr(p, '\n', n)) != NULL) {
		if (salvage_append(s, p, (size_t)(nl - p)) == -1 ||
		    (!s->toolong && batch_add(s->b, s->line, s->len,
		    s->b->first) == -1))
			return -1;
		s->toolong = 0;
		s->len = 0;
		n -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
	return salvage_append(s, p, n);
}

/*
 * A plain file in open/ is a --compression none batch cut short while it
 * was expanded (batch.c, expand): its gzip file is still there, and is
 * salvaged.
 */
static int
drop_plain(const char *path)
{
	warnx("%s: an expansion cut short; removed (its batch is salvaged)",
	    path);
	if (unlink(path) == -1) {
		warn("%s", path);
		return -1;
	}
	return 0;
}

/* Re-seals what decodes of a file a crash left in open/, under its key. */
static int
salvage_file(struct spool *sp, const char *path)
{
	struct salvage s;
	struct stat st;
	char *key;
	int64_t first;
	int fd, rc, error;

	memset(&s, 0, sizeof(s));
	s.sp = sp;
	if (strlen(path) > 6 && strcmp(path + strlen(path) - 6, ".plain") == 0)
		return drop_plain(path);
	if ((fd = open_stat(path, &st)) == -1)
		return -1;
	if (st.st_size == 0) {
		/* killed before its first member was written: no record */
		close(fd);
		warnx("%s: empty, nothing to salvage; removed", path);
		if (unlink(path) == -1) {
			warn("%s", path);
			return -1;
		}
		return 0;
	}
	rc = gz_salvage(fd, salvage_sink, &s, s.meta, sizeof(s.meta));
	close(fd);
	free(s.line);
	if (rc == -1 || s.bad_header || (s.b == NULL && rc == 0 &&
	    meta_parse_warn(s.meta, &key, &first, &error) == -1)) {
		/* not ours, or nothing decodes: keep it for a human */
		warnx("%s: cannot salvage%s; left in place", path,
		    s.bad_header || s.b == NULL ? " (not a tel-batch file)" : "");
		if (s.b != NULL)
			unlink(s.b->path);
		batch_free(s.b);
		return -1;
	}
	if (s.b == NULL && rc == 0)
		free(key);
	if (s.len > 0)
		warnx("%s: dropped %zu bytes of an unfinished last line", path,
		    s.len);
	if (s.dropped > 0)
		warnx("%s: dropped %llu bytes of lines too long to be records",
		    path, (unsigned long long)s.dropped);
	if (s.b != NULL) {
		s.b->last = (int64_t)st.st_mtim.tv_sec * 1000 +
		    st.st_mtim.tv_nsec / 1000000;
		warnx("%s: salvaged %llu records into %s", path,
		    (unsigned long long)s.b->records, s.b->key);
		rc = batch_seal(sp, s.b, 0);
		if (rc == -1)
			unlink(s.b->path);	/* the original stays for next time */
		batch_free(s.b);
		if (rc == -1)
			return -1;
	}
	if (unlink(path) == -1) {
		warn("%s", path);
		return -1;
	}
	return 0;
}

struct count {
	uint64_t	records, raw;
};

static int
count_sink(void *arg, const void *p, size_t n)
{
	struct count *c = arg;
	const char *s = p, *end = s + n;

	c->raw += n;
	while ((s = memchr(s, '\n', (size_t)(end - s))) != NULL) {
		c->records++;
		s++;
	}
	return 0;
}

static int
hash_file(int fd, unsigned char *md)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[65536];
	unsigned int mdlen;
	ssize_t n;
	int rc = -1;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    lseek(fd, 0, SEEK_SET) == -1)
		goto out;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			goto out;
	}
	if (n == 0 && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1)
		rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/*
 * A plain batch (--compression none) has no header: its first record's
 * time is not kept, so first is its last (the file's mtime), and an error
 * batch is known by its place under the error prefix only to a reader.
 */
static int
announce_plain(struct spool *sp, const char *path, int fd,
    const struct stat *st, int64_t last)
{
	struct count c = { 0, 0 };
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		count_sink(&c, buf, (size_t)n);
	if (n == -1 || hash_file(fd, md) == -1) {
		warn("%s", path);
		close(fd);
		return -1;
	}
	close(fd);
	return manifest(sp, path, path + strlen(sp->ready) + 1, c.records,
	    (uint64_t)st->st_size, c.raw, last, last, md, 0, 1);
}

/* Announces a sealed file found in ready/ again, as recovered. */
static int
announce(struct spool *sp, const char *path)
{
	struct count c = { 0, 0 };
	unsigned char md[EVP_MAX_MD_SIZE];
	char meta[META_MAX], *key = NULL;
	struct stat st;
	int64_t first, last;
	int fd, error = 0, rc;

	if ((fd = open_stat(path, &st)) == -1)
		return -1;
	last = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
	if (is_plain_key(path))
		return announce_plain(sp, path, fd, &st, last);
	rc = gz_salvage(fd, count_sink, &c, meta, sizeof(meta));
	if (meta_parse_warn(meta, &key, &first, &error) == -1)
		first = last;
	free(key);
	if (rc != 1 || hash_file(fd, md) == -1) {
		warnx("%s: not a complete gzip file; not announced", path);
		close(fd);
		return -1;
	}
	close(fd);
	return manifest(sp, path, path + strlen(sp->ready) + 1, c.records,
	    (uint64_t)st.st_size, c.raw, first, last, md, error, 1);
}

/* Calls fn for each regular file below dir, in name order per directory. */
static int
walk(struct spool *sp, const char *dir, int (*fn)(struct spool *,
    const char *))
{
	struct dirent **ents;
	char *path;
	int n, i, rc = 0;

	if ((n = scandir(dir, &ents, NULL, alphasort)) == -1) {
		warn("%s", dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") != 0 &&
		    strcmp(ents[i]->d_name, "..") != 0 &&
		    asprintf(&path, "%s/%s", dir, ents[i]->d_name) != -1) {
			int type = ents[i]->d_type;
			struct stat st;

			if (type == DT_UNKNOWN && lstat(path, &st) == 0)
				type = S_ISDIR(st.st_mode) ? DT_DIR :
				    S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
			if (type == DT_DIR) {
				rc |= walk(sp, path, fn);
				/* tel-s3-put emptied it: gone, if empty */
				(void)rmdir(path);
			}
			else if (type == DT_REG)
				rc |= fn(sp, path);
			free(path);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int
spool_recover(struct spool *sp)
{
	int rc = walk(sp, sp->open, salvage_file);

	if (walk(sp, sp->ready, announce) == -1)
		rc = -1;
	return rc;
}
