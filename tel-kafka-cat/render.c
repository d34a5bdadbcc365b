/*
 * tel-kafka-cat: a message as its line.  The value is rendered by
 * lib/value.c, as tel-kinesis-cat renders a record's (JSON as it is,
 * --raw strings, bytes that are not UTF-8 in base64 or an error line of
 * tel(7)); -E puts it in an envelope of the message's coordinates.
 */
#include <err.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "cat.h"
#include "jsonscan.h"
#include "value.h"

/* -E: the message's coordinates around its value, in a second buffer. */
static const char *
envelope(struct cat *c, const rd_kafka_message_t *m, const char *v,
    size_t *n, enum value_form form)
{
	rd_kafka_timestamp_type_t tt;
	const char *topic = rd_kafka_topic_name(m->rkt);
	size_t need = 160 + VALUE_STRING_MAX(strlen(topic)) +
	    VALUE_STRING_MAX(m->key_len) + BASE64_LEN(*n) + *n, o;
	int64_t ts = rd_kafka_message_timestamp(m, &tt);
	char *buf;

	if ((buf = value_room(&c->env, need)) == NULL)
		return NULL;
	o = (size_t)sprintf(buf, "{\"topic\":");
	o += json_escape(topic, strlen(topic), buf + o);
	o += (size_t)sprintf(buf + o, ",\"partition\":%" PRId32 ",\"offset\":%"
	    PRId64 ",\"timestamp\":", m->partition, m->offset);
	o += (size_t)(ts == -1 ? sprintf(buf + o, "null") :
	    sprintf(buf + o, "%" PRId64, ts));
	if (m->key == NULL)
		o += (size_t)sprintf(buf + o, ",\"key\":null");
	else
		o += value_member(buf + o, "key", m->key, m->key_len);
	if (form == VALUE_BYTES)
		o += value_member(buf + o, "value", v, *n);
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
	char why[256], where[320];
	size_t n;
	enum value_form form;

	c->st.messages++;
	if (p != NULL)
		p->eof = 0;
	snprintf(where, sizeof(where), "%s [%" PRId32 "] offset %" PRId64,
	    topic, m->partition, m->offset);
	if ((v = value_render(&c->vb, m->payload, m->len, c->o.raw,
	    c->o.envelope, where, &n, &form, why, sizeof(why))) != NULL &&
	    c->o.envelope && (v = envelope(c, m, v, &n, form)) == NULL)
		snprintf(why, sizeof(why), "%zu bytes: no memory to render it",
		    m->len);
	if (v != NULL && form == VALUE_ERROR && c->o.k.verbose >= 0)
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
