/*
 * Control lines (control.h, tel(7)): recognised by their first bytes, so
 * a stream of records pays a few comparisons a line; parsed with the
 * validating scanner, so a line that merely starts like one is a record
 * (and, being broken, an error record further on).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "control.h"
#include "jsonscan.h"
#include "number.h"
#include "rfc3339.h"

static size_t
skip_space(const char *p, size_t n, size_t i)
{
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' ||
	    p[i] == '\r'))
		i++;
	return i;
}

/* The first member is "@tel", spelt without escapes. */
static int
looks_like(const char *p, size_t n)
{
	static const char name[] = "\"" CONTROL_MEMBER "\"";
	size_t i = skip_space(p, n, 0);

	if (i == n || p[i] != '{')
		return 0;
	i = skip_space(p, n, i + 1);
	return n - i >= sizeof(name) - 1 &&
	    memcmp(p + i, name, sizeof(name) - 1) == 0;
}

/* 16 lowercase hex digits, as control_checkpoint() writes a run. */
static int
parse_run(const struct json_member *m, uint64_t *run)
{
	size_t i;

	if (m->type != JS_STRING || m->len != 16 || m->escaped)
		return -1;
	for (*run = 0, i = 0; i < 16; i++) {
		if (m->val[i] >= '0' && m->val[i] <= '9')
			*run = *run << 4 | (uint64_t)(m->val[i] - '0');
		else if (m->val[i] >= 'a' && m->val[i] <= 'f')
			*run = *run << 4 | (uint64_t)(m->val[i] - 'a' + 10);
		else
			return -1;
	}
	return 0;
}

static int
parse_seq(const struct json_member *m, uint64_t *seq)
{
	char buf[24];
	const char *errstr;

	if (m->type != JS_NUMBER || m->len >= sizeof(buf))
		return -1;
	memcpy(buf, m->val, m->len);
	buf[m->len] = '\0';
	*seq = (uint64_t)tel_strtonum(buf, 1, INT64_MAX, &errstr);
	return errstr == NULL ? 0 : -1;
}

int
control_parse(const char *p, size_t n, struct control *c)
{
	struct json_member m[4] = {
		{ CONTROL_MEMBER, sizeof(CONTROL_MEMBER) - 1, 0, 0, 0, 0 },
		{ "run", 3, 0, 0, 0, 0 },
		{ "seq", 3, 0, 0, 0, 0 },
		{ "flush", 5, 0, 0, 0, 0 },
	};
	struct json_error e;

	memset(c, 0, sizeof(*c));
	if (!looks_like(p, n) || json_scan(p, n, m, 4, &e) != JS_OBJECT ||
	    m[0].type != JS_STRING)
		return 0;
	if (m[0].len < sizeof(c->kind) && !m[0].escaped)
		memcpy(c->kind, m[0].val, m[0].len);
	c->checkpoint = strcmp(c->kind, "checkpoint") == 0 &&
	    parse_run(&m[1], &c->run) == 0 && parse_seq(&m[2], &c->seq) == 0;
	if (!c->checkpoint)
		c->run = c->seq = 0;
	c->flush = m[3].type == JS_TRUE;
	return 1;
}

int
control_reserved(const char *p, size_t n)
{
	struct json_member m = { CONTROL_MEMBER, sizeof(CONTROL_MEMBER) - 1,
	    0, 0, 0, 0 };
	struct json_error e;

	/* cheap first: no '@' byte, no "@tel" and no "\u0040tel" either */
	if (memchr(p, '@', n) == NULL && memmem(p, n, "u0040", 5) == NULL)
		return 0;
	return json_scan(p, n, &m, 1, &e) == JS_OBJECT && m.type != JS_NONE;
}

size_t
control_checkpoint(char *out, uint64_t run, uint64_t seq, int64_t now_ms,
    int flush)
{
	char t[TEL_RFC3339_LEN];

	if (tel_rfc3339_format(t, now_ms) == -1)
		memcpy(t, "1970-01-01T00:00:00.000Z", sizeof(t));
	return (size_t)snprintf(out, CONTROL_CHECKPOINT_MAX,
	    "{\"" CONTROL_MEMBER "\":\"checkpoint\",\"run\":\"%016llx\","
	    "\"seq\":%llu,\"time\":\"%.24s\"%s}", (unsigned long long)run,
	    (unsigned long long)seq, t, flush ? ",\"flush\":true" : "");
}

char *
control_error(const char *code, const char *msg, uint64_t lineno,
    const char *raw, size_t n, size_t *len)
{
	size_t cl = strlen(code), ml = strlen(msg), o;
	char *out;

	/* the escapes of code and msg, base64 of raw, the rest */
	if ((out = malloc(6 * (cl + ml) + BASE64_LEN(n) + 128)) == NULL)
		return NULL;
	o = (size_t)sprintf(out, "{\"" CONTROL_MEMBER "\":\"error\","
	    "\"errorCode\":");
	o += json_escape(code, cl, out + o);
	o += (size_t)sprintf(out + o, ",\"errorMessage\":");
	o += json_escape(msg, ml, out + o);
	if (lineno > 0)		/* 0: the refused thing had no line */
		o += (size_t)sprintf(out + o, ",\"lineNumber\":%llu",
		    (unsigned long long)lineno);
	o += (size_t)sprintf(out + o, ",\"rawData\":\"");
	o += base64_encode(raw, n, out + o);
	out[o++] = '"';
	out[o++] = '}';
	out[o] = '\0';
	*len = o;
	return out;
}

/* 1 if p[0..n) is padded base64 (RFC 4648 section 4). */
static int
is_base64(const char *p, size_t n)
{
	size_t i;

	if (n % 4 != 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '=' && i >= n - 2 && (i == n - 1 || p[n - 1] == '='))
			continue;
		if (!(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z') &&
		    !(c >= '0' && c <= '9') && c != '+' && c != '/')
			return 0;
	}
	return 1;
}

int
control_error_parse(const char *p, size_t n, struct control_error *ce)
{
	struct json_member m[] = {
		{ "errorCode", 9, 0, 0, 0, 0 },
		{ "errorMessage", 12, 0, 0, 0, 0 },
		{ "lineNumber", 10, 0, 0, 0, 0 },
		{ "rawData", 7, 0, 0, 0, 0 },
	};
	struct json_error e;
	uint64_t lineno;

	memset(ce, 0, sizeof(*ce));
	if (json_scan(p, n, m, 4, &e) != JS_OBJECT || m[0].type != JS_STRING ||
	    m[0].len == 0 || m[1].type != JS_STRING ||
	    m[3].type != JS_STRING || !is_base64(m[3].val, m[3].len))
		return -1;
	if (m[2].type != JS_NONE && parse_seq(&m[2], &lineno) == -1)
		return -1;
	ce->code = m[0].val;
	ce->codelen = m[0].len;
	ce->msg = m[1].val;
	ce->msglen = m[1].len;
	ce->raw = m[3].val;
	ce->rawlen = m[3].len;
	ce->lineno = m[2].type == JS_NONE ? 0 : lineno;
	return 0;
}
