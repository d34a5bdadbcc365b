/*
 * The viewer model: concurrent viewing sessions, each a small state
 * machine (start, heartbeats, pause/resume, seek, buffering, quality
 * changes, errors, stop or complete).  A min-heap on each session's next
 * due time picks who speaks next; the caller supplies the clock, so a
 * session's timestamps never go backwards and its position advances
 * exactly with the time it spent playing.
 */
#include <err.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "gen.h"
#include "tables.h"

#define HEARTBEAT_MS	10000
#define FIXED_MAX	480

enum state { NEW, PLAYING, PAUSED, BUFFERING, ERRORED };

struct session {
	int64_t		last;		/* time of the previous event */
	int64_t		pos_ms, watched_ms, buffering_ms, dur_ms;
	uint32_t	bw_tenths;	/* bandwidth, 0.1 Mbit/s */
	uint8_t		state, quality, max_quality, cellular;
	uint16_t	fixed_len;
	char		fixed[FIXED_MAX];	/* the session's constant fields */
};

struct slot {
	int64_t		due;
	uint32_t	idx;
};

struct viewer {
	const struct gen_opts	*opts;
	struct session		*sess;
	struct slot		*heap;
	uint32_t		 n;
	double			*title_cdf;	/* Zipf popularity of titles */
	struct ts_cache		 ts;
};

unsigned
pick_weighted(uint64_t r, const void *base, unsigned n, size_t size,
    size_t off)
{
	const char *p = base;
	uint64_t total = 0;
	unsigned i, w;

	for (i = 0; i < n; i++) {
		memcpy(&w, p + i * size + off, sizeof(w));
		total += w;
	}
	r %= total;
	for (i = 0; i + 1 < n; i++) {
		memcpy(&w, p + i * size + off, sizeof(w));
		if (r < w)
			break;
		r -= w;
	}
	return i;
}

static void
heap_down(struct slot *h, uint32_t n, uint32_t i)
{
	struct slot x = h[i];
	uint32_t c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && h[c + 1].due < h[c].due)
			c++;
		if (h[c].due >= x.due)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

/* A popularity curve with exponent 1: title 1 is watched most. */
static double *
zipf_cdf(uint64_t n)
{
	double *cdf, sum = 0;
	uint64_t i;

	if ((cdf = calloc(n, sizeof(*cdf))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		cdf[i] = sum += 1.0 / (double)(i + 1);
	for (i = 0; i < n; i++)
		cdf[i] /= sum;
	return cdf;
}

static uint64_t
pick_title(const struct viewer *v, struct tel_prng *rng)
{
	double u = tel_prng_double(rng);
	uint64_t lo = 0, hi = v->opts->titles - 1, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v->title_cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo + 1;
}

/* Episodes of 21-62 minutes, films of 80-180; fixed for a title. */
static int64_t
title_duration_s(uint64_t title)
{
	uint64_t h = entity_hash(title, 0x7469746c65ULL);

	if (h % 100 < 62)
		return 1260 + (int64_t)(h >> 8) % 2461;
	return 4800 + (int64_t)(h >> 8) % 6001;
}

static unsigned
quality_for(uint32_t bw, unsigned max)
{
	unsigned q = 0;

	while (q + 1 < NQUALITY && bw >= quality_min_tenths[q + 1])
		q++;
	return q < max ? q : max;
}

/* Bandwidth drawn around the connection's median, within 0.3-500 Mbit/s. */
static uint32_t
clamp_bw(double tenths)
{
	if (tenths < 3)
		return 3;
	if (tenths > 5000)
		return 5000;
	return (uint32_t)tenths;
}

/* Renders the fields that stay the same for the whole session. */
static void
render_fixed(struct session *s, struct tel_prng *rng, uint64_t customer,
    uint64_t title, const struct device *d, unsigned dev_hash_os,
    unsigned conn)
{
	uint64_t h = entity_hash(customer, 0x637573746f6dULL);
	const struct country *c = &countries[PICK(h, countries, ncountries)];
	const struct city *city = &c->cities[PICK(h >> 20, c->cities, c->ncities)];
	const char *isp = c->isps[(h >> 40) % c->nisps];
	const char *os = d->os[PICK(dev_hash_os, d->os, d->nos)].name;
	const char *ver = d->versions[PICK(h >> 13 ^ dev_hash_os, d->versions,
	    d->nversions)].name;
	const char *cdn = cdns[PICK(tel_prng_next(rng), cdns, ncdns)].name;
	uint64_t sid_hi = tel_prng_next(rng), sid_lo = tel_prng_next(rng);
	int n;

	n = snprintf(s->fixed, sizeof(s->fixed),
	    ",\"customer_id\":\"CUST_%08llu\",\"session_id\":\"SESSION_%08x%016llx\""
	    ",\"title_id\":\"TITLE_%06llu\",\"title_duration_seconds\":%lld"
	    ",\"device_type\":\"%s\",\"device_os\":\"%s\",\"app_version\":\"%s\""
	    ",\"connection\":\"%s\",\"cdn\":\"%s\",\"isp\":\"%s\""
	    ",\"country\":\"%s\",\"region\":\"%s\",\"city\":\"%s\""
	    ",\"timezone\":\"%s\"",
	    (unsigned long long)customer, (unsigned)(sid_hi >> 32),
	    (unsigned long long)sid_lo, (unsigned long long)title,
	    (long long)(s->dur_ms / 1000), d->type, os, ver, conn_names[conn],
	    cdn, isp, c->code, city->region, city->name, city->tz);
	if (n < 0 || (size_t)n >= sizeof(s->fixed))
		errx(1, "internal error: session fields overflow");
	s->fixed_len = (uint16_t)n;
}

/* A new viewer sits down: customer, title, one of their devices, network. */
static void
session_new(struct viewer *v, struct session *s, struct tel_prng *rng)
{
	uint64_t customer = 1 + tel_prng_below(rng, v->opts->customers);
	uint64_t title = pick_title(v, rng);
	uint64_t ch = entity_hash(customer, 0x646576696365ULL);
	uint64_t k = tel_prng_below(rng, 1 + ch % 3);	/* 1-3 devices each */
	uint64_t dh = entity_hash(customer * 4 + k, 0x646576ULL);
	const struct device *d = &devices[PICK(dh, devices, ndevices)];
	unsigned conn = pick_weighted(tel_prng_next(rng), d->conn_weight,
	    CONN_N, sizeof(d->conn_weight[0]), 0);

	memset(s, 0, offsetof(struct session, fixed));
	s->state = NEW;
	s->dur_ms = title_duration_s(title) * 1000;
	s->max_quality = (uint8_t)d->max_quality;
	s->cellular = conn == CONN_4G || conn == CONN_5G;
	s->bw_tenths = clamp_bw(conn_median_tenths[conn] *
	    exp(0.5 * tel_prng_normal(rng)));
	s->quality = (uint8_t)quality_for(s->bw_tenths, s->max_quality);
	render_fixed(s, rng, customer, title, d, (unsigned)(dh >> 32), conn);
}

enum event {
	EV_START, EV_HEARTBEAT, EV_PAUSE, EV_RESUME, EV_SEEK, EV_BUFFER_START,
	EV_BUFFER_END, EV_QUALITY_CHANGE, EV_ERROR, EV_STOP, EV_COMPLETE,
};

static const struct {
	const char	*json;	/* rendered value, quotes included */
	size_t		 len;
} event_names[] = {
#define E(s)	{ "\"" s "\"", sizeof(s) + 1 }
	E("start"), E("heartbeat"), E("pause"), E("resume"), E("seek"),
	E("buffer_start"), E("buffer_end"), E("quality_change"), E("error"),
	E("stop"), E("complete"),
#undef E
};

#define ENDED	(-1)

static int64_t
heartbeat(struct tel_prng *rng)
{
	return HEARTBEAT_MS - 250 + (int64_t)tel_prng_below(rng, 501);
}

/* Playback goes on: the network drifts, and the viewer may act. */
static int
playing_step(struct session *s, struct tel_prng *rng, int64_t *delay,
    const char **code)
{
	double z = tel_prng_double(rng) + tel_prng_double(rng) +
	    tel_prng_double(rng) - 1.5;	/* about N(0, 0.5) */
	unsigned q;
	double r, pbuf;

	s->bw_tenths = clamp_bw(s->bw_tenths * (1.0 + 0.3 * z));
	if ((q = quality_for(s->bw_tenths, s->max_quality)) != s->quality) {
		s->quality = (uint8_t)q;
		*delay = heartbeat(rng);
		return EV_QUALITY_CHANGE;
	}
	pbuf = 0.004 + (s->bw_tenths < 30 ? 0.05 : 0) + (s->cellular ? 0.01 : 0);
	r = tel_prng_double(rng);
	if ((r -= 0.012) < 0) {
		*delay = ENDED;
		return EV_STOP;
	}
	if ((r -= 0.025) < 0) {
		s->state = PAUSED;
		*delay = 5000 + (int64_t)tel_prng_exp(rng, 40000);
		return EV_PAUSE;
	}
	if ((r -= 0.015) < 0) {
		int64_t jump = 10000 + (int64_t)tel_prng_exp(rng, 120000);

		s->pos_ms += tel_prng_chance(rng, 0.6) ? jump : -jump;
		if (s->pos_ms < 0)
			s->pos_ms = 0;
		if (s->pos_ms > s->dur_ms - 1000)
			s->pos_ms = s->dur_ms - 1000;
		*delay = heartbeat(rng);
		return EV_SEEK;
	}
	if ((r -= pbuf) < 0) {
		s->state = BUFFERING;
		*delay = 300 + (int64_t)tel_prng_exp(rng, 2500);
		return EV_BUFFER_START;
	}
	if ((r -= 0.002) < 0) {
		s->state = ERRORED;
		*code = play_errors[tel_prng_below(rng, nplay_errors)];
		*delay = 1000 + (int64_t)tel_prng_below(rng, 2001);
		return EV_ERROR;
	}
	*delay = heartbeat(rng);
	return EV_HEARTBEAT;
}

/*
 * The session's next event at time now; moves it to the state after the
 * event and sets *delay to the time until it speaks again, or ENDED.
 */
static int
step(struct session *s, struct tel_prng *rng, int64_t now, int64_t *delay,
    const char **code)
{
	int64_t el = now - s->last;

	switch (s->state) {
	case NEW:
		s->state = PLAYING;
		if (tel_prng_chance(rng, 0.35))	/* continue watching */
			s->pos_ms = (int64_t)tel_prng_below(rng,
			    (uint64_t)(s->dur_ms / 1000 * 95 / 100)) * 1000;
		*delay = heartbeat(rng);
		return EV_START;
	case PLAYING:
		s->pos_ms += el;
		s->watched_ms += el;
		if (s->pos_ms >= s->dur_ms) {
			s->watched_ms -= s->pos_ms - s->dur_ms;
			s->pos_ms = s->dur_ms;
			*delay = ENDED;
			return EV_COMPLETE;
		}
		return playing_step(s, rng, delay, code);
	case PAUSED:
		if (tel_prng_chance(rng, 0.2))
			break;
		s->state = PLAYING;
		*delay = heartbeat(rng);
		return EV_RESUME;
	case BUFFERING:
		s->buffering_ms += el;
		if (tel_prng_chance(rng, 0.03))
			break;	/* gave up waiting */
		if (tel_prng_chance(rng, 0.04)) {
			s->state = ERRORED;
			*code = net_errors[tel_prng_below(rng, nnet_errors)];
			*delay = 1000 + (int64_t)tel_prng_below(rng, 2001);
			return EV_ERROR;
		}
		s->state = PLAYING;
		*delay = heartbeat(rng);
		return EV_BUFFER_END;
	case ERRORED:
		if (tel_prng_chance(rng, 0.55))
			break;
		s->state = PLAYING;
		*delay = heartbeat(rng);
		return EV_RESUME;
	}
	*delay = ENDED;
	return EV_STOP;
}

static char *
render(char *p, struct viewer *v, const struct session *s, struct tel_prng *rng,
    int ev, int64_t now, const char *code)
{
	p = PUT_LIT(p, "{\"event_id\":\"EVENT_");
	p = put_hex(p, tel_prng_next(rng), 16);
	p = put_hex(p, tel_prng_next(rng), 16);
	p = PUT_LIT(p, "\",\"event_type\":");
	p = put_mem(p, event_names[ev].json, event_names[ev].len);
	p = PUT_LIT(p, ",\"event_timestamp\":\"");
	p = put_ts(p, &v->ts, now);
	*p++ = '"';
	p = put_mem(p, s->fixed, s->fixed_len);
	p = PUT_LIT(p, ",\"position_seconds\":");
	p = put_u64(p, (uint64_t)s->pos_ms / 1000);
	p = PUT_LIT(p, ",\"watch_duration_seconds\":");
	p = put_u64(p, (uint64_t)s->watched_ms / 1000);
	p = PUT_LIT(p, ",\"completion_percentage\":");
	p = put_fixed(p, s->pos_ms * 10000 / s->dur_ms, 2);
	p = PUT_LIT(p, ",\"quality\":\"");
	p = put_str(p, quality_names[s->quality]);
	p = PUT_LIT(p, "\",\"bandwidth_mbps\":");
	p = put_fixed(p, s->bw_tenths, 1);
	p = PUT_LIT(p, ",\"buffering_ms\":");
	p = put_u64(p, (uint64_t)s->buffering_ms);
	p = PUT_LIT(p, ",\"error_code\":");
	if (code != NULL) {
		*p++ = '"';
		p = put_str(p, code);
		*p++ = '"';
	} else
		p = PUT_LIT(p, "null");
	*p++ = '}';
	return p;
}

static size_t
viewer_event(void *arg, struct tel_prng *rng, int64_t now, char *dst)
{
	struct viewer *v = arg;
	struct slot *top = &v->heap[0];
	struct session *s = &v->sess[top->idx];
	const char *code = NULL;
	int64_t delay;
	int ev;
	char *end;

	ev = step(s, rng, now, &delay, &code);
	end = render(dst, v, s, rng, ev, now, code);
	s->last = now;
	if (delay == ENDED) {	/* the seat is taken by a new viewer soon */
		session_new(v, s, rng);
		delay = 500 + (int64_t)tel_prng_exp(rng, 4000);
	}
	top->due = now + delay;
	heap_down(v->heap, v->n, 0);
	return (size_t)(end - dst);
}

static void
viewer_fini(void *arg)
{
	struct viewer *v = arg;

	if (v == NULL)
		return;
	free(v->sess);
	free(v->heap);
	free(v->title_cdf);
	free(v);
}

static void *
viewer_init(const struct gen_opts *opts, struct tel_prng *rng, int64_t t0)
{
	struct viewer *v;
	uint32_t i;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	v->opts = opts;
	v->n = (uint32_t)opts->sessions;
	v->ts.sec = INT64_MIN;
	v->sess = calloc(v->n, sizeof(*v->sess));
	v->heap = calloc(v->n, sizeof(*v->heap));
	v->title_cdf = zipf_cdf(opts->titles);
	if (v->sess == NULL || v->heap == NULL || v->title_cdf == NULL) {
		viewer_fini(v);
		return NULL;
	}
	/* Viewers sit down over the first heartbeat interval. */
	for (i = 0; i < v->n; i++) {
		session_new(v, &v->sess[i], rng);
		v->heap[i].idx = i;
		v->heap[i].due = t0 + (int64_t)tel_prng_below(rng, HEARTBEAT_MS);
	}
	for (i = v->n / 2; i-- > 0;)
		heap_down(v->heap, v->n, i);
	return v;
}

const struct model viewer_model = {
	"viewer", viewer_init, viewer_event, viewer_fini,
};
