#!/usr/bin/env python3
"""Cross-check tel's MSK IAM token against AWS's own Python signer.

For pinned credentials and a pinned time, generates a token with
aws-msk-iam-sasl-signer-python (PyPI; botocore's SigV4QueryAuth inside,
its clock pinned by replacing botocore.auth.get_current_datetime) and
one with tel (t/helper/aws-creds.c --msk-token, the same credentials in
its environment), decodes both and compares the signed URLs: scheme,
host, path and every query parameter with its exact encoding, the
User-Agent parameter aside (each signer names itself there, unsigned),
and the token lifetimes.  The order of the parameters may differ (tel
gives the canonical order, botocore its own); the server reads them as
a set.  Exit status 0 if they agree, 1 with the differences if not.
"""

import argparse
import base64
import datetime
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse

import botocore.auth
from botocore.credentials import CredentialProvider, Credentials

from aws_msk_iam_sasl_signer import MSKAuthTokenProvider


class Pinned(CredentialProvider):
    METHOD = "pinned"

    def __init__(self, akid, secret, token):
        super().__init__()
        self.creds = Credentials(akid, secret, token)

    def load(self):
        return self.creds


def pin_clock(now_ms):
    """Makes botocore's signer see now_ms as the current time."""
    if not hasattr(botocore.auth, "get_current_datetime"):
        sys.exit("this botocore has no botocore.auth.get_current_datetime "
                 "to pin; use the version in t/py/requirements.txt")
    utc = datetime.datetime.fromtimestamp(now_ms / 1000,
                                          datetime.timezone.utc)

    def frozen(remove_tzinfo=True):
        return utc.replace(tzinfo=None) if remove_tzinfo else utc

    botocore.auth.get_current_datetime = frozen
    return utc.strftime("%Y%m%dT%H%M%SZ")


def decode(token):
    pad = "=" * (-len(token) % 4)
    return base64.urlsafe_b64decode(token + pad).decode("ascii")


def split(url):
    """(scheme, host, path, sorted raw 'k=v' pieces without User-Agent)."""
    u = urllib.parse.urlsplit(url)
    pieces = [p for p in u.query.split("&")
              if not p.startswith("User-Agent=")]
    return (u.scheme, u.netloc, u.path, sorted(pieces))


def ours(helper, args):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "AWS_ACCESS_KEY_ID": args.akid,
           "AWS_SECRET_ACCESS_KEY": args.our_secret or args.secret,
           "AWS_EC2_METADATA_DISABLED": "true"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    if args.token:
        env["AWS_SESSION_TOKEN"] = args.token
    with tempfile.TemporaryDirectory() as home:
        env["HOME"] = home
        out = subprocess.run([helper, "--now", str(args.now),
                              "--msk-token", args.region],
                             env=env, check=True, capture_output=True,
                             text=True).stdout
    d = json.loads(out)
    return d["token"], d["lifetime_ms"]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--helper", required=True)
    ap.add_argument("--region", required=True)
    ap.add_argument("--akid", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--token")
    ap.add_argument("--our-secret", help="give tel another secret, to see "
                    "that this check can fail")
    ap.add_argument("--now", type=int, required=True, help="ms since epoch")
    args = ap.parse_args(argv)

    amzdate = pin_clock(args.now)
    ref_token, ref_expiry = \
        MSKAuthTokenProvider.generate_auth_token_from_credentials_provider(
            args.region, Pinned(args.akid, args.secret, args.token))
    our_token, our_expiry = ours(args.helper, args)
    ref, got = decode(ref_token), decode(our_token)

    bad = []
    if f"X-Amz-Date={amzdate}&" not in ref:
        bad.append(f"the reference did not sign at the pinned time "
                   f"{amzdate}: the clock pin failed")
    if "User-Agent=aws-msk-iam-sasl-signer-python%2F" not in ref:
        bad.append("no User-Agent in the reference URL")
    if not got.rsplit("&", 1)[-1].startswith("User-Agent=tel%2F"):
        bad.append("no tel User-Agent at the end of our URL")
    if split(ref) != split(got):
        bad.append(f"URLs differ:\n  reference: {ref}\n  tel:       {got}")
    if ref_expiry != our_expiry:
        bad.append(f"lifetimes differ: reference {ref_expiry}, "
                   f"tel {our_expiry}")
    if "=" in our_token or "+" in our_token or "/" in our_token:
        bad.append("tel's token is not unpadded base64url")
    for b in bad:
        print(b)
    if not bad:
        print(f"same URL: {got}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
