#!/usr/bin/env python3
"""Independent checker for tel-gen --schema truck (an oracle for t1*.t).

Reads NDJSON on stdin and checks every record against the truck-fleet
pipeline's defining record, field for field: key list and order, JSON
types judged on the raw text (a float has a decimal point, an int has
none), the number of decimals, id and timestamp formats, the health rule
of tel-gen(1), and the coherence of each truck over time.  Prints a JSON
summary on stdout (the share of records breaking the pipeline's
validation rules among it) and exits 1 with the reasons on stderr if
anything is off.

usage: check_truck.py [--start MS] [--trucks N] [--corrupt]
  --start MS   records must fall in the 5 minutes before MS
  --trucks N   the fleet is TRUCK_001 .. N, each reporting in turn
  --corrupt    unparsable lines are counted, not errors; lines may be
               missing, so the checks across records are skipped
"""
import collections
import datetime
import json
import math
import re
import sys

errors = []


def fail(msg):
    if len(errors) < 30:
        errors.append(msg)


# The defining record of the truck-fleet pipeline, in its order:
# name -> kind, "str", "int", or "fN" for a float with N decimals.
FIELDS = [
    ("truck_id", "str"), ("timestamp", "str"),
    ("tire_pressure_fl", "f1"), ("tire_pressure_fr", "f1"),
    ("tire_pressure_rl", "f1"), ("tire_pressure_rr", "f1"),
    ("engine_temp", "f1"), ("oil_pressure", "f1"), ("fuel_level", "f1"),
    ("brake_temp", "f1"), ("transmission_temp", "f1"),
    ("battery_voltage", "f1"), ("coolant_temp", "f1"), ("speed", "f1"),
    ("engine_rpm", "int"), ("miles_since_maintenance", "int"),
    ("ambient_temp", "f1"), ("vibration_level", "f1"),
    ("fuel_consumption_rate", "f1"), ("latitude", "f6"),
    ("longitude", "f6"), ("health_status", "str"),
]
NAMES = [k for k, _ in FIELDS]
TIRES = NAMES[2:6]
ID_RE = re.compile(r"^TRUCK_(\d{3}|[1-9]\d{3,})$")
TS_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
INT_RE = re.compile(r"^-?(0|[1-9]\d*)$")
STATUSES = ("NORMAL", "WARNING", "URGENT")

# tel-gen(1), HEALTH STATUS: reading -> (normal_lo, normal_hi, urgent_lo,
# urgent_hi); outside the normal range is WARNING, outside the other
# URGENT.  None: no bound on that side.
HEALTH = {
    "tire_pressure_fl": (30.0, 34.0, 29.0, 35.0),
    "tire_pressure_fr": (30.0, 34.0, 29.0, 35.0),
    "tire_pressure_rl": (30.0, 34.0, 29.0, 35.0),
    "tire_pressure_rr": (30.0, 34.0, 29.0, 35.0),
    "engine_temp": (75.0, 108.0, 70.0, 115.0),
    "speed": (None, 108.0, 0.0, 120.0),
    "oil_pressure": (25.0, None, 15.0, None),
    "fuel_level": (15.0, None, 5.0, None),
    "brake_temp": (None, 150.0, None, 250.0),
    "transmission_temp": (None, 95.0, None, 105.0),
    "battery_voltage": (12.2, 14.8, 11.8, 15.2),
    "coolant_temp": (None, 105.0, None, 112.0),
    "miles_since_maintenance": (None, 25000, None, 30000),
    "vibration_level": (None, 1.5, None, 3.0),
}

# Where the simulated readings stay (tel-gen(1)); the rule-bound ones
# (tyres, engine, speed) are judged by the rules instead.
PHYSICAL = {
    "oil_pressure": (0, 90), "fuel_level": (0, 100), "brake_temp": (0, 400),
    "transmission_temp": (40, 130), "battery_voltage": (10, 16),
    "coolant_temp": (40, 160), "engine_rpm": (600, 2170),
    "miles_since_maintenance": (0, 10 ** 6), "ambient_temp": (-30, 50),
    "vibration_level": (0, 10), "fuel_consumption_rate": (0.8, 8.4),
    "latitude": (25, 49), "longitude": (-124, -67),
}


def outside(v, lo, hi):
    return (lo is not None and v < lo) or (hi is not None and v > hi)


def health(ev):
    """The status tel-gen(1) says the readings as written call for."""
    worst = 0
    for k, (nlo, nhi, ulo, uhi) in HEALTH.items():
        v = ev[k]
        if outside(v, ulo, uhi):
            worst = 2
        elif outside(v, nlo, nhi):
            worst = max(worst, 1)
    return STATUSES[worst]


def broken_rules(ev):
    """The pipeline's validation rules this record breaks."""
    out = []
    if any(not 28.0 <= ev[k] <= 35.0 for k in TIRES):
        out.append("tire")
    if not 70.0 <= ev["engine_temp"] <= 120.0:
        out.append("engine")
    if not 0 <= ev["speed"] <= 120:
        out.append("speed")
    if ev["health_status"] not in STATUSES:
        out.append("status")
    return out


def parse(raw):
    """The record as (key, (kind, text or value)) pairs, in order."""
    return json.loads(raw.decode("utf-8", errors="strict"),
                      object_pairs_hook=lambda pairs: pairs,
                      parse_int=lambda s: ("int", s),
                      parse_float=lambda s: ("float", s),
                      parse_constant=lambda s: ("const", s))


def check_value(n, key, want, got):
    """The Python value of one field, or None if its text is wrong."""
    if want == "str":
        if not isinstance(got, str):
            return fail("line %d: %s is %r, not a string" % (n, key, got))
        return got
    if not isinstance(got, tuple) or got[0] == "const":
        return fail("line %d: %s is %r, not a number" % (n, key, got))
    kind, text = got
    if want == "int":
        if kind != "int" or not INT_RE.match(text):
            return fail("line %d: %s %s is not an integer" % (n, key, text))
        return int(text)
    dec = int(want[1:])
    if kind != "float" or not re.fullmatch(r"-?(0|[1-9]\d*)\.\d{%d}" % dec, text):
        return fail("line %d: %s %s is not a number with %d decimals" % (n, key, text, dec))
    if text == "-0." + "0" * dec:
        return fail("line %d: %s is negative zero" % (n, key))
    return float(text)


def line_re():
    """The whole record in one pattern: names, order, types, decimals."""
    num = {"int": r"(-?(?:0|[1-9]\d*))", "str": r'"([^"\\\x00-\x1f]*)"'}
    parts = []
    for key, kind in FIELDS:
        val = num.get(kind) or r"(-?(?:0|[1-9]\d*)\.\d{%s})" % kind[1:]
        parts.append('"%s":%s' % (key, val))
    return re.compile(("^{" + ",".join(parts) + "}\n?$").encode())


LINE_RE = line_re()
CONVERT = {"str": lambda b: b.decode("utf-8"), "int": int}


def record(raw, n):
    """The checked record as a dict, or None."""
    m = LINE_RE.match(raw)
    if m:
        ev = {key: CONVERT.get(kind, float)(g)
              for (key, kind), g in zip(FIELDS, m.groups())}
        for k, v in ev.items():
            if isinstance(v, float) and v == 0 and m.group(NAMES.index(k) + 1)[:1] == b"-":
                return fail("line %d: %s is negative zero" % (n, k))
        return ev
    ev = record_slow(raw, n)
    if ev is not None:
        fail("line %d: not the defining record" % n)
    return None


def record_slow(raw, n):
    """Field by field, to say what is wrong with a line."""
    pairs = parse(raw)
    if not isinstance(pairs, list):
        raise ValueError("not an object")
    if [k for k, _ in pairs] != NAMES:
        return fail("line %d: fields %s" % (n, [k for k, _ in pairs]))
    ev = {}
    for (key, want), (_, got) in zip(FIELDS, pairs):
        ev[key] = check_value(n, key, want, got)
        if ev[key] is None:
            return None
    # compact: the only blank is the one inside the timestamp
    if re.search(rb"\s", raw.rstrip(b"\n").replace(ev["timestamp"].encode(), b"")):
        fail("line %d: not compact JSON" % n)
    return ev


TS_CACHE = {}


def ts_ms(n, s):
    """Milliseconds since the epoch of a UTC "YYYY-MM-DD HH:MM:SS"."""
    if s in TS_CACHE:
        return TS_CACHE[s]
    if not TS_RE.match(s):
        raise ValueError("timestamp %r" % s)
    d = datetime.datetime.strptime(s, "%Y-%m-%d %H:%M:%S")
    TS_CACHE.clear()
    TS_CACHE[s] = int(d.replace(tzinfo=datetime.timezone.utc).timestamp()) * 1000
    return TS_CACHE[s]


def check_fields(ev, n, st):
    m = ID_RE.match(ev["truck_id"])
    if not m or int(m.group(1)) == 0:
        fail("line %d: truck_id %r" % (n, ev["truck_id"]))
    elif st["trucks_opt"] and int(m.group(1)) > st["trucks_opt"]:
        fail("line %d: %s outside the fleet" % (n, ev["truck_id"]))
    for k, (lo, hi) in PHYSICAL.items():
        if not lo <= ev[k] <= hi:
            fail("line %d: %s = %s outside %s..%s" % (n, k, ev[k], lo, hi))
    want = health(ev)
    if ev["health_status"] != want:
        fail("line %d: health_status %s, readings say %s" % (n, ev["health_status"], want))
    broken = broken_rules(ev)
    if not any(r == "speed" for r in broken):
        check_engine(ev, n)
    return broken


def check_engine(ev, n):
    """rpm and consumption follow the speed, when the speed is true."""
    s = ev["speed"]
    rpm, rate = (600, 0.8) if s == 0 else (650 + 19 * s, 1.2 + 0.09 * s)
    if s != 0 and s < 1:
        fail("line %d: speed %s: a truck under 1 mph is standing" % (n, s))
    if abs(ev["engine_rpm"] - rpm) > 19 * 0.05 + 0.5 + 1e-9:
        fail("line %d: engine_rpm %d at %s mph" % (n, ev["engine_rpm"], s))
    if abs(ev["fuel_consumption_rate"] - rate) > 0.09 * 0.05 + 0.05 + 1e-9:
        fail("line %d: fuel_consumption_rate %s at %s mph" % (n, ev["fuel_consumption_rate"], s))


def miles_apart(a, b):
    """Distance on the model's flat earth: 69 miles a degree."""
    dy = (b["latitude"] - a["latitude"]) * 69.0
    dx = (b["longitude"] - a["longitude"]) * 69.0 * math.cos(math.radians(b["latitude"]))
    return math.hypot(dx, dy)


def check_truck(ev, n, t, st, broken):
    """Against the truck's previous record."""
    tid = ev["truck_id"]
    prev = st["last"].get(tid)
    st["last"][tid] = (ev, t, n)
    if prev is None or st["corrupt_ok"]:
        return
    pev, pt, pn = prev
    if t < pt:
        return fail("line %d: %s went back in time" % (n, tid))
    if st["trucks_opt"] and n - pn != st["trucks_opt"]:
        fail("line %d: %s spoke %d lines after its last" % (n, tid, n - pn))
    # at most 80 mph and (1 + 6 * 80 / 70) / 1.5 % of the tank an hour
    hours = (t - pt + 1000) / 3.6e6
    burn = (1 + 6 * 80 / 70) / 1.5 * hours + 0.1
    dm = ev["miles_since_maintenance"] - pev["miles_since_maintenance"]
    if dm > 80 * hours + 1:
        fail("line %d: %s drove %d miles in %d ms" % (n, tid, dm, t - pt))
    if dm < 0:
        st["resets"] += 1
    if dm < 0 and not (pev["miles_since_maintenance"] > 29000 and
                       ev["miles_since_maintenance"] == 0):
        fail("line %d: %s miles %d -> %d" % (n, tid, pev["miles_since_maintenance"],
                                               ev["miles_since_maintenance"]))
    # the weather drifts about 2 degrees an hour: 6 sigma, and rounding
    da = abs(ev["ambient_temp"] - pev["ambient_temp"])
    if da > 12 * math.sqrt((t - pt + 1000) / 3.6e6) + 0.1 + 1e-9:
        fail("line %d: %s ambient %s -> %s in %d ms" % (n, tid, pev["ambient_temp"],
                                                      ev["ambient_temp"], t - pt))
    df = ev["fuel_level"] - pev["fuel_level"]
    if df > 0:	# filled to 95-100 below 8, then driven on
        st["refuels"] += 1
        if not (pev["fuel_level"] <= 8.0 and ev["fuel_level"] >= 95.0 - burn):
            fail("line %d: %s fuel %s -> %s" % (n, tid, pev["fuel_level"], ev["fuel_level"]))
    elif -df > burn:
        fail("line %d: %s fuel %s -> %s in %d ms" % (n, tid, pev["fuel_level"],
                                                   ev["fuel_level"], t - pt))
    if "speed" in broken:
        return
    # moved at most the speed for the time (1 s for truncated seconds)
    d = miles_apart(pev, ev)
    if d > (ev["speed"] + 0.05) * hours * 1.02 + 1e-4:
        fail("line %d: %s moved %.4f miles at %s mph in %d ms" % (n, tid, d, ev["speed"], t - pt))
    st["miles_moved"] += d


def check_runs(st, tid, bad):
    """Lengths of each truck's runs of rule-breaking records."""
    run = st["run"].get(tid, 0)
    if bad:
        st["run"][tid] = run + 1
    elif run:
        st["runs"].append(run)
        st["run"][tid] = 0


def main():
    args = sys.argv[1:]
    st = {"start": None, "trucks_opt": 0, "corrupt_ok": False, "last": {},
          "status": collections.Counter(), "rules": collections.Counter(),
          "run": {}, "runs": [], "refuels": 0, "resets": 0, "miles_moved": 0.0}
    while args:
        a = args.pop(0)
        if a == "--start":
            st["start"] = int(args.pop(0))
        elif a == "--trucks":
            st["trucks_opt"] = int(args.pop(0))
        elif a == "--corrupt":
            st["corrupt_ok"] = True
        else:
            sys.exit("check_truck.py: unknown argument " + a)
    lines = bad = broken = in_range = 0
    last = None
    for n, raw in enumerate(sys.stdin.buffer, 1):
        lines += 1
        if not raw.endswith(b"\n"):
            fail("line %d: no newline" % n)
        try:
            ev = record(raw, n)
        except ValueError:
            bad += 1
            if not st["corrupt_ok"]:
                fail("line %d: not JSON: %r" % (n, raw[:80]))
            continue
        if ev is None:
            continue
        try:
            t = ts_ms(n, ev["timestamp"])
        except ValueError as e:
            fail("line %d: %s" % (n, e))
            continue
        rules = check_fields(ev, n, st)
        broken += bool(rules)
        st["rules"].update(rules)
        in_range += all(28.0 <= ev[k] <= 35.0 for k in TIRES) and \
            70.0 <= ev["engine_temp"] <= 120.0
        st["status"][ev["health_status"]] += 1
        check_truck(ev, n, t, st, rules)
        check_runs(st, ev["truck_id"], bool(rules))
        if last is not None and t < last:
            fail("line %d: stream went back in time" % n)
        last = t
        # stamped in whole seconds, rounded down
        if st["start"] is not None and not (
                (st["start"] - 300000) // 1000 * 1000 <= t < st["start"]):
            fail("line %d: %s outside the window" % (n, ev["timestamp"]))
    for tid, run in st["run"].items():
        if run:
            st["runs"].append(run)
    valid = lines - bad
    if st["trucks_opt"] and not st["corrupt_ok"] and valid >= st["trucks_opt"]:
        if len(st["last"]) != st["trucks_opt"]:
            fail("%d trucks reported, not %d" % (len(st["last"]), st["trucks_opt"]))
    runs = st["runs"]
    out = {
        "lines": lines, "unparsable": bad, "valid": valid,
        "trucks": len(st["last"]), "status": dict(st["status"]),
        "broken": broken, "broken_share": round(broken / max(valid, 1), 5),
        "broken_by_rule": dict(st["rules"]),
        "in_tire_engine_range_share": round(in_range / max(valid, 1), 5),
        "anomaly_runs": len(runs),
        "mean_run": round(sum(runs) / len(runs), 3) if runs else 0,
        "in_runs_of_2_or_more": round(sum(r for r in runs if r >= 2) / max(broken, 1), 4),
        "refuels": st["refuels"], "maintenance_resets": st["resets"],
        "miles_moved": round(st["miles_moved"], 3),
    }
    json.dump(out, sys.stdout, sort_keys=True)
    print()
    for e in errors:
        print("check_truck: " + e, file=sys.stderr)
    sys.exit(1 if errors else 0)


main()
