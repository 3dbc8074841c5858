/*
 * wal.c: write-ahead log upkeep for a writer on a hot path (store.h).
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
	int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, log_frames,
	    copied);

	/* Another checkpoint running at the same moment is not a failure. */
	if (rc == SQLITE_OK || rc == SQLITE_BUSY)
		return BURROW_OK;
	return store_sql_error(s, rc, "checkpoint");
}
