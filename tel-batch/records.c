/*
 * tel-batch: one input line.  A control line is held (slots.c) or, an
 * error line, filed; a record gets its time (--time-field), its
 * partition (the prefix) and its batch; a line that cannot go into the
 * lake becomes an error record in Firehose's shape under the error
 * prefix.
 */
#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "clock.h"
#include "control.h"
#include "number.h"
#include "rfc3339.h"
#include "tel-batch.h"

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

int
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
