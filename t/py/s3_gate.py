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

Python 3 standard library only; stops after --lifetime seconds (300).
"""
import argparse
import http.client
import os
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Gate:
    def __init__(self, args):
        self.args = args
        self.cv = threading.Condition()
        self.inflight = 0
        self.log = open(os.path.join(args.dir, "log"), "a", buffering=1)

    def enter(self, part):
        with self.cv:
            self.inflight += 1
            self.log.write(f"part {part} inflight {self.inflight}\n")
            self.cv.notify_all()
            end = time.monotonic() + self.args.gate_wait
            while self.inflight < self.args.gate and time.monotonic() < end:
                self.cv.wait(end - time.monotonic())

    def leave(self):
        with self.cv:
            self.inflight -= 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        gate = self.server.gate
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        part = q.get("partNumber", [None])[0]
        if part is not None and self.command == "PUT":
            if part == gate.args.fail_part:
                gate.log.write(f"part {part} refused\n")
                msg = (b"<Error><Code>AccessDenied</Code><Message>s3_gate "
                       b"refuses this part</Message></Error>")
                self.send_response(403)
                self.send_header("Content-Length", str(len(msg)))
                self.end_headers()
                self.wfile.write(msg)
                return
            gate.enter(part)
        try:
            self.relay(body)
        finally:
            if part is not None and self.command == "PUT":
                gate.leave()

    def relay(self, body):
        up = urllib.parse.urlsplit(self.server.gate.args.upstream)
        c = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
        c.putrequest(self.command, self.path, skip_host=True,
                     skip_accept_encoding=True)
        for k, v in self.headers.items():
            c.putheader(k, v)
        c.endheaders(body)
        r = c.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding",
                                 "connection", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        c.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = forward


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--gate", type=int, default=1)
    ap.add_argument("--gate-wait", type=float, default=20)
    ap.add_argument("--fail-part")
    ap.add_argument("--lifetime", type=float, default=300)
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.gate = Gate(args)
    with open(os.path.join(args.dir, "port.tmp"), "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(os.path.join(args.dir, "port.tmp"),
              os.path.join(args.dir, "port"))
    threading.Timer(args.lifetime, srv.shutdown).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
