#!/usr/bin/env python3
"""kinesis_sign.py: the SigV4 headers botocore gives a Kinesis request, at a
fixed time: the known answer a test compares tel's signer with.

usage: kinesis_sign.py --time UNIX_SECONDS --akid AKID --secret SECRET
           [--token TOKEN] [--region us-east-1] [--service kinesis]
           --endpoint URL [--target Kinesis_20131202.PutRecords]
           --body-file FILE [--canonical]

Signs POST URL with the body of FILE (bytes as they are; "-" is stdin) the
way botocore's Kinesis client does (botocore.auth.SigV4Auth on an
AWSRequest carrying the two headers the client sets before signing:
Content-Type application/x-amz-json-1.1 and X-Amz-Target), with botocore's
clock frozen at --time.  Prints the signed headers, one a line,
"name: value", names in lower case and sorted:

  authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/kinesis/aws4_request, SignedHeaders=..., Signature=...
  content-type: application/x-amz-json-1.1
  host: HOST[:PORT]          (as botocore derives it from URL)
  x-amz-date: YYYYMMDDTHHMMSSZ
  x-amz-security-token: TOKEN   (with --token only)
  x-amz-target: TARGET

--canonical adds, after an empty line, botocore's canonical request, an
empty line and its string to sign, to find where two signers part.
The real client adds User-Agent, amz-sdk-* and Content-Length after
signing: they are not signed and not printed.
"""
import argparse
import datetime
import sys

try:
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError as e:
    print(f"kinesis_sign.py: {e} (run t/peers/setup.sh venv and use its python)",
          file=sys.stderr)
    sys.exit(64)


def freeze_clock(when):
    """Make botocore.auth see WHEN (an aware UTC datetime) as now."""
    if hasattr(botocore.auth, "get_current_datetime"):
        # botocore >= 1.33: botocore.compat.get_current_datetime, imported
        # into botocore.auth by name
        def frozen(remove_tzinfo=True):
            return when.replace(tzinfo=None) if remove_tzinfo else when
        botocore.auth.get_current_datetime = frozen
    else:
        # older: datetime.datetime.utcnow() in botocore.auth
        class Frozen(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return when.replace(tzinfo=None)

            @classmethod
            def now(cls, tz=None):
                return when if tz else when.replace(tzinfo=None)

        class Module:
            datetime = Frozen

            def __getattr__(self, name):
                return getattr(datetime, name)
        botocore.auth.datetime = Module()


class Signer(botocore.auth.SigV4Auth):
    """SigV4Auth that keeps the canonical request and string to sign it
    signed with (add_auth passes the one to string_to_sign)."""
    seen = None

    def string_to_sign(self, request, canonical_request):
        sts = super().string_to_sign(request, canonical_request)
        self.seen = (canonical_request, sts)
        return sts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--time", type=int, required=True)
    ap.add_argument("--akid", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--token")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--service", default="kinesis")
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--target", default="Kinesis_20131202.PutRecords")
    ap.add_argument("--body-file", required=True)
    ap.add_argument("--canonical", action="store_true")
    a = ap.parse_args()

    if a.body_file == "-":
        body = sys.stdin.buffer.read()
    else:
        with open(a.body_file, "rb") as f:
            body = f.read()
    url = a.endpoint if a.endpoint.endswith("/") else a.endpoint + "/"
    freeze_clock(datetime.datetime.fromtimestamp(a.time, datetime.timezone.utc))

    req = AWSRequest(method="POST", url=url, data=body, headers={
        "X-Amz-Target": a.target,
        "Content-Type": "application/x-amz-json-1.1",
    })
    signer = Signer(Credentials(a.akid, a.secret, a.token), a.service, a.region)
    signer.add_auth(req)

    out = {k.lower(): v for k, v in req.headers.items()}
    out["host"] = botocore.auth._host_from_url(url) if hasattr(
        botocore.auth, "_host_from_url") else req.headers.get("host", "")
    for k in sorted(out):
        v = out[k]
        print(f"{k}: {v.decode() if isinstance(v, bytes) else v}")
    if a.canonical:
        print()
        print(signer.seen[0])
        print()
        print(signer.seen[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
