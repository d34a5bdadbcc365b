/*
 * The file:// lake: objects as files DIR/BUCKET/KEY, each written under
 * a temporary name in its final directory, synced, then renamed, so a
 * reader never sees a partial object and a crash leaves none.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "upload.h"

/* Keys become paths: no empty, "." or ".." segments, no leading '/'. */
static int
key_is_path(const char *key)
{
	const char *p = key, *e;
	size_t n;

	for (;;) {
		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (e == NULL)
			return 1;
		p = e + 1;
	}
}

static int
is_link(int dir, const char *name)
{
	struct stat st;

	return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode);
}

/*
 * The directory that will hold path's last segment, opened one segment
 * at a time below dirfd and made where missing; a symlink on the way is
 * refused (ELOOP), so no key leads out of the lake.  Returns a
 * descriptor, or -1; *base is set to the last segment.
 */
static int
open_dirs(int dirfd, const char *path, const char **base)
{
	char seg[NAME_MAX + 1];
	const char *p = path, *e;	/* e: the end of a segment */
	int fd = dup(dirfd), next, e2;
	size_t n;

	while (fd != -1 && (e = strchr(p, '/')) != NULL) {
		if ((n = (size_t)(e - p)) > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(seg, p, n);
		seg[n] = '\0';
		if (mkdirat(fd, seg, 0777) == -1 && errno != EEXIST)
			next = -1;
		else
			next = openat(fd, seg, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		e2 = errno;
		if (next == -1 && e2 == ENOTDIR && is_link(fd, seg))
			e2 = ELOOP;	/* what Linux says is ENOTDIR */
		close(fd);
		errno = e2;
		fd = next;
		p = e + 1;
	}
	*base = p;
	return fd;
}

/* A new temporary file beside base in dir, named in tmp. */
static int
open_tmp(int dir, const char *base, char *tmp, size_t tmpsz)
{
	static _Atomic unsigned long seq;
	int fd, i;

	for (i = 0; i < 100; i++) {
		snprintf(tmp, tmpsz, ".%.*s.%ld.%lu", NAME_MAX - 48, base,
		    (long)getpid(), seq++);
		fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	return -1;
}

static int
copy_fd(int in, int out, uint64_t size)
{
	char buf[64 * 1024];
	uint64_t off = 0;
	ssize_t n, w;

	while (off < size) {
		n = pread(in, buf, size - off < sizeof(buf) ?
		    (size_t)(size - off) : sizeof(buf), (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;	/* the file shrank */
			return -1;
		}
		for (w = 0; w < n; ) {
			ssize_t k = write(out, buf + w, (size_t)(n - w));

			if (k == -1 && errno == EINTR)
				continue;
			if (k == -1)
				return -1;
			w += k;
		}
		off += (uint64_t)n;
	}
	return 0;
}

/* 1 if base in dir is the file open on fd (a symlink to it is not). */
static int
is_same(int fd, int dir, const char *base)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 &&
	    fstatat(dir, base, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Writes size bytes of fd to a new file base in dir, synced and renamed. */
static int
put_file(int dir, const char *base, int fd, uint64_t size)
{
	char tmp[NAME_MAX + 1];
	int out, rc = -1, e;

	if ((out = open_tmp(dir, base, tmp, sizeof(tmp))) == -1)
		return -1;
	/* readable like any file the umask allows, not mkstemp's 0600 */
	if (fchmod(out, 0644) == -1 || copy_fd(fd, out, size) == -1 ||
	    fsync(out) == -1)
		goto out;
	rc = close(out);
	out = -1;
	if (rc == -1 || (rc = renameat(dir, tmp, dir, base)) == -1)
		goto out;
	/* the rename is durable once the directory is */
	return fsync(dir);
out:
	e = errno;
	if (out != -1)
		close(out);
	unlinkat(dir, tmp, 0);
	errno = e;
	return -1;
}

int
lake_put(const char *root, const char *bucket, const char *key, int fd,
    uint64_t size, char *err, size_t errsz)
{
	char path[PATH_MAX];
	const char *base;
	int rootfd = -1, dir = -1, rc = -1;

	if (!key_is_path(key) || !key_is_path(bucket) || strchr(bucket, '/')) {
		snprintf(err, errsz, "the key is no path below the lake");
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", bucket, key) >=
	    sizeof(path)) {
		snprintf(err, errsz, "path too long");
		return -1;
	}
	/* the lake's root is the operator's; below it nothing is followed */
	if ((rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (dir = open_dirs(rootfd, path, &base)) == -1)
		goto fail;
	if (is_same(fd, dir, base)) {
		/* writing it over itself, then removing it, would lose it */
		snprintf(err, errsz, "%s/%s: the file is that object already",
		    root, path);
		goto out;
	}
	if (put_file(dir, base, fd, size) == -1)
		goto fail;
	rc = 0;
	goto out;
fail:
	snprintf(err, errsz, "%s/%s: %s", root, path, errno == ELOOP ?
	    "a symlink on the way, which the lake does not follow" :
	    strerror(errno));
out:
	if (dir != -1)
		close(dir);
	if (rootfd != -1)
		close(rootfd);
	return rc;
}
