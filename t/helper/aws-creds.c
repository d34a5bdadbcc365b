/*
 * Test helper: runs the AWS credential chain through the cache, as a
 * long-running tool would, and prints one JSON line per get:
 *   {"source":"imds","akid":"ASIA...","expiry":"2026-...Z"|null,
 *    "region":"us-east-1"|null,"secret_sha256":"...","token_sha256":...}
 * never a secret, only its SHA-256 so that tests can check it.  With
 * --msk-token REGION it prints {"token":"...","lifetime_ms":N} instead.
 * --now pins the clock (ms since the epoch); --repeat N --step MS gets
 * N times, the clock moved on by MS each time.
 *
 * --http METHOD URL tests lib/http.c instead: --header 'Name: value',
 * --body-file FILE [--offset N --length N], --max-body N, --keep NAME;
 * it prints {"status":N,"len":N,"sha256":"...","kept":"..."|null}.
 */
#include <err.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "creds.h"
#include "http.h"
#include "jsonscan.h"
#include "mskiam.h"
#include "number.h"
#include "rfc3339.h"
#include "sigv4.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: helper-aws-creds [--profile NAME] "
	    "[--region REGION] [--now MS]\n\t[--repeat N] [--step MS] "
	    "[--msk-token REGION] [--user-agent UA]\n"
	    "       helper-aws-creds --http METHOD [--header 'N: V'] "
	    "[--body-file F [--offset N]\n\t[--length N]] [--max-body N] "
	    "[--keep NAME] URL\n");
	exit(2);
}

/* s as a JSON string literal, or null. */
static void
put_str(const char *name, const char *s, int comma)
{
	char *q;

	printf("\"%s\":", name);
	if (s == NULL)
		fputs("null", stdout);
	else if ((q = malloc(6 * strlen(s) + 2)) == NULL)
		errx(1, "out of memory");
	else {
		fwrite(q, 1, json_escape(s, strlen(s), q), stdout);
		free(q);
	}
	fputs(comma ? "," : "", stdout);
}

static void
put_hash(const char *name, const char *s, int comma)
{
	char hex[65];

	if (s != NULL && sigv4_sha256_hex(s, strlen(s), hex) == -1)
		errx(1, "SHA-256 failed");
	put_str(name, s ? hex : NULL, comma);
}

static void
print_creds(const struct aws_creds *c, const char *region)
{
	char t[TEL_RFC3339_LEN + 1];

	if (c->expiry_ms != 0 && tel_rfc3339_format(t, c->expiry_ms) == -1)
		errx(1, "expiry out of range");
	t[TEL_RFC3339_LEN] = '\0';
	putchar('{');
	put_str("source", c->source, 1);
	put_str("akid", c->akid, 1);
	put_str("expiry", c->expiry_ms ? t : NULL, 1);
	put_str("region", region, 1);
	put_hash("secret_sha256", c->secret, 1);
	put_hash("token_sha256", c->token, 0);
	puts("}");
}

static void
print_token(const struct aws_creds *c, const char *region, int64_t now,
    const char *ua)
{
	struct sigv4_creds sc = { c->akid, c->secret, c->token };
	int64_t life;
	char *tok;

	if (msk_iam_token(&sc, region, now, c->expiry_ms, ua, &tok, &life) == -1)
		err(1, "msk_iam_token");
	printf("{\"token\":\"%s\",\"lifetime_ms\":%lld}\n", tok,
	    (long long)life);
	msk_token_free(tok);
}

static int64_t
num(const char *opt, const char *s, long long max)
{
	const char *e;
	long long v = tel_strtonum(s, 0, max, &e);

	if (e != NULL)
		errx(2, "%s %s: %s", opt, s, e);
	return v;
}

struct opts {
	struct aws_creds_opts	 chain;
	const char		*msk, *ua;
	int64_t			 now, step, repeat;
	struct http_req		 http;		/* --http */
	struct http_header	 hdr[8];
	char			 hbuf[8][512];
	const char		*body_file, *keep;
	int64_t			 length;
};

static void
http_opt(struct opts *o, int ch, const char *arg)
{
	size_t n = o->http.nheaders;
	char *colon;

	if (ch == 'H') {
		if (n == 8 || strlen(arg) >= sizeof(o->hbuf[n]) ||
		    (colon = strchr(strcpy(o->hbuf[n], arg), ':')) == NULL)
			errx(2, "--header %s: wants 'Name: value'", arg);
		*colon++ = '\0';
		o->hdr[n].name = o->hbuf[n];
		o->hdr[n].value = colon + strspn(colon, " ");
		o->http.nheaders++;
	} else if (ch == 'b')
		o->body_file = arg;
	else if (ch == 'o')
		o->http.body.off = num("--offset", arg, 1LL << 40);
	else if (ch == 'l')
		o->length = num("--length", arg, 1LL << 40);
	else if (ch == 'x')
		o->http.max_body = (size_t)num("--max-body", arg, 1 << 30);
	else if (ch == 'k') {
		o->keep = arg;
		o->http.keep = &o->keep;
		o->http.nkeep = 1;
	} else
		usage();
}

static void
parse_opts(int argc, char *argv[], struct opts *o)
{
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "region", required_argument, NULL, 'r' },
		{ "now", required_argument, NULL, 'n' },
		{ "repeat", required_argument, NULL, 'N' },
		{ "step", required_argument, NULL, 's' },
		{ "msk-token", required_argument, NULL, 'm' },
		{ "user-agent", required_argument, NULL, 'u' },
		{ "http", required_argument, NULL, 'h' },
		{ "header", required_argument, NULL, 'H' },
		{ "body-file", required_argument, NULL, 'b' },
		{ "offset", required_argument, NULL, 'o' },
		{ "length", required_argument, NULL, 'l' },
		{ "max-body", required_argument, NULL, 'x' },
		{ "keep", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'p')
			o->chain.profile = optarg;
		else if (ch == 'r')
			o->chain.region = optarg;
		else if (ch == 'n')
			o->now = num("--now", optarg, 1LL << 50);
		else if (ch == 'N')
			o->repeat = num("--repeat", optarg, 1000);
		else if (ch == 's')
			o->step = num("--step", optarg, 1LL << 40);
		else if (ch == 'm')
			o->msk = optarg;
		else if (ch == 'u')
			o->ua = optarg;
		else if (ch == 'h')
			o->http.method = optarg;
		else
			http_opt(o, ch, optarg);
	}
	if (optind != argc - (o->http.method != NULL))
		usage();
}

/* --http: one request, its outcome as JSON. */
static void
run_http(struct opts *o, const char *url)
{
	struct http_resp r;
	struct stat st;
	char e[512], hex[65];
	int fd = -1;

	o->http.url = url;
	o->http.headers = o->hdr;
	o->http.connect_ms = 2000;
	o->http.total_ms = 5000;
	if (o->body_file != NULL) {
		if ((fd = open(o->body_file, O_RDONLY)) == -1 ||
		    fstat(fd, &st) == -1)
			err(1, "%s", o->body_file);
		o->http.body.kind = HTTP_BODY_FD;
		o->http.body.fd = fd;
		o->http.body.len = (uint64_t)(o->length ? o->length :
		    st.st_size - o->http.body.off);
	}
	if (http_do(&o->http, &r, e, sizeof(e)) == -1)
		errx(1, "%s", e);
	if (sigv4_sha256_hex(r.body, r.len, hex) == -1)
		errx(1, "SHA-256 failed");
	printf("{\"status\":%ld,\"len\":%zu,", r.status, r.len);
	put_str("sha256", hex, 1);
	put_str("kept", o->keep ? http_resp_header(&r, o->keep) : NULL, 0);
	puts("}");
	http_resp_free(&r);
	if (fd != -1 && close(fd) == -1)
		err(1, "%s", o->body_file);
}

int
main(int argc, char *argv[])
{
	struct opts o = { .ua = "tel/" TEL_VERSION, .now = tel_now_ms(),
	    .repeat = 1 };
	struct aws_creds_cache *cache;
	struct aws_creds c;
	char e[1024], region[64];
	int64_t i, now;
	int have_region;

	parse_opts(argc, argv, &o);
	if (o.http.method != NULL) {
		run_http(&o, argv[argc - 1]);
		return 0;
	}
	have_region = aws_region(o.chain.region, o.chain.profile, region,
	    sizeof(region)) == 0;
	if ((cache = aws_creds_cache_new(&o.chain, e, sizeof(e))) == NULL)
		errx(1, "%s", e);
	for (i = 0, now = o.now; i < o.repeat; i++, now += o.step) {
		if (aws_creds_get(cache, now, &c, e, sizeof(e)) == -1)
			errx(1, "%s", e);
		if (o.msk != NULL)
			print_token(&c, o.msk, now, o.ua);
		else
			print_creds(&c, have_region ? region : NULL);
		if (fflush(stdout) == EOF)
			err(1, "stdout");
		aws_creds_free(&c);
	}
	aws_creds_cache_free(cache);
	return 0;
}
