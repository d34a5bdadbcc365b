#!/usr/bin/env python3
"""Loopback fakes of the AWS credential endpoints, for t/t0007.

One HTTP server on 127.0.0.1 (a port it picks, written to DIR/port)
serves three fakes that check what the real endpoints check:

  EC2 IMDSv2   PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds
               (1-21600) and no X-Forwarded-For; every GET under
               /latest/meta-data/ needs a valid X-aws-ec2-metadata-token,
               else 401.  The role name, then the role's JSON credentials.
  ECS          GET --ecs-path; with --ecs-auth, Authorization must equal it,
               else 401.  JSON credentials.
  STS          AssumeRoleWithWebIdentity as a POST form (or GET query) to /:
               Action, Version, RoleArn, RoleSessionName, WebIdentityToken
               present and right, else the error STS gives; an XML reply.

Every request is logged to DIR/log as "SERVICE METHOD PATH STATUS", and
every credential issued to DIR/issued as JSON lines, so tests can count
requests and look for leaked secrets.  --hang SERVICE accepts and never
answers (until --hang-for seconds pass), --delay SERVICE=SECONDS answers
late, --expires-in sets the issued credentials' lifetime (short-lived
ones prove refreshing).  --blackhole also opens DIR/blackhole-port, a
listening socket whose accept queue is kept full, so that connecting to
it times out as to an unreachable host.  The server stops by itself
after --lifetime seconds.  Python 3 standard library only.
"""

import argparse
import datetime
import json
import os
import re
import secrets
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

IMDS_CREDS = "/latest/meta-data/iam/security-credentials/"
SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.serial = {}
        self.imds_tokens = {}   # token -> expiry (monotonic)
        self.log = open(os.path.join(args.dir, "log"), "a", buffering=1)
        self.issued = open(os.path.join(args.dir, "issued"), "a",
                           buffering=1)

    def note(self, service, method, path, status):
        with self.lock:
            self.log.write(f"{service} {method} {path} {status}\n")

    def credentials(self, service):
        """New credentials, recorded; with '/', '+', '&' in the secret."""
        with self.lock:
            n = self.serial.get(service, 0) + 1
            self.serial[service] = n
            tag = service.upper()[:4]
            expiry = (datetime.datetime.now(datetime.timezone.utc) +
                      datetime.timedelta(seconds=self.args.expires_in))
            c = {
                "AccessKeyId": f"ASIAFAKE{tag}{n:08d}",
                "SecretAccessKey": f"FAKESECRET{tag}{n}/k+e&y",
                "Token": f"FAKETOKEN{tag}{n}" + "Zm9v" * 80,
                "Expiration": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            self.issued.write(json.dumps(dict(c, service=service)) + "\n")
            return c


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-aws/1"

    def log_message(self, fmt, *args):
        pass    # the log file is the record

    # -- plumbing

    def reply(self, service, status, body, ctype="application/json",
              headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.server.state.note(service, self.command,
                               urllib.parse.urlsplit(self.path).path, status)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def stall(self, service):
        """--hang and --delay; True if the request is to go unanswered."""
        args = self.server.state.args
        if service in args.hang:
            self.server.state.note(service, self.command, self.path, "hang")
            time.sleep(args.hang_for)
            self.close_connection = True
            return True
        if service in args.delay:
            time.sleep(args.delay[service])
        return False

    def service(self):
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/latest/"):
            return "imds"
        if path == self.server.state.args.ecs_path:
            return "ecs"
        if path == "/":
            return "sts"
        return "none"

    def dispatch(self):
        svc = self.service()
        if svc == "none":
            self.body()
            return self.reply(svc, 404, "not found\n", "text/plain")
        if self.stall(svc):
            return None
        return getattr(self, svc)()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = dispatch

    # -- IMDSv2

    def imds(self):
        st = self.server.state
        path = urllib.parse.urlsplit(self.path).path
        self.body()
        if path == "/latest/api/token":
            return self.imds_token()
        if self.command != "GET":
            return self.reply("imds", 405, "", "text/plain")
        tok = self.headers.get("X-aws-ec2-metadata-token")
        with st.lock:
            valid = tok is not None and \
                st.imds_tokens.get(tok, 0) > time.monotonic()
        if not valid:
            return self.reply("imds", 401, "", "text/plain")
        role = st.args.imds_role
        if path == IMDS_CREDS:
            if not role:
                return self.reply("imds", 404, "", "text/plain")
            return self.reply("imds", 200, role + "\n", "text/plain")
        if path == IMDS_CREDS + role and role:
            c = st.credentials("imds")
            doc = {"Code": "Success", "LastUpdated":
                   time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                   "Type": "AWS-HMAC", **c}
            return self.reply("imds", 200, json.dumps(doc, indent=2),
                              "text/plain")
        return self.reply("imds", 404, "", "text/plain")

    def imds_token(self):
        if self.command != "PUT":
            return self.reply("imds", 405, "", "text/plain")
        if self.headers.get("X-Forwarded-For") is not None:
            return self.reply("imds", 403, "", "text/plain")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.reply("imds", 400, "", "text/plain")
        tok = "AQAEA" + secrets.token_urlsafe(40)
        with self.server.state.lock:
            self.server.state.imds_tokens[tok] = time.monotonic() + int(ttl)
        return self.reply("imds", 200, tok, "text/plain",
                          [("X-aws-ec2-metadata-token-ttl-seconds", ttl)])

    # -- ECS / EKS container credentials

    def ecs(self):
        st = self.server.state
        self.body()
        if self.command != "GET":
            return self.reply("ecs", 405, "", "text/plain")
        want = st.args.ecs_auth
        if want is not None and self.headers.get("Authorization") != want:
            return self.reply("ecs", 401, json.dumps(
                {"Code": "InvalidToken", "Message": "bad Authorization"}))
        c = st.credentials("ecs")
        doc = {"AccessKeyId": c["AccessKeyId"],
               "SecretAccessKey": c["SecretAccessKey"],
               "Token": c["Token"], "Expiration": c["Expiration"],
               "RoleArn": "arn:aws:iam::123456789012:role/tel-task"}
        return self.reply("ecs", 200, json.dumps(doc))

    # -- STS AssumeRoleWithWebIdentity

    def sts_error(self, status, code, message):
        body = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/'
                '2011-06-15/"><Error><Type>Sender</Type>'
                f'<Code>{escape(code)}</Code><Message>{escape(message)}'
                '</Message></Error><RequestId>'
                f'{secrets.token_hex(8)}</RequestId></ErrorResponse>')
        return self.reply("sts", status, body, "text/xml")

    def sts_params(self):
        if self.command == "POST":
            ctype = self.headers.get("Content-Type", "")
            if not ctype.startswith("application/x-www-form-urlencoded"):
                return None
            text = self.body().decode("utf-8", "replace")
        else:
            self.body()
            text = urllib.parse.urlsplit(self.path).query
        return dict(urllib.parse.parse_qsl(text, keep_blank_values=True))

    def sts(self):
        args = self.server.state.args
        p = self.sts_params()
        if p is None:
            return self.sts_error(400, "InvalidParameterValue",
                                  "not a form")
        for k in ("Action", "Version", "RoleArn", "RoleSessionName",
                  "WebIdentityToken"):
            if k not in p:
                return self.sts_error(400, "MissingParameter",
                                      f"The request must contain the "
                                      f"parameter {k}")
        if p["Action"] != "AssumeRoleWithWebIdentity":
            return self.sts_error(400, "InvalidAction", "unknown action")
        if p["Version"] != "2011-06-15":
            return self.sts_error(400, "InvalidParameterValue", "Version")
        if not SESSION_NAME.match(p["RoleSessionName"]):
            return self.sts_error(400, "ValidationError",
                                  "RoleSessionName fails the pattern")
        if p["RoleArn"] != args.role_arn:
            return self.sts_error(403, "AccessDenied",
                                  "Not authorized to perform "
                                  "sts:AssumeRoleWithWebIdentity")
        if p["WebIdentityToken"] != args.web_token:
            return self.sts_error(400, "InvalidIdentityToken",
                                  "Couldn't verify the token")
        return self.sts_ok(p)

    def sts_ok(self, p):
        c = self.server.state.credentials("sts")
        x = {k: escape(v) for k, v in c.items()}
        body = (
            '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.'
            'amazonaws.com/doc/2011-06-15/">\n'
            '  <AssumeRoleWithWebIdentityResult>\n'
            '    <SubjectFromWebIdentityToken>system:serviceaccount:tel:tel'
            '</SubjectFromWebIdentityToken>\n'
            '    <AssumedRoleUser>\n'
            f'      <Arn>{escape(p["RoleArn"])}/'
            f'{escape(p["RoleSessionName"])}</Arn>\n'
            '      <AssumedRoleId>AROAFAKE:x</AssumedRoleId>\n'
            '    </AssumedRoleUser>\n'
            '    <Credentials>\n'
            f'      <SessionToken>{x["Token"]}</SessionToken>\n'
            f'      <SecretAccessKey>{x["SecretAccessKey"]}</SecretAccessKey>\n'
            f'      <Expiration>{x["Expiration"]}</Expiration>\n'
            f'      <AccessKeyId>{x["AccessKeyId"]}</AccessKeyId>\n'
            '    </Credentials>\n'
            '    <Audience>sts.amazonaws.com</Audience>\n'
            '  </AssumeRoleWithWebIdentityResult>\n'
            '  <ResponseMetadata><RequestId>'
            f'{secrets.token_hex(8)}</RequestId></ResponseMetadata>\n'
            '</AssumeRoleWithWebIdentityResponse>\n')
        return self.reply("sts", 200, body, "text/xml")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # clients that give up (timeouts under test) are no error here
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def write_atomic(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def blackhole(dirname):
    """A port whose accept queue is full: new SYNs are dropped."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(0)
    port = s.getsockname()[1]
    fillers = []
    for _ in range(4):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(c)
        time.sleep(0.05)
    write_atomic(os.path.join(dirname, "blackhole-port"), f"{port}\n")
    return [s] + fillers


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--expires-in", type=int, default=6 * 3600)
    ap.add_argument("--hang", action="append", default=[],
                    choices=["imds", "ecs", "sts"])
    ap.add_argument("--hang-for", type=float, default=30)
    ap.add_argument("--delay", action="append", default=[],
                    metavar="SERVICE=SECONDS")
    ap.add_argument("--ecs-path", default="/ecs/credentials")
    ap.add_argument("--ecs-auth")
    ap.add_argument("--imds-role", default="tel-test-role")
    ap.add_argument("--role-arn",
                    default="arn:aws:iam::123456789012:role/tel-web")
    ap.add_argument("--web-token", default="")
    ap.add_argument("--blackhole", action="store_true")
    ap.add_argument("--lifetime", type=float, default=300)
    args = ap.parse_args(argv)
    args.delay = {k: float(v) for k, v in
                  (d.split("=", 1) for d in args.delay)}
    return args


def main(argv):
    args = parse_args(argv)
    srv = Server(("127.0.0.1", 0), Handler)
    srv.state = State(args)
    keep = blackhole(args.dir) if args.blackhole else []
    write_atomic(os.path.join(args.dir, "port"),
                 f"{srv.server_address[1]}\n")
    timer = threading.Timer(args.lifetime, srv.shutdown)
    timer.daemon = True
    timer.start()
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    for s in keep:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
