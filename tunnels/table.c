/*
 * table.c: string-keyed hash table (FNV-1a, chaining, doubling at load 1).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "tunnels/table.h"

struct entry {
	struct entry *next;
	void *value;
	uint32_t hash;
	char key[];
};

struct table {
	struct entry **buckets;
	size_t nbuckets, count;
};

static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

struct table *
table_new(void)
{
	struct table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->nbuckets = 64;
	if ((t->buckets = calloc(t->nbuckets, sizeof(*t->buckets))) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void
table_free(struct table *t, void (*free_value)(void *))
{
	struct entry *e, *next;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nbuckets; i++) {
		for (e = t->buckets[i]; e != NULL; e = next) {
			next = e->next;
			if (free_value != NULL)
				free_value(e->value);
			free(e);
		}
	}
	free(t->buckets);
	free(t);
}

static struct entry **
find(const struct table *t, const char *key, uint32_t h)
{
	struct entry **p = &t->buckets[h & (t->nbuckets - 1)];

	while (*p != NULL && ((*p)->hash != h || strcmp((*p)->key, key) != 0))
		p = &(*p)->next;
	return p;
}

void *
table_get(const struct table *t, const char *key)
{
	struct entry *e = *find(t, key, hash(key));

	return e != NULL ? e->value : NULL;
}

static void
grow(struct table *t)
{
	size_t n = t->nbuckets * 2, i;
	struct entry **b = calloc(n, sizeof(*b)), *e, *next;

	if (b == NULL)
		return;   /* a longer chain is slower, not wrong */
	for (i = 0; i < t->nbuckets; i++) {
		for (e = t->buckets[i]; e != NULL; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

int
table_put(struct table *t, const char *key, void *value, void **old)
{
	uint32_t h = hash(key);
	struct entry **p = find(t, key, h), *e;
	size_t klen = strlen(key);

	if (old != NULL)
		*old = NULL;
	if (*p != NULL) {
		if (old != NULL)
			*old = (*p)->value;
		(*p)->value = value;
		return BURROW_OK;
	}
	if ((e = malloc(sizeof(*e) + klen + 1)) == NULL)
		return BURROW_ERR_NOMEM;
	memcpy(e->key, key, klen + 1);
	e->hash = h;
	e->value = value;
	e->next = NULL;
	*p = e;
	if (++t->count > t->nbuckets)
		grow(t);
	return BURROW_OK;
}

void *
table_remove(struct table *t, const char *key)
{
	struct entry **p = find(t, key, hash(key)), *e = *p;
	void *v;

	if (e == NULL)
		return NULL;
	*p = e->next;
	v = e->value;
	free(e);
	t->count--;
	return v;
}

void
table_walk(const struct table *t, void (*cb)(const char *key, void *value, void *ctx),
           void *ctx)
{
	struct entry *e;
	size_t i;

	for (i = 0; i < t->nbuckets; i++)
		for (e = t->buckets[i]; e != NULL; e = e->next)
			cb(e->key, e->value, ctx);
}

size_t
table_count(const struct table *t)
{
	return t->count;
}
