/*
 * division.c — Webster (Sainte-Laguë) and Aggregated division of replicas
 * within one tier (see division.h for the rules and the tie order).
 *
 * Pure: no I/O, no clock, no globals; scratch memory comes from the caller's
 * arena. Priorities are compared exactly as cross-multiplied integers (128
 * bits), never as floating point, so ties are real ties and are broken by the
 * documented order. A large number of seats is handled by a "jump start":
 * a floating-point threshold places, per cluster, a number of seats that is
 * provably part of the sequential result (one seat of margin per cluster and
 * n seats of margin overall), and the exact sequential heap places the rest.
 * The result is therefore identical to the one-seat-at-a-time method, in
 * O(n log n) time whatever the replica count.
 */
#include "schedule/division.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

/* <0 when a's next seat comes before b's on adding. */
static int add_order(const schedule_div *a, const schedule_div *b) {
  u128 l = (u128)a->weight * (u128)(2 * (uint64_t)b->seats + 1);
  u128 r = (u128)b->weight * (u128)(2 * (uint64_t)a->seats + 1);
  if (l != r) return l > r ? -1 : 1;
  if (a->weight != b->weight) return a->weight > b->weight ? -1 : 1;
  return strcmp(a->name, b->name);
}

/* <0 when a's last seat goes before b's on removing (lower priority first).
 * Only called with seats > 0. */
static int remove_order(const schedule_div *a, const schedule_div *b) {
  u128 l = (u128)a->weight * (u128)(2 * (uint64_t)b->seats - 1);
  u128 r = (u128)b->weight * (u128)(2 * (uint64_t)a->seats - 1);
  if (l != r) return l < r ? -1 : 1;
  if (a->weight != b->weight) return a->weight < b->weight ? -1 : 1;
  return strcmp(b->name, a->name);
}

typedef int (*order_fn)(const schedule_div *, const schedule_div *);

typedef struct heap {
  schedule_div **items;
  size_t len;
  order_fn before;
} heap;

static void heap_down(heap *h, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < h->len && h->before(h->items[l], h->items[m]) < 0) m = l;
    if (r < h->len && h->before(h->items[r], h->items[m]) < 0) m = r;
    if (m == i) return;
    schedule_div *t = h->items[i];
    h->items[i] = h->items[m];
    h->items[m] = t;
    i = m;
  }
}

static void heap_build(heap *h) {
  for (size_t i = h->len / 2; i-- > 0;) heap_down(h, i);
}

static void heap_pop(heap *h) {
  h->items[0] = h->items[--h->len];
  if (h->len) heap_down(h, 0);
}

/* ---- jump start ---------------------------------------------------------- */

/* Seats a cluster would hold, adding, if it took every seat whose priority
 * w / (2k + 1) exceeds lambda (floating point; within 1 of exact). */
static int64_t add_target(const schedule_div *d, double lambda) {
  double x = ((double)d->weight / lambda - 1) / 2;
  double k = x <= 0 ? 0 : ceil(x);
  int64_t t = k >= (double)d->cap ? d->cap : (int64_t)k;
  return t < d->seats ? d->seats : t;
}

/* Seats a cluster would keep, removing, if it lost every seat whose priority
 * is below lambda. */
static int64_t remove_target(const schedule_div *d, double lambda) {
  if (d->weight == 0) return 0;
  double x = ((double)d->weight / lambda - 1) / 2;
  double k = x < 0 ? 0 : floor(x) + 1;
  return k >= (double)d->seats ? d->seats : (int64_t)k;
}

/* Moves seats towards the sequential result by a provably safe amount; returns
 * the seats added (adding) or removed (removing). */
static int64_t jump(schedule_div *d, size_t n, int64_t want, bool adding) {
  int64_t margin = (int64_t)n;
  if (want <= 4 * margin) return 0;
  uint64_t wmax = 0;
  for (size_t i = 0; i < n; i++)
    if (d[i].weight > wmax) wmax = d[i].weight;
  if (wmax == 0) return 0;
  /* total(lambda) is monotone: adding, it falls as lambda grows; removing, it
   * rises. Search log(lambda) for a total in [want - 3n, want - n]. */
  double lo = log(1e-12), hi = log((double)wmax * 4);
  double best = NAN;
  int64_t best_total = -1;
  for (int it = 0; it < 64; it++) {
    double mid = (lo + hi) / 2, lambda = exp(mid);
    int64_t total = 0;
    for (size_t i = 0; i < n; i++)
      total += adding ? add_target(&d[i], lambda) - d[i].seats : d[i].seats - remove_target(&d[i], lambda);
    if (total <= want - margin) {
      if (total > best_total) {
        best_total = total;
        best = lambda;
      }
      if (total >= want - 3 * margin) break;
      if (adding)
        hi = mid;
      else
        lo = mid;
    } else {
      if (adding)
        lo = mid;
      else
        hi = mid;
    }
  }
  if (best_total <= 0) return 0;
  int64_t moved = 0;
  for (size_t i = 0; i < n; i++) {
    if (adding) {
      int64_t t = add_target(&d[i], best) - 1;
      if (t > d[i].seats) {
        moved += t - d[i].seats;
        d[i].seats = t;
      }
    } else {
      int64_t t = remove_target(&d[i], best) + 1;
      if (t < d[i].seats) {
        moved += d[i].seats - t;
        d[i].seats = t;
      }
    }
  }
  return moved;
}

/* ---- Webster ------------------------------------------------------------- */

int64_t schedule_webster_add(schedule_div *d, size_t n, int64_t add, sw_arena *a) {
  if (add <= 0 || n == 0) return 0;
  int64_t room = 0;
  for (size_t i = 0; i < n; i++)
    if (d[i].weight > 0 && d[i].seats < d[i].cap) room += d[i].cap - d[i].seats;
  if (room <= add) { /* everything eligible fills up: same as sequential */
    for (size_t i = 0; i < n; i++)
      if (d[i].weight > 0 && d[i].seats < d[i].cap) d[i].seats = d[i].cap;
    return room;
  }
  int64_t done = jump(d, n, add, true);
  heap h = {sw_arena_alloc(a, n * sizeof(schedule_div *)), 0, add_order};
  for (size_t i = 0; i < n; i++)
    if (d[i].weight > 0 && d[i].seats < d[i].cap) h.items[h.len++] = &d[i];
  heap_build(&h);
  while (done < add && h.len) {
    schedule_div *top = h.items[0];
    top->seats++;
    done++;
    if (top->seats >= top->cap)
      heap_pop(&h);
    else
      heap_down(&h, 0);
  }
  return done;
}

int64_t schedule_webster_remove(schedule_div *d, size_t n, int64_t remove, sw_arena *a) {
  if (remove <= 0 || n == 0) return 0;
  int64_t total = 0;
  for (size_t i = 0; i < n; i++) total += d[i].seats;
  if (total <= remove) {
    for (size_t i = 0; i < n; i++) d[i].seats = 0;
    return total;
  }
  int64_t done = jump(d, n, remove, false);
  heap h = {sw_arena_alloc(a, n * sizeof(schedule_div *)), 0, remove_order};
  for (size_t i = 0; i < n; i++)
    if (d[i].seats > 0) h.items[h.len++] = &d[i];
  heap_build(&h);
  while (done < remove && h.len) {
    schedule_div *top = h.items[0];
    top->seats--;
    done++;
    if (top->seats == 0)
      heap_pop(&h);
    else
      heap_down(&h, 0);
  }
  return done;
}

/* ---- Aggregated ---------------------------------------------------------- */

static int agg_add_cmp(const void *pa, const void *pb) {
  const schedule_div *a = *(schedule_div *const *)pa, *b = *(schedule_div *const *)pb;
  bool ha = a->seats > 0, hb = b->seats > 0;
  if (ha != hb) return ha ? -1 : 1;
  int64_t ra = a->cap - a->seats, rb = b->cap - b->seats;
  if (ra != rb) return ra > rb ? -1 : 1;
  return strcmp(a->name, b->name);
}

static int agg_remove_cmp(const void *pa, const void *pb) {
  const schedule_div *a = *(schedule_div *const *)pa, *b = *(schedule_div *const *)pb;
  if (a->seats != b->seats) return a->seats < b->seats ? -1 : 1;
  if (a->cap != b->cap) return a->cap < b->cap ? -1 : 1;
  return strcmp(b->name, a->name);
}

static schedule_div **sorted(schedule_div *d, size_t n, int (*cmp)(const void *, const void *), sw_arena *a,
                             size_t *len, bool adding) {
  schedule_div **p = sw_arena_alloc(a, (n ? n : 1) * sizeof *p);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (adding ? d[i].seats < d[i].cap : d[i].seats > 0) p[k++] = &d[i];
  qsort(p, k, sizeof *p, cmp);
  *len = k;
  return p;
}

int64_t schedule_aggregate_add(schedule_div *d, size_t n, int64_t add, sw_arena *a) {
  if (add <= 0) return 0;
  size_t k;
  schedule_div **p = sorted(d, n, agg_add_cmp, a, &k, true);
  int64_t done = 0;
  for (size_t i = 0; i < k && done < add; i++) {
    int64_t take = p[i]->cap - p[i]->seats;
    if (take > add - done) take = add - done;
    p[i]->seats += take;
    done += take;
  }
  return done;
}

int64_t schedule_aggregate_remove(schedule_div *d, size_t n, int64_t remove, sw_arena *a) {
  if (remove <= 0) return 0;
  size_t k;
  schedule_div **p = sorted(d, n, agg_remove_cmp, a, &k, false);
  int64_t done = 0;
  for (size_t i = 0; i < k && done < remove; i++) {
    int64_t take = p[i]->seats;
    if (take > remove - done) take = remove - done;
    p[i]->seats -= take;
    done += take;
  }
  return done;
}
