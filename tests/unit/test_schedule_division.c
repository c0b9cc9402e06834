/* Unit tests for src/schedule/division.c: Webster (Sainte-Laguë) and
 * Aggregated division within one tier — tables of cases plus an exact
 * comparison of the jump-started method with the one-seat-at-a-time one. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "schedule/division.h"

#define MAXC 8

typedef struct {
  const char *what;
  int n;
  const char *names[MAXC];
  uint64_t weights[MAXC];
  int64_t seats[MAXC];
  int64_t caps[MAXC]; /* 0 in the table = unlimited, -1 = no room */
  int64_t delta;      /* > 0 add, < 0 remove */
  int64_t want[MAXC];
  int64_t moved;
} div_case;

static void run_cases(const div_case *cases, size_t n_cases, bool aggregated) {
  for (size_t c = 0; c < n_cases; c++) {
    const div_case *k = &cases[c];
    schedule_div d[MAXC];
    for (int i = 0; i < k->n; i++)
      d[i] = (schedule_div){k->names[i], k->weights[i], k->seats[i],
                            k->caps[i] < 0 ? 0
                            : k->caps[i]   ? k->caps[i]
                                           : 1000000};
    sw_arena *a = sw_arena_new(4096);
    int64_t moved;
    if (aggregated)
      moved = k->delta > 0 ? schedule_aggregate_add(d, (size_t)k->n, k->delta, a)
                           : schedule_aggregate_remove(d, (size_t)k->n, -k->delta, a);
    else
      moved = k->delta > 0 ? schedule_webster_add(d, (size_t)k->n, k->delta, a)
                           : schedule_webster_remove(d, (size_t)k->n, -k->delta, a);
    sw_arena_free(a);
    cr_expect_eq(moved, k->moved, "%s: moved %lld, want %lld", k->what, (long long)moved,
                 (long long)k->moved);
    for (int i = 0; i < k->n; i++)
      cr_expect_eq(d[i].seats, k->want[i], "%s: %s has %lld, want %lld", k->what, k->names[i],
                   (long long)d[i].seats, (long long)k->want[i]);
  }
}

Test(division, webster_table) {
  static const div_case cases[] = {
      {"static weights 1:2, 9 replicas", 2, {"a", "b"}, {1, 2}, {0, 0}, {0, 0}, 9, {3, 6}, 9},
      /* The textbook Sainte-Laguë example: 100k/80k/30k/20k votes, 8 seats. */
      {"sainte-lague textbook",
       4,
       {"A", "B", "C", "D"},
       {100000, 80000, 30000, 20000},
       {0},
       {0},
       8,
       {3, 3, 1, 1},
       8},
      {"weights 1:3, 9 replicas", 2, {"a", "b"}, {1, 3}, {0, 0}, {0, 0}, 9, {2, 7}, 9},
      {"incremental: existing never move", 2, {"a", "b"}, {1, 1}, {3, 0}, {0, 0}, 1, {3, 1}, 1},
      {"incremental: added go to the under-served", 2, {"a", "b"}, {1, 1}, {2, 0}, {0, 0}, 2, {2, 2}, 2},
      {"tie: larger weight first", 2, {"a", "b"}, {1, 3}, {0, 1}, {0, 0}, 1, {0, 2}, 1},
      {"tie: then name ascending", 3, {"c", "a", "b"}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, 2, {0, 1, 1}, 2},
      {"zero-capacity cluster gets none",
       3,
       {"a", "b", "c"},
       {1, 1, 1},
       {0, 0, 0},
       {2, -1, 5},
       4,
       {2, 0, 2},
       4},
      {"zero weight gets none", 2, {"a", "b"}, {0, 1}, {0, 0}, {0, 0}, 3, {0, 3}, 3},
      {"capacity caps, rest to others", 2, {"a", "b"}, {10, 1}, {0, 0}, {1, 0}, 4, {1, 3}, 4},
      {"all full: places only the room", 2, {"a", "b"}, {1, 1}, {1, 1}, {2, 2}, 5, {2, 2}, 2},
      {"scale-down proportional to weights",
       4,
       {"A", "B", "C", "D"},
       {100000, 80000, 30000, 20000},
       {3, 3, 1, 1},
       {0},
       -3,
       {2, 2, 1, 0},
       3},
      {"scale-down: reverse tie order (name descending)",
       3,
       {"a", "b", "c"},
       {1, 1, 1},
       {1, 1, 1},
       {0},
       -1,
       {1, 1, 0},
       1},
      {"scale-down: zero-weight seats go first", 2, {"a", "b"}, {0, 1}, {2, 2}, {0, 0}, -2, {0, 2}, 2},
      {"scale-down below zero empties", 2, {"a", "b"}, {1, 1}, {1, 2}, {0, 0}, -7, {0, 0}, 3},
  };
  run_cases(cases, sizeof cases / sizeof cases[0], false);
}

Test(division, aggregated_table) {
  static const div_case cases[] = {
      {"fewest clusters: largest room first", 3, {"a", "b", "c"}, {0}, {0, 0, 0}, {3, 5, 2}, 6, {1, 5, 0}, 6},
      {"clusters already used first", 3, {"a", "b", "c"}, {0}, {1, 0, 0}, {3, 5, 2}, 3, {3, 1, 0}, 3},
      {"ties by name", 2, {"b", "a"}, {0}, {0, 0}, {4, 4}, 2, {0, 2}, 2},
      {"room short", 2, {"a", "b"}, {0}, {0, 0}, {1, 1}, 3, {1, 1}, 2},
      {"remove: empty the smallest first", 3, {"a", "b", "c"}, {0}, {4, 1, 2}, {0}, -2, {4, 0, 1}, 2},
      {"remove: ties by smaller cap", 2, {"a", "b"}, {0}, {2, 2}, {3, 9}, -2, {0, 2}, 2},
  };
  run_cases(cases, sizeof cases / sizeof cases[0], true);
}

/* One seat at a time, priorities compared in exact integers: the definition. */
static void reference_add(schedule_div *d, size_t n, int64_t add) {
  for (int64_t s = 0; s < add; s++) {
    long best = -1;
    for (size_t i = 0; i < n; i++) {
      if (d[i].weight == 0 || d[i].seats >= d[i].cap) continue;
      if (best < 0) {
        best = (long)i;
        continue;
      }
      unsigned __int128 l = (unsigned __int128)d[i].weight * (2 * (uint64_t)d[best].seats + 1);
      unsigned __int128 r = (unsigned __int128)d[best].weight * (2 * (uint64_t)d[i].seats + 1);
      if (l > r || (l == r && (d[i].weight > d[best].weight ||
                               (d[i].weight == d[best].weight && strcmp(d[i].name, d[best].name) < 0))))
        best = (long)i;
    }
    if (best < 0) return;
    d[best].seats++;
  }
}

static void reference_remove(schedule_div *d, size_t n, int64_t rm) {
  for (int64_t s = 0; s < rm; s++) {
    long best = -1;
    for (size_t i = 0; i < n; i++) {
      if (d[i].seats == 0) continue;
      if (best < 0) {
        best = (long)i;
        continue;
      }
      unsigned __int128 l = (unsigned __int128)d[i].weight * (2 * (uint64_t)d[best].seats - 1);
      unsigned __int128 r = (unsigned __int128)d[best].weight * (2 * (uint64_t)d[i].seats - 1);
      if (l < r || (l == r && (d[i].weight < d[best].weight ||
                               (d[i].weight == d[best].weight && strcmp(d[i].name, d[best].name) > 0))))
        best = (long)i;
    }
    if (best < 0) return;
    d[best].seats--;
  }
}

Test(division, jump_start_matches_sequential) {
  static char names[24][8];
  uint64_t state = 88172645463325252ull;
  for (int round = 0; round < 30; round++) {
    size_t n = 3 + (size_t)(round % 20);
    schedule_div a[24], b[24];
    for (size_t i = 0; i < n; i++) {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      snprintf(names[i], sizeof names[i], "c%02zu", n - 1 - i);
      uint64_t w = round % 3 == 0 ? 5 : 1 + state % (round % 2 ? 1000 : 7); /* many ties on some rounds */
      int64_t seats = (int64_t)(state >> 20) % 40;
      int64_t cap = round % 4 == 1 ? seats + (int64_t)((state >> 30) % 3000) : 100000000;
      a[i] = b[i] = (schedule_div){names[i], w, seats, cap};
    }
    int64_t delta = 2000 + (int64_t)(state % 20000);
    sw_arena *ar = sw_arena_new(4096);
    if (round % 2 == 0) {
      schedule_webster_add(a, n, delta, ar);
      reference_add(b, n, delta);
    } else {
      int64_t total = 0;
      for (size_t i = 0; i < n; i++) total += a[i].seats;
      /* build a large state first, then remove most of it */
      schedule_webster_add(a, n, delta, ar);
      reference_add(b, n, delta);
      int64_t rm = (total + delta) * 3 / 4;
      schedule_webster_remove(a, n, rm, ar);
      reference_remove(b, n, rm);
    }
    sw_arena_free(ar);
    for (size_t i = 0; i < n; i++)
      cr_assert_eq(a[i].seats, b[i].seats, "round %d cluster %zu: %lld vs reference %lld", round, i,
                   (long long)a[i].seats, (long long)b[i].seats);
  }
}

Test(division, up_then_down_returns_to_the_same_division) {
  const char *names[5] = {"e", "d", "c", "b", "a"};
  uint64_t w[5] = {7, 3, 3, 1, 12};
  schedule_div d[5];
  for (int i = 0; i < 5; i++) d[i] = (schedule_div){names[i], w[i], 0, 1000};
  sw_arena *ar = sw_arena_new(4096);
  schedule_webster_add(d, 5, 11, ar);
  int64_t before[5];
  for (int i = 0; i < 5; i++) before[i] = d[i].seats;
  schedule_webster_add(d, 5, 9, ar);
  for (int i = 0; i < 5; i++) cr_assert_geq(d[i].seats, before[i], "scale-up never takes a replica away");
  schedule_webster_remove(d, 5, 9, ar);
  for (int i = 0; i < 5; i++) cr_assert_eq(d[i].seats, before[i], "cluster %s", names[i]);
  sw_arena_free(ar);
}

Test(division, huge_counts_are_fast_and_exact) {
  const char *names[3] = {"a", "b", "c"};
  schedule_div d[3] = {{names[0], 1, 0, INT32_MAX}, {names[1], 1, 0, INT32_MAX}, {names[2], 2, 0, INT32_MAX}};
  sw_arena *ar = sw_arena_new(4096);
  cr_assert_eq(schedule_webster_add(d, 3, 2000000000, ar), 2000000000);
  cr_assert_eq(d[0].seats, 500000000);
  cr_assert_eq(d[1].seats, 500000000);
  cr_assert_eq(d[2].seats, 1000000000);
  cr_assert_eq(schedule_webster_remove(d, 3, 1999999999, ar), 1999999999);
  cr_assert_eq(d[0].seats + d[1].seats + d[2].seats, 1);
  cr_assert_eq(d[2].seats, 1, "the last seat is the heaviest cluster's");
  sw_arena_free(ar);
}
