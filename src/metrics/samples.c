/*
 * samples.c — per-target sample store (see samples.h).
 *
 * Layout: one record per series (identity strings in one allocation, a ring
 * of `depth` doubles), one ring of scrape times shared by all series. An
 * exporter writes its series in the same order every scrape, so ingest first
 * tries "the series after the previous one" with a single memcmp of the
 * series key and falls back to a hash lookup only when the order changed.
 * Absent values are Prometheus' staleness marker, the NaN with payload 2
 * (value.StaleNaN), distinct from the NaN an exporter may expose.
 */
#include "metrics/samples.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/sw.h"
#include "metrics/smap.h"

static const uint64_t STALE_BITS = 0x7ff0000000000002ull;

static double stale_nan(void) {
  double d;
  memcpy(&d, &STALE_BITS, sizeof d);
  return d;
}
static bool is_stale(double d) {
  uint64_t b;
  memcpy(&b, &d, sizeof b);
  return b == STALE_BITS;
}

typedef struct series_t {
  msamples_series pub;
  const char *key; /* in block */
  size_t key_len;
  char *block; /* key, name, family, label strings: one allocation */
  promtext_label *labels;
  double *ring;
  uint64_t last_seen;
  size_t next_name; /* next series with the same name, SIZE_MAX at the end */
} series_t;

struct msamples {
  size_t depth;
  double *times;
  uint64_t seq;
  bool last_ok;
  uint64_t gen;
  SW_VEC(series_t) series;
  smap by_key;  /* key -> index + 1 */
  smap by_name; /* name -> first index + 1 */
};

#define IDX(p) ((size_t)(uintptr_t)(p)-1)
#define PTR(i) ((void *)(uintptr_t)((i) + 1))

msamples *msamples_new(size_t depth) {
  msamples *s = sw_xcalloc(1, sizeof *s);
  s->depth = depth ? (depth < 2 ? 2 : depth) : 60;
  s->times = sw_xcalloc(s->depth, sizeof *s->times);
  smap_init(&s->by_key);
  smap_init(&s->by_name);
  s->by_key.borrow_keys = s->by_name.borrow_keys = true; /* keys live in the series' blocks */
  return s;
}

static void series_free(series_t *x) {
  free(x->block);
  free(x->labels);
  free(x->ring);
}

void msamples_free(msamples *s) {
  if (!s) return;
  for (size_t i = 0; i < s->series.len; i++) series_free(&s->series.items[i]);
  sw_vec_free(&s->series);
  smap_free(&s->by_key);
  smap_free(&s->by_name);
  free(s->times);
  free(s);
}

static void index_name(msamples *s, size_t i) {
  series_t *x = &s->series.items[i];
  x->next_name = SIZE_MAX;
  void *first = smap_get(&s->by_name, x->pub.name);
  if (!first) {
    smap_put(&s->by_name, x->pub.name, PTR(i));
    return;
  }
  size_t j = IDX(first);
  while (s->series.items[j].next_name != SIZE_MAX) j = s->series.items[j].next_name;
  s->series.items[j].next_name = i;
}

static size_t add_series(msamples *s, const promtext_doc *doc, const promtext_sample *p) {
  series_t x = {0};
  x.key_len = p->key_len;
  const char *family = doc->families[p->family].name;
  size_t need = p->key_len + 1 + strlen(p->name) + 1 + strlen(family) + 1;
  for (size_t i = 0; i < p->n_labels; i++) need += strlen(p->labels[i].name) + strlen(p->labels[i].value) + 2;
  x.block = sw_xmalloc(need);
  char *w = x.block;
  memcpy(w, p->key, p->key_len);
  w[p->key_len] = 0;
  x.key = w;
  w += p->key_len + 1;
#define COPY(dst, src)                                                                                       \
  do {                                                                                                       \
    size_t n_ = strlen(src) + 1;                                                                             \
    memcpy(w, src, n_);                                                                                      \
    (dst) = w;                                                                                               \
    w += n_;                                                                                                 \
  } while (0)
  COPY(x.pub.name, p->name);
  COPY(x.pub.family, family);
  x.labels = sw_xcalloc(p->n_labels ? p->n_labels : 1, sizeof *x.labels);
  for (size_t i = 0; i < p->n_labels; i++) {
    COPY(x.labels[i].name, p->labels[i].name);
    COPY(x.labels[i].value, p->labels[i].value);
  }
#undef COPY
  x.pub.type = doc->families[p->family].type;
  x.pub.labels = x.labels;
  x.pub.n_labels = p->n_labels;
  x.ring = sw_xmalloc(s->depth * sizeof *x.ring);
  double st = stale_nan();
  for (size_t i = 0; i < s->depth; i++) x.ring[i] = st;
  sw_vec_push(&s->series, x);
  size_t idx = s->series.len - 1;
  smap_putn(&s->by_key, x.key, x.key_len, PTR(idx));
  index_name(s, idx);
  s->gen++;
  return idx;
}

static void reindex(msamples *s) {
  smap_free(&s->by_key); /* keeps borrow_keys */
  smap_free(&s->by_name);
  for (size_t i = 0; i < s->series.len; i++) {
    smap_putn(&s->by_key, s->series.items[i].key, s->series.items[i].key_len, PTR(i));
    index_name(s, i);
  }
}

void msamples_ingest(msamples *s, const promtext_doc *doc, double t) {
  s->seq++;
  size_t slot = (size_t)((s->seq - 1) % s->depth);
  s->times[slot] = t;
  s->last_ok = doc != NULL;
  double st = stale_nan();
  for (size_t i = 0; i < s->series.len; i++) s->series.items[i].ring[slot] = st;
  if (doc) {
    size_t hint = 0;
    for (size_t k = 0; k < doc->n_samples; k++) {
      const promtext_sample *p = &doc->samples[k];
      size_t idx;
      if (hint < s->series.len && s->series.items[hint].key_len == p->key_len &&
          memcmp(s->series.items[hint].key, p->key, p->key_len) == 0) {
        idx = hint;
      } else {
        void *v = smap_getn(&s->by_key, p->key, p->key_len);
        idx = v ? IDX(v) : add_series(s, doc, p);
      }
      s->series.items[idx].ring[slot] = p->value;
      s->series.items[idx].last_seen = s->seq;
      hint = idx + 1;
    }
  }
  /* drop series with no point left in the ring */
  size_t w = 0;
  for (size_t i = 0; i < s->series.len; i++) {
    series_t *x = &s->series.items[i];
    if (x->last_seen + s->depth <= s->seq) {
      series_free(x);
      continue;
    }
    if (w != i) s->series.items[w] = *x;
    w++;
  }
  if (w != s->series.len) {
    s->series.len = w;
    s->gen++;
    reindex(s);
  }
}

size_t msamples_depth(const msamples *s) { return s->depth; }
uint64_t msamples_scrapes(const msamples *s) { return s->seq; }
bool msamples_last_ok(const msamples *s) { return s->seq > 0 && s->last_ok; }
double msamples_last_time(const msamples *s) { return s->seq ? s->times[(s->seq - 1) % s->depth] : 0; }
uint64_t msamples_generation(const msamples *s) { return s->gen; }
size_t msamples_n_series(const msamples *s) { return s->series.len; }

const msamples_series *msamples_series_at(const msamples *s, size_t i) {
  return i < s->series.len ? &s->series.items[i].pub : NULL;
}

size_t msamples_first_named(const msamples *s, const char *name) {
  void *v = smap_get(&s->by_name, name);
  return v ? IDX(v) : SIZE_MAX;
}

size_t msamples_next_same_name(const msamples *s, size_t i) {
  return i < s->series.len ? s->series.items[i].next_name : SIZE_MAX;
}

bool msamples_latest(const msamples *s, size_t series, double *v, double *t) {
  if (series >= s->series.len || s->seq == 0) return false;
  size_t slot = (size_t)((s->seq - 1) % s->depth);
  double x = s->series.items[series].ring[slot];
  if (is_stale(x)) return false;
  *v = x;
  if (t) *t = s->times[slot];
  return true;
}

size_t msamples_range(const msamples *s, size_t series, double from, double to, double *ts, double *vs,
                      size_t max) {
  if (series >= s->series.len) return 0;
  const double *ring = s->series.items[series].ring;
  uint64_t first = s->seq > s->depth ? s->seq - s->depth + 1 : 1;
  size_t n = 0;
  for (uint64_t q = first; q <= s->seq && n < max; q++) {
    size_t slot = (size_t)((q - 1) % s->depth);
    double t = s->times[slot];
    if (t < from || t > to || is_stale(ring[slot])) continue;
    ts[n] = t;
    vs[n] = ring[slot];
    n++;
  }
  return n;
}

bool msamples_latest_sum(const msamples *s, const char *name, double *v) {
  double sum = 0;
  bool any = false;
  for (size_t i = msamples_first_named(s, name); i != SIZE_MAX; i = s->series.items[i].next_name) {
    double x;
    if (msamples_latest(s, i, &x, NULL)) {
      sum += x;
      any = true;
    }
  }
  if (any) *v = sum;
  return any;
}

size_t msamples_memory(const msamples *s) {
  size_t b = sizeof *s + s->depth * sizeof(double) + s->series.cap * sizeof(series_t);
  for (size_t i = 0; i < s->series.len; i++) {
    const series_t *x = &s->series.items[i];
    b += x->key_len + 1 + s->depth * sizeof(double) + x->pub.n_labels * sizeof(promtext_label);
    /* key, name, family and labels share one block */
    b += strlen(x->pub.name) + strlen(x->pub.family) + 2;
    for (size_t k = 0; k < x->pub.n_labels; k++)
      b += strlen(x->labels[k].name) + strlen(x->labels[k].value) + 2;
  }
  b += (s->by_key.cap + s->by_name.cap) * sizeof(smap_entry);
  return b;
}
