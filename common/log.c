#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/log.h"

/*
 * The logger is the one piece of process-wide state outside a daemon's
 * context: every module logs, and threading a handle through each call would
 * buy nothing since a process has exactly one log.
 */
static struct {
	char program[32];
	char path[4096];
	FILE *out;
	enum log_level level;
} logger = { "burrow", "", NULL, LOG_LEVEL_INFO };

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int
log_init(const char *program, const char *path, enum log_level level)
{
	snprintf(logger.program, sizeof(logger.program), "%s", program);
	logger.level = level;
	logger.path[0] = '\0';
	if (path != NULL)
		snprintf(logger.path, sizeof(logger.path), "%s", path);
	return log_reopen();
}

int
log_reopen(void)
{
	FILE *f;

	if (logger.path[0] == '\0') {
		logger.out = stderr;
		return BURROW_OK;
	}
	f = fopen(logger.path, "a");
	if (f == NULL)
		return BURROW_ERR_IO;
	setvbuf(f, NULL, _IOLBF, 0);
	if (logger.out != NULL && logger.out != stderr)
		fclose(logger.out);
	logger.out = f;
	return BURROW_OK;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char stamp[32];
	struct tm tm;
	time_t now;
	va_list ap;
	FILE *out = logger.out != NULL ? logger.out : stderr;

	if (level > logger.level)
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* One lock around the line: worker threads (burrow-acme, burrow-dns)
	 * must not interleave their halves of two lines. */
	flockfile(out);
	fprintf(out, "%s %s[%s]: ", stamp, logger.program, level_names[level]);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	funlockfile(out);
}
