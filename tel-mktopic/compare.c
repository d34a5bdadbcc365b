/*
 * A topic that exists, held against what was asked: the partition count
 * and replication factor always (they have defaults), a config only if
 * it was given on the command line (the default retention applies to a
 * topic being created, and is no claim on one that exists).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mktopic.h"

void
topic_fail(struct topic *t, const char *code, const char *fmt, ...)
{
	va_list ap;

	t->res = R_ERROR;
	t->code = code;
	va_start(ap, fmt);
	vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
}

/* The partition count and the fewest and most replicas of a partition. */
void
topic_found(struct topic *t, const rd_kafka_metadata_topic_t *mt)
{
	int i;

	t->res = R_EXISTS;
	t->md = mt;
	t->error[0] = '\0';
	t->code = NULL;
	t->partitions = mt->partition_cnt;
	t->rf_min = t->rf_max = 0;
	for (i = 0; i < mt->partition_cnt; i++) {
		if (i == 0 || mt->partitions[i].replica_cnt < t->rf_min)
			t->rf_min = mt->partitions[i].replica_cnt;
		if (mt->partitions[i].replica_cnt > t->rf_max)
			t->rf_max = mt->partitions[i].replica_cnt;
	}
}

/*
 * A config's value as the broker describes it; *found is 0 if the
 * broker has no config of that name.  NULL for a sensitive value.
 */
const char *
config_value(const rd_kafka_ConfigResource_t *r, const char *name,
    int *found)
{
	const rd_kafka_ConfigEntry_t **e;
	size_t i, n;

	*found = 0;
	e = rd_kafka_ConfigResource_configs(r, &n);
	for (i = 0; i < n; i++) {
		if (strcmp(rd_kafka_ConfigEntry_name(e[i]), name) == 0) {
			*found = 1;
			return rd_kafka_ConfigEntry_value(e[i]);
		}
	}
	return NULL;
}

/* Appends "; what" to the description of the differences in t->error. */
static void
note(struct topic *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(struct topic *t, const char *fmt, ...)
{
	size_t len = strlen(t->error);
	va_list ap;

	if (len > 0 && len < sizeof(t->error))
		len += (size_t)snprintf(t->error + len, sizeof(t->error) - len,
		    "; ");
	if (len >= sizeof(t->error))
		return;
	va_start(ap, fmt);
	vsnprintf(t->error + len, sizeof(t->error) - len, fmt, ap);
	va_end(ap);
}

static void
compare_layout(const struct ctx *c, struct topic *t)
{
	if (t->partitions != c->o.partitions) {
		t->diff |= DIFF_PARTITIONS;
		note(t, "%d partitions, not %d", t->partitions,
		    c->o.partitions);
	}
	if (t->rf_min != c->o.replication || t->rf_max != c->o.replication) {
		t->diff |= DIFF_REPLICATION;
		if (t->rf_min == t->rf_max)
			note(t, "replication factor %d, not %d", t->rf_min,
			    c->o.replication);
		else
			note(t, "replication factor %d to %d, not %d",
			    t->rf_min, t->rf_max, c->o.replication);
	}
}

/* 0, or -1 if a config cannot be compared (an error on t). */
static int
compare_configs(const struct ctx *c, struct topic *t, const char *why)
{
	const struct asked *a;
	const char *v;
	size_t i;
	int found;

	for (i = 0; i < c->o.ncfg; i++) {
		a = &c->o.cfg[i];
		if (!a->explicit)
			continue;
		if (t->configs == NULL) {
			topic_fail(t, "_FAIL", "configs not described: %s",
			    why[0] != '\0' ? why : "no answer");
			return -1;
		}
		v = config_value(t->configs, a->name, &found);
		if (!found) {
			topic_fail(t, "INVALID_CONFIG", "unknown topic config "
			    "\"%s\"", a->name);
			return -1;
		}
		if (v == NULL || strcmp(v, a->value) != 0) {
			t->diff |= DIFF_CONFIG;
			note(t, "%s=%s, not %s", a->name, v ? v : "(hidden)",
			    a->value);
		}
	}
	return 0;
}

void
topic_compare(const struct ctx *c, struct topic *t)
{
	char why[ERR_MAX];

	snprintf(why, sizeof(why), "%s", t->error);	/* from describe */
	t->error[0] = '\0';
	t->diff = 0;
	compare_layout(c, t);
	if (compare_configs(c, t, why) == -1)
		return;
	if (t->diff != 0)
		t->res = R_DIFFERS;
	else if (t->configs == NULL)	/* as asked, but say what is unknown */
		snprintf(t->error, sizeof(t->error), "%s",
		    why[0] != '\0' ? why : "no answer");
}
