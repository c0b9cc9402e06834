/*
 * policy_least_inflight.c — the replica with the fewest of this gateway's
 * requests in flight (nginx's least_conn, Envoy's LEAST_REQUEST with all
 * candidates), for comparison: fresh, but blind to load from other clients
 * and to how fast each replica drains its queue.
 */
#include "gateway/policy.h"

static size_t least_inflight_pick(void *state, const gw_route_ctx *ctx, const gw_cand *c, size_t n) {
  (void)state;
  size_t best = 0;
  for (size_t i = 1; i < n; i++) {
    if (c[i].inflight < c[best].inflight)
      best = i;
    else if (c[i].inflight == c[best].inflight && gw_tie_break(c, n, i, best, ctx->ticket))
      best = i;
  }
  return best;
}

const gw_policy gw_policy_least_inflight = {
    .name = "least-inflight",
    .help = "fewest requests in flight from this gateway (nginx least_conn)",
    .pick = least_inflight_pick,
};
