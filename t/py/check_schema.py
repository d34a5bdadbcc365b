#!/usr/bin/env python3
"""The oracle of tel-check: its verdicts against Python's jsonschema.

usage: check_schema.py TEL_CHECK SCHEMA N SEED [RECORDS]

Writes N instances for SCHEMA (random JSON built from the schema's own
names, numbers and strings, biased to its edges), or, with RECORDS (an
NDJSON file of real records), N records from it, most of them mutated
(a member removed, retyped, set to an edge value, added); runs
TEL_CHECK SCHEMA over them, and compares each line's verdict (passed
unchanged, or an error line naming it) with jsonschema's
Draft202012Validator.  Prints a JSON summary; exits 1 on any difference,
naming the first few.
"""
import base64
import json
import random
import subprocess
import sys

import jsonschema

NUMBERS = [0, 1, -1, 1.0, -0.0, 1.5, 1.4999999, 2, 9, 9.5, 10, 10.0, 10.0000001,
           28.0, 27.99, 35.0, 35.01, 70.0, 120.0, 120.1, 0.0, -0.1, 2**53,
           2**53 + 1, 9007199254740992.0, 2**62, 1e300, -1e300, 3.14]
STRINGS = ["", "a", "ab", "abc", "é", "éé", "ééé", "😀", "😀😀", "AB", "ABC",
           "ABCD", "ab", "aab", "xb", "b", "x\u0000y", "TRUCK_001", "TRUCK_01",
           "NORMAL", "WARNING", "URGENT", "normal", "2025-01-15 14:30:25", "k", "v",
           "1", "7", "a1", " ", "\n", "é1"]


def walk(schema, names, numbers, strings):
    """Collects the names, numbers and strings a schema mentions."""
    if isinstance(schema, dict):
        for k, v in schema.items():
            if k in ("properties",) and isinstance(v, dict):
                names.update(v)
            if k == "required" and isinstance(v, list):
                names.update(x for x in v if isinstance(x, str))
            walk(v, names, numbers, strings)
    elif isinstance(schema, list):
        for v in schema:
            walk(v, names, numbers, strings)
    elif isinstance(schema, bool):
        pass
    elif isinstance(schema, (int, float)):
        numbers.update([schema, schema - 1, schema + 1, schema * 1.0])
        if isinstance(schema, float):
            numbers.update([schema - 0.01, schema + 0.01])
    elif isinstance(schema, str):
        strings.add(schema)


def value(rng, names, numbers, strings, depth):
    r = rng.random()
    if depth > 3 or r < 0.35:
        return rng.choice(numbers)
    if r < 0.6:
        return rng.choice(strings)
    if r < 0.68:
        return rng.choice([None, True, False])
    if r < 0.8:
        return [value(rng, names, numbers, strings, depth + 1)
                for _ in range(rng.randrange(4))]
    return {rng.choice(names): value(rng, names, numbers, strings, depth + 1)
            for _ in range(rng.randrange(6))}


def resolve(schema, root):
    while isinstance(schema, dict) and "$ref" in schema:
        node = root
        for part in schema["$ref"][2:].split("/") if schema["$ref"] != "#" else []:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        if set(schema) - {"$ref"}:
            merged = dict(node)
            merged.update({k: v for k, v in schema.items() if k != "$ref"})
            return merged
        schema = node
    return schema


def guided(schema, root, rng, numbers, strings, depth=0):
    """A value meant to pass the schema (edges make many of them fail)."""
    schema = resolve(schema, root)
    if not isinstance(schema, dict):
        return rng.choice(numbers) if schema else None
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rng.choice(schema["enum"])
    types = schema.get("type", ["object"] if "properties" in schema else
                       ["number"] if "minimum" in schema or "maximum" in schema
                       else ["string"])
    t = rng.choice(types if isinstance(types, list) else [types])
    if t == "object" and depth < 4:
        props = schema.get("properties", {})
        keys = set(schema.get("required", [])) | {k for k in props if rng.random() < 0.6}
        return {k: guided(props.get(k, schema.get("additionalProperties", True)),
                          root, rng, numbers, strings, depth + 1) for k in sorted(keys)}
    if t == "array" and depth < 4:
        return [guided(schema.get("items", True), root, rng, numbers, strings,
                       depth + 1) for _ in range(rng.randrange(3))]
    if t in ("number", "integer"):
        edges = [schema[k] for k in ("minimum", "maximum", "exclusiveMinimum",
                                     "exclusiveMaximum") if k in schema]
        lo = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        hi = schema.get("maximum", schema.get("exclusiveMaximum", lo + 100))
        if edges and rng.random() < 0.3:
            return rng.choice(edges)
        v = rng.uniform(lo, hi)
        return int(v) if t == "integer" else round(v, 2)
    if t == "string":
        return rng.choice(strings)
    if t == "boolean":
        return rng.random() < 0.5
    return None


def instances(schema, n, rng):
    names, numbers, strings = set(), set(NUMBERS), set(STRINGS)
    walk(schema, names, numbers, strings)
    names = sorted(names | {"extra", "k"})
    numbers = sorted(numbers, key=repr)
    strings = sorted(strings)
    out = []
    for _ in range(n):
        if rng.random() < 0.5:
            out.append(mutate(guided(schema, schema, rng, numbers, strings),
                              rng, numbers, strings))
        elif rng.random() < 0.8:
            out.append({k: value(rng, names, numbers, strings, 1)
                        for k in rng.sample(names, rng.randrange(len(names) + 1))})
        else:
            out.append(value(rng, names, numbers, strings, 0))
    return out


def mutate(rec, rng, numbers, strings):
    if not isinstance(rec, dict) or not rec or rng.random() < 0.3:
        return rec
    k = rng.choice(sorted(rec))
    r = rng.random()
    if r < 0.2:
        del rec[k]
    elif r < 0.5:
        rec[k] = rng.choice(numbers)
    elif r < 0.65:
        rec[k] = rng.choice(strings)
    elif r < 0.75:
        rec[k] = rng.choice([None, True, [], {}])
    elif r < 0.85 and isinstance(rec[k], int) and not isinstance(rec[k], bool):
        rec[k] = float(rec[k])
    else:
        rec["extra"] = 1
    return rec


def records(path, schema, n, rng):
    names, numbers, strings = set(), set(NUMBERS), set(STRINGS)
    walk(schema, names, numbers, strings)
    numbers = sorted(numbers, key=repr)
    strings = sorted(strings)
    with open(path) as f:
        base = [json.loads(line) for line, _ in zip(f, range(n))]
    return [mutate(dict(rec), rng, numbers, strings) for rec in base]


def verdicts(tel_check, schema_path, lines):
    p = subprocess.run([tel_check, "-q", schema_path],
                       input="".join(line + "\n" for line in lines).encode(),
                       capture_output=True, check=False)
    if p.returncode != 0:
        sys.exit("tel-check exited %d: %s" % (p.returncode, p.stderr.decode()))
    out = p.stdout.decode().splitlines()
    if len(out) != len(lines):
        sys.exit("tel-check wrote %d lines for %d" % (len(out), len(lines)))
    got = []
    for i, (line, o) in enumerate(zip(lines, out), 1):
        if o == line:
            got.append((True, ""))
            continue
        e = json.loads(o)
        if e.get("@tel") != "error" or e.get("lineNumber") != i or \
                base64.b64decode(e["rawData"]).decode() != line:
            sys.exit("line %d: neither the line nor its error line: %s" % (i, o))
        got.append((False, e["errorMessage"]))
    return got


def main():
    tel_check, schema_path, n, seed = sys.argv[1:5]
    rng = random.Random(int(seed))
    with open(schema_path) as f:
        schema = json.load(f)
    if len(sys.argv) > 5:
        values = records(sys.argv[5], schema, int(n), rng)
    else:
        values = instances(schema, int(n), rng)
    lines = [json.dumps(v, ensure_ascii=rng.random() < 0.5,
                        separators=(",", ":")) for v in values]
    got = verdicts(tel_check, schema_path, lines)
    oracle = jsonschema.Draft202012Validator(schema)
    bad = []
    valid = 0
    for i, (line, (ok, why)) in enumerate(zip(lines, got), 1):
        want = oracle.is_valid(json.loads(line))
        valid += want
        if ok != want:
            bad.append({"line": i, "record": line, "tel-check": ok,
                        "jsonschema": want, "why": why})
    print(json.dumps({"schema": schema_path, "records": len(lines),
                      "valid": valid, "invalid": len(lines) - valid,
                      "differences": len(bad)}))
    for b in bad[:5]:
        print(json.dumps(b, ensure_ascii=False), file=sys.stderr)
    sys.exit(1 if bad else 0)


main()
