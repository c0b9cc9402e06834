/*
 * estimate.c — the estimator (see estimate.h for the rules): a per-sync
 * snapshot of clusters, nodes and pods, and per-workload estimates.
 *
 * Pure: reads only the JSON it is given and `now`; allocates only in the
 * caller's arena; never calls a driver, the store or the clock. Quantities are
 * read through api_quantity_from_json so "1", 1 and "1000m" agree with every
 * other part.
 */
#include "schedule/estimate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "schedule/policy.h"

/* ---- resources ----------------------------------------------------------- */

static double res_get(const schedule_resources *r, const char *name) {
  for (size_t i = 0; i < r->n; i++)
    if (strcmp(r->items[i].name, name) == 0) return r->items[i].value;
  return NAN;
}

/* Adds v to name in r, whose items array has room for at least one more. */
static void res_add(schedule_resources *r, const char *name, double v) {
  for (size_t i = 0; i < r->n; i++)
    if (strcmp(r->items[i].name, name) == 0) {
      r->items[i].value += v;
      return;
    }
  r->items[r->n++] = (schedule_res){name, v};
}

static schedule_resources res_from_object(const json_t *obj, sw_arena *a) {
  schedule_resources r = {0};
  if (!json_is_object(obj) || !json_object_size(obj)) return r;
  r.items = sw_arena_alloc(a, json_object_size(obj) * sizeof *r.items);
  const char *k;
  const json_t *v;
  json_object_foreach((json_t *)obj, k, v) {
    double q;
    if (api_quantity_from_json(v, &q) == 0 && isfinite(q)) res_add(&r, k, q);
  }
  return r;
}

schedule_resources schedule_pod_requests(const json_t *pod_spec, sw_arena *a) {
  schedule_resources r = {0};
  const json_t *containers = json_object_get(pod_spec, "containers");
  size_t cap = 0;
  for (size_t i = 0; json_is_array(containers) && i < json_array_size(containers); i++) {
    const json_t *res = json_object_get(json_array_get(containers, i), "resources");
    cap +=
        json_object_size(json_object_get(res, "requests")) + json_object_size(json_object_get(res, "limits"));
  }
  if (!cap) return r;
  r.items = sw_arena_alloc(a, cap * sizeof *r.items);
  for (size_t i = 0; i < json_array_size(containers); i++) {
    const json_t *res = json_object_get(json_array_get(containers, i), "resources");
    const json_t *req = json_object_get(res, "requests"), *lim = json_object_get(res, "limits");
    const char *k;
    const json_t *v;
    double q;
    if (json_is_object(req)) json_object_foreach((json_t *)req, k, v) {
        if (api_quantity_from_json(v, &q) == 0 && isfinite(q) && q > 0) res_add(&r, k, q);
      }
    /* The API server defaults a missing request to the limit. */
    if (json_is_object(lim)) json_object_foreach((json_t *)lim, k, v) {
        if (json_object_get(req, k)) continue;
        if (api_quantity_from_json(v, &q) == 0 && isfinite(q) && q > 0) res_add(&r, k, q);
      }
  }
  return r;
}

/* ---- small JSON helpers -------------------------------------------------- */

static const char *str_at(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static const json_t *condition(const json_t *status, const char *type) {
  const json_t *conds = json_object_get(status, "conditions");
  for (size_t i = 0; json_is_array(conds) && i < json_array_size(conds); i++) {
    const json_t *c = json_array_get(conds, i);
    if (sw_streq(str_at(c, "type"), type)) return c;
  }
  return NULL;
}

static bool condition_true(const json_t *status, const char *type) {
  return sw_streq(str_at(condition(status, type), "status"), "True");
}

static double number_or(const json_t *v, double def) {
  return json_is_number(v) ? json_number_value(v) : def;
}

typedef struct named_idx {
  const char *name;
  size_t i;
} named_idx;

static int named_cmp(const void *a, const void *b) {
  return strcmp(((const named_idx *)a)->name, ((const named_idx *)b)->name);
}

static long named_find(const named_idx *v, size_t n, const char *name) {
  if (!name) return -1;
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int d = strcmp(v[mid].name, name);
    if (d == 0) return (long)v[mid].i;
    if (d < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

static int pod_cmp(const void *pa, const void *pb) {
  const schedule_pod *a = pa, *b = pb;
  int d = strcmp(a->ns, b->ns);
  return d ? d : strcmp(a->owner, b->owner);
}

/* ---- the snapshot -------------------------------------------------------- */

static void build_pools(schedule_fleet_cluster *c, const json_t *cl, const json_t *nodes, sw_arena *a) {
  const json_t *spec_pools = json_object_get(json_object_get(cl, "spec"), "nodePools");
  const json_t *status_pools = json_object_get(json_object_get(cl, "status"), "pools");
  size_t n = json_is_array(spec_pools) ? json_array_size(spec_pools) : 0;
  c->pools = sw_arena_alloc(a, (n ? n : 1) * sizeof *c->pools);
  for (size_t i = 0; i < n; i++) {
    const json_t *p = json_array_get(spec_pools, i);
    if (!sw_streq(str_at(p, "type"), "elastic") || !str_at(p, "name")) continue;
    schedule_pool *pool = &c->pools[c->n_pools++];
    pool->name = str_at(p, "name");
    pool->labels = json_object_get(p, "labels");
    pool->gpus_per_node = number_or(json_object_get(p, "gpusPerNode"), 1);
    const json_t *st = NULL;
    for (size_t j = 0; json_is_array(status_pools) && j < json_array_size(status_pools); j++)
      if (sw_streq(str_at(json_array_get(status_pools, j), "name"), pool->name))
        st = json_array_get(status_pools, j);
    double prov = number_or(json_object_get(st, "provisioning"), 0);
    pool->provisioning = prov > 0 ? (int64_t)prov : 0;
    double addable;
    const json_t *headroom = json_object_get(st, "headroomNodes");
    if (json_is_number(headroom)) {
      /* The cluster layer reports the nodes it can still add (maxNodes less
       * the nodes it has, provisioning ones included, bounded by inventory). */
      addable = json_number_value(headroom);
    } else {
      /* Otherwise: maxNodes less the pool's Node objects (or the reported
       * count when larger) and the provisioning ones, bounded by the
       * inventory left (reported, else the spec's; absent = unlimited). */
      int64_t existing = 0;
      for (size_t j = 0; json_is_array(nodes) && j < json_array_size(nodes); j++) {
        const json_t *labels =
            json_object_get(json_object_get(json_array_get(nodes, j), "metadata"), "labels");
        if (sw_streq(str_at(labels, SCHEDULE_LABEL_CLUSTER), c->name) &&
            sw_streq(str_at(labels, SCHEDULE_LABEL_NODEPOOL), pool->name))
          existing++;
      }
      double reported = number_or(json_object_get(st, "nodes"), 0);
      if (reported > (double)existing) existing = (int64_t)reported;
      addable = number_or(json_object_get(p, "maxNodes"), 0) - (double)existing - (double)pool->provisioning;
      const json_t *inv = json_object_get(st, "inventoryLeft");
      if (!json_is_number(inv)) inv = json_object_get(p, "inventory");
      if (json_is_number(inv) && json_number_value(inv) < addable) addable = json_number_value(inv);
    }
    pool->addable = addable > 0 ? (int64_t)addable : 0;
  }
}

void schedule_fleet_build(schedule_fleet *f, const json_t *clusters, const json_t *nodes, const json_t *pods,
                          double default_toleration, sw_arena *a) {
  memset(f, 0, sizeof *f);
  size_t nc = json_is_array(clusters) ? json_array_size(clusters) : 0;
  size_t nn = json_is_array(nodes) ? json_array_size(nodes) : 0;
  size_t np = json_is_array(pods) ? json_array_size(pods) : 0;
  f->clusters = sw_arena_alloc(a, (nc ? nc : 1) * sizeof *f->clusters);
  named_idx *cidx = sw_arena_alloc(a, (nc ? nc : 1) * sizeof *cidx);
  for (size_t i = 0; i < nc; i++) {
    const json_t *cl = json_array_get(clusters, i);
    const json_t *meta = json_object_get(cl, "metadata"), *status = json_object_get(cl, "status");
    const char *name = str_at(meta, "name");
    if (!name) continue;
    schedule_fleet_cluster *c = &f->clusters[f->n_clusters];
    c->name = name;
    c->labels = schedule_labels_from_json(json_object_get(meta, "labels"), a, &c->n_labels);
    static const char *const field_keys[3] = {"provider", "region", "zone"};
    c->fields = sw_arena_alloc(a, 3 * sizeof *c->fields);
    for (int k = 0; k < 3; k++) {
      const char *v = str_at(json_object_get(cl, "spec"), field_keys[k]);
      if (v) c->fields[c->n_fields++] = (schedule_label){field_keys[k], v};
    }
    c->ready = condition_true(status, "Ready");
    c->reported = condition(status, "Ready") != NULL;
    c->not_ready_since = NAN;
    const char *lt = str_at(condition(status, "Ready"), "lastTransitionTime");
    double t;
    if (!c->ready && lt && sw_time_parse(lt, &t) == 0) c->not_ready_since = t;
    double tol =
        number_or(json_object_get(json_object_get(cl, "spec"), "tolerationSeconds"), default_toleration);
    c->toleration = tol >= 0 ? tol : default_toleration;
    build_pools(c, cl, nodes, a);
    c->nodes = sw_arena_alloc(a, (nn ? nn : 1) * sizeof(size_t));
    cidx[f->n_clusters] = (named_idx){name, f->n_clusters};
    f->n_clusters++;
  }
  qsort(cidx, f->n_clusters, sizeof *cidx, named_cmp);

  f->nodes = sw_arena_alloc(a, (nn ? nn : 1) * sizeof *f->nodes);
  named_idx *nidx = sw_arena_alloc(a, (nn ? nn : 1) * sizeof *nidx);
  for (size_t i = 0; i < nn; i++) {
    const json_t *node = json_array_get(nodes, i);
    const json_t *meta = json_object_get(node, "metadata"), *status = json_object_get(node, "status");
    const json_t *labels = json_object_get(meta, "labels");
    long ci = named_find(cidx, f->n_clusters, str_at(labels, SCHEDULE_LABEL_CLUSTER));
    const char *name = str_at(meta, "name");
    if (ci < 0 || !name) continue;
    schedule_node *nd = &f->nodes[f->n_nodes];
    nd->name = name;
    nd->cluster = (size_t)ci;
    nd->labels = labels;
    nd->ready = condition_true(status, "Ready") &&
                !json_is_true(json_object_get(json_object_get(node, "spec"), "unschedulable"));
    nd->allocatable = res_from_object(json_object_get(status, "allocatable"), a);
    if (!nd->allocatable.n) nd->allocatable = res_from_object(json_object_get(status, "capacity"), a);
    schedule_fleet_cluster *c = &f->clusters[ci];
    c->nodes[c->n_nodes++] = f->n_nodes;
    nidx[f->n_nodes] = (named_idx){name, f->n_nodes};
    f->n_nodes++;
  }
  qsort(nidx, f->n_nodes, sizeof *nidx, named_cmp);

  f->pods = sw_arena_alloc(a, (np ? np : 1) * sizeof *f->pods);
  for (size_t i = 0; i < np; i++) {
    const json_t *pod = json_array_get(pods, i);
    const json_t *meta = json_object_get(pod, "metadata"), *status = json_object_get(pod, "status");
    const json_t *spec = json_object_get(pod, "spec");
    schedule_pod *p = &f->pods[f->n_pods];
    p->ns = str_at(meta, "namespace");
    p->owner = str_at(json_object_get(meta, "annotations"), SCHEDULE_ANN_OWNER);
    p->cluster = str_at(json_object_get(meta, "labels"), SCHEDULE_LABEL_CLUSTER);
    if (!p->ns) p->ns = "";
    if (!p->owner) p->owner = "";
    if (!p->cluster) continue;
    const char *phase = str_at(status, "phase");
    p->finished = sw_streq(phase, "Succeeded") || sw_streq(phase, "Failed");
    const json_t *dt = json_object_get(meta, "deletionTimestamp");
    p->terminating = dt && !json_is_null(dt);
    p->ready = condition_true(status, "Ready");
    p->node = str_at(spec, "nodeName");
    if (p->node && !*p->node) p->node = NULL;
    p->node_index = named_find(nidx, f->n_nodes, p->node);
    p->requests = schedule_pod_requests(spec, a);
    if (p->node_index >= 0 && !p->finished) f->nodes[p->node_index].pods++;
    f->n_pods++;
  }
  /* Per node: the requests of every pod bound there that has not finished
   * (Kubernetes counts a terminating pod's requests until it is gone). Two
   * passes: size each node's array, then add. */
  size_t *room = sw_arena_alloc(a, (f->n_nodes ? f->n_nodes : 1) * sizeof(size_t));
  for (size_t i = 0; i < f->n_pods; i++)
    if (f->pods[i].node_index >= 0 && !f->pods[i].finished)
      room[f->pods[i].node_index] += f->pods[i].requests.n;
  for (size_t i = 0; i < f->n_nodes; i++)
    if (room[i]) f->nodes[i].used.items = sw_arena_alloc(a, room[i] * sizeof(schedule_res));
  for (size_t i = 0; i < f->n_pods; i++) {
    const schedule_pod *p = &f->pods[i];
    if (p->node_index < 0 || p->finished) continue;
    for (size_t k = 0; k < p->requests.n; k++)
      res_add(&f->nodes[p->node_index].used, p->requests.items[k].name, p->requests.items[k].value);
  }
  qsort(f->pods, f->n_pods, sizeof *f->pods, pod_cmp);
}

/* ---- workloads ----------------------------------------------------------- */

void schedule_workload_from_deployment(const json_t *deployment, sw_arena *a, schedule_workload *w) {
  memset(w, 0, sizeof *w);
  const json_t *meta = json_object_get(deployment, "metadata");
  w->ns = str_at(meta, "namespace");
  w->name = str_at(meta, "name");
  if (!w->ns) w->ns = "";
  if (!w->name) w->name = "";
  const json_t *pod_spec =
      json_object_get(json_object_get(json_object_get(deployment, "spec"), "template"), "spec");
  w->requests = schedule_pod_requests(pod_spec, a);
  w->node_selector =
      schedule_labels_from_json(json_object_get(pod_spec, "nodeSelector"), a, &w->n_node_selector);
}

/* ---- estimates ----------------------------------------------------------- */

static bool is_extended(const char *resource) { return strchr(resource, '/') != NULL; }

/* Replicas needing w->requests that fit in allocatable - used + own. */
static int64_t fit(const schedule_workload *w, const schedule_resources *alloc,
                   const schedule_resources *used, int64_t pods, const schedule_resources *own,
                   int64_t own_pods) {
  int64_t best = INT64_MAX;
  bool limited = false;
  for (size_t i = 0; i < w->requests.n; i++) {
    const schedule_res *r = &w->requests.items[i];
    if (r->value <= 0 || strcmp(r->name, "pods") == 0) continue;
    double have = res_get(alloc, r->name);
    if (isnan(have)) {
      if (is_extended(r->name)) return 0;
      continue; /* a resource the driver does not model does not limit */
    }
    double u = used ? res_get(used, r->name) : NAN, o = own ? res_get(own, r->name) : NAN;
    double free_amount = have - (isnan(u) ? 0 : u) + (isnan(o) ? 0 : o);
    double k = floor(free_amount / r->value + 1e-9);
    int64_t ki = k <= 0 ? 0 : k >= 1e15 ? (int64_t)1e15 : (int64_t)k;
    if (ki < best) best = ki;
    limited = true;
  }
  double max_pods = res_get(alloc, "pods");
  if (isnan(max_pods) && !limited) max_pods = SCHEDULE_DEFAULT_MAX_PODS;
  if (!isnan(max_pods)) {
    double k = max_pods - (double)pods + (double)own_pods;
    int64_t ki = k <= 0 ? 0 : (int64_t)k;
    if (ki < best) best = ki;
  }
  return best == INT64_MAX ? SCHEDULE_DEFAULT_MAX_PODS : best;
}

static bool node_selector_matches(const schedule_workload *w, const json_t *labels) {
  for (size_t i = 0; i < w->n_node_selector; i++)
    if (!sw_streq(str_at(labels, w->node_selector[i].key), w->node_selector[i].value)) return false;
  return true;
}

static bool pool_selector_matches(const schedule_workload *w, const schedule_fleet_cluster *c,
                                  const schedule_pool *p) {
  for (size_t i = 0; i < w->n_node_selector; i++) {
    const char *key = w->node_selector[i].key, *v;
    if (strcmp(key, SCHEDULE_LABEL_NODEPOOL) == 0)
      v = p->name;
    else if (strcmp(key, SCHEDULE_LABEL_CLUSTER) == 0)
      v = c->name;
    else
      v = str_at(p->labels, key);
    if (!sw_streq(v, w->node_selector[i].value)) return false;
  }
  return true;
}

static int32_t clamp32(int64_t v) {
  return v < 0 ? 0 : v > SCHEDULE_MAX_REPLICAS ? SCHEDULE_MAX_REPLICAS : (int32_t)v;
}

/* Replicas of w that fit on the cluster's Ready nodes matching its
 * nodeSelector. Own pods on a node count as room: they are re-divided; own
 * terminating pods only when with_terminating. */
static int64_t room(const schedule_fleet *f, const schedule_fleet_cluster *c, const schedule_workload *w,
                    size_t own_begin, size_t own_end, bool with_terminating) {
  int64_t sum = 0;
  for (size_t k = 0; k < c->n_nodes; k++) {
    const schedule_node *nd = &f->nodes[c->nodes[k]];
    if (!nd->ready || !node_selector_matches(w, nd->labels)) continue;
    schedule_res own_items[16];
    schedule_resources own = {own_items, 0};
    int64_t own_pods = 0;
    for (size_t j = own_begin; j < own_end; j++) {
      const schedule_pod *p = &f->pods[j];
      if (p->node_index != (long)c->nodes[k] || p->finished || (p->terminating && !with_terminating)) continue;
      own_pods++;
      for (size_t r = 0; r < p->requests.n && own.n < 16; r++)
        res_add(&own, p->requests.items[r].name, p->requests.items[r].value);
    }
    sum += fit(w, &nd->allocatable, &nd->used, nd->pods, &own, own_pods);
    if (sum > SCHEDULE_MAX_REPLICAS) sum = SCHEDULE_MAX_REPLICAS;
  }
  return sum;
}

void schedule_estimate(const schedule_fleet *f, const schedule_workload *w, bool ecs_provision,
                       const schedule_count *prev, size_t n_prev, double now, schedule_cluster *est) {
  /* The workload's own pods: a contiguous run of the sorted pod list. */
  size_t lo = 0, hi = f->n_pods;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int d = strcmp(f->pods[mid].ns, w->ns);
    if (!d) d = strcmp(f->pods[mid].owner, w->name);
    if (d < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  size_t own_begin = lo, own_end = lo;
  while (own_end < f->n_pods && strcmp(f->pods[own_end].ns, w->ns) == 0 &&
         strcmp(f->pods[own_end].owner, w->name) == 0)
    own_end++;
  bool gpu_workload = false;
  for (size_t i = 0; i < w->requests.n; i++)
    if (is_extended(w->requests.items[i].name) && w->requests.items[i].value > 0) gpu_workload = true;

  for (size_t ci = 0; ci < f->n_clusters; ci++) {
    const schedule_fleet_cluster *c = &f->clusters[ci];
    schedule_cluster *e = &est[ci];
    memset(e, 0, sizeof *e);
    e->name = c->name;
    e->labels = c->labels;
    e->n_labels = c->n_labels;
    e->fields = c->fields;
    e->n_fields = c->n_fields;
    int64_t had = 0;
    for (size_t k = 0; k < n_prev; k++)
      if (sw_streq(prev[k].cluster, c->name) && prev[k].replicas > 0) had += prev[k].replicas;
    int64_t ready_pods = 0;
    for (size_t k = own_begin; k < own_end; k++) {
      const schedule_pod *p = &f->pods[k];
      if (strcmp(p->cluster, c->name) == 0 && p->ready && !p->terminating && !p->finished) ready_pods++;
    }
    e->ready_replicas = clamp32(ready_pods);
    if (!c->ready) {
      /* Within the toleration the cluster keeps what it has (no replacement,
       * nothing new); past it, it estimates 0 and its replicas are replaced. */
      bool held = isnan(c->not_ready_since) || now - c->not_ready_since < c->toleration;
      e->ready = held;
      e->available = held ? clamp32(had) : 0;
      e->ready_replicas = held ? clamp32(had) : 0;
      continue;
    }
    e->ready = true;
    /* Nodes that all stopped answering while the cluster is still within its
     * health grace period: the driver is going away or coming back. Keep what
     * the cluster had, place nothing new there, and let the grace and the
     * toleration decide, rather than re-placing its replicas at once. */
    bool any_node_ready = c->n_nodes == 0;
    for (size_t k = 0; k < c->n_nodes && !any_node_ready; k++) any_node_ready = f->nodes[c->nodes[k]].ready;
    if (!any_node_ready) {
      e->available = clamp32(had);
      e->ready_replicas = clamp32(had);
      continue;
    }
    /* Own pods terminating on a node count as room too, but only to keep
     * what the cluster already holds: a rolling update (`rollout restart`)
     * stops an old replica to start its successor on the same GPU, and that
     * moment must not read as the cluster having lost its room (which would
     * move the replica to a lower tier); for new replicas the GPU is still
     * taken until it is free. */
    int64_t avail = room(f, c, w, own_begin, own_end, false);
    if (had > avail) {
      int64_t keep = room(f, c, w, own_begin, own_end, true);
      if (keep > had) keep = had;
      if (keep > avail) avail = keep;
    }
    e->available = clamp32(avail);
    if (!ecs_provision) continue;
    int64_t prov = 0;
    for (size_t k = 0; k < c->n_pools; k++) {
      const schedule_pool *p = &c->pools[k];
      if (!pool_selector_matches(w, c, p)) continue;
      schedule_res gpu = {"nvidia.com/gpu", p->gpus_per_node};
      schedule_resources alloc = {&gpu, 1};
      int64_t per_node = fit(w, &alloc, NULL, 0, NULL, 0);
      int64_t nodes = p->addable + p->provisioning;
      if (per_node > 0 && nodes > SCHEDULE_MAX_REPLICAS / per_node)
        prov = SCHEDULE_MAX_REPLICAS;
      else
        prov += nodes * per_node;
      if (prov > SCHEDULE_MAX_REPLICAS) prov = SCHEDULE_MAX_REPLICAS;
    }
    if (gpu_workload && prov > 0) {
      /* Pending GPU pods of other workloads take the coming nodes first. */
      for (size_t j = 0; j < f->n_pods; j++) {
        const schedule_pod *p = &f->pods[j];
        if (j >= own_begin && j < own_end) continue;
        if (p->node || p->finished || p->terminating || strcmp(p->cluster, c->name) != 0) continue;
        bool wants_gpu = false;
        for (size_t r = 0; r < p->requests.n; r++)
          if (is_extended(p->requests.items[r].name) && p->requests.items[r].value > 0) wants_gpu = true;
        if (wants_gpu) prov--;
      }
    }
    e->provisionable = clamp32(prov);
  }
}
