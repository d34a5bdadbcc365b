#!/usr/bin/env python3
"""Independent checker for tel-batch output (an oracle for t3*.t).

usage: check_batch.py MANIFEST INPUT [SPOOL]

Reads tel-batch's manifest lines and the input it was given, and checks:
each manifest's file exists under SPOOL/ready/ at its key, its size,
SHA-256, record count and uncompressed size match, the file is 0600;
the records of all data batches are, as a multiset, the valid input
lines, each batch in input order; error batches hold Firehose-shaped
error records whose rawData decodes to an input line (by lineNumber).
Prints a JSON summary; exits 1 with reasons on stderr.
"""
import base64
import collections
import gzip
import hashlib
import json
import os
import re
import stat
import sys

errors = []


def fail(msg):
    if len(errors) < 30:
        errors.append(msg)


def main():
    manifest, inp = sys.argv[1], sys.argv[2]
    spool = sys.argv[3] if len(sys.argv) > 3 else None
    with open(inp, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    position = collections.defaultdict(list)
    for i, l in enumerate(lines):
        position[l].append(i)
    data = collections.Counter()
    errs = []
    batches = error_batches = 0
    for m in open(manifest, "rb"):
        m = json.loads(m)
        for k in ("file", "key", "records", "bytes", "raw_bytes", "first", "last", "sha256"):
            if k not in m:
                fail("manifest without %s: %s" % (k, m))
        path = m["file"]
        if spool is not None:
            want = os.path.join(os.path.realpath(spool), "ready", m["key"])
            if path != want:
                fail("file %s is not ready/KEY (%s)" % (path, want))
        raw = open(path, "rb").read()
        if os.path.getsize(path) != m["bytes"]:
            fail("%s: size %d, manifest says %d" % (path, len(raw), m["bytes"]))
        if hashlib.sha256(raw).hexdigest() != m["sha256"]:
            fail("%s: sha256 differs" % path)
        if stat.S_IMODE(os.stat(path).st_mode) != 0o600:
            fail("%s: mode %o" % (path, stat.S_IMODE(os.stat(path).st_mode)))
        body = gzip.decompress(raw)
        if len(body) != m["raw_bytes"]:
            fail("%s: %d raw bytes, manifest says %d" % (path, len(body), m["raw_bytes"]))
        recs = body.split(b"\n")
        if recs[-1] != b"":
            fail("%s: does not end with a newline" % path)
        recs.pop()
        if len(recs) != m["records"]:
            fail("%s: %d records, manifest says %d" % (path, len(recs), m["records"]))
        if m.get("error"):
            error_batches += 1
            errs.extend(recs)
            continue
        batches += 1
        # the default layout: its hour holds every record's time
        hour = re.match(r".*year=(\d{4})/month=(\d\d)/day=(\d\d)/hour=(\d\d)/", m["key"])
        if hour:
            want = "%s-%s-%sT%s" % hour.groups()
            if m["first"][:13] != want or m["last"][:13] != want:
                fail("%s: records from %s to %s under hour %s" % (m["key"], m["first"], m["last"], want))
        last = -1
        for r in recs:
            data[r] += 1
            # in input order within a batch
            later = [p for p in position.get(r, []) if p > last]
            if not later:
                fail("%s: record out of input order or not in input: %r" % (path, r[:60]))
            else:
                last = later[0]
    error_codes = collections.Counter()
    for e in errs:
        e = json.loads(e)
        for k in ("errorCode", "errorMessage", "lineNumber", "arrivalTimestamp", "rawData"):
            if k not in e:
                fail("error record without %s" % k)
        error_codes[e["errorCode"]] += 1
        n = e["lineNumber"]
        orig = lines[n - 1] if 0 < n <= len(lines) else None
        got = base64.b64decode(e["rawData"])
        if e.get("truncated"):
            if orig is None or not orig.startswith(got) or e["rawBytes"] != len(orig):
                fail("line %d: truncated rawData is not its prefix" % n)
        elif got != orig:
            fail("line %d: rawData %r is not the input line" % (n, got[:40]))
    valid = collections.Counter(l for l in lines if l)
    for l, c in valid.items():
        if data[l] > c:
            fail("duplicated record %r" % l[:60])
    missing = sum((valid - data).values())
    if missing != len(errs):
        fail("%d input lines are neither in the lake nor error records (%d error records)"
             % (missing - len(errs), len(errs)))
    if set(data) - set(valid):
        fail("records that were never input")
    print(json.dumps({"batches": batches, "error_batches": error_batches,
                      "records": sum(data.values()), "error_records": len(errs),
                      "error_codes": dict(error_codes)}, sort_keys=True))
    for e in errors:
        print("check_batch: " + e, file=sys.stderr)
    sys.exit(1 if errors else 0)


main()
