#!/usr/bin/env python3
"""s3.py: an independent S3 client (boto3) for the tests: fixtures and
checks of what tel-s3-put left in a bucket.

usage: s3.py [OPTIONS] COMMAND ARG...

  mb BUCKET                 make a bucket
  ls BUCKET [PREFIX]        KEY<TAB>SIZE, one object a line, in key order
  get BUCKET KEY            the object's bytes on stdout
  head BUCKET KEY           JSON: size, etag, content_type, content_encoding,
                            metadata, storage_class (STANDARD when the server
                            names none, as S3 does), sse, sse_kms_key_id,
                            checksums {CRC32, CRC32C, CRC64NVME, SHA1, SHA256:
                            base64, as stored}, checksum_type, last_modified
  put BUCKET KEY [FILE]     upload FILE (default stdin) in one PUT; prints
                            the JSON of head.  --metadata K=V (repeatable),
                            --content-type, --content-encoding,
                            --storage-class, --sse AES256|aws:kms,
                            --checksum CRC32|CRC32C|SHA1|SHA256|CRC64NVME
  rm BUCKET KEY             delete an object
  list-multipart BUCKET     in-progress multipart uploads: KEY<TAB>UPLOAD_ID
  mpu-start BUCKET KEY      begin a multipart upload and leave it in
                            progress (a fixture); prints its upload id
  mpu-abort BUCKET KEY ID   abort one

OPTIONS (defaults from the environment that t/lib-s3.sh sets):
  --endpoint URL   $S3_ENDPOINT     --access-key K   $S3_ACCESS_KEY
  --secret S       $S3_SECRET_KEY   --region R       $S3_REGION (us-east-1)
  --timeout SEC    connect and read timeout (default 10)

Requests are signed with SigV4, path-style, never retried; by default
boto3 adds no checksum of its own to an upload (--checksum asks for one).

Exit status: 0 done; 1 the server said no (stderr: "s3.py: CODE: message",
e.g. SignatureDoesNotMatch, NoSuchKey); 2 no answer (connection refused or
reset, timeout: "s3.py: transport: ..."); 64 bad usage.
"""
import argparse
import json
import os
import sys

try:
    import boto3
    import botocore
    from botocore.config import Config
except ImportError as e:  # not in the venv: say so, as a usage error
    print(f"s3.py: {e} (run t/peers/setup.sh venv and use its python)", file=sys.stderr)
    sys.exit(64)


def usage(msg):
    print(f"s3.py: {msg}", file=sys.stderr)
    sys.exit(64)


class Parser(argparse.ArgumentParser):
    def error(self, message):
        usage(message)


def client(a):
    if not a.endpoint:
        usage("no --endpoint and no S3_ENDPOINT")
    cfg = Config(signature_version="s3v4",
                 s3={"addressing_style": "path"},
                 retries={"total_max_attempts": 1, "mode": "standard"},
                 connect_timeout=a.timeout, read_timeout=a.timeout,
                 request_checksum_calculation="when_required",
                 response_checksum_validation="when_supported")
    return boto3.session.Session().client(
        "s3", endpoint_url=a.endpoint, region_name=a.region,
        aws_access_key_id=a.access_key, aws_secret_access_key=a.secret,
        config=cfg)


def head(s3, bucket, key):
    r = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    sums = {}
    for alg in ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"):
        if r.get("Checksum" + alg):
            sums[alg] = r["Checksum" + alg]
    return {
        "size": r["ContentLength"],
        "etag": r["ETag"].strip('"'),
        "content_type": r.get("ContentType"),
        "content_encoding": r.get("ContentEncoding"),
        "metadata": r.get("Metadata", {}),
        "storage_class": r.get("StorageClass", "STANDARD"),
        "sse": r.get("ServerSideEncryption"),
        "sse_kms_key_id": r.get("SSEKMSKeyId"),
        "checksums": sums,
        "checksum_type": r.get("ChecksumType"),
        "last_modified": r["LastModified"].isoformat(),
    }


def cmd_mb(s3, a):
    s3.create_bucket(Bucket=a.bucket)


def cmd_ls(s3, a):
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=a.bucket, Prefix=a.prefix):
        out += [(o["Key"], o["Size"]) for o in page.get("Contents", [])]
    for k, n in sorted(out):
        print(f"{k}\t{n}")


def cmd_get(s3, a):
    body = s3.get_object(Bucket=a.bucket, Key=a.key)["Body"]
    out = sys.stdout.buffer
    for chunk in iter(lambda: body.read(1 << 20), b""):
        out.write(chunk)
    out.flush()


def cmd_head(s3, a):
    print(json.dumps(head(s3, a.bucket, a.key), indent=1, sort_keys=True))


def cmd_put(s3, a):
    if a.file in (None, "-"):
        data = sys.stdin.buffer.read()
    else:
        with open(a.file, "rb") as f:
            data = f.read()
    kw = {"Bucket": a.bucket, "Key": a.key, "Body": data}
    meta = {}
    for kv in a.metadata:
        k, sep, v = kv.partition("=")
        if not sep:
            usage(f"--metadata '{kv}' is no K=V")
        meta[k] = v
    if meta:
        kw["Metadata"] = meta
    for opt, arg in (("content_type", "ContentType"), ("content_encoding", "ContentEncoding"),
                     ("storage_class", "StorageClass"), ("sse", "ServerSideEncryption"),
                     ("checksum", "ChecksumAlgorithm")):
        if getattr(a, opt):
            kw[arg] = getattr(a, opt)
    s3.put_object(**kw)
    print(json.dumps(head(s3, a.bucket, a.key), indent=1, sort_keys=True))


def cmd_rm(s3, a):
    s3.delete_object(Bucket=a.bucket, Key=a.key)


def cmd_list_multipart(s3, a):
    out = []
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=a.bucket):
        out += [(u["Key"], u["UploadId"]) for u in page.get("Uploads", [])]
    for k, u in sorted(out):
        print(f"{k}\t{u}")


def cmd_mpu_start(s3, a):
    print(s3.create_multipart_upload(Bucket=a.bucket, Key=a.key)["UploadId"])


def cmd_mpu_abort(s3, a):
    s3.abort_multipart_upload(Bucket=a.bucket, Key=a.key, UploadId=a.upload_id)


def main():
    env = os.environ.get
    ap = Parser(prog="s3.py", description=__doc__.split("\n")[0],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", default=env("S3_ENDPOINT"))
    ap.add_argument("--access-key", default=env("S3_ACCESS_KEY"))
    ap.add_argument("--secret", default=env("S3_SECRET_KEY"))
    ap.add_argument("--region", default=env("S3_REGION") or "us-east-1")
    ap.add_argument("--timeout", type=float, default=10)
    sub = ap.add_subparsers(dest="cmd", required=True, parser_class=Parser)

    def add(name, fn, *args):
        s = sub.add_parser(name)
        for x in args:
            if x.endswith("?"):
                s.add_argument(x[:-1], nargs="?", default="" if x == "prefix?" else None)
            else:
                s.add_argument(x)
        s.set_defaults(fn=fn)
        return s

    add("mb", cmd_mb, "bucket")
    add("ls", cmd_ls, "bucket", "prefix?")
    add("get", cmd_get, "bucket", "key")
    add("head", cmd_head, "bucket", "key")
    s = add("put", cmd_put, "bucket", "key", "file?")
    s.add_argument("--metadata", action="append", default=[])
    s.add_argument("--content-type")
    s.add_argument("--content-encoding")
    s.add_argument("--storage-class")
    s.add_argument("--sse", choices=["AES256", "aws:kms"])
    s.add_argument("--checksum", choices=["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"])
    add("rm", cmd_rm, "bucket", "key")
    add("list-multipart", cmd_list_multipart, "bucket")
    add("mpu-start", cmd_mpu_start, "bucket", "key")
    add("mpu-abort", cmd_mpu_abort, "bucket", "key", "upload_id")
    a = ap.parse_args()
    s3 = client(a)
    try:
        a.fn(s3, a)
    except botocore.exceptions.ClientError as e:
        err = e.response.get("Error", {})
        code = err.get("Code") or str(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"))
        print(f"s3.py: {code}: {err.get('Message', e)}", file=sys.stderr)
        sys.exit(1)
    except botocore.exceptions.BotoCoreError as e:
        print(f"s3.py: transport: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(2)
    except BrokenPipeError:
        sys.exit(1)


if __name__ == "__main__":
    main()
