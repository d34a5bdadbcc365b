#!/usr/bin/env python3
"""Independent checker for tel-gen viewer output (an oracle for t1*.t).

Reads NDJSON on stdin, parses every line with Python's strict json and
UTF-8 decoders, checks the documented schema and the invariants of the
simulation, prints a JSON summary of distributions on stdout, and exits 1
with the reasons on stderr if anything is off.  The truck schema has its
own checker, check_truck.py.

usage: check_gen.py viewer [--start MS] [--corrupt]
  --start MS   events must fall in the 5 minutes before MS
  --corrupt    unparsable lines are counted, not errors
"""
import collections
import datetime
import json
import re
import sys
import zoneinfo

errors = []


def fail(msg):
    if len(errors) < 30:
        errors.append(msg)


TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def ts_ms(s):
    if not isinstance(s, str) or not TS_RE.match(s):
        raise ValueError("bad timestamp %r" % (s,))
    d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
    d = d.replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp() * 1000 + 0.5)


def reject_constant(name):
    raise ValueError("not JSON: " + name)


def zone_countries():
    """country code -> set of zones, from the system's tzdata zone.tab."""
    m = collections.defaultdict(set)
    for name in ("/usr/share/zoneinfo/zone1970.tab", "/usr/share/zoneinfo/zone.tab"):
        try:
            with open(name) as f:
                for line in f:
                    if line.startswith("#"):
                        continue
                    parts = line.rstrip("\n").split("\t")
                    for cc in parts[0].split(","):
                        m[cc].add(parts[2])
        except OSError:
            pass
    return m


VIEWER_TYPES = {
    "event_id": str, "event_type": str, "event_timestamp": str,
    "customer_id": str, "session_id": str, "title_id": str,
    "title_duration_seconds": int, "device_type": str, "device_os": str,
    "app_version": str, "connection": str, "cdn": str, "isp": str,
    "country": str, "region": str, "city": str, "timezone": str,
    "position_seconds": int, "watch_duration_seconds": int,
    "completion_percentage": (int, float), "quality": str,
    "bandwidth_mbps": (int, float), "buffering_ms": int,
    "error_code": (str, type(None)),
}
SESSION_FIXED = ["customer_id", "title_id", "title_duration_seconds",
                 "device_type", "device_os", "app_version", "connection",
                 "cdn", "isp", "country", "region", "city", "timezone"]
# From tel-gen(1): which operating systems run on which devices.
DEVICE_OS = {
    "smart_tv": {"Tizen", "webOS", "Android TV", "Roku OS", "Fire OS"},
    "mobile": {"iOS", "Android"},
    "tablet": {"iPadOS", "Android", "Fire OS"},
    "desktop": {"Windows", "macOS", "ChromeOS", "Linux"},
    "streaming_stick": {"Roku OS", "Fire OS", "Google TV", "tvOS"},
    "game_console": {"PlayStation", "Xbox"},
}
DEVICE_MAXQ = {"mobile": "FHD", "tablet": "FHD"}
LADDER = [("UHD", 25.0), ("FHD", 8.0), ("HD", 5.0), ("SD", 0.0)]
ORDER = ["SD", "HD", "FHD", "UHD"]
PLAYING_NEXT = {"heartbeat", "pause", "seek", "buffer_start", "quality_change",
                "error", "stop", "complete"}
NEXT = {
    "start": PLAYING_NEXT, "heartbeat": PLAYING_NEXT, "seek": PLAYING_NEXT,
    "quality_change": PLAYING_NEXT, "resume": PLAYING_NEXT,
    "buffer_end": PLAYING_NEXT,
    "pause": {"resume", "stop"},
    "buffer_start": {"buffer_end", "error", "stop"},
    "error": {"resume", "stop"},
    "stop": set(), "complete": set(),
}
PLAYING_AFTER = {"start", "heartbeat", "seek", "quality_change", "resume", "buffer_end"}


def expected_quality(bw, device):
    for q, floor in LADDER:
        if bw >= floor:
            break
    cap = DEVICE_MAXQ.get(device, "UHD")
    return q if ORDER.index(q) <= ORDER.index(cap) else cap


def check_viewer(ev, n, st, zones):
    for k, t in VIEWER_TYPES.items():
        if k not in ev:
            return fail("line %d: missing %s" % (n, k))
        if not isinstance(ev[k], t) or isinstance(ev[k], bool):
            return fail("line %d: %s has type %s" % (n, k, type(ev[k]).__name__))
    if len(ev) != 24:
        return fail("line %d: %d fields, not 24" % (n, len(ev)))
    if not re.fullmatch(r"EVENT_[0-9a-f]{32}", ev["event_id"]):
        fail("line %d: event_id %r" % (n, ev["event_id"]))
    if not re.fullmatch(r"SESSION_[0-9a-f]{24}", ev["session_id"]):
        fail("line %d: session_id %r" % (n, ev["session_id"]))
    if not re.fullmatch(r"CUST_\d{8}", ev["customer_id"]):
        fail("line %d: customer_id %r" % (n, ev["customer_id"]))
    if not re.fullmatch(r"TITLE_\d{6}", ev["title_id"]):
        fail("line %d: title_id %r" % (n, ev["title_id"]))
    t = ts_ms(ev["event_timestamp"])
    if ev["event_type"] not in NEXT:
        fail("line %d: event_type %r" % (n, ev["event_type"]))
    if ev["device_os"] not in DEVICE_OS.get(ev["device_type"], ()):
        fail("line %d: %s on %s" % (n, ev["device_os"], ev["device_type"]))
    zoneinfo.ZoneInfo(ev["timezone"])
    if ev["timezone"] not in zones.get(ev["country"], ()):
        fail("line %d: zone %s is not in %s" % (n, ev["timezone"], ev["country"]))
    dur = ev["title_duration_seconds"]
    if not (1260 <= dur <= 3720 or 4800 <= dur <= 10800):
        fail("line %d: title duration %d" % (n, dur))
    pos = ev["position_seconds"]
    if not 0 <= pos <= dur:
        fail("line %d: position %d outside 0..%d" % (n, pos, dur))
    cp = ev["completion_percentage"]
    if not (0 <= cp <= 100 and abs(cp - 100.0 * pos / dur) < 0.1):
        fail("line %d: completion %s for %d/%d" % (n, cp, pos, dur))
    if ev["quality"] != expected_quality(ev["bandwidth_mbps"], ev["device_type"]):
        fail("line %d: quality %s at %s Mbit/s on %s" % (
            n, ev["quality"], ev["bandwidth_mbps"], ev["device_type"]))
    if not 0.3 <= ev["bandwidth_mbps"] <= 500:
        fail("line %d: bandwidth %s" % (n, ev["bandwidth_mbps"]))
    if (ev["error_code"] is None) != (ev["event_type"] != "error"):
        fail("line %d: error_code %r on %s" % (n, ev["error_code"], ev["event_type"]))
    if ev["watch_duration_seconds"] < 0 or ev["buffering_ms"] < 0:
        fail("line %d: negative counter" % n)
    st["ids"].add(ev["event_id"])
    for k in ("device_type", "country", "event_type", "connection", "quality", "cdn"):
        st[k][ev[k]] += 1
    st["title"][ev["title_id"]] += 1
    check_session(ev, n, t, st)
    return t


def check_session(ev, n, t, st):
    """Across a session; with --corrupt, lost lines break the sequence
    checks, so only what no loss can change is checked."""
    sid = ev["session_id"]
    prev = st["sessions"].get(sid)
    seq = not st["corrupt_ok"]
    if prev is None:
        if seq and ev["event_type"] != "start":
            fail("line %d: session %s begins with %s" % (n, sid, ev["event_type"]))
        st["sessions"][sid] = (ev, t)
        return
    pev, pt = prev
    for k in SESSION_FIXED:
        if ev[k] != pev[k]:
            fail("line %d: session %s changed %s" % (n, sid, k))
    if t < pt:
        fail("line %d: session %s went back in time" % (n, sid))
    st["sessions"][sid] = (ev, t)
    st["transitions"] += 1
    if not seq:
        return
    if ev["event_type"] not in NEXT[pev["event_type"]]:
        fail("line %d: %s after %s" % (n, ev["event_type"], pev["event_type"]))
    if (ev["quality"] != pev["quality"]) != (ev["event_type"] == "quality_change"):
        fail("line %d: quality %s -> %s on %s" % (n, pev["quality"], ev["quality"],
                                                  ev["event_type"]))
    dt = (t - pt) / 1000.0
    dpos = ev["position_seconds"] - pev["position_seconds"]
    dwatch = ev["watch_duration_seconds"] - pev["watch_duration_seconds"]
    if ev["buffering_ms"] < pev["buffering_ms"] or dwatch < 0:
        fail("line %d: session counters went down" % n)
    if pev["event_type"] in PLAYING_AFTER and ev["event_type"] not in ("seek", "complete"):
        if abs(dpos - dt) > 1.001 or abs(dwatch - dt) > 1.001:
            fail("line %d: played %.3fs but position moved %ds" % (n, dt, dpos))
    elif pev["event_type"] not in PLAYING_AFTER and dpos != 0:
        fail("line %d: position moved %d while %s" % (n, dpos, pev["event_type"]))


def main():
    args = sys.argv[1:]
    schema = args.pop(0) if args else ""
    if schema != "viewer":
        sys.exit("check_gen.py: viewer only (check_truck.py checks trucks)")
    start = None
    corrupt_ok = False
    while args:
        a = args.pop(0)
        if a == "--start":
            start = int(args.pop(0))
        elif a == "--corrupt":
            corrupt_ok = True
        else:
            sys.exit("check_gen.py: unknown argument " + a)
    zones = zone_countries()
    st = {
        "ids": set(), "sessions": {}, "transitions": 0,
        "title": collections.Counter(), "corrupt_ok": corrupt_ok,
    }
    for k in ("device_type", "country", "event_type", "connection", "quality", "cdn"):
        st[k] = collections.Counter()
    lines = bad = 0
    last = None
    for n, raw in enumerate(sys.stdin.buffer, 1):
        lines += 1
        if not raw.endswith(b"\n"):
            fail("line %d: no newline" % n)
        try:
            ev = json.loads(raw.decode("utf-8", errors="strict"),
                            parse_constant=reject_constant)
            if not isinstance(ev, dict):
                raise ValueError("not an object")
        except ValueError:
            bad += 1
            if not corrupt_ok:
                fail("line %d: not JSON: %r" % (n, raw[:80]))
            continue
        try:
            t = check_viewer(ev, n, st, zones)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError) as e:
            fail("line %d: %s" % (n, e))
            continue
        if t is None:
            continue
        if last is not None and t < last:
            fail("line %d: stream went back in time" % n)
        last = t
        if start is not None and not start - 300000 <= t < start:
            fail("line %d: %s outside the window" % (n, t))
    valid = lines - bad
    out = {"lines": lines, "unparsable": bad, "valid": valid}
    if len(st["ids"]) != valid:
        fail("%d duplicate event_id" % (valid - len(st["ids"])))
    out["sessions"] = len(st["sessions"])
    out["transitions"] = st["transitions"]
    for k in ("device_type", "country", "event_type", "connection", "quality", "cdn"):
        out[k] = {a: round(b / max(valid, 1), 4) for a, b in st[k].most_common()}
    top = st["title"].most_common()
    k = max(1, len(top) // 100)
    out["titles"] = len(top)
    out["top1pct_title_share"] = round(sum(c for _, c in top[:k]) / max(valid, 1), 4)
    json.dump(out, sys.stdout, sort_keys=True)
    print()
    for e in errors:
        print("check_gen: " + e, file=sys.stderr)
    sys.exit(1 if errors else 0)


main()
