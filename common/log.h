/*
 * log.h: one logging path for every program.
 *
 * Lines go to stderr or to a file named at start-up; a daemon calls
 * log_reopen() on SIGHUP so logrotate can move the file away.  One line per
 * event: callers log errors, not every query.
 */
#ifndef BURROW_LOG_H
#define BURROW_LOG_H

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Names the program in each line and where lines go (NULL: stderr).
 * Returns BURROW_OK or BURROW_ERR_IO if the file cannot be opened. */
int log_init(const char *program, const char *path, enum log_level level);

/* Reopens the log file (no-op on stderr). Returns BURROW_OK or BURROW_ERR_IO. */
int log_reopen(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
