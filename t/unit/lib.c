/* Unit tests for lib/: numbers, RFC 3339, the PRNG, NDJSON reading/writing. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag.h"
#include "ndjson.h"
#include "number.h"
#include "prng.h"
#include "rfc3339.h"
#include "tap.h"

static void
test_strtonum(void)
{
	const char *e;

	is_int(tel_strtonum("42", 0, 100, &e), 42, "strtonum in range");
	ok(e == NULL, "strtonum: no error");
	tel_strtonum("101", 0, 100, &e);
	is_str(e ? e : "", "too large", "strtonum above max");
	tel_strtonum("-1", 0, 100, &e);
	is_str(e ? e : "", "too small", "strtonum below min");
	tel_strtonum("4x", 0, 100, &e);
	is_str(e ? e : "", "invalid", "strtonum trailing junk");
	tel_strtonum("", 0, 100, &e);
	is_str(e ? e : "", "invalid", "strtonum empty");
	tel_strtonum(" 4", 0, 100, &e);
	is_str(e ? e : "", "invalid", "strtonum leading space");
	tel_strtonum("99999999999999999999", 0, LLONG_MAX, &e);
	is_str(e ? e : "", "too large", "strtonum overflow");
}

static void
size_case(const char *in, uint64_t want, const char *werr)
{
	uint64_t v = 0;
	const char *e;
	int rc = tel_parse_size(in, &v, &e);

	if (werr == NULL)
		ok(rc == 0 && v == want, "size '%s' = %llu (got %llu)", in,
		    (unsigned long long)want, (unsigned long long)v);
	else
		ok(rc == -1 && e != NULL && strncmp(e, werr, strlen(werr)) == 0,
		    "size '%s' fails: %s (got %s)", in, werr, e ? e : "success");
}

static void
dur_case(const char *in, uint64_t want, const char *werr)
{
	uint64_t v = 0;
	const char *e;
	int rc = tel_parse_duration(in, &v, &e);

	if (werr == NULL)
		ok(rc == 0 && v == want, "duration '%s' = %llu ms (got %llu)",
		    in, (unsigned long long)want, (unsigned long long)v);
	else
		ok(rc == -1 && e != NULL && strncmp(e, werr, strlen(werr)) == 0,
		    "duration '%s' fails: %s (got %s)", in, werr,
		    e ? e : "success");
}

static void
test_sizes(void)
{
	size_case("4096", 4096, NULL);
	size_case("128M", 128ULL << 20, NULL);
	size_case("128m", 128ULL << 20, NULL);
	size_case("64KiB", 64ULL << 10, NULL);
	size_case("1G", 1ULL << 30, NULL);
	size_case("2TB", 2ULL << 40, NULL);
	size_case("0", 0, NULL);
	size_case("", 0, "invalid");
	size_case("M", 0, "invalid");
	size_case("12Q", 0, "invalid unit");
	size_case("-1M", 0, "invalid");
	size_case("1.5M", 0, "invalid unit");
	size_case("16777216T", 0, "too large");
	size_case("99999999999999999999", 0, "too large");
}

static void
test_durations(void)
{
	dur_case("300s", 300000, NULL);
	dur_case("300", 300000, NULL);
	dur_case("250ms", 250, NULL);
	dur_case("5m", 300000, NULL);
	dur_case("1h30m", 5400000, NULL);
	dur_case("7d", 604800000, NULL);
	dur_case("2w", 1209600000, NULL);
	dur_case("0s", 0, NULL);
	dur_case("", 0, "invalid");
	dur_case("s", 0, "invalid");
	dur_case("5x", 0, "invalid unit");
	dur_case("1h30", 0, "invalid unit");
	dur_case("0h30", 0, "invalid unit");
	dur_case("-5s", 0, "invalid");
	dur_case("999999999999999999d", 0, "too large");
}

static void
test_real(void)
{
	const char *e;
	double v = -1;

	ok(tel_parse_real("0.25", 0, 1, &v, &e) == 0 && v == 0.25,
	    "real 0.25");
	ok(tel_parse_real("1.5", 0, 1, &v, &e) == -1 &&
	    strcmp(e, "too large") == 0, "real above max");
	ok(tel_parse_real("nan", 0, 1, &v, &e) == -1, "real rejects nan");
	ok(tel_parse_real("inf", 0, 1e300, &v, &e) == -1, "real rejects inf");
	ok(tel_parse_real("0.5x", 0, 1, &v, &e) == -1, "real trailing junk");
	ok(tel_parse_real("0x1p-2", 0, 1, &v, &e) == -1, "real rejects hex");
}

static void
fmt_case(int64_t ms, const char *want)
{
	char buf[TEL_RFC3339_LEN + 1];

	ok(tel_rfc3339_format(buf, ms) == 0, "format %lld", (long long)ms);
	buf[TEL_RFC3339_LEN] = '\0';
	is_str(buf, want, "format %lld", (long long)ms);
}

static void
parse_case(const char *in, int64_t want, int fails)
{
	int64_t v = 0;
	const char *e;
	int rc = tel_rfc3339_parse(in, strlen(in), &v, &e);

	if (fails)
		ok(rc == -1 && e != NULL, "parse rejects '%s'", in);
	else
		ok(rc == 0 && v == want, "parse '%s' = %lld (got %lld)", in,
		    (long long)want, (long long)v);
}

static void
test_rfc3339(void)
{
	char buf[TEL_RFC3339_LEN];
	int64_t ms, back;
	const char *e;
	int i, bad = 0;

	fmt_case(0, "1970-01-01T00:00:00.000Z");
	fmt_case(951782400000LL, "2000-02-29T00:00:00.000Z");
	fmt_case(1704067200123LL, "2024-01-01T00:00:00.123Z");
	fmt_case(4107542399999LL, "2100-02-28T23:59:59.999Z");
	fmt_case(-1, "1969-12-31T23:59:59.999Z");
	fmt_case(253402300799999LL, "9999-12-31T23:59:59.999Z");
	ok(tel_rfc3339_format(buf, 253402300800000LL) == -1,
	    "format refuses year 10000");
	parse_case("2024-01-01T00:00:00Z", 1704067200000LL, 0);
	parse_case("2024-01-01T00:00:00.5Z", 1704067200500LL, 0);
	parse_case("2024-01-01t00:00:00.123456z", 1704067200123LL, 0);
	parse_case("2024-01-01 01:30:00+01:30", 1704067200000LL, 0);
	parse_case("2023-12-31T19:00:00-05:00", 1704067200000LL, 0);
	parse_case("2000-02-29T00:00:00Z", 951782400000LL, 0);
	parse_case("2016-12-31T23:59:60Z", 1483228799000LL, 0);
	parse_case("2016-12-31T12:34:60Z", 0, 1);
	parse_case("2001-02-29T00:00:00Z", 0, 1);
	parse_case("2024-13-01T00:00:00Z", 0, 1);
	parse_case("2024-01-01T24:00:00Z", 0, 1);
	parse_case("2024-01-01T00:00:00", 0, 1);
	parse_case("2024-01-01T00:00:00.Z", 0, 1);
	parse_case("2024-01-01T00:00:00Zjunk", 0, 1);
	parse_case("2024-01-01T00:00:00+0100", 0, 1);
	parse_case("2024-1-01T00:00:00Z", 0, 1);
	parse_case("", 0, 1);
	/* Every format parses back to itself, across eras and leap years. */
	for (i = 0, ms = -62135596800000LL; ms < 253402300799999LL;
	    ms += 987654321987LL + i++) {
		if (tel_rfc3339_format(buf, ms) == -1 ||
		    tel_rfc3339_parse(buf, sizeof(buf), &back, &e) == -1 ||
		    back != ms)
			bad++;
	}
	ok(bad == 0, "format/parse round trip over %d instants (%d bad)", i,
	    bad);
}

static void
test_prng(void)
{
	struct tel_prng r, r2;
	uint64_t x = 0, counts[10] = { 0 };
	int i, inrange = 1, differ = 0;

	/* SplitMix64 from state 0: the reference implementation's outputs. */
	ok(tel_splitmix64(&x) == 0xe220a8397b1dcdafULL, "splitmix64 #1");
	ok(tel_splitmix64(&x) == 0x6e789e6aa1b965f4ULL, "splitmix64 #2");
	ok(tel_splitmix64(&x) == 0x06c45d188009454fULL, "splitmix64 #3");
	tel_prng_seed(&r, 42);
	tel_prng_seed(&r2, 42);
	for (i = 0; i < 1000; i++)
		differ |= tel_prng_next(&r) != tel_prng_next(&r2);
	ok(!differ, "same seed, same stream");
	tel_prng_seed(&r2, 43);
	ok(tel_prng_next(&r) != tel_prng_next(&r2), "other seed, other stream");
	for (i = 0; i < 100000; i++) {
		uint64_t v = tel_prng_below(&r, 10);

		if (v >= 10)
			inrange = 0;
		else
			counts[v]++;
	}
	ok(inrange, "below(10) stays below 10");
	for (i = 0, differ = 0; i < 10; i++)
		differ |= counts[i] < 9500 || counts[i] > 10500;
	ok(!differ, "below(10) is uniform within 5%%");
	ok(tel_prng_seed_random(&r) == 0, "seed from getrandom");
}

/* A reader over a pipe fed by a child, so fills see short reads. */
static int
feed(const char *data, size_t len)
{
	int fd[2];
	pid_t pid;

	if (pipe(fd) == -1)
		abort();
	if ((pid = fork()) == 0) {
		close(fd[0]);
		while (len > 0) {
			size_t chunk = len < 7000 ? len : 7000;
			ssize_t n = write(fd[1], data, chunk);

			if (n <= 0)
				_exit(1);
			data += n;
			len -= (size_t)n;
		}
		_exit(0);
	}
	close(fd[1]);
	return fd[0];
}

static void
test_reader_basic(void)
{
	static const char in[] = "{\"a\":1}\n\n[2]\r\nlast";
	struct ndjson_reader r;
	struct ndjson_line l;
	int fd = feed(in, sizeof(in) - 1);

	ndjson_reader_init(&r, fd, 0);
	ok(ndjson_read(&r, &l) == NDJSON_LINE && l.len == 7 &&
	    memcmp(l.ptr, "{\"a\":1}", 7) == 0 && l.lineno == 1,
	    "first line");
	ok(ndjson_read(&r, &l) == NDJSON_LINE && l.len == 0 && l.lineno == 2,
	    "empty line kept, numbered");
	ok(ndjson_read(&r, &l) == NDJSON_LINE && l.len == 4 &&
	    l.ptr[3] == '\r', "CR is part of the line");
	ok(ndjson_read(&r, &l) == NDJSON_LINE && l.len == 4 &&
	    l.unterminated && memcmp(l.ptr, "last", 4) == 0,
	    "unterminated last line");
	ok(ndjson_read(&r, &l) == NDJSON_EOF, "then EOF");
	ok(ndjson_read(&r, &l) == NDJSON_EOF, "EOF again");
	ndjson_reader_free(&r);
	close(fd);
	wait(NULL);
}

static void
test_reader_limits(void)
{
	size_t big = 300000, i, n = 0;
	char *in = malloc(big * 4);
	struct ndjson_reader r;
	struct ndjson_line l;
	int fd, good = 1;

	/* short, overlong, exactly at the limit, overlong without newline */
	n += (size_t)sprintf(in + n, "short\n");
	memset(in + n, 'x', big);
	n += big;
	in[n++] = '\n';
	memset(in + n, 'y', 1000);
	n += 1000;
	in[n++] = '\n';
	memset(in + n, 'z', 5000);
	n += 5000;
	fd = feed(in, n);
	ndjson_reader_init(&r, fd, 1000);
	ok(ndjson_read(&r, &l) == NDJSON_LINE && l.len == 5 && !l.too_long,
	    "short line");
	ok(ndjson_read(&r, &l) == NDJSON_LINE && l.too_long &&
	    l.len == 1000 && l.total == big && l.lineno == 2,
	    "overlong line: prefix, true length %llu",
	    (unsigned long long)l.total);
	for (i = 0; i < l.len; i++)
		good &= l.ptr[i] == 'x';
	ok(good, "overlong line prefix intact");
	ok(ndjson_read(&r, &l) == NDJSON_LINE && !l.too_long &&
	    l.len == 1000 && l.ptr[0] == 'y' && l.lineno == 3,
	    "line at the limit is accepted");
	ok(ndjson_read(&r, &l) == NDJSON_LINE && l.too_long &&
	    l.unterminated && l.total == 5000 && l.lineno == 4,
	    "overlong unterminated last line");
	ok(ndjson_read(&r, &l) == NDJSON_EOF, "EOF after overlong line");
	ok(r.cap <= 1000 + 3 * 64 * 1024, "buffer stayed bounded (%zu)",
	    r.cap);
	ndjson_reader_free(&r);
	close(fd);
	wait(NULL);
	free(in);
}

static void
test_writer(void)
{
	struct ndjson_writer w;
	char big[100];
	int fd = open("/dev/full", O_WRONLY);

	memset(big, 'a', sizeof(big));
	ndjson_writer_init(&w, fd, 64);
	ok(ndjson_put_line(&w, "abc", 3) == 0, "buffered put succeeds");
	ok(ndjson_flush(&w) == -1 && errno == ENOSPC,
	    "flush reports ENOSPC");
	ok(w.len == 4, "unwritten bytes kept for a retry");
	ndjson_writer_free(&w);
	ndjson_writer_init(&w, fd, 64);
	ok(ndjson_put_line(&w, big, sizeof(big)) == -1 && errno == ENOSPC &&
	    w.len == 0, "write-through of a line larger than the buffer "
	    "reports errors");
	ndjson_writer_free(&w);
	close(fd);
}

/* Text from outside: no byte reaches a terminal raw, no secret at all. */
static void
test_printable(void)
{
	char buf[64], small[8];
	char s[] = "tok=SeCrEt\033]0;x\007 SeCrEtSeCrEt";

	tel_printable(s);
	tel_redact(s, "SeCrEt");
	is_str(s, "tok=******?]0;x? ************", "control bytes and secret");
	tel_redact(s, "");
	is_str(s, "tok=******?]0;x? ************", "an empty secret is none");
	is_str(tel_printable_copy(buf, sizeof(buf), "a\r\nb\177c\303\251"),
	    "a??b?c\303\251", "a printable copy keeps UTF-8");
	is_str(tel_printable_copy(small, sizeof(small), "0123456789\033"),
	    "0123456", "a printable copy is cut to its buffer");
}

int
main(void)
{
	test_strtonum();
	test_sizes();
	test_durations();
	test_real();
	test_rfc3339();
	test_prng();
	test_reader_basic();
	test_reader_limits();
	test_writer();
	test_printable();
	return done_testing();
}
