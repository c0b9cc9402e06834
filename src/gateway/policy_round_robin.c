/*
 * policy_round_robin.c — round-robin over the routable replicas, for
 * comparison: the per-model ticket (shared by all workers) picks the next
 * one, whatever its load. What an L4/L7 balancer without LLM knowledge does.
 */
#include "gateway/policy.h"

static size_t round_robin_pick(void *state, const gw_route_ctx *ctx, const gw_cand *c, size_t n) {
  (void)state;
  (void)c;
  return n <= 1 ? 0 : (size_t)(ctx->ticket % n);
}

const gw_policy gw_policy_round_robin = {
    .name = "round-robin",
    .help = "each replica in turn, ignoring load",
    .pick = round_robin_pick,
};
