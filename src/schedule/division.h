/*
 * division.h — dividing replicas among the clusters of one tier: the Webster
 * (Sainte-Laguë) method applied sequentially, and Karmada's "Aggregated"
 * packing. Pure functions over plain arrays; used by placement.c only.
 *
 * Every function changes `seats` in place, never beyond `cap`, and returns how
 * many seats it added or removed.
 *
 * Webster, sequentially: each added seat goes to the cluster with the highest
 * priority weight / (2 * seats + 1); each removed seat comes from the cluster
 * whose last seat has the lowest priority weight / (2 * seats - 1). Ties are
 * broken deterministically: on adding, the larger weight first, then the
 * cluster name in ascending byte order; on removing, exactly the reverse
 * (the seat that adding would have given last goes first). Because both
 * directions follow one total order of seats, adding k then removing k
 * returns the same division, and a division reached from zero is the Webster
 * apportionment of its total (house monotone: no cluster ever loses a seat
 * when the total grows).
 */
#ifndef SCHEDULE_DIVISION_H
#define SCHEDULE_DIVISION_H

#include <stddef.h>
#include <stdint.h>

#include "base/sw.h"

typedef struct schedule_div {
  const char *name; /* tie-break; never NULL */
  uint64_t weight;  /* <= INT32_MAX; 0 = never receives seats */
  int64_t seats;    /* current replicas */
  int64_t cap;      /* at most this many seats (adding only) */
} schedule_div;

int64_t schedule_webster_add(schedule_div *d, size_t n, int64_t add, sw_arena *a);
int64_t schedule_webster_remove(schedule_div *d, size_t n, int64_t remove, sw_arena *a);

/* Aggregated: adds into clusters already holding replicas first, then the
 * largest room, then by name; removes from the cluster with the fewest
 * replicas first (then the smaller cap, then the name in descending order),
 * emptying it before the next, so the fewest clusters stay in use. Weights
 * are ignored. */
int64_t schedule_aggregate_add(schedule_div *d, size_t n, int64_t add, sw_arena *a);
int64_t schedule_aggregate_remove(schedule_div *d, size_t n, int64_t remove, sw_arena *a);

#endif
