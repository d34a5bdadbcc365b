/*
 * tel-kafka-cat: a message as its line.  JSON as it is (compacted if it
 * spans lines), else reported and skipped, or with --raw a JSON string;
 * with -E inside an envelope of its coordinates.  A value that holds a
 * top-level "@tel" member is never a record (tel(7)).  Bytes that are
 * not UTF-8 have no JSON string that gives them back exactly: -E writes
 * them in base64 ("key_base64", "value_base64"); --raw alone hands such a
 * value on as an error line (tel(7)), its bytes in rawData, for
 * tel-batch to file under the error prefix.
 */
#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "cat.h"
#include "control.h"
#include "jsonscan.h"
#include "value.h"

/* Room to render n bytes; NULL if there is not that much memory. */
static char *
line_room(struct cat *c, size_t n)
{
	if (n > c->linecap) {
		free(c->line);
		c->linecap = 0;
		if ((c->line = malloc(n)) == NULL)
			return NULL;
		c->linecap = n;
	}
	return c->line;
}

/* Why a value is skipped when it cannot be rendered. */
static const char *
nomem(size_t n, char *why, size_t whysz)
{
	/* skipped, not fatal: else the same message stops every run */
	snprintf(why, whysz, "%zu bytes: no memory to render it", n);
	return NULL;
}

/* UTF-8 text as a JSON string literal, in the line buffer. */
static const char *
render_string(struct cat *c, const char *v, size_t len, size_t *n,
    char *why, size_t whysz)
{
	if (line_room(c, VALUE_STRING_MAX(len)) == NULL)
		return nomem(len, why, whysz);
	*n = json_escape(v, len, c->line);
	return c->line;
}

/* How a value is rendered. */
enum form {
	F_TEXT,		/* JSON, or a JSON string: the line itself */
	F_BYTES,	/* -E --raw: not UTF-8, into "value_base64" */
	F_ERROR,	/* --raw: not UTF-8, an error line of tel(7) */
};

/* --raw, bytes that are not UTF-8: an error line with them in rawData. */
static const char *
render_error(struct cat *c, const rd_kafka_message_t *m, size_t *n,
    char *why, size_t whysz)
{
	char msg[256], *line;

	snprintf(msg, sizeof(msg), "%s [%" PRId32 "] offset %" PRId64
	    ": not JSON: invalid UTF-8", rd_kafka_topic_name(m->rkt),
	    m->partition, m->offset);
	if ((line = control_error("InvalidUTF8", msg, 0, m->payload, m->len,
	    n)) == NULL || line_room(c, *n) == NULL) {
		free(line);
		return nomem(m->len, why, whysz);
	}
	memcpy(c->line, line, *n);
	free(line);
	return c->line;
}

/*
 * The value as line text (*form says which kind): JSON as it is
 * (compacted if it spans lines), else with --raw a JSON string, or, for
 * bytes that are not UTF-8, their base64 in the envelope (-E) or an
 * error line.  NULL if the message is to be skipped.
 */
static const char *
render_value(struct cat *c, const rd_kafka_message_t *m, size_t *n,
    enum form *form, char *why, size_t whysz)
{
	struct json_error e;
	const char *v = m->payload;

	*form = F_TEXT;
	if (v == NULL) {
		if (!c->o.raw) {
			snprintf(why, whysz, "no value (a tombstone)");
			return NULL;
		}
		*n = 4;
		return "null";
	}
	if (json_scan(v, m->len, NULL, 0, &e) == -1) {
		if (!json_utf8_valid(v, m->len)) {
			if (!c->o.raw) {
				snprintf(why, whysz, "not JSON: invalid UTF-8");
				return NULL;
			}
			*form = c->o.envelope ? F_BYTES : F_ERROR;
			*n = m->len;
			return c->o.envelope ? v :
			    render_error(c, m, n, why, whysz);
		}
		if (!c->o.raw) {
			snprintf(why, whysz, "not JSON: %s at byte %zu",
			    e.msg, e.offset);
			return NULL;
		}
		return render_string(c, v, m->len, n, why, whysz);
	}
	if (control_reserved(v, m->len)) {
		/* a filter could make it a control line: never a record */
		if (!c->o.raw) {
			snprintf(why, whysz, "a top-level \"%s\" member, "
			    "which tel(7) reserves", CONTROL_MEMBER);
			return NULL;
		}
		return render_string(c, v, m->len, n, why, whysz);
	}
	*n = m->len;
	if (!value_multiline(v, m->len))
		return v;
	if (line_room(c, m->len) == NULL)
		return nomem(m->len, why, whysz);
	*n = value_compact(v, m->len, c->line);
	return c->line;
}

/* One member of an envelope: "name":"text", or "name_base64":"..." */
static size_t
member(char *buf, const char *name, const char *p, size_t n)
{
	size_t o;

	if (json_utf8_valid(p, n)) {
		o = (size_t)sprintf(buf, ",\"%s\":", name);
		return o + json_escape(p, n, buf + o);
	}
	o = (size_t)sprintf(buf, ",\"%s_base64\":\"", name);
	o += base64_encode(p, n, buf + o);
	buf[o++] = '"';
	return o;
}

/* -E: the message's coordinates around its value, in a second buffer. */
static const char *
envelope(struct cat *c, const rd_kafka_message_t *m, const char *v,
    size_t *n, enum form form)
{
	rd_kafka_timestamp_type_t tt;
	const char *topic = rd_kafka_topic_name(m->rkt);
	size_t need = 160 + VALUE_STRING_MAX(strlen(topic)) +
	    VALUE_STRING_MAX(m->key_len) + BASE64_LEN(*n) + *n, o;
	int64_t ts = rd_kafka_message_timestamp(m, &tt);
	char *buf;

	if (need > c->envcap) {
		free(c->env);
		c->envcap = 0;
		if ((c->env = malloc(need)) == NULL)
			return NULL;
		c->envcap = need;
	}
	buf = c->env;
	o = (size_t)sprintf(buf, "{\"topic\":");
	o += json_escape(topic, strlen(topic), buf + o);
	o += (size_t)sprintf(buf + o, ",\"partition\":%" PRId32 ",\"offset\":%"
	    PRId64 ",\"timestamp\":", m->partition, m->offset);
	o += (size_t)(ts == -1 ? sprintf(buf + o, "null") :
	    sprintf(buf + o, "%" PRId64, ts));
	if (m->key == NULL)
		o += (size_t)sprintf(buf + o, ",\"key\":null");
	else
		o += member(buf + o, "key", m->key, m->key_len);
	if (form == F_BYTES)
		o += member(buf + o, "value", v, *n);
	else {
		o += (size_t)sprintf(buf + o, ",\"value\":");
		memcpy(buf + o, v, *n);
		o += *n;
	}
	buf[o++] = '}';
	*n = o;
	return buf;
}

void
emit(struct cat *c, const rd_kafka_message_t *m)
{
	const char *topic = intern(c, rd_kafka_topic_name(m->rkt));
	struct part *p = find_part(c, topic, m->partition);
	const char *v;
	char why[256];
	size_t n;
	enum form form;

	c->st.messages++;
	if (p != NULL)
		p->eof = 0;
	if ((v = render_value(c, m, &n, &form, why, sizeof(why))) != NULL &&
	    c->o.envelope && (v = envelope(c, m, v, &n, form)) == NULL)
		nomem(m->len, why, sizeof(why));
	if (v != NULL && form == F_ERROR && c->o.k.verbose >= 0)
		warnx("%s [%" PRId32 "] offset %" PRId64 ": not JSON: invalid "
		    "UTF-8; handed on as an error line", topic, m->partition,
		    m->offset);
	if (v == NULL) {
		warnx("%s [%" PRId32 "] offset %" PRId64 ": %s; skipped", topic,
		    m->partition, m->offset, why);
		c->st.skipped++;
		advance(c, p, topic, m->partition, m->offset);
		return;
	}
	if (put_line(c, v, n) == -1)
		return;
	c->st.lines++;
	c->st.bytes += n + 1;
	advance(c, p, topic, m->partition, m->offset);
	if (c->o.count > 0 && c->st.lines >= c->o.count)
		c->done = 1;
}
