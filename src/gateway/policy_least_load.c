/*
 * policy_least_load.c — the default policy: power of two choices over the
 * least-load score (policy.h), as in Mitzenmacher's "The Power of Two Choices
 * in Randomized Load Balancing": two distinct replicas drawn at random, the
 * lower score wins. Sampling keeps N workers (and stale scraped gauges) from
 * herding onto one "best" replica; the fresh in-flight count keeps the
 * choice honest between scrapes. Ties go to gw_tie_break (the preferred
 * cluster first). With two replicas both are always compared.
 */
#include "gateway/policy.h"

static size_t least_load_pick(void *state, const gw_route_ctx *ctx, const gw_cand *c, size_t n) {
  (void)state;
  if (n <= 1) return 0;
  size_t i = (size_t)(ctx->rnd % n);
  size_t j = (size_t)((ctx->rnd >> 32) % (n - 1));
  if (j >= i) j++;
  double si = gw_score(&c[i]), sj = gw_score(&c[j]);
  if (si < sj) return i;
  if (sj < si) return j;
  return gw_tie_break(c, n, i, j, ctx->ticket) ? i : j;
}

const gw_policy gw_policy_least_load = {
    .name = "least-load",
    .help = "power of two choices over queue, running and in-flight (default)",
    .pick = least_load_pick,
};
