/* Unit tests for lib/metrics.c. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "metrics.h"
#include "tap.h"

static uint64_t lines = 42, held = 7, empty;

static const struct metric table[] = {
	M_LABEL("topic", "a\"b\\c\nd", 0),
	M_COUNTER("lines", &lines, "Lines read, with a \\ and a\nbreak.", 0),
	M_GAUGE("held", &held, "Partitions held.", 0),
	M_LABEL("group", "g", METRIC_NOJSON),
	M_COUNTER("empty", &empty, "Empty lines.", METRIC_NOJSON),
};

static char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *fp = fopen(path, "r");
	size_t n;

	if (fp == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* The exposition text, byte for byte: names, escapes, order, no timestamp. */
static void
test_prom(void)
{
	static const char want[] =
	    "# HELP tel_x_put_lines_total Lines read, with a \\\\ and a\\nbreak.\n"
	    "# TYPE tel_x_put_lines_total counter\n"
	    "tel_x_put_lines_total{topic=\"a\\\"b\\\\c\\nd\",group=\"g\"} 42\n"
	    "# HELP tel_x_put_held Partitions held.\n"
	    "# TYPE tel_x_put_held gauge\n"
	    "tel_x_put_held{topic=\"a\\\"b\\\\c\\nd\",group=\"g\"} 7\n"
	    "# HELP tel_x_put_empty_total Empty lines.\n"
	    "# TYPE tel_x_put_empty_total counter\n"
	    "tel_x_put_empty_total{topic=\"a\\\"b\\\\c\\nd\",group=\"g\"} 0\n";
	struct metrics m;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	metrics_init(&m, "tel-x-put");
	m.m = table;
	m.n = sizeof(table) / sizeof(table[0]);
	m.started_ms = 1763800000123LL;
	if ((fp = open_memstream(&buf, &len)) == NULL)
		err(1, NULL);
	ok(metrics_prom(&m, fp, 3, 1763800010500LL) == 0, "prom: rendered");
	fclose(fp);
	ok(strncmp(buf, want, strlen(want)) == 0, "prom: table as exposition");
	if (strncmp(buf, want, strlen(want)) != 0)
		printf("# got:\n%s", buf);
	ok(strstr(buf, "\ntel_x_put_start_time_seconds{topic=\"a\\\"b\\\\c\\nd\","
	    "group=\"g\"} 1763800000.123\n") != NULL, "prom: start time");
	ok(strstr(buf, "\ntel_x_put_last_write_time_seconds{") != NULL &&
	    strstr(buf, "} 1763800010.500\n") != NULL, "prom: write time");
	ok(strstr(buf, "# TYPE tel_x_put_running gauge\n") != NULL &&
	    strstr(buf, "\"} 0\n# HELP tel_x_put_exit_status") != NULL,
	    "prom: ended: running 0, then the exit status");
	ok(strstr(buf, "tel_x_put_exit_status{topic=\"a\\\"b\\\\c\\nd\","
	    "group=\"g\"} 3\n") != NULL, "prom: exit status 3");
	ok(strstr(buf, "# TYPE tel_x_put_metrics_write_errors_total counter\n") !=
	    NULL, "prom: write errors counted");
	ok(buf[len - 1] == '\n', "prom: ends with a newline");
	free(buf);
	buf = NULL;
	if ((fp = open_memstream(&buf, &len)) == NULL)
		err(1, NULL);
	metrics_prom(&m, fp, -1, 0);
	fclose(fp);
	ok(strstr(buf, "running{topic=\"a\\\"b\\\\c\\nd\",group=\"g\"} 1\n") !=
	    NULL && strstr(buf, "exit_status") == NULL,
	    "prom: running: 1, no exit status yet");
	free(buf);
}

static void
test_summary(void)
{
	static const struct metric t2[] = {
		M_SECONDS("seconds"),
		M_RATE("per_second", &lines),
	};
	struct metrics m;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;
	double s;
	unsigned long long r;

	metrics_init(&m, "tel-x-put");
	m.m = table;
	m.n = sizeof(table) / sizeof(table[0]);
	if ((fp = open_memstream(&buf, &len)) == NULL)
		err(1, NULL);
	metrics_summary(&m, fp);
	fclose(fp);
	is_str(buf, "{\"program\":\"tel-x-put\",\"topic\":\"a\\\"b\\\\c\\u000ad\","
	    "\"lines\":42,\"held\":7}\n", "summary: one JSON line, in order");
	free(buf);
	buf = NULL;
	m.m = t2;
	m.n = 2;
	m.file = "x.prom";
	m.began = tel_mono_ms() - 2000;
	if ((fp = open_memstream(&buf, &len)) == NULL)
		err(1, NULL);
	metrics_summary(&m, fp);
	fclose(fp);
	ok(sscanf(buf, "{\"program\":\"tel-x-put\",\"seconds\":%lf,"
	    "\"per_second\":%llu,\"metrics_errors\":0}", &s, &r) == 2 &&
	    s >= 2 && s < 60 && r >= 1 && r <= 21, "summary: seconds, rate, "
	    "metrics_errors with --metrics: %.*s", (int)len - 1, buf);
	free(buf);
}

static void
test_getopt(void)
{
	struct metrics m;

	metrics_init(&m, "tel-x");
	is_int(m.interval_ms, METRICS_INTERVAL_DEFAULT, "interval: default");
	ok(metrics_getopt(&m, METRICS_OPT_INTERVAL, "2m", NULL) == 1,
	    "getopt: --metrics-interval taken");
	is_int(m.interval_ms, 120000, "interval: 2m");
	ok(metrics_getopt(&m, METRICS_OPT_FILE, "a.prom", NULL) == 1 &&
	    strcmp(m.file, "a.prom") == 0, "getopt: --metrics taken");
	ok(metrics_getopt(&m, 'v', NULL, NULL) == 0, "getopt: others left");
}

/* Written whole under FILE.tmp.PID, renamed; no temporary left. */
static void
test_write(const char *dir)
{
	struct metrics m;
	char path[512], tmp[600], bad[600];
	struct stat st;
	char *text;

	snprintf(path, sizeof(path), "%s/t.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	metrics_init(&m, "tel-x");
	m.file = path;
	metrics_start(&m, table, 3, 0);
	text = slurp(path);
	ok(text != NULL && strstr(text, "tel_x_lines_total{") != NULL &&
	    strstr(text, "tel_x_running{topic=") != NULL,
	    "start: written at once, running");
	ok(stat(tmp, &st) == -1, "start: no temporary left");
	is_int(metrics_timeout(&m) > 9000, 1, "timeout: the next write is due");
	lines = 43;
	metrics_finish(&m, 0);
	text = slurp(path);
	ok(text != NULL && strstr(text, "} 43\n") != NULL &&
	    strstr(text, "tel_x_exit_status{topic=") != NULL,
	    "finish: values as they are now, exit status");
	is_int(m.errors, 0, "no write errors");
	snprintf(bad, sizeof(bad), "%s/no/such/dir/t.prom", dir);
	metrics_init(&m, "tel-x");
	m.file = bad;
	fprintf(stderr, "# a warning is expected:\n");
	metrics_start(&m, table, 3, 0);
	metrics_write(&m, -1);
	is_int(m.errors, 2, "failed writes counted");
	metrics_finish(&m, 1);
}

/* exit() before metrics_finish(): the final write has exit()'s status. */
static void
test_exit(const char *dir)
{
	struct metrics m;
	char path[512];
	char *text;
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "%s/exit.prom", dir);
	fflush(stdout);		/* the child's exit() flushes its copy */
	if ((pid = fork()) == 0) {
		metrics_init(&m, "tel-x");
		m.file = path;
		metrics_start(&m, table, 3, 0);
		exit(7);
	}
	waitpid(pid, &status, 0);
	text = slurp(path);
	ok(text != NULL && strstr(text, "tel_x_exit_status{topic=") != NULL &&
	    strstr(text, "\"} 7\n") != NULL && strstr(text, "running{topic="
	    "\"a\\\"b\\\\c\\nd\"} 0\n") != NULL, "exit(7): final write, status 7");
}

/* The thread rewrites the file every interval (a bound, not a timing). */
static void
test_thread(const char *dir)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct metrics m;
	char path[512];
	char *text = NULL;
	int i;

	snprintf(path, sizeof(path), "%s/thr.prom", dir);
	metrics_init(&m, "tel-x");
	m.file = path;
	m.interval_ms = 1000;
	metrics_start(&m, table, 3, 0);
	ok(metrics_thread_start(&m, &mu) == 0, "thread: started");
	pthread_mutex_lock(&mu);
	lines = 1000;
	pthread_mutex_unlock(&mu);
	for (i = 0; i < 300; i++) {	/* 30 s at most */
		usleep(100000);
		if ((text = slurp(path)) != NULL && strstr(text, "} 1000\n"))
			break;
	}
	ok(text != NULL && strstr(text, "} 1000\n") != NULL &&
	    strstr(text, "running{topic=\"a\\\"b\\\\c\\nd\"} 1\n") != NULL,
	    "thread: rewritten while running");
	metrics_finish(&m, 0);
	text = slurp(path);
	ok(text != NULL && strstr(text, "running{topic=\"a\\\"b\\\\c\\nd\"} 0\n")
	    != NULL, "thread: stopped, final write");
}

int
main(void)
{
	char dir[] = "/tmp/unit-metrics.XXXXXX";
	char cmd[64];

	if (mkdtemp(dir) == NULL)
		err(1, "mkdtemp");
	test_prom();
	test_summary();
	test_getopt();
	test_write(dir);
	test_exit(dir);
	test_thread(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		warnx("%s failed", cmd);
	return done_testing();
}
