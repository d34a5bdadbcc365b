#!/usr/bin/env python3
"""kinesis_proxy.py: a loopback HTTP proxy in front of a Kinesis server
(kinesalite) that injects the failures of the real service.

usage: kinesis_proxy.py --dir DIR --upstream URL [--throttle-share F]
           [--kms-share F] [--error-share F] [--error-ops OP,...]
           [--seed N] [--log FILE] [--lifetime SEC]

Listens on 127.0.0.1, a port the kernel picks, written to DIR/port once it
listens (fakehttp.serve); point the client at http://127.0.0.1:PORT.  Every
request goes upstream as it came: method, path, headers (Host too: the
client signed the Host it sent; kinesalite checks no signature anyway) and
body, byte for byte, unless something is injected:

  --error-share F     a share F of all calls (of any operation) is answered
                      HTTP 500 {"__type":"InternalFailure"} and not
                      forwarded.  Decided first.
  --error-ops OP,...  --error-share applies to these operations only
                      (e.g. ListShards); the others are never failed so.
  --throttle-share F  PutRecords: each record with chance F is not forwarded
                      and answered as failed with ErrorCode
                      ProvisionedThroughputExceededException; the others go
                      upstream in one PutRecords (the body rebuilt: only
                      then is a request not byte for byte) and their answers
                      are put back in their places, FailedRecordCount
                      recounted.  No record left: nothing is forwarded.
                      GetRecords and PutRecord: the call, with chance F, is
                      answered HTTP 400 {"__type":
                      "ProvisionedThroughputExceededException", "message":
                      "Rate exceeded for shard ..."} and not forwarded.
  --kms-share F       PutRecords: each record not throttled fails with
                      chance F as KMSThrottlingException instead, likewise
                      not forwarded.
  --seed N            the random choices, repeatable (default: random)

A record reported failed is never forwarded, so a client that sends each
failed record again stores each record once.  An upstream that cannot be
reached closes the client's connection without an answer.

The log (--log, default DIR/log) gets one JSON line per call, written
before the answer goes out:
  {"n": CALL, "op": "PutRecords", "status": 200, "injected": null or
   "InternalFailure" or "ProvisionedThroughputExceededException",
   "records": N, "forwarded": K, "throttled": [INDEX...], "kms": [INDEX...],
   "failed_upstream": M}
("records" ... only for PutRecords; "upstream_error" when the upstream
could not be reached).  Standard library only.
"""
import http.client
import json
import os
import random
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakehttp  # noqa: E402

AMZ_JSON = "application/x-amz-json-1.1"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te",
              "transfer-encoding", "upgrade", "content-length", "expect"}


class Proxy(fakehttp.Server):
    def __init__(self, handler, args):
        super().__init__(handler, args.log or os.path.join(args.dir, "log"))
        self.args = args
        u = urllib.parse.urlsplit(args.upstream)
        if u.scheme != "http" or not u.hostname:
            raise SystemExit(f"kinesis_proxy.py: --upstream {args.upstream}: want http://HOST:PORT")
        self.up_host, self.up_port = u.hostname, u.port or 80
        self.rng = random.Random(args.seed)
        self.rng_lock = threading.Lock()
        self.calls = 0

    def chance(self, share):
        if share <= 0:
            return False
        with self.rng_lock:
            return self.rng.random() < share

    def next_call(self):
        with self.lock:
            self.calls += 1
            return self.calls


class Handler(fakehttp.Handler):
    up = None   # this client connection's upstream connection

    def log_line(self, status):
        self.note["status"] = status
        return json.dumps(self.note, separators=(",", ":"))

    def respond(self):
        srv, args = self.server, self.server.args
        target = self.headers.get("X-Amz-Target", "")
        op = target.rsplit(".", 1)[-1] if target else self.command
        self.note = {"n": srv.next_call(), "op": op, "injected": None}
        if (args.error_ops is None or op in args.error_ops) and \
                srv.chance(args.error_share):
            self.note["injected"] = "InternalFailure"
            return self.error(500, "InternalFailure", None)
        if op in ("GetRecords", "PutRecord") and srv.chance(args.throttle_share):
            self.note["injected"] = "ProvisionedThroughputExceededException"
            return self.error(400, "ProvisionedThroughputExceededException",
                              "Rate exceeded for shard in stream under account 000000000000.")
        if op == "PutRecords":
            return self.put_records()
        self.forward(self.data)

    def error(self, status, kind, message):
        body = {"__type": kind}
        if message is not None:
            body["message"] = message
        ctype = self.headers.get("Content-Type") or AMZ_JSON
        self.reply(status, json.dumps(body), ctype,
                   [("x-amzn-RequestId", "tel-proxy-%d" % self.note["n"]),
                    ("x-amzn-ErrorType", kind)])

    def put_records(self):
        srv, args = self.server, self.server.args
        try:
            req = json.loads(self.data)
            records = req["Records"]
            assert isinstance(records, list)
        except (ValueError, KeyError, TypeError, AssertionError):
            self.note["unparsed"] = True    # CBOR or garbage: kinesalite says
            return self.forward(self.data)
        stream = req.get("StreamName", "")
        results, keep, throttled, kms = [None] * len(records), [], [], []
        for i in range(len(records)):
            if srv.chance(args.throttle_share):
                throttled.append(i)
                results[i] = {
                    "ErrorCode": "ProvisionedThroughputExceededException",
                    "ErrorMessage": f"Rate exceeded for shard shardId-000000000000 "
                                    f"in stream {stream} under account 000000000000."}
            elif srv.chance(args.kms_share):
                kms.append(i)
                results[i] = {
                    "ErrorCode": "KMSThrottlingException",
                    "ErrorMessage": "Rate exceeded for KMS key (Service: AWSKMS; "
                                    "Status Code: 400; Error Code: ThrottlingException)"}
            else:
                keep.append(i)
        self.note.update(records=len(records), forwarded=len(keep),
                         throttled=throttled, kms=kms)
        if not throttled and not kms:
            return self.forward(self.data)
        if keep:
            req["Records"] = [records[i] for i in keep]
            got = self.upstream(json.dumps(req).encode())
            if got is None:
                return
            status, headers, body = got
            if status != 200:       # the upstream's no, as it is
                return self.pass_back(status, headers, body)
            try:
                up = json.loads(body)["Records"]
                assert len(up) == len(keep)
            except (ValueError, KeyError, TypeError, AssertionError):
                self.note["bad_upstream_answer"] = True
                return self.pass_back(502, headers, body)
            for i, r in zip(keep, up):
                results[i] = r
        failed = sum(1 for r in results if "ErrorCode" in r)
        self.note["failed_upstream"] = failed - len(throttled) - len(kms)
        self.reply(200, json.dumps({"FailedRecordCount": failed, "Records": results}),
                   self.headers.get("Content-Type") or AMZ_JSON,
                   [("x-amzn-RequestId", "tel-proxy-%d" % self.note["n"])])

    def forward(self, body):
        got = self.upstream(body)
        if got is not None:
            self.pass_back(*got)

    def pass_back(self, status, headers, body):
        ctype = None
        extra = []
        for k, v in headers:
            if k.lower() == "content-type":
                ctype = v
            elif k.lower() not in HOP_BY_HOP and k.lower() not in ("date", "server"):
                extra.append((k, v))
        self.reply(status, body, ctype, extra)

    def upstream(self, body):
        """Send the request with BODY upstream: (status, headers, body),
        or None (the client's connection closed, the log told)."""
        srv = self.server
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP]
        headers.append(("Content-Length", str(len(body))))
        for attempt in (1, 2):
            fresh = self.up is None
            if fresh:
                self.up = http.client.HTTPConnection(srv.up_host, srv.up_port, timeout=60)
            try:
                self.up.putrequest(self.command, self.path, skip_host=True,
                                   skip_accept_encoding=True)
                for k, v in headers:
                    self.up.putheader(k, v)
                self.up.endheaders(body)
                r = self.up.getresponse()
                data = r.read()
                if r.will_close:
                    self.up.close()
                    self.up = None
                return r.status, r.getheaders(), data
            except (OSError, http.client.HTTPException) as e:
                self.up.close()
                self.up = None
                # A kept connection the upstream had closed: once more.
                if fresh or attempt == 2 or not isinstance(
                        e, (http.client.RemoteDisconnected, BrokenPipeError,
                            ConnectionResetError)):
                    self.note["upstream_error"] = f"{type(e).__name__}: {e}"
                    self.note["status"] = None
                    srv.note(json.dumps(self.note, separators=(",", ":")))
                    self.close_connection = True
                    return None
        return None

    def finish(self):
        if self.up is not None:
            self.up.close()
        super().finish()


def share(s):
    v = float(s)
    if not 0 <= v <= 1:
        raise ValueError(s)
    return v


def main():
    ap = fakehttp.parser(__doc__)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--throttle-share", type=share, default=0)
    ap.add_argument("--kms-share", type=share, default=0)
    ap.add_argument("--error-share", type=share, default=0)
    ap.add_argument("--error-ops", type=lambda v: set(v.split(",")))
    ap.add_argument("--seed", type=int)
    ap.add_argument("--log")
    args = ap.parse_args()
    return fakehttp.serve(Proxy(Handler, args), args.dir, args.lifetime)


if __name__ == "__main__":
    sys.exit(main())
