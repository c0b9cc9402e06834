/*
 * placement.c — schedule_place(): affinity tiers, spill and scale-in order,
 * not-ready clusters, fail-back, and the reason string (see placement.h).
 *
 * Pure: no I/O, no clock, no globals. All scratch memory is taken from the
 * caller's arena, so a placement costs a handful of allocations and nothing
 * to free. Cluster names are looked up through a sorted index, so clusterNames
 * lists and previous placements cost O(log n) per name, not O(n).
 */
#include "schedule/placement.h"

#include <stdlib.h>
#include <string.h>

#include "schedule/division.h"

/* ---- selectors ----------------------------------------------------------- */

static const char *label_value(const schedule_label *labels, size_t n, const char *key) {
  for (size_t i = 0; i < n; i++)
    if (labels[i].key && strcmp(labels[i].key, key) == 0) return labels[i].value ? labels[i].value : "";
  return NULL;
}

static bool in_list(const char *const *list, size_t n, const char *s) {
  for (size_t i = 0; i < n; i++)
    if (list[i] && strcmp(list[i], s) == 0) return true;
  return false;
}

/* As Kubernetes' labels.Selector: NotIn and DoesNotExist match a missing key. */
bool schedule_requirements_match(const schedule_requirement *reqs, size_t n_reqs,
                                 const schedule_label *labels, size_t n_labels) {
  for (size_t i = 0; i < n_reqs; i++) {
    const char *v = label_value(labels, n_labels, reqs[i].key);
    switch (reqs[i].op) {
    case SCHEDULE_OP_IN:
      if (!v || !in_list(reqs[i].values, reqs[i].n_values, v)) return false;
      break;
    case SCHEDULE_OP_NOT_IN:
      if (v && in_list(reqs[i].values, reqs[i].n_values, v)) return false;
      break;
    case SCHEDULE_OP_EXISTS:
      if (!v) return false;
      break;
    case SCHEDULE_OP_DOES_NOT_EXIST:
      if (v) return false;
      break;
    }
  }
  return true;
}

/* Everything but clusterNames: exclude, the label and the field selector. */
static bool matches_rest(const schedule_selector *sel, const schedule_cluster *c) {
  if (in_list(sel->exclude, sel->n_exclude, c->name)) return false;
  return schedule_requirements_match(sel->reqs, sel->n_reqs, c->labels, c->n_labels) &&
         schedule_requirements_match(sel->fields, sel->n_fields, c->fields, c->n_fields);
}

/* As Karmada's util.ClusterMatches: clusterNames, exclude, labelSelector and
 * fieldSelector all hold. */
bool schedule_selector_matches(const schedule_selector *sel, const schedule_cluster *c) {
  if (!c->name) return false;
  if (sel->n_names && !in_list(sel->names, sel->n_names, c->name)) return false;
  return matches_rest(sel, c);
}

/* ---- the name index ------------------------------------------------------ */

typedef struct ctx {
  const schedule_policy *pol;
  const schedule_cluster *cl;
  size_t n;
  sw_arena *a;
  size_t *by_name; /* cluster indices sorted by name */
  int *tier_of;
  int64_t *prev, *cap, *r;
  uint64_t *weight;
  size_t **members; /* per tier: indices of counted (ready) clusters */
  size_t *n_members;
} ctx;

typedef struct named {
  const char *name;
  size_t i;
} named;

static int named_cmp(const void *a, const void *b) {
  return strcmp(((const named *)a)->name, ((const named *)b)->name);
}

/* Sorts indices by name; input already in name order (the store lists objects
 * sorted) costs one linear pass. */
static int name_sort(ctx *c, sw_err *err) {
  c->by_name = sw_arena_alloc(c->a, (c->n ? c->n : 1) * sizeof(size_t));
  bool in_order = true;
  for (size_t i = 0; i < c->n; i++) {
    if (!c->cl[i].name) return sw_err_set(err, SW_EINVAL, "clusters[%zu].name: expected a cluster name", i);
    c->by_name[i] = i;
    if (i && strcmp(c->cl[i - 1].name, c->cl[i].name) >= 0) in_order = false;
  }
  if (!in_order) {
    named *tmp = sw_arena_alloc(c->a, c->n * sizeof *tmp);
    for (size_t i = 0; i < c->n; i++) tmp[i] = (named){c->cl[i].name, i};
    qsort(tmp, c->n, sizeof *tmp, named_cmp);
    for (size_t i = 0; i < c->n; i++) c->by_name[i] = tmp[i].i;
  }
  for (size_t i = 1; i < c->n; i++)
    if (strcmp(c->cl[c->by_name[i - 1]].name, c->cl[c->by_name[i]].name) == 0)
      return sw_err_set(err, SW_EINVAL, "clusters[%zu].name: duplicate cluster \"%s\"",
                        c->by_name[i] > c->by_name[i - 1] ? c->by_name[i] : c->by_name[i - 1],
                        c->cl[c->by_name[i]].name);
  return 0;
}

static long lookup(const ctx *c, const char *name) {
  if (!name) return -1;
  size_t lo = 0, hi = c->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int d = strcmp(c->cl[c->by_name[mid]].name, name);
    if (d == 0) return (long)c->by_name[mid];
    if (d < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

/* Calls fn for every cluster the selector selects and `pending` allows. */
static void select_each(const ctx *c, const schedule_selector *sel, const bool *pending,
                        void (*fn)(ctx *, size_t, void *), void *ud) {
  if (sel->n_names) {
    for (size_t k = 0; k < sel->n_names; k++) {
      long i = lookup(c, sel->names[k]);
      if (i < 0 || (pending && !pending[i])) continue;
      if (matches_rest(sel, &c->cl[i])) fn((ctx *)c, (size_t)i, ud);
    }
  } else {
    for (size_t i = 0; i < c->n; i++) {
      if (pending && !pending[i]) continue;
      if (matches_rest(sel, &c->cl[i])) fn((ctx *)c, i, ud);
    }
  }
}

typedef struct {
  int tier;
  bool *pending;
} tier_ud;
static void set_tier(ctx *c, size_t i, void *ud) {
  tier_ud *t = ud;
  if (!t->pending[i]) return; /* a name listed twice */
  c->tier_of[i] = t->tier;
  t->pending[i] = false;
}

typedef struct {
  uint64_t w;
  bool *pending;
} weight_ud;
static void set_weight(ctx *c, size_t i, void *ud) {
  weight_ud *w = ud;
  if (!w->pending[i]) return;
  c->weight[i] = w->w;
  w->pending[i] = false;
}

static int64_t clamp32(int64_t v) {
  return v < 0 ? 0 : v > SCHEDULE_MAX_REPLICAS ? SCHEDULE_MAX_REPLICAS : v;
}

/* ---- tier operations ----------------------------------------------------- */

static schedule_div *tier_divs(ctx *c, int t) {
  size_t m = c->n_members[t];
  schedule_div *d = sw_arena_alloc(c->a, (m ? m : 1) * sizeof *d);
  for (size_t k = 0; k < m; k++) {
    size_t i = c->members[t][k];
    d[k] = (schedule_div){c->cl[i].name, c->weight[i], c->r[i], c->cap[i]};
  }
  return d;
}

static void tier_store(ctx *c, int t, const schedule_div *d) {
  for (size_t k = 0; k < c->n_members[t]; k++) c->r[c->members[t][k]] = d[k].seats;
}

static int64_t tier_add(ctx *c, int t, int64_t add) {
  if (add <= 0 || !c->n_members[t]) return 0;
  schedule_div *d = tier_divs(c, t);
  int64_t done = c->pol->mode == SCHEDULE_AGGREGATED ? schedule_aggregate_add(d, c->n_members[t], add, c->a)
                                                     : schedule_webster_add(d, c->n_members[t], add, c->a);
  tier_store(c, t, d);
  return done;
}

static int64_t tier_remove(ctx *c, int t, int64_t rm) {
  if (rm <= 0 || !c->n_members[t]) return 0;
  schedule_div *d = tier_divs(c, t);
  int64_t done = c->pol->mode == SCHEDULE_AGGREGATED ? schedule_aggregate_remove(d, c->n_members[t], rm, c->a)
                                                     : schedule_webster_remove(d, c->n_members[t], rm, c->a);
  tier_store(c, t, d);
  return done;
}

static int64_t tier_sum(const ctx *c, int t, const int64_t *v) {
  int64_t s = 0;
  for (size_t k = 0; k < c->n_members[t]; k++) s += v[c->members[t][k]];
  return s;
}

/* Room a tier still has for this policy's division (weight-0 clusters of a
 * static weight list never receive replicas). */
static int64_t tier_room(const ctx *c, int t) {
  int64_t s = 0;
  for (size_t k = 0; k < c->n_members[t]; k++) {
    size_t i = c->members[t][k];
    if (c->pol->mode == SCHEDULE_WEIGHTED && c->weight[i] == 0) continue;
    if (c->cap[i] > c->r[i]) s += c->cap[i] - c->r[i];
  }
  return s;
}

/* ---- the reason ---------------------------------------------------------- */

static void tier_label(sw_buf *b, const ctx *c, int t) {
  const char *name = c->pol->tiers[t].name;
  if (name)
    sw_buf_printf(b, "tier %s", name);
  else if (c->pol->n_tiers == 1)
    sw_buf_puts(b, "the selected clusters");
  else
    sw_buf_printf(b, "tier %d", t + 1);
}

static const char *plural(int64_t n) { return n == 1 ? "" : "s"; }

/* "tier a holds 1 of 1, tier b holds 2 of 5" for tiers 0..upto. */
static void tier_usage(sw_buf *b, const ctx *c, int upto) {
  bool first = true;
  for (int t = 0; t <= upto && t < (int)c->pol->n_tiers; t++) {
    if (!c->n_members[t]) continue;
    if (!first) sw_buf_puts(b, ", ");
    first = false;
    tier_label(b, c, t);
    sw_buf_printf(b, " holds %lld of %lld", (long long)tier_sum(c, t, c->r),
                  (long long)tier_sum(c, t, c->cap));
  }
  if (first) sw_buf_puts(b, "no selected cluster is ready");
}

/* Appends "<what>a (n), b (m) and k more" for the clusters where v > 0. */
static void note_clusters(sw_buf *b, const ctx *c, const int64_t *v, const char *what) {
  size_t shown = 0, more = 0;
  for (size_t i = 0; i < c->n; i++) {
    if (v[i] <= 0) continue;
    if (shown == 3) {
      more++;
      continue;
    }
    sw_buf_puts(b, shown ? ", " : what);
    sw_buf_printf(b, "%s (%lld)", c->cl[i].name, (long long)v[i]);
    shown++;
  }
  if (more) sw_buf_printf(b, " and %zu more", more);
}

/* ---- Duplicated ---------------------------------------------------------- */

static void place_duplicated(ctx *c, int32_t wanted, schedule_result *out, sw_buf *why) {
  for (size_t i = 0; i < c->n; i++) c->r[i] = 0;
  int chosen = -1;
  for (int t = 0; t < (int)c->pol->n_tiers && chosen < 0; t++)
    if (c->n_members[t]) chosen = t;
  if (wanted == 0) {
    sw_buf_puts(why, "no replicas wanted");
    return;
  }
  if (chosen < 0) {
    out->unscheduled = wanted;
    sw_buf_printf(why, "%d replica%s fit in no cluster: no selected cluster is ready", wanted,
                  plural(wanted));
    return;
  }
  int64_t *short_of = sw_arena_alloc(c->a, (c->n ? c->n : 1) * sizeof(int64_t));
  for (size_t k = 0; k < c->n_members[chosen]; k++) {
    size_t i = c->members[chosen][k];
    c->r[i] = wanted;
    if (c->cap[i] < wanted) short_of[i] = wanted - c->cap[i];
  }
  out->placed = wanted;
  out->tier_index = chosen;
  sw_buf_printf(why, "Duplicated: %d replica%s in each of %zu ready cluster%s of ", wanted, plural(wanted),
                c->n_members[chosen], plural((int64_t)c->n_members[chosen]));
  tier_label(why, c, chosen);
  note_clusters(why, c, short_of, "; short of room (replicas that will wait): ");
}

/* ---- Divided ------------------------------------------------------------- */

static void place_divided(ctx *c, int32_t wanted, schedule_result *out, sw_buf *why) {
  int nt = (int)c->pol->n_tiers;
  int64_t K = 0;
  for (size_t i = 0; i < c->n; i++) K += c->r[i];
  int64_t surplus = 0, unscheduled = 0;

  if (K > wanted) {
    int64_t excess = K - wanted;
    if (c->pol->fail_back) {
      /* Make-before-break: while replicas above the lowest tier in use are not
       * ready, keep as many lower-tier replicas as there are such replicas. */
      int lowest = -1;
      for (int t = nt - 1; t >= 0 && lowest < 0; t--)
        if (tier_sum(c, t, c->r) > 0) lowest = t;
      int64_t not_ready = 0;
      for (int t = 0; t < lowest; t++)
        for (size_t k = 0; k < c->n_members[t]; k++) {
          size_t i = c->members[t][k];
          int64_t ready = c->cl[i].ready_replicas < 0 ? c->prev[i] : c->cl[i].ready_replicas;
          if (c->r[i] > ready) not_ready += c->r[i] - ready;
        }
      surplus = excess < not_ready ? excess : not_ready;
    }
    int64_t rm = excess - surplus;
    for (int t = nt - 1; t >= 0 && rm > 0; t--) rm -= tier_remove(c, t, rm);
  } else if (K < wanted) {
    int64_t add = wanted - K;
    for (int t = 0; t < nt && add > 0; t++) add -= tier_add(c, t, add);
    unscheduled = add;
  }

  if (c->pol->fail_back) {
    /* Start replicas in a higher tier that has room for ones held below it;
     * the lower ones become surplus and go once these are ready (above). */
    for (int t = 0; t < nt; t++) {
      int64_t lower = 0;
      for (int u = t + 1; u < nt; u++) lower += tier_sum(c, u, c->r);
      int64_t movable = lower - surplus;
      if (movable <= 0) break;
      int64_t room = tier_room(c, t);
      int64_t m = room < movable ? room : movable;
      if (m > 0) surplus += tier_add(c, t, m);
    }
  }

  int64_t total = 0;
  for (size_t i = 0; i < c->n; i++) total += c->r[i];
  out->placed = (int32_t)(total - surplus);
  out->unscheduled = (int32_t)unscheduled;
  out->surplus = (int32_t)surplus;
  for (int t = nt - 1; t >= 0 && out->tier_index < 0; t--)
    if (tier_sum(c, t, c->r) > 0) out->tier_index = t;

  if (wanted == 0) {
    sw_buf_puts(why, "no replicas wanted");
  } else if (unscheduled > 0) {
    sw_buf_printf(why, "%lld of %d replica%s fit in no cluster: ", (long long)unscheduled, wanted,
                  plural(wanted));
    tier_usage(why, c, nt - 1);
  } else if (out->tier_index <= 0) {
    if (wanted == 1)
      sw_buf_puts(why, "1 replica placed");
    else
      sw_buf_printf(why, "all %d replicas placed", wanted);
    if (c->pol->tiers[0].name) sw_buf_printf(why, " in tier %s", c->pol->tiers[0].name);
  } else {
    sw_buf_puts(why, "spilled to ");
    tier_label(why, c, out->tier_index);
    sw_buf_puts(why, ": ");
    tier_usage(why, c, out->tier_index);
  }
  if (surplus > 0)
    sw_buf_printf(why,
                  "; fail-back: %lld lower-tier replica%s kept until the replicas started above are ready",
                  (long long)surplus, plural(surplus));
}

/* ---- entry point --------------------------------------------------------- */

int schedule_place(const schedule_policy *pol, int32_t wanted, const schedule_cluster *clusters, size_t n,
                   const schedule_count *prev, size_t n_prev, sw_arena *a, schedule_result *out,
                   sw_err *err) {
  memset(out, 0, sizeof *out);
  out->tier_index = -1;
  if (!pol || pol->n_tiers == 0 || !pol->tiers)
    return sw_err_set(err, SW_EINVAL, "placement: expected at least one cluster tier");
  if (wanted < 0) return sw_err_set(err, SW_EINVAL, "replicas: expected an integer >= 0, got %d", wanted);
  ctx c = {.pol = pol, .cl = clusters, .n = n, .a = a};
  int rc = name_sort(&c, err);
  if (rc) return rc;
  size_t nn = n ? n : 1;
  int nt = (int)pol->n_tiers;
  c.tier_of = sw_arena_alloc(a, nn * sizeof(int));
  c.prev = sw_arena_alloc(a, nn * sizeof(int64_t));
  c.cap = sw_arena_alloc(a, nn * sizeof(int64_t));
  c.r = sw_arena_alloc(a, nn * sizeof(int64_t));
  c.weight = sw_arena_alloc(a, nn * sizeof(uint64_t));
  c.members = sw_arena_alloc(a, (size_t)nt * sizeof(size_t *));
  c.n_members = sw_arena_alloc(a, (size_t)nt * sizeof(size_t));
  int64_t *retained = sw_arena_alloc(a, nn * sizeof(int64_t));
  int64_t *shrunk = sw_arena_alloc(a, nn * sizeof(int64_t));
  int64_t *unselected = sw_arena_alloc(a, nn * sizeof(int64_t));
  bool *pending = sw_arena_alloc(a, nn * sizeof(bool));

  /* Previous placement; names that are no longer clusters are re-placed. */
  int64_t dropped = 0;
  for (size_t k = 0; k < n_prev; k++) {
    if (prev[k].replicas <= 0) continue;
    long i = lookup(&c, prev[k].cluster);
    if (i < 0)
      dropped += prev[k].replicas;
    else
      c.prev[i] = clamp32(c.prev[i] + prev[k].replicas);
  }

  /* Tiers: a cluster belongs to the first tier that selects it. */
  for (size_t i = 0; i < n; i++) {
    c.tier_of[i] = -1;
    pending[i] = true;
  }
  for (int t = 0; t < nt; t++) {
    tier_ud ud = {t, pending};
    select_each(&c, &pol->tiers[t].sel, pending, set_tier, &ud);
  }

  /* Weights (Weighted only): the first static rule that selects a cluster, or
   * the cluster's capacity for dynamicWeight: AvailableReplicas. */
  for (size_t i = 0; i < n; i++) {
    int64_t cap = clusters[i].ready ? clamp32(clusters[i].available) + clamp32(clusters[i].provisionable) : 0;
    c.cap[i] = c.tier_of[i] >= 0 ? cap : 0;
    c.weight[i] = pol->dynamic_weight ? (uint64_t)clamp32(c.cap[i]) : pol->n_weights ? 0 : 1;
    pending[i] = true;
  }
  if (pol->mode == SCHEDULE_WEIGHTED && !pol->dynamic_weight && pol->n_weights) {
    for (size_t k = 0; k < pol->n_weights; k++) {
      weight_ud ud = {(uint64_t)clamp32(pol->weights[k].weight), pending};
      select_each(&c, &pol->weights[k].target, pending, set_weight, &ud);
    }
  }

  /* Counted members per tier (ready clusters); not-ready ones keep theirs. */
  for (int t = 0; t < nt; t++) c.members[t] = sw_arena_alloc(a, nn * sizeof(size_t));
  for (size_t i = 0; i < n; i++) {
    int t = c.tier_of[i];
    if (t < 0) {
      unselected[i] = c.prev[i];
      continue;
    }
    if (!clusters[i].ready) {
      retained[i] = c.prev[i] < wanted ? c.prev[i] : wanted;
      continue;
    }
    c.members[t][c.n_members[t]++] = i;
    c.r[i] = c.prev[i] < c.cap[i] ? c.prev[i] : c.cap[i];
    if (c.prev[i] > c.cap[i]) shrunk[i] = c.prev[i] - c.cap[i];
  }
  /* A tier whose static weights all are 0 divides equally, as Karmada does
   * when the weight sum is 0. */
  if (pol->mode == SCHEDULE_WEIGHTED && !pol->dynamic_weight)
    for (int t = 0; t < nt; t++) {
      uint64_t sum = 0;
      for (size_t k = 0; k < c.n_members[t]; k++) sum += c.weight[c.members[t][k]];
      if (sum == 0)
        for (size_t k = 0; k < c.n_members[t]; k++) c.weight[c.members[t][k]] = 1;
    }

  sw_buf why;
  sw_buf_init(&why);
  bool any_selected = false;
  for (size_t i = 0; i < n && !any_selected; i++) any_selected = c.tier_of[i] >= 0;
  if (!any_selected) {
    out->unscheduled = wanted;
    if (wanted == 0)
      sw_buf_puts(&why, "no replicas wanted");
    else
      sw_buf_printf(&why, "%d replica%s fit in no cluster: the placement selects no cluster", wanted,
                    plural(wanted));
  } else if (pol->mode == SCHEDULE_DUPLICATED) {
    place_duplicated(&c, wanted, out, &why);
  } else {
    place_divided(&c, wanted, out, &why);
  }

  int64_t retained_total = 0;
  for (size_t i = 0; i < n; i++) retained_total += retained[i];
  out->retained = (int32_t)clamp32(retained_total);
  note_clusters(&why, &c, retained,
                "; not ready, replicas kept there but replaced elsewhere until it returns: ");
  note_clusters(&why, &c, unselected, "; no longer selected, replicas re-placed: ");
  if (pol->mode != SCHEDULE_DUPLICATED)
    note_clusters(&why, &c, shrunk, "; less room than replicas, re-placed: ");
  if (dropped > 0)
    sw_buf_printf(&why, "; %lld replica%s on clusters that no longer exist re-placed", (long long)dropped,
                  plural(dropped));

  out->replicas = sw_arena_alloc(a, nn * sizeof(int32_t));
  out->tier_of = c.tier_of;
  for (size_t i = 0; i < n; i++) out->replicas[i] = (int32_t)clamp32(c.r[i] + retained[i]);
  if (out->tier_index >= 0) out->tier = pol->tiers[out->tier_index].name;
  out->reason = sw_arena_strdup(a, why.data ? why.data : "");
  sw_buf_free(&why);
  return 0;
}
