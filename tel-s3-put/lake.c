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

/* mkdir -p of path's directories below root (which must exist). */
static int
make_dirs(char *path, size_t rootlen)
{
	char *p;

	for (p = path + rootlen + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(path, 0777) == -1 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
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

/* Syncs the directory holding path, so that the rename is durable. */
static int
sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* 1 if path names the file open on fd. */
static int
is_same(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int
lake_put(const char *root, const char *bucket, const char *key, int fd,
    uint64_t size, char *err, size_t errsz)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	const char *base;
	int out = -1, rc = -1;

	tmp[0] = '\0';
	if (!key_is_path(key) || !key_is_path(bucket) || strchr(bucket, '/')) {
		snprintf(err, errsz, "the key is no path below the lake");
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", root, bucket,
	    key) >= sizeof(path)) {
		snprintf(err, errsz, "path too long");
		return -1;
	}
	if (is_same(fd, path)) {
		/* writing it over itself, then removing it, would lose it */
		snprintf(err, errsz, "%s: the file is that object already", path);
		return -1;
	}
	base = strrchr(path, '/') + 1;
	snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX", (int)(base - path), path,
	    base);
	if (make_dirs(path, strlen(root)) == -1 ||
	    (out = mkostemp(tmp, O_CLOEXEC)) == -1) {
		tmp[0] = '\0';
		goto fail;
	}
	/* readable like any file the umask allows, not mkstemp's 0600 */
	if (fchmod(out, 0644) == -1 || copy_fd(fd, out, size) == -1 ||
	    fsync(out) == -1)
		goto fail;
	rc = close(out);
	out = -1;
	if (rc == -1)
		goto fail;
	rc = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	tmp[0] = '\0';
	if (sync_dir(path) == -1)
		goto fail;
	rc = 0;
	goto out;
fail:
	snprintf(err, errsz, "%s: %s", path, strerror(errno));
out:
	if (out != -1)
		close(out);
	if (tmp[0] != '\0')
		unlink(tmp);
	return rc;
}
