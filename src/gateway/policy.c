/*
 * policy.c — the registry of routing policies and what they share: the
 * least-load score and the tie-break. Pure functions only.
 */
#include "gateway/policy.h"

#include <math.h>
#include <string.h>

static const gw_policy *const registry[] = {&gw_policy_least_load, &gw_policy_round_robin,
                                            &gw_policy_least_inflight};

const gw_policy *gw_policy_find(const char *name) {
  if (!name) return NULL;
  for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
    if (strcmp(registry[i]->name, name) == 0) return registry[i];
  return NULL;
}

static double nz(double x) { return isnan(x) || x < 0 ? 0 : x; }

double gw_score(const gw_cand *c) {
  double waiting = nz(c->waiting), running = nz(c->running);
  double kv = nz(c->kv) > 1 ? 1 : nz(c->kv);
  double inflight = c->inflight > 0 ? c->inflight : 0;
  /* The replica's own count includes our requests as of the last scrape; ours
   * is fresh but misses other clients. The larger of the two is the best
   * estimate of what a new request queues behind, without double counting. */
  double outstanding = inflight > running + waiting ? inflight : running + waiting;
  /* A request that arrives while others wait waits too: waiting counts twice. */
  return outstanding + waiting + kv;
}

int gw_tie_break(const gw_cand *c, size_t n, size_t i, size_t j, uint64_t ticket) {
  if (c[i].priority != c[j].priority) return c[i].priority < c[j].priority;
  if (c[i].inflight != c[j].inflight) return c[i].inflight < c[j].inflight;
  size_t start = (size_t)(ticket % n);
  size_t di = (i + n - start) % n, dj = (j + n - start) % n;
  return di <= dj;
}
