// The peer of tel-check in "make bench": ajv (JSON Schema 2020-12) over
// NDJSON on stdin; valid lines to stdout, the count of the rest to stderr.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

// ajv from the cache of t/peers/setup.sh (AJV_DIR: its node_modules' parent)
const require = createRequire(join(process.env.AJV_DIR, "package.json"));
const Ajv2020 = require("ajv/dist/2020").default;
const ajv = new Ajv2020({ allErrors: false, strict: false });
const validate = ajv.compile(JSON.parse(readFileSync(process.argv[2], "utf8")));
const out = [];
let invalid = 0;
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
	let ok = false;
	try { ok = validate(JSON.parse(line)); } catch { ok = false; }
	if (ok) out.push(line); else invalid++;
	if (out.length >= 4096) { process.stdout.write(out.join("\n") + "\n"); out.length = 0; }
}
if (out.length) process.stdout.write(out.join("\n") + "\n");
process.stderr.write(`invalid ${invalid}\n`);
