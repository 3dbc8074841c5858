/*
 * table.h: a string-keyed hash table (chained, doubling), the edge's
 * in-memory index of tunnels and zone certificates.
 */
#ifndef BURROW_TABLE_H
#define BURROW_TABLE_H

#include <stddef.h>

struct table;

/* An empty table, or NULL on allocation failure; free with table_free(). */
struct table *table_new(void);

/* Frees the table, calling free_value (may be NULL) on each value. */
void table_free(struct table *t, void (*free_value)(void *));

/* The value stored under key, or NULL. */
void *table_get(const struct table *t, const char *key);

/* Stores value under key (the key is copied).  If key was present its old
 * value is replaced and handed back in *old (NULL otherwise).
 * Returns BURROW_OK or BURROW_ERR_NOMEM. */
int table_put(struct table *t, const char *key, void *value, void **old);

/* Removes key and returns its value, NULL if absent. */
void *table_remove(struct table *t, const char *key);

/* Calls cb on every entry; cb must not change the table. */
void table_walk(const struct table *t, void (*cb)(const char *key, void *value, void *ctx),
                void *ctx);

size_t table_count(const struct table *t);

#endif
