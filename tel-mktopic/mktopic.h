/*
 * tel-mktopic: what its parts share.  tel-mktopic.c has the options and
 * the order of the steps, admin.c every call to librdkafka, compare.c
 * the judgement of a topic that exists, report.c the output.
 */
#ifndef TEL_MKTOPIC_H
#define TEL_MKTOPIC_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "kafka.h"

#define ERR_MAX		512

/* A topic config asked for: by -c or --retention, or the default. */
struct asked {
	char	*name, *value;
	int	 explicit;	/* given on the command line: compared */
};

struct opts {
	struct kafka_opts	 k;
	const char		**topics;	/* -t, in order, no repeats */
	size_t			 ntopics;
	struct asked		*cfg;
	size_t			 ncfg;
	int			 partitions, replication;
	uint64_t		 timeout_ms;
	int			 dry_run, describe;
};

enum result {
	R_PENDING,	/* not looked at yet */
	R_MISSING,	/* to be created */
	R_RACED,	/* the broker says it exists after all: look again */
	R_EXISTS, R_DIFFERS, R_CREATED, R_VALIDATED, R_ERROR,
};

struct topic {
	const char				*name;
	enum result				 res;
	const rd_kafka_metadata_topic_t		*md;	/* if it exists */
	int					 partitions;
	int					 rf_min, rf_max;
	const rd_kafka_ConfigResource_t		*configs; /* DescribeConfigs */
	unsigned				 diff;	/* DIFF_* */
	const char				*code;	/* error name */
	int					 said;	/* on stderr already */
	char					 error[ERR_MAX];
};

#define DIFF_PARTITIONS		0x1
#define DIFF_REPLICATION	0x2
#define DIFF_CONFIG		0x4

struct ctx {
	struct opts			 o;
	rd_kafka_t			*rk;
	rd_kafka_queue_t		*q;
	int64_t				 deadline;	/* tel_mono_ms() */
	struct topic			*t;
	size_t				 nt;
	const rd_kafka_metadata_t	*md[2];		/* kept: topics point in */
	size_t				 nmd;
	rd_kafka_event_t		*ev[2];		/* kept: results point in */
	size_t				 nev;
	rd_kafka_resp_err_t		 lasterr;	/* from the error callback */
	char				 lastmsg[ERR_MAX];
};

/* admin.c */
void	admin_open(struct ctx *);
int	admin_metadata(struct ctx *, const rd_kafka_metadata_t **, char *,
	    size_t);
void	admin_create(struct ctx *, struct topic **, size_t);
void	admin_describe(struct ctx *, struct topic **, size_t);
void	admin_close(struct ctx *);
int	remaining_ms(const struct ctx *);

/* compare.c */
void	topic_fail(struct topic *, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	topic_found(struct topic *, const rd_kafka_metadata_topic_t *);
void	topic_compare(const struct ctx *, struct topic *);
const char	*config_value(const rd_kafka_ConfigResource_t *, const char *,
		    int *);

/* report.c */
int	report(const struct ctx *, const struct topic *);
void	report_message(const struct ctx *, const struct topic *);

#endif
