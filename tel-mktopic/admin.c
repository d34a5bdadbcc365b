/*
 * Every call tel-mktopic makes to librdkafka: the client (a producer
 * handle, which the Admin API accepts), cluster metadata, CreateTopics
 * and DescribeConfigs.  Each waits no longer than what is left of
 * --timeout.
 */
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "diag.h"
#include "mktopic.h"

#define SLICE_MIN	500	/* ms: the first metadata attempt's wait */

int
remaining_ms(const struct ctx *c)
{
	int64_t left = c->deadline - tel_mono_ms();

	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/*
 * Kept for the message if no broker ever answers.  "All brokers are
 * down" says less than the connection failure before it, so it never
 * replaces one.
 */
static void
on_error(rd_kafka_t *rk, int e, const char *reason, void *opaque)
{
	struct ctx *c = opaque;
	char r[512];

	reason = tel_printable_copy(r, sizeof(r), reason);
	(void)rk;
	if (c->o.k.verbose > 0)
		warnx("kafka: %s", reason);
	if (e == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && c->lastmsg[0] != '\0')
		return;
	c->lasterr = (rd_kafka_resp_err_t)e;
	snprintf(c->lastmsg, sizeof(c->lastmsg), "%s", reason);
}

void
admin_open(struct ctx *c)
{
	rd_kafka_conf_t *conf;
	char e[ERR_MAX];

	if ((conf = kafka_conf(&c->o.k, NULL, e, sizeof(e))) == NULL)
		errx(2, "%s", e);
	/*
	 * A producer's metadata requests may create topics on a broker with
	 * auto.create.topics.enable: never here, whatever -X says, or a
	 * look would make the topic with the broker's defaults.
	 */
	if (rd_kafka_conf_set(conf, "allow.auto.create.topics", "false", e,
	    sizeof(e)) != RD_KAFKA_CONF_OK)
		errx(1, "allow.auto.create.topics: %s", e);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_opaque(conf, c);
	if ((c->rk = kafka_new(RD_KAFKA_PRODUCER, conf, &c->o.k, e,
	    sizeof(e))) == NULL)
		errx(1, "%s", e);
	if ((c->q = rd_kafka_queue_new(c->rk)) == NULL)
		errx(1, "cannot make a queue");
}

void
admin_close(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->nev; i++)
		rd_kafka_event_destroy(c->ev[i]);
	for (i = 0; i < c->nmd; i++)
		rd_kafka_metadata_destroy(c->md[i]);
	if (c->q != NULL)
		rd_kafka_queue_destroy(c->q);
	if (c->rk != NULL)
		rd_kafka_destroy(c->rk);
}

/* Errors that waiting longer will not mend. */
static int
permanent(rd_kafka_resp_err_t e)
{
	return e == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
	    e == RD_KAFKA_RESP_ERR__SSL || e == RD_KAFKA_RESP_ERR__FATAL;
}

/* Why no metadata came: the client's last complaint, else e's. */
static void
metadata_failed(struct ctx *c, rd_kafka_resp_err_t e, char *msg,
    size_t sz)
{
	const char *why = c->lastmsg[0] != '\0' ? c->lastmsg :
	    rd_kafka_err2str(e);

	if (permanent(c->lasterr))
		snprintf(msg, sz, "%s", why);
	else
		snprintf(msg, sz, "no broker answered within %g s: %s",
		    (double)c->o.timeout_ms / 1000.0, why);
}

/*
 * All topics' metadata (so no topic is named in the request, which a
 * broker could answer by creating it).  Tries in growing slices, serving
 * the error callback in between, so that a failed authentication ends
 * the wait at once.  0, or an error code with msg.
 */
int
admin_metadata(struct ctx *c, const rd_kafka_metadata_t **md, char *msg,
    size_t sz)
{
	rd_kafka_resp_err_t e;
	int slice = SLICE_MIN, left;

	for (;;) {
		left = remaining_ms(c);
		e = rd_kafka_metadata(c->rk, 1, NULL, md,
		    slice < left ? slice : left);
		if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
			return 0;
		rd_kafka_poll(c->rk, 0);
		if (permanent(c->lasterr) || remaining_ms(c) == 0)
			break;
		if (slice < INT_MAX / 2)
			slice *= 2;
	}
	if (c->lasterr != RD_KAFKA_RESP_ERR_NO_ERROR)
		e = c->lasterr;
	metadata_failed(c, e, msg, sz);
	return (int)e;
}

/* Timeouts from what is left, and validate-only for --dry-run. */
static rd_kafka_AdminOptions_t *
admin_options(struct ctx *c, rd_kafka_admin_op_t op)
{
	rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(c->rk, op);
	int left = remaining_ms(c);
	char e[ERR_MAX];

	if (ao == NULL)
		errx(1, "cannot make admin options");
	if (left < 1)
		left = 1;
	if (rd_kafka_AdminOptions_set_request_timeout(ao, left, e,
	    sizeof(e)) != RD_KAFKA_RESP_ERR_NO_ERROR)
		errx(1, "request timeout: %s", e);
	if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS &&
	    (rd_kafka_AdminOptions_set_operation_timeout(ao, left, e,
	    sizeof(e)) != RD_KAFKA_RESP_ERR_NO_ERROR ||
	    rd_kafka_AdminOptions_set_validate_only(ao, c->o.dry_run, e,
	    sizeof(e)) != RD_KAFKA_RESP_ERR_NO_ERROR))
		errx(1, "admin options: %s", e);
	return ao;
}

/*
 * The result of one admin request, kept until exit (the results point
 * into it); NULL with msg if none came, or the request failed as a whole.
 */
static rd_kafka_event_t *
wait_result(struct ctx *c, rd_kafka_event_type_t type, char *msg, size_t sz)
{
	rd_kafka_event_t *ev;

	/* librdkafka answers by the request timeout; a second to spare */
	while ((ev = rd_kafka_queue_poll(c->q, remaining_ms(c) + 1000)) !=
	    NULL && rd_kafka_event_type(ev) != type)
		rd_kafka_event_destroy(ev);
	if (ev == NULL) {
		snprintf(msg, sz, "no answer within %g s",
		    (double)c->o.timeout_ms / 1000.0);
		return NULL;
	}
	c->ev[c->nev++] = ev;
	if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(msg, sz, "%s", rd_kafka_event_error_string(ev));
		return NULL;
	}
	return ev;
}

static struct topic *
by_name(struct topic **sel, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(sel[i]->name, name) == 0)
			return sel[i];
	}
	return NULL;
}

/* Every topic of a request that failed as a whole gets its error. */
static void
fail_request(struct ctx *c, struct topic **sel, size_t n, const char *msg)
{
	size_t i;
	rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;

	if (c->nev > 0 && rd_kafka_event_error(c->ev[c->nev - 1]) != 0)
		e = rd_kafka_event_error(c->ev[c->nev - 1]);
	for (i = 0; i < n; i++)
		topic_fail(sel[i], rd_kafka_err2name(e), "%s", msg);
}

static rd_kafka_NewTopic_t *
new_topic(const struct ctx *c, const char *name)
{
	rd_kafka_NewTopic_t *nt;
	char e[ERR_MAX];
	size_t i;

	if ((nt = rd_kafka_NewTopic_new(name, c->o.partitions,
	    c->o.replication, e, sizeof(e))) == NULL)
		errx(1, "%s: %s", name, e);
	for (i = 0; i < c->o.ncfg; i++) {
		if (rd_kafka_NewTopic_set_config(nt, c->o.cfg[i].name,
		    c->o.cfg[i].value) != RD_KAFKA_RESP_ERR_NO_ERROR)
			errx(1, "%s: cannot set %s", name, c->o.cfg[i].name);
	}
	return nt;
}

/* The names of the configs asked for, for a message: "a, b, c". */
static void
asked_names(const struct ctx *c, char *buf, size_t sz)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < c->o.ncfg && len < sz; i++)
		len += (size_t)snprintf(buf + len, sz - len, "%s%s",
		    i > 0 ? ", " : "", c->o.cfg[i].name);
}

/* The broker's "invalid config" message, naming the keys if it did not. */
static void
config_error(const struct ctx *c, struct topic *t, const char *why)
{
	char names[ERR_MAX / 2];
	size_t i;

	for (i = 0; i < c->o.ncfg; i++) {
		if (strstr(why, c->o.cfg[i].name) != NULL) {
			topic_fail(t, "INVALID_CONFIG", "%s", why);
			return;
		}
	}
	asked_names(c, names, sizeof(names));
	topic_fail(t, "INVALID_CONFIG", "%s (configs given: %s)", why, names);
}

static void
create_result(const struct ctx *c, struct topic *t,
    const rd_kafka_topic_result_t *r)
{
	rd_kafka_resp_err_t e = rd_kafka_topic_result_error(r);
	const char *why = rd_kafka_topic_result_error_string(r);

	if (why == NULL || *why == '\0')
		why = rd_kafka_err2str(e);
	if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
		t->res = c->o.dry_run ? R_VALIDATED : R_CREATED;
	else if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
		t->res = R_RACED;
		snprintf(t->error, sizeof(t->error), "%s", why);
		t->code = rd_kafka_err2name(e);
	} else if (e == RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR)
		topic_fail(t, rd_kafka_err2name(e), "replication factor %d: %s",
		    c->o.replication, why);
	else if (e == RD_KAFKA_RESP_ERR_INVALID_CONFIG)
		config_error(c, t, why);
	else
		topic_fail(t, rd_kafka_err2name(e), "%s", why);
}

void
admin_create(struct ctx *c, struct topic **sel, size_t n)
{
	rd_kafka_NewTopic_t **nts = calloc(n, sizeof(*nts));
	rd_kafka_AdminOptions_t *ao = admin_options(c,
	    RD_KAFKA_ADMIN_OP_CREATETOPICS);
	const rd_kafka_topic_result_t **res;
	rd_kafka_event_t *ev;
	char msg[ERR_MAX];
	size_t i, nres;
	struct topic *t;

	if (nts == NULL)
		err(1, NULL);
	for (i = 0; i < n; i++)
		nts[i] = new_topic(c, sel[i]->name);
	rd_kafka_CreateTopics(c->rk, nts, n, ao, c->q);
	rd_kafka_NewTopic_destroy_array(nts, n);
	free(nts);
	rd_kafka_AdminOptions_destroy(ao);
	if ((ev = wait_result(c, RD_KAFKA_EVENT_CREATETOPICS_RESULT, msg,
	    sizeof(msg))) == NULL) {
		fail_request(c, sel, n, msg);
		return;
	}
	res = rd_kafka_CreateTopics_result_topics(
	    rd_kafka_event_CreateTopics_result(ev), &nres);
	for (i = 0; i < nres; i++) {
		if ((t = by_name(sel, n, rd_kafka_topic_result_name(res[i]))))
			create_result(c, t, res[i]);
	}
	for (i = 0; i < n; i++) {
		if (sel[i]->res == R_MISSING)
			topic_fail(sel[i], "_INCONSISTENT", "no result");
	}
}

/*
 * Each topic's configs, kept in t->configs.  A failure leaves it NULL
 * and says why in t->error, for topic_compare() to judge.
 */
void
admin_describe(struct ctx *c, struct topic **sel, size_t n)
{
	rd_kafka_ConfigResource_t **crs = calloc(n, sizeof(*crs));
	rd_kafka_AdminOptions_t *ao = admin_options(c,
	    RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
	const rd_kafka_ConfigResource_t **res;
	rd_kafka_event_t *ev;
	char msg[ERR_MAX];
	size_t i, nres;
	struct topic *t;

	if (crs == NULL)
		err(1, NULL);
	for (i = 0; i < n; i++)
		crs[i] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC,
		    sel[i]->name);
	rd_kafka_DescribeConfigs(c->rk, crs, n, ao, c->q);
	rd_kafka_ConfigResource_destroy_array(crs, n);
	free(crs);
	rd_kafka_AdminOptions_destroy(ao);
	ev = wait_result(c, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, msg,
	    sizeof(msg));
	for (i = 0; ev == NULL && i < n; i++)
		snprintf(sel[i]->error, sizeof(sel[i]->error), "%s", msg);
	if (ev == NULL)
		return;
	res = rd_kafka_DescribeConfigs_result_resources(
	    rd_kafka_event_DescribeConfigs_result(ev), &nres);
	for (i = 0; i < nres; i++) {
		t = by_name(sel, n, rd_kafka_ConfigResource_name(res[i]));
		if (t == NULL)
			continue;
		if (rd_kafka_ConfigResource_error(res[i]) == 0)
			t->configs = res[i];
		else
			snprintf(t->error, sizeof(t->error), "%s",
			    rd_kafka_ConfigResource_error_string(res[i]));
	}
}
