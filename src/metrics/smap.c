/*
 * smap.c — string-keyed open-addressing hash map (see smap.h). FNV-1a hash;
 * the table doubles at 50 % load (live entries plus tombstones) so probes
 * stay short; a rehash leaves it at most half full.
 */
#include "metrics/smap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/sw.h"

uint64_t smap_hash(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h;
}

void smap_init(smap *m) { memset(m, 0, sizeof *m); }

void smap_free(smap *m) {
  bool borrow = m->borrow_keys;
  if (!borrow)
    for (size_t i = 0; i < m->cap; i++) free(m->slots[i].key);
  free(m->slots);
  smap_init(m);
  m->borrow_keys = borrow;
}

static smap_entry *find_slot(const smap *m, const char *key, size_t len) {
  if (!m->cap) return NULL;
  size_t mask = m->cap - 1;
  for (size_t i = smap_hash(key, len) & mask;; i = (i + 1) & mask) {
    smap_entry *e = &m->slots[i];
    if (!e->key) return NULL;
    if (!e->tomb && e->key_len == len && memcmp(e->key, key, len) == 0) return e;
  }
}

void *smap_getn(const smap *m, const char *key, size_t len) {
  smap_entry *e = find_slot(m, key, len);
  return e ? e->value : NULL;
}
void *smap_get(const smap *m, const char *key) { return smap_getn(m, key, strlen(key)); }

static void rehash(smap *m, size_t cap) {
  smap_entry *old = m->slots;
  size_t old_cap = m->cap;
  m->slots = sw_xcalloc(cap, sizeof *m->slots);
  m->cap = cap;
  m->len = m->used = 0;
  for (size_t i = 0; i < old_cap; i++) {
    if (!old[i].key) continue;
    if (old[i].tomb) {
      if (!m->borrow_keys) free(old[i].key);
      continue;
    }
    size_t mask = cap - 1;
    size_t j = smap_hash(old[i].key, old[i].key_len) & mask;
    while (m->slots[j].key) j = (j + 1) & mask;
    m->slots[j] = old[i];
    m->len++;
    m->used++;
  }
  free(old);
}

void *smap_putn(smap *m, const char *key, size_t len, void *value) {
  smap_entry *e = find_slot(m, key, len);
  if (e) {
    void *prev = e->value;
    e->value = value;
    return prev;
  }
  if ((m->used + 1) * 10 > m->cap * 7) { /* 70 % full, tombstones included */
    size_t cap = 16;
    while ((m->len + 1) * 2 > cap) cap *= 2; /* at most half full after the rehash */
    rehash(m, cap);
  }
  size_t mask = m->cap - 1;
  size_t i = smap_hash(key, len) & mask;
  while (m->slots[i].key && !m->slots[i].tomb) i = (i + 1) & mask;
  smap_entry *s = &m->slots[i];
  if (s->key) {
    if (!m->borrow_keys) free(s->key); /* reusing a tombstone */
  } else {
    m->used++;
  }
  s->key = m->borrow_keys ? (char *)key : sw_xstrndup(key, len);
  s->key_len = len;
  s->value = value;
  s->tomb = false;
  m->len++;
  return NULL;
}
void *smap_put(smap *m, const char *key, void *value) { return smap_putn(m, key, strlen(key), value); }

void *smap_del(smap *m, const char *key) {
  smap_entry *e = find_slot(m, key, strlen(key));
  if (!e) return NULL;
  void *v = e->value;
  e->tomb = true;
  e->value = NULL;
  m->len--;
  return v;
}
