#include <ctype.h>
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

static void __attribute__((format(printf, 2, 0)))
log_line(enum log_level level, const char *fmt, va_list ap)
{
	char stamp[32];
	struct tm tm;
	time_t now;
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
	vfprintf(out, fmt, ap);
	fputc('\n', out);
	funlockfile(out);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(level, fmt, ap);
	va_end(ap);
}

void
log_outage_fail(struct log_outage *o, const char *fmt, ...)
{
	va_list ap;

	if (o->failures++ > 0)
		return;
	va_start(ap, fmt);
	log_line(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
}

void
log_outage_ok(struct log_outage *o, const char *what)
{
	if (o->failures == 0)
		return;
	log_info("%s: recovered after %lu failed attempt%s", what, o->failures,
	    o->failures == 1 ? "" : "s");
	o->failures = 0;
}

void
log_printable(const char *in, char *out, size_t outsz)
{
	size_t i;

	if (outsz == 0)
		return;
	for (i = 0; in[i] != '\0' && i + 1 < outsz; i++)
		out[i] = isprint((unsigned char)in[i]) ? in[i] : '?';
	out[i] = '\0';
}
