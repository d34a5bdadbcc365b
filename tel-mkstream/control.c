/*
 * Every call to the Kinesis control plane: DescribeStreamSummary, to
 * find a stream and to wait for it to be ACTIVE, CreateStream, and the
 * retention change.  Calls are retried here rather than by kinesis_do,
 * so that no retry outlives the stream's --wait.  Whatever still fails
 * is left on the stream as its code and message, so that the caller only
 * looks at the result.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "diag.h"
#include "mkstream.h"

/*
 * Polls start quick (a local server is ready within milliseconds) and
 * slow down to a pace far below DescribeStreamSummary's limit of 20
 * calls a second per account: AWS takes tens of seconds.
 */
#define POLL_FIRST_MS	100
#define POLL_MAX_MS	5000
#define ATTEMPTS_MAX	8		/* of one call: about 10 s of backoff */
#define BACKOFF_BASE_MS	100
#define BACKOFF_CAP_MS	5000

/* Sleeps up to ms, never past s's deadline; -1 if the deadline passed. */
static int
pause_until(struct ctx *c, const struct stream *s, int64_t ms)
{
	int64_t left = s->deadline - tel_mono_ms();

	if (left <= 0)
		return -1;
	kinesis_sleep(&c->k, ms < left ? ms : left);
	return 0;
}

/*
 * One attempt: 0 done, 1 worth another, -1 failed for good.  A 2xx is
 * done whatever its body: CreateStream and the retention calls answer
 * with none, which kinesis_call takes for an invalid reply.  *doubt is
 * set by an attempt that may have reached the service unanswered.
 */
static int
attempt(struct ctx *c, const char *op, const char *text,
    struct kinesis_reply *r, int *doubt)
{
	enum kinesis_verdict v;

	v = kinesis_call(&c->conn, op, text, strlen(text), r);
	if (v == KINESIS_OK || r->status / 100 == 2)
		return 0;
	if (r->status == 0 || r->status >= 500)
		*doubt = 1;
	return v == KINESIS_RETRY ? 1 : -1;
}

/* The pause before attempt n + 1; -vv says why. */
static int64_t
backoff(struct ctx *c, const char *op, const struct kinesis_reply *r,
    unsigned n)
{
	char why[ERR_MAX];
	int64_t ms;

	ms = kinesis_backoff_ms(&c->conn, n, BACKOFF_BASE_MS, BACKOFF_CAP_MS);
	if (c->k.o.trace) {
		kinesis_reply_describe(r, why, sizeof(why));
		tel_warnx("%s: %s; retrying in %lld ms", op, why,
		    (long long)ms);
	}
	return ms;
}

/*
 * op with body (which it takes), retried with full-jitter backoff while
 * throttled or unanswered, up to ATTEMPTS_MAX or s's deadline: 0 (r's
 * json may be NULL), or -1 with r's error.
 */
static int
call(struct ctx *c, struct stream *s, const char *op, json_t *body,
    struct kinesis_reply *r, int *doubt)
{
	char *text;
	unsigned n;
	int e, d = 0;

	if (body == NULL || (text = json_dumps(body, JSON_COMPACT)) == NULL)
		oom();
	json_decref(body);
	memset(r, 0, sizeof(*r));
	for (n = 1;; n++) {
		r->attempts = n;
		e = attempt(c, op, text, r, &d);
		if (e != 1 || n >= ATTEMPTS_MAX ||
		    pause_until(c, s, backoff(c, op, r, n)) == -1)
			break;
	}
	free(text);
	if (doubt != NULL)
		*doubt = d;
	return e == 0 ? 0 : -1;
}

/* The error of r on s: the AWS error kind, or _TRANSPORT if no answer. */
static void
fail_reply(struct stream *s, const char *op, struct kinesis_reply *r)
{
	char why[ERR_MAX - 64];

	kinesis_reply_describe(r, why, sizeof(why));
	stream_fail(s, r->type[0] != '\0' ? r->type : "_TRANSPORT",
	    "%s: %s", op, why);
	kinesis_reply_free(r);
}

/*
 * CreateStream: 1 if made now, 0 if someone made it first, -1 failed.
 * "In use" after an attempt that went unanswered is most likely that
 * attempt's own doing, so it counts as made now.
 */
int
stream_create(struct ctx *c, struct stream *s)
{
	struct kinesis_reply r;
	json_t *body;
	int doubt;

	if (c->o.on_demand)
		body = json_pack("{s:s, s:{s:s}}", "StreamName", s->name,
		    "StreamModeDetails", "StreamMode", "ON_DEMAND");
	else
		body = json_pack("{s:s, s:i}", "StreamName", s->name,
		    "ShardCount", c->o.shards);
	if (call(c, s, "CreateStream", body, &r, &doubt) == 0) {
		kinesis_reply_free(&r);
		return 1;
	}
	if (strcmp(r.type, "ResourceInUseException") == 0) {
		kinesis_reply_free(&r);
		return doubt;
	}
	fail_reply(s, "CreateStream", &r);
	return -1;
}

/* A whole number in [0, INT_MAX] at key, else -1. */
static int
get_int(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > INT_MAX)
		return -1;
	return (int)json_integer_value(v);
}

/*
 * A StreamDescriptionSummary into sum; -1 if a member we judge by is
 * missing.  A summary without StreamModeDetails is provisioned: streams
 * from before on-demand existed, and kinesalite, leave it out.
 */
static int
parse_summary(const json_t *d, struct summary *sum)
{
	const char *status, *mode, *arn;

	status = kinesis_str(d, "StreamStatus");
	mode = kinesis_str(json_object_get(d, "StreamModeDetails"),
	    "StreamMode");
	arn = kinesis_str(d, "StreamARN");
	sum->shards = get_int(d, "OpenShardCount");
	sum->retention = get_int(d, "RetentionPeriodHours");
	if (status == NULL || sum->shards == -1 || sum->retention == -1)
		return -1;
	snprintf(sum->status, sizeof(sum->status), "%s", status);
	sum->on_demand = mode != NULL && strcmp(mode, "ON_DEMAND") == 0;
	snprintf(sum->arn, sizeof(sum->arn), "%s", arn != NULL ? arn : "");
	tel_printable(sum->status);
	tel_printable(sum->arn);
	return 0;
}

/* DescribeStreamSummary into s->sum: 0, or -1 with r's error. */
static int
describe(struct ctx *c, struct stream *s, struct kinesis_reply *r)
{
	json_t *body = json_pack("{s:s}", "StreamName", s->name);

	if (call(c, s, "DescribeStreamSummary", body, r, NULL) == -1)
		return -1;
	if (parse_summary(json_object_get(r->json,
	    "StreamDescriptionSummary"), &s->sum) == -1) {
		kinesis_reply_free(r);
		r->status = 200;
		snprintf(r->type, sizeof(r->type), "InvalidReply");
		snprintf(r->message, sizeof(r->message), "a summary without "
		    "StreamStatus, OpenShardCount or RetentionPeriodHours");
		return -1;
	}
	kinesis_reply_free(r);
	s->described = 1;
	return 0;
}

/* 1 if s is described, 0 if there is no such stream, -1 failed. */
int
stream_find(struct ctx *c, struct stream *s)
{
	struct kinesis_reply r;

	if (describe(c, s, &r) == 0)
		return 1;
	if (strcmp(r.type, "ResourceNotFoundException") == 0) {
		kinesis_reply_free(&r);
		return 0;
	}
	fail_reply(s, "DescribeStreamSummary", &r);
	return -1;
}

/* 1 if s as last described is ACTIVE with retention (if not 0). */
static int
ready(const struct stream *s, int retention)
{
	return s->described && strcmp(s->sum.status, "ACTIVE") == 0 &&
	    (retention == 0 || s->sum.retention == retention);
}

/*
 * Polls until s is ACTIVE (with retention hours, if not 0) or its
 * deadline passes: 0 with s->sum as described, or -1 with the error on
 * s.  fresh: s was just made, and reads are eventually consistent, so
 * "no such stream" may only mean "not yet".  A summary in s->sum from
 * before the change that is waited for must not look ready.
 */
int
stream_wait(struct ctx *c, struct stream *s, int fresh, int retention)
{
	struct kinesis_reply r;
	int64_t delay = POLL_FIRST_MS;

	for (;;) {
		if (s->described && strcmp(s->sum.status, "DELETING") == 0) {
			stream_fail(s, "_DELETING", "being deleted");
			return -1;
		}
		if (ready(s, retention))
			return 0;
		if (pause_until(c, s, delay) == -1) {
			stream_fail(s, "_TIMED_OUT", "not ACTIVE within --wait "
			    "%s (%s)", c->o.wait_arg, s->described ?
			    s->sum.status : "not found yet");
			return -1;
		}
		delay = delay * 2 < POLL_MAX_MS ? delay * 2 : POLL_MAX_MS;
		if (describe(c, s, &r) == -1) {
			if (!fresh ||
			    strcmp(r.type, "ResourceNotFoundException") != 0) {
				fail_reply(s, "DescribeStreamSummary", &r);
				return -1;
			}
			kinesis_reply_free(&r);
		}
	}
}

/* To the retention asked for, from the ACTIVE stream's s->sum. */
int
stream_set_retention(struct ctx *c, struct stream *s)
{
	struct kinesis_reply r;
	const char *op;
	json_t *body;

	op = c->o.retention > s->sum.retention ?
	    "IncreaseStreamRetentionPeriod" : "DecreaseStreamRetentionPeriod";
	body = json_pack("{s:s, s:i}", "StreamName", s->name,
	    "RetentionPeriodHours", c->o.retention);
	if (call(c, s, op, body, &r, NULL) == -1) {
		fail_reply(s, op, &r);
		return -1;
	}
	kinesis_reply_free(&r);
	return 0;
}
