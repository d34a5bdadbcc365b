"""KPL aggregates made and taken apart by aws-kinesis-agg, AWS's own
aggregation module: the oracle of lib/kpl.c (t/helper/kpl.c).

A record set is NDJSON, one user record a line, in the very form
helper-kpl prints:  {"pk":"...","ehk":"..."|null,"data_b64":"..."}
(keys escaped as lib/jsonscan.c's json_escape(), so that the files
compare byte for byte).

  kpl_oracle.py agg RECORDS OUT      aggregate RECORDS into the file OUT
  kpl_oracle.py canon RECORDS        RECORDS (any JSON spelling) as
                                     helper-kpl spells them
  kpl_oracle.py gen SEED DIR         a random record set from SEED:
                                     DIR/records (as above), DIR/agg
  kpl_oracle.py deagg FILE           AWS's deaggregator on FILE; prints
                                     its records, or exits 1 if it took
                                     FILE for a plain record
  kpl_oracle.py differ SEED N AGG HELPER
                                     N mutations of the aggregate AGG's
                                     message (MD5 made right again),
                                     each given to HELPER and to
                                     protobuf: they must agree (below)
  kpl_oracle.py corrupt KIND AGG OUT one corruption of AGG: flip-body,
                                     flip-md5, truncate, magic
"""
import base64
import hashlib
import json
import random
import subprocess
import sys

import aws_kinesis_agg
# The aggregator puts the package's own directory on sys.path, which
# its generated messages_pb2 needs (it imports config_pb2 bare).
from aws_kinesis_agg import aggregator, deaggregator
from aws_kinesis_agg import messages_pb2
from google.protobuf.message import DecodeError

MAGIC = aws_kinesis_agg.MAGIC
DIGEST = aws_kinesis_agg.DIGEST_SIZE


def jstr(s):
    """s as json_escape() writes it: only '"', '\\', C0 and DEL escaped."""
    if s is None:
        return 'null'
    if isinstance(s, bytes):
        # upb hands a proto2 string that is not UTF-8 over as bytes
        return '<not UTF-8: %r>' % s
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append('\\' + ch)
        elif o < 0x20 or o == 0x7f:
            out.append('\\u%04x' % o)
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


def line(pk, ehk, data):
    return '{"pk":%s,"ehk":%s,"data_b64":%s}\n' % (
        jstr(pk), jstr(ehk), jstr(base64.b64encode(data).decode()))


def read_records(path):
    recs = []
    with open(path, encoding='utf-8') as f:
        for ln in f:
            j = json.loads(ln)
            recs.append((j['pk'], j['ehk'], base64.b64decode(j['data_b64'])))
    return recs


def write_records(path, recs):
    with open(path, 'w', encoding='utf-8', newline='') as f:
        for pk, ehk, data in recs:
            f.write(line(pk, ehk, data))


def aggregate(recs):
    """One aggregate of recs, by aws_kinesis_agg's AggRecord."""
    agg = aggregator.AggRecord()
    for pk, ehk, data in recs:
        if not agg.add_user_record(pk, data, ehk):
            sys.exit('kpl_oracle: the records do not fit in one aggregate')
    if not recs:
        sys.exit('kpl_oracle: aws_kinesis_agg makes no empty aggregate')
    return agg.get_contents()[2]


def rand_key(rng, kind):
    alphabets = {
        'ascii': 'abcdefghijklmnopqrstuvwxyz0123456789-_',
        'unicode': 'a\u00e9\u4e2d\u6587\U0001f69a\u0394 "\\/\t\x7f',
        'control': 'x\x00\x01\n\r\x1f"\\',
    }
    a = alphabets[kind]
    return ''.join(rng.choice(a) for _ in range(rng.randint(1, 24)))


def rand_data(rng):
    kind = rng.choice(['empty', 'binary', 'binary', 'text', 'json', 'json',
                       'magic', 'big'])
    if kind == 'empty':
        return b''
    if kind == 'binary':
        return rng.randbytes(rng.randint(1, 300))
    if kind == 'text':
        return 'caf\u00e9 \u00fcber \U0001f69a'.encode() * rng.randint(1, 5)
    if kind == 'json':
        return json.dumps({'truck_id': rng.randint(0, 99),
                           'v': rng.random()}).encode()
    if kind == 'magic':
        return MAGIC + rng.randbytes(20)
    return rng.randbytes(rng.randint(2000, 70000))


def gen(seed):
    """A random record set: 1 record, a few, or many; keys shared or not;
    explicit hash keys on none, all or some of the records."""
    rng = random.Random(seed)
    n = rng.choice([1, 1, 2, 5, 17, 100, rng.randint(1, 600)])
    keykind = rng.choice(['ascii', 'unicode', 'control'])
    pool = [rand_key(rng, keykind) for _ in range(rng.randint(1, 12))]
    ehkmode = rng.choice(['none', 'all', 'some'])
    ehks = [str(rng.randrange(2 ** 128)) for _ in range(rng.randint(1, 4))]
    recs, size = [], 0
    for _ in range(n):
        pk = rng.choice(pool)
        ehk = None
        if ehkmode == 'all' or (ehkmode == 'some' and rng.random() < 0.5):
            ehk = rng.choice(ehks)
        data = rand_data(rng)
        size += len(pk) * 4 + len(data) + 64
        if size > 900000:
            break
        recs.append((pk, ehk, data))
    return recs


def deagg(path):
    """AWS's deaggregator, as a consumer of boto3 records calls it."""
    with open(path, 'rb') as f:
        blob = f.read()
    rec = {'SequenceNumber': '1', 'PartitionKey': 'outer',
           'ApproximateArrivalTimestamp': 0, 'Data': blob}
    out = list(deaggregator.iter_deaggregate_records([rec], 'Boto3'))
    if len(out) == 1 and 'aggregated' not in out[0]['kinesis']:
        sys.stderr.write('kpl_oracle: not an aggregate to aws_kinesis_agg\n')
        return 1
    for r in out:
        k = r['kinesis']
        sys.stdout.write(line(k['partitionKey'], k['explicitHashKey'],
                              base64.b64decode(k['data'])))
    return 0


def protobuf_verdict(msg):
    """The records of msg by protobuf's own parser, or None if it refuses
    msg or a record's index is out of its table (AWS's deaggregator then
    fails on it)."""
    ar = messages_pb2.AggregatedRecord()
    try:
        ar.ParseFromString(msg)
    except DecodeError:
        return None
    if not ar.IsInitialized():
        return None
    pks, ehks, recs = ar.partition_key_table, ar.explicit_hash_key_table, []
    for r in ar.records:
        if r.partition_key_index >= len(pks):
            return None
        ehk = None
        if r.HasField('explicit_hash_key_index'):
            if r.explicit_hash_key_index >= len(ehks):
                return None
            ehk = ehks[r.explicit_hash_key_index]
        recs.append((pks[r.partition_key_index], ehk, r.data))
    return recs


# Where lib/kpl.c is stricter than protobuf, on purpose (lib/kpl.h):
# a known field of another wire type, a key that is not UTF-8 (proto2
# strings are not checked by upb), a varint whose tenth byte has more
# than bit 63.  Any other refusal must be protobuf's too.
STRICTER = ('has wire type', 'is not UTF-8', 'is over 64 bits')


def mutate(rng, msg):
    m = bytearray(msg)
    for _ in range(rng.randint(1, 3)):
        op = rng.choice(['flip', 'set', 'insert', 'delete', 'cut', 'dup'])
        if not m:
            op = 'insert'
        i = rng.randrange(len(m) + (op == 'insert'))
        if op == 'flip':
            m[i] ^= 1 << rng.randrange(8)
        elif op == 'set':
            m[i] = rng.choice([0, 1, 0x7f, 0x80, 0xff, rng.randrange(256)])
        elif op == 'insert':
            m[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        elif op == 'delete':
            del m[i:i + rng.randint(1, 4)]
        elif op == 'cut':
            del m[i:]
        else:
            j = rng.randrange(len(m))
            m[i:i] = m[j:j + rng.randint(1, 16)]
    return bytes(m)


def differ(seed, n, aggpath, helper):
    with open(aggpath, 'rb') as f:
        blob = f.read()
    msg = blob[len(MAGIC):-DIGEST]
    rng = random.Random(seed)
    tmp = aggpath + '.mut'
    counts = {'both accept': 0, 'both refuse': 0, 'we are stricter': 0}
    for k in range(n):
        m = mutate(rng, msg)
        with open(tmp, 'wb') as f:
            f.write(MAGIC + m + hashlib.md5(m).digest())
        p = subprocess.run([helper, tmp], capture_output=True)
        want = protobuf_verdict(m)
        err = p.stderr.decode('utf-8', 'replace').strip()
        if p.returncode not in (0, 1):
            print('mutation %d: helper exit %d: %s' % (k, p.returncode, err))
            return 1
        if p.returncode == 0 and want is None:
            print('mutation %d: protobuf refuses what we accept: %s'
                  % (k, m.hex()))
            return 1
        if p.returncode == 1 and want is not None:
            if not any(s in err for s in STRICTER):
                print('mutation %d: we refuse (%s) what protobuf takes: %s'
                      % (k, err, m.hex()))
                return 1
            counts['we are stricter'] += 1
            continue
        if p.returncode == 1:
            counts['both refuse'] += 1
            continue
        got = p.stdout.decode('utf-8')
        exp = ''.join(line(*r) for r in want)
        if got != exp:
            print('mutation %d: records differ: %s\n--- ours\n%s--- protobuf\n%s'
                  % (k, m.hex(), got, exp))
            return 1
        counts['both accept'] += 1
    print('%d mutations agree: %s' % (n, ', '.join(
        '%s %d' % kv for kv in counts.items())))
    return 0


def corrupt(kind, aggpath, out):
    with open(aggpath, 'rb') as f:
        b = bytearray(f.read())
    body = len(b) - len(MAGIC) - DIGEST
    if kind == 'flip-body':
        b[len(MAGIC) + body // 2] ^= 0x20
    elif kind == 'flip-md5':
        b[-DIGEST // 2] ^= 0x01
    elif kind == 'truncate':
        del b[-1:]
    elif kind == 'magic':
        b[0] ^= 0x01
    else:
        sys.exit('kpl_oracle: corrupt: no kind %s' % kind)
    with open(out, 'wb') as f:
        f.write(b)


def main(argv):
    if len(argv) == 4 and argv[1] == 'agg':
        with open(argv[3], 'wb') as f:
            f.write(aggregate(read_records(argv[2])))
        return 0
    if len(argv) == 3 and argv[1] == 'canon':
        sys.stdout.write(''.join(line(*r) for r in read_records(argv[2])))
        return 0
    if len(argv) == 4 and argv[1] == 'gen':
        recs = gen(int(argv[2]))
        write_records(argv[3] + '/records', recs)
        with open(argv[3] + '/agg', 'wb') as f:
            f.write(aggregate(recs))
        return 0
    if len(argv) == 3 and argv[1] == 'deagg':
        return deagg(argv[2])
    if len(argv) == 6 and argv[1] == 'differ':
        return differ(int(argv[2]), int(argv[3]), argv[4], argv[5])
    if len(argv) == 5 and argv[1] == 'corrupt':
        corrupt(argv[2], argv[3], argv[4])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
