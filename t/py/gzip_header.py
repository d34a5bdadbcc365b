#!/usr/bin/env python3
"""An independent gzip header reader and old-format writer for t3*.t.

usage: gzip_header.py show FILE
       gzip_header.py members FILE
       gzip_header.py old FILE KEY FIRST [cut] <NDJSON

show: prints FILE's gzip header (RFC 1952 2.3) as JSON, parsed with
struct, not zlib: its flag names, OS, and for FEXTRA each subfield
(SI1 SI2 LEN data, 2.3.1.1) by its two-letter ID, for FCOMMENT the
comment; "meta" is tel-batch's metadata (the "TL" subfield) decoded as
JSON.  Exits 1 on a header that breaks the format.

members: prints one JSON line per gzip member of FILE (RFC 1952 2.2: a
file is a series of members): its header's flags, its compressed and
uncompressed sizes, and whether its trailer's CRC-32 and ISIZE match
the data.  Each member is inflated on its own (raw deflate, past a
header parsed here), so a reader that took only the first would be
caught.  Exits 1 on trailing bytes that are not a member.

old: writes a file as tel-batch wrote it before the metadata moved to
the "TL" subfield: FLG with only FCOMMENT, MTIME 0, XFL 0, OS 3 (Unix),
the comment {"tel-batch":1,"key":KEY,"first":FIRST,"error":false}, then
stdin deflated with a sync flush (as --sync does) and, unless "cut" is
given, the final block and the CRC-32/ISIZE trailer.
"""
import json
import struct
import sys
import zlib

FLAGS = ((1, "FTEXT"), (2, "FHCRC"), (4, "FEXTRA"), (8, "FNAME"),
         (16, "FCOMMENT"))


def zstring(b, i):
    j = b.index(b"\0", i)
    return b[i:j], j + 1


def show(path):
    b = open(path, "rb").read()
    if b[:3] != b"\x1f\x8b\x08":
        sys.exit("%s: not a gzip file with deflate" % path)
    flg, _mtime, _xfl, os_ = struct.unpack_from("<BIBB", b, 3)
    out = {"flags": [n for f, n in FLAGS if flg & f], "reserved": flg & 0xe0,
           "os": os_, "subfields": [], "comment": None, "meta": None}
    i = 10
    if flg & 4:
        xlen, = struct.unpack_from("<H", b, i)
        i, end = i + 2, i + 2 + xlen
        out["xlen"] = xlen
        while i < end:
            if end - i < 4:
                sys.exit("%s: a subfield head cut by XLEN" % path)
            n, = struct.unpack_from("<H", b, i + 2)
            if i + 4 + n > end:
                sys.exit("%s: a subfield runs past XLEN" % path)
            sid, data = b[i:i + 2].decode("latin-1"), b[i + 4:i + 4 + n]
            out["subfields"].append([sid, data.decode()])
            if sid == "TL":
                out["meta"] = json.loads(data)
            i += 4 + n
    if flg & 8:
        _name, i = zstring(b, i)
    if flg & 16:
        c, i = zstring(b, i)
        out["comment"] = c.decode()
    print(json.dumps(out))


def header_len(b, i):
    """Length of the member header at b[i:], and its FLG."""
    if b[i:i + 3] != b"\x1f\x8b\x08":
        sys.exit("offset %d: not a gzip member" % i)
    flg = b[i + 3]
    j = i + 10
    if flg & 4:
        xlen, = struct.unpack_from("<H", b, j)
        j += 2 + xlen
    if flg & 8:
        _n, j = zstring(b, j)
    if flg & 16:
        _c, j = zstring(b, j)
    if flg & 2:
        j += 2
    return j - i, flg


def members(path):
    b = open(path, "rb").read()
    i = 0
    while i < len(b):
        h, flg = header_len(b, i)
        d = zlib.decompressobj(-15)
        data = d.decompress(b[i + h:])
        if not d.eof:
            sys.exit("offset %d: a member cut short" % i)
        used = len(b) - i - h - len(d.unused_data)
        crc, isize = struct.unpack_from("<II", b, i + h + used)
        print(json.dumps({"flags": [n for f, n in FLAGS if flg & f],
                          "bytes": h + used + 8, "raw": len(data),
                          "trailer_ok": crc == zlib.crc32(data) and
                          isize == len(data) & 0xffffffff}))
        i += h + used + 8


def old(path, key, first, cut):
    data = sys.stdin.buffer.read()
    comment = json.dumps({"tel-batch": 1, "key": key, "first": int(first),
                          "error": False}, separators=(",", ":"),
                         ensure_ascii=False)
    head = b"\x1f\x8b\x08\x10" + struct.pack("<IBB", 0, 0, 3)
    # a KEY argument's bytes as given, UTF-8 or not
    head += comment.encode("utf-8", "surrogateescape") + b"\0"
    d = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = d.compress(data) + d.flush(zlib.Z_SYNC_FLUSH)
    if not cut:
        body += d.flush(zlib.Z_FINISH)
        body += struct.pack("<II", zlib.crc32(data), len(data) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(head + body)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "show":
        show(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "members":
        members(sys.argv[2])
    elif len(sys.argv) in (5, 6) and sys.argv[1] == "old":
        old(sys.argv[2], sys.argv[3], sys.argv[4], len(sys.argv) == 6)
    else:
        sys.exit(__doc__)
