#!/usr/bin/env python3
"""kinesis.py: an independent Kinesis Data Streams client (boto3) for the
tests: fixtures, and the oracle of what the tel Kinesis tools put and read.

usage: kinesis.py [OPTIONS] COMMAND ARG...

  create STREAM SHARDS      create a stream and wait until it is ACTIVE
                            (--no-wait: return at once)
  delete STREAM             delete a stream and wait until it is gone
  list                      the streams' names, one a line
  put STREAM                records from stdin, one a line (the line without
                            its newline, any bytes: NDJSON or raw); the
                            partition key is --key-field F (member F of the
                            line's JSON object: a string as it is, anything
                            else as compact JSON), else --key K, else the
                            line's number (1, 2, ...), so that records spread
                            over the shards.  PutRecords in batches of at
                            most 500 records and 5 MiB; records that fail
                            (throttled) are sent again, alone, until they are
                            in (--record-attempts, default 50).  Prints
                            nothing; --stats: one JSON line {"records",
                            "requests", "retried"}; --seq: one JSON line per
                            record, in input order {"n", "shard", "seq"}
  put-bytes STREAM [FILE]   the same, records from FILE (default stdin) of
                            base64 lines, or KEY<TAB>BASE64 lines: for data
                            that is no text
  dump STREAM               every record of every shard, from TRIM_HORIZON
                            to the shard's end (closed) or to the newest
                            record (open); parents before children, each
                            shard whole in sequence order.  One JSON line a
                            record: {"shard", "seq", "key", "data_b64"};
                            --data: the data bytes instead, each followed by
                            a newline; --shard ID: that shard alone
  count STREAM              how many records dump would print
  describe STREAM           one JSON line: {"name", "status", "retention",
                            "shards": [{"id", "parent", "adjacent_parent",
                            "hash": [START, END], "seq": [START, END or
                            null], "open"}]}
  shards STREAM             one line a shard, tab-separated: ID, open or
                            closed, PARENT, ADJACENT_PARENT ("-" for none),
                            START_HASH, END_HASH
  split STREAM SHARD        SplitShard at the middle of SHARD's hash range
                            (--hash-key H: at H); waits for ACTIVE; prints
                            the two children, lower range first
  merge STREAM SHARD1 SHARD2
                            MergeShards (SHARD2 the adjacent one); waits for
                            ACTIVE; prints the child

OPTIONS (defaults from the environment that t/lib-kinesis.sh sets):
  --endpoint URL   $TEL_KINESIS_ENDPOINT, else $KINESIS_ENDPOINT
  --access-key K   $AWS_ACCESS_KEY_ID, else $KINESIS_ACCESS_KEY
  --secret S       $AWS_SECRET_ACCESS_KEY, else $KINESIS_SECRET_KEY
  --region R       $AWS_REGION, else $KINESIS_REGION, else us-east-1
  --timeout SEC    connect and read timeout (default 10)
  --attempts N     tries of one call that the server throttles or fails
                   with a 5xx (default 50; botocore itself retries nothing)

A failed call that is safe to repeat is tried again after 0.05 s, doubling
up to 1 s: ProvisionedThroughputExceededException, LimitExceededException,
KMSThrottlingException, InternalFailure, ServiceUnavailable, any 5xx; for
reads (GetRecords...) also a lost connection.  A PutRecords whose
connection is lost is not sent again: that could store records twice.

Exit status: 0 done; 1 the server said no (stderr: "kinesis.py: CODE:
message", e.g. ResourceNotFoundException) or records still failed after
--record-attempts; 2 no answer (connection refused or reset, timeout:
"kinesis.py: transport: ..."); 64 bad usage or input.
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
except ImportError as e:  # not in the venv: say so, as a usage error
    print(f"kinesis.py: {e} (run t/peers/setup.sh venv and use its python)",
          file=sys.stderr)
    sys.exit(64)

BATCH_RECORDS = 500
BATCH_BYTES = 5 * 1024 * 1024
RETRY_CODES = {
    "ProvisionedThroughputExceededException", "LimitExceededException",
    "KMSThrottlingException", "InternalFailure", "InternalFailureException",
    "ServiceUnavailable", "ServiceUnavailableException", "ThrottlingException",
}


class Failed(Exception):
    """The server said no: CODE: message (exit 1)."""


def usage(msg):
    print(f"kinesis.py: {msg}", file=sys.stderr)
    sys.exit(64)


class Parser(argparse.ArgumentParser):
    def error(self, message):
        usage(message)


# ---- calls ------------------------------------------------------------

class Kinesis:
    """A boto3 client and the retry policy of the module docstring."""

    def __init__(self, args):
        self.attempts = args.attempts
        self.client = boto3.client(
            "kinesis", endpoint_url=args.endpoint, region_name=args.region,
            aws_access_key_id=args.access_key,
            aws_secret_access_key=args.secret,
            config=Config(connect_timeout=args.timeout,
                          read_timeout=args.timeout,
                          retries={"mode": "standard", "total_max_attempts": 1}))
        self.requests = 0

    def call(self, op, reads=True, **kw):
        fn = getattr(self.client, op)
        for i in range(self.attempts):
            last = i == self.attempts - 1
            self.requests += 1
            try:
                return fn(**kw)
            except botocore.exceptions.ClientError as e:
                err = e.response.get("Error", {})
                status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                code = err.get("Code", "?")
                if last or not (code in RETRY_CODES or status >= 500):
                    raise
            except (botocore.exceptions.ConnectionError,
                    botocore.exceptions.HTTPClientError):
                if last or not reads:
                    raise
            time.sleep(min(0.05 * 2 ** i, 1.0))
        raise AssertionError("unreachable")

    def shards(self, stream):
        out, kw = [], {"StreamName": stream}
        while True:
            r = self.call("list_shards", **kw)
            out += r["Shards"]
            if not r.get("NextToken"):
                return out
            kw = {"NextToken": r["NextToken"]}

    def status(self, stream):
        r = self.call("describe_stream_summary", StreamName=stream)
        return r["StreamDescriptionSummary"]["StreamStatus"]

    def wait_active(self, stream, timeout=60):
        end = time.monotonic() + timeout
        while self.status(stream) != "ACTIVE":
            if time.monotonic() > end:
                raise Failed(f"Timeout: {stream} not ACTIVE after {timeout} s")
            time.sleep(0.05)


def is_open(shard):
    return "EndingSequenceNumber" not in shard["SequenceNumberRange"]


def find_shard(kin, stream, shard_id):
    for s in kin.shards(stream):
        if s["ShardId"] == shard_id:
            return s
    raise Failed(f"ResourceNotFoundException: no shard {shard_id} in {stream}")


def parents_first(shards):
    """SHARDS ordered so that each comes after its parents (those listed),
    else by shard id."""
    ids = {s["ShardId"] for s in shards}
    done, out = set(), []
    left = sorted(shards, key=lambda s: s["ShardId"])
    while left:
        ready = [s for s in left
                 if all(p not in ids or p in done
                        for p in (s.get("ParentShardId"),
                                  s.get("AdjacentParentShardId")) if p)]
        if not ready:   # a cycle cannot be; read what is left in id order
            ready = left
        for s in ready:
            done.add(s["ShardId"])
            out.append(s)
        left = [s for s in left if s["ShardId"] not in done]
    return out


def read_shard(kin, stream, shard):
    """Yield the records of SHARD from TRIM_HORIZON to its end."""
    it = kin.call("get_shard_iterator", StreamName=stream,
                  ShardId=shard["ShardId"],
                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    closed = not is_open(shard)
    empty = 0
    while it:
        r = kin.call("get_records", ShardIterator=it, Limit=10000)
        yield from r["Records"]
        it = r.get("NextShardIterator")
        if r["Records"]:
            empty = 0
            continue
        empty += 1
        if not closed and r.get("MillisBehindLatest", 0) == 0:
            return
        if empty > 1000:
            raise Failed(f"Endless: shard {shard['ShardId']} of {stream} "
                         "gives empty answers without end")


# ---- commands ---------------------------------------------------------

def cmd_create(kin, a):
    kin.call("create_stream", StreamName=a.stream, ShardCount=a.shards)
    if not a.no_wait:
        kin.wait_active(a.stream)


def cmd_delete(kin, a):
    kin.call("delete_stream", StreamName=a.stream)
    end = time.monotonic() + 60
    while True:
        try:
            kin.status(a.stream)
        except botocore.exceptions.ClientError as e:
            if e.response["Error"].get("Code") == "ResourceNotFoundException":
                return
            raise
        if time.monotonic() > end:
            raise Failed(f"Timeout: {a.stream} still there after 60 s")
        time.sleep(0.05)


def cmd_list(kin, a):
    kw = {}
    while True:
        r = kin.call("list_streams", **kw)
        for name in r["StreamNames"]:
            print(name)
        if not r.get("HasMoreStreams") or not r["StreamNames"]:
            return
        kw = {"ExclusiveStartStreamName": r["StreamNames"][-1]}


def lines_of(f):
    """The lines of binary file F without their newline."""
    for line in f:
        yield line[:-1] if line.endswith(b"\n") else line


def key_for(a, n, data):
    if a.key_field:
        try:
            obj = json.loads(data)
        except ValueError as e:
            usage(f"line {n}: not JSON ({e}), no member {a.key_field}")
        if not isinstance(obj, dict) or a.key_field not in obj:
            usage(f"line {n}: no member {a.key_field}")
        v = obj[a.key_field]
        return v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
    return a.key if a.key is not None else str(n)


def batches(records):
    """RECORDS, (n, data, key) tuples, in PutRecords batches."""
    batch, size = [], 0
    for rec in records:
        n = len(rec[1]) + len(rec[2].encode())
        if batch and (len(batch) == BATCH_RECORDS or size + n > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(rec)
        size += n
    if batch:
        yield batch


def put_records(kin, a, records):
    """Put RECORDS, sending the failed ones again; print what a asks."""
    stats = {"records": 0, "requests": 0, "retried": 0}
    placed = {}
    for batch in batches(records):
        todo = batch
        for i in range(a.record_attempts):
            entries = [{"Data": d, "PartitionKey": k} for _, d, k in todo]
            r = kin.call("put_records", reads=False, StreamName=a.stream,
                         Records=entries)
            failed = []
            for rec, res in zip(todo, r["Records"]):
                if "ErrorCode" in res:
                    failed.append((rec, res["ErrorCode"]))
                else:
                    placed[rec[0]] = (res["ShardId"], res["SequenceNumber"])
            if not failed:
                break
            stats["retried"] += len(failed)
            if i == a.record_attempts - 1:
                raise Failed(f"{failed[0][1]}: {len(failed)} records still "
                             f"failed after {a.record_attempts} attempts")
            todo = [rec for rec, _ in failed]
            time.sleep(min(0.05 * 2 ** i, 1.0))
        stats["records"] += len(batch)
    stats["requests"] = kin.requests
    if a.seq:
        for n in sorted(placed):
            shard, seq = placed[n]
            print(json.dumps({"n": n, "shard": shard, "seq": seq}))
    if a.stats:
        print(json.dumps(stats))


def cmd_put(kin, a):
    def records():
        for n, data in enumerate(lines_of(sys.stdin.buffer), 1):
            yield n, data, key_for(a, n, data)
    put_records(kin, a, list(records()))


def cmd_put_bytes(kin, a):
    f = open(a.file, "rb") if a.file not in (None, "-") else sys.stdin.buffer

    def records():
        for n, line in enumerate(lines_of(f), 1):
            key, tab, b64 = line.partition(b"\t")
            if not tab:
                key, b64 = None, line
            try:
                data = base64.b64decode(b64, validate=True)
            except ValueError as e:
                usage(f"line {n}: not base64 ({e})")
            yield n, data, key.decode() if key is not None else (
                a.key if a.key is not None else str(n))
    put_records(kin, a, list(records()))


def stream_records(kin, a):
    shards = parents_first(kin.shards(a.stream))
    if a.shard:
        shards = [s for s in shards if s["ShardId"] == a.shard]
        if not shards:
            raise Failed(f"ResourceNotFoundException: no shard {a.shard} in {a.stream}")
    for shard in shards:
        for r in read_shard(kin, a.stream, shard):
            yield shard["ShardId"], r


def cmd_dump(kin, a):
    out = sys.stdout.buffer
    for shard, r in stream_records(kin, a):
        if a.data:
            out.write(r["Data"] + b"\n")
        else:
            out.write(json.dumps({
                "shard": shard, "seq": r["SequenceNumber"],
                "key": r["PartitionKey"],
                "data_b64": base64.b64encode(r["Data"]).decode(),
            }).encode() + b"\n")
    out.flush()


def cmd_count(kin, a):
    print(sum(1 for _ in stream_records(kin, a)))


def shard_json(s):
    return {
        "id": s["ShardId"],
        "parent": s.get("ParentShardId"),
        "adjacent_parent": s.get("AdjacentParentShardId"),
        "hash": [s["HashKeyRange"]["StartingHashKey"],
                 s["HashKeyRange"]["EndingHashKey"]],
        "seq": [s["SequenceNumberRange"]["StartingSequenceNumber"],
                s["SequenceNumberRange"].get("EndingSequenceNumber")],
        "open": is_open(s),
    }


def cmd_describe(kin, a):
    d = kin.call("describe_stream_summary",
                 StreamName=a.stream)["StreamDescriptionSummary"]
    print(json.dumps({
        "name": d["StreamName"], "status": d["StreamStatus"],
        "retention": d.get("RetentionPeriodHours"),
        "shards": [shard_json(s) for s in parents_first(kin.shards(a.stream))],
    }))


def cmd_shards(kin, a):
    for s in parents_first(kin.shards(a.stream)):
        print("\t".join([
            s["ShardId"], "open" if is_open(s) else "closed",
            s.get("ParentShardId") or "-", s.get("AdjacentParentShardId") or "-",
            s["HashKeyRange"]["StartingHashKey"], s["HashKeyRange"]["EndingHashKey"],
        ]))


def children(kin, stream, parent):
    return sorted((s for s in kin.shards(stream)
                   if parent in (s.get("ParentShardId"), s.get("AdjacentParentShardId"))),
                  key=lambda s: int(s["HashKeyRange"]["StartingHashKey"]))


def cmd_split(kin, a):
    s = find_shard(kin, a.stream, a.shard)
    lo, hi = int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"])
    at = a.hash_key if a.hash_key is not None else lo + (hi - lo + 1) // 2
    kin.wait_active(a.stream)
    kin.call("split_shard", reads=False, StreamName=a.stream, ShardToSplit=a.shard,
             NewStartingHashKey=str(at))
    kin.wait_active(a.stream)
    for c in children(kin, a.stream, a.shard):
        print(c["ShardId"])


def cmd_merge(kin, a):
    kin.wait_active(a.stream)
    kin.call("merge_shards", reads=False, StreamName=a.stream, ShardToMerge=a.shard1,
             AdjacentShardToMerge=a.shard2)
    kin.wait_active(a.stream)
    for c in children(kin, a.stream, a.shard1):
        print(c["ShardId"])


# ---- main -------------------------------------------------------------

def env(*names, default=None):
    for n in names:
        if os.environ.get(n):
            return os.environ[n]
    return default


def parse(argv):
    ap = Parser(prog="kinesis.py", description=__doc__.split("\n")[0])
    ap.add_argument("--endpoint", default=env("TEL_KINESIS_ENDPOINT", "KINESIS_ENDPOINT"))
    ap.add_argument("--access-key", default=env("AWS_ACCESS_KEY_ID", "KINESIS_ACCESS_KEY"))
    ap.add_argument("--secret", default=env("AWS_SECRET_ACCESS_KEY", "KINESIS_SECRET_KEY"))
    ap.add_argument("--region", default=env("AWS_REGION", "KINESIS_REGION",
                                            default="us-east-1"))
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--attempts", type=int, default=50)
    sub = ap.add_subparsers(dest="cmd", required=True, parser_class=Parser)

    def cmd(name, *args):
        p = sub.add_parser(name)
        if "stream" in args:
            p.add_argument("stream")
        return p

    p = cmd("create", "stream")
    p.add_argument("shards", type=int)
    p.add_argument("--no-wait", action="store_true")
    cmd("delete", "stream")
    cmd("list")
    for name in ("put", "put-bytes"):
        p = cmd(name, "stream")
        if name == "put-bytes":
            p.add_argument("file", nargs="?")
        else:
            p.add_argument("--key-field")
        p.add_argument("--key")
        p.add_argument("--record-attempts", type=int, default=50)
        p.add_argument("--stats", action="store_true")
        p.add_argument("--seq", action="store_true")
    for name in ("dump", "count"):
        p = cmd(name, "stream")
        p.add_argument("--shard")
        if name == "dump":
            p.add_argument("--data", action="store_true")
    cmd("describe", "stream")
    cmd("shards", "stream")
    p = cmd("split", "stream")
    p.add_argument("shard")
    p.add_argument("--hash-key", type=int)
    p = cmd("merge", "stream")
    p.add_argument("shard1")
    p.add_argument("shard2")
    a = ap.parse_args(argv)
    if not a.endpoint:
        usage("no endpoint: --endpoint, or TEL_KINESIS_ENDPOINT (t/lib-kinesis.sh sets it)")
    # kinesalite takes any key pair; a real endpoint wants the real one
    a.access_key = a.access_key or "tel-test"
    a.secret = a.secret or "tel-test"
    if a.attempts < 1:
        usage("--attempts must be at least 1")
    return a


def main(argv):
    a = parse(argv)
    kin = Kinesis(a)
    try:
        globals()["cmd_" + a.cmd.replace("-", "_")](kin, a)
    except botocore.exceptions.ClientError as e:
        err = e.response.get("Error", {})
        print(f"kinesis.py: {err.get('Code', '?')}: {err.get('Message', '')}",
              file=sys.stderr)
        return 1
    except Failed as e:
        print(f"kinesis.py: {e}", file=sys.stderr)
        return 1
    except (botocore.exceptions.ConnectionError,
            botocore.exceptions.HTTPClientError) as e:
        print(f"kinesis.py: transport: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
