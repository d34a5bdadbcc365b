/*
 * The Kafka options every tool shares (-b, -F, -X, -v, -q, --msk-iam,
 * --region) and the one place where they become a librdkafka
 * configuration.  The order of precedence, lowest first: the tool's
 * defaults, the properties file, -b, then each -X as given.
 */
#ifndef TEL_KAFKA_H
#define TEL_KAFKA_H

#include <stddef.h>
#include <stdio.h>

#include <librdkafka/rdkafka.h>

#include "args.h"

struct kafka_opts {
	const char	 *brokers;	/* -b, else $TEL_BROKERS */
	const char	 *file;		/* -F, else $TEL_KAFKA_CONFIG */
	char		**props;	/* -X name=value, in order */
	size_t		  nprops;
	const char	 *region;	/* --region */
	int		  msk_iam;	/* --msk-iam */
	int		  verbose;	/* -v count; -1 with -q */
};

struct kafka_default {
	const char	*name, *value;
};

/* getopt_long values of --msk-iam and --region, above any tool's own. */
#define KAFKA_OPT_MSK_IAM	0x4b01
#define KAFKA_OPT_REGION	0x4b02

/*
 * Takes one of the options every Kafka tool shares: -b, -F, -q, -v, -X,
 * --msk-iam, --region.  Returns 1 if ch was one of them, 0 if not; a
 * malformed -X argument is a usage error (exit 2, usage on stderr).
 */
int	kafka_getopt(struct kafka_opts *, int, char *, tel_usage_fn);

/*
 * Takes one -X argument: "list" prints the properties librdkafka knows
 * and exits 0; "name=value" is kept for kafka_conf().  Returns -1 for a
 * malformed argument.  A secret value is starred out in arg itself,
 * so that ps(1) does not show it.
 */
int	kafka_opt_X(struct kafka_opts *, char *);

/*
 * The configuration for opts over the tool's defaults (a NULL-named
 * terminator ends them).  NULL with a message in err, which never holds
 * the value of a secret property.
 */
rd_kafka_conf_t	*kafka_conf(const struct kafka_opts *,
		    const struct kafka_default *, char *, size_t);

/* rd_kafka_new() plus what --msk-iam needs once the handle exists. */
rd_kafka_t	*kafka_new(rd_kafka_type_t, rd_kafka_conf_t *,
		    const struct kafka_opts *, char *, size_t);

/* 1 if a property's value must never be shown (passwords, keys). */
int	kafka_prop_secret(const char *);

/* The effective value of a property as an integer, or def. */
long long	kafka_conf_int(rd_kafka_conf_t *, const char *, long long);

void	kafka_opts_free(struct kafka_opts *);

/*
 * For an error callback: 1 if error e ends the run, a fatal error (its
 * reason asked of librdkafka) or failed authentication, which retrying
 * cannot mend; said on stderr.  0 for any other error.
 */
int	kafka_error_ends(rd_kafka_t *, int, const char *);

#endif
