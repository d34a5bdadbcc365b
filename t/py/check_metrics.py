#!/usr/bin/env python3
"""Checks a --metrics file: the Prometheus text exposition format, as
prometheus_client's parser reads it and as node_exporter's textfile
collector wants it (HELP and TYPE once and before the samples, no
timestamps, a newline at the end), and its values against the -v JSON
summary of the same run.

usage: check_metrics.py FILE [--prog tel-x] [--json STDERR_FILE]
                        [--running 0|1] [--status N] [--print NAME]
Prints what is wrong and exits 1; exits 0 quietly when all is well.
--print NAME prints the value of metric NAME (sample name) and exits.
"""
import argparse
import json
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(\{%s(?:,%s)*\})? (\S+)$" % (NAME, LABEL, LABEL))
HELP = re.compile(r"^# HELP (%s) (?:[^\\\n]|\\[\\n])*$" % NAME)
TYPE = re.compile(r"^# TYPE (%s) (counter|gauge|untyped)$" % NAME)


def strict(text):
    """The line grammar, by hand: what the parser may forgive."""
    bad = []
    if not text.endswith("\n"):
        bad.append("no newline at the end")
    helped, typed, seen, last = set(), {}, set(), None
    for n, line in enumerate(text.split("\n")[:-1], 1):
        m = HELP.match(line)
        if m:
            if m.group(1) in helped:
                bad.append("line %d: second HELP for %s" % (n, m.group(1)))
            helped.add(m.group(1))
            continue
        m = TYPE.match(line)
        if m:
            if m.group(1) in typed or m.group(1) in {s for s, _ in seen}:
                bad.append("line %d: TYPE %s again or late" % (n, m.group(1)))
            typed[m.group(1)] = m.group(2)
            continue
        m = SAMPLE.match(line)
        if not m:
            bad.append("line %d: not HELP, TYPE or a sample without "
                       "timestamp: %r" % (n, line))
            continue
        name = m.group(1)
        if name not in typed or name not in helped:
            bad.append("line %d: %s has no HELP or TYPE before it" % (n, name))
        elif typed[name] == "counter" and not name.endswith("_total"):
            bad.append("line %d: counter %s without _total" % (n, name))
        # several samples of a name, each its own labels, one after another
        if (name, m.group(2)) in seen:
            bad.append("line %d: %s%s twice" % (n, name, m.group(2) or ""))
        elif name in {s for s, _ in seen} and name != last:
            bad.append("line %d: %s apart from its other samples" % (n, name))
        seen.add((name, m.group(2)))
        last = name
        float(m.group(3))
    return bad


def samples(text):
    """{sample name: (value, labels)} through prometheus_client."""
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[s.name] = (s.value, s.labels)
    return out


def against_json(got, prefix, summary):
    """Every number of the summary is the same metric's value."""
    bad = []
    labels = next(iter(got.values()))[1] if got else {}
    for k, v in summary.items():
        if k == "program" or k.endswith("_per_second"):
            continue    # rates are JSON only: Prometheus takes rate()
        if isinstance(v, str):
            if labels.get(k) != v:
                bad.append("label %s=%r, JSON says %r" % (k, labels.get(k), v))
            continue
        if k == "seconds":
            k = "duration_seconds"
        elif k == "metrics_errors":
            k = "metrics_write_errors_total"
        cand = [prefix + k + "_total", prefix + k]
        names = [c for c in cand if c in got]
        if not names:
            if isinstance(v, int) or k == "duration_seconds":
                bad.append("JSON %s has no metric (%s)" % (k, " or ".join(cand)))
            continue
        want = got[names[0]][0]
        if k == "duration_seconds":
            if abs(want - v) > 0.5:
                bad.append("%s %s, JSON %s" % (names[0], want, v))
        elif want != v:
            bad.append("%s is %s, JSON says %s" % (names[0], want, v))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--prog")
    ap.add_argument("--json")
    ap.add_argument("--running", type=int)
    ap.add_argument("--status", type=int)
    ap.add_argument("--print", dest="show")
    a = ap.parse_args()
    text = open(a.file, encoding="utf-8").read()
    got = samples(text)
    if a.show:
        v = got[a.show][0] if a.show in got else "absent"
        print(int(v) if isinstance(v, float) and v.is_integer() else v)
        return 0
    bad = strict(text)
    prefix = (a.prog or "").replace("-", "_") + "_"
    if a.prog and not all(n.startswith(prefix) for n in got):
        bad.append("a metric not named %s*" % prefix)
    if a.running is not None and got.get(prefix + "running", [None])[0] != a.running:
        bad.append("running is %s, not %d" % (got.get(prefix + "running"), a.running))
    if a.status is not None:
        st = got.get(prefix + "exit_status", [None])[0]
        if st != a.status:
            bad.append("exit_status is %s, not %d" % (st, a.status))
    elif a.running == 1 and prefix + "exit_status" in got:
        bad.append("exit_status while running")
    if a.json:
        lines = [l for l in open(a.json, encoding="utf-8")
                 if l.startswith('{"program":')]
        if len(lines) != 1:
            bad.append("%d JSON summaries in %s" % (len(lines), a.json))
        else:
            summary = json.loads(lines[0])
            if a.prog and summary["program"] != a.prog:
                bad.append("JSON program %s" % summary["program"])
            bad += against_json(got, prefix, summary)
    for b in bad:
        print("check_metrics: %s: %s" % (a.file, b))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
