/* Unit tests for lib/jsonscan.c and lib/base64.c. */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "jsonscan.h"
#include "tap.h"

static void
verdict(const char *in, int want, const char *label)
{
	struct json_error e;
	int got = json_scan(in, strlen(in), NULL, 0, &e);

	ok(got == want, "%s: %s (got %d%s%s)", label, in, got,
	    got == -1 ? ", " : "", got == -1 ? e.msg : "");
}

static void
test_verdicts(void)
{
	char deep[2 * JSON_MAX_DEPTH + 3];

	verdict("{}", JS_OBJECT, "empty object");
	verdict(" [1, -0, 0.5e-3, 1E+2, true, false, null] ", JS_ARRAY, "array");
	verdict("\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00\"", JS_STRING, "unicode");
	verdict("\"nul \\u0000 ok\"", JS_STRING, "escaped NUL is JSON");
	verdict("-12.5e-7", JS_NUMBER, "number");
	verdict("", -1, "empty input");
	verdict("{\"a\":1,}", -1, "trailing comma");
	verdict("[01]", -1, "leading zero");
	verdict("[1.]", -1, "bare decimal point");
	verdict("{\"a\" 1}", -1, "missing colon");
	verdict("\"tab\there\"", -1, "raw control character");
	verdict("\"\\ud800\"", -1, "lone high surrogate");
	verdict("\"\\udc00\"", -1, "lone low surrogate");
	verdict("\"\\x41\"", -1, "bad escape");
	verdict("\"\xc0\xaf\"", -1, "overlong UTF-8");
	verdict("\"\xed\xa0\x80\"", -1, "UTF-8 surrogate");
	verdict("\"\xf4\x90\x80\x80\"", -1, "beyond U+10FFFF");
	verdict("\xef\xbb\xbf{}", -1, "byte order mark");
	verdict("{} {}", -1, "two values");
	verdict("tru", -1, "cut literal");
	verdict("NaN", -1, "NaN");
	memset(deep, '[', JSON_MAX_DEPTH);
	memset(deep + JSON_MAX_DEPTH, ']', JSON_MAX_DEPTH);
	deep[2 * JSON_MAX_DEPTH] = '\0';
	verdict(deep, JS_ARRAY, "nesting at the limit");
	memset(deep, '[', JSON_MAX_DEPTH + 1);
	memset(deep + JSON_MAX_DEPTH + 1, ']', JSON_MAX_DEPTH + 1);
	deep[2 * JSON_MAX_DEPTH + 2] = '\0';
	verdict(deep, -1, "nesting past the limit");
}

static void
test_members(void)
{
	static const char in[] = "{\"a\":\"x\\\"y\",\"n\":{\"a\":\"inner\"},"
	    "\"k\\u00e9\":42,\"b\":[1,{\"b\":2}],\"a\":\"last\",\"t\":true}";
	struct json_member m[] = {
		{ "a", 1, 0, NULL, 0, 0 }, { "k\xc3\xa9", 3, 0, NULL, 0, 0 },
		{ "b", 1, 0, NULL, 0, 0 }, { "t", 1, 0, NULL, 0, 0 },
		{ "missing", 7, 0, NULL, 0, 0 },
	};
	struct json_error e;
	char buf[64];
	size_t n;

	ok(json_scan(in, sizeof(in) - 1, m, 5, &e) == JS_OBJECT, "object");
	ok(m[0].type == JS_STRING && m[0].len == 4 &&
	    memcmp(m[0].val, "last", 4) == 0, "a repeated name: the last wins");
	ok(m[1].type == JS_NUMBER && m[1].len == 2 &&
	    memcmp(m[1].val, "42", 2) == 0, "an escaped name matches");
	ok(m[2].type == JS_ARRAY, "nested members are not top-level");
	ok(m[3].type == JS_TRUE, "literal member");
	ok(m[4].type == JS_NONE, "absent member");
	ok(json_scan("{\"a\":\"x\\\"y\"}", 12, m, 1, &e) == JS_OBJECT &&
	    m[0].escaped, "escaped value flagged");
	n = json_unescape(m[0].val, m[0].len, buf);
	ok(n == 3 && memcmp(buf, "x\"y", 3) == 0, "unescape");
	n = json_unescape("\\u00e9\\ud83d\\ude00\\n", 20, buf);
	ok(n == 7 && memcmp(buf, "\xc3\xa9\xf0\x9f\x98\x80\n", 7) == 0,
	    "unescape to UTF-8, surrogate pairs joined");
	n = json_escape("a\"b\\\n\x01", 6, buf);
	buf[n] = '\0';
	is_str(buf, "\"a\\\"b\\\\\\u000a\\u0001\"", "escape");
	ok(json_scan("{\"a\":1", 6, m, 1, &e) == -1 && e.offset == 6,
	    "error offset at the end");
}

/* Texts that are not strict, padded base64 have no bytes. */
static void
test_base64_decode_refused(void)
{
	static const char *const bad[] = { "Zg=", "Zg", "Z===", "Zh==",
	    "Zm9=", "Zm=v", "Zm9v\n", "Zm 9v", "Zm9-", "=Zm9" };
	unsigned char buf[16], all[256], back[256];
	char text[BASE64_LEN(256)];
	size_t i, n, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(base64_decode(bad[i], strlen(bad[i]), buf, &n) == -1,
		    "base64 decode refuses '%s'", bad[i]);
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)(255 - i);
	for (i = 0; i <= 256; i += 37) {
		n = base64_encode(all, i, text);
		if (base64_decode(text, n, back, &len) == -1 || len != i ||
		    memcmp(all, back, i) != 0)
			break;
	}
	ok(i > 256, "base64 round trip, every byte value");
}

static void
test_base64(void)
{
	/* RFC 4648 section 10 test vectors */
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba",
	    "foobar" };
	static const char *const out[] = { "", "Zg==", "Zm8=", "Zm9v",
	    "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	char buf[16];
	size_t i, n;

	for (i = 0; i < 7; i++) {
		n = base64_encode(in[i], strlen(in[i]), buf);
		buf[n] = '\0';
		is_str(buf, out[i], "base64 '%s'", in[i]);
	}
	n = base64url_encode("\xfb\xff\xfe", 3, buf);
	buf[n] = '\0';
	is_str(buf, "-__-", "base64url alphabet");
	n = base64url_encode("fo", 2, buf);
	buf[n] = '\0';
	is_str(buf, "Zm8", "base64url is unpadded");
	for (i = 0; i < 7; i++) {
		ok(base64_decode(out[i], strlen(out[i]), buf, &n) == 0 &&
		    n == strlen(in[i]) && memcmp(buf, in[i], n) == 0,
		    "base64 decode '%s'", out[i]);
	}
	test_base64_decode_refused();
}

int
main(void)
{
	test_verdicts();
	test_members();
	test_base64();
	return done_testing();
}
