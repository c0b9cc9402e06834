/*
 * smap.h — a small string-keyed hash map (open addressing, linear probing)
 * used by the metrics part for pods by "namespace/name", series by key and
 * caches by query text.
 *
 * Owns: its key copies (unless borrow_keys). Values are borrowed pointers the
 * caller manages.
 * Never: I/O. Not thread-safe (one loop per thread, as everything else).
 */
#ifndef METRICS_SMAP_H
#define METRICS_SMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct smap_entry {
  char *key; /* NULL = empty slot */
  size_t key_len;
  void *value;
  bool tomb; /* a deleted slot probing must step over */
} smap_entry;

typedef struct smap {
  smap_entry *slots;
  size_t cap, len, used; /* used counts live entries and tombstones */
  /* When set (before the first put), keys are not copied: the caller keeps
   * each key alive, unchanged, while it is in the map. */
  bool borrow_keys;
} smap;

void smap_init(smap *m);
void smap_free(smap *m); /* frees key copies; values are the caller's */
void *smap_get(const smap *m, const char *key);
void *smap_getn(const smap *m, const char *key, size_t len);
/* Sets key -> value; returns the previous value (NULL when new). */
void *smap_put(smap *m, const char *key, void *value);
void *smap_putn(smap *m, const char *key, size_t len, void *value);
/* Removes key; returns its value (NULL when absent). */
void *smap_del(smap *m, const char *key);
/* Iteration: for (size_t i = 0; i < m->cap; i++) if (smap_live(m, i)) ... */
static inline bool smap_live(const smap *m, size_t i) { return m->slots[i].key && !m->slots[i].tomb; }

uint64_t smap_hash(const char *s, size_t n);

#endif
