/* Values as line text: see value.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "control.h"
#include "jsonscan.h"
#include "value.h"

int
value_multiline(const char *p, size_t n)
{
	return memchr(p, '\n', n) != NULL || memchr(p, '\r', n) != NULL;
}

size_t
value_compact(const char *p, size_t n, char *out)
{
	size_t i, o = 0;
	int in_string = 0, escaped = 0;

	for (i = 0; i < n; i++) {
		char ch = p[i];

		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (ch == '\\')
				escaped = 1;
			else if (ch == '"')
				in_string = 0;
		} else if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
			continue;
		else if (ch == '"')
			in_string = 1;
		out[o++] = ch;
	}
	return o;
}

char *
value_room(struct value_buf *b, size_t n)
{
	if (n > b->cap) {
		free(b->p);
		b->cap = 0;
		if ((b->p = malloc(n)) == NULL)
			return NULL;
		b->cap = n;
	}
	return b->p;
}

void
value_buf_free(struct value_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->cap = 0;
}

/* Why a value is skipped: not fatal, else the same one stops every run. */
static const char *
nomem(size_t n, char *why, size_t whysz)
{
	snprintf(why, whysz, "%zu bytes: no memory to render it", n);
	return NULL;
}

/* UTF-8 text as a JSON string literal. */
static const char *
as_string(struct value_buf *b, const char *v, size_t n, size_t *len,
    char *why, size_t whysz)
{
	if (value_room(b, VALUE_STRING_MAX(n)) == NULL)
		return nomem(n, why, whysz);
	*len = json_escape(v, n, b->p);
	return b->p;
}

/* Bytes that are not UTF-8, as an error line with them in rawData. */
static const char *
as_error(struct value_buf *b, const char *v, size_t n, const char *where,
    size_t *len, char *why, size_t whysz)
{
	char msg[512], *line;

	snprintf(msg, sizeof(msg), "%s: not JSON: invalid UTF-8", where);
	if ((line = control_error("InvalidUTF8", msg, 0, v, n, len)) == NULL ||
	    value_room(b, *len) == NULL) {
		free(line);
		return nomem(n, why, whysz);
	}
	memcpy(b->p, line, *len);
	free(line);
	return b->p;
}

/* A value that is not JSON: skipped, or with raw a string or bytes. */
static const char *
not_json(struct value_buf *b, const char *v, size_t n, int raw,
    int envelope, const char *where, size_t *len, enum value_form *form,
    const struct json_error *e, char *why, size_t whysz)
{
	if (!json_utf8_valid(v, n)) {
		if (!raw) {
			snprintf(why, whysz, "not JSON: invalid UTF-8");
			return NULL;
		}
		*form = envelope ? VALUE_BYTES : VALUE_ERROR;
		*len = n;
		return envelope ? v : as_error(b, v, n, where, len, why, whysz);
	}
	if (!raw) {
		snprintf(why, whysz, "not JSON: %s at byte %zu", e->msg,
		    e->offset);
		return NULL;
	}
	return as_string(b, v, n, len, why, whysz);
}

const char *
value_render(struct value_buf *b, const char *v, size_t n, int raw,
    int envelope, const char *where, size_t *len, enum value_form *form,
    char *why, size_t whysz)
{
	struct json_error e;

	*form = VALUE_TEXT;
	if (v == NULL) {
		if (!raw) {
			snprintf(why, whysz, "no value (a tombstone)");
			return NULL;
		}
		*len = 4;
		return "null";
	}
	if (json_scan(v, n, NULL, 0, &e) == -1)
		return not_json(b, v, n, raw, envelope, where, len, form, &e,
		    why, whysz);
	if (control_reserved(v, n)) {
		/* a filter could make it a control line: never a record */
		if (!raw) {
			snprintf(why, whysz, "a top-level \"%s\" member, "
			    "which tel(7) reserves", CONTROL_MEMBER);
			return NULL;
		}
		return as_string(b, v, n, len, why, whysz);
	}
	*len = n;
	if (!value_multiline(v, n))
		return v;
	if (value_room(b, n) == NULL)
		return nomem(n, why, whysz);
	*len = value_compact(v, n, b->p);
	return b->p;
}

size_t
value_member(char *buf, const char *name, const char *p, size_t n)
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
