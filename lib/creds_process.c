/*
 * credential_process (creds.h, 2): a command run by /bin/sh whose
 * output is the credentials, as JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "creds.h"
#include "creds_impl.h"

extern char	**environ;

#define PROCESS_MAX	(64 * 1024)	/* credential_process output */
#define PROCESS_MS	(60 * 1000)	/* and its time limit */

/* Reads the child's stdout until EOF, PROCESS_MAX bytes or the deadline. */
static int
read_child(int fd, int64_t deadline, char *buf, size_t *len, char *err,
    size_t errsz)
{
	int64_t left;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t r;
	size_t n = 0;

	for (;;) {
		if ((left = deadline - tel_mono_ms()) <= 0)
			return creds_fail(err, errsz, "timed out after %d s",
			    PROCESS_MS / 1000);
		if ((r = poll(&pfd, 1, (int)left)) <= 0) {
			if (r == -1 && errno != EINTR)
				return creds_fail(err, errsz, "poll: %s",
				    strerror(errno));
			continue;
		}
		if ((r = read(fd, buf + n, PROCESS_MAX + 1 - n)) == 0)
			break;
		if (r == -1 && errno != EINTR)
			return creds_fail(err, errsz, "read: %s",
			    strerror(errno));
		if (r > 0 && (n += (size_t)r) > PROCESS_MAX)
			return creds_fail(err, errsz, "output over %d bytes",
			    PROCESS_MAX);
	}
	buf[n] = '\0';
	*len = n;
	return 0;
}

/*
 * Reaps the child, killing it first if reading failed or if it is still
 * running at the deadline (it may have closed its stdout and lingered).
 */
static int
child_status(pid_t pid, int64_t deadline, int killed, char *err,
    size_t errsz)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	pid_t r;
	int st;

	while (!killed && (r = waitpid(pid, &st, WNOHANG)) != pid) {
		if (r == -1 && errno != EINTR)
			return creds_fail(err, errsz, "waitpid: %s",
			    strerror(errno));
		if (tel_mono_ms() >= deadline) {
			creds_fail(err, errsz, "timed out after %d s",
			    PROCESS_MS / 1000);
			killed = 1;
		} else
			nanosleep(&tick, NULL);
	}
	if (killed) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
		return -1;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		return creds_fail(err, errsz, "exited with status %d",
		    WEXITSTATUS(st));
	if (WIFSIGNALED(st))
		return creds_fail(err, errsz, "killed by signal %d",
		    WTERMSIG(st));
	return 0;
}

/*
 * Runs cmd with /bin/sh -c, stdin from /dev/null, stderr shared, and
 * collects its stdout.  posix_spawn rather than fork: the caller may be
 * a librdkafka thread of a multithreaded program.
 */
static int
run_process(const char *cmd, char *buf, size_t *len, char *err, size_t errsz)
{
	posix_spawn_file_actions_t fa;
	char sh[] = "sh", dash_c[] = "-c", *copy, *argv[4];
	int64_t deadline = tel_mono_ms() + PROCESS_MS;
	int fds[2], e, rc = -1;
	pid_t pid;

	if ((copy = strdup(cmd)) == NULL)
		return creds_nomem(err, errsz);
	argv[0] = sh;
	argv[1] = dash_c;
	argv[2] = copy;
	argv[3] = NULL;
	if (pipe2(fds, O_CLOEXEC) == -1) {
		creds_fail(err, errsz, "pipe: %s", strerror(errno));
		goto out;
	}
	if ((e = posix_spawn_file_actions_init(&fa)) == 0) {
		if ((e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
		    O_RDONLY, 0)) == 0 &&
		    (e = posix_spawn_file_actions_adddup2(&fa, fds[1], 1)) == 0)
			e = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv,
			    environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(fds[1]);
	if (e != 0)
		creds_fail(err, errsz, "cannot run /bin/sh: %s", strerror(e));
	else
		rc = child_status(pid, deadline, read_child(fds[0], deadline,
		    buf, len, err, errsz) == -1, err, errsz);
	close(fds[0]);
out:
	creds_secret_free(copy);
	return rc;
}

int
creds_process(struct aws_creds *c, const char *cmd, const char *src,
    int64_t now, char *err, size_t errsz)
{
	char *out, why[256];
	size_t len = 0;
	int rc = -1;

	if ((out = malloc(PROCESS_MAX + 1)) == NULL)
		return creds_nomem(err, errsz);
	if (run_process(cmd, out, &len, why, sizeof(why)) == -1)
		creds_fail(err, errsz, "%s: credential_process: %s", src, why);
	else
		rc = creds_json(c, out, len, 1, src, now, err, errsz);
	creds_buf_free(out, PROCESS_MAX + 1);
	return rc;
}
