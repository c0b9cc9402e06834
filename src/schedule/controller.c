/*
 * controller.c — the scheduling controller (see controller.h): one sync lists
 * the store once, builds the estimator's snapshot, and for each Deployment
 * runs policy selection -> estimates -> schedule_place() -> ResourceBinding.
 *
 * State kept between syncs: only when each not-ready Cluster was first seen
 * not ready, for a Ready condition that carries no lastTransitionTime.
 * Everything else is re-derived from the store, so a restart changes nothing:
 * the previous placement is the binding's spec.clusters.
 *
 * Writes are skipped when nothing changed (the store also drops no-op
 * writes), so a steady fleet produces no binding updates and no events.
 */
#include "schedule/controller.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedule/estimate.h"
#include "schedule/placement.h"
#include "schedule/policy.h"

typedef struct since_entry {
  char *cluster;
  double since;
} since_entry;

struct schedule_controller {
  plane *p;
  schedule_opts o;
  sw_arena *arena; /* per sync */
  int watches[4];
  SW_VEC(since_entry) not_ready;
};

static const char *str_at(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* ---- the outcome of one Deployment -------------------------------------- */

typedef struct outcome {
  json_t *clusters; /* [{name, replicas}] */
  const char *tier;
  int32_t unscheduled;
  char reason[2048];
  const char *cond_reason; /* Scheduled condition reason */
  bool scheduled;
  const char *policy; /* selecting PropagationPolicy name or NULL */
} outcome;

static void add_cluster(json_t *arr, const char *name, int32_t replicas) {
  json_array_append_new(arr, json_pack("{s:s,s:i}", "name", name, "replicas", (int)replicas));
}

static int32_t wanted_replicas(const json_t *dep) {
  const json_t *r = json_object_get(json_object_get(dep, "spec"), "replicas");
  if (!r || json_is_null(r)) return 1; /* Kubernetes' default */
  if (!json_is_integer(r) || json_integer_value(r) < 0) return 0;
  return json_integer_value(r) > SCHEDULE_MAX_REPLICAS ? SCHEDULE_MAX_REPLICAS
                                                       : (int32_t)json_integer_value(r);
}

static void place_one(schedule_controller *sc, const json_t *dep, const json_t *policies,
                      const schedule_fleet *fleet, const json_t *old, double now, outcome *out) {
  sw_arena *a = sc->arena;
  const json_t *meta = json_object_get(dep, "metadata");
  const char *ns = str_at(meta, "namespace"), *name = str_at(meta, "name");
  int32_t wanted = wanted_replicas(dep);
  out->clusters = json_array();
  out->scheduled = true;
  out->cond_reason = "Success";

  /* Previous placement: the binding's clusters. */
  const json_t *old_clusters = json_object_get(json_object_get(old, "spec"), "clusters");
  size_t n_prev = json_is_array(old_clusters) ? json_array_size(old_clusters) : 0;
  schedule_count *prev = sw_arena_alloc(a, (n_prev ? n_prev : 1) * sizeof *prev);
  size_t k = 0;
  for (size_t i = 0; i < n_prev; i++) {
    const json_t *c = json_array_get(old_clusters, i);
    const json_t *r = json_object_get(c, "replicas");
    if (!str_at(c, "name") || !json_is_integer(r)) continue;
    json_int_t v = json_integer_value(r);
    prev[k++] = (schedule_count){str_at(c, "name"), v < 0                       ? 0
                                                    : v > SCHEDULE_MAX_REPLICAS ? SCHEDULE_MAX_REPLICAS
                                                                                : (int32_t)v};
  }
  n_prev = k;

  const json_t *pp = schedule_policy_select(policies, dep);
  if (!pp) {
    if (fleet->n_clusters == 1) {
      if (wanted > 0) add_cluster(out->clusters, fleet->clusters[0].name, wanted);
      snprintf(out->reason, sizeof out->reason,
               "no PropagationPolicy selects deployment %s/%s; the fleet has one cluster, so all replicas go "
               "to %s",
               ns, name, fleet->clusters[0].name);
    } else {
      out->unscheduled = wanted;
      out->scheduled = wanted == 0;
      out->cond_reason = wanted ? "NoPolicy" : "Success";
      snprintf(out->reason, sizeof out->reason, "no PropagationPolicy selects deployment %s/%s", ns, name);
    }
    return;
  }
  out->policy = str_at(json_object_get(pp, "metadata"), "name");

  schedule_policy pol;
  bool ecs = false;
  sw_err err = {0};
  if (schedule_policy_from_object(pp, a, &pol, &ecs, &err) != 0) {
    /* A broken policy must not tear down running replicas: keep them. */
    for (size_t i = 0; i < n_prev; i++)
      if (prev[i].replicas > 0) add_cluster(out->clusters, prev[i].cluster, prev[i].replicas);
    out->unscheduled = wanted;
    out->scheduled = false;
    out->cond_reason = "SchedulerError";
    snprintf(out->reason, sizeof out->reason, "PropagationPolicy %s/%s: %s", ns, out->policy, err.msg);
    return;
  }

  schedule_workload w;
  schedule_workload_from_deployment(dep, a, &w);
  schedule_cluster *est = sw_arena_alloc(a, (fleet->n_clusters ? fleet->n_clusters : 1) * sizeof *est);
  schedule_estimate(fleet, &w, ecs, prev, n_prev, now, est);
  schedule_result res;
  if (schedule_place(&pol, wanted, est, fleet->n_clusters, prev, n_prev, a, &res, &err) != 0) {
    for (size_t i = 0; i < n_prev; i++)
      if (prev[i].replicas > 0) add_cluster(out->clusters, prev[i].cluster, prev[i].replicas);
    out->unscheduled = wanted;
    out->scheduled = false;
    out->cond_reason = "SchedulerError";
    snprintf(out->reason, sizeof out->reason, "%s", err.msg);
    return;
  }
  for (int t = -1; t < (int)pol.n_tiers; t++)
    for (size_t i = 0; i < fleet->n_clusters; i++)
      if (res.tier_of[i] == t && res.replicas[i] > 0)
        add_cluster(out->clusters, est[i].name, res.replicas[i]);
  out->tier = res.tier ? sw_arena_strdup(a, res.tier) : NULL;
  out->unscheduled = res.unscheduled;
  out->scheduled = res.unscheduled == 0;
  out->cond_reason = res.unscheduled ? "NoClusterFit" : "Success";
  /* Replicas left over while some clusters have not reported yet (the fleet
   * is starting) are waiting, not failing: said as such, with no warning. */
  char unreported[512] = "";
  for (size_t i = 0; res.unscheduled && i < fleet->n_clusters; i++)
    if (!fleet->clusters[i].reported && strlen(unreported) + strlen(fleet->clusters[i].name) + 3 < sizeof unreported)
      snprintf(unreported + strlen(unreported), sizeof unreported - strlen(unreported), "%s%s",
               *unreported ? ", " : "", fleet->clusters[i].name);
  if (*unreported) {
    out->cond_reason = "ClustersNotReported";
    snprintf(out->reason, sizeof out->reason, "waiting for %s to report status: %s", unreported, res.reason);
    return;
  }
  snprintf(out->reason, sizeof out->reason, "%s", res.reason);
}

/* "cluster1=1, cluster2=2" */
static void clusters_text(const json_t *clusters, char *buf, size_t n) {
  size_t off = 0;
  buf[0] = 0;
  for (size_t i = 0; json_is_array(clusters) && i < json_array_size(clusters) && off < n; i++) {
    const json_t *c = json_array_get(clusters, i);
    off += (size_t)snprintf(buf + off, n - off, "%s%s=%lld", i ? ", " : "", str_at(c, "name"),
                            (long long)json_integer_value(json_object_get(c, "replicas")));
  }
  if (!json_array_size(clusters)) snprintf(buf, n, "none");
}

static void write_binding(schedule_controller *sc, const json_t *dep, const json_t *old, const outcome *o,
                          double now) {
  store_t *s = sc->p->store;
  const json_t *meta = json_object_get(dep, "metadata");
  const char *ns = str_at(meta, "namespace"), *name = str_at(meta, "name");
  char bname[512];
  snprintf(bname, sizeof bname, "%s-deployment", name);
  const char *uid = str_at(meta, "uid");
  const char *av = str_at(dep, "apiVersion");

  json_t *resource = json_pack("{s:s,s:s,s:s,s:s}", "apiVersion", av ? av : "apps/v1", "kind", "Deployment",
                               "namespace", ns, "name", name);
  if (uid) json_object_set_new(resource, "uid", json_string(uid));
  json_t *spec = json_pack("{s:o,s:i,s:O}", "resource", resource, "replicas", (int)wanted_replicas(dep),
                           "clusters", o->clusters);
  json_t *labels = json_object();
  if (o->policy) {
    json_object_set_new(labels, "propagationpolicy.karmada.io/namespace", json_string(ns));
    json_object_set_new(labels, "propagationpolicy.karmada.io/name", json_string(o->policy));
  }
  const json_t *old_spec = json_object_get(old, "spec");
  const json_t *old_labels = json_object_get(json_object_get(old, "metadata"), "labels");
  bool spec_changed = !old || !json_equal(old_spec, spec);
  json_t *empty = json_object();
  bool labels_changed = !old || !json_equal(old_labels ? old_labels : empty, labels);
  const json_t *old_clusters = json_object_get(old_spec, "clusters");
  json_t *empty_arr = json_array();
  bool clusters_changed = !json_equal(old_clusters ? old_clusters : empty_arr, o->clusters);
  json_decref(empty);
  json_decref(empty_arr);
  sw_err err = {0};
  if (spec_changed || labels_changed) {
    json_t *obj = json_pack("{s:s,s:s,s:{s:s,s:s,s:O},s:O}", "apiVersion", SCHEDULE_BINDING_API_VERSION,
                            "kind", "ResourceBinding", "metadata", "name", bname, "namespace", ns, "labels",
                            labels, "spec", spec);
    if (uid) {
      json_t *owner =
          json_pack("[{s:s,s:s,s:s,s:s,s:b,s:b}]", "apiVersion", av ? av : "apps/v1", "kind", "Deployment",
                    "name", name, "uid", uid, "controller", 1, "blockOwnerDeletion", 1);
      json_object_set_new(json_object_get(obj, "metadata"), "ownerReferences", owner);
    }
    if (store_apply(s, &obj, 1, now, NULL, &err) != 0)
      SW_WARN("schedule", "writing ResourceBinding %s/%s: %s", ns, bname, err.msg);
    json_decref(obj);
  }

  /* Status, with the Scheduled condition as Karmada's binding carries it. */
  const json_t *old_status = json_object_get(old, "status");
  const json_t *old_cond = NULL;
  const json_t *conds = json_object_get(old_status, "conditions");
  for (size_t i = 0; json_is_array(conds) && i < json_array_size(conds); i++)
    if (sw_streq(str_at(json_array_get(conds, i), "type"), "Scheduled")) old_cond = json_array_get(conds, i);
  const char *status_str = o->scheduled ? "True" : "False";
  char ts[32];
  sw_time_format(now, ts, sizeof ts);
  const char *ltt = ts;
  if (old_cond && sw_streq(str_at(old_cond, "status"), status_str) && str_at(old_cond, "lastTransitionTime"))
    ltt = str_at(old_cond, "lastTransitionTime");
  json_t *status = json_pack("{s:o,s:i,s:s,s:[{s:s,s:s,s:s,s:s,s:s}]}", "tier",
                             o->tier ? json_string(o->tier) : json_null(), "unscheduled", (int)o->unscheduled,
                             "reason", o->reason, "conditions", "type", "Scheduled", "status", status_str,
                             "reason", o->cond_reason, "message", o->reason, "lastTransitionTime", ltt);
  const json_t *gen = json_object_get(meta, "generation");
  if (json_is_integer(gen))
    json_object_set_new(status, "schedulerObservedGeneration", json_copy((json_t *)gen));
  bool status_changed = !old_status || !json_equal(old_status, status);
  if (status_changed && store_update_status(s, "ResourceBinding", ns, bname, status, &err) != 0)
    SW_WARN("schedule", "writing ResourceBinding %s/%s status: %s", ns, bname, err.msg);

  /* Events on the Deployment, as `describe deploy` shows them. */
  if (clusters_changed) {
    char placed[1024];
    clusters_text(o->clusters, placed, sizeof placed);
    plane_event(sc->p, "Deployment", ns, name, "Normal", "ScheduleBindingSucceed", "placed %s: %s", placed,
                o->reason);
  }
  const char *old_reason = str_at(old_status, "reason");
  if (o->unscheduled > 0 && strcmp(o->cond_reason, "ClustersNotReported") != 0 &&
      (!old_reason || strcmp(old_reason, o->reason) != 0))
    plane_event(sc->p, "Deployment", ns, name, "Warning", "ScheduleBindingFailed", "%s", o->reason);
  json_decref(status);
  json_decref(spec);
  json_decref(labels);
}

/* ---- cluster health memory ----------------------------------------------- */

/* Gives not-ready clusters without a transition time the time they were first
 * seen not ready, and forgets clusters that are ready (or gone). */
static void remember_not_ready(schedule_controller *sc, schedule_fleet *f, double now) {
  for (size_t i = 0; i < sc->not_ready.len;) {
    since_entry *e = &sc->not_ready.items[i];
    bool keep = false;
    for (size_t c = 0; c < f->n_clusters; c++)
      if (strcmp(f->clusters[c].name, e->cluster) == 0 && !f->clusters[c].ready) keep = true;
    if (keep) {
      i++;
      continue;
    }
    free(e->cluster);
    sc->not_ready.items[i] = sc->not_ready.items[--sc->not_ready.len];
  }
  for (size_t c = 0; c < f->n_clusters; c++) {
    schedule_fleet_cluster *fc = &f->clusters[c];
    if (fc->ready || !isnan(fc->not_ready_since)) continue;
    bool found = false;
    for (size_t i = 0; i < sc->not_ready.len && !found; i++)
      if (strcmp(sc->not_ready.items[i].cluster, fc->name) == 0) {
        fc->not_ready_since = sc->not_ready.items[i].since;
        found = true;
      }
    if (!found) {
      since_entry e = {sw_xstrdup(fc->name), now};
      sw_vec_push(&sc->not_ready, e);
      fc->not_ready_since = now;
    }
  }
}

/* ---- the sync ------------------------------------------------------------ */

void schedule_controller_sync(schedule_controller *sc, double now) {
  store_t *s = sc->p->store;
  json_t *clusters = store_list(s, "Cluster", NULL), *nodes = store_list(s, "Node", NULL);
  json_t *pods = store_list(s, "Pod", NULL), *deps = store_list(s, "Deployment", NULL);
  json_t *policies = store_list(s, "PropagationPolicy", NULL),
         *bindings = store_list(s, "ResourceBinding", NULL);
  sw_arena_reset(sc->arena);
  schedule_fleet fleet;
  schedule_fleet_build(&fleet, clusters, nodes, pods, sc->o.default_toleration, sc->arena);
  remember_not_ready(sc, &fleet, now);

  for (size_t i = 0; json_is_array(deps) && i < json_array_size(deps); i++) {
    const json_t *dep = json_array_get(deps, i);
    const json_t *meta = json_object_get(dep, "metadata");
    const char *ns = str_at(meta, "namespace"), *name = str_at(meta, "name");
    if (!ns || !name) continue;
    char bname[512];
    snprintf(bname, sizeof bname, "%s-deployment", name);
    json_t *old = store_get(s, "ResourceBinding", ns, bname);
    outcome o = {0};
    place_one(sc, dep, policies, &fleet, old, now, &o);
    write_binding(sc, dep, old, &o, now);
    json_decref(o.clusters);
    json_decref(old);
  }

  /* Bindings whose Deployment is gone: delete, so the member clusters stop
   * its replicas. */
  for (size_t i = 0; json_is_array(bindings) && i < json_array_size(bindings); i++) {
    const json_t *b = json_array_get(bindings, i);
    const json_t *res = json_object_get(json_object_get(b, "spec"), "resource");
    if (!sw_streq(str_at(res, "kind"), "Deployment")) continue;
    const json_t *bmeta = json_object_get(b, "metadata");
    const char *ns = str_at(bmeta, "namespace"), *bname = str_at(bmeta, "name"), *dname = str_at(res, "name");
    if (!ns || !bname || !dname) continue;
    json_t *dep = store_get(s, "Deployment", ns, dname);
    if (!dep) {
      sw_err err = {0};
      if (store_delete(s, "ResourceBinding", ns, bname, 0, &err) != 0 && err.code != SW_ENOENT)
        SW_WARN("schedule", "deleting ResourceBinding %s/%s: %s", ns, bname, err.msg);
    }
    json_decref(dep);
  }
  json_decref(clusters);
  json_decref(nodes);
  json_decref(pods);
  json_decref(deps);
  json_decref(policies);
  json_decref(bindings);
}

static void sync_cb(void *self, plane *p, double now) {
  (void)p;
  schedule_controller_sync(self, now);
}

static void watch_cb(void *ud, store_event_type type, const json_t *obj) {
  (void)type;
  (void)obj;
  schedule_controller *sc = ud;
  plane_kick(sc->p, SCHEDULE_CONTROLLER_NAME);
}

schedule_controller *schedule_controller_start(plane *p, const schedule_opts *o) {
  schedule_controller *sc = sw_xcalloc(1, sizeof *sc);
  sc->p = p;
  if (o) sc->o = *o;
  if (sc->o.period <= 0) sc->o.period = 1;
  if (sc->o.default_toleration <= 0) sc->o.default_toleration = SCHEDULE_DEFAULT_TOLERATION;
  sc->arena = sw_arena_new(64 * 1024);
  static const char *kinds[4] = {"Deployment", "PropagationPolicy", "Cluster", "Node"};
  for (int i = 0; i < 4; i++) sc->watches[i] = store_watch(p->store, kinds[i], watch_cb, sc);
  plane_add_controller(p, SCHEDULE_CONTROLLER_NAME, sc->o.period, sync_cb, sc);
  return sc;
}

void schedule_controller_free(schedule_controller *sc) {
  if (!sc) return;
  for (int i = 0; i < 4; i++) store_unwatch(sc->p->store, sc->watches[i]);
  for (size_t i = 0; i < sc->not_ready.len; i++) free(sc->not_ready.items[i].cluster);
  sw_vec_free(&sc->not_ready);
  sw_arena_free(sc->arena);
  free(sc);
}
