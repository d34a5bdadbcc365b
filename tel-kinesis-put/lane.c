/*
 * Lanes: a thread each, with its own connection, taking the batches the
 * main thread hands it one at a time.  A partition key always maps to
 * the same lane, so two records of one key are never in two calls at
 * once, and the lane's calls are sequential: that is what keeps their
 * order in Kinesis.  A record the service refused is sent again, alone
 * with the other refused ones, before the lane's next batch; one it
 * stored is never sent again.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "diag.h"
#include "kput.h"

#define BACKOFF_BASE_MS		100
#define BACKOFF_CAP_MS		10000
#define WAIT_TICK_MS		100	/* how often waits look at the clock */

enum attempt_end { ATTEMPT_DONE, ATTEMPT_AGAIN, ATTEMPT_GIVE_UP };

/* Per-record errors that no retry can mend: the stream's KMS key. */
static int
is_fatal(const char *code)
{
	static const char *const fatal[] = {
		"KMSAccessDeniedException", "KMSDisabledException",
		"KMSInvalidStateException", "KMSNotFoundException",
		"KMSOptInRequired",
	};
	size_t i;

	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		if (strcmp(code, fatal[i]) == 0)
			return 1;
	return 0;
}

static int
is_throttle(const char *code)
{
	return strcmp(code, "ProvisionedThroughputExceededException") == 0 ||
	    strcmp(code, "KMSThrottlingException") == 0 ||
	    strcmp(code, "ThrottlingException") == 0 ||
	    strcmp(code, "LimitExceededException") == 0;
}

static void
count(struct kput *p, uint64_t *c, int64_t d)
{
	pthread_mutex_lock(&p->mu);
	*c += (uint64_t)d;
	pthread_mutex_unlock(&p->mu);
}

/* Under out_mu: a line that did not make it, on stdout as it came. */
void
kput_give_back(struct kput *p, const char *line, size_t len)
{
	if (p->out_failed)
		return;
	if (ndjson_put_line(&p->out, line, len) == -1) {
		tel_warn("stdout");
		p->out_failed = 1;
	}
}

/*
 * Records idx[0..n) of b are given up after attempts calls (0: never
 * sent): named on stderr (the first few of the run), written to stdout
 * in batch order, counted.
 */
static void
fail_records(struct lane *ln, const struct kbatch *b, const uint32_t *idx,
    size_t n, unsigned attempts)
{
	struct kput *p = ln->p;
	const struct krec *r;
	size_t i;

	pthread_mutex_lock(&p->out_mu);
	for (i = 0; i < n; i++) {
		r = &b->r[idx[i]];
		if (p->reported++ < KPUT_REPORT_MAX && attempts == 0)
			tel_warnx("line %llu: not sent: stopped",
			    (unsigned long long)r->lineno);
		else if (p->reported <= KPUT_REPORT_MAX)
			tel_warnx("line %llu: not delivered after %u "
			    "attempt%s: %s", (unsigned long long)r->lineno,
			    attempts, attempts == 1 ? "" : "s", ln->why[idx[i]]);
		kput_give_back(p, kbatch_data(b, r), r->len);
	}
	if (!p->out_failed && ndjson_flush(&p->out) == -1) {
		tel_warn("stdout");
		p->out_failed = 1;
	}
	pthread_mutex_unlock(&p->out_mu);
	count(p, attempts == 0 ? &p->st.unsent : &p->st.failed, (int64_t)n);
}

static void
why_all(struct lane *ln, const char *why)
{
	size_t i;

	for (i = 0; i < ln->ntodo; i++)
		snprintf(ln->why[ln->todo[i]], KPUT_WHY_MAX, "%s", why);
}

/*
 * Sorts the records of a PutRecords reply: stored ones are done, the
 * refused stay in todo (or go to gone if no retry can help).  -1 if the
 * reply does not answer the records sent, one for one.
 */
static int
take_reply(struct lane *ln, const struct kbatch *b, const json_t *reply)
{
	const json_t *recs = json_object_get(reply, "Records"), *e;
	const char *code, *msg;
	size_t i, keep = 0, ok = 0, bytes = 0, thr = 0;
	uint32_t x;

	if (!json_is_array(recs) || json_array_size(recs) != ln->ntodo)
		return -1;
	ln->ngone = 0;
	for (i = 0; i < ln->ntodo; i++) {
		x = ln->todo[i];
		e = json_array_get(recs, i);
		code = json_string_value(json_object_get(e, "ErrorCode"));
		if (code == NULL && json_string_value(json_object_get(e,
		    "SequenceNumber")) != NULL) {
			ok++;	/* stored only when it has its place */
			bytes += b->r[x].len;
			continue;
		}
		if (code == NULL)
			code = "NoSequenceNumber";
		msg = json_string_value(json_object_get(e, "ErrorMessage"));
		snprintf(ln->why[x], KPUT_WHY_MAX, "%s: %s", code,
		    msg != NULL ? msg : "");
		tel_printable(ln->why[x]);
		thr += is_throttle(code);
		if (is_fatal(code))
			ln->gone[ln->ngone++] = x;
		else
			ln->todo[keep++] = x;
	}
	ln->ntodo = keep;
	pthread_mutex_lock(&ln->p->mu);
	ln->p->st.put += ok;
	ln->p->st.bytes += bytes;
	ln->p->st.throttled += thr;
	pthread_mutex_unlock(&ln->p->mu);
	return 0;
}

/* A call that failed as a whole: every record keeps its reason. */
static enum attempt_end
call_failed(struct lane *ln, const struct kinesis_reply *rep,
    enum kinesis_verdict v, unsigned n)
{
	struct kput *p = ln->p;
	char why[KPUT_WHY_MAX];

	if (v == KINESIS_OK)
		snprintf(why, sizeof(why), "PutRecords: a reply that does not "
		    "answer the %zu records sent", ln->ntodo);
	else
		kinesis_reply_describe(rep, why, sizeof(why));
	why_all(ln, why);
	pthread_mutex_lock(&p->mu);
	p->st.call_errors++;
	if (is_throttle(rep->type))
		p->st.throttled += ln->ntodo;
	pthread_mutex_unlock(&p->mu);
	if (v == KINESIS_FAIL)
		return ATTEMPT_GIVE_UP;
	if (p->o.verbose >= 0 && !p->abandon)
		tel_warnx("PutRecords, attempt %u: %s; retrying", n, why);
	return ATTEMPT_AGAIN;
}

/* One PutRecords call for the records in todo. */
static enum attempt_end
attempt(struct lane *ln, const struct kbatch *b, unsigned n)
{
	struct kput *p = ln->p;
	struct kinesis_reply rep;
	enum kinesis_verdict v;
	enum attempt_end end;
	size_t len;

	if (kput_body(ln, b, &len) == -1) {
		why_all(ln, "out of memory");
		return ATTEMPT_GIVE_UP;
	}
	pthread_mutex_lock(&p->mu);
	p->st.calls++;
	p->st.in_flight += ln->ntodo;
	pthread_mutex_unlock(&p->mu);
	memset(&rep, 0, sizeof(rep));
	v = kinesis_call(&ln->conn, "PutRecords", ln->body, len, &rep);
	count(p, &p->st.in_flight, -(int64_t)ln->ntodo);
	if (v == KINESIS_OK && take_reply(ln, b, rep.json) == 0) {
		if (ln->ngone > 0)
			fail_records(ln, b, ln->gone, ln->ngone, n);
		end = ln->ntodo > 0 ? ATTEMPT_AGAIN : ATTEMPT_DONE;
	} else
		end = call_failed(ln, &rep, v, n);
	kinesis_reply_free(&rep);
	return end;
}

/* -vv: what the next attempt is for. */
static void
trace_retry(struct lane *ln, const struct kbatch *b, unsigned n)
{
	if (ln->p->o.verbose < 2)
		return;
	tel_warnx("lane %u: %zu of %zu records to send again (attempt %u; "
	    "line %llu: %s)", ln->id, ln->ntodo, b->n, n + 1,
	    (unsigned long long)b->r[ln->todo[0]].lineno,
	    ln->why[ln->todo[0]]);
}

/*
 * Stores every record of b, retrying the refused ones with full-jitter
 * backoff until --retry-timeout has passed since the first attempt;
 * what is left then goes back on stdout.
 */
static void
send_batch(struct lane *ln, const struct kbatch *b)
{
	struct kput *p = ln->p;
	int64_t deadline = tel_mono_ms() + (int64_t)p->o.retry_ms, left;
	enum attempt_end end;
	unsigned n;
	size_t i;

	for (i = 0; i < b->n; i++)
		ln->todo[i] = (uint32_t)i;
	ln->ntodo = b->n;
	if (p->abandon) {
		fail_records(ln, b, ln->todo, ln->ntodo, 0);
		return;
	}
	for (n = 1;; n++) {
		if ((end = attempt(ln, b, n)) == ATTEMPT_DONE)
			return;
		left = deadline - tel_mono_ms();
		if (end == ATTEMPT_GIVE_UP || p->abandon || left <= 0)
			break;
		count(p, &p->st.retried, (int64_t)ln->ntodo);
		trace_retry(ln, b, n);
		/* the sleep never passes the deadline: one last try then */
		if (kinesis_sleep(&p->k, kinesis_backoff_ms(&ln->conn, n,
		    BACKOFF_BASE_MS, left < BACKOFF_CAP_MS ? left :
		    BACKOFF_CAP_MS)) == -1 || p->abandon) {
			why_all(ln, "stopped (--flush-timeout)");
			break;
		}
	}
	fail_records(ln, b, ln->todo, ln->ntodo, n);
}

/* The next batch handed over, or NULL when the lane is to end. */
static struct kbatch *
lane_take(struct lane *ln)
{
	struct kbatch *b;

	pthread_mutex_lock(&ln->mu);
	while (ln->next == NULL && !ln->closing)
		pthread_cond_wait(&ln->cond, &ln->mu);
	b = ln->next;
	ln->next = NULL;
	pthread_cond_broadcast(&ln->cond);	/* room for the next one */
	pthread_mutex_unlock(&ln->mu);
	return b;
}

static void
lane_recycle(struct lane *ln, struct kbatch *b)
{
	kbatch_clear(b);
	pthread_mutex_lock(&ln->mu);
	if (ln->spare == NULL) {
		ln->spare = b;
		b = NULL;
	}
	pthread_mutex_unlock(&ln->mu);
	kbatch_free(b);
}

static void *
lane_run(void *arg)
{
	struct lane *ln = arg;
	struct kbatch *b;

	while ((b = lane_take(ln)) != NULL) {
		send_batch(ln, b);
		lane_recycle(ln, b);
	}
	pthread_mutex_lock(&ln->mu);
	ln->done = 1;
	pthread_cond_broadcast(&ln->cond);
	pthread_mutex_unlock(&ln->mu);
	return NULL;
}

/* Waits on the lane's condition for a tick (the caller holds mu). */
static void
lane_wait_tick(struct lane *ln)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += WAIT_TICK_MS * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&ln->cond, &ln->mu, &ts);
}

/*
 * After a signal, the lanes get --flush-timeout to send what they hold;
 * then (or at a second signal) their calls and sleeps are cut short.
 * Called by the main thread from its waits.
 */
void
kput_deadline(struct kput *p)
{
	static int64_t deadline = -1;

	if (!kput_stop || p->abandon)
		return;
	if (deadline == -1)
		deadline = tel_mono_ms() + (int64_t)p->o.flush_ms;
	if (kput_stop > 1 || tel_mono_ms() >= deadline) {
		if (p->o.verbose >= 0)
			tel_warnx("--flush-timeout: giving up on the records "
			    "not yet stored");
		p->abandon = 1;
	}
}

static int
merge_into_next(struct lane *ln)
{
	struct kbatch *nx = ln->next, *b = ln->fill;

	if (nx->n + b->n > KINESIS_PUT_RECORDS_MAX ||
	    nx->bytes + b->bytes > KINESIS_PUT_BYTES_MAX)
		return 0;
	if (kbatch_merge(nx, b) == -1)
		return 0;
	kbatch_clear(b);
	return 1;
}

/*
 * The main thread hands its filling batch to the lane.  With wait, it
 * waits while the lane has one waiting already (backpressure); without,
 * it adds the records to the waiting one if they fit, else keeps them.
 * Returns 1 if the lane's filling batch is empty afterwards.
 */
int
lane_handoff(struct lane *ln, int wait)
{
	struct kbatch *b = ln->fill, *nb = NULL;

	if (b->n == 0)
		return 1;
	pthread_mutex_lock(&ln->mu);
	while (ln->next != NULL && wait) {
		lane_wait_tick(ln);
		pthread_mutex_unlock(&ln->mu);
		kput_deadline(ln->p);
		pthread_mutex_lock(&ln->mu);
	}
	if (ln->next == NULL) {
		ln->next = b;
		b = NULL;
		nb = ln->spare;
		ln->spare = NULL;
		pthread_cond_broadcast(&ln->cond);
	} else
		merge_into_next(ln);
	pthread_mutex_unlock(&ln->mu);
	if (b == NULL && (ln->fill = nb != NULL ? nb : kbatch_new()) == NULL) {
		tel_warnx("out of memory");
		exit(1);
	}
	return ln->fill->n == 0;
}

static int
lane_init(struct kput *p, struct lane *ln, unsigned id)
{
	ln->p = p;
	ln->id = id;
	if (pthread_mutex_init(&ln->mu, NULL) != 0 ||
	    pthread_cond_init(&ln->cond, NULL) != 0)
		return -1;
	if ((ln->fill = kbatch_new()) == NULL ||
	    (ln->todo = calloc(KINESIS_PUT_RECORDS_MAX,
	    sizeof(*ln->todo))) == NULL ||
	    (ln->gone = calloc(KINESIS_PUT_RECORDS_MAX,
	    sizeof(*ln->gone))) == NULL ||
	    (ln->why = calloc(KINESIS_PUT_RECORDS_MAX,
	    sizeof(*ln->why))) == NULL)
		return -1;
	return kinesis_conn_init(&ln->conn, &p->k);
}

/* The lanes and their threads, which never take SIGINT or SIGTERM. */
int
lanes_start(struct kput *p)
{
	sigset_t block, old;
	unsigned i;
	int rv = 0;

	if ((p->lanes = calloc(p->o.lanes, sizeof(*p->lanes))) == NULL)
		return -1;
	for (i = 0; i < p->o.lanes; i++)
		if (lane_init(p, &p->lanes[i], i) == -1)
			return -1;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (i = 0; i < p->o.lanes; i++)
		if (rv == 0 && pthread_create(&p->lanes[i].tid, NULL,
		    lane_run, &p->lanes[i]) != 0)
			rv = -1;	/* the caller exits */
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rv;
}

static void
lane_free(struct lane *ln)
{
	kinesis_conn_free(&ln->conn);
	kbatch_free(ln->fill);
	kbatch_free(ln->spare);
	free(ln->todo);
	free(ln->gone);
	free(ln->why);
	free(ln->body);
	pthread_mutex_destroy(&ln->mu);
	pthread_cond_destroy(&ln->cond);
}

/* Lets every lane send what it holds, then ends the threads. */
void
lanes_finish(struct kput *p)
{
	struct lane *ln;
	unsigned i;

	for (i = 0; i < p->o.lanes; i++) {
		ln = &p->lanes[i];
		pthread_mutex_lock(&ln->mu);
		ln->closing = 1;
		pthread_cond_broadcast(&ln->cond);
		pthread_mutex_unlock(&ln->mu);
	}
	for (i = 0; i < p->o.lanes; i++) {
		ln = &p->lanes[i];
		pthread_mutex_lock(&ln->mu);
		while (!ln->done) {
			lane_wait_tick(ln);
			pthread_mutex_unlock(&ln->mu);
			kput_deadline(p);
			pthread_mutex_lock(&ln->mu);
		}
		pthread_mutex_unlock(&ln->mu);
		pthread_join(ln->tid, NULL);
		lane_free(ln);
	}
	free(p->lanes);
	p->lanes = NULL;
}
