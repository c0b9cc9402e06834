/*
 * driver.c — the table of drivers built into this binary and the thin
 * dispatch wrappers over their ops. Owns nothing else.
 */
#include "cluster/driver.h"

#include <stdlib.h>
#include <string.h>

#include "cluster/local.h"

static const cluster_driver_ops *const drivers[] = {&cluster_local_ops, NULL};

const cluster_driver_ops *const *cluster_driver_all(void) { return drivers; }

const cluster_driver_ops *cluster_driver_lookup(const char *name) {
  for (size_t i = 0; drivers[i]; i++)
    if (sw_streq(drivers[i]->name, name)) return drivers[i];
  return NULL;
}

const char *cluster_pod_phase_name(cluster_pod_phase p) {
  switch (p) {
  case CLUSTER_POD_PENDING:
    return "Pending";
  case CLUSTER_POD_RUNNING:
    return "Running";
  case CLUSTER_POD_SUCCEEDED:
    return "Succeeded";
  case CLUSTER_POD_FAILED:
    return "Failed";
  default:
    return "Unknown";
  }
}

int cluster_driver_create(const char *driver, const cluster_driver_env *env, const json_t *cluster,
                          cluster_driver **out, sw_err *err) {
  *out = NULL;
  const cluster_driver_ops *ops = cluster_driver_lookup(driver ? driver : "local");
  if (!ops)
    return sw_err_set(err, SW_EINVAL, "spec.driver: \"%s\" is not built into this binary (available: local)",
                      driver);
  return ops->create(env, cluster, out, err);
}

int cluster_driver_update(cluster_driver *d, const json_t *cluster, sw_err *err) {
  return d->ops->update(d, cluster, err);
}
int cluster_driver_apply(cluster_driver *d, const cluster_workload *w, sw_err *err) {
  return d->ops->apply_workload(d, w, err);
}
int cluster_driver_delete_workload(cluster_driver *d, const char *ns, const char *name, sw_err *err) {
  return d->ops->delete_workload(d, ns, name, err);
}
int cluster_driver_list_pods(cluster_driver *d, cluster_pod_list *out, sw_err *err) {
  return d->ops->list_pods(d, out, err);
}
int cluster_driver_delete_pod(cluster_driver *d, const char *ns, const char *name, sw_err *err) {
  return d->ops->delete_pod(d, ns, name, err);
}
int cluster_driver_list_nodes(cluster_driver *d, cluster_node_list *out, sw_err *err) {
  return d->ops->list_nodes(d, out, err);
}
int cluster_driver_list_pools(cluster_driver *d, cluster_pool_list *out, sw_err *err) {
  return d->ops->list_pools(d, out, err);
}
int cluster_driver_health(cluster_driver *d, sw_err *err) { return d->ops->health(d, err); }
void cluster_driver_destroy(cluster_driver *d, void (*done)(void *ud), void *ud) {
  d->ops->destroy(d, done, ud);
}

void cluster_pod_list_free(cluster_pod_list *l) {
  for (size_t i = 0; i < l->len; i++) {
    cluster_pod_info *p = &l->items[i];
    free(p->ns);
    free(p->name);
    free(p->workload);
    free(p->template_hash);
    json_decref(p->pod_template);
    json_decref(p->labels);
    json_decref(p->annotations);
    free(p->node);
    free(p->pool);
    free(p->host);
    free(p->reason);
    free(p->message);
    free(p->container_name);
    free(p->container_state);
    free(p->container_reason);
    free(p->container_message);
    free(p->log_path);
  }
  free(l->items);
  memset(l, 0, sizeof *l);
}

void cluster_node_list_free(cluster_node_list *l) {
  for (size_t i = 0; i < l->len; i++) {
    free(l->items[i].name);
    free(l->items[i].pool);
    json_decref(l->items[i].labels);
    json_decref(l->items[i].devices);
  }
  free(l->items);
  memset(l, 0, sizeof *l);
}

void cluster_pool_list_free(cluster_pool_list *l) {
  for (size_t i = 0; i < l->len; i++) free(l->items[i].name);
  free(l->items);
  memset(l, 0, sizeof *l);
}
