/*
 * checkpoint.h: burrow-api's write-ahead-log checkpointer, a thread with
 * its own store connection, so requests seldom wait for SQLite to copy the
 * log into the database and fsync it (db/wal.c says why).
 */
#ifndef BURROW_API_CHECKPOINT_H
#define BURROW_API_CHECKPOINT_H

struct api_checkpointer;

/* Opens the store at path on a new thread and checkpoints it every
 * interval_ms.  Returns the checkpointer (api_checkpointer_stop) or NULL
 * (logged; SQLite's own checkpoints in the commits do all the work then). */
struct api_checkpointer *api_checkpointer_start(const char *path, int interval_ms);

/* Stops the thread (after one last checkpoint) and frees c; NULL is fine. */
void api_checkpointer_stop(struct api_checkpointer *c);

#endif
