/*
 * The truck model: a fleet reporting sensor readings in turn, for the
 * truck ETL design.  Each truck drives, burns fuel and wears; now and
 * then a fault (tyre leak, overheating, oil loss, weak battery, brake
 * drag, shaking) develops until the truck is repaired.  health_status is
 * computed from the readings as rendered, by the table in tel-gen(1).
 */
#include <math.h>
#include <stdlib.h>

#include "gen.h"

enum fault { OK, TIRE_LEAK, OVERHEAT, OIL_LOSS, BATTERY, BRAKE_DRAG,
    SHAKING, NFAULT };

struct truck {
	int64_t		last;
	double		tire[4], engine, brake, trans, coolant, ambient, oil;
	double		fuel, battery, speed, target, miles, vib, lat, lon, heading;
	int		fault, fault_tire;
	double		severity;	/* grows while the fault is unrepaired */
};

struct fleet {
	struct truck	*t;
	uint64_t	 n, next;
	struct ts_cache	 ts;
};

/* Thresholds on rounded readings: outside warn -> WARNING, urgent -> URGENT. */
struct limit {
	double	warn_lo, warn_hi, urg_lo, urg_hi;
};

#define NONE_LO	(-1e300)
#define NONE_HI	(1e300)
static const struct limit lim_tire = { 95, 115, 85, 125 };
static const struct limit lim_engine = { NONE_LO, 220, NONE_LO, 235 };
static const struct limit lim_coolant = { NONE_LO, 215, NONE_LO, 230 };
static const struct limit lim_trans = { NONE_LO, 200, NONE_LO, 225 };
static const struct limit lim_brake = { NONE_LO, 400, NONE_LO, 550 };
static const struct limit lim_oil = { 25, NONE_HI, 15, NONE_HI };
static const struct limit lim_fuel = { 15, NONE_HI, 5, NONE_HI };
static const struct limit lim_battery = { 12.4, 14.8, 11.8, 15.2 };
static const struct limit lim_vib = { NONE_LO, 4.0, NONE_LO, 7.0 };
static const struct limit lim_miles = { NONE_LO, 25000, NONE_LO, 30000 };

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

static const double pow10[] = { 1, 10, 100, 1000, 10000, 100000 };

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
		t->tire[i] = 103 + 4 * tel_prng_normal(rng) / 2;
	t->ambient = 20 + tel_prng_double(rng) * 70;
	t->engine = 195;
	t->coolant = 190;
	t->trans = 170;
	t->brake = 180;
	t->oil = 45;
	t->fuel = 30 + tel_prng_double(rng) * 70;
	t->battery = 13.9;
	t->target = 55 + tel_prng_double(rng) * 15;
	t->speed = t->target;
	t->miles = (double)tel_prng_below(rng, 24000);
	t->vib = 1.2;
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

static void
sense(struct truck *t, struct tel_prng *rng, double hours)
{
	double load = t->speed / 70, f = t->severity;
	int i;

	for (i = 0; i < 4; i++)
		t->tire[i] = clampd(t->tire[i] + 0.3 * tel_prng_normal(rng) +
		    (103 - t->tire[i]) * 0.1, 70, 140);
	if (t->fault == TIRE_LEAK)
		t->tire[t->fault_tire] = 103 - 1.2 * f;
	t->ambient = clampd(t->ambient + 0.5 * tel_prng_normal(rng), -20, 115);
	t->engine = 190 + 15 * load + 0.05 * t->ambient +
	    2 * tel_prng_normal(rng) + (t->fault == OVERHEAT ? 2 * f : 0);
	t->coolant = t->engine - 6 + tel_prng_normal(rng);
	t->trans = 160 + 30 * load + 2 * tel_prng_normal(rng);
	t->brake = 150 + 120 * tel_prng_double(rng) * (t->target < t->speed) +
	    30 * load + (t->fault == BRAKE_DRAG ? 16 * f : 0);
	t->oil = 30 + 25 * load + 2 * tel_prng_normal(rng) -
	    (t->fault == OIL_LOSS ? 1.4 * f : 0);
	t->battery = 13.9 + 0.15 * tel_prng_normal(rng) -
	    (t->fault == BATTERY ? 0.09 * f : 0);
	t->vib = 0.8 + 1.5 * load + 0.2 * tel_prng_double(rng) +
	    (t->fault == SHAKING ? 0.3 * f : 0);
	t->fuel = clampd(t->fuel - (1 + 6 * load) * hours / 1.5, 0, 100);
	t->oil = clampd(t->oil, 0, 90);
	t->battery = clampd(t->battery, 10, 16);
}

static int
rendered_level(int worst, double v, int dec, const struct limit *l)
{
	int lv;

	if (l == NULL)
		return worst;
	lv = level((double)scaled(v, dec) / pow10[dec], l);
	return lv > worst ? lv : worst;
}

static char *
put_reading(char *p, const char *name, double v, int dec,
    const struct limit *l, int *worst)
{
	*p++ = ',';
	*p++ = '"';
	p = put_str(p, name);
	*p++ = '"';
	*p++ = ':';
	p = put_fixed(p, scaled(v, dec), dec);
	*worst = rendered_level(*worst, v, dec, l);
	return p;
}

static char *
render(char *p, struct fleet *fl, uint64_t id, const struct truck *t,
    int64_t now)
{
	static const char *const status[] = { "NORMAL", "WARNING", "URGENT" };
	static const char *const tires[] = { "tire_pressure_fl_psi",
	    "tire_pressure_fr_psi", "tire_pressure_rl_psi",
	    "tire_pressure_rr_psi" };
	int worst = 0, i;
	double rpm = t->speed > 0 ? 650 + t->speed * 19 : 600;

	p = PUT_LIT(p, "{\"truck_id\":\"TRUCK_");
	p = put_u64_pad(p, id, 5);
	p = PUT_LIT(p, "\",\"timestamp\":\"");
	p = put_ts(p, &fl->ts, now);
	*p++ = '"';
	for (i = 0; i < 4; i++)
		p = put_reading(p, tires[i], t->tire[i], 1, &lim_tire, &worst);
	p = put_reading(p, "engine_temp_f", t->engine, 1, &lim_engine, &worst);
	p = put_reading(p, "brake_temp_f", t->brake, 1, &lim_brake, &worst);
	p = put_reading(p, "transmission_temp_f", t->trans, 1, &lim_trans,
	    &worst);
	p = put_reading(p, "coolant_temp_f", t->coolant, 1, &lim_coolant,
	    &worst);
	p = put_reading(p, "ambient_temp_f", t->ambient, 1, NULL, &worst);
	p = put_reading(p, "oil_pressure_psi", t->oil, 1, &lim_oil, &worst);
	p = put_reading(p, "fuel_level_pct", t->fuel, 1, &lim_fuel, &worst);
	p = put_reading(p, "battery_voltage", t->battery, 2, &lim_battery,
	    &worst);
	p = put_reading(p, "speed_mph", t->speed, 1, NULL, &worst);
	p = put_reading(p, "engine_rpm", rpm, 0, NULL, &worst);
	p = put_reading(p, "miles_since_maintenance", t->miles, 0, &lim_miles,
	    &worst);
	p = put_reading(p, "vibration_level", t->vib, 2, &lim_vib, &worst);
	p = put_reading(p, "fuel_consumption_gph",
	    t->speed > 0 ? 1.2 + t->speed * 0.09 : 0.8, 2, NULL, &worst);
	p = put_reading(p, "latitude", t->lat, 5, NULL, &worst);
	p = put_reading(p, "longitude", t->lon, 5, NULL, &worst);
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

	fl->next = (fl->next + 1) % fl->n;
	drive(t, rng, hours);
	wear(t, rng);
	sense(t, rng, hours);
	t->last = now;
	return (size_t)(render(dst, fl, id + 1, t, now) - dst);
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
	for (i = 0; i < fl->n; i++)
		truck_new(&fl->t[i], rng);
	return fl;
}

const struct model truck_model = {
	"truck", truck_init, truck_event, truck_fini,
};
