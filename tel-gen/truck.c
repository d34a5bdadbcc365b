/*
 * The truck model: a fleet reporting sensor readings in turn, in the
 * record of the truck-fleet pipeline.  Each truck drives, burns fuel and
 * wears; now and then a fault (tyre leak, overheating, oil loss, weak
 * battery, brake drag, shaking) develops until the truck is repaired.
 * Faults stay inside the pipeline's validation ranges: only anomalies
 * (failing sensors, --anomalies) break them.  health_status is computed
 * from the readings as rendered, by the table in tel-gen(1).
 */
#include <math.h>
#include <stdlib.h>

#include "gen.h"

enum fault { OK, TIRE_LEAK, OVERHEAT, OIL_LOSS, BATTERY, BRAKE_DRAG,
    SHAKING, NFAULT };

/* Sensor failures that break a validation rule, see glitch(). */
enum anomaly { NO_ANOMALY, FLAT, HOT, SPEED_GLITCH, STUCK_ZERO, NANOMALY };

#define ANOMALY_LEN	12	/* mean records an anomaly lasts */

struct truck {
	int64_t		last;
	double		tire[4], engine, brake, trans, coolant, ambient, oil;
	double		fuel, battery, speed, target, miles, vib, lat, lon, heading;
	int		fault, fault_tire;
	double		severity;	/* grows while the fault is unrepaired */
	int		anomaly, anomaly_at, anomaly_age;
};

struct fleet {
	struct truck	*t;
	uint64_t	 n, next;
	struct ts_cache	 ts;
	/* own stream, so anomalies change no other reading of a seed */
	struct tel_prng	 arng;
	double		 a_start, a_end;	/* per-record chances */
};

/* The readings, in the record's order. */
enum { TIRE_FL, TIRE_FR, TIRE_RL, TIRE_RR, ENGINE, OIL, FUEL, BRAKE, TRANS,
    BATT, COOLANT, SPEED, RPM, MILES, AMBIENT, VIB, CONSUMPTION, LAT, LON,
    NREADING };

/* Thresholds on rounded readings: outside warn -> WARNING, urgent -> URGENT. */
struct limit {
	double	warn_lo, warn_hi, urg_lo, urg_hi;
};

#define NONE_LO	(-1e300)
#define NONE_HI	(1e300)
static const struct limit lim_tire = { 30, 34, 29, 35 };
static const struct limit lim_engine = { 75, 108, 70, 115 };
static const struct limit lim_speed = { NONE_LO, 108, 0, 120 };
static const struct limit lim_oil = { 25, NONE_HI, 15, NONE_HI };
static const struct limit lim_fuel = { 15, NONE_HI, 5, NONE_HI };
static const struct limit lim_brake = { NONE_LO, 150, NONE_LO, 250 };
static const struct limit lim_trans = { NONE_LO, 95, NONE_LO, 105 };
static const struct limit lim_battery = { 12.2, 14.8, 11.8, 15.2 };
static const struct limit lim_coolant = { NONE_LO, 105, NONE_LO, 112 };
static const struct limit lim_miles = { NONE_LO, 25000, NONE_LO, 30000 };
static const struct limit lim_vib = { NONE_LO, 1.5, NONE_LO, 3.0 };

#define KEY(s)	",\"" s "\":", sizeof(",\"" s "\":") - 1
static const struct {
	const char		*key;	/* ,"name": */
	size_t			 len;
	int			 dec;
	const struct limit	*lim;
} fields[NREADING] = {
	{ KEY("tire_pressure_fl"), 1, &lim_tire },
	{ KEY("tire_pressure_fr"), 1, &lim_tire },
	{ KEY("tire_pressure_rl"), 1, &lim_tire },
	{ KEY("tire_pressure_rr"), 1, &lim_tire },
	{ KEY("engine_temp"), 1, &lim_engine },
	{ KEY("oil_pressure"), 1, &lim_oil },
	{ KEY("fuel_level"), 1, &lim_fuel },
	{ KEY("brake_temp"), 1, &lim_brake },
	{ KEY("transmission_temp"), 1, &lim_trans },
	{ KEY("battery_voltage"), 1, &lim_battery },
	{ KEY("coolant_temp"), 1, &lim_coolant },
	{ KEY("speed"), 1, &lim_speed },
	{ KEY("engine_rpm"), 0, NULL },
	{ KEY("miles_since_maintenance"), 0, &lim_miles },
	{ KEY("ambient_temp"), 1, NULL },
	{ KEY("vibration_level"), 1, &lim_vib },
	{ KEY("fuel_consumption_rate"), 1, NULL },
	{ KEY("latitude"), 6, NULL },
	{ KEY("longitude"), 6, NULL },
};
#undef KEY

static int
level(double v, const struct limit *l)
{
	if (v < l->urg_lo || v > l->urg_hi)
		return 2;
	if (v < l->warn_lo || v > l->warn_hi)
		return 1;
	return 0;
}

static double
clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static const double pow10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };

/* Rounds to dec decimals, as the value will be rendered. */
static int64_t
scaled(double v, int dec)
{
	return (int64_t)llround(v * pow10[dec]);
}

static void
truck_new(struct truck *t, struct tel_prng *rng)
{
	int i;

	for (i = 0; i < 4; i++)
		t->tire[i] = 31.5 + 0.4 * tel_prng_normal(rng);
	t->ambient = -5 + tel_prng_double(rng) * 35;
	t->engine = 95;
	t->coolant = 89;
	t->trans = 82;
	t->brake = 80;
	t->oil = 45;
	/* a few start due to refuel or for service, as in any fleet */
	t->fuel = 3 + tel_prng_double(rng) * 97;
	t->battery = 13.8;
	t->target = 55 + tel_prng_double(rng) * 15;
	t->speed = t->target;
	t->miles = (double)tel_prng_below(rng, 29500);
	t->vib = 0.5;
	t->lat = 30 + tel_prng_double(rng) * 16;
	t->lon = -120 + tel_prng_double(rng) * 45;
	t->heading = tel_prng_double(rng) * 6.283185307179586;
}

static void
drive(struct truck *t, struct tel_prng *rng, double hours)
{
	double dist, r = tel_prng_double(rng);

	if (r < 0.02)
		t->target = 0;				/* a stop */
	else if (r < 0.10)
		t->target = 25 + tel_prng_double(rng) * 20;	/* town */
	else if (r < 0.25)
		t->target = 55 + tel_prng_double(rng) * 17;	/* highway */
	t->speed = clampd(t->speed + (t->target - t->speed) * 0.5 +
	    tel_prng_normal(rng), 0, 80);
	if (t->speed < 1)
		t->speed = 0;
	dist = t->speed * hours;
	t->miles += dist;
	t->heading += 0.2 * tel_prng_normal(rng);
	t->lat += dist / 69.0 * cos(t->heading);
	t->lon += dist / (69.0 * cos(t->lat * 0.017453292519943295)) *
	    sin(t->heading);
	if (t->lat < 25 || t->lat > 49 || t->lon < -124 || t->lon > -67) {
		t->heading += 3.141592653589793;	/* turn back inland */
		t->lat = clampd(t->lat, 25, 49);
		t->lon = clampd(t->lon, -124, -67);
	}
}

/* Faults appear rarely, worsen steadily, and are repaired once urgent. */
static void
wear(struct truck *t, struct tel_prng *rng)
{
	if (t->fault == OK) {
		if (tel_prng_chance(rng, 0.004)) {
			t->fault = 1 + (int)tel_prng_below(rng, NFAULT - 1);
			t->fault_tire = (int)tel_prng_below(rng, 4);
			t->severity = 0;
		}
	} else {
		t->severity += 0.5 + tel_prng_double(rng);
		if (t->severity > 25 && tel_prng_chance(rng, 0.1)) {
			t->fault = OK;	/* repaired */
			t->severity = 0;
		}
	}
	if (t->fuel < 8 && tel_prng_chance(rng, 0.3))
		t->fuel = 95 + tel_prng_double(rng) * 5;
	if (t->miles > 29000 && tel_prng_chance(rng, 0.05))
		t->miles = 0;
}

/*
 * The true state of the truck.  Tyres, engine and speed are clamped
 * inside the validation ranges (28-35, 70-120, 0-120): a fault at its
 * worst is URGENT, but only a failing sensor breaks a rule.
 */
static void
sense(struct truck *t, struct tel_prng *rng, double hours)
{
	double load = t->speed / 70, f = t->severity;
	int i;

	for (i = 0; i < 4; i++)		/* hot tyres run a little harder */
		t->tire[i] = clampd(t->tire[i] + 0.1 * tel_prng_normal(rng) +
		    (31.5 + load - t->tire[i]) * 0.1, 28.1, 34.9);
	if (t->fault == TIRE_LEAK)
		t->tire[t->fault_tire] = clampd(31.5 - 0.15 * f, 28.1, 34.9);
	/* the weather drifts with time, not with how often a truck reports */
	t->ambient = clampd(t->ambient + 2 * sqrt(hours) *
	    tel_prng_normal(rng), -30, 50);
	t->engine = clampd(88 + 8 * load + 0.1 * t->ambient +
	    1.2 * tel_prng_normal(rng) + (t->fault == OVERHEAT ? 0.9 * f : 0),
	    72, 119);
	t->coolant = t->engine - 6 + tel_prng_normal(rng);
	t->trans = 70 + 15 * load + 1.5 * tel_prng_normal(rng);
	t->brake = clampd(60 + 60 * tel_prng_double(rng) *
	    (t->target < t->speed) + 20 * load +
	    (t->fault == BRAKE_DRAG ? 7 * f : 0), 0, 400);
	t->oil = clampd(30 + 25 * load + 2 * tel_prng_normal(rng) -
	    (t->fault == OIL_LOSS ? 1.4 * f : 0), 0, 90);
	t->battery = clampd(13.5 + 0.4 * load + 0.15 * tel_prng_normal(rng) -
	    (t->fault == BATTERY ? 0.08 * f : 0), 10, 16);
	t->vib = clampd(0.2 + 0.4 * load + 0.1 * tel_prng_double(rng) +
	    (t->fault == SHAKING ? 0.12 * f : 0), 0, 10);
	t->fuel = clampd(t->fuel - (1 + 6 * load) * hours / 1.5, 0, 100);
}

/* The readings as the sensors report them, before any anomaly. */
static void
read_out(const struct truck *t, double *v)
{
	int i;

	for (i = 0; i < 4; i++)
		v[TIRE_FL + i] = t->tire[i];
	v[ENGINE] = t->engine;
	v[OIL] = t->oil;
	v[FUEL] = t->fuel;
	v[BRAKE] = t->brake;
	v[TRANS] = t->trans;
	v[BATT] = t->battery;
	v[COOLANT] = t->coolant;
	v[SPEED] = t->speed;
	v[RPM] = t->speed > 0 ? 650 + t->speed * 19 : 600;
	v[MILES] = t->miles;
	v[AMBIENT] = t->ambient;
	v[VIB] = t->vib;
	v[CONSUMPTION] = t->speed > 0 ? 1.2 + t->speed * 0.09 : 0.8;
	v[LAT] = t->lat;
	v[LON] = t->lon;
}

/*
 * Chances per record that an anomaly starts (a) and ends (b), such that
 * a truck is in one a fraction rate of its records, a / (a + b), and an
 * anomaly lasts ANOMALY_LEN records on average where the rate allows.
 */
static void
anomaly_chances(struct fleet *fl, double rate)
{
	if (rate <= 0.5) {
		fl->a_end = 1.0 / ANOMALY_LEN;
		fl->a_start = rate / (1 - rate) * fl->a_end;
	} else {
		fl->a_start = 1.0 / ANOMALY_LEN;
		fl->a_end = (1 - rate) / rate * fl->a_start;
	}
}

static void
anomaly_begin(struct fleet *fl, struct truck *t)
{
	t->anomaly = 1 + (int)tel_prng_below(&fl->arng, NANOMALY - 1);
	/* which tyre, or for a stuck sensor 4: the engine's */
	t->anomaly_at = (int)tel_prng_below(&fl->arng,
	    t->anomaly == STUCK_ZERO ? 5 : 4);
	t->anomaly_age = 0;
}

/* Advances the truck's anomaly by one record: begins, goes on or ends. */
static void
anomaly_step(struct fleet *fl, struct truck *t)
{
	if (t->anomaly == NO_ANOMALY) {
		if (tel_prng_chance(&fl->arng, fl->a_start))
			anomaly_begin(fl, t);
	} else if (tel_prng_chance(&fl->arng, fl->a_end))
		t->anomaly = NO_ANOMALY;
	else
		t->anomaly_age++;
}

/* A failing sensor: every reading it makes breaks a validation rule. */
static void
glitch(struct fleet *fl, const struct truck *t, double *v)
{
	double u = tel_prng_double(&fl->arng), k = t->anomaly_age;

	switch (t->anomaly) {
	case FLAT:		/* a tyre losing pressure */
		v[TIRE_FL + t->anomaly_at] = clampd(27.8 - 1.2 * k -
		    0.3 * u, 0, 27.8);
		break;
	case HOT:		/* overheating past the limit */
		v[ENGINE] = clampd(121 + 1.5 * k + u, 121, 160);
		v[COOLANT] = v[ENGINE] - 6;
		break;
	case SPEED_GLITCH:	/* spikes and negative readings */
		v[SPEED] = tel_prng_chance(&fl->arng, 0.5) ? 121 + 130 * u :
		    -0.5 - 40 * u;
		break;
	case STUCK_ZERO:	/* a tyre or the engine sensor reads 0 */
		v[t->anomaly_at == 4 ? ENGINE : TIRE_FL + t->anomaly_at] = 0;
		break;
	}
}

/* "YYYY-MM-DD HH:MM:SS", UTC, as the pipeline's records have it. */
static char *
put_time(char *p, struct ts_cache *c, int64_t ms)
{
	char rfc[TEL_RFC3339_LEN];

	put_ts(rfc, c, ms);
	memcpy(p, rfc, 19);
	p[10] = ' ';
	return p + 19;
}

static char *
render(char *p, struct fleet *fl, uint64_t id, const double *v, int64_t now)
{
	static const char *const status[] = { "NORMAL", "WARNING", "URGENT" };
	int worst = 0, lv, i;
	int64_t x;

	p = PUT_LIT(p, "{\"truck_id\":\"TRUCK_");
	p = put_u64_pad(p, id, 3);
	p = PUT_LIT(p, "\",\"timestamp\":\"");
	p = put_time(p, &fl->ts, now);
	*p++ = '"';
	for (i = 0; i < NREADING; i++) {
		x = scaled(v[i], fields[i].dec);
		p = put_mem(p, fields[i].key, fields[i].len);
		p = put_fixed(p, x, fields[i].dec);
		if (fields[i].lim == NULL)
			continue;
		lv = level((double)x / pow10[fields[i].dec], fields[i].lim);
		worst = lv > worst ? lv : worst;
	}
	p = PUT_LIT(p, ",\"health_status\":\"");
	p = put_str(p, status[worst]);
	*p++ = '"';
	*p++ = '}';
	return p;
}

static size_t
truck_event(void *arg, struct tel_prng *rng, int64_t now, char *dst)
{
	struct fleet *fl = arg;
	uint64_t id = fl->next;
	struct truck *t = &fl->t[id];
	double hours = t->last ? (double)(now - t->last) / 3.6e6 : 0;
	double v[NREADING];

	fl->next = (fl->next + 1) % fl->n;
	drive(t, rng, hours);
	wear(t, rng);
	sense(t, rng, hours);
	t->last = now;
	read_out(t, v);
	anomaly_step(fl, t);
	if (t->anomaly != NO_ANOMALY)
		glitch(fl, t, v);
	return (size_t)(render(dst, fl, id + 1, v, now) - dst);
}

static void
truck_fini(void *arg)
{
	struct fleet *fl = arg;

	if (fl != NULL)
		free(fl->t);
	free(fl);
}

static void *
truck_init(const struct gen_opts *opts, struct tel_prng *rng, int64_t t0)
{
	struct fleet *fl;
	uint64_t i;

	(void)t0;
	if ((fl = calloc(1, sizeof(*fl))) == NULL)
		return NULL;
	fl->n = opts->trucks;
	fl->ts.sec = INT64_MIN;
	if ((fl->t = calloc(fl->n, sizeof(*fl->t))) == NULL) {
		free(fl);
		return NULL;
	}
	tel_prng_seed(&fl->arng, tel_prng_next(rng));
	anomaly_chances(fl, opts->anomalies);
	for (i = 0; i < fl->n; i++) {
		truck_new(&fl->t[i], rng);
		/* start as the run would go on: a share rate already failing */
		if (tel_prng_chance(&fl->arng, opts->anomalies)) {
			anomaly_begin(fl, &fl->t[i]);
			fl->t[i].anomaly_age = (int)tel_prng_below(&fl->arng,
			    ANOMALY_LEN);
		}
	}
	return fl;
}

const struct model truck_model = {
	"truck", truck_init, truck_event, truck_fini,
};
