/*
 * wal.c: write-ahead log upkeep for a writer on a hot path (store.h); the
 * engine does the work (engine_sqlite.c), PostgreSQL needs none.
 *
 * SQLite copies the log back into the database, with an fsync, inside
 * whichever commit takes the log past 1000 pages, and that commit waits for
 * it: at a thousand creates a second, one request in about a hundred
 * stalled for the disk.  A passive checkpoint from another connection does
 * most of that work beforehand without blocking readers or writers.
 */
#include "common/error.h"
#include "db/internal.h"

int
store_checkpoint(struct store *s, int *log_frames, int *copied)
{
	int rc;

	if (log_frames != NULL)
		*log_frames = 0;
	if (copied != NULL)
		*copied = 0;
	/* PostgreSQL checkpoints on its own schedule, off every request. */
	if (s->eng->checkpoint == NULL)
		return BURROW_OK;
	rc = s->eng->checkpoint(s, log_frames, copied);
	return rc == BURROW_OK ? BURROW_OK : store_sql_error(s, rc, "checkpoint");
}
