#!/usr/bin/env python3
"""kinesis_kpl_put.py: put KPL aggregated records, built by AWS's own
aggregation module (aws-kinesis-agg from PyPI), into a Kinesis stream;
print what a de-aggregating reader must find.

usage: kinesis_kpl_put.py [--per N] [--corrupt I,...] [--how md5|proto]
           STREAM <LINES

Each stdin line is one user record, KEY<TAB>DATA: its partition key (UTF-8)
and its data (the rest of the line, any bytes but a newline).  Every N
user records (default 3; the last aggregate may hold fewer) make one
aggregate, built by aws_kinesis_agg.aggregator.RecordAggregator and put as
one Kinesis record with the aggregate's partition key (and explicit hash
key, if it has one), as the KPL does, all in one PutRecords call (a record
that fails is sent again).  Aggregate I (from 0) named in --corrupt is spoilt before it is
put: --how md5 (default) flips a bit of its MD5 digest, --how proto a bit
of the protobuf message's first byte (so the digest no longer matches
either).

Prints one JSON line per user record, in order:
  {"agg": I, "shard": ID, "seq": SEQ, "sub": J, "key": PK, "data_b64": ...}
and for a spoilt aggregate one line instead of its user records:
  {"agg": I, "shard": ID, "seq": SEQ, "corrupt": true, "raw_b64": ...}

The endpoint, keys and region come from the environment t/lib-kinesis.sh
sets (TEL_KINESIS_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_REGION).  Exit status: 0 done, 1 the server said no, 64 bad usage.
"""
import argparse
import base64
import json
import os
import sys
import time

try:
    import boto3
    import botocore
    from botocore.config import Config
    from aws_kinesis_agg.aggregator import RecordAggregator
except ImportError as e:
    print(f"kinesis_kpl_put.py: {e} (run t/peers/setup.sh venv)", file=sys.stderr)
    sys.exit(64)


def aggregates(lines, per):
    """The (aggregate bytes, pk, ehk, [(pk, data)...]) of the input."""
    agg, users = RecordAggregator(), []
    for line in lines:
        key, tab, data = line.partition(b"\t")
        if not tab:
            raise SystemExit("kinesis_kpl_put.py: a line without KEY<TAB>")
        # add_user_record returns a full aggregate only past 1 MB: the
        # grouping by N is ours, never the module's
        if agg.add_user_record(key.decode(), data) is not None:
            raise SystemExit("kinesis_kpl_put.py: an aggregate over 1 MB")
        users.append((key.decode(), data))
        if len(users) == per:
            yield done(agg, users)
            users = []
    if users:
        yield done(agg, users)


def done(agg, users):
    pk, ehk, raw = agg.clear_and_get().get_contents()
    return raw, pk, ehk, users


def spoil(raw, how):
    b = bytearray(raw)
    b[-1 if how == "md5" else 4] ^= 0x01
    return bytes(b)


def put(client, stream, entries):
    """PutRecords ENTRIES, the failed ones again: [(shard, seq)] each."""
    out = [None] * len(entries)
    todo = list(range(len(entries)))
    for attempt in range(50):
        r = client.put_records(StreamName=stream,
                               Records=[entries[i] for i in todo])
        left = []
        for i, res in zip(todo, r["Records"]):
            if "ErrorCode" in res:
                left.append(i)
            else:
                out[i] = (res["ShardId"], res["SequenceNumber"])
        if not left:
            return out
        todo = left
        time.sleep(0.05)
    raise SystemExit("kinesis_kpl_put.py: records still failing after 50 attempts")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("stream")
    ap.add_argument("--per", type=int, default=3)
    ap.add_argument("--corrupt", default="")
    ap.add_argument("--how", choices=("md5", "proto"), default="md5")
    a = ap.parse_args()
    if a.per < 1:
        ap.error("--per must be at least 1")
    bad = {int(i) for i in a.corrupt.split(",") if i}
    lines = [l[:-1] if l.endswith(b"\n") else l for l in sys.stdin.buffer]
    aggs = list(aggregates(lines, a.per))
    entries = []
    for i, (raw, pk, ehk, _) in enumerate(aggs):
        if i in bad:
            raw = spoil(raw, a.how)
        aggs[i] = (raw,) + aggs[i][1:]
        entry = {"Data": raw, "PartitionKey": pk}
        if ehk:
            entry["ExplicitHashKey"] = ehk
        entries.append(entry)
    client = boto3.client(
        "kinesis", endpoint_url=os.environ["TEL_KINESIS_ENDPOINT"],
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "tel-test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "tel-test"),
        config=Config(retries={"mode": "standard", "total_max_attempts": 5}))
    try:
        placed = put(client, a.stream, entries) if entries else []
    except botocore.exceptions.ClientError as e:
        err = e.response.get("Error", {})
        print(f"kinesis_kpl_put.py: {err.get('Code')}: {err.get('Message')}",
              file=sys.stderr)
        return 1
    for i, ((raw, _, _, users), (shard, seq)) in enumerate(zip(aggs, placed)):
        head = {"agg": i, "shard": shard, "seq": seq}
        if i in bad:
            print(json.dumps(dict(head, corrupt=True,
                                  raw_b64=base64.b64encode(raw).decode())))
            continue
        for j, (pk, data) in enumerate(users):
            print(json.dumps(dict(head, sub=j, key=pk,
                                  data_b64=base64.b64encode(data).decode())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
