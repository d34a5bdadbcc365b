#!/usr/bin/env python3
"""imds_minio.py: a loopback EC2 instance metadata service (IMDSv2) whose
role credentials are real temporary credentials from MinIO's STS, so that
a client that takes them from "the instance" can upload to that MinIO.
For t/t4006.  Needs boto3 (the test venv).

usage: imds_minio.py --dir DIR [--expires-in SEC] [--lifetime SEC]

The MinIO is S3_ENDPOINT with root credentials S3_ACCESS_KEY and
S3_SECRET_KEY (as t/lib-s3.sh sets them).  Every credential fetch asks
MinIO's STS for fresh credentials (AssumeRole, 900 s or more), and
reports them as expiring --expires-in seconds from now (default 3600;
a short one makes the client refresh).

  PUT /latest/api/token          needs X-aws-ec2-metadata-token-ttl-seconds
  GET /latest/meta-data/iam/security-credentials/        the role name
  GET /latest/meta-data/iam/security-credentials/ROLE    JSON credentials
  (the GETs need a valid X-aws-ec2-metadata-token, else 401)

Writes its port to DIR/port once listening; logs "METHOD PATH STATUS" to
DIR/log, and each credential issued as a JSON line to DIR/issued (tests
count fetches and look for leaked secrets there).
"""
import argparse
import datetime
import json
import os
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3

ROLE = "tel-minio-role"
CREDS = "/latest/meta-data/iam/security-credentials/"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body="", ctype="text/plain", headers=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        srv = self.server
        with srv.lock:
            srv.log.write("%s %s %d\n" % (self.command,
                          urllib.parse.urlsplit(self.path).path, status))

    def do_PUT(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        if urllib.parse.urlsplit(self.path).path != "/latest/api/token":
            return self.reply(404)
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.reply(400)
        tok = "AQAEA" + secrets.token_urlsafe(32)
        with self.server.lock:
            self.server.tokens[tok] = time.monotonic() + int(ttl)
        return self.reply(200, tok, headers=[
            ("X-aws-ec2-metadata-token-ttl-seconds", ttl)])

    def do_GET(self):
        srv = self.server
        path = urllib.parse.urlsplit(self.path).path
        tok = self.headers.get("X-aws-ec2-metadata-token")
        with srv.lock:
            ok = tok is not None and srv.tokens.get(tok, 0) > time.monotonic()
        if not ok:
            return self.reply(401)
        if path == CREDS:
            return self.reply(200, ROLE + "\n")
        if path != CREDS + ROLE:
            return self.reply(404)
        c = srv.sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/" + ROLE,
                                RoleSessionName="tel-imds",
                                DurationSeconds=max(900, srv.args.expires_in + 300))
        c = c["Credentials"]
        exp = (datetime.datetime.now(datetime.timezone.utc) +
               datetime.timedelta(seconds=srv.args.expires_in))
        doc = {"Code": "Success", "Type": "AWS-HMAC",
               "LastUpdated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "AccessKeyId": c["AccessKeyId"],
               "SecretAccessKey": c["SecretAccessKey"],
               "Token": c["SessionToken"],
               "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ")}
        with srv.lock:
            srv.issued.write(json.dumps(doc) + "\n")
        return self.reply(200, json.dumps(doc, indent=2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--expires-in", type=int, default=3600)
    ap.add_argument("--lifetime", type=float, default=300)
    args = ap.parse_args()
    env = os.environ
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.args = args
    srv.lock = threading.Lock()
    srv.tokens = {}
    srv.log = open(os.path.join(args.dir, "log"), "a", buffering=1)
    srv.issued = open(os.path.join(args.dir, "issued"), "a", buffering=1)
    srv.sts = boto3.client("sts", endpoint_url=env["S3_ENDPOINT"],
                           region_name=env.get("S3_REGION", "us-east-1"),
                           aws_access_key_id=env["S3_ACCESS_KEY"],
                           aws_secret_access_key=env["S3_SECRET_KEY"])
    with open(os.path.join(args.dir, "port.tmp"), "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(os.path.join(args.dir, "port.tmp"), os.path.join(args.dir, "port"))
    threading.Timer(args.lifetime, srv.shutdown).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
