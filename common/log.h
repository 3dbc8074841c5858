/*
 * log.h: one logging path for every program.
 *
 * Lines go to stderr or to a file named at start-up; a daemon calls
 * log_reopen() on SIGHUP so logrotate can move the file away.  One line per
 * event: callers log errors, not every query.
 */
#ifndef BURROW_LOG_H
#define BURROW_LOG_H

#include <stddef.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Names the program in each line and where lines go (NULL: stderr).
 * Returns BURROW_OK or BURROW_ERR_IO if the file cannot be opened. */
int log_init(const char *program, const char *path, enum log_level level);

/* Reopens the log file (no-op on stderr). Returns BURROW_OK or BURROW_ERR_IO. */
int log_reopen(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A failure that repeats until something recovers (a store that does not
 * answer, read again on every poll): logged once when it starts and once
 * when it ends, not on every attempt in between (a frozen database made
 * burrow-edge log 40 lines a second).  Zero-initialised; one per condition,
 * in the owner's context, used from one thread. */
struct log_outage {
	unsigned long failures;     /* attempts failed since the last success */
};

/* Logs the line at error level if it is the first failure since the last
 * success; counts it either way. */
void log_outage_fail(struct log_outage *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A success: after failures, logs "WHAT: recovered after N failed attempts"
 * at info level. */
void log_outage_ok(struct log_outage *o, const char *what);

/* Copies in into out (size outsz, truncated) with anything but printable
 * ASCII as '?': for text a client sent (a path, a name, a reason that
 * echoes one), so it cannot forge log lines. */
void log_printable(const char *in, char *out, size_t outsz);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
