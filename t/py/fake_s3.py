#!/usr/bin/env python3
"""fake_s3.py: a scripted fake S3 on loopback for tel-s3-put's retry tests.

usage: fake_s3.py MODE [--dir DIR] [--lifetime SEC]

In DIR (default: the current directory, the test's scratch one), writes
its port to DIR/port once listening and logs every request as "METHOD
PATH?QUERY AKID AMZDATE" to DIR/requests.log; stops after --lifetime
seconds (300) or on SIGTERM.  It checks that the signed
x-amz-content-sha256 is the body's SHA-256 but not the signature (MinIO
checks that in t4001): the point is the replies MinIO cannot be made to
give.  MODEs:

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
import os
import re
import sys
import time

sys.dont_write_bytecode = True     # no t/py/__pycache__ in the source tree
import fakehttp                     # noqa: E402

MODES = ("plain", "skew", "slowdown", "expired", "denied", "badetag",
         "complete-retry", "complete-fail", "hostile")
SEEN = {}


def count(k):
    SEEN[k] = SEEN.get(k, 0) + 1
    return SEEN[k]


class Handler(fakehttp.Handler):
    mode = "plain"

    def error(self, code, name, date=None):
        h = [("x-amz-request-id", "REQ%d" % count("id"))]
        if date:
            h.append(("Date", date))
        body = "<Error><Code>%s</Code><Message>fake %s</Message></Error>" % (name, name)
        self.reply(code, body, headers=h)

    def complete(self, body):
        if self.mode == "complete-retry" and count("complete") == 1:
            return self.reply(200, b"<Error><Code>InternalError</Code><Message>try again</Message></Error>")
        if self.mode == "complete-fail":
            return self.reply(200, b"<Error><Code>InvalidPart</Code><Message>no</Message></Error>")
        parts = re.findall(rb'<ETag>"([0-9a-f]+)"</ETag>', body)
        md5 = hashlib.md5(b"".join(bytes.fromhex(p.decode()) for p in parts)).hexdigest()
        xml = "<CompleteMultipartUploadResult><ETag>&quot;%s-%d&quot;</ETag></CompleteMultipartUploadResult>"
        self.reply(200, xml % (md5, len(parts)))

    def respond(self):
        body = self.data
        auth = self.headers.get("Authorization", "")
        akid = re.sub(r".*Credential=([^/]*)/.*", r"\1", auth)
        amz = self.headers.get("x-amz-date", "")
        self.server.note("%s %s %s %s" % (self.command, self.path, akid, amz))
        if self.headers.get("x-amz-content-sha256") != hashlib.sha256(body).hexdigest():
            return self.error(400, "XAmzContentSHA256Mismatch")
        etag = '"%s"' % hashlib.md5(body).hexdigest()
        put = self.command == "PUT"
        if self.mode == "skew" and put:
            server = time.time() + 7200
            signed = calendar.timegm(time.strptime(amz, "%Y%m%dT%H%M%SZ"))
            if abs(signed - server) > 10:
                return self.error(403, "RequestTimeTooSkewed",
                                  email.utils.formatdate(server, usegmt=True))
        if self.mode == "slowdown" and put and count("put") <= 2:
            return self.error(503, "SlowDown")
        if self.mode == "expired" and akid != "NEWKEY":
            return self.error(400, "ExpiredToken")
        if self.mode == "denied":
            return self.error(403, "AccessDenied")
        if self.mode == "hostile":
            tok = self.headers.get("x-amz-security-token", "")
            return self.reply(403, (
                "<Error><Code>Access\x1b[2JDenied</Code><Message>no \x1b[31m"
                "red\x1b[0m, and your token is %s</Message><RequestId>R\x07"
                "</RequestId></Error>" % tok).encode())
        if self.mode == "badetag" and put:
            etag = '"%s"' % ("0" * 32)
        if self.command == "POST" and "uploads" in self.path:
            return self.reply(200, b"<InitiateMultipartUploadResult><UploadId>UP&amp;1</UploadId></InitiateMultipartUploadResult>")
        if self.command == "POST" and "uploadId" in self.path:
            return self.complete(body)
        if self.command == "DELETE":
            return self.reply(204)
        self.reply(200, headers=[("ETag", etag)])


def main():
    ap = fakehttp.parser(__doc__, dirname=".")
    ap.add_argument("mode", choices=MODES)
    args = ap.parse_args()
    Handler.mode = args.mode
    srv = fakehttp.Server(Handler, os.path.join(args.dir, "requests.log"))
    return fakehttp.serve(srv, args.dir, args.lifetime)


if __name__ == "__main__":
    sys.exit(main())
