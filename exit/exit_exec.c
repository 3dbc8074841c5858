/*
 * exit_exec.c: running a tool with pipes for stdin and stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "exit/exit_exec.h"

extern char **environ;

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return BURROW_ERR_IO;
		buf += n;
		len -= (size_t)n;
	}
	return BURROW_OK;
}

static int
read_all(int fd, char **out, size_t *outlen)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *bigger;
	ssize_t n;

	if (buf == NULL)
		return BURROW_ERR_NOMEM;
	for (;;) {
		if (cap - len < 1024) {
			if ((bigger = realloc(buf, cap * 2)) == NULL) {
				free(buf);
				return BURROW_ERR_NOMEM;
			}
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return BURROW_ERR_IO;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = len;
	return BURROW_OK;
}

int
exit_run(const char *const argv[], const char *in, size_t inlen, char **out,
         size_t *outlen, int quiet)
{
	posix_spawn_file_actions_t fa;
	int inpipe[2] = { -1, -1 }, outpipe[2] = { -1, -1 };
	int rc = BURROW_ERR_IO, status = 0, fa_ok = 0;
	pid_t pid = -1;

	if (out != NULL)
		*out = NULL;
	if (pipe2(inpipe, O_CLOEXEC) != 0 || (out != NULL && pipe2(outpipe, O_CLOEXEC) != 0))
		goto out;
	if (posix_spawn_file_actions_init(&fa) != 0)
		goto out;
	fa_ok = 1;
	posix_spawn_file_actions_adddup2(&fa, inpipe[0], 0);
	if (out != NULL)
		posix_spawn_file_actions_adddup2(&fa, outpipe[1], 1);
	else if (quiet)
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ) != 0) {
		pid = -1;
		if (!quiet)
			log_error("cannot run %s: %s", argv[0], strerror(errno));
		goto out;
	}
	close(inpipe[0]);
	inpipe[0] = -1;
	if (out != NULL) {
		close(outpipe[1]);
		outpipe[1] = -1;
	}
	/* Our uses either feed stdin or read stdout, never both at length, so
	 * writing everything first cannot deadlock on a full pipe. */
	rc = in != NULL ? write_all(inpipe[1], in, inlen) : BURROW_OK;
	close(inpipe[1]);
	inpipe[1] = -1;
	if (out != NULL && rc == BURROW_OK)
		rc = read_all(outpipe[0], out, outlen);
out:
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			if (!quiet)
				log_error("%s %s failed (status %d)", argv[0],
				    argv[1] != NULL ? argv[1] : "", status);
			rc = BURROW_ERR_IO;
		}
	}
	if (rc != BURROW_OK && out != NULL) {
		free(*out);
		*out = NULL;
	}
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < 2; i++) {
		if (inpipe[i] >= 0)
			close(inpipe[i]);
		if (outpipe[i] >= 0)
			close(outpipe[i]);
	}
	return rc;
}
