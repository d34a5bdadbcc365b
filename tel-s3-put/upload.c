/* One object up: see upload.h. */
#include <sys/file.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base64.h"
#include "manifest.h"
#include "upload.h"
#include "xml.h"

#define MAX_PARTS	10000
#define CHUNK		(256 * 1024)
#define ABORT_MS	10000	/* an abort gets this long, even when stopping */

struct job {
	struct s3		*s;
	const struct up_opts	*o;
	const struct up_item	*it;
	struct up_result	*res;
	int			 fd;
	uint64_t		 size;
	unsigned char		 md5[16];
	char			 sha[65];
	int64_t			 deadline;
};

static void
fail(const struct job *j, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warnx("s3://%s/%s: %s", j->s->o.bucket, j->it->key, msg);
}

/* SHA-256 (hex) and MD5 of len bytes of fd at off, read with pread. */
static int
hash_range(int fd, int64_t off, uint64_t len, char sha[65],
    unsigned char md5[16])
{
	EVP_MD_CTX *a = EVP_MD_CTX_new(), *b = EVP_MD_CTX_new();
	unsigned char *buf = malloc(CHUNK), md[32];
	ssize_t n;
	int rc = -1;

	if (a == NULL || b == NULL || buf == NULL ||
	    EVP_DigestInit_ex(a, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(b, EVP_md5(), NULL) != 1)
		goto out;
	while (len > 0) {
		n = pread(fd, buf, len < CHUNK ? (size_t)len : CHUNK, off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;	/* the file shrank or cannot be read */
		if (EVP_DigestUpdate(a, buf, (size_t)n) != 1 ||
		    EVP_DigestUpdate(b, buf, (size_t)n) != 1)
			goto out;
		off += n;
		len -= (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(a, md, NULL) != 1 ||
	    EVP_DigestFinal_ex(b, md5, NULL) != 1)
		goto out;
	hex_encode(md, 32, sha);
	rc = 0;
out:
	EVP_MD_CTX_free(a);
	EVP_MD_CTX_free(b);
	free(buf);
	return rc;
}

/* The default Content-Type: what the key's extension says it holds. */
static const char *
content_type(const struct up_opts *o, const char *key)
{
	size_t n = strlen(key);

	if (o->content_type != NULL)
		return o->content_type;
	if (n > 3 && strcmp(key + n - 3, ".gz") == 0)
		return "application/gzip";
	if ((n > 7 && strcmp(key + n - 7, ".ndjson") == 0) ||
	    (n > 5 && strcmp(key + n - 5, ".json") == 0))
		return "application/x-ndjson";
	return "application/octet-stream";
}

/* The headers that describe the object, for a PUT or a multipart start. */
static size_t
object_headers(const struct job *j, struct http_header *h)
{
	const struct up_opts *o = j->o;
	size_t n = 0;

	h[n].name = "content-type";
	h[n++].value = content_type(o, j->it->key);
	if (o->content_encoding != NULL) {
		h[n].name = "content-encoding";
		h[n++].value = o->content_encoding;
	}
	if (o->storage_class != NULL) {
		h[n].name = "x-amz-storage-class";
		h[n++].value = o->storage_class;
	}
	if (o->sse != NULL) {
		h[n].name = "x-amz-server-side-encryption";
		h[n++].value = o->sse;
	}
	if (o->sse_kms_key_id != NULL) {
		h[n].name = "x-amz-server-side-encryption-aws-kms-key-id";
		h[n++].value = o->sse_kms_key_id;
	}
	if (o->tagging != NULL) {
		h[n].name = "x-amz-tagging";
		h[n++].value = o->tagging;
	}
	return n;
}

/*
 * With SSE-KMS the ETag is not the MD5 of the bytes, so only the
 * Content-MD5 the store checked vouches for them.
 */
static int
etag_ok(const struct job *j, const char *etag, const char *want)
{
	return (j->o->sse != NULL && strcmp(j->o->sse, "aws:kms") == 0) ||
	    strcasecmp(etag, want) == 0;
}

static void
report(const struct job *j, const char *what, const struct s3_reply *r)
{
	char why[512];

	s3_reply_describe(r, why, sizeof(why));
	fail(j, "%s%s%s", what, *what ? ": " : "", why);
}

static int
put_single(struct job *j)
{
	struct http_header h[8];
	struct s3_call c = { .method = "PUT", .key = j->it->key, .headers = h,
	    .sha256 = j->sha, .deadline = j->deadline };
	struct s3_reply r;
	char md5b64[BASE64_LEN(16) + 1], md5hex[33], want[40];
	int rc = -1;

	memset(&r, 0, sizeof(r));
	c.nheaders = object_headers(j, h);
	md5b64[base64_encode(j->md5, 16, md5b64)] = '\0';
	h[c.nheaders].name = "content-md5";
	h[c.nheaders++].value = md5b64;
	c.body.kind = HTTP_BODY_FD;
	c.body.fd = j->fd;
	c.body.len = j->size;
	if (s3_do(j->s, &c, &r) == -1) {
		report(j, "", &r);
		goto out;
	}
	hex_encode(j->md5, 16, md5hex);
	snprintf(want, sizeof(want), "\"%s\"", md5hex);
	if (!etag_ok(j, r.etag, want)) {
		fail(j, "the store's ETag %s is not the file's MD5 %s",
		    r.etag, want);
		goto out;
	}
	snprintf(j->res->etag, sizeof(j->res->etag), "%s", r.etag);
	snprintf(j->res->version_id, sizeof(j->res->version_id), "%s",
	    r.version_id);
	rc = 0;
out:
	j->res->attempts += r.attempts;
	s3_reply_free(&r);
	return rc;
}

struct mpu {
	char		 id[512];
	uint64_t	 part;		/* bytes per part */
	unsigned	 nparts;
	char		(*etags)[136];
	EVP_MD_CTX	*md5s;		/* over the parts' MD5s: the ETag's hash */
};

/* Part size: the asked one, doubled until at most 10,000 parts do. */
static void
mpu_plan(struct mpu *m, uint64_t size, uint64_t part)
{
	while ((size + part - 1) / part > MAX_PARTS)
		part *= 2;
	m->part = part;
	m->nparts = (unsigned)((size + part - 1) / part);
}

static void mpu_abort_id(struct job *, const char *);

/*
 * A CreateMultipartUpload whose reply was lost may still have created
 * an upload, which nobody would ever complete: after a retried start,
 * uploads of this very key other than ours are aborted.  The key is the
 * batch's own (and the file locked), so they can only be such leftovers.
 */
static void
mpu_sweep(struct job *j, const struct mpu *m)
{
	struct sigv4_param q[] = { { "prefix", j->it->key }, { "uploads", NULL } };
	struct s3_call c = { .method = "GET", .query = q, .nquery = 2,
	    .sha256 = SIGV4_EMPTY_SHA256, .deadline = j->deadline };
	char key[KEY_MAX + 1], id[sizeof(m->id)];
	struct s3_reply r;
	const char *in;
	size_t off = 0, len;

	memset(&r, 0, sizeof(r));
	if (s3_do(j->s, &c, &r) == -1) {
		report(j, "ListMultipartUploads (parts may be left)", &r);
		goto out;
	}
	while (xml_next(r.body, r.len, "Upload", &off, &in, &len)) {
		xml_text(in, len, "Key", key, sizeof(key));
		xml_text(in, len, "UploadId", id, sizeof(id));
		if (strcmp(key, j->it->key) == 0 && *id && strcmp(id, m->id) != 0)
			mpu_abort_id(j, id);
	}
out:
	j->res->attempts += r.attempts;
	s3_reply_free(&r);
}

static int
mpu_start(struct job *j, struct mpu *m)
{
	struct sigv4_param q[] = { { "uploads", NULL } };
	struct http_header h[8];
	struct s3_call c = { .method = "POST", .key = j->it->key, .query = q,
	    .nquery = 1, .headers = h, .sha256 = SIGV4_EMPTY_SHA256,
	    .deadline = j->deadline };
	struct s3_reply r;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	c.nheaders = object_headers(j, h);
	if (s3_do(j->s, &c, &r) == -1)
		report(j, "CreateMultipartUpload", &r);
	else if (!xml_text(r.body, r.len, "UploadId", m->id, sizeof(m->id)) ||
	    m->id[0] == '\0')
		fail(j, "CreateMultipartUpload: no UploadId in the reply");
	else
		rc = 0;
	if (r.attempts > 1 && (rc == 0 || r.status == 0))
		mpu_sweep(j, m);
	j->res->attempts += r.attempts;
	s3_reply_free(&r);
	return rc;
}

static int
mpu_part(struct job *j, struct mpu *m, unsigned i)
{
	char num[16], sha[65], md5b64[BASE64_LEN(16) + 1], md5hex[33];
	struct sigv4_param q[] = { { "partNumber", num }, { "uploadId", m->id } };
	struct http_header h[] = { { "content-md5", md5b64 } };
	struct s3_call c = { .method = "PUT", .key = j->it->key, .query = q,
	    .nquery = 2, .headers = h, .nheaders = 1, .sha256 = sha,
	    .deadline = j->deadline };
	int64_t off = (int64_t)(i * m->part);
	uint64_t len = j->size - (uint64_t)off < m->part ?
	    j->size - (uint64_t)off : m->part;
	unsigned char md5[16];
	struct s3_reply r;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	snprintf(num, sizeof(num), "%u", i + 1);
	if (hash_range(j->fd, off, len, sha, md5) == -1) {
		fail(j, "part %u: cannot read the file", i + 1);
		return -1;
	}
	md5b64[base64_encode(md5, 16, md5b64)] = '\0';
	hex_encode(md5, 16, md5hex);
	snprintf(m->etags[i], sizeof(m->etags[i]), "\"%s\"", md5hex);
	c.body.kind = HTTP_BODY_FD;
	c.body.fd = j->fd;
	c.body.off = off;
	c.body.len = len;
	if (s3_do(j->s, &c, &r) == -1)
		report(j, "UploadPart", &r);
	else if (!etag_ok(j, r.etag, m->etags[i]))
		fail(j, "part %u: ETag %s is not its MD5", i + 1, r.etag);
	else if (EVP_DigestUpdate(m->md5s, md5, 16) != 1)
		fail(j, "MD5 failed");
	else
		rc = 0;
	if (rc == 0)
		snprintf(m->etags[i], sizeof(m->etags[i]), "%s", r.etag);
	j->res->attempts += r.attempts;
	s3_reply_free(&r);
	return rc;
}

/* The CompleteMultipartUpload body, malloc'd. */
static char *
mpu_body(const struct mpu *m)
{
	size_t cap = 64 + (size_t)m->nparts * 200, o, i;
	char *p;

	if ((p = malloc(cap)) == NULL)
		return NULL;
	o = (size_t)snprintf(p, cap, "<CompleteMultipartUpload>");
	for (i = 0; i < m->nparts; i++)
		o += (size_t)snprintf(p + o, cap - o, "<Part><PartNumber>%zu"
		    "</PartNumber><ETag>%s</ETag></Part>", i + 1, m->etags[i]);
	snprintf(p + o, cap - o, "</CompleteMultipartUpload>");
	return p;
}

static int
mpu_complete(struct job *j, struct mpu *m)
{
	struct sigv4_param q[] = { { "uploadId", m->id } };
	struct s3_call c = { .method = "POST", .key = j->it->key, .query = q,
	    .nquery = 1, .deadline = j->deadline };
	unsigned char md[16];
	char sha[65], hex[33], want[48], etag[136], *body;
	struct s3_reply r;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if ((body = mpu_body(m)) == NULL ||
	    sigv4_sha256_hex(body, strlen(body), sha) == -1 ||
	    EVP_DigestFinal_ex(m->md5s, md, NULL) != 1) {
		fail(j, "out of memory");
		goto out;
	}
	hex_encode(md, 16, hex);
	snprintf(want, sizeof(want), "\"%s-%u\"", hex, m->nparts);
	c.sha256 = sha;
	c.body.kind = HTTP_BODY_MEM;
	c.body.mem = body;
	c.body.len = strlen(body);
	/* a 200 whose body is an <Error> fails in s3_do, as it should */
	if (s3_do(j->s, &c, &r) == -1)
		report(j, "CompleteMultipartUpload", &r);
	else if (!xml_text(r.body, r.len, "ETag", etag, sizeof(etag)) ||
	    !etag_ok(j, etag, want))
		fail(j, "CompleteMultipartUpload: ETag %s, expected %s", etag,
		    want);
	else {
		snprintf(j->res->etag, sizeof(j->res->etag), "%s", etag);
		snprintf(j->res->version_id, sizeof(j->res->version_id), "%s",
		    r.version_id);
		rc = 0;
	}
out:
	j->res->attempts += r.attempts;
	s3_reply_free(&r);
	free(body);
	return rc;
}

/* Best effort, even while stopping: no parts left behind to pay for. */
static void
mpu_abort_id(struct job *j, const char *id)
{
	struct sigv4_param q[] = { { "uploadId", id } };
	struct s3_call c = { .method = "DELETE", .key = j->it->key, .query = q,
	    .nquery = 1, .sha256 = SIGV4_EMPTY_SHA256, .no_stop = 1,
	    .deadline = s3_mono_ms() + ABORT_MS };
	struct s3_reply r;

	memset(&r, 0, sizeof(r));
	if (s3_do(j->s, &c, &r) == -1 && r.status != 404)
		report(j, "AbortMultipartUpload (parts may be left)", &r);
	s3_reply_free(&r);
}

static void
mpu_abort(struct job *j, struct mpu *m)
{
	mpu_abort_id(j, m->id);
}

static int
put_multipart(struct job *j)
{
	struct mpu m;
	unsigned i;
	int rc = -1;

	memset(&m, 0, sizeof(m));
	mpu_plan(&m, j->size, j->o->part_size);
	if ((m.etags = calloc(m.nparts, sizeof(*m.etags))) == NULL ||
	    (m.md5s = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(m.md5s, EVP_md5(), NULL) != 1) {
		fail(j, "out of memory");
		goto out;
	}
	if (mpu_start(j, &m) == -1)
		goto out;
	for (i = 0; i < m.nparts; i++)
		if (mpu_part(j, &m, i) == -1)
			break;
	if (i == m.nparts && mpu_complete(j, &m) == 0)
		rc = 0;
	else
		mpu_abort(j, &m);
out:
	free(m.etags);
	EVP_MD_CTX_free(m.md5s);
	return rc;
}

/*
 * Opens and locks the file: a second tel-s3-put (a cron --spool run
 * beside the pipeline's) skips what the first is sending.  1 if the file
 * is in use or was removed meanwhile, -1 on an error.
 */
static int
take_file(struct job *j, struct stat *st)
{
	if ((j->fd = open(j->it->file, O_RDONLY | O_CLOEXEC)) == -1) {
		fail(j, "%s: %s", j->it->file, strerror(errno));
		return -1;
	}
	if (flock(j->fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			if (!j->s->o.quiet)
				warnx("%s: in use by another process; skipped",
				    j->it->file);
			return 1;
		}
		fail(j, "%s: flock: %s", j->it->file, strerror(errno));
		return -1;
	}
	if (fstat(j->fd, st) == -1) {
		fail(j, "%s: %s", j->it->file, strerror(errno));
		return -1;
	}
	if (st->st_nlink == 0)
		return 1;	/* the lock's last holder sent and removed it */
	if (!S_ISREG(st->st_mode)) {
		fail(j, "%s: not a regular file", j->it->file);
		return -1;
	}
	return 0;
}

/* The file against its manifest: a corrupt spool file is not sent. */
static int
check_file(struct job *j)
{
	if (j->it->bytes >= 0 && (uint64_t)j->it->bytes != j->size) {
		fail(j, "%s: %llu bytes, the manifest says %lld; not uploaded",
		    j->it->file, (unsigned long long)j->size,
		    (long long)j->it->bytes);
		return -1;
	}
	/* a multipart upload hashes each part; a whole pass only to check */
	if (j->it->sha256[0] == '\0' && j->o->lake == NULL &&
	    j->size >= j->o->threshold)
		return 0;
	if (hash_range(j->fd, 0, j->size, j->sha, j->md5) == -1) {
		fail(j, "%s: cannot read it whole", j->it->file);
		return -1;
	}
	if (j->it->sha256[0] != '\0' && strcmp(j->sha, j->it->sha256) != 0) {
		fail(j, "%s: SHA-256 %s, the manifest says %s; not uploaded",
		    j->it->file, j->sha, j->it->sha256);
		return -1;
	}
	return 0;
}

static int
put_lake(struct job *j)
{
	char err[512], hex[33];

	if (lake_put(j->o->lake, j->s->o.bucket, j->it->key, j->fd, j->size,
	    err, sizeof(err)) == -1) {
		fail(j, "%s", err);
		return -1;
	}
	hex_encode(j->md5, 16, hex);
	snprintf(j->res->etag, sizeof(j->res->etag), "\"%s\"", hex);
	j->res->attempts = 1;
	return 0;
}

int
upload(struct s3 *s, const struct up_opts *o, const struct up_item *it,
    int64_t max_ms, struct up_result *res)
{
	struct job j = { .s = s, .o = o, .it = it, .res = res, .fd = -1 };
	struct stat st;
	int rc;

	memset(res, 0, sizeof(*res));
	if (max_ms > 0)
		j.deadline = s3_mono_ms() + max_ms;
	if ((rc = take_file(&j, &st)) != 0)
		goto out;
	j.size = (uint64_t)st.st_size;
	rc = -1;
	if (check_file(&j) == -1)
		goto out;
	if (o->lake != NULL)
		rc = put_lake(&j);
	else if (j.size >= o->threshold)
		rc = put_multipart(&j);
	else
		rc = put_single(&j);
out:
	/* the lock goes with the descriptor, after the caller's unlink */
	if (j.fd != -1 && rc != 0)
		close(j.fd);
	else if (j.fd != -1)
		res->fd = j.fd;
	return rc;
}
