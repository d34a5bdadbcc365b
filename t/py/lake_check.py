#!/usr/bin/env python3
"""lake_check.py: an independent end-to-end check of the data lake that the
pipeline (tel-gen | tel-kafka-put ... tel-kafka-cat | tel-batch | tel-s3-put)
left in an S3 bucket, against what tel-gen produced.

usage: lake_check.py [OPTIONS] GENERATED...

GENERATED are the files tel-gen wrote (all runs).  A line that a strict
JSON parser (UTF-8, RFC 8259) takes is an event, named by its event_id;
any other line is corrupt.  The checker lists the bucket with boto3,
downloads every object into --dir (keys kept as paths), gunzips each and
checks:

  - every record of a data object (any key not under errors/) is, byte for
    byte, a generated event; no event is missing; with --exact no event is
    there twice (else duplicates are counted and reported);
  - every record sits under the Hive partition year=/month=/day=/hour= of
    its own event_timestamp (tel-batch --time-field event_timestamp);
  - every record of an error object (errors/) is Firehose-shaped
    (errorCode, errorMessage, rawData...) and its base64 rawData is a
    corrupt generated line; every line of --rejected files (tel-kafka-put's
    failed-lines output) is a corrupt generated line; together they hold
    every corrupt line (exactly once with --exact, at least once else) and
    nothing else;
  - with --log FILE (tel-s3-put's result lines; repeatable; control lines
    of tel(7), the checkpoints, are passed over): one line per
    object in the bucket (at least one without --exact), with its key,
    bucket, record count and ETag (the MD5 of the object as downloaded);
  - with --duckdb: DuckDB reads DIR/PREFIX**/*.gz with hive_partitioning
    and its count of records by (year, month, day, hour) equals the count
    of the generated events by the hour of their event_timestamp (with
    duplicates, of the records found).

OPTIONS (S3 defaults from the environment t/lib-s3.sh sets):
  --bucket B   --endpoint URL ($S3_ENDPOINT)  --access-key, --secret, --region
  --dir DIR        where objects are downloaded (default: lake)
  --exact          no duplicates allowed (a clean run)
  --log FILE       tel-s3-put result log, repeatable
  --rejected FILE  lines tel-kafka-put gave back, repeatable
  --duckdb         also check the counts by hour through DuckDB
  --duckdb-only    only that, on objects an earlier run left in --dir
                   (no S3, no other checks; for a clean run)
  --canonical      a record may be its event re-serialised (by jq -c in
                   the pipeline): compared as JSON values, not bytes
  --raw-strings    the rawData of an error record may also be the JSON
                   string that tel-kafka-cat --raw made of a corrupt line

Prints a JSON summary on stdout; exits 1 with reasons on stderr when a
check fails, 64 on bad usage.
"""
import argparse
import base64
import codecs
import collections
import gzip
import hashlib
import json
import os
import re
import sys

errors = []


def fail(msg):
    if len(errors) < 40:
        errors.append(msg)
    elif len(errors) == 40:
        errors.append("... (more)")


CANONICAL = False


def digest(b):
    """The line's digest; with --canonical, of its JSON value (keys sorted,
    every number a float), so that a filter's re-serialising (jq) counts
    as the same record."""
    if CANONICAL:
        try:
            b = json.dumps(json.loads(b, parse_int=float), sort_keys=True,
                           separators=(",", ":")).encode()
        except ValueError:
            pass
    return hashlib.blake2b(b, digest_size=16).digest()


def hour_of(ts):
    """('2026','11','22','18') from an RFC 3339 UTC timestamp."""
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):", ts)
    return m.groups() if m else None


def parse_event(line):
    """The event as a dict, or None when the line is corrupt."""
    try:
        v = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return v if isinstance(v, dict) else None


def read_generated(paths):
    events = {}          # event_id -> (digest of the line, hour)
    corrupt = collections.Counter()
    dup_ids = 0
    for p in paths:
        with open(p, "rb") as f:
            for line in f:
                line = line.rstrip(b"\n")
                ev = parse_event(line)
                if ev is None:
                    corrupt[line] += 1
                    continue
                eid = ev.get("event_id")
                if eid in events:
                    dup_ids += 1
                events[eid] = (digest(line), hour_of(ev.get("event_timestamp", "")))
    if dup_ids:
        fail(f"generated input repeats {dup_ids} event_ids (tel-gen bug?)")
    return events, corrupt


def s3_client(a):
    import boto3
    from botocore.config import Config
    cfg = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                 retries={"total_max_attempts": 3, "mode": "standard"})
    return boto3.session.Session().client(
        "s3", endpoint_url=a.endpoint, region_name=a.region,
        aws_access_key_id=a.access_key, aws_secret_access_key=a.secret, config=cfg)


def download(a):
    """{key: (raw bytes of the object)} for every object, kept under a.dir."""
    s3 = s3_client(a)
    objs = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=a.bucket):
        for o in page.get("Contents", []):
            key = o["Key"]
            body = s3.get_object(Bucket=a.bucket, Key=key)["Body"].read()
            if len(body) != o["Size"]:
                fail(f"{key}: listed {o['Size']} bytes, downloaded {len(body)}")
            path = os.path.join(a.dir, key)
            if os.path.relpath(path, a.dir).startswith(".."):
                fail(f"{key}: key escapes the lake")
                continue
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(body)
            objs[key] = body
    return objs


def hive_hour(key):
    m = re.search(r"year=(\d{4})/month=(\d{2})/day=(\d{2})/hour=(\d{2})/", key)
    return m.groups() if m else None


def check_data(key, lines, events, seen, by_hour):
    part = hive_hour(key)
    if part is None:
        fail(f"{key}: no year=/month=/day=/hour= partition in the key")
    for i, line in enumerate(lines, 1):
        ev = parse_event(line)
        eid = ev.get("event_id") if ev else None
        want = events.get(eid)
        if want is None:
            fail(f"{key}: record {i} is no generated event: {line[:80]!r}")
            continue
        if digest(line) != want[0]:
            fail(f"{key}: record {i} ({eid}) differs from the generated line")
        if part is not None and want[1] != part:
            fail(f"{key}: record {i} ({eid}) of hour {want[1]} in partition {part}")
        seen[eid] += 1
        by_hour[part] += 1


ERROR_FIELDS = ("errorCode", "errorMessage", "rawData")


def byte_fallback(e):
    return e.object[e.start:e.start + 1].decode("latin-1"), e.start + 1


codecs.register_error("lake_check_latin1", byte_fallback)


def as_strings(corrupt):
    """{text: line}: the JSON string tel-kafka-cat --raw makes of each
    corrupt line: its UTF-8 text, or if it is not UTF-8, its bytes as
    Latin-1 (all of them, or only those that are not UTF-8)."""
    forms = {}
    for line in corrupt:
        try:
            forms[line.decode("utf-8")] = line
        except UnicodeDecodeError:
            forms[line.decode("latin-1")] = line
            forms[line.decode("utf-8", "lake_check_latin1")] = line
    return forms


def check_errors(key, lines, corrupt, found, strings):
    for i, line in enumerate(lines, 1):
        rec = parse_event(line)
        if rec is None or any(k not in rec for k in ERROR_FIELDS):
            fail(f"{key}: record {i} is no Firehose error record: {line[:80]!r}")
            continue
        try:
            raw = base64.b64decode(rec["rawData"], validate=True)
        except ValueError:
            fail(f"{key}: record {i}: rawData is not base64")
            continue
        if raw not in corrupt and strings is not None:
            try:
                text = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                text = None
            raw = strings.get(text, raw) if isinstance(text, str) else raw
        if raw not in corrupt:
            fail(f"{key}: record {i} ({rec['errorCode']}): rawData is no corrupt "
                 f"generated line: {raw[:80]!r}")
            continue
        found[raw] += 1


def check_objects(objs, events, corrupt, a):
    seen = collections.Counter()
    by_hour = collections.Counter()
    found = collections.Counter()
    records = {}
    strings = as_strings(corrupt) if a.raw_strings else None
    for key, body in sorted(objs.items()):
        try:
            text = gzip.decompress(body)
        except (OSError, EOFError) as e:
            fail(f"{key}: not a whole gzip file: {e}")
            continue
        lines = text.split(b"\n")
        if lines[-1] != b"":
            fail(f"{key}: last record has no newline")
        else:
            lines.pop()
        records[key] = len(lines)
        if key.startswith("errors/"):
            check_errors(key, lines, corrupt, found, strings)
        else:
            check_data(key, lines, events, seen, by_hour)
    return seen, by_hour, found, records


def check_rejected(paths, corrupt, found):
    n = 0
    for p in paths:
        with open(p, "rb") as f:
            for line in f:
                line = line.rstrip(b"\n")
                n += 1
                if line in corrupt:
                    found[line] += 1
                else:
                    fail(f"{p}: line {n} rejected but not corrupt: {line[:80]!r}")
    return n


def check_log(paths, objs, records, bucket, exact):
    logged = collections.Counter()
    for p in paths:
        with open(p, "rb") as f:
            for n, line in enumerate(f, 1):
                try:
                    r = json.loads(line)
                except ValueError:
                    fail(f"{p}: line {n} is not JSON")
                    continue
                # tel(7): control lines (checkpoints) pass through the log
                if isinstance(r, dict) and next(iter(r), None) == "@tel":
                    if not isinstance(r["@tel"], str):
                        fail(f"{p}: line {n}: a control line of no kind")
                    continue
                key = r.get("key")
                logged[key] += 1
                if r.get("bucket") != bucket:
                    fail(f"{p}: line {n}: bucket {r.get('bucket')!r}")
                if key not in objs:
                    fail(f"{p}: line {n}: {key} is not in the bucket")
                    continue
                md5 = hashlib.md5(objs[key]).hexdigest()
                if r.get("etag", "").strip('"') != md5:
                    fail(f"{p}: line {n}: {key}: etag {r.get('etag')} is not the MD5 {md5}")
                # A --spool upload logs only file and key.
                if "records" in r and r["records"] != records.get(key):
                    fail(f"{p}: line {n}: {key}: {r.get('records')} records logged, "
                         f"{records.get(key)} in the object")
                if r.get("bytes") not in (None, len(objs[key])):
                    fail(f"{p}: line {n}: {key}: {r.get('bytes')} bytes logged, "
                         f"{len(objs[key])} stored")
    for key in objs:
        # After a crash an object may go up again from the spool, under
        # its own key: a second result line, never a second object.
        if logged[key] != 1 and (exact or logged[key] == 0):
            fail(f"{key}: {logged[key]} result lines for it, not 1")
    return sum(logged.values())


def check_duckdb(a, want):
    import duckdb
    glob = os.path.join(a.dir, "telemetry", "**", "*.gz")
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT year, month, day, hour, count(*) FROM "
            "read_json_auto(?, hive_partitioning = true, format = 'newline_delimited') "
            "GROUP BY ALL ORDER BY ALL", [glob]).fetchall()
    except duckdb.Error as e:
        fail(f"DuckDB cannot read the lake: {str(e).splitlines()[0]}")
        return None
    got = {tuple("%0*d" % (w, int(x)) for w, x in zip((4, 2, 2, 2), r[:4])): r[4]
           for r in rows}
    if got != want:
        fail(f"DuckDB counts by hour {sorted(got.items())} != {sorted(want.items())}")
    return {"-".join(k): v for k, v in sorted(got.items())}


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser(prog="lake_check.py")
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--endpoint", default=env("S3_ENDPOINT"))
    ap.add_argument("--access-key", default=env("S3_ACCESS_KEY"))
    ap.add_argument("--secret", default=env("S3_SECRET_KEY"))
    ap.add_argument("--region", default=env("S3_REGION") or "us-east-1")
    ap.add_argument("--dir", default="lake")
    ap.add_argument("--exact", action="store_true")
    ap.add_argument("--log", action="append", default=[])
    ap.add_argument("--rejected", action="append", default=[])
    ap.add_argument("--duckdb", action="store_true")
    ap.add_argument("--duckdb-only", action="store_true")
    ap.add_argument("--raw-strings", action="store_true")
    ap.add_argument("--canonical", action="store_true")
    ap.add_argument("generated", nargs="+")
    a = ap.parse_args()
    global CANONICAL
    CANONICAL = a.canonical
    events, corrupt = read_generated(a.generated)
    if a.duckdb_only:
        want = collections.Counter(h for (_, h) in events.values())
        print(json.dumps({"duckdb_by_hour": check_duckdb(a, dict(want))}))
        sys.exit(report())
    if not a.endpoint:
        ap.error("no --endpoint and no S3_ENDPOINT")

    objs = download(a)
    seen, by_hour, found, records = check_objects(objs, events, corrupt, a)
    rejected = check_rejected(a.rejected, corrupt, found)

    missing = [e for e in events if seen[e] == 0]
    dups = sum(n - 1 for n in seen.values() if n > 1)
    if missing:
        fail(f"{len(missing)} events missing from the lake, e.g. {missing[:3]}")
    if a.exact and dups:
        fail(f"{dups} duplicate records in a clean run")
    lost = [l for l in corrupt if found[l] < corrupt[l]]
    if lost:
        fail(f"{len(lost)} corrupt lines neither rejected nor in an error "
             f"object, e.g. {lost[0][:80]!r}")
    extra = sum(found[l] - corrupt[l] for l in corrupt if found[l] > corrupt[l])
    if a.exact and extra:
        fail(f"{extra} corrupt lines accounted for twice in a clean run")

    logged = check_log(a.log, objs, records, a.bucket, a.exact) if a.log else None
    want_hours = collections.Counter(h for (_, h) in events.values())
    if not a.exact:
        want_hours = by_hour     # with duplicates, what the objects hold
    elif by_hour != want_hours:
        fail(f"records by partition {sorted(by_hour.items())} != "
             f"events by hour {sorted(want_hours.items())}")
    duck = check_duckdb(a, dict(want_hours)) if a.duckdb else None

    summary = {
        "objects": len(objs),
        "data_objects": sum(1 for k in objs if not k.startswith("errors/")),
        "error_objects": sum(1 for k in objs if k.startswith("errors/")),
        "events": len(events), "records": sum(seen.values()),
        "missing": len(missing), "duplicates": dups,
        "corrupt": sum(corrupt.values()), "rejected": rejected,
        "error_records": sum(found.values()) - rejected,
        "logged": logged, "duckdb_by_hour": duck,
    }
    print(json.dumps(summary))
    sys.exit(report())


def report():
    for e in errors:
        print(f"lake_check.py: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    main()
