#!/usr/bin/env python3
"""truck_lake_check.py: the truck pipeline's lake, read back with boto3,
against what tel-gen --schema truck produced and what Python's
jsonschema says of each record.

usage: truck_lake_check.py --bucket B --schema FILE GENERATED

Every generated record must be in the lake exactly once: a valid one
(by jsonschema, Draft 2020-12) byte for byte in a data object under
sensor_data/year=/month=/day=/hour= of its own "timestamp" (UTC), an
invalid one as the base64 rawData of a Firehose error record under
errors/processing-failed/ whose errorMessage names a rule; none lost,
none in both, nothing else there.  Prints a JSON summary; exits 1 with
the reasons on stderr.
"""
import argparse
import base64
import collections
import gzip
import json
import os
import re
import sys

import boto3
import jsonschema

KEY = re.compile(r"^sensor_data/year=(\d{4})/month=(\d\d)/day=(\d\d)/hour=(\d\d)/[^/]+\.(gz|json)$")


def body(s3, bucket, key):
    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return gzip.decompress(data) if key.endswith(".gz") else data


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser()
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("generated")
    a = ap.parse_args()
    s3 = boto3.client("s3", endpoint_url=env("S3_ENDPOINT"),
                      aws_access_key_id=env("S3_ACCESS_KEY"),
                      aws_secret_access_key=env("S3_SECRET_KEY"),
                      region_name=env("S3_REGION") or "us-east-1")
    oracle = jsonschema.Draft202012Validator(json.load(open(a.schema)))
    want = collections.Counter(open(a.generated, "rb").read().splitlines())
    data, errors, bad = collections.Counter(), collections.Counter(), []
    keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=a.bucket)
            for o in p.get("Contents", [])]
    for key in keys:
        lines = body(s3, a.bucket, key).splitlines()
        if key.startswith("errors/processing-failed/"):
            for line in lines:
                e = json.loads(line)
                raw = base64.b64decode(e["rawData"])
                errors[raw] += 1
                if e["errorCode"] != "Schema.ValidationFailed" or " at #" not in e["errorMessage"]:
                    bad.append("%s: %s" % (key, line[:200]))
            continue
        m = KEY.match(key)
        if not m:
            bad.append("a key outside sensor_data/ and errors/: " + key)
            continue
        for line in lines:
            data[line] += 1
            ts = json.loads(line)["timestamp"]
            if (ts[0:4], ts[5:7], ts[8:10], ts[11:13]) != m.groups()[:4]:
                bad.append("%s holds a record of %s" % (key, ts))
    valid = invalid = 0
    for line, n in want.items():
        ok = oracle.is_valid(json.loads(line))
        valid += n * ok
        invalid += n * (not ok)
        got = data[line] if ok else errors[line]
        other = errors[line] if ok else data[line]
        if got != n or other:
            bad.append("%s record seen %d times as data, %d as error, generated %d: %s" % (
                "a valid" if ok else "an invalid", data[line], errors[line], n, line[:120]))
    for line in set(data) | set(errors):
        if line not in want:
            bad.append("in the lake, never generated: %s" % line[:120])
    print(json.dumps({"objects": len(keys), "records": sum(want.values()), "valid": valid,
                      "invalid": invalid, "data": sum(data.values()),
                      "errors": sum(errors.values()), "problems": len(bad)}))
    for b in bad[:10]:
        print(b, file=sys.stderr)
    sys.exit(1 if bad else 0)


main()
