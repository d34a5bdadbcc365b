/*
 * Control lines (control.h, tel(7)): recognised by their first bytes, so
 * a stream of records pays a few comparisons a line; parsed with the
 * validating scanner, so a line that merely starts like one is a record
 * (and, being broken, an error record further on).
 */
#include <stdio.h>
#include <string.h>

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
