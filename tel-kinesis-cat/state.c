/*
 * tel-kinesis-cat -G NAME: where each shard was left, kept in a state
 * file per stream and consumer name, DIR/STREAM.NAME.json:
 *
 *	{"stream":"fleet","consumer":"lake","shards":{
 *	  "shardId-000000000000":{"sequence":"4959...","ended":false}, ...}}
 *
 * (Kinesis has no consumer groups; the KCL keeps the same in DynamoDB.)
 * A run holds DIR/STREAM.NAME.lock for its whole life, so a second run
 * with the same name fails instead of reading the same records.  The
 * file is replaced whole: written beside it, synced, renamed, the
 * directory synced, so that a crash leaves the old state or the new.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "kcat.h"

/* DIR: --state-dir, $TEL_STATE_DIR, $XDG_STATE_HOME/tel, ~/.local/state/tel. */
static char *
state_dir(const struct kcat *c)
{
	const char *d = c->o.state_dir, *x, *h;
	char *s;

	if (d == NULL)
		d = getenv("TEL_STATE_DIR");
	if (d != NULL && *d != '\0')
		return strdup(d);
	if ((x = getenv("XDG_STATE_HOME")) != NULL && *x == '/')
		return asprintf(&s, "%s/tel", x) == -1 ? NULL : s;
	if ((h = getenv("HOME")) == NULL || *h == '\0')
		return NULL;
	return asprintf(&s, "%s/.local/state/tel", h) == -1 ? NULL : s;
}

/* Makes DIR (and its parents) 0700 if missing; it must be a directory. */
static int
make_dir(char *d)
{
	struct stat sb;
	char *p;

	for (p = d + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(d, 0700) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(d, 0700) == -1 && errno != EEXIST)
		return -1;
	if (lstat(d, &sb) == -1)
		return -1;
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/* One shard's entry of the file. */
static int
load_shard(struct kcat *c, const char *id, const json_t *e)
{
	const char *seq = kinesis_str(e, "sequence");
	const json_t *ended = json_object_get(e, "ended");
	struct shard *s;

	if (!shard_id_ok(id) || (seq != NULL && !seq_ok(seq)) ||
	    !json_is_boolean(ended))
		return -1;
	s = add_shard(c, id);
	snprintf(s->kept, sizeof(s->kept), "%s", seq ? seq : "");
	s->kept_ended = json_is_true(ended);
	return 0;
}

static int
load(struct kcat *c, int fd)
{
	json_error_t je;
	json_t *j, *sh, *e;
	const char *id, *v;
	int rc = -1;

	if ((j = json_loadfd(fd, 0, &je)) == NULL) {
		tel_warnx("%s: line %d: %s", c->state_path, je.line, je.text);
		return -1;
	}
	if ((v = kinesis_str(j, "stream")) == NULL ||
	    strcmp(v, c->o.stream) != 0 ||
	    (v = kinesis_str(j, "consumer")) == NULL ||
	    strcmp(v, c->o.group) != 0 ||
	    !json_is_object(sh = json_object_get(j, "shards"))) {
		tel_warnx("%s: not the state of stream %s, consumer %s",
		    c->state_path, c->o.stream, c->o.group);
		goto out;
	}
	json_object_foreach(sh, id, e) {
		if (load_shard(c, id, e) == -1) {
			tel_warnx("%s: shard %s: a malformed entry",
			    c->state_path, id);
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

/* Takes the lock, then reads the state if there is one. */
int
state_open(struct kcat *c)
{
	char *dir, *lock;
	int fd, rc;

	if ((dir = state_dir(c)) == NULL) {
		tel_warnx("no state directory: use --state-dir");
		return -1;
	}
	if (make_dir(dir) == -1) {
		tel_warn("state directory %s", dir);
		free(dir);
		return -1;
	}
	if (asprintf(&c->state_path, "%s/%s.%s.json", dir, c->o.stream,
	    c->o.group) == -1 || asprintf(&lock, "%s/%s.%s.lock", dir,
	    c->o.stream, c->o.group) == -1)
		err(1, NULL);
	free(dir);
	c->lockfd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (c->lockfd == -1 || flock(c->lockfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			tel_warnx("%s: in use by another run of consumer %s",
			    lock, c->o.group);
		else
			tel_warn("%s", lock);
		free(lock);
		return -1;
	}
	free(lock);
	if ((fd = open(c->state_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1) {
		if (errno == ENOENT)
			return 0;	/* a first run */
		tel_warn("%s", c->state_path);
		return -1;
	}
	rc = load(c, fd);
	close(fd);
	return rc;
}

static json_t *
state_json(const struct kcat *c)
{
	json_t *j, *sh;
	size_t i;

	if ((sh = json_object()) == NULL)
		err(1, NULL);
	for (i = 0; i < c->nsh; i++) {
		const struct shard *s = &c->sh[i];

		/* a shard no longer listed is past retention: forgotten */
		if ((!s->listed && c->listed_once) ||
		    (!s->kept[0] && !s->kept_ended))
			continue;
		if (json_object_set_new(sh, s->id, json_pack("{ss sb}",
		    "sequence", s->kept, "ended", s->kept_ended)) == -1)
			err(1, NULL);
	}
	if ((j = json_pack("{ss ss so}", "stream", c->o.stream, "consumer",
	    c->o.group, "shards", sh)) == NULL)
		err(1, NULL);
	return j;
}

/* Writes text to path's temporary, syncs it, renames it over path. */
static int
replace(const char *path, const char *text)
{
	char *tmp, *dir, *slash;
	size_t n = strlen(text);
	int fd, dfd, rc = -1;

	if (asprintf(&tmp, "%s.tmp", path) == -1)
		err(1, NULL);
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		goto out;
	if (write(fd, text, n) != (ssize_t)n || fsync(fd) == -1) {
		close(fd);
		goto out;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1)
		goto out;
	if ((dir = strdup(path)) == NULL)
		err(1, NULL);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if ((dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(dir);
	rc = 0;
out:
	if (rc == -1) {
		int e = errno;

		(void)unlink(tmp);	/* none left behind */
		errno = e;
	}
	free(tmp);
	return rc;
}

int
state_save(struct kcat *c)
{
	json_t *j;
	char *text;
	int rc;

	if (c->state_path == NULL)
		return 0;
	j = state_json(c);
	if ((text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		err(1, NULL);
	json_decref(j);
	if ((rc = replace(c->state_path, text)) == -1) {
		tel_warn("%s", c->state_path);
		c->failed = 1;
	} else
		c->st.saves++;
	free(text);
	return rc;
}

void
state_close(struct kcat *c)
{
	if (c->lockfd >= 0)
		close(c->lockfd);
	c->lockfd = -1;
	free(c->state_path);
	c->state_path = NULL;
}
