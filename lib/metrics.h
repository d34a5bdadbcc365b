/*
 * A tool's counters, described once as a table, and the three ways they
 * leave it: the one-line JSON summary of -v on stderr, the Prometheus
 * text file of --metrics (for node_exporter's textfile collector),
 * rewritten atomically every --metrics-interval and at exit, and a
 * progress line on stderr when that is a terminal.
 */
#ifndef TEL_METRICS_H
#define TEL_METRICS_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "args.h"

enum metric_type {
	METRIC_COUNTER,		/* only goes up: tel_TOOL_NAME_total */
	METRIC_GAUGE,		/* a level: tel_TOOL_NAME */
	METRIC_LABEL,		/* a string: a label on every sample */
	METRIC_SECONDS,		/* since metrics_start(): ..._duration_seconds */
	METRIC_RATE,		/* *u per second since the start; JSON only */
};

#define METRIC_NOJSON		0x1	/* not in the JSON summary */
#define METRIC_PROGRESS		0x2	/* on the progress line */

struct metric {
	const char		*name;	/* JSON key, and the Prometheus name */
	enum metric_type	 type;
	const char		*help;	/* Prometheus HELP text */
	const uint64_t		*u;	/* the value, read at each output */
	const char		*s;	/* METRIC_LABEL's value */
	int			 flags;
};

#define M_COUNTER(n, v, h, f)	{ (n), METRIC_COUNTER, (h), (v), NULL, (f) }
#define M_GAUGE(n, v, h, f)	{ (n), METRIC_GAUGE, (h), (v), NULL, (f) }
#define M_LABEL(n, s, f)	{ (n), METRIC_LABEL, NULL, NULL, (s), (f) }
#define M_SECONDS(n)		{ (n), METRIC_SECONDS, NULL, NULL, NULL, 0 }
#define M_RATE(n, v)		{ (n), METRIC_RATE, NULL, (v), NULL, 0 }

/* getopt_long values of --metrics and --metrics-interval. */
#define METRICS_OPT_FILE	0x4d01
#define METRICS_OPT_INTERVAL	0x4d02
#define METRICS_LONGOPTS						\
	{ "metrics", required_argument, NULL, METRICS_OPT_FILE },	\
	{ "metrics-interval", required_argument, NULL, METRICS_OPT_INTERVAL }

struct metrics;

/*
 * Writes a tool's Prometheus samples beyond the table (one a partition,
 * say) with metrics_put_header() and metrics_put_sample(); called with
 * the values' lock held, like the table is read.
 */
typedef void	(*metrics_extra_fn)(const struct metrics *, FILE *, void *);

#define METRICS_INTERVAL_DEFAULT	10000	/* ms */
#define METRICS_PROGRESS_MS		500

struct metrics {
	const char		*prog;
	const struct metric	*m;
	size_t			 n;
	const char		*file;		/* --metrics, or NULL */
	char			*tmp;		/* FILE.tmp.PID */
	uint64_t		 interval_ms;	/* --metrics-interval */
	int			 progress;	/* stderr is a terminal: show */
	int			 shown;		/* a progress line is up */
	int			 failing;	/* the last write failed */
	uint64_t		 errors;	/* writes that failed */
	int64_t			 began;		/* monotonic ms */
	int64_t			 started_ms;	/* wall clock ms */
	int64_t			 next_write, next_show;	/* monotonic ms */
	pthread_mutex_t		 wmu;		/* one writer at a time */
	pthread_mutex_t		*lock;		/* held while values are read */
	pthread_t		 thread;
	pthread_cond_t		 cond;
	int			 threaded, stopping;
	metrics_extra_fn	 extra;		/* samples beyond the table */
	void			*extra_arg;
};

void	metrics_init(struct metrics *, const char *);

/*
 * Takes --metrics or --metrics-interval: 1 if ch was one of them, else
 * 0.  A bad interval is a usage error.
 */
int	metrics_getopt(struct metrics *, int, const char *, tel_usage_fn);

/*
 * The run starts: the table is in use from now on (its values must
 * outlive metrics_finish()), the file is written a first time, and with
 * progress set a progress line is shown if stderr is a terminal and
 * stdout a file (not a terminal, not a pipe).  An exit() before
 * metrics_finish() still writes the final file, with exit()'s status.
 */
void	metrics_start(struct metrics *, const struct metric *, size_t, int);

/* Rewrites the file and the progress line when they are due.  Cheap. */
void	metrics_tick(struct metrics *);

/* Milliseconds until metrics_tick() has work, or -1: a poll timeout. */
int	metrics_timeout(const struct metrics *);

/*
 * For tools without a loop to call metrics_tick() from: a thread does,
 * holding lock (if not NULL) while it reads the values.  -1 if it could
 * not start.
 */
int	metrics_thread_start(struct metrics *, pthread_mutex_t *);

/* The -v line: {"program":PROG, then the table's members in order}. */
void	metrics_summary(struct metrics *, FILE *);

/*
 * The run is over with status: the progress line goes, the file is
 * written a last time (running 0, exit_status), the thread is stopped.
 */
void	metrics_finish(struct metrics *, int);

/*
 * The Prometheus text of the values now, at wall time now_ms; status < 0
 * while running.  -1 on a write error to fp.  (For the unit tests.)
 */
int	metrics_prom(const struct metrics *, FILE *, int, int64_t);

/* Sets the function that writes samples beyond the table, before start. */
void	metrics_extra(struct metrics *, metrics_extra_fn, void *);

/* HELP and TYPE of metric NAME (named as the table's are). */
void	metrics_put_header(const struct metrics *, FILE *, const char *,
	    const char *, const char *, const char *);

/*
 * One sample of metric NAME with labels (a="x",b="y", escaped by the
 * caller) besides the table's; a table label of the same name gives way.
 */
void	metrics_put_sample(const struct metrics *, FILE *, const char *,
	    const char *, const char *, const char *);

/* Writes the file atomically (FILE.tmp.PID, fsync, rename); -1 if not. */
int	metrics_write(struct metrics *, int);

#endif
