#!/bin/sh
test_description='tel-s3-put --checksum-algorithm: SHA256 and CRC32C checksums the store verifies, read back with boto3 (ChecksumMode=ENABLED)'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-s3.sh"

test_minio_aws

# stored KEY ALG: the checksum boto3 reads back for KEY ("" if none)
stored() {
	s3py head "$bucket" "$1" |
	"$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["checksums"].get(sys.argv[1], ""))' "$2"
}

# want FILE ALG [PARTSIZE]: the checksum S3 gives FILE, base64; with
# PARTSIZE the multipart (composite) one: of the parts' checksums, "-N".
# CRC-32C here is an independent bitwise one (reflected 0x82F63B78).
want() {
	"$PYTHON" - "$@" <<-\EOF
	import base64, hashlib, sys
	def crc32c(d, c=0):
	    t = []
	    for i in range(256):
	        x = i
	        for _ in range(8):
	            x = (x >> 1) ^ 0x82F63B78 if x & 1 else x >> 1
	        t.append(x)
	    c ^= 0xFFFFFFFF
	    for b in d:
	        c = (c >> 8) ^ t[(c ^ b) & 0xFF]
	    return c ^ 0xFFFFFFFF
	def raw(d, alg):
	    if alg == "SHA256":
	        return hashlib.sha256(d).digest()
	    return crc32c(d).to_bytes(4, "big")
	d, alg = open(sys.argv[1], "rb").read(), sys.argv[2]
	if len(sys.argv) == 3:
	    print(base64.b64encode(raw(d, alg)).decode())
	else:
	    n = int(sys.argv[3])
	    parts = [d[i:i + n] for i in range(0, len(d), n)]
	    comp = raw(b"".join(raw(p, alg) for p in parts), alg)
	    print("%s-%d" % (base64.b64encode(comp).decode(), len(parts)))
	EOF
}

test_expect_success 'setup' '
	s3_make_bucket "$bucket" &&
	head -c 300000 /dev/urandom >small.orig &&
	head -c 11000000 /dev/urandom >big.orig
'

test_expect_success 'bad --checksum-algorithm: exit 2, named' '
	test_expect_code 2 tel-s3-put -B b --checksum-algorithm MD5 </dev/null 2>err &&
	test_grep "^tel-s3-put: --checksum-algorithm MD5: SHA256, CRC32C or NONE" err
'

test_expect_success 'SHA256, single PUT: x-amz-checksum-sha256 stored as the file'"'"'s' '
	cp small.orig s1.gz &&
	s3_put --checksum-algorithm SHA256 --key-prefix sha/ s1.gz >out &&
	test "$(stored sha/s1.gz SHA256)" = "$(want small.orig SHA256)" &&
	s3py get "$bucket" sha/s1.gz >got && cmp small.orig got
'

test_expect_success 'SHA256, multipart with -j 3: composite checksum of the parts, -3' '
	cp big.orig b1.gz &&
	s3_put -j 3 --checksum-algorithm sha256 --multipart-threshold 5M --part-size 5M \
		--key-prefix sha/ b1.gz >out &&
	test "$(stored sha/b1.gz SHA256)" = "$(want big.orig SHA256 5242880)" &&
	s3py get "$bucket" sha/b1.gz >got && cmp big.orig got &&
	s3py list-multipart "$bucket" >mpu && test_must_be_empty mpu
'

# RFC 3720, appendix B.4 (CRC32C examples), and the CRC catalogue's check
# value of "123456789"
test_expect_success 'CRC32C, single PUT: the test vectors of RFC 3720 B.4' '
	"$PYTHON" -c "import sys; sys.stdout.buffer.write(bytes(32))" >zeros.gz &&
	"$PYTHON" -c "import sys; sys.stdout.buffer.write(bytes([255] * 32))" >ones.gz &&
	"$PYTHON" -c "import sys; sys.stdout.buffer.write(bytes(range(32)))" >incr.gz &&
	"$PYTHON" -c "import sys; sys.stdout.buffer.write(bytes(range(31, -1, -1)))" >decr.gz &&
	printf 123456789 >check.gz &&
	s3_put --checksum-algorithm CRC32C --key-prefix crc/ zeros.gz ones.gz incr.gz \
		decr.gz check.gz >out &&
	test_line_count = 5 out &&
	for v in zeros:8a9136aa ones:62a8ab43 incr:46dd794e decr:113fdb5c check:e3069283; do
		b64=$("$PYTHON" -c "import base64, sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())" ${v#*:}) &&
		test "$(stored crc/${v%%:*}.gz CRC32C)" = "$b64" || return 1
	done
'

test_expect_success 'CRC32C, multipart: composite checksum of the parts' '
	head -c 10485761 big.orig >b2.orig && cp b2.orig b2.gz &&
	s3_put -j 2 --checksum-algorithm CRC32C --multipart-threshold 5M --part-size 5M \
		--key-prefix crc/ b2.gz >out &&
	test "$(stored crc/b2.gz CRC32C)" = "$(want b2.orig CRC32C 5242880)" &&
	s3py get "$bucket" crc/b2.gz >got && cmp b2.orig got
'

test_expect_success 'NONE (the default): Content-MD5 only, no flexible checksum asked for' '
	cp small.orig s2.gz && cp small.orig s3.gz &&
	s3_put --key-prefix none/ s2.gz >out &&
	s3_put --checksum-algorithm NONE --key-prefix none/ s3.gz >out &&
	test -z "$(stored none/s2.gz SHA256)" && test -z "$(stored none/s3.gz SHA256)" &&
	test -z "$(stored none/s2.gz CRC32C)"
'

test_done
