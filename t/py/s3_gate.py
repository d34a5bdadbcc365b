#!/usr/bin/env python3
"""s3_gate.py: an HTTP proxy in front of a real S3 server (MinIO) that
watches the UploadPart requests of tel-s3-put, for t/t4007.

usage: s3_gate.py --upstream http://127.0.0.1:PORT --dir DIR
                  [--gate N] [--gate-wait SEC] [--fail-part N]

Requests are passed on byte for byte, Host header included, so that a
request signed for the proxy's address verifies upstream.  Writes its
port to DIR/port once listening and, for every UploadPart, a line
"part NUMBER inflight K" to DIR/log, K the number of UploadParts in
flight (this one included) when it arrived.

--gate N        hold each UploadPart until N are in flight at once (or
                --gate-wait seconds, default 20, pass): a client that
                sends parts in parallel fills the gate at once, one that
                sends them in turn is let through late, one at a time
--fail-part N   answer UploadPart number N with 403 AccessDenied (a
                failure for good) instead of passing it on

Python 3 standard library only; stops after --lifetime seconds (300) or
on SIGTERM.
"""
import http.client
import os
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True     # no t/py/__pycache__ in the source tree
import fakehttp                     # noqa: E402


class Gate:
    def __init__(self, args, note):
        self.args = args
        self.note = note        # the server's log
        self.cv = threading.Condition()
        self.inflight = 0

    def enter(self, part):
        with self.cv:
            self.inflight += 1
            self.note(f"part {part} inflight {self.inflight}")
            self.cv.notify_all()
            end = time.monotonic() + self.args.gate_wait
            while self.inflight < self.args.gate and time.monotonic() < end:
                self.cv.wait(end - time.monotonic())

    def leave(self):
        with self.cv:
            self.inflight -= 1


class Handler(fakehttp.Handler):
    def respond(self):
        gate = self.server.gate
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        part = q.get("partNumber", [None])[0]
        if part is None or self.command != "PUT":
            return self.relay()
        if part == gate.args.fail_part:
            gate.note(f"part {part} refused")
            return self.reply(403, b"<Error><Code>AccessDenied</Code>"
                              b"<Message>s3_gate refuses this part</Message>"
                              b"</Error>")
        gate.enter(part)
        try:
            self.relay()
        finally:
            gate.leave()

    def relay(self):
        up = urllib.parse.urlsplit(self.server.gate.args.upstream)
        c = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
        c.putrequest(self.command, self.path, skip_host=True,
                     skip_accept_encoding=True)
        for k, v in self.headers.items():
            c.putheader(k, v)
        c.endheaders(self.data)
        r = c.getresponse()
        data = r.read()
        c.close()
        self.reply(r.status, data, headers=[
            (k, v) for k, v in r.getheaders()
            if k.lower() not in ("content-length", "transfer-encoding",
                                 "connection", "server", "date")])


def main():
    ap = fakehttp.parser(__doc__)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--gate", type=int, default=1)
    ap.add_argument("--gate-wait", type=float, default=20)
    ap.add_argument("--fail-part")
    args = ap.parse_args()
    srv = fakehttp.Server(Handler, os.path.join(args.dir, "log"))
    srv.gate = Gate(args, srv.note)
    return fakehttp.serve(srv, args.dir, args.lifetime)


if __name__ == "__main__":
    sys.exit(main())
