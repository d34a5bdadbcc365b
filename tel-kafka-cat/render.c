/*
 * tel-kafka-cat: a message as its line.  JSON as it is (compacted if it
 * spans lines), else reported and skipped, or with --raw a JSON string;
 * with -E inside an envelope of its coordinates.  A value that holds a
 * top-level "@tel" member is never a record (tel(7)).
 */
#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * The value as line text: JSON as it is (compacted if it spans lines),
 * else with --raw a JSON string.  NULL if the message is to be skipped.
 */
static const char *
render_value(struct cat *c, const rd_kafka_message_t *m, size_t *n,
    char *why, size_t whysz)
{
	struct json_error e;
	const char *v = m->payload;

	if (v == NULL) {
		if (!c->o.raw) {
			snprintf(why, whysz, "no value (a tombstone)");
			return NULL;
		}
		*n = 4;
		return "null";
	}
	if (json_scan(v, m->len, NULL, 0, &e) == -1) {
		if (!c->o.raw) {
			if (!json_utf8_valid(v, m->len))
				snprintf(why, whysz, "not JSON: invalid UTF-8");
			else
				snprintf(why, whysz, "not JSON: %s at byte %zu",
				    e.msg, e.offset);
			return NULL;
		}
		if (line_room(c, VALUE_STRING_MAX(m->len)) == NULL)
			goto nomem;
		*n = value_string(v, m->len, c->line);
		return c->line;
	}
	if (control_reserved(v, m->len)) {
		/* a filter could make it a control line: never a record */
		if (!c->o.raw) {
			snprintf(why, whysz, "a top-level \"%s\" member, "
			    "which tel(7) reserves", CONTROL_MEMBER);
			return NULL;
		}
		if (line_room(c, VALUE_STRING_MAX(m->len)) == NULL)
			goto nomem;
		*n = value_string(v, m->len, c->line);
		return c->line;
	}
	*n = m->len;
	if (!value_multiline(v, m->len))
		return v;
	if (line_room(c, m->len) == NULL)
		goto nomem;
	*n = value_compact(v, m->len, c->line);
	return c->line;
nomem:
	/* skipped, not fatal: else the same message stops every run */
	snprintf(why, whysz, "%zu bytes: no memory to render it", m->len);
	return NULL;
}

/* -E: the message's coordinates around its value, in a second buffer. */
static const char *
envelope(struct cat *c, const rd_kafka_message_t *m, const char *v,
    size_t *n)
{
	rd_kafka_timestamp_type_t tt;
	const char *topic = rd_kafka_topic_name(m->rkt);
	size_t need = 128 + VALUE_STRING_MAX(strlen(topic)) +
	    VALUE_STRING_MAX(m->key_len) + *n, o;
	int64_t ts = rd_kafka_message_timestamp(m, &tt);
	char *buf;

	if (need > c->envcap) {
		free(c->env);
		if ((c->env = malloc(need)) == NULL)
			err(1, NULL);
		c->envcap = need;
	}
	buf = c->env;
	o = (size_t)sprintf(buf, "{\"topic\":");
	o += value_string(topic, strlen(topic), buf + o);
	o += (size_t)sprintf(buf + o, ",\"partition\":%" PRId32 ",\"offset\":%"
	    PRId64 ",\"timestamp\":", m->partition, m->offset);
	o += (size_t)(ts == -1 ? sprintf(buf + o, "null") :
	    sprintf(buf + o, "%" PRId64, ts));
	o += (size_t)sprintf(buf + o, ",\"key\":");
	if (m->key == NULL)
		o += (size_t)sprintf(buf + o, "null");
	else
		o += value_string(m->key, m->key_len, buf + o);
	o += (size_t)sprintf(buf + o, ",\"value\":");
	memcpy(buf + o, v, *n);
	o += *n;
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

	c->st.messages++;
	if (p != NULL)
		p->eof = 0;
	if ((v = render_value(c, m, &n, why, sizeof(why))) == NULL) {
		warnx("%s [%" PRId32 "] offset %" PRId64 ": %s; skipped", topic,
		    m->partition, m->offset, why);
		c->st.skipped++;
		advance(c, p, topic, m->partition, m->offset);
		return;
	}
	if (c->o.envelope)
		v = envelope(c, m, v, &n);
	if (put_line(c, v, n) == -1)
		return;
	c->st.lines++;
	c->st.bytes += n + 1;
	advance(c, p, topic, m->partition, m->offset);
	if (c->o.count > 0 && c->st.lines >= c->o.count)
		c->done = 1;
}
