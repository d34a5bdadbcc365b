/*
 * tel-mkstream: what its parts share.  tel-mkstream.c has the options and
 * the order of the steps, control.c every call to the Kinesis control
 * plane, compare.c the judgement of a stream that exists, report.c the
 * output.
 */
#ifndef TEL_MKSTREAM_H
#define TEL_MKSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "kinesis.h"

#define ERR_MAX		512
#define ARN_MAX		2048		/* the API's limit */

struct opts {
	struct kinesis_opts	 k;
	const char		**streams;	/* in order, no repeats */
	size_t			 nstreams;
	int			 shards;	/* -P: always compared */
	int			 on_demand;	/* --on-demand */
	int			 retention;	/* hours; 0: not asked */
	uint64_t		 wait_ms;	/* --wait, per stream */
	const char		*wait_arg;	/* as given, for messages */
	int			 verbose;	/* -1 with -q */
};

enum result {
	R_PENDING,	/* not looked at yet */
	R_CREATED, R_EXISTS, R_DIFFERS, R_ERROR,
};

/* What DescribeStreamSummary says of a stream. */
struct summary {
	char	status[16];		/* CREATING, ACTIVE, ... */
	int	on_demand;
	int	shards;			/* open ones */
	int	retention;		/* hours */
	char	arn[ARN_MAX];
};

struct stream {
	const char	*name;
	enum result	 res;
	int		 described;	/* sum is filled in */
	struct summary	 sum;
	unsigned	 diff;		/* DIFF_* */
	char		 code[96];	/* error kind */
	char		 error[ERR_MAX];
	int64_t		 deadline;	/* tel_mono_ms(): end of the waits */
	int		 said;		/* on stderr already */
};

#define DIFF_MODE	0x1
#define DIFF_SHARDS	0x2
#define DIFF_RETENTION	0x4

struct ctx {
	struct opts		 o;
	struct kinesis		 k;
	struct kinesis_conn	 conn;
};

/* tel-mkstream.c */
void	oom(void) __attribute__((noreturn));

/* control.c */
int	stream_find(struct ctx *, struct stream *);
int	stream_create(struct ctx *, struct stream *);
int	stream_wait(struct ctx *, struct stream *, int, int);
int	stream_set_retention(struct ctx *, struct stream *);

/* compare.c */
void	stream_fail(struct stream *, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	stream_compare(const struct ctx *, struct stream *);
void	stream_difference(const struct ctx *, const struct stream *,
	    unsigned, char *, size_t);

/* report.c */
int	report(const struct ctx *, const struct stream *);
void	report_message(const struct ctx *, const struct stream *);

#endif
