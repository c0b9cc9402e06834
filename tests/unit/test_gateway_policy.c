/*
 * test_gateway_policy.c — the routing policies as pure functions, table-driven:
 * the least-load score, power of two choices with its tie-breaks, round-robin,
 * least-inflight, and that a burst of ties is spread rather than sent to one
 * replica.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "gateway/gateway.h"
#include "gateway/policy.h"

#define U NAN

Test(gateway_policy, registry) {
  cr_assert_eq(gw_policy_find("least-load"), &gw_policy_least_load);
  cr_assert_eq(gw_policy_find("round-robin"), &gw_policy_round_robin);
  cr_assert_eq(gw_policy_find("least-inflight"), &gw_policy_least_inflight);
  cr_assert_null(gw_policy_find("random"));
  cr_assert_null(gw_policy_find(NULL));
  size_t n = 0;
  for (const char *const *p = gw_policy_names(); *p; p++, n++)
    cr_assert_not_null(gw_policy_find(*p), "%s", *p);
  cr_assert_eq(n, 3);
}

Test(gateway_policy, score_table) {
  static const struct {
    gw_cand c;
    double want;
  } cases[] = {
      {{U, U, U, 0, 0}, 0},       /* nothing known, idle */
      {{U, U, U, 3, 0}, 3},       /* only our in-flight count */
      {{0, 5, 0, 2, 0}, 5},       /* replica reports more than we sent: other clients */
      {{0, 2, 0, 5, 0}, 5},       /* we sent more since the scrape: ours is fresher */
      {{4, 8, 0, 0, 0}, 16},      /* waiting counts twice: 12 outstanding + 4 */
      {{4, 8, 0.5, 20, 0}, 24.5}, /* max(20, 12) + 4 + 0.5 */
      {{-1, -1, -1, -1, 0}, 0},   /* nonsense clamps to 0 */
      {{0, 0, 7, 0, 0}, 1},       /* kv clamped to 1 */
      {{U, 3, 0.25, 1, 0}, 3.25},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    cr_assert_float_eq(gw_score(&cases[i].c), cases[i].want, 1e-9, "case %zu", i);
}

static size_t pick(const gw_policy *p, const gw_cand *c, size_t n, uint64_t ticket, uint64_t rnd) {
  gw_route_ctx ctx = {.model = "m", .ticket = ticket, .rnd = rnd};
  return p->pick(NULL, &ctx, c, n);
}

Test(gateway_policy, least_load_table) {
  static const struct {
    const char *name;
    gw_cand c[4];
    size_t n;
    uint64_t ticket, rnd;
    size_t want;
  } cases[] = {
      {"single", {{U, U, U, 9, 0}}, 1, 0, 0, 0},
      {"lower score wins", {{0, 4, 0, 0, 0}, {0, 1, 0, 0, 0}}, 2, 0, 0, 1},
      {"lower score wins, other order", {{0, 1, 0, 0, 0}, {0, 4, 0, 0, 0}}, 2, 0, 1, 0},
      {"queue weighs more than running", {{3, 1, 0, 0, 0}, {0, 5, 0, 0, 0}}, 2, 0, 0, 1},
      {"fresh in-flight beats stale gauges", {{0, 0, 0, 6, 0}, {0, 2, 0, 0, 0}}, 2, 0, 0, 1},
      {"tie: preferred cluster", {{U, U, U, 0, 1}, {U, U, U, 0, 0}}, 2, 0, 0, 1},
      {"tie: preferred cluster, any ticket", {{U, U, U, 0, 1}, {U, U, U, 0, 0}}, 2, 7, 3, 1},
      {"tie, same cluster: ticket rotates (0)", {{U, U, U, 0, 0}, {U, U, U, 0, 0}}, 2, 0, 0, 0},
      {"tie, same cluster: ticket rotates (1)", {{U, U, U, 0, 0}, {U, U, U, 0, 0}}, 2, 1, 0, 1},
      /* n = 3: rnd picks the pair. i = rnd % 3, j from the high half among the others. */
      {"three: pair (0,1) picks 1", {{0, 5, 0, 0, 0}, {0, 1, 0, 0, 0}, {0, 0, 0, 0, 0}}, 3, 0, 0, 1},
      {"three: pair (2,0) picks 2", {{0, 5, 0, 0, 0}, {0, 1, 0, 0, 0}, {0, 0, 0, 0, 0}}, 3, 0, 2, 2},
      {"three: pair (1,2) picks 2", {{0, 5, 0, 0, 0}, {0, 1, 0, 0, 0}, {0, 0, 0, 0, 0}}, 3, 0, 1ull << 32, 2},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    cr_assert_eq(pick(&gw_policy_least_load, cases[i].c, cases[i].n, cases[i].ticket, cases[i].rnd),
                 cases[i].want, "%s", cases[i].name);
}

Test(gateway_policy, round_robin_table) {
  gw_cand c[3] = {{0, 100, 1, 50, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 5}};
  for (uint64_t t = 0; t < 9; t++) cr_assert_eq(pick(&gw_policy_round_robin, c, 3, t, 12345), t % 3);
  cr_assert_eq(pick(&gw_policy_round_robin, c, 1, 5, 0), 0);
}

Test(gateway_policy, least_inflight_table) {
  static const struct {
    const char *name;
    gw_cand c[3];
    size_t n;
    uint64_t ticket;
    size_t want;
  } cases[] = {
      {"fewest", {{0, 0, 0, 3, 0}, {0, 0, 0, 1, 0}, {0, 0, 0, 2, 0}}, 3, 0, 1},
      {"ignores scraped load", {{9, 9, 1, 1, 0}, {0, 0, 0, 2, 0}}, 2, 0, 0},
      {"tie: preferred cluster", {{0, 0, 0, 1, 2}, {0, 0, 0, 1, 1}, {0, 0, 0, 1, 2}}, 3, 0, 1},
      {"tie: rotation from ticket 0", {{0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}}, 3, 0, 0},
      {"tie: rotation from ticket 2", {{0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}}, 3, 2, 2},
      {"tie: rotation from ticket 4", {{0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}}, 3, 4, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    cr_assert_eq(pick(&gw_policy_least_inflight, cases[i].c, cases[i].n, cases[i].ticket, 0), cases[i].want,
                 "%s", cases[i].name);
}

/* A burst arriving before any scrape (all gauges unknown, nothing returns):
 * each pick raises the chosen replica's in-flight count, as the worker does.
 * The burst must spread evenly, not pile on one replica. */
static void burst(const gw_policy *p, size_t n, int requests, int *counts) {
  gw_cand c[8];
  for (size_t i = 0; i < n; i++) c[i] = (gw_cand){U, U, U, 0, 0};
  uint64_t rnd = 0x12345678abcdefull;
  for (int k = 0; k < requests; k++) {
    rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
    size_t i = pick(p, c, n, (uint64_t)k, rnd);
    c[i].inflight++;
    counts[i]++;
  }
}

Test(gateway_policy, burst_spreads) {
  const gw_policy *ps[] = {&gw_policy_least_load, &gw_policy_round_robin, &gw_policy_least_inflight};
  for (size_t pi = 0; pi < 3; pi++) {
    for (size_t n = 2; n <= 5; n++) {
      int counts[8] = {0};
      burst(ps[pi], n, 60, counts);
      int lo = 1 << 30, hi = 0;
      for (size_t i = 0; i < n; i++) {
        lo = counts[i] < lo ? counts[i] : lo;
        hi = counts[i] > hi ? counts[i] : hi;
      }
      /* Power of two choices keeps the gap small (O(log log n)); the others exact. */
      cr_assert_leq(hi - lo, ps[pi] == &gw_policy_least_load ? 2 : 1, "%s n=%zu lo=%d hi=%d", ps[pi]->name, n,
                    lo, hi);
    }
  }
}

/* Heterogeneous replicas: a slow one keeps its requests longer. Least-load
 * sends it fewer; round-robin does not notice. */
Test(gateway_policy, slow_replica_gets_less) {
  const gw_policy *ps[] = {&gw_policy_least_load, &gw_policy_round_robin};
  int sent_to_slow[2] = {0};
  for (int pi = 0; pi < 2; pi++) {
    gw_cand c[2] = {{U, U, U, 0, 0}, {U, U, U, 0, 0}};
    uint64_t rnd = 99;
    for (int t = 0; t < 1000; t++) {
      /* Replica 0 finishes a request every step, replica 1 every 4th step. */
      if (c[0].inflight > 0) c[0].inflight--;
      if (t % 4 == 0 && c[1].inflight > 0) c[1].inflight--;
      rnd = rnd * 6364136223846793005ull + 1;
      size_t i = pick(ps[pi], c, 2, (uint64_t)t, rnd);
      c[i].inflight++;
      if (i == 1) sent_to_slow[pi]++;
    }
  }
  cr_assert_lt(sent_to_slow[0], 400, "least-load sent %d of 1000 to the slow replica", sent_to_slow[0]);
  cr_assert_eq(sent_to_slow[1], 500);
}
