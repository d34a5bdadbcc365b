/*
 * Counters out: the -v JSON summary, the --metrics Prometheus text file,
 * the progress line.  The text follows the Prometheus exposition format
 * 0.0.4: "# HELP" and "# TYPE" before a metric's samples, label values
 * with \\, \" and \n escaped, HELP text with \\ and \n escaped, no
 * timestamps (node_exporter's textfile collector refuses them), a
 * newline at the end.  The collector reads only files named *.prom, and
 * may read at any moment: the file is written under another name and
 * renamed over the old one.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "jsonscan.h"
#include "metrics.h"

#define NAME_MAX_	128

/* The run that an exit() would end: its file still gets a final write. */
static struct metrics *pending;

void
metrics_init(struct metrics *m, const char *prog)
{
	memset(m, 0, sizeof(*m));
	m->prog = prog;
	m->interval_ms = METRICS_INTERVAL_DEFAULT;
	pthread_mutex_init(&m->wmu, NULL);
	pthread_cond_init(&m->cond, NULL);
}

int
metrics_getopt(struct metrics *m, int ch, const char *arg, tel_usage_fn usage)
{
	switch (ch) {
	case METRICS_OPT_FILE:
		if (*arg == '\0')
			tel_bad_option("--metrics", arg, "empty file name", usage);
		m->file = arg;
		return 1;
	case METRICS_OPT_INTERVAL:
		m->interval_ms = tel_duration_option("--metrics-interval", arg,
		    1000, usage);
		return 1;
	default:
		return 0;
	}
}

/* tel-kafka-put's "read" counter: tel_kafka_put_read_total. */
static void
prom_name(const struct metrics *m, const char *name, const char *suffix,
    char *buf, size_t size)
{
	size_t i;

	snprintf(buf, size, "%s_%s%s", m->prog, name, suffix);
	for (i = 0; buf[i] != '\0'; i++) {
		if (buf[i] == '-')
			buf[i] = '_';
	}
}

static void
put_escaped(FILE *fp, const char *s, int quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", fp);
		else if (*s == '\n')
			fputs("\\n", fp);
		else if (*s == '"' && quote)
			fputs("\\\"", fp);
		else
			putc(*s, fp);
	}
}

/* Is there a label of this name in "a=\"x\",b=\"y\""? */
static int
has_label(const char *labels, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = labels; p != NULL && *p != '\0'; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, name, n) == 0 && p[n] == '=')
			return 1;
	}
	return 0;
}

/* {a="x",b="y"}: the table's labels and more, on every sample. */
static void
put_labels(const struct metrics *m, FILE *fp, const char *more)
{
	size_t i;
	int any = 0;

	for (i = 0; i < m->n; i++) {
		if (m->m[i].type != METRIC_LABEL || m->m[i].s == NULL ||
		    has_label(more, m->m[i].name))
			continue;
		fprintf(fp, "%s%s=\"", any ? "," : "{", m->m[i].name);
		put_escaped(fp, m->m[i].s, 1);
		putc('"', fp);
		any = 1;
	}
	if (more != NULL && *more != '\0') {
		fprintf(fp, "%s%s", any ? "," : "{", more);
		any = 1;
	}
	if (any)
		putc('}', fp);
}

void
metrics_put_header(const struct metrics *m, FILE *fp, const char *name,
    const char *suffix, const char *type, const char *help)
{
	char full[NAME_MAX_];

	prom_name(m, name, suffix, full, sizeof(full));
	fprintf(fp, "# HELP %s ", full);
	put_escaped(fp, help, 0);
	fprintf(fp, "\n# TYPE %s %s\n", full, type);
}

void
metrics_put_sample(const struct metrics *m, FILE *fp, const char *name,
    const char *suffix, const char *labels, const char *value)
{
	char full[NAME_MAX_];

	prom_name(m, name, suffix, full, sizeof(full));
	fputs(full, fp);
	put_labels(m, fp, labels);
	fprintf(fp, " %s\n", value);
}

/* One metric: HELP, TYPE and its one sample; value as printf's %s. */
static void
put_metric(const struct metrics *m, FILE *fp, const char *name,
    const char *suffix, const char *type, const char *help, const char *value)
{
	metrics_put_header(m, fp, name, suffix, type, help);
	metrics_put_sample(m, fp, name, suffix, NULL, value);
}

void
metrics_extra(struct metrics *m, metrics_extra_fn fn, void *arg)
{
	m->extra = fn;
	m->extra_arg = arg;
}

static double
elapsed(const struct metrics *m)
{
	return (double)(tel_mono_ms() - m->began) / 1000;
}

/* The table's counters and gauges; labels and rates have no sample. */
static void
put_table(const struct metrics *m, FILE *fp)
{
	const struct metric *e;
	char v[32];
	size_t i;

	for (i = 0; i < m->n; i++) {
		e = &m->m[i];
		if (e->type == METRIC_COUNTER || e->type == METRIC_GAUGE) {
			snprintf(v, sizeof(v), "%llu", (unsigned long long)*e->u);
			put_metric(m, fp, e->name, e->type == METRIC_COUNTER ?
			    "_total" : "", e->type == METRIC_COUNTER ? "counter" :
			    "gauge", e->help, v);
		} else if (e->type == METRIC_SECONDS) {
			snprintf(v, sizeof(v), "%.3f", elapsed(m));
			put_metric(m, fp, "duration", "_seconds", "gauge",
			    "Seconds since the run started.", v);
		}
	}
}

int
metrics_prom(const struct metrics *m, FILE *fp, int status, int64_t now_ms)
{
	char v[32];

	put_table(m, fp);
	if (m->extra != NULL)
		m->extra(m, fp, m->extra_arg);
	snprintf(v, sizeof(v), "%.3f", (double)m->started_ms / 1000);
	put_metric(m, fp, "start_time", "_seconds", "gauge",
	    "When the run started, in seconds since the epoch.", v);
	snprintf(v, sizeof(v), "%.3f", (double)now_ms / 1000);
	put_metric(m, fp, "last_write_time", "_seconds", "gauge",
	    "When this file was written, in seconds since the epoch.", v);
	put_metric(m, fp, "running", "", "gauge",
	    "1 while the run goes on, 0 once it has ended.",
	    status < 0 ? "1" : "0");
	if (status >= 0) {
		snprintf(v, sizeof(v), "%d", status);
		put_metric(m, fp, "exit_status", "", "gauge",
		    "The exit status of the run (128+N: killed by signal N).", v);
	}
	snprintf(v, sizeof(v), "%llu", (unsigned long long)m->errors);
	put_metric(m, fp, "metrics_write_errors", "_total", "counter",
	    "Writes of this file that failed.", v);
	return ferror(fp) ? -1 : 0;
}

/* The text into the temporary file, on disk before it is renamed. */
/*
 * FILE.tmp.PID, made anew: never through a link planted there (O_EXCL,
 * O_NOFOLLOW; one in the way is removed), and with the file's mode (0644
 * for a new one, whatever the tool's umask) so that a reader that is
 * another user, such as node_exporter, keeps reading it.
 */
static FILE *
open_tmp(struct metrics *m)
{
	struct stat st;
	mode_t mode = stat(m->file, &st) == 0 ? st.st_mode & 07777 : 0644;
	FILE *fp;
	int fd = -1, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = open(m->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST || unlink(m->tmp) == -1)
			break;
	}
	if (fd == -1)
		return NULL;
	if (fchmod(fd, mode) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(m->tmp);
		return NULL;
	}
	return fp;
}

static int
write_tmp(struct metrics *m, int status)
{
	FILE *fp;
	int rc;

	if ((fp = open_tmp(m)) == NULL)
		return -1;
	if (m->lock != NULL)
		pthread_mutex_lock(m->lock);
	rc = metrics_prom(m, fp, status, tel_now_ms());
	if (m->lock != NULL)
		pthread_mutex_unlock(m->lock);
	if (rc == 0 && fflush(fp) == EOF)
		rc = -1;
	if (rc == 0 && fsync(fileno(fp)) == -1)
		rc = -1;
	if (fclose(fp) == EOF)
		rc = -1;
	if (rc == 0 && rename(m->tmp, m->file) == -1)
		rc = -1;
	if (rc == -1) {
		int e = errno;

		unlink(m->tmp);
		errno = e;
	}
	return rc;
}

/*
 * A failure is said once, until a write succeeds again: a full disk
 * should not fill stderr every interval.  Data handling goes on.
 */
int
metrics_write(struct metrics *m, int status)
{
	int rc;

	if (m->file == NULL)
		return 0;
	pthread_mutex_lock(&m->wmu);
	if (m->tmp == NULL && asprintf(&m->tmp, "%s.tmp.%ld", m->file,
	    (long)getpid()) == -1)
		m->tmp = NULL;
	if (m->tmp == NULL)
		errno = ENOMEM;
	rc = m->tmp == NULL ? -1 : write_tmp(m, status);
	if (rc == -1) {
		m->errors++;
		if (!m->failing)
			warn("metrics %s", m->file);
		m->failing = 1;
	} else
		m->failing = 0;
	pthread_mutex_unlock(&m->wmu);
	return rc;
}

/* The progress line: the PROGRESS members, time, the first one's rate. */
static void
show(struct metrics *m)
{
	struct winsize ws;
	char line[256];
	size_t i, o, cols = 80;
	double secs = elapsed(m);
	const uint64_t *first = NULL;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		cols = ws.ws_col;
	o = (size_t)snprintf(line, sizeof(line), "%s:", m->prog);
	if (m->lock != NULL)
		pthread_mutex_lock(m->lock);
	for (i = 0; i < m->n && o < sizeof(line); i++) {
		if (!(m->m[i].flags & METRIC_PROGRESS) || m->m[i].u == NULL)
			continue;
		if (first == NULL)
			first = m->m[i].u;
		o += (size_t)snprintf(line + o, sizeof(line) - o, " %s %llu",
		    m->m[i].name, (unsigned long long)*m->m[i].u);
	}
	if (o < sizeof(line) && first != NULL && secs > 0)
		o += (size_t)snprintf(line + o, sizeof(line) - o, " (%.0f/s)",
		    (double)*first / secs);
	if (m->lock != NULL)
		pthread_mutex_unlock(m->lock);
	if (o < sizeof(line))
		snprintf(line + o, sizeof(line) - o, " %.0fs", secs);
	if (strlen(line) >= cols)	/* one line, or \r cannot redraw it */
		line[cols - 1] = '\0';
	/* the cursor stays at the left: a warning starts a line of its own */
	fprintf(stderr, "%s\033[K\r", line);
	m->shown = 1;
}

static void
unshow(struct metrics *m)
{
	if (m->shown)
		fputs("\033[K", stderr);
	m->shown = 0;
}

/*
 * Only the last stage of a pipeline, the one whose output goes to a
 * file, shows progress: the stages before it would draw over its line,
 * and output to the terminal would run through it.
 */
static int
last_stage(void)
{
	struct stat st;

	if (isatty(STDOUT_FILENO) || fstat(STDOUT_FILENO, &st) == -1)
		return 0;
	return !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode);
}

static void
on_exit_write(int status, void *arg)
{
	(void)arg;
	if (pending != NULL)
		metrics_finish(pending, status);
}

void
metrics_start(struct metrics *m, const struct metric *t, size_t n,
    int progress)
{
	const char *term = getenv("TERM");
	static int registered;

	m->m = t;
	m->n = n;
	m->began = tel_mono_ms();
	m->started_ms = tel_now_ms();
	m->progress = progress && term != NULL && strcmp(term, "dumb") != 0 &&
	    isatty(STDERR_FILENO) && last_stage();
	m->next_write = m->began + (int64_t)m->interval_ms;
	m->next_show = m->began + METRICS_PROGRESS_MS;
	metrics_write(m, -1);
	pending = m;
	if (!registered && on_exit(on_exit_write, NULL) == 0)
		registered = 1;
}

void
metrics_tick(struct metrics *m)
{
	int64_t now;

	if (m->file == NULL && !m->progress)
		return;
	now = tel_mono_ms();
	if (m->file != NULL && now >= m->next_write) {
		metrics_write(m, -1);
		m->next_write = now + (int64_t)m->interval_ms;
	}
	if (m->progress && now >= m->next_show) {
		show(m);
		m->next_show = now + METRICS_PROGRESS_MS;
	}
}

int
metrics_timeout(const struct metrics *m)
{
	int64_t now, due = -1;

	if (m->file != NULL)
		due = m->next_write;
	if (m->progress && (due == -1 || m->next_show < due))
		due = m->next_show;
	if (due == -1)
		return -1;
	now = tel_mono_ms();
	return due <= now ? 0 : due - now > 3600000 ? 3600000 : (int)(due - now);
}

/* Wakes for each tick until metrics_finish() says stop. */
static void *
ticker(void *arg)
{
	struct metrics *m = arg;
	struct timespec ts;
	int wait;

	pthread_mutex_lock(&m->wmu);
	while (!m->stopping) {
		wait = metrics_timeout(m);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += wait / 1000;
		ts.tv_nsec += (long)(wait % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&m->cond, &m->wmu, &ts);
		if (m->stopping)
			break;
		pthread_mutex_unlock(&m->wmu);
		metrics_tick(m);	/* takes wmu to write */
		pthread_mutex_lock(&m->wmu);
	}
	pthread_mutex_unlock(&m->wmu);
	return NULL;
}

int
metrics_thread_start(struct metrics *m, pthread_mutex_t *lock)
{
	m->lock = lock;
	if (m->file == NULL && !m->progress)
		return 0;
	if (pthread_create(&m->thread, NULL, ticker, m) != 0)
		return -1;
	m->threaded = 1;
	return 0;
}

static void
thread_stop(struct metrics *m)
{
	if (!m->threaded)
		return;
	pthread_mutex_lock(&m->wmu);
	m->stopping = 1;
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->wmu);
	if (!pthread_equal(pthread_self(), m->thread))
		pthread_join(m->thread, NULL);
	m->threaded = 0;
}

void
metrics_summary(struct metrics *m, FILE *fp)
{
	const struct metric *e;
	char *buf = NULL, *esc;
	size_t len = 0, i;
	FILE *mem;

	if ((mem = open_memstream(&buf, &len)) == NULL)
		return;
	fprintf(mem, "{\"program\":\"%s\"", m->prog);
	for (i = 0; i < m->n; i++) {
		e = &m->m[i];
		if (e->flags & METRIC_NOJSON)
			continue;
		fprintf(mem, ",\"%s\":", e->name);
		if (e->type == METRIC_LABEL) {
			if ((esc = malloc(6 * strlen(e->s) + 2)) == NULL)
				break;
			fwrite(esc, 1, json_escape(e->s, strlen(e->s), esc), mem);
			free(esc);
		} else if (e->type == METRIC_SECONDS)
			fprintf(mem, "%.3f", elapsed(m));
		else if (e->type == METRIC_RATE)
			fprintf(mem, "%.0f", elapsed(m) > 0 ?
			    (double)*e->u / elapsed(m) : 0.0);
		else
			fprintf(mem, "%llu", (unsigned long long)*e->u);
	}
	if (m->file != NULL)
		fprintf(mem, ",\"metrics_errors\":%llu",
		    (unsigned long long)m->errors);
	fputs("}\n", mem);
	if (fclose(mem) == 0)
		fwrite(buf, 1, len, fp);	/* one write: one line */
	free(buf);
}

void
metrics_finish(struct metrics *m, int status)
{
	if (pending == m)
		pending = NULL;
	thread_stop(m);
	if (m->progress)
		unshow(m);
	m->progress = 0;
	metrics_write(m, status);
	free(m->tmp);
	m->tmp = NULL;
}
