/*
 * What became of each topic: one NDJSON line on stdout (the format is in
 * tel-mktopic(1)), and for a topic that failed or differs, a message on
 * standard error.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"
#include "mktopic.h"

static const char *const result_names[] = {
	[R_PENDING] = "error", [R_MISSING] = "error", [R_RACED] = "error",
	[R_EXISTS] = "exists", [R_DIFFERS] = "differs",
	[R_CREATED] = "created", [R_VALIDATED] = "validated",
	[R_ERROR] = "error",
};

/* s as a JSON string, or null for NULL. */
static void
put_str(FILE *fp, const char *s)
{
	char small[512], *buf = small;
	size_t n;

	if (s == NULL) {
		fputs("null", fp);
		return;
	}
	n = strlen(s);
	if (6 * n + 2 > sizeof(small) && (buf = malloc(6 * n + 2)) == NULL)
		err(1, NULL);
	fwrite(buf, 1, json_escape(s, n, buf), fp);
	if (buf != small)
		free(buf);
}

/* ,"key": */
static void
put_key(FILE *fp, const char *key)
{
	fputc(',', fp);
	put_str(fp, key);
	fputc(':', fp);
}

static void
put_int(FILE *fp, const char *key, long long v)
{
	put_key(fp, key);
	fprintf(fp, "%lld", v);
}

/* The configs asked for: all of them, or only the explicit ones. */
static void
put_asked_configs(FILE *fp, const struct ctx *c, const char *key,
    const struct topic *t)
{
	const char *v;
	size_t i, n = 0;
	int found;

	put_key(fp, key);
	fputc('{', fp);
	for (i = 0; i < c->o.ncfg; i++) {
		if (t != NULL && t->configs != NULL) {	/* those that differ */
			v = config_value(t->configs, c->o.cfg[i].name, &found);
			if (!c->o.cfg[i].explicit ||
			    (v != NULL && strcmp(v, c->o.cfg[i].value) == 0))
				continue;
		}
		if (n++ > 0)
			fputc(',', fp);
		put_str(fp, c->o.cfg[i].name);
		fputc(':', fp);
		put_str(fp, c->o.cfg[i].value);
	}
	fputc('}', fp);
}

/* The described configs whose source is one of those in srcs. */
static void
put_configs(FILE *fp, const char *key, const rd_kafka_ConfigResource_t *r,
    const rd_kafka_ConfigSource_t *srcs, size_t nsrcs)
{
	const rd_kafka_ConfigEntry_t **e;
	size_t i, j, n, out = 0;

	e = rd_kafka_ConfigResource_configs(r, &n);
	put_key(fp, key);
	fputc('{', fp);
	for (i = 0; i < n; i++) {
		for (j = 0; j < nsrcs; j++) {
			if (rd_kafka_ConfigEntry_source(e[i]) == srcs[j])
				break;
		}
		if (j == nsrcs)
			continue;
		if (out++ > 0)
			fputc(',', fp);
		put_str(fp, rd_kafka_ConfigEntry_name(e[i]));
		fputc(':', fp);
		put_str(fp, rd_kafka_ConfigEntry_is_sensitive(e[i]) ? NULL :
		    rd_kafka_ConfigEntry_value(e[i]));
	}
	fputc('}', fp);
}

static void
put_ids(FILE *fp, const char *key, const int32_t *ids, int n)
{
	int i;

	put_key(fp, key);
	fputc('[', fp);
	for (i = 0; i < n; i++)
		fprintf(fp, "%s%d", i > 0 ? "," : "", (int)ids[i]);
	fputc(']', fp);
}

/* "assignment":[{"partition":0,"leader":1,"replicas":[..],"isr":[..]}] */
static void
put_assignment(FILE *fp, const rd_kafka_metadata_topic_t *mt)
{
	const rd_kafka_metadata_partition_t *p;
	int i;

	put_key(fp, "assignment");
	fputc('[', fp);
	for (i = 0; i < mt->partition_cnt; i++) {
		p = &mt->partitions[i];
		fprintf(fp, "%s{\"partition\":%d", i > 0 ? "," : "", (int)p->id);
		put_int(fp, "leader", p->leader);
		put_ids(fp, "replicas", p->replicas, p->replica_cnt);
		put_ids(fp, "isr", p->isrs, p->isr_cnt);
		if (p->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			put_key(fp, "error");
			put_str(fp, rd_kafka_err2name(p->err));
		}
		fputc('}', fp);
	}
	fputc(']', fp);
}

/* --describe: configs inherited from the brokers, and the partitions. */
static void
put_description(FILE *fp, const struct topic *t)
{
	static const rd_kafka_ConfigSource_t inherited[] = {
		RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG,
		RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG,
		RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG,
	};

	if (t->configs != NULL)
		put_configs(fp, "inherited", t->configs, inherited,
		    sizeof(inherited) / sizeof(inherited[0]));
	put_assignment(fp, t->md);
}

/* What a topic that exists is like, and how it differs from the ask. */
static void
put_existing(FILE *fp, const struct ctx *c, const struct topic *t)
{
	static const rd_kafka_ConfigSource_t own[] = {
		RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG,
	};

	put_int(fp, "partitions", t->partitions);
	put_int(fp, "replication", t->rf_min);
	if (t->configs != NULL)
		put_configs(fp, "config", t->configs, own, 1);
	if (c->o.describe)
		put_description(fp, t);
	if (t->res != R_DIFFERS)
		return;
	put_key(fp, "asked");
	fputc('{', fp);
	fprintf(fp, "\"partitions\":%d", c->o.partitions);
	put_int(fp, "replication", c->o.replication);
	if (t->diff & DIFF_CONFIG)
		put_asked_configs(fp, c, "config", t);
	fputc('}', fp);
}

/* One line for t; -1 if stdout failed. */
int
report(const struct ctx *c, const struct topic *t)
{
	fputs("{\"topic\":", stdout);
	put_str(stdout, t->name);
	put_key(stdout, "result");
	put_str(stdout, result_names[t->res]);
	switch (t->res) {
	case R_CREATED:
	case R_VALIDATED:
		put_int(stdout, "partitions", c->o.partitions);
		put_int(stdout, "replication", c->o.replication);
		put_asked_configs(stdout, c, "config", NULL);
		break;
	case R_EXISTS:
	case R_DIFFERS:
		put_existing(stdout, c, t);
		break;
	default:
		put_key(stdout, "code");
		put_str(stdout, t->code != NULL ? t->code : "_FAIL");
		break;
	}
	if (t->res != R_EXISTS && t->error[0] != '\0') {
		put_key(stdout, "error");
		put_str(stdout, t->error);
	}
	fputs("}\n", stdout);
	if (ferror(stdout)) {
		warn("stdout");
		return -1;
	}
	return 0;
}

/* stderr: why a topic failed or differs; with -v, every outcome. */
void
report_message(const struct ctx *c, const struct topic *t)
{
	if (c->o.k.verbose < 0 || t->said)
		return;
	switch (t->res) {
	case R_DIFFERS:
		warnx("%s: exists but differs: %s", t->name, t->error);
		break;
	case R_EXISTS:
		if (t->error[0] != '\0')
			warnx("%s: configs not described: %s", t->name,
			    t->error);
		else if (c->o.k.verbose > 0 && !c->o.describe)
			warnx("%s: exists as asked", t->name);
		break;
	case R_CREATED:
	case R_VALIDATED:
		if (c->o.k.verbose > 0)
			warnx("%s: %s", t->name, t->res == R_CREATED ?
			    "created" : "would be created (--dry-run)");
		break;
	default:
		warnx("%s: %s", t->name, t->error[0] != '\0' ? t->error :
		    "failed");
		break;
	}
}
