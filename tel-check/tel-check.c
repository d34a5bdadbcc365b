/*
 * tel-check: NDJSON records in, checked against a JSON Schema file.
 * Valid records come out unchanged and in order; each invalid one comes
 * out, in its place, as an error line (tel(7)) that tel-batch writes to
 * the lake's error prefix.  Control lines pass unchanged.  See
 * tel-check(1).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "check.h"
#include "control.h"
#include "metrics.h"
#include "ndjson.h"

#define CODE_SCHEMA	"Schema.ValidationFailed"

struct opts {
	const char	*schema;
	uint64_t	 max_line;
	int		 verbose;	/* -1 with -q */
};

struct stats {
	uint64_t	lines, valid, invalid, control, empty;
};

struct ctx {
	struct opts		 o;
	struct schema		 s;
	struct stats		 st;
	struct metrics		 metrics;
	struct ndjson_writer	 out;
	int			 out_failed;
};

static volatile sig_atomic_t got_stop;

static void
on_signal(int sig)
{
	(void)sig;
	got_stop = 1;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: tel-check [-hqVv] [--max-line size] [--metrics file]\n"
	    "                 [--metrics-interval duration] schema\n");
}

enum { OPT_MAX_LINE = 256 };

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	METRICS_LONGOPTS,
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void
parse_args(int argc, char *argv[], struct opts *o, struct metrics *m)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "Vhqv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'V':
			printf("tel-check %s (jansson %s)\n", TEL_VERSION,
			    jansson_version_str());
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case 'q':
			o->verbose = -1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case OPT_MAX_LINE:
			o->max_line = tel_size_option("--max-line", optarg, 1,
			    usage);
			break;
		case METRICS_OPT_FILE:
		case METRICS_OPT_INTERVAL:
			metrics_getopt(m, ch, optarg, usage);
			break;
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (argc - optind != 1) {
		usage(stderr);
		exit(2);
	}
	o->schema = argv[optind];
}

static void
put(struct ctx *c, const char *p, size_t n)
{
	if (c->out_failed)
		return;
	if (ndjson_put_line(&c->out, p, n) == -1) {
		warn("stdout");
		c->out_failed = 1;
	}
}

/* An invalid record: named on stderr, and on stdout as an error line. */
static void
refuse(struct ctx *c, const struct ndjson_line *l, const char *code,
    const char *msg)
{
	char *line;
	size_t n;

	c->st.invalid++;
	if (c->o.verbose >= 0)
		warnx("line %llu: %s", (unsigned long long)l->lineno, msg);
	if ((line = control_error(code, msg, l->lineno, l->ptr, l->len, &n)) ==
	    NULL)
		err(1, NULL);
	put(c, line, n);
	free(line);
}

static void
check_line(struct ctx *c, const struct ndjson_line *l)
{
	struct control ctl;
	struct failure f;
	json_error_t je;
	char msg[768];
	json_t *v;

	c->st.lines++;
	if (l->too_long) {
		snprintf(msg, sizeof(msg), "line of %llu bytes is longer than "
		    "--max-line %llu", (unsigned long long)l->total,
		    (unsigned long long)c->o.max_line);
		refuse(c, l, "LineTooLong", msg);
		return;
	}
	if (l->len == 0 || strspn(l->ptr, " \t\r") >= l->len) {
		c->st.empty++;
		return;
	}
	if (control_parse(l->ptr, l->len, &ctl)) {
		c->st.control++;
		put(c, l->ptr, l->len);
		return;
	}
	if (c->s.fast && fast_valid(&c->s, l->ptr, l->len)) {
		c->st.valid++;
		put(c, l->ptr, l->len);
		return;
	}
	if ((v = json_loadb(l->ptr, l->len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
	    &je)) == NULL) {
		snprintf(msg, sizeof(msg), "invalid JSON: %s at byte %d",
		    je.text, je.position);
		refuse(c, l, "InvalidJSON", msg);
		return;
	}
	if (validate(&c->s, v, &f) == -1) {
		snprintf(msg, sizeof(msg), "%s: %s (%s at %s)",
		    f.where[0] ? f.where : "(the record)", f.why, f.keyword,
		    f.schema_path);
		refuse(c, l, CODE_SCHEMA, msg);
	} else {
		c->st.valid++;
		put(c, l->ptr, l->len);
	}
	json_decref(v);
}

/* Lines until the end of input or a signal; output flushed when idle. */
static int
run(struct ctx *c, struct ndjson_reader *r)
{
	struct ndjson_line l;
	int rc;

	while (!got_stop && !c->out_failed) {
		if ((rc = ndjson_next(r, &l)) == NDJSON_LINE) {
			check_line(c, &l);
			continue;
		}
		if (rc == NDJSON_EOF)
			return 0;
		/* nothing buffered: what is checked goes on before we wait */
		if (!c->out_failed && ndjson_flush(&c->out) == -1) {
			warn("stdout");
			c->out_failed = 1;
		}
		metrics_tick(&c->metrics);
		if (ndjson_fill(r) == -1 && errno != EINTR) {
			warn("stdin");
			return -1;
		}
	}
	return 0;
}

static void
setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: read(2) returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int
main(int argc, char *argv[])
{
	struct ctx c = { .o = { .max_line = TEL_LINE_MAX_DEFAULT } };
	const struct metric table[] = {
		M_COUNTER("lines", &c.st.lines, "Lines read from stdin.", 0),
		M_COUNTER("valid", &c.st.valid, "Records that passed.",
		    METRIC_PROGRESS),
		M_COUNTER("invalid", &c.st.invalid, "Lines refused, written "
		    "as error lines.", METRIC_PROGRESS),
		M_COUNTER("control_lines", &c.st.control, "Control lines "
		    "passed on.", 0),
		M_COUNTER("empty", &c.st.empty, "Empty lines skipped.", 0),
		M_SECONDS("seconds"),
	};
	struct ndjson_reader r;
	char e[1024];
	int status;

	/* "." and lengths in patterns are characters of UTF-8 */
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		setlocale(LC_CTYPE, "");
	metrics_init(&c.metrics, "tel-check");
	parse_args(argc, argv, &c.o, &c.metrics);
	if (schema_load(&c.s, c.o.schema, e, sizeof(e)) == -1)
		errx(2, "%s", e);
	if (ndjson_reader_init(&r, STDIN_FILENO, c.o.max_line) == -1 ||
	    ndjson_writer_init(&c.out, STDOUT_FILENO, 0) == -1)
		err(1, NULL);
	setup_signals();
	metrics_start(&c.metrics, table, sizeof(table) / sizeof(table[0]), 1);
	status = run(&c, &r) == -1 ? 1 : 0;
	if (!c.out_failed && (ndjson_flush(&c.out) == -1 ||
	    close(STDOUT_FILENO) == -1)) {
		warn("stdout");
		c.out_failed = 1;
	}
	if (c.out_failed)
		status = 1;
	metrics_finish(&c.metrics, status);
	if (c.o.verbose > 0)
		metrics_summary(&c.metrics, stderr);
	ndjson_reader_free(&r);
	ndjson_writer_free(&c.out);
	schema_free(&c.s);
	return status;
}
