/*
 * bench_placement.c — times schedule_place() for 10,000 Deployments over 1,000
 * simulated member clusters, beside a naive implementation of the same rules
 * (linear name matching, one-seat-at-a-time Webster by scanning every
 * cluster) run on the same inputs. Every baseline result is checked equal to
 * schedule_place()'s, so the comparison is between two correct programs.
 *
 * Inputs are generated from a fixed seed: clusters carry region/tier/gpu
 * labels and random capacities (5% not ready); policies are a mix of
 * 3-tier label-selected affinities with dynamic weights, 2-tier clusterNames
 * lists (50 names each) with static weights, and a single label-selected
 * tier; replicas 1..100; half the Deployments have a previous placement
 * (computed first, with a different replica count) so scale-up and scale-in
 * paths are both measured.
 *
 * Prints p50/p99/max/mean per placement for both (thread CPU time, so other
 * processes on a shared machine do not distort it; wall clock beside it),
 * their ratio, and peak RSS.
 * Run through bench/schedule/run.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "base/sw.h"
#include "schedule/placement.h"

#define N_CLUSTERS 1000
#define N_DEPLOYMENTS 10000

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static int below(int n) { return (int)(next() % (uint64_t)n); }

/* CPU time of this thread: what a placement costs, unaffected by the other
 * processes sharing the machine (wall time is reported too, for contrast). */
static double cpu_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static long rss_kib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* ---- inputs -------------------------------------------------------------- */

static const char *regions[] = {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9"};
static const char *tiers[] = {"onprem", "reserved", "cloud"};
static const char *gpus[] = {"a10", "l4", "h100"};

typedef struct deployment {
  schedule_policy pol;
  int32_t replicas, prev_replicas;
  schedule_count *prev;
  size_t n_prev;
} deployment;

static schedule_cluster clusters[N_CLUSTERS];
static char names[N_CLUSTERS][16];

static schedule_requirement *req_in(const char *key, const char *value) {
  schedule_requirement *r = sw_xcalloc(1, sizeof *r);
  const char **v = sw_xcalloc(1, sizeof *v);
  v[0] = value;
  *r = (schedule_requirement){key, SCHEDULE_OP_IN, v, 1};
  return r;
}

static const char **random_names(int n) {
  const char **v = sw_xcalloc((size_t)n, sizeof *v);
  for (int i = 0; i < n; i++) v[i] = names[below(N_CLUSTERS)];
  return v;
}

static void make_clusters(void) {
  for (int i = 0; i < N_CLUSTERS; i++) {
    snprintf(names[i], sizeof names[i], "member-%04d", i);
    schedule_label *l = sw_xcalloc(3, sizeof *l);
    l[0] = (schedule_label){"region", regions[i % 10]};
    l[1] = (schedule_label){"tier", tiers[below(3)]};
    l[2] = (schedule_label){"gpu", gpus[below(3)]};
    bool cloud = strcmp(l[1].value, "cloud") == 0;
    clusters[i] =
        (schedule_cluster){names[i], l, 3, NULL, 0, below(20) != 0, below(9), cloud ? below(5) : 0, -1};
  }
}

static void make_policy(schedule_policy *p) {
  memset(p, 0, sizeof *p);
  int kind = below(10);
  if (kind < 4) { /* 3 tiers by label, within a region set, dynamic weight */
    schedule_tier *t = sw_xcalloc(3, sizeof *t);
    static const char *tier_names[] = {"onprem", "reserved", "cloud"};
    const char *region = regions[below(10)];
    for (int i = 0; i < 3; i++) {
      schedule_requirement *r = sw_xcalloc(2, sizeof *r);
      r[0] = *req_in("tier", tiers[i]);
      const char **nv = sw_xcalloc(1, sizeof *nv);
      nv[0] = region;
      r[1] = (schedule_requirement){"region", SCHEDULE_OP_NOT_IN, nv, 1};
      t[i] = (schedule_tier){tier_names[i], {NULL, 0, NULL, 0, r, 2, NULL, 0}};
    }
    *p = (schedule_policy){t, 3, SCHEDULE_WEIGHTED, true, NULL, 0, false};
  } else if (kind < 7) { /* 2 tiers of 50 names, static weights */
    schedule_tier *t = sw_xcalloc(2, sizeof *t);
    t[0] = (schedule_tier){"primary", {random_names(50), 50, NULL, 0, NULL, 0, NULL, 0}};
    t[1] = (schedule_tier){"backup", {random_names(50), 50, NULL, 0, NULL, 0, NULL, 0}};
    schedule_weight_rule *w = sw_xcalloc(20, sizeof *w);
    for (int i = 0; i < 20; i++)
      w[i] = (schedule_weight_rule){{random_names(3), 3, NULL, 0, NULL, 0, NULL, 0}, 1 + below(5)};
    *p = (schedule_policy){t, 2, SCHEDULE_WEIGHTED, false, w, 20, false};
  } else { /* one tier by region, static weights by GPU label */
    schedule_tier *t = sw_xcalloc(1, sizeof *t);
    t[0] = (schedule_tier){NULL, {NULL, 0, NULL, 0, req_in("region", regions[below(10)]), 1, NULL, 0}};
    schedule_weight_rule *w = sw_xcalloc(2, sizeof *w);
    w[0] = (schedule_weight_rule){{NULL, 0, NULL, 0, req_in("gpu", "h100"), 1, NULL, 0}, 3};
    w[1] = (schedule_weight_rule){{NULL, 0, NULL, 0, req_in("gpu", "a10"), 1, NULL, 0}, 1};
    *p = (schedule_policy){t, 1, SCHEDULE_WEIGHTED, false, w, 2, false};
  }
}

/* ---- the naive baseline -------------------------------------------------- */

static bool naive_selects(const schedule_selector *s, const schedule_cluster *c) {
  if (s->n_names) {
    bool found = false;
    for (size_t k = 0; k < s->n_names; k++)
      if (strcmp(s->names[k], c->name) == 0) found = true;
    if (!found) return false;
  }
  for (size_t k = 0; k < s->n_exclude; k++)
    if (strcmp(s->exclude[k], c->name) == 0) return false;
  return schedule_requirements_match(s->reqs, s->n_reqs, c->labels, c->n_labels);
}

/* The same rules as schedule_place() for Weighted policies, written the obvious
 * way. Fills out[N_CLUSTERS]. */
static void naive_place(const deployment *d, int64_t *out) {
  static int tier_of[N_CLUSTERS];
  static int64_t cap[N_CLUSTERS], r[N_CLUSTERS];
  static uint64_t w[N_CLUSTERS];
  const schedule_policy *p = &d->pol;
  int nt = (int)p->n_tiers;
  for (int i = 0; i < N_CLUSTERS; i++) {
    tier_of[i] = -1;
    for (int t = 0; t < nt && tier_of[i] < 0; t++)
      if (naive_selects(&p->tiers[t].sel, &clusters[i])) tier_of[i] = t;
    cap[i] = tier_of[i] >= 0 && clusters[i].ready ? clusters[i].available + clusters[i].provisionable : 0;
    w[i] = p->dynamic_weight ? (uint64_t)cap[i] : p->n_weights ? 0 : 1;
    if (!p->dynamic_weight)
      for (size_t k = 0; k < p->n_weights; k++)
        if (naive_selects(&p->weights[k].target, &clusters[i])) {
          w[i] = (uint64_t)p->weights[k].weight;
          break;
        }
    int64_t prev = 0;
    for (size_t k = 0; k < d->n_prev; k++)
      if (strcmp(d->prev[k].cluster, clusters[i].name) == 0) prev += d->prev[k].replicas;
    r[i] = tier_of[i] >= 0 && clusters[i].ready ? (prev < cap[i] ? prev : cap[i]) : 0;
    out[i] = tier_of[i] >= 0 && !clusters[i].ready ? (prev < d->replicas ? prev : d->replicas) : 0;
  }
  for (int t = 0; t < nt; t++) { /* a tier whose weights are all 0 divides equally */
    uint64_t sum = 0;
    for (int i = 0; i < N_CLUSTERS; i++)
      if (tier_of[i] == t && clusters[i].ready) sum += w[i];
    if (!sum)
      for (int i = 0; i < N_CLUSTERS; i++)
        if (tier_of[i] == t) w[i] = 1;
  }
  int64_t K = 0;
  for (int i = 0; i < N_CLUSTERS; i++) K += r[i];
  for (int t = nt - 1; t >= 0 && K > d->replicas; t--) /* scale-in, lowest tier first */
    while (K > d->replicas) {
      int best = -1;
      for (int i = 0; i < N_CLUSTERS; i++) {
        if (tier_of[i] != t || !clusters[i].ready || r[i] == 0) continue;
        if (best < 0) {
          best = i;
          continue;
        }
        unsigned __int128 l = (unsigned __int128)w[i] * (uint64_t)(2 * r[best] - 1);
        unsigned __int128 rr = (unsigned __int128)w[best] * (uint64_t)(2 * r[i] - 1);
        if (l < rr || (l == rr && (w[i] < w[best] || (w[i] == w[best] && strcmp(names[i], names[best]) > 0))))
          best = i;
      }
      if (best < 0) break;
      r[best]--, K--;
    }
  for (int t = 0; t < nt && K < d->replicas; t++) /* scale-up, first tier first */
    while (K < d->replicas) {
      int best = -1;
      for (int i = 0; i < N_CLUSTERS; i++) {
        if (tier_of[i] != t || !clusters[i].ready || w[i] == 0 || r[i] >= cap[i]) continue;
        if (best < 0) {
          best = i;
          continue;
        }
        unsigned __int128 l = (unsigned __int128)w[i] * (uint64_t)(2 * r[best] + 1);
        unsigned __int128 rr = (unsigned __int128)w[best] * (uint64_t)(2 * r[i] + 1);
        if (l > rr || (l == rr && (w[i] > w[best] || (w[i] == w[best] && strcmp(names[i], names[best]) < 0))))
          best = i;
      }
      if (best < 0) break;
      r[best]++, K++;
    }
  for (int i = 0; i < N_CLUSTERS; i++) out[i] += r[i];
}

/* ---- main ---------------------------------------------------------------- */

static void report(const char *name, double *t, size_t n) {
  qsort(t, n, sizeof *t, cmp_double);
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += t[i];
  printf("  %-32s %10.1f %10.1f %10.1f %10.1f\n", name, t[n / 2], t[n * 99 / 100], t[n - 1], sum / (double)n);
}

int main(void) {
  long rss0 = rss_kib();
  make_clusters();
  deployment *deps = sw_xcalloc(N_DEPLOYMENTS, sizeof *deps);
  sw_arena *a = sw_arena_new(256 * 1024);
  sw_err err;
  for (int i = 0; i < N_DEPLOYMENTS; i++) {
    deployment *d = &deps[i];
    make_policy(&d->pol);
    d->replicas = 1 + below(100);
    if (below(2)) { /* a previous placement from another replica count */
      schedule_result res;
      int32_t before = 1 + below(100);
      if (schedule_place(&d->pol, before, clusters, N_CLUSTERS, NULL, 0, a, &res, &err)) return 1;
      for (int c = 0; c < N_CLUSTERS; c++) d->n_prev += res.replicas[c] > 0;
      d->prev = sw_xcalloc(d->n_prev + 1, sizeof *d->prev);
      size_t k = 0;
      for (int c = 0; c < N_CLUSTERS; c++)
        if (res.replicas[c] > 0) d->prev[k++] = (schedule_count){names[c], res.replicas[c]};
      sw_arena_reset(a);
    }
  }
  long rss_inputs = rss_kib();

  /* Each placement is timed, then the baseline on the same input, and the
   * two results compared; nothing is kept, so RSS shows what placing costs. */
  double *ours = sw_xcalloc(N_DEPLOYMENTS, sizeof *ours), *base = sw_xcalloc(N_DEPLOYMENTS, sizeof *base);
  double *ours_wall = sw_xcalloc(N_DEPLOYMENTS, sizeof *ours_wall);
  double *base_wall = sw_xcalloc(N_DEPLOYMENTS, sizeof *base_wall);
  static int64_t out[N_CLUSTERS];
  int64_t placed = 0, unscheduled = 0;
  int mismatches = 0;
  for (int i = 0; i < N_DEPLOYMENTS; i++) {
    schedule_result res;
    double w0 = wall_us(), t0 = cpu_us();
    int rc = schedule_place(&deps[i].pol, deps[i].replicas, clusters, N_CLUSTERS, deps[i].prev,
                            deps[i].n_prev, a, &res, &err);
    ours[i] = cpu_us() - t0;
    ours_wall[i] = wall_us() - w0;
    if (rc) {
      fprintf(stderr, "placement %d: %s\n", i, err.msg);
      return 1;
    }
    placed += res.placed;
    unscheduled += res.unscheduled;
    w0 = wall_us(), t0 = cpu_us();
    naive_place(&deps[i], out);
    base[i] = cpu_us() - t0;
    base_wall[i] = wall_us() - w0;
    for (int c = 0; c < N_CLUSTERS; c++)
      if (out[c] != res.replicas[c]) {
        mismatches++;
        break;
      }
    sw_arena_reset(a);
  }
  long rss_ours = rss_kib();
  printf("schedule bench: %d placements over %d clusters (%lld replicas placed, %lld unscheduled)\n",
         N_DEPLOYMENTS, N_CLUSTERS, (long long)placed, (long long)unscheduled);
  double load[3] = {0};
  if (getloadavg(load, 3) < 0) load[0] = -1;
  printf("per placement, thread CPU time (us)     p50        p99        max       mean\n");
  report("spillway schedule_place", ours, N_DEPLOYMENTS);
  double o50 = ours[N_DEPLOYMENTS / 2], o99 = ours[N_DEPLOYMENTS * 99 / 100];
  report("naive baseline", base, N_DEPLOYMENTS);
  double b50 = base[N_DEPLOYMENTS / 2], b99 = base[N_DEPLOYMENTS * 99 / 100];
  printf("ratio baseline/spillway: p50 %.1fx, p99 %.1fx\n", b50 / o50, b99 / o99);
  printf("wall clock (includes preemption; load average %.2f):\n", load[0]);
  report("spillway schedule_place", ours_wall, N_DEPLOYMENTS);
  report("naive baseline", base_wall, N_DEPLOYMENTS);
  printf("results identical to the baseline: %s (%d mismatches)\n", mismatches ? "NO" : "yes", mismatches);
  printf("peak RSS: %.1f MiB total; inputs (policies, clusters, previous placements) %.1f MiB; "
         "placing added %.1f MiB (one arena, reset per placement)\n",
         rss_ours / 1024.0, (rss_inputs - rss0) / 1024.0, (rss_ours - rss_inputs) / 1024.0);
  printf("target p99 < 1000 us (CPU time): %s\n", o99 < 1000 ? "met" : "MISSED");
  sw_arena_free(a);
  return mismatches ? 1 : 0;
}
