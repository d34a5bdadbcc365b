/*
 * Unit tests for lib/creds.c without a network: the shared-file parser
 * against cases of the AWS SDKs' common profile-parser test suite (copy
 * in smithy-lang/smithy-rs, aws-config test-data/profile-parser-tests.json;
 * the cases are facts, the code here is ours), the chain's environment
 * and shared-file sources and their order, credential_process, region
 * resolution, container endpoint rules, and the cache's refresh policy
 * driven by a passed-in clock.  Instance metadata stays disabled.
 */
#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "creds.h"
#include "tap.h"

extern char	**environ;

static char	dir[256], path[512];

/* Writes s to dir/name; the path is left in path[]. */
static void
put(const char *name, const char *s)
{
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL || fputs(s, fp) == EOF ||
	    fclose(fp) == EOF) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

/* Only the variables a test sets: no AWS_* from the caller's shell. */
static void
clean_env(void)
{
	char name[256], **e;
	int again = 1;

	while (again) {
		again = 0;
		for (e = environ; *e != NULL; e++)
			if (strncmp(*e, "AWS_", 4) == 0) {
				snprintf(name, sizeof(name), "%.*s",
				    (int)strcspn(*e, "="), *e);
				unsetenv(name);
				again = 1;
				break;
			}
	}
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("HOME", dir, 1);
}

static void
parse_case(const char *name, const char *text, int config,
    const char *profile, const char *key, int want_rc, const char *want)
{
	struct aws_profile_key k = { key, NULL };
	char err[256] = "";
	int rc;

	rc = aws_profile_parse(text, strlen(text), config, profile, &k, 1, err,
	    sizeof(err));
	if (want_rc == -1) {
		ok(rc == -1 && strstr(err, want) != NULL, "parser: %s", name);
		if (rc != -1 || strstr(err, want) == NULL)
			printf("#   rc %d, err '%s'\n", rc, err);
	} else {
		ok(rc == want_rc && (want == NULL ? k.value == NULL :
		    k.value != NULL && strcmp(k.value, want) == 0),
		    "parser: %s", name);
		if (rc != want_rc || (want == NULL) != (k.value == NULL) ||
		    (want && strcmp(k.value, want) != 0))
			printf("#   rc %d, value '%s'\n", rc,
			    k.value ? k.value : "(null)");
	}
	aws_profile_clear(&k, 1);
}

static void
test_parser(void)
{
	parse_case("empty file", "", 1, "foo", "name", 0, NULL);
	parse_case("empty profile", "[profile foo]", 1, "foo", "name", 1, NULL);
	parse_case("a property", "[profile foo]\nname = value", 1, "foo",
	    "name", 1, "value");
	parse_case("CRLF", "[profile foo]\r\nname = value\r\n", 1, "foo",
	    "name", 1, "value");
	parse_case("'=' in values", "[profile foo]\nname = val=ue", 1, "foo",
	    "name", 1, "val=ue");
	parse_case("keys and values trimmed", "[profile foo]\nname \t=  \tvalue"
	    " \t", 1, "foo", "name", 1, "value");
	parse_case("empty value", "[profile foo]\nname =", 1, "foo", "name", 1,
	    "");
	parse_case("names trimmed, tab after 'profile'", "[profile\t \tfoo \t]"
	    "\nname = v", 1, "foo", "name", 1, "v");
	parse_case("[   profile foo    ]", "[   profile foo    ]\nname = v", 1,
	    "foo", "name", 1, "v");
	parse_case("comments", "# c\n; c\n[profile foo] # c\nname = value "
	    "# comment with # sign", 1, "foo", "name", 1, "value");
	parse_case("';' comment after a blank", "[profile foo];x\nname = "
	    "value ; c", 1, "foo", "name", 1, "value");
	parse_case("adjacent comment characters stay", "[profile foo]\n"
	    "name = value; Adjacent", 1, "foo", "name", 1, "value; Adjacent");
	parse_case("continuation", "[profile foo]\nname = value\n -continued\n"
	    " \t -and-continued \t", 1, "foo", "name", 1,
	    "value\n-continued\n-and-continued");
	parse_case("continuation keeps '#'", "[profile foo]\nname = value\n"
	    " -continued # Comment", 1, "foo", "name", 1,
	    "value\n-continued # Comment");
	parse_case("sub-properties do not leak out", "[profile foo]\ns3 =\n"
	    " name = inner\n", 1, "foo", "name", 1, NULL);
	parse_case("sub-property value", "[profile foo]\ns3 =\n name = v\n\t \n"
	    " name2 = v2", 1, "foo", "s3", 1, "\nname = v\nname2 = v2");
	parse_case("duplicate sections merge", "[profile foo]\nname = value\n"
	    "[profile bar]\nname = x\n[profile foo]\nname2 = value2", 1, "foo",
	    "name2", 1, "value2");
	parse_case("last key wins, case-insensitive", "[profile foo]\nName = "
	    "value\n[profile foo]\nNAME = value2", 1, "foo", "name", 1,
	    "value2");
	parse_case("[profile default] hides [default] (first)",
	    "[profile default]\nname = value\n[default]\nname = value2", 1,
	    "default", "name", 1, "value");
	parse_case("[profile default] hides [default] (last)",
	    "[default]\nname = value2\n[profile default]\nname = value", 1,
	    "default", "name", 1, "value");
	parse_case("[default] alone", "[default]\nname = value", 1, "default",
	    "name", 1, "value");
	parse_case("config: [foo] is no profile", "[foo]\nname = value", 1,
	    "foo", "name", 0, NULL);
	parse_case("credentials: [profile foo] is no profile",
	    "[profile foo]\nname = value", 0, "foo", "name", 0, NULL);
	parse_case("credentials: [foo]", "[ foo ]\nname = value", 0, "foo",
	    "name", 1, "value");
	parse_case("[profilefoo] is no profile", "[profilefoo]\nname = value",
	    1, "foo", "name", 0, NULL);
	parse_case("invalid profile names ignored", "[profile in valid]\n"
	    "name = value", 1, "in valid", "name", 0, NULL);
	parse_case("[sso-session foo] is no profile", "[sso-session foo]\n"
	    "name = value", 1, "foo", "name", 0, NULL);
	parse_case("profile name characters", "[profile a-b:c/d_e%f.g@h+]\n"
	    "name = v", 1, "a-b:c/d_e%f.g@h+", "name", 1, "v");
	parse_case("invalid property names ignored", "[profile foo]\n"
	    "in valid = value", 1, "foo", "in valid", 1, NULL);
	parse_case("unterminated section", "[profile foo", 1, "foo", "name",
	    -1, "line 1: a profile definition must end with ']'");
	parse_case("property before any profile", "name = value", 1, "foo",
	    "name", -1, "expected a profile definition");
	parse_case("property without '='", "[profile foo]\nkey : value", 1,
	    "foo", "key", -1, "line 2: expected an '=' sign");
	parse_case("property without a name", "[profile foo]\n= value", 1,
	    "foo", "name", -1, "without a name");
	parse_case("continuation outside a property", "[profile foo]\n"
	    "name = value\n[profile foo]\n -continued", 1, "foo", "name", -1,
	    "line 4: expected a property definition");
	parse_case("bad sub-property", "[profile foo]\ns3 =\n invalid", 1,
	    "foo", "s3", -1, "expected an '=' sign defining a sub-property");
	parse_case("a malformed line elsewhere fails the file",
	    "[profile bar]\nkey value\n[profile foo]\nname = v", 1, "foo",
	    "name", -1, "line 2");
}

static void
test_parser_secret(void)
{
	static const char text[] = "[default]\naws_secret_access_key "
	    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
	struct aws_profile_key k = { "aws_secret_access_key", NULL };
	char err[256] = "";

	ok(aws_profile_parse(text, sizeof(text) - 1, 0, "default", &k, 1, err,
	    sizeof(err)) == -1 && strstr(err, "EXAMPLEKEY") == NULL &&
	    strstr(err, "line 2") != NULL, "a parse error names the line, "
	    "never its text");
}

/* Runs the chain; returns its source, or "error: MESSAGE". */
static const char *
load(struct aws_creds *c, const char *profile, int64_t now)
{
	static char out[600];
	struct aws_creds_opts o = { profile, NULL };
	char err[512];

	if (aws_creds_load(c, &o, now, err, sizeof(err)) == -1) {
		snprintf(out, sizeof(out), "error: %s", err);
		return out;
	}
	return c->source;
}

static void
test_env(void)
{
	struct aws_creds c;
	const char *s;

	clean_env();
	s = load(&c, NULL, 0);
	ok(strstr(s, "error: no AWS credentials") != NULL &&
	    strstr(s, "disabled") != NULL, "nothing configured: %s", s);
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	s = load(&c, NULL, 0);
	ok(strstr(s, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is "
	    "not") != NULL, "half the environment pair is an error");
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	is_str(load(&c, NULL, 0), "env", "environment");
	ok(strcmp(c.akid, "AKIDENV") == 0 && strcmp(c.secret, "envsecret") ==
	    0 && c.token == NULL && c.expiry_ms == 0, "  its keys, no token");
	aws_creds_free(&c);
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	load(&c, NULL, 0);
	ok(c.token != NULL && strcmp(c.token, "envtoken") == 0,
	    "  AWS_SESSION_TOKEN");
	aws_creds_free(&c);
	setenv("AWS_ACCESS_KEY_ID", "AKID WITH SPACE", 1);
	s = load(&c, NULL, 0);
	ok(strstr(s, "error: env: access key id") != NULL &&
	    strstr(s, "WITH") == NULL, "a key id with a space is refused, "
	    "unquoted");
}

static void
test_files(void)
{
	struct aws_creds c;
	const char *s;

	clean_env();
	put(".aws/credentials", "[default]\naws_access_key_id = AKIDDEF\n"
	    "aws_secret_access_key = defsecret\n\n[dev]\n"
	    "aws_access_key_id = AKIDDEV\naws_secret_access_key = devsecret\n"
	    "aws_session_token = devtoken\n");
	put(".aws/config", "[default]\nregion = eu-west-1\n"
	    "[profile dev]\naws_access_key_id = AKIDCONFIG\nregion = us-east-2\n"
	    "[profile cfg]\naws_access_key_id = AKIDCFG\n"
	    "aws_secret_access_key = cfgsecret\n"
	    "[profile half]\naws_access_key_id = AKIDHALF\n"
	    "[profile assume]\nrole_arn = arn:aws:iam::1:role/r\n"
	    "source_profile = dev\n"
	    "[profile sso]\nsso_session = x\n"
	    "[profile regiononly]\nregion = ap-south-1\n");
	is_str(load(&c, NULL, 0), "profile:default", "~/.aws/credentials, "
	    "[default]");
	ok(c.akid && strcmp(c.akid, "AKIDDEF") == 0, "  its key id");
	aws_creds_free(&c);
	setenv("AWS_PROFILE", "dev", 1);
	is_str(load(&c, NULL, 0), "profile:dev", "AWS_PROFILE");
	ok(c.akid && strcmp(c.akid, "AKIDDEV") == 0 && c.token &&
	    strcmp(c.token, "devtoken") == 0,
	    "  the credentials file wins a key the config file also sets");
	aws_creds_free(&c);
	is_str(load(&c, "cfg", 0), "profile:cfg", "the option beats "
	    "AWS_PROFILE; keys in the config file");
	aws_creds_free(&c);
	s = load(&c, "nosuch", 0);
	ok(strstr(s, "profile nosuch not found") != NULL,
	    "a profile asked for by name must exist");
	s = load(&c, "half", 0);
	ok(strstr(s, "aws_access_key_id without aws_secret_access_key") !=
	    NULL, "half a key pair is an error");
	s = load(&c, "assume", 0);
	ok(strstr(s, "not supported") != NULL, "source_profile: unsupported, "
	    "said so");
	s = load(&c, "sso", 0);
	ok(strstr(s, "SSO profiles are not supported") != NULL, "SSO: "
	    "unsupported, said so");
	s = load(&c, "regiononly", 0);
	ok(strstr(s, "error: no AWS credentials") != NULL, "a profile without "
	    "credentials: on down the chain");
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	is_str(load(&c, NULL, 0), "env", "the environment comes before the "
	    "files");
	aws_creds_free(&c);
}

static void
test_file_paths(void)
{
	struct aws_creds c;
	const char *s;

	clean_env();
	setenv("AWS_SHARED_CREDENTIALS_FILE", "~/other", 1);
	setenv("AWS_CONFIG_FILE", "~/.aws/nosuch", 1);
	put("other", "[default]\naws_access_key_id = AKIDOTHER\n"
	    "aws_secret_access_key = s\n");
	load(&c, NULL, 0);
	ok(c.akid && strcmp(c.akid, "AKIDOTHER") == 0,
	    "AWS_SHARED_CREDENTIALS_FILE, '~/' expanded; missing config: fine");
	aws_creds_free(&c);
	put("other", "[default]\naws_access_key_id = AKIDOTHER\n"
	    "aws_secret_access_key  wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
	s = load(&c, NULL, 0);
	ok(strstr(s, "/other: line 3: expected an '='") != NULL &&
	    strstr(s, "EXAMPLEKEY") == NULL, "a malformed file: its name and "
	    "line, not its text");
}

static void
test_region(void)
{
	char r[64];

	clean_env();
	setenv("AWS_PROFILE", "dev", 1);
	ok(aws_region("us-west-1", NULL, r, sizeof(r)) == 0 &&
	    strcmp(r, "us-west-1") == 0, "region: the option first");
	ok(aws_region(NULL, NULL, r, sizeof(r)) == 0 &&
	    strcmp(r, "us-east-2") == 0, "region: the profile's");
	ok(aws_region(NULL, "regiononly", r, sizeof(r)) == 0 &&
	    strcmp(r, "ap-south-1") == 0, "region: a named profile's");
	setenv("AWS_DEFAULT_REGION", "sa-east-1", 1);
	ok(aws_region(NULL, NULL, r, sizeof(r)) == 0 &&
	    strcmp(r, "sa-east-1") == 0, "region: AWS_DEFAULT_REGION");
	setenv("AWS_REGION", "ca-central-1", 1);
	ok(aws_region(NULL, NULL, r, sizeof(r)) == 0 &&
	    strcmp(r, "ca-central-1") == 0, "region: AWS_REGION before it");
	ok(aws_region("evil.com/x", NULL, r, sizeof(r)) == -1,
	    "region: not a region name");
	ok(aws_region(NULL, NULL, r, 5) == -1, "region: no room");
	clean_env();
	setenv("AWS_PROFILE", "cfg", 1);
	ok(aws_region(NULL, NULL, r, sizeof(r)) == -1, "region: none");
}

static void
test_container_url(void)
{
	char url[256], err[256];

	clean_env();
	ok(aws_container_url(url, sizeof(url), err, sizeof(err)) == 0,
	    "container: not configured");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/c", 1);
	ok(aws_container_url(url, sizeof(url), err, sizeof(err)) == -1 &&
	    strstr(err, "plain http only") != NULL, "container: plain http to "
	    "a remote host refused");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "https://example.com/c", 1);
	ok(aws_container_url(url, sizeof(url), err, sizeof(err)) == 1,
	    "container: https anywhere");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.9:8/c", 1);
	ok(aws_container_url(url, sizeof(url), err, sizeof(err)) == 1,
	    "container: http to 127/8");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
	    "http://169.254.170.23/v1/credentials", 1);
	ok(aws_container_url(url, sizeof(url), err, sizeof(err)) == 1,
	    "container: http to the EKS pod identity agent");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://[::1]:80/c", 1);
	ok(aws_container_url(url, sizeof(url), err, sizeof(err)) == 1,
	    "container: http to [::1]");
	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/id", 1);
	ok(aws_container_url(url, sizeof(url), err, sizeof(err)) == 1 &&
	    strcmp(url, "http://169.254.170.2/v2/credentials/id") == 0,
	    "container: the relative URI first, on 169.254.170.2");
	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "v2", 1);
	ok(aws_container_url(url, sizeof(url), err, sizeof(err)) == -1,
	    "container: a relative URI must start with '/'");
}

static void
test_process(void)
{
	struct aws_creds c;
	const char *s;

	clean_env();
	setenv("AWS_CONFIG_FILE", "~/proc.config", 1);
	put("proc.config", "[profile ok]\ncredential_process = printf "
	    "'{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", "
	    "\"SecretAccessKey\": \"procsecret\", \"SessionToken\": \"proc\\\\"
	    "/token\", \"Expiration\": \"2030-01-01T00:00:00Z\"}'\n"
	    "[profile static]\ncredential_process = printf "
	    "'{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}'\n"
	    "[profile exit3]\ncredential_process = echo procsecret; exit 3\n"
	    "[profile v2]\ncredential_process = echo '{\"Version\":2}'\n"
	    "[profile junk]\ncredential_process = echo procsecret\n"
	    "[profile expired]\ncredential_process = printf '{\"Version\":1,"
	    "\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":"
	    "\"2020-01-01T00:00:00Z\"}'\n");
	is_str(load(&c, "ok", 1700000000000LL), "profile:ok",
	    "credential_process");
	ok(c.akid && strcmp(c.akid, "AKIDPROC") == 0 && c.token &&
	    strcmp(c.token, "proc/token") == 0 && c.expiry_ms ==
	    1893456000000LL, "  its keys, escapes undone, its Expiration");
	aws_creds_free(&c);
	load(&c, "static", 0);
	ok(c.akid && c.token == NULL && c.expiry_ms == 0,
	    "  no SessionToken nor Expiration: static");
	aws_creds_free(&c);
	s = load(&c, "exit3", 0);
	ok(strstr(s, "credential_process: exited with status 3") != NULL &&
	    strstr(s, "procsecret") == NULL, "  a failing command: %s", s);
	s = load(&c, "v2", 0);
	ok(strstr(s, "Version is not 1") != NULL, "  Version must be 1");
	s = load(&c, "junk", 0);
	ok(strstr(s, "not a JSON object") != NULL &&
	    strstr(s, "procsecret") == NULL, "  output that is not JSON, "
	    "not quoted");
	s = load(&c, "expired", 1700000000000LL);
	ok(strstr(s, "expired at 2020-01-01T00:00:00Z") != NULL,
	    "  expired credentials refused");
}

static void
test_state(void)
{
	struct aws_creds c = { .akid = (char[]){ "A" } };
	int64_t t = 1893456000000LL;

	ok(aws_creds_state(&c, t) == AWS_CREDS_FRESH, "never expiring: fresh");
	c.expiry_ms = t + AWS_CREDS_REFRESH_MS + 1;
	ok(aws_creds_state(&c, t) == AWS_CREDS_FRESH, "15 min left: fresh");
	c.expiry_ms = t + AWS_CREDS_REFRESH_MS;
	ok(aws_creds_state(&c, t) == AWS_CREDS_STALE, "just under: stale");
	c.expiry_ms = t + AWS_CREDS_MIN_MS + 1;
	ok(aws_creds_state(&c, t) == AWS_CREDS_STALE, "a minute left: stale");
	c.expiry_ms = t + AWS_CREDS_MIN_MS;
	ok(aws_creds_state(&c, t) == AWS_CREDS_EXPIRED, "less: expired");
	c.akid = NULL;
	ok(aws_creds_state(&c, t) == AWS_CREDS_EXPIRED, "none: expired");
}

/* Gets from the cache at t; returns the key id or "error". */
static const char *
get(struct aws_creds_cache *k, int64_t t)
{
	static char out[64];
	struct aws_creds c;
	char err[512];

	if (aws_creds_get(k, t, &c, err, sizeof(err)) == -1)
		return "error";
	snprintf(out, sizeof(out), "%s", c.akid);
	aws_creds_free(&c);
	return out;
}

static int
runs(void)
{
	FILE *fp;
	int n = -1;

	snprintf(path, sizeof(path), "%s/count", dir);
	if ((fp = fopen(path, "r")) != NULL) {
		if (fscanf(fp, "%d", &n) != 1)
			n = -1;
		fclose(fp);
	}
	return n;
}

static void
test_cache(void)
{
	struct aws_creds_opts o = { "rot", NULL };
	struct aws_creds_cache *k;
	int64_t t = 1893456000000LL;	/* 2030-01-01T00:00:00Z */
	char err[256], cfg[1024];

	clean_env();
	setenv("AWS_CONFIG_FILE", "~/rot.config", 1);
	put("count", "0\n");
	put("exp", "2030-01-01T00:20:00Z\n");
	put("rot.sh", "cd \"$(dirname \"$0\")\" || exit 1\n"
	    "n=$(($(cat count) + 1)); echo $n >count\n"
	    "test -f fail && exit 1\n"
	    "printf '{\"Version\":1,\"AccessKeyId\":\"AKID%d\",'"
	    "'\"SecretAccessKey\":\"s\",\"Expiration\":\"%s\"}' $n \"$(cat exp)\"\n");
	snprintf(cfg, sizeof(cfg), "[profile rot]\ncredential_process = "
	    "sh %s\n", path);
	put("rot.config", cfg);
	if ((k = aws_creds_cache_new(&o, err, sizeof(err))) == NULL) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	is_str(get(k, t), "AKID1", "cache: the first get loads");
	is_str(get(k, t + 4 * 60000), "AKID1", "  16 min left: cached");
	is_int(runs(), 1, "  one run");
	is_str(get(k, t + 6 * 60000), "AKID2", "  14 min left: refreshed");
	is_str(get(k, t + 6 * 60000 + 5000), "AKID2", "  still short-lived: "
	    "no new try within 10 s");
	is_str(get(k, t + 6 * 60000 + 11000), "AKID3", "  but after them");
	put("fail", "");
	is_str(get(k, t + 7 * 60000), "AKID3", "  a failed refresh keeps "
	    "stale credentials");
	is_int(runs(), 4, "  four runs");
	is_str(get(k, t + 7 * 60000 + 1000), "AKID3", "  and waits to retry");
	is_int(runs(), 4, "  still four runs");
	is_str(get(k, t + 19 * 60000 + 30000), "error", "  under a minute "
	    "left and the refresh fails: an error");
	snprintf(path, sizeof(path), "%s/fail", dir);
	unlink(path);
	put("exp", "2030-01-01T02:00:00Z\n");
	is_str(get(k, t + 19 * 60000 + 31000), "AKID6", "  the next get "
	    "refreshes at once");
	is_str(get(k, t + 60 * 60000), "AKID6", "  fresh for an hour more");
	is_int(runs(), 6, "  six runs in all");
	aws_creds_cache_free(k);
}

struct worker {
	struct aws_creds_cache	*cache;
	int64_t			 t;
	int			 bad;
};

/* Gets 20 times, 11 s apart: each get past the retry wait refreshes. */
static void *
worker(void *arg)
{
	struct worker *w = arg;
	struct aws_creds c;
	char err[512];
	int i;

	for (i = 0; i < 20; i++) {
		if (aws_creds_get(w->cache, w->t + i * 11000, &c, err,
		    sizeof(err)) == -1 || strncmp(c.akid, "AKID", 4) != 0)
			w->bad++;
		aws_creds_free(&c);
	}
	return NULL;
}

static void
test_threads(void)
{
	struct aws_creds_opts o = { "rot", NULL };
	struct worker w[4];
	pthread_t th[4];
	int64_t t = 1893456000000LL + 6 * 60000;	/* all stale */
	char err[256];
	int i, started = 0, bad = 0;

	put("exp", "2030-01-01T00:20:00Z\n");
	if ((w[0].cache = aws_creds_cache_new(&o, err, sizeof(err))) == NULL) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ w[0].cache, t, 0 };
		if (pthread_create(&th[i], NULL, worker, &w[i]) == 0)
			started++;
	}
	for (i = 0; i < started; i++)
		if (pthread_join(th[i], NULL) == 0)
			bad += w[i].bad;
	ok(started == 4 && bad == 0, "cache: four threads get and refresh "
	    "at once");
	ok(runs() > 6 && runs() <= 6 + 80, "  refreshes ran (%d in all)",
	    runs());
	aws_creds_cache_free(w[0].cache);
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

int
main(void)
{
	char aws[300];
	int rc;

	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/tel-creds.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(aws, sizeof(aws), "%s/.aws", dir);
	if (mkdir(aws, 0700) == -1) {
		printf("Bail out! mkdir\n");
		return 1;
	}
	test_parser();
	test_parser_secret();
	test_env();
	test_files();
	test_file_paths();
	test_region();
	test_container_url();
	test_process();
	test_state();
	test_cache();
	test_threads();
	rc = done_testing();
	if (nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS) == -1)
		printf("# cannot remove %s\n", dir);
	return rc;
}
