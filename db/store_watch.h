/*
 * store_watch.h: waking a reader of the store when another process writes it.
 *
 * burrow-dns and burrow-edge keep in-memory indexes that follow the change
 * log (store.h).  Rather than poll it, each watches the store's directory
 * with inotify for writes to the store file and its -wal (a commit appends
 * to the -wal; a checkpoint writes the store file; the -wal may not exist
 * yet at start), and reads the change log when one happens.  A slow poll
 * stays as the safety net, and is the only source where inotify is missing.
 *
 * The reader's function runs on the caller's libevent loop:
 *   - at once on a write, but not twice within STORE_WATCH_GAP_MS: a burst
 *     of commits (a bulk import) costs one read per gap, not one per
 *     commit, and each read applies everything logged so far.  A writer
 *     closing the store (the CLI exiting) is read at once even so, and so
 *     is the touch of the -wal every writer makes after a commit (a writer
 *     that stays open, burrow-api, closes nothing) when the read its first
 *     write woke found nothing yet;
 *   - again after 2, 4, ... 256 ms, because a write's event can come
 *     before its commit is visible to readers (the -wal is written before
 *     the shared-memory index that publishes it): a read that found nothing
 *     does not lose the wake-up;
 *   - every poll_ms regardless, and once soon after store_watch_new() (so a
 *     write between the caller's initial load and the watch is not missed).
 * On a base with priorities (event_base_priority_init(base, 2) before any
 * event), a read the gap deferred runs ahead of the other events of the
 * loop iteration in which it is due: a client that came after a write, to a
 * loop that was busy, is answered after the write is applied.
 * On PostgreSQL the watch LISTENs on a connection of its own instead of
 * inotify: the change-log trigger NOTIFYs at commit, so the change is
 * visible when the wake-up comes (same gap rule, no rechecks needed).  A
 * lost connection is made again after 100 ms, doubling up to 5 s, and the
 * reader's function runs once it is back, to catch up by sequence; the
 * poll runs throughout.
 * This file holds no SQL: the function reads the log through store.h.
 */
#ifndef BURROW_STORE_WATCH_H
#define BURROW_STORE_WATCH_H

struct event_base;
struct store;
struct store_watch;

/* Shortest time between two reads a write caused. */
#define STORE_WATCH_GAP_MS 2

/* Reads the change log and applies what is new.  Returns 1 if it found
 * something new, 0 if not, or a negative Burrow code (it logs the error;
 * the watch tries again on its schedule). */
typedef int (*store_watch_fn)(void *ctx);

/* Calls fn(ctx) on base as described above for the file or database of the
 * open store s (which the watch does not keep; poll_ms >= 1).  A directory
 * inotify cannot watch, or a notification connection that cannot be made,
 * is not an error: a warning is logged and only the poll runs
 * (store_watch_active() is 0).  *out is the caller's, freed by
 * store_watch_free().  Errors: BURROW_ERR_INVALID (an in-memory store,
 * poll_ms < 1), BURROW_ERR_NOMEM. */
int store_watch_new(struct event_base *base, struct store *s, int poll_ms,
                    store_watch_fn fn, void *ctx, struct store_watch **out);

/* 1 if writes to the store wake the reader, 0 if only the poll runs. */
int store_watch_active(const struct store_watch *w);

/* Stops watching and frees w (before its event base); NULL is fine.  Not
 * from inside fn. */
void store_watch_free(struct store_watch *w);

#endif
