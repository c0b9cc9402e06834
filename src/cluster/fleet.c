/*
 * fleet.c — the member-cluster layer on the control plane (see fleet.h):
 * Cluster objects -> drivers, ResourceBindings -> workloads, driver state ->
 * Pod/Node objects and Cluster status. Owns the drivers and the caches of
 * what it last wrote; never calls process or socket functions.
 */
#include "cluster/fleet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/driver.h"
#include "cluster/mirror.h"
#include "cluster/resourcepolicy.h"
#include "cluster/spec.h"

#define CTL_DRIVERS "cluster-drivers"
#define CTL_WORKLOADS "cluster-workloads"
#define CTL_MIRROR "cluster-mirror"

typedef struct fcluster {
  cluster_fleet *f;
  char *name;
  char *driver_name;
  char *state_dir;
  cluster_driver *drv;
  json_t *seen; /* {spec, labels, annotations} last handed to the driver */
  char *error;  /* why the driver could not be created/updated */
  double grace; /* spec.healthGraceSeconds */
  bool present;
  /* health */
  bool healthy;
  double unhealthy_since;
  char *health_msg;
  bool ready_known, ready;
  double ready_since;
  /* what was last written to the store */
  json_t *pods;    /* "ns/name" -> Pod */
  json_t *nodes;   /* name -> Node */
  json_t *status;  /* Cluster status */
  json_t *applied; /* "ns/name" -> replicas */
} fcluster;

typedef SW_VEC(fcluster *) fc_vec;

struct cluster_fleet {
  plane *p;
  char *root; /* <state_dir>/clusters */
  char *engine_bin;
  double drain;
  fc_vec clusters;
  int watches[6];
  int nwatches;
  int pending_destroys;
  bool stopping, stopped;
  bool self_delete; /* our own Pod deletions: not a user's */
  void (*done)(void *);
  void *done_ud;
  bool stop_done;      /* cluster_fleet_stop's completion flag */
};

/* ---- helpers ------------------------------------------------------------------ */

static const char *str_at(const json_t *o, const char *a, const char *b) {
  const json_t *v = json_object_get(o, a);
  if (b) v = json_object_get(v, b);
  return json_string_value(v);
}

static fcluster *find_cluster(cluster_fleet *f, const char *name) {
  for (size_t i = 0; i < f->clusters.len; i++)
    if (sw_streq(f->clusters.items[i]->name, name)) return f->clusters.items[i];
  return NULL;
}

static char *key_of(const char *ns, const char *name) { return sw_xasprintf("%s/%s", ns ? ns : "", name); }

static void split_key(const char *key, char **ns, char **name) {
  const char *slash = strchr(key, '/');
  *ns = sw_xstrndup(key, slash ? (size_t)(slash - key) : 0);
  *name = sw_xstrdup(slash ? slash + 1 : key);
}

static void on_event(void *ud, const char *kind, const char *ns, const char *name, const char *type,
                     const char *reason, const char *message) {
  fcluster *fc = ud;
  plane_event(fc->f->p, kind, ns, name, type, reason, "%s", message);
}

static void on_changed(void *ud) {
  fcluster *fc = ud;
  if (!fc->f->stopping) plane_kick(fc->f->p, CTL_MIRROR);
}

static json_t *fingerprint(const json_t *obj) {
  const json_t *meta = json_object_get(obj, "metadata");
  json_t *fp = json_object();
  json_object_set_new(fp, "spec", json_deep_copy(json_object_get(obj, "spec")));
  json_object_set_new(fp, "labels", json_deep_copy(json_object_get(meta, "labels")));
  json_object_set_new(fp, "annotations", json_deep_copy(json_object_get(meta, "annotations")));
  return fp;
}

/* Deletes every Pod and Node this cluster mirrored. */
static void delete_mirrors(cluster_fleet *f, fcluster *fc) {
  sw_err err;
  f->self_delete = true;
  const char *k;
  json_t *v;
  json_object_foreach(fc->pods, k, v) {
    if (store_delete(f->p->store, "Pod", str_at(v, "metadata", "namespace"), str_at(v, "metadata", "name"), 0,
                     &err) != 0 &&
        err.code != SW_ENOENT)
      SW_WARN("cluster", "deleting Pod %s: %s", k, err.msg);
  }
  json_object_foreach(fc->nodes, k, v) {
    if (store_delete(f->p->store, "Node", "", k, 0, &err) != 0 && err.code != SW_ENOENT)
      SW_WARN("cluster", "deleting Node %s: %s", k, err.msg);
  }
  f->self_delete = false;
  json_object_clear(fc->pods);
  json_object_clear(fc->nodes);
}

static void fcluster_free(fcluster *fc) {
  free(fc->name);
  free(fc->driver_name);
  free(fc->state_dir);
  json_decref(fc->seen);
  free(fc->error);
  free(fc->health_msg);
  json_decref(fc->pods);
  json_decref(fc->nodes);
  json_decref(fc->status);
  json_decref(fc->applied);
  free(fc);
}

/* ---- driver lifecycle ---------------------------------------------------------- */

typedef struct destroy_ctx {
  cluster_fleet *f;
  fcluster *fc; /* freed (with its mirrors) once the driver is gone; NULL to keep */
} destroy_ctx;

static void finish_shutdown(cluster_fleet *f);

static void driver_destroyed(void *ud) {
  destroy_ctx *c = ud;
  cluster_fleet *f = c->f;
  if (c->fc) {
    delete_mirrors(f, c->fc);
    fcluster_free(c->fc);
  }
  free(c);
  f->pending_destroys--;
  if (f->stopping && f->pending_destroys == 0) finish_shutdown(f);
}

static void destroy_driver(cluster_fleet *f, fcluster *fc, bool free_cluster) {
  destroy_ctx *c = sw_xcalloc(1, sizeof *c);
  c->f = f;
  c->fc = free_cluster ? fc : NULL;
  cluster_driver *d = fc->drv;
  fc->drv = NULL;
  if (!d) {
    f->pending_destroys++;
    driver_destroyed(c);
    return;
  }
  f->pending_destroys++;
  cluster_driver_destroy(d, driver_destroyed, c);
}

static void create_driver(cluster_fleet *f, fcluster *fc, const json_t *obj, const char *driver) {
  cluster_driver_env env = {f->p->loop, &f->p->clock, fc->state_dir, f->engine_bin,
                            f->drain,   on_event,     on_changed,    fc};
  sw_err err;
  sw_err_clear(&err);
  int rc = cluster_driver_create(driver, &env, obj, &fc->drv, &err);
  if (rc) {
    if (!sw_streq(fc->error, err.msg))
      plane_event(f->p, "Cluster", "", fc->name, "Warning", "DriverFailed", "%s", err.msg);
    free(fc->error);
    fc->error = sw_xstrdup(err.msg);
    return;
  }
  free(fc->error);
  fc->error = NULL;
  free(fc->driver_name);
  fc->driver_name = sw_xstrdup(driver);
  fc->healthy = true;
  fc->unhealthy_since = -1;
  const json_t *spec = json_object_get(obj, "spec");
  plane_event(f->p, "Cluster", "", fc->name, "Normal", "DriverStarted",
              "%s driver started (runtime %s, %zu node pool(s))", driver,
              str_at(spec, "runtime", NULL) ? str_at(spec, "runtime", NULL) : "process",
              json_array_size(json_object_get(spec, "nodePools")));
}

static void sync_drivers(void *self, plane *p, double now) {
  cluster_fleet *f = self;
  (void)now;
  if (f->stopping) return;
  json_t *list = store_list(p->store, "Cluster", NULL);
  for (size_t i = 0; i < f->clusters.len; i++) f->clusters.items[i]->present = false;
  bool any = false;
  size_t i;
  json_t *obj;
  json_array_foreach(list, i, obj) {
    const char *name = str_at(obj, "metadata", "name");
    if (!name || !*name) continue;
    fcluster *fc = find_cluster(f, name);
    if (!fc) {
      fc = sw_xcalloc(1, sizeof *fc);
      fc->f = f;
      fc->name = sw_xstrdup(name);
      char *safe = sw_xstrdup(name);
      for (char *c = safe; *c; c++)
        if (*c == '/' || *c == '.') *c = '_';
      fc->state_dir = sw_xasprintf("%s/%s", f->root, safe);
      free(safe);
      fc->pods = json_object();
      fc->nodes = json_object();
      fc->applied = json_object();
      fc->unhealthy_since = -1;
      sw_vec_push(&f->clusters, fc);
    }
    fc->present = true;
    const json_t *spec = json_object_get(obj, "spec");
    const json_t *g = json_object_get(spec, "healthGraceSeconds");
    fc->grace = json_is_number(g) && json_number_value(g) >= 0 ? json_number_value(g) : 40;
    const char *want = str_at(spec, "driver", NULL);
    if (!want) want = "local";
    json_t *fp = fingerprint(obj);
    if (fc->drv && !sw_streq(fc->driver_name, want)) {
      destroy_driver(f, fc, false);
      json_object_clear(fc->applied);
    }
    if (!fc->drv) {
      if (!fc->seen || !json_equal(fp, fc->seen) || !fc->error) {
        create_driver(f, fc, obj, want);
        any = true;
      }
    } else if (!json_equal(fp, fc->seen)) {
      sw_err err;
      sw_err_clear(&err);
      if (cluster_driver_update(fc->drv, obj, &err) != 0) {
        plane_event(p, "Cluster", "", fc->name, "Warning", "InvalidSpec", "update not applied: %s", err.msg);
        free(fc->error);
        fc->error = sw_xstrdup(err.msg);
      } else {
        free(fc->error);
        fc->error = NULL;
      }
      any = true;
    }
    json_decref(fc->seen);
    fc->seen = fp;
  }
  json_decref(list);
  /* Cluster objects that are gone: stop their replicas, then forget them. */
  size_t j = 0;
  for (size_t k = 0; k < f->clusters.len; k++) {
    fcluster *fc = f->clusters.items[k];
    if (fc->present) {
      f->clusters.items[j++] = fc;
      continue;
    }
    SW_INFO("cluster", "Cluster %s deleted: stopping its replicas", fc->name);
    destroy_driver(f, fc, true);
    any = true;
  }
  f->clusters.len = j;
  if (any) {
    plane_kick(p, CTL_WORKLOADS);
    plane_kick(p, CTL_MIRROR);
  }
}

/* ---- workloads -------------------------------------------------------------------- */

static void sync_workloads(void *self, plane *p, double now) {
  cluster_fleet *f = self;
  (void)now;
  if (f->stopping) return;
  json_t *bindings = store_list(p->store, "ResourceBinding", NULL);
  json_t *policies = store_list(p->store, "ResourcePolicy", NULL);
  for (size_t c = 0; c < f->clusters.len; c++) {
    fcluster *fc = f->clusters.items[c];
    if (!fc->drv) continue;
    json_t *desired = json_object();
    size_t i;
    json_t *b;
    json_array_foreach(bindings, i, b) {
      const json_t *spec = json_object_get(b, "spec");
      const json_t *res = json_object_get(spec, "resource");
      const char *kind = str_at(res, "kind", NULL);
      if (kind && strcmp(kind, "Deployment") != 0) continue;
      const char *name = str_at(res, "name", NULL);
      const char *ns = str_at(res, "namespace", NULL);
      if (!ns) ns = str_at(b, "metadata", "namespace");
      if (!name) continue;
      size_t k;
      json_t *tc;
      json_array_foreach(json_object_get(spec, "clusters"), k, tc) {
        if (!sw_streq(str_at(tc, "name", NULL), fc->name)) continue;
        char *key = key_of(ns, name);
        json_int_t prev = json_integer_value(json_object_get(desired, key));
        json_int_t r = json_integer_value(json_object_get(tc, "replicas"));
        json_object_set_new(desired, key, json_integer(prev + (r > 0 ? r : 0)));
        free(key);
      }
    }
    json_t *kept = json_object();
    const char *key;
    json_t *rv;
    json_object_foreach(desired, key, rv) {
      char *ns, *name;
      split_key(key, &ns, &name);
      json_t *dep = store_get(p->store, "Deployment", ns, name);
      if (dep) {
        const json_t *labels = json_object_get(
            json_object_get(json_object_get(json_object_get(dep, "spec"), "template"), "metadata"), "labels");
        const json_t *rp = cluster_rp_select(policies, ns, labels);
        cluster_workload w = {ns, name, dep, (int)json_integer_value(rv), rp};
        sw_err err;
        sw_err_clear(&err);
        if (cluster_driver_apply(fc->drv, &w, &err) != 0)
          SW_DEBUG("cluster", "cluster %s: workload %s: %s", fc->name, key, err.msg);
        json_object_set(fc->applied, key, rv);
        json_object_set_new(kept, key, json_true());
      }
      json_decref(dep);
      free(ns);
      free(name);
    }
    /* workloads no longer placed here (or whose Deployment is gone): to 0 */
    json_t *gone = json_array();
    json_object_foreach(fc->applied, key, rv) if (!json_object_get(kept, key))
        json_array_append_new(gone, json_string(key));
    json_array_foreach(gone, i, rv) {
      char *ns, *name;
      split_key(json_string_value(rv), &ns, &name);
      sw_err err;
      cluster_driver_delete_workload(fc->drv, ns, name, &err);
      json_object_del(fc->applied, json_string_value(rv));
      free(ns);
      free(name);
    }
    json_decref(gone);
    json_decref(kept);
    json_decref(desired);
  }
  json_decref(bindings);
  json_decref(policies);
}

/* ---- mirror ------------------------------------------------------------------------- */

static void write_object(cluster_fleet *f, json_t *obj, double created) {
  sw_err err;
  const char *kind = str_at(obj, "kind", NULL);
  const char *ns = str_at(obj, "metadata", "namespace");
  const char *name = str_at(obj, "metadata", "name");
  if (store_apply(f->p->store, &obj, 1, created, NULL, &err) != 0) {
    SW_WARN("cluster", "writing %s %s/%s: %s", kind, ns, name, err.msg);
    return;
  }
  /* apply keeps an existing object's status: write it separately */
  if (store_update_status(f->p->store, kind, ns, name, json_object_get(obj, "status"), &err) != 0)
    SW_WARN("cluster", "writing %s %s/%s status: %s", kind, ns, name, err.msg);
}

static void write_status_only(cluster_fleet *f, json_t *obj) {
  sw_err err;
  if (store_update_status(f->p->store, str_at(obj, "kind", NULL), str_at(obj, "metadata", "namespace"),
                          str_at(obj, "metadata", "name"), json_object_get(obj, "status"), &err) != 0 &&
      err.code != SW_ENOENT)
    SW_WARN("cluster", "writing status: %s", err.msg);
}

static void mirror_pods(cluster_fleet *f, fcluster *fc, const cluster_pod_list *pl) {
  json_t *seen = json_object();
  for (size_t i = 0; i < pl->len; i++) {
    const cluster_pod_info *pi = &pl->items[i];
    char *key = key_of(pi->ns, pi->name);
    json_t *obj = cluster_mirror_pod(pi, fc->name);
    json_t *old = json_object_get(fc->pods, key);
    if (!old || !json_equal(old, obj)) {
      write_object(f, obj, pi->created);
      json_object_set(fc->pods, key, obj);
    }
    json_object_set_new(seen, key, json_true());
    json_decref(obj);
    free(key);
  }
  json_t *gone = json_array();
  const char *k;
  json_t *v;
  json_object_foreach(fc->pods, k, v) if (!json_object_get(seen, k)) json_array_append(gone, v);
  size_t i;
  f->self_delete = true;
  json_array_foreach(gone, i, v) {
    const char *ns = str_at(v, "metadata", "namespace"), *name = str_at(v, "metadata", "name");
    sw_err err;
    if (store_delete(f->p->store, "Pod", ns, name, 0, &err) != 0 && err.code != SW_ENOENT)
      SW_WARN("cluster", "deleting Pod %s/%s: %s", ns, name, err.msg);
    char *key = key_of(ns, name);
    json_object_del(fc->pods, key);
    free(key);
  }
  f->self_delete = false;
  json_decref(gone);
  json_decref(seen);
}

static void mirror_nodes(cluster_fleet *f, fcluster *fc, const cluster_node_list *nl) {
  json_t *seen = json_object();
  for (size_t i = 0; i < nl->len; i++) {
    const cluster_node_info *ni = &nl->items[i];
    json_t *obj = cluster_mirror_node(ni, fc->name);
    json_t *old = json_object_get(fc->nodes, ni->name);
    if (!old || !json_equal(old, obj)) {
      write_object(f, obj, ni->created);
      json_object_set(fc->nodes, ni->name, obj);
    }
    json_object_set_new(seen, ni->name, json_true());
    json_decref(obj);
  }
  json_t *gone = json_array();
  const char *k;
  json_t *v;
  json_object_foreach(fc->nodes, k, v) if (!json_object_get(seen, k))
      json_array_append_new(gone, json_string(k));
  size_t i;
  f->self_delete = true;
  json_array_foreach(gone, i, v) {
    sw_err err;
    if (store_delete(f->p->store, "Node", "", json_string_value(v), 0, &err) != 0 && err.code != SW_ENOENT)
      SW_WARN("cluster", "deleting Node %s: %s", json_string_value(v), err.msg);
    json_object_del(fc->nodes, json_string_value(v));
  }
  f->self_delete = false;
  json_decref(gone);
  json_decref(seen);
}

/* The cluster stopped answering: its pods are not ready, its nodes Unknown. */
static void mirror_unreachable(cluster_fleet *f, fcluster *fc, double now) {
  const char *k;
  json_t *v;
  json_object_foreach(fc->pods, k, v) {
    json_t *copy = json_deep_copy(v);
    cluster_mirror_pod_unreachable(copy, fc->name, now);
    if (!json_equal(copy, v)) {
      write_status_only(f, copy);
      json_object_set(fc->pods, k, copy);
    }
    json_decref(copy);
  }
  json_object_foreach(fc->nodes, k, v) {
    json_t *copy = json_deep_copy(v);
    cluster_mirror_node_unreachable(copy, now);
    if (!json_equal(copy, v)) {
      write_status_only(f, copy);
      json_object_set(fc->nodes, k, copy);
    }
    json_decref(copy);
  }
}

static void write_cluster_status(cluster_fleet *f, fcluster *fc, json_t *st) {
  if (fc->status && json_equal(fc->status, st)) {
    json_decref(st);
    return;
  }
  sw_err err;
  if (store_update_status(f->p->store, "Cluster", "", fc->name, st, &err) != 0 && err.code != SW_ENOENT)
    SW_WARN("cluster", "writing Cluster %s status: %s", fc->name, err.msg);
  json_decref(fc->status);
  fc->status = st;
}

static json_t *ready_condition(fcluster *fc, bool ready, double now, const char *reason, const char *msg) {
  if (!fc->ready_known || fc->ready != ready) {
    fc->ready_known = true;
    fc->ready = ready;
    fc->ready_since = now;
    plane_event(fc->f->p, "Cluster", "", fc->name, ready ? "Normal" : "Warning",
                ready ? "ClusterReady" : reason, "%s", msg);
  }
  char t[32];
  sw_time_format(fc->ready_since, t, sizeof t);
  return json_pack("[{s:s,s:s,s:s,s:s,s:s}]", "type", "Ready", "status", ready ? "True" : "False", "reason",
                   reason, "message", msg, "lastTransitionTime", t);
}

/* Every Deployment's status from its pods across the member clusters (what
 * `get deploy` shows and `rollout status` waits on); written only when it
 * changed, so a steady fleet writes nothing. */
static void write_deployment_status(cluster_fleet *f, double now) {
  json_t *deps = store_list(f->p->store, "Deployment", NULL), *pods = store_list(f->p->store, "Pod", NULL);
  json_t *by_owner = json_object(); /* "ns/name" -> [pods] */
  size_t i;
  json_t *o;
  json_array_foreach(pods, i, o) {
    const char *owner = json_string_value(json_object_get(
        json_object_get(json_object_get(o, "metadata"), "annotations"), CLUSTER_ANN_OWNER));
    const char *ns = str_at(o, "metadata", "namespace");
    if (!owner || !*owner || !ns) continue;
    char *key = key_of(ns, owner);
    json_t *list = json_object_get(by_owner, key);
    if (!list) json_object_set_new(by_owner, key, list = json_array());
    json_array_append(list, o);
    free(key);
  }
  json_t *none = json_array();
  json_array_foreach(deps, i, o) {
    const char *ns = str_at(o, "metadata", "namespace"), *name = str_at(o, "metadata", "name");
    if (!ns || !name) continue;
    char *key = key_of(ns, name);
    const json_t *mine = json_object_get(by_owner, key);
    free(key);
    const json_t *old = json_object_get(o, "status");
    json_t *st = cluster_deployment_status(o, mine ? mine : none, old, now);
    sw_err err;
    if (!json_equal(old, st) && store_update_status(f->p->store, "Deployment", ns, name, st, &err) != 0 &&
        err.code != SW_ENOENT)
      SW_WARN("cluster", "writing Deployment %s/%s status: %s", ns, name, err.msg);
    json_decref(st);
  }
  json_decref(none);
  json_decref(by_owner);
  json_decref(pods);
  json_decref(deps);
}

static void sync_mirror(void *self, plane *p, double now) {
  cluster_fleet *f = self;
  if (f->stopping) return;
  for (size_t c = 0; c < f->clusters.len; c++) {
    fcluster *fc = f->clusters.items[c];
    if (!fc->drv) {
      json_t *st = json_object();
      json_object_set_new(
          st, "conditions",
          ready_condition(fc, false, now, "DriverFailed", fc->error ? fc->error : "no driver"));
      write_cluster_status(f, fc, st);
      continue;
    }
    sw_err err;
    sw_err_clear(&err);
    if (cluster_driver_health(fc->drv, &err) == 0) {
      fc->healthy = true;
      fc->unhealthy_since = -1;
    } else {
      if (fc->healthy || fc->unhealthy_since < 0) fc->unhealthy_since = now;
      fc->healthy = false;
      free(fc->health_msg);
      fc->health_msg = sw_xstrdup(err.msg);
    }
    cluster_pod_list pl;
    cluster_node_list nl;
    cluster_pool_list pools;
    bool reachable = cluster_driver_list_pods(fc->drv, &pl, &err) == 0;
    if (reachable) {
      mirror_pods(f, fc, &pl);
      cluster_pod_list_free(&pl);
    }
    if (cluster_driver_list_nodes(fc->drv, &nl, &err) == 0) {
      mirror_nodes(f, fc, &nl);
      cluster_node_list_free(&nl);
    } else
      reachable = false;
    if (!reachable) mirror_unreachable(f, fc, now);
    json_t *st;
    if (cluster_driver_list_pools(fc->drv, &pools, &err) == 0) {
      st = cluster_mirror_pools(&pools);
      cluster_pool_list_free(&pools);
    } else {
      st = fc->status ? json_deep_copy(fc->status) : json_object();
    }
    /* Ready: healthy, or not unhealthy for longer than healthGraceSeconds */
    json_t *conds;
    if (fc->healthy) {
      conds =
          ready_condition(fc, true, now, "ClusterReady", "cluster is healthy and ready to accept workloads");
    } else if (now - fc->unhealthy_since >= fc->grace) {
      char msg[1100];
      snprintf(msg, sizeof msg, "cluster is not reachable: %s", fc->health_msg ? fc->health_msg : "");
      conds = ready_condition(fc, false, now, "ClusterNotReachable", msg);
    } else {
      conds =
          ready_condition(fc, fc->ready_known ? fc->ready : true, now,
                          fc->ready_known && !fc->ready ? "ClusterNotReachable" : "ClusterReady",
                          fc->ready_known && !fc->ready ? "cluster is not reachable"
                                                        : "cluster is healthy and ready to accept workloads");
    }
    json_object_set_new(st, "conditions", conds);
    json_object_set_new(st, "driver", json_string(fc->driver_name ? fc->driver_name : "local"));
    if (fc->error)
      json_object_set_new(st, "lastError", json_string(fc->error));
    else
      json_object_del(st, "lastError");
    write_cluster_status(f, fc, st);
  }
  write_deployment_status(f, now);
}

/* ---- watches ------------------------------------------------------------------------ */

static void watch_clusters(void *ud, store_event_type type, const json_t *obj) {
  cluster_fleet *f = ud;
  (void)type;
  (void)obj;
  if (!f->stopping) plane_kick(f->p, CTL_DRIVERS);
}

static void watch_workloads(void *ud, store_event_type type, const json_t *obj) {
  cluster_fleet *f = ud;
  (void)type;
  (void)obj;
  if (!f->stopping) plane_kick(f->p, CTL_WORKLOADS);
}

/* A Pod object deleted by someone else (`spillway delete pod`): delete the
 * pod gracefully, as the API server's graceful deletion would; the workload
 * replaces it. */
static void watch_pods(void *ud, store_event_type type, const json_t *obj) {
  cluster_fleet *f = ud;
  if (type != STORE_DELETED || f->self_delete || f->stopping) return;
  const char *cluster = json_string_value(
      json_object_get(json_object_get(json_object_get(obj, "metadata"), "labels"), CLUSTER_LABEL_CLUSTER));
  fcluster *fc = cluster ? find_cluster(f, cluster) : NULL;
  if (!fc || !fc->drv) return;
  const char *ns = str_at(obj, "metadata", "namespace"), *name = str_at(obj, "metadata", "name");
  char *key = key_of(ns, name);
  if (json_object_get(fc->pods, key)) {
    sw_err err;
    json_object_del(fc->pods, key); /* the mirror writes it again, Terminating, until it is gone */
    if (cluster_driver_delete_pod(fc->drv, ns, name, &err) != 0)
      SW_DEBUG("cluster", "deleting pod %s: %s", key, err.msg);
    plane_kick(f->p, CTL_MIRROR);
  }
  free(key);
}

/* A mirrored Node object deleted by someone else comes back on the next sync:
 * the driver still has the node (nodes go through the driver's pools). */
static void watch_nodes(void *ud, store_event_type type, const json_t *obj) {
  cluster_fleet *f = ud;
  if (type != STORE_DELETED || f->self_delete || f->stopping) return;
  const char *cluster = json_string_value(
      json_object_get(json_object_get(json_object_get(obj, "metadata"), "labels"), CLUSTER_LABEL_CLUSTER));
  fcluster *fc = cluster ? find_cluster(f, cluster) : NULL;
  const char *name = str_at(obj, "metadata", "name");
  if (fc && name && json_object_get(fc->nodes, name)) {
    json_object_del(fc->nodes, name);
    plane_kick(f->p, CTL_MIRROR);
  }
}

/* ---- start / stop ------------------------------------------------------------------- */

/* Objects mirrored by an earlier run describe replicas that no longer exist. */
static void delete_stale(plane *p, const char *kind) {
  json_t *list = store_list(p->store, kind, NULL);
  size_t i;
  json_t *o;
  json_array_foreach(list, i, o) {
    if (!json_object_get(json_object_get(json_object_get(o, "metadata"), "labels"), CLUSTER_LABEL_CLUSTER))
      continue;
    sw_err err;
    store_delete(p->store, kind, str_at(o, "metadata", "namespace"), str_at(o, "metadata", "name"), 0, &err);
  }
  json_decref(list);
}

cluster_fleet *cluster_fleet_start(plane *p, const cluster_fleet_opts *opts, sw_err *err) {
  cluster_fleet_opts o = {0};
  o.drain_seconds = -1;
  if (opts) o = *opts;
  const char *state = o.state_dir ? o.state_dir : p->state_dir ? p->state_dir : "./spillway-state";
  cluster_fleet *f = sw_xcalloc(1, sizeof *f);
  f->p = p;
  f->root = sw_xasprintf("%s/clusters", state);
  f->engine_bin =
      o.engine_bin ? sw_xstrdup(o.engine_bin) : NULL; /* NULL: the driver resolves /proc/self/exe */
  f->drain = o.drain_seconds >= 0 ? o.drain_seconds : 2;
  const cluster_driver_ops *const *all = cluster_driver_all();
  for (size_t i = 0; all[i]; i++) {
    if (!all[i]->recover) continue;
    if (all[i]->recover(f->root, err) != 0) {
      sw_err_prefix(err, "cleaning replicas of an earlier run (%s driver)", all[i]->name);
      free(f->root);
      free(f->engine_bin);
      free(f);
      return NULL;
    }
  }
  delete_stale(p, "Pod");
  delete_stale(p, "Node");
  f->watches[f->nwatches++] = store_watch(p->store, "Cluster", watch_clusters, f);
  f->watches[f->nwatches++] = store_watch(p->store, "ResourceBinding", watch_workloads, f);
  f->watches[f->nwatches++] = store_watch(p->store, "Deployment", watch_workloads, f);
  f->watches[f->nwatches++] = store_watch(p->store, "ResourcePolicy", watch_workloads, f);
  f->watches[f->nwatches++] = store_watch(p->store, "Pod", watch_pods, f);
  f->watches[f->nwatches++] = store_watch(p->store, "Node", watch_nodes, f);
  plane_add_controller(p, CTL_DRIVERS, 5, sync_drivers, f);
  plane_add_controller(p, CTL_WORKLOADS, 2, sync_workloads, f);
  plane_add_controller(p, CTL_MIRROR, 1, sync_mirror, f);
  p->fleet = f;
  return f;
}

static void finish_shutdown(cluster_fleet *f) {
  if (f->stopped) return;
  f->stopped = true;
  if (f->p->fleet == f) f->p->fleet = NULL;
  for (int i = 0; i < f->nwatches; i++) store_unwatch(f->p->store, f->watches[i]);
  f->nwatches = 0;
  void (*done)(void *) = f->done;
  f->done = NULL;
  if (done) done(f->done_ud);
}

void cluster_fleet_shutdown(cluster_fleet *f, void (*done)(void *ud), void *ud) {
  if (f->stopping) {
    if (f->stopped && done)
      done(ud);
    else if (done) {
      f->done = done;
      f->done_ud = ud;
    }
    return;
  }
  f->stopping = true;
  f->done = done;
  f->done_ud = ud;
  f->pending_destroys++; /* held while starting the destroys */
  for (size_t i = 0; i < f->clusters.len; i++) destroy_driver(f, f->clusters.items[i], true);
  f->clusters.len = 0;
  f->pending_destroys--;
  if (f->pending_destroys == 0) finish_shutdown(f);
}

static void set_flag(void *ud) { ((cluster_fleet *)ud)->stop_done = true; }

void cluster_fleet_stop(cluster_fleet *f) {
  if (!f || f->stopped) return;
  /* the flag lives in f, not on this stack: f->done_ud outlives the call */
  f->stop_done = false;
  cluster_fleet_shutdown(f, set_flag, f);
  while (!f->stop_done && !f->stopped) uv_run(f->p->loop, UV_RUN_ONCE);
}

void cluster_fleet_free(cluster_fleet *f) {
  if (!f) return;
  for (size_t i = 0; i < f->clusters.len; i++) fcluster_free(f->clusters.items[i]);
  sw_vec_free(&f->clusters);
  free(f->root);
  free(f->engine_bin);
  free(f);
}

size_t cluster_fleet_size(const cluster_fleet *f) {
  size_t n = 0;
  for (size_t i = 0; i < f->clusters.len; i++) n += f->clusters.items[i]->drv != NULL;
  return n;
}
