/* One object up: see upload.h. */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base64.h"
#include "clock.h"
#include "crc32c.h"
#include "diag.h"
#include "manifest.h"
#include "pool.h"
#include "upload.h"
#include "xml.h"

#define MAX_PARTS	10000
#define CHUNK		(256 * 1024)
#define ABORT_MS	10000	/* an abort gets this long, even when stopping */

/* What one pass over a range of the file gives. */
struct sums {
	unsigned char	 sha[32], md5[16];
	char		 sha_hex[65];
	uint32_t	 crc;		/* CRC-32C, with --checksum-algorithm */
};

struct job {
	struct s3		*s;
	const struct up_opts	*o;
	const struct up_item	*it;
	struct up_result	*res;
	int			 fd;
	uint64_t		 size;
	struct sums		 sum;		/* of the whole file */
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
	tel_warnx("s3://%s/%s: %s", j->s->o.bucket, j->it->key, msg);
}

/*
 * SHA-256, MD5 and (if crc) CRC-32C of len bytes of fd at off, all in
 * one pass: each chunk is read once, while it is in the cache.
 */
static int
hash_range(int fd, int64_t off, uint64_t len, int crc, struct sums *out)
{
	EVP_MD_CTX *a = EVP_MD_CTX_new(), *b = EVP_MD_CTX_new();
	unsigned char *buf = malloc(CHUNK);
	ssize_t n;
	int rc = -1;

	out->crc = 0;
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
		if (crc)
			out->crc = crc32c(out->crc, buf, (size_t)n);
		off += n;
		len -= (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(a, out->sha, NULL) != 1 ||
	    EVP_DigestFinal_ex(b, out->md5, NULL) != 1)
		goto out;
	hex_encode(out->sha, 32, out->sha_hex);
	rc = 0;
out:
	EVP_MD_CTX_free(a);
	EVP_MD_CTX_free(b);
	free(buf);
	return rc;
}

/*
 * The flexible checksum of a range, base64, as x-amz-checksum-ALG and
 * CompleteMultipartUpload's ChecksumALG want it; "" without one.
 */
static void
checksum_b64(int alg, const struct sums *sum, char out[BASE64_LEN(32) + 1])
{
	unsigned char be[4];

	out[0] = '\0';
	if (alg == UP_CK_SHA256)
		out[base64_encode(sum->sha, 32, out)] = '\0';
	else if (alg == UP_CK_CRC32C) {
		be[0] = (unsigned char)(sum->crc >> 24);
		be[1] = (unsigned char)(sum->crc >> 16);
		be[2] = (unsigned char)(sum->crc >> 8);
		be[3] = (unsigned char)sum->crc;
		out[base64_encode(be, 4, out)] = '\0';
	}
}

static const char *
checksum_header(int alg)
{
	return alg == UP_CK_SHA256 ? "x-amz-checksum-sha256" :
	    "x-amz-checksum-crc32c";
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

/* Appends header name: value to h[*n] if the option gave a value. */
static void
opt_header(struct http_header *h, size_t *n, const char *name,
    const char *value)
{
	if (value == NULL)
		return;
	h[*n].name = name;
	h[(*n)++].value = value;
}

/* The headers that describe the object, for a PUT or a multipart start. */
static size_t
object_headers(const struct job *j, struct http_header *h)
{
	const struct up_opts *o = j->o;
	size_t n = 0;

	opt_header(h, &n, "content-type", content_type(o, j->it->key));
	opt_header(h, &n, "content-encoding", o->content_encoding);
	opt_header(h, &n, "x-amz-storage-class", o->storage_class);
	opt_header(h, &n, "x-amz-server-side-encryption", o->sse);
	opt_header(h, &n, "x-amz-server-side-encryption-aws-kms-key-id",
	    o->sse_kms_key_id);
	opt_header(h, &n, "x-amz-tagging", o->tagging);
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
	struct http_header h[9];
	struct s3_call c = { .method = "PUT", .key = j->it->key, .headers = h,
	    .sha256 = j->sum.sha_hex, .deadline = j->deadline };
	struct s3_reply r;
	char md5b64[BASE64_LEN(16) + 1], md5hex[33], want[40];
	char ck[BASE64_LEN(32) + 1];
	int rc = -1;

	memset(&r, 0, sizeof(r));
	c.nheaders = object_headers(j, h);
	md5b64[base64_encode(j->sum.md5, 16, md5b64)] = '\0';
	h[c.nheaders].name = "content-md5";
	h[c.nheaders++].value = md5b64;
	if (j->o->checksum != UP_CK_NONE) {
		checksum_b64(j->o->checksum, &j->sum, ck);
		h[c.nheaders].name = checksum_header(j->o->checksum);
		h[c.nheaders++].value = ck;
	}
	c.body.kind = HTTP_BODY_FD;
	c.body.fd = j->fd;
	c.body.len = j->size;
	if (s3_do(j->s, &c, &r) == -1) {
		report(j, "", &r);
		goto out;
	}
	hex_encode(j->sum.md5, 16, md5hex);
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

/*
 * A multipart upload under way.  Its parts are taken in turn, under mu,
 * by the worker that started it and, with -j, by idle workers offered
 * the task; each sends a part on its own S3 handle.
 */
struct mpu {
	char		 id[512];
	uint64_t	 part;		/* bytes per part */
	unsigned	 nparts;
	char		(*etags)[136];
	unsigned char	(*md5s)[16];	/* the ETag is the MD5 of these */
	struct sums	*sums;		/* each part's, for its checksum */
	struct job	*j;
	pthread_mutex_t	 mu;
	unsigned	 next;		/* the next part to take; under mu */
	unsigned	 attempts;	/* under mu */
	int		 failed;	/* under mu */
	struct pool_task task;
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
	if (j->o->checksum != UP_CK_NONE) {
		h[c.nheaders].name = "x-amz-checksum-algorithm";
		h[c.nheaders++].value = j->o->checksum == UP_CK_SHA256 ?
		    "SHA256" : "CRC32C";
	}
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

/* Part i (from 0), sent on s: any worker's handle. */
static int
mpu_part(struct s3 *s, struct mpu *m, unsigned i, unsigned *attempts)
{
	struct job *j = m->j;
	struct sums *sum = &m->sums[i];
	char num[16], md5b64[BASE64_LEN(16) + 1], md5hex[33];
	char ck[BASE64_LEN(32) + 1];
	struct sigv4_param q[] = { { "partNumber", num }, { "uploadId", m->id } };
	struct http_header h[] = { { "content-md5", md5b64 },
	    { checksum_header(j->o->checksum), ck } };
	struct s3_call c = { .method = "PUT", .key = j->it->key, .query = q,
	    .nquery = 2, .headers = h, .sha256 = sum->sha_hex,
	    .deadline = j->deadline };
	int64_t off = (int64_t)((uint64_t)i * m->part);
	uint64_t len = j->size - (uint64_t)off < m->part ?
	    j->size - (uint64_t)off : m->part;
	char want[40];
	struct s3_reply r;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	snprintf(num, sizeof(num), "%u", i + 1);
	if (hash_range(j->fd, off, len, j->o->checksum == UP_CK_CRC32C,
	    sum) == -1) {
		fail(j, "part %u: cannot read the file", i + 1);
		return -1;
	}
	memcpy(m->md5s[i], sum->md5, 16);
	md5b64[base64_encode(sum->md5, 16, md5b64)] = '\0';
	checksum_b64(j->o->checksum, sum, ck);
	c.nheaders = j->o->checksum != UP_CK_NONE ? 2 : 1;
	hex_encode(sum->md5, 16, md5hex);
	snprintf(want, sizeof(want), "\"%s\"", md5hex);
	c.body.kind = HTTP_BODY_FD;
	c.body.fd = j->fd;
	c.body.off = off;
	c.body.len = len;
	if (s3_do(s, &c, &r) == -1)
		report(j, "UploadPart", &r);
	else if (!etag_ok(j, r.etag, want))
		fail(j, "part %u: ETag %s is not its MD5", i + 1, r.etag);
	else {
		snprintf(m->etags[i], sizeof(m->etags[i]), "%s", r.etag);
		rc = 0;
	}
	*attempts = r.attempts;
	s3_reply_free(&r);
	return rc;
}

/*
 * Takes the next part and sends it on worker handle s (a pool task's
 * function); 0 once no part is left to take or one has failed.
 */
static int
mpu_step(void *s, void *arg)
{
	struct mpu *m = arg;
	unsigned i, attempts = 0;
	int rc;

	pthread_mutex_lock(&m->mu);
	if (m->failed || m->next == m->nparts) {
		pthread_mutex_unlock(&m->mu);
		return 0;
	}
	i = m->next++;
	pthread_mutex_unlock(&m->mu);
	rc = mpu_part(s, m, i, &attempts);
	pthread_mutex_lock(&m->mu);
	m->attempts += attempts;
	if (rc == -1)
		m->failed = 1;
	pthread_mutex_unlock(&m->mu);
	return 1;
}

/*
 * Every part, by this worker and any idle ones; once withdrawn, no
 * worker is still sending one.
 */
static int
mpu_parts(struct job *j, struct mpu *m)
{
	m->task.fn = mpu_step;
	m->task.arg = m;
	if (j->o->pool != NULL)
		pool_offer(j->o->pool, &m->task);
	while (mpu_step(j->s, m))
		;
	if (j->o->pool != NULL)
		pool_withdraw(j->o->pool, &m->task);
	j->res->attempts += m->attempts;
	return m->failed || m->next != m->nparts ? -1 : 0;
}

/* The CompleteMultipartUpload body, malloc'd; parts in order. */
static char *
mpu_body(const struct job *j, const struct mpu *m)
{
	const char *tag = j->o->checksum == UP_CK_SHA256 ? "ChecksumSHA256" :
	    "ChecksumCRC32C";
	size_t cap = 64 + (size_t)m->nparts * 300, o, i;
	char ck[BASE64_LEN(32) + 1], *p;

	if ((p = malloc(cap)) == NULL)
		return NULL;
	o = (size_t)snprintf(p, cap, "<CompleteMultipartUpload>");
	for (i = 0; i < m->nparts; i++) {
		o += (size_t)snprintf(p + o, cap - o, "<Part><PartNumber>%zu"
		    "</PartNumber><ETag>%s</ETag>", i + 1, m->etags[i]);
		if (j->o->checksum != UP_CK_NONE) {
			checksum_b64(j->o->checksum, &m->sums[i], ck);
			o += (size_t)snprintf(p + o, cap - o, "<%s>%s</%s>",
			    tag, ck, tag);
		}
		o += (size_t)snprintf(p + o, cap - o, "</Part>");
	}
	snprintf(p + o, cap - o, "</CompleteMultipartUpload>");
	return p;
}

/*
 * The whole object's checksum as S3 gives a multipart one: the checksum
 * of the parts' checksums (raw, in order), base64, then "-N".
 */
static int
mpu_composite(const struct job *j, const struct mpu *m, char *out, size_t n)
{
	unsigned char *raw, be[4];
	struct sums all;
	char ck[BASE64_LEN(32) + 1];
	size_t w = j->o->checksum == UP_CK_SHA256 ? 32 : 4, i;

	if ((raw = malloc(w * m->nparts)) == NULL)
		return -1;
	for (i = 0; i < m->nparts; i++) {
		be[0] = (unsigned char)(m->sums[i].crc >> 24);
		be[1] = (unsigned char)(m->sums[i].crc >> 16);
		be[2] = (unsigned char)(m->sums[i].crc >> 8);
		be[3] = (unsigned char)m->sums[i].crc;
		memcpy(raw + i * w, w == 32 ? m->sums[i].sha : be, w);
	}
	all.crc = crc32c(0, raw, w * m->nparts);
	if (EVP_Digest(raw, w * m->nparts, all.sha, NULL, EVP_sha256(), NULL) !=
	    1) {
		free(raw);
		return -1;
	}
	free(raw);
	checksum_b64(j->o->checksum, &all, ck);
	snprintf(out, n, "%s-%u", ck, m->nparts);
	return 0;
}

/* The store's checksum of the object, if it names one, must be ours. */
static int
mpu_checksum_ok(const struct job *j, const struct mpu *m,
    const struct s3_reply *r)
{
	char got[96], want[96];

	if (j->o->checksum == UP_CK_NONE ||
	    !xml_text(r->body, r->len, j->o->checksum == UP_CK_SHA256 ?
	    "ChecksumSHA256" : "ChecksumCRC32C", got, sizeof(got)))
		return 1;
	if (mpu_composite(j, m, want, sizeof(want)) == -1)
		return 0;
	if (strcmp(got, want) != 0) {
		fail(j, "CompleteMultipartUpload: checksum %s, expected %s",
		    got, want);
		return 0;
	}
	return 1;
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
	if ((body = mpu_body(j, m)) == NULL ||
	    sigv4_sha256_hex(body, strlen(body), sha) == -1 ||
	    EVP_Digest(m->md5s, 16 * (size_t)m->nparts, md, NULL, EVP_md5(),
	    NULL) != 1) {
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
	else if (mpu_checksum_ok(j, m, &r)) {
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
	    .deadline = tel_mono_ms() + ABORT_MS };
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
	int rc = -1;

	memset(&m, 0, sizeof(m));
	m.j = j;
	mpu_plan(&m, j->size, j->o->part_size);
	if ((m.etags = calloc(m.nparts, sizeof(*m.etags))) == NULL ||
	    (m.md5s = calloc(m.nparts, sizeof(*m.md5s))) == NULL ||
	    (m.sums = calloc(m.nparts, sizeof(*m.sums))) == NULL ||
	    pthread_mutex_init(&m.mu, NULL) != 0) {
		fail(j, "out of memory");
		free(m.etags);
		free(m.md5s);
		free(m.sums);
		return -1;
	}
	if (mpu_start(j, &m) == -1)
		goto out;
	if (mpu_parts(j, &m) == 0 && mpu_complete(j, &m) == 0)
		rc = 0;
	else
		mpu_abort(j, &m);
out:
	pthread_mutex_destroy(&m.mu);
	free(m.etags);
	free(m.md5s);
	free(m.sums);
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
	/* O_NONBLOCK: a FIFO named by a manifest line must not hang us */
	if ((j->fd = open(j->it->file, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		if (errno == ENOENT && j->it->spool)
			return 1;	/* another --spool run sent it */
		fail(j, "%s: %s", j->it->file, strerror(errno));
		return -1;
	}
	if (flock(j->fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			if (!j->s->o.quiet)
				tel_warnx("%s: in use by another process; skipped",
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
	if (hash_range(j->fd, 0, j->size, j->o->checksum == UP_CK_CRC32C,
	    &j->sum) == -1) {
		fail(j, "%s: cannot read it whole", j->it->file);
		return -1;
	}
	if (j->it->sha256[0] != '\0' &&
	    strcmp(j->sum.sha_hex, j->it->sha256) != 0) {
		fail(j, "%s: SHA-256 %s, the manifest says %s; not uploaded",
		    j->it->file, j->sum.sha_hex, j->it->sha256);
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
	hex_encode(j->sum.md5, 16, hex);
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
		j.deadline = tel_mono_ms() + max_ms;
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
