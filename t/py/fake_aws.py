#!/usr/bin/env python3
"""Loopback fakes of the AWS credential endpoints, for t/t0007, t/t0010
and (with --imds-from-minio) t/t4006.

One HTTP server on 127.0.0.1 (a port it picks, written to DIR/port)
serves three fakes that check what the real endpoints check:

  EC2 IMDSv2   PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds
               (1-21600) and no X-Forwarded-For; every GET under
               /latest/meta-data/ needs a valid X-aws-ec2-metadata-token,
               else 401.  The role name (--imds-role), then the role's
               JSON credentials.
  ECS          GET --ecs-path; with --ecs-auth, Authorization must equal it,
               else 401.  JSON credentials.
  STS          AssumeRoleWithWebIdentity as a POST form (or GET query) to /:
               Action, Version, RoleArn, RoleSessionName, WebIdentityToken
               present and right, else the error STS gives; an XML reply.

Every request is logged to DIR/log as "SERVICE METHOD PATH STATUS" (before
the reply is sent), and every credential issued to DIR/issued as JSON
lines, so tests can count requests and look for leaked secrets.  --hang
SERVICE accepts and never answers (until --hang-for seconds pass), --delay
SERVICE=SECONDS answers late, --expires-in sets the issued credentials'
lifetime (short-lived ones prove refreshing).  --imds-from-minio makes the
IMDS role credentials real temporary ones from MinIO's STS (AssumeRole,
900 s or more; needs boto3, the test venv): the MinIO is S3_ENDPOINT with
root credentials S3_ACCESS_KEY and S3_SECRET_KEY, as t/lib-s3.sh sets
them.  --blackhole also opens DIR/blackhole-port, a listening socket whose
accept queue is kept full, so that connecting to it times out as to an
unreachable host.  The server stops by itself after --lifetime seconds, or
on SIGTERM.  Python 3 standard library only (but for --imds-from-minio).
"""

import datetime
import json
import os
import re
import secrets
import sys
import time
import urllib.parse
from xml.sax.saxutils import escape

sys.dont_write_bytecode = True     # no t/py/__pycache__ in the source tree
import fakehttp                     # noqa: E402

IMDS_CREDS = "/latest/meta-data/iam/security-credentials/"
JSON, TEXT = "application/json", "text/plain"
SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")


class State:
    def __init__(self, args, lock):
        self.args = args
        self.lock = lock        # the server's
        self.serial = {}
        self.imds_tokens = {}   # token -> expiry (monotonic)
        self.issued = open(os.path.join(args.dir, "issued"), "a",
                           buffering=1)
        self.minio = minio_sts(args) if args.imds_from_minio else None

    def credentials(self, service):
        """New credentials, recorded: made up ones with '/', '+', '&' in
        the secret, or (--imds-from-minio, for IMDS) real ones."""
        real = None
        if service == "imds" and self.minio:
            real = self.minio.assume_role(
                RoleArn="arn:aws:iam::123456789012:role/" +
                self.args.imds_role, RoleSessionName="tel-imds",
                DurationSeconds=max(900, self.args.expires_in + 300))
            real = real["Credentials"]
        expiry = (datetime.datetime.now(datetime.timezone.utc) +
                  datetime.timedelta(seconds=self.args.expires_in))
        with self.lock:
            n = self.serial.get(service, 0) + 1
            self.serial[service] = n
            tag = service.upper()[:4]
            c = {
                "AccessKeyId": f"ASIAFAKE{tag}{n:08d}",
                "SecretAccessKey": f"FAKESECRET{tag}{n}/k+e&y",
                "Token": f"FAKETOKEN{tag}{n}" + "Zm9v" * 80,
                "Expiration": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            if real:
                c.update(AccessKeyId=real["AccessKeyId"],
                         SecretAccessKey=real["SecretAccessKey"],
                         Token=real["SessionToken"])
            self.issued.write(json.dumps(dict(c, service=service)) + "\n")
            return c


def minio_sts(args):
    """--imds-from-minio: an STS client of the MinIO t/lib-s3.sh set up."""
    import boto3
    env = os.environ
    return boto3.client("sts", endpoint_url=env["S3_ENDPOINT"],
                        region_name=env.get("S3_REGION", "us-east-1"),
                        aws_access_key_id=env["S3_ACCESS_KEY"],
                        aws_secret_access_key=env["S3_SECRET_KEY"])


class Handler(fakehttp.Handler):
    server_version = "fake-aws/1"

    # -- plumbing

    def log_line(self, status):
        return f"{self.svc} {self.command} {self.path_only} {status}"

    def stall(self):
        """--hang and --delay; True if the request is to go unanswered."""
        args = self.server.state.args
        if self.svc in args.hang:
            self.server.note(f"{self.svc} {self.command} {self.path} hang")
            self.hang(args.hang_for)
            return True
        if self.svc in args.delay:
            time.sleep(args.delay[self.svc])
        return False

    def service(self):
        path = self.path_only
        if path.startswith("/latest/"):
            return "imds"
        if path == self.server.state.args.ecs_path:
            return "ecs"
        if path == "/":
            return "sts"
        return "none"

    def respond(self):
        self.svc = self.service()
        if self.svc == "none":
            return self.reply(404, "not found\n", TEXT)
        if self.stall():
            return None
        return getattr(self, self.svc)()

    # -- IMDSv2

    def imds(self):
        st = self.server.state
        path = self.path_only
        if path == "/latest/api/token":
            return self.imds_token()
        if self.command != "GET":
            return self.reply(405, "", TEXT)
        tok = self.headers.get("X-aws-ec2-metadata-token")
        with st.lock:
            valid = tok is not None and \
                st.imds_tokens.get(tok, 0) > time.monotonic()
        if not valid:
            return self.reply(401, "", TEXT)
        role = st.args.imds_role
        if path == IMDS_CREDS:
            if not role:
                return self.reply(404, "", TEXT)
            return self.reply(200, role + "\n", TEXT)
        if path == IMDS_CREDS + role and role:
            c = st.credentials("imds")
            doc = {"Code": "Success", "LastUpdated":
                   time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                   "Type": "AWS-HMAC", **c}
            return self.reply(200, json.dumps(doc, indent=2),
                              TEXT)
        return self.reply(404, "", TEXT)

    def imds_token(self):
        if self.command != "PUT":
            return self.reply(405, "", TEXT)
        if self.headers.get("X-Forwarded-For") is not None:
            return self.reply(403, "", TEXT)
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.reply(400, "", TEXT)
        tok = "AQAEA" + secrets.token_urlsafe(40)
        with self.server.state.lock:
            self.server.state.imds_tokens[tok] = time.monotonic() + int(ttl)
        return self.reply(200, tok, TEXT,
                          [("X-aws-ec2-metadata-token-ttl-seconds", ttl)])

    # -- ECS / EKS container credentials

    def ecs(self):
        st = self.server.state
        if self.command != "GET":
            return self.reply(405, "", TEXT)
        want = st.args.ecs_auth
        if want is not None and self.headers.get("Authorization") != want:
            return self.reply(401, json.dumps(
                {"Code": "InvalidToken", "Message": "bad Authorization"}),
                JSON)
        c = st.credentials("ecs")
        doc = {"AccessKeyId": c["AccessKeyId"],
               "SecretAccessKey": c["SecretAccessKey"],
               "Token": c["Token"], "Expiration": c["Expiration"],
               "RoleArn": "arn:aws:iam::123456789012:role/tel-task"}
        return self.reply(200, json.dumps(doc), JSON)

    # -- STS AssumeRoleWithWebIdentity

    def sts_error(self, status, code, message):
        body = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/'
                '2011-06-15/"><Error><Type>Sender</Type>'
                f'<Code>{escape(code)}</Code><Message>{escape(message)}'
                '</Message></Error><RequestId>'
                f'{secrets.token_hex(8)}</RequestId></ErrorResponse>')
        return self.reply(status, body, "text/xml")

    def sts_params(self):
        if self.command == "POST":
            ctype = self.headers.get("Content-Type", "")
            if not ctype.startswith("application/x-www-form-urlencoded"):
                return None
            text = self.data.decode("utf-8", "replace")
        else:
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
        return self.reply(200, body, "text/xml")


def parse_args(argv):
    ap = fakehttp.parser(__doc__)
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
    ap.add_argument("--imds-from-minio", action="store_true")
    ap.add_argument("--blackhole", action="store_true")
    args = ap.parse_args(argv)
    args.delay = {k: float(v) for k, v in
                  (d.split("=", 1) for d in args.delay)}
    return args


def main(argv):
    args = parse_args(argv)
    srv = fakehttp.Server(Handler, os.path.join(args.dir, "log"))
    srv.state = State(args, srv.lock)
    keep = (fakehttp.blackhole(os.path.join(args.dir, "blackhole-port"))
            if args.blackhole else [])
    return fakehttp.serve(srv, args.dir, args.lifetime, keep)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
