#!/usr/bin/env python3
"""Checks keyed production: usage: check_keys.py EVENTS GOT.

EVENTS is what went in (NDJSON, in order); GOT is kcat's "%p %k %s" lines.
Every session_id must map to one partition, its events must come out in
input order, and the multiset of lines must be the same."""
import json
import sys
from collections import Counter, defaultdict


def main():
    sent = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8")]
    order = defaultdict(list)
    for line in sent:
        order[json.loads(line)["session_id"]].append(line)
    parts = defaultdict(set)
    seen = defaultdict(list)
    got = []
    for raw in open(sys.argv[2], encoding="utf-8"):
        p, k, v = raw.rstrip("\n").split(" ", 2)
        if json.loads(v)["session_id"] != k:
            sys.exit("key %r does not match the value's session_id" % k)
        parts[k].add(p)
        seen[k].append(v)
        got.append(v)
    if Counter(sent) != Counter(got):
        sys.exit("lines differ: %d sent, %d read" % (len(sent), len(got)))
    for k, ps in parts.items():
        if len(ps) != 1:
            sys.exit("session %s spread over partitions %s" % (k, sorted(ps)))
        if seen[k] != order[k]:
            sys.exit("session %s out of order" % k)
    if len({min(p) for p in parts.values()}) < 2:
        sys.exit("all sessions in one partition: keys not used?")
    print("ok: %d lines, %d sessions" % (len(got), len(parts)))


main()
