/*
 * A stream that exists, held against what was asked: its mode and, for a
 * provisioned stream, its count of open shards always (they have
 * defaults); its retention only if --retention was given (the service's
 * 24 hours is no claim on a stream that exists).  Closed shards, left by
 * a reshard until they expire, are no part of the count: they take no
 * writes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mkstream.h"

void
stream_fail(struct stream *s, const char *code, const char *fmt, ...)
{
	va_list ap;

	s->res = R_ERROR;
	snprintf(s->code, sizeof(s->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
}

static const char *
mode_name(int on_demand)
{
	return on_demand ? "on-demand" : "provisioned";
}

/* One difference, bit, in words: "2 open shards, asked for 1". */
void
stream_difference(const struct ctx *c, const struct stream *s, unsigned bit,
    char *buf, size_t size)
{
	switch (bit) {
	case DIFF_MODE:
		snprintf(buf, size, "%s, asked for %s",
		    mode_name(s->sum.on_demand), mode_name(c->o.on_demand));
		break;
	case DIFF_SHARDS:
		snprintf(buf, size, "%d open shard%s, asked for %d",
		    s->sum.shards, s->sum.shards == 1 ? "" : "s",
		    c->o.shards);
		break;
	case DIFF_RETENTION:
		snprintf(buf, size, "retention %d hours, asked for %d",
		    s->sum.retention, c->o.retention);
		break;
	default:
		buf[0] = '\0';
		break;
	}
}

/* Every difference, joined by "; ", into s->error. */
static void
describe_differences(const struct ctx *c, struct stream *s)
{
	char one[160];
	size_t len = 0;
	unsigned bit;

	s->error[0] = '\0';
	for (bit = DIFF_MODE; bit <= DIFF_RETENTION; bit <<= 1) {
		if (!(s->diff & bit) || len >= sizeof(s->error))
			continue;
		stream_difference(c, s, bit, one, sizeof(one));
		len += (size_t)snprintf(s->error + len, sizeof(s->error) - len,
		    "%s%s", len > 0 ? "; " : "", one);
	}
}

void
stream_compare(const struct ctx *c, struct stream *s)
{
	s->diff = 0;
	if (s->sum.on_demand != c->o.on_demand)
		s->diff |= DIFF_MODE;
	/* an on-demand stream's shards are the service's to count */
	else if (!c->o.on_demand && s->sum.shards != c->o.shards)
		s->diff |= DIFF_SHARDS;
	if (c->o.retention != 0 && s->sum.retention != c->o.retention)
		s->diff |= DIFF_RETENTION;
	s->res = s->diff != 0 ? R_DIFFERS : R_EXISTS;
	describe_differences(c, s);
}
