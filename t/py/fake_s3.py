#!/usr/bin/env python3
"""fake_s3.py: a scripted fake S3 on loopback for tel-s3-put's retry tests.

usage: fake_s3.py MODE      (run in the test's scratch directory)

Writes its port to ./port once listening, and logs every request as
"METHOD PATH?QUERY AKID AMZDATE" to ./requests.log.  It checks that the
signed x-amz-content-sha256 is the body's SHA-256 but not the signature
(MinIO checks that in t4001): the point is the replies MinIO cannot be
made to give.  MODEs:

  plain           every request succeeds; ETag the body's MD5
  skew            a PUT signed more than 10 s away from the fake's clock
                  (2 hours ahead) gets 403 RequestTimeTooSkewed with Date
  slowdown        the first two PUTs get 503 SlowDown
  expired         requests not signed by access key NEWKEY get ExpiredToken
  denied          everything gets 403 AccessDenied
  badetag         a PUT's ETag is not the body's MD5
  complete-retry  the first CompleteMultipartUpload is a 200 with an
                  <Error> InternalError
  complete-fail   CompleteMultipartUpload is a 200 with <Error> InvalidPart
  hostile         everything gets 403 AccessDenied whose code, message and
                  request id hold terminal escapes, the message echoing the
                  request's session token
"""
import calendar
import email.utils
import hashlib
import http.server
import os
import re
import sys
import time

MODE = sys.argv[1]
SEEN = {}


def count(k):
    SEEN[k] = SEEN.get(k, 0) + 1
    return SEEN[k]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, code, name, date=None):
        h = [("x-amz-request-id", "REQ%d" % count("id"))]
        if date:
            h.append(("Date", date))
        body = "<Error><Code>%s</Code><Message>fake %s</Message></Error>" % (name, name)
        self.reply(code, body.encode(), h)

    def complete(self, body):
        if MODE == "complete-retry" and count("complete") == 1:
            return self.reply(200, b"<Error><Code>InternalError</Code><Message>try again</Message></Error>")
        if MODE == "complete-fail":
            return self.reply(200, b"<Error><Code>InvalidPart</Code><Message>no</Message></Error>")
        parts = re.findall(rb'<ETag>"([0-9a-f]+)"</ETag>', body)
        md5 = hashlib.md5(b"".join(bytes.fromhex(p.decode()) for p in parts)).hexdigest()
        xml = "<CompleteMultipartUploadResult><ETag>&quot;%s-%d&quot;</ETag></CompleteMultipartUploadResult>"
        self.reply(200, (xml % (md5, len(parts))).encode())

    def any(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        auth = self.headers.get("Authorization", "")
        akid = re.sub(r".*Credential=([^/]*)/.*", r"\1", auth)
        amz = self.headers.get("x-amz-date", "")
        with open("requests.log", "a") as f:
            f.write("%s %s %s %s\n" % (self.command, self.path, akid, amz))
        if self.headers.get("x-amz-content-sha256") != hashlib.sha256(body).hexdigest():
            return self.error(400, "XAmzContentSHA256Mismatch")
        etag = '"%s"' % hashlib.md5(body).hexdigest()
        put = self.command == "PUT"
        if MODE == "skew" and put:
            server = time.time() + 7200
            signed = calendar.timegm(time.strptime(amz, "%Y%m%dT%H%M%SZ"))
            if abs(signed - server) > 10:
                return self.error(403, "RequestTimeTooSkewed",
                                  email.utils.formatdate(server, usegmt=True))
        if MODE == "slowdown" and put and count("put") <= 2:
            return self.error(503, "SlowDown")
        if MODE == "expired" and akid != "NEWKEY":
            return self.error(400, "ExpiredToken")
        if MODE == "denied":
            return self.error(403, "AccessDenied")
        if MODE == "hostile":
            tok = self.headers.get("x-amz-security-token", "")
            return self.reply(403, (
                "<Error><Code>Access\x1b[2JDenied</Code><Message>no \x1b[31m"
                "red\x1b[0m, and your token is %s</Message><RequestId>R\x07"
                "</RequestId></Error>" % tok).encode())
        if MODE == "badetag" and put:
            etag = '"%s"' % ("0" * 32)
        if self.command == "POST" and "uploads" in self.path:
            return self.reply(200, b"<InitiateMultipartUploadResult><UploadId>UP&amp;1</UploadId></InitiateMultipartUploadResult>")
        if self.command == "POST" and "uploadId" in self.path:
            return self.complete(body)
        if self.command == "DELETE":
            return self.reply(204)
        self.reply(200, b"", [("ETag", etag)])

    do_PUT = do_POST = do_DELETE = do_GET = any


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open("port.tmp", "w") as f:
    f.write(str(server.server_port))
os.rename("port.tmp", "port")
server.serve_forever()
