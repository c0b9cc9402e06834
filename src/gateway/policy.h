/*
 * policy.h — the routing policy interface: given the routable replicas of one
 * model (with their load), pick one.
 *
 * Role in the data flow: the decision in the middle of the request path. A
 * policy is a pure function over plain data (no I/O, no clock, no globals):
 * the worker copies each candidate's load out of the shared endpoint state
 * and passes random bits and a per-model ticket in. A new policy (e.g.
 * prefix-affinity, which would hash ctx->body) is one new file with one
 * gw_policy value, added to the registry in policy.c.
 */
#ifndef GW_POLICY_H
#define GW_POLICY_H

#include <stddef.h>
#include <stdint.h>

typedef struct gw_cand {
  double waiting, running, kv; /* latest scraped gauges; NaN if unknown */
  int inflight;                /* this gateway's requests in flight to it, all workers */
  int priority;                /* its cluster's priority; lower = preferred */
} gw_cand;

typedef struct gw_route_ctx {
  const char *model;
  const char *body; /* the request body, borrowed (for content-aware policies) */
  size_t body_len;
  uint64_t ticket; /* per-model request counter shared by all workers */
  uint64_t rnd;    /* fresh random bits */
} gw_route_ctx;

typedef struct gw_policy {
  const char *name;
  const char *help;
  /* n >= 1; returns an index in [0, n). state is the policy's own (may be NULL). */
  size_t (*pick)(void *state, const gw_route_ctx *ctx, const gw_cand *c, size_t n);
  void *(*state_new)(void); /* optional; called once per gateway */
  void (*state_free)(void *state);
} gw_policy;

/* NULL when unknown. */
const gw_policy *gw_policy_find(const char *name);

/* The least-load score (lower is better), documented in docs/gateway.md:
 *   outstanding = max(inflight, running + waiting)
 *   score       = outstanding + waiting + kv
 * Unknown (NaN) or negative gauges count as 0; kv is clamped to [0, 1]. */
double gw_score(const gw_cand *c);

/* The three built-in policies (policy_*.c). */
extern const gw_policy gw_policy_least_load;
extern const gw_policy gw_policy_round_robin;
extern const gw_policy gw_policy_least_inflight;

/* Tie-break shared by policies: true when candidate i should win over j at
 * equal score: the higher-priority cluster, then fewer in flight, then the
 * one nearer the ticket's rotating position (so a burst of ties spreads). */
int gw_tie_break(const gw_cand *c, size_t n, size_t i, size_t j, uint64_t ticket);

#endif
