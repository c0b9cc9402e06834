/*
 * mirror.c — builds Pod, Node and Cluster-status JSON from driver structs, as
 * the kubelet and node controller would report them. Pure.
 */
#include "cluster/mirror.h"

#include <stdio.h>
#include <string.h>

#include "cluster/spec.h"

static json_t *ts(double t) {
  if (t <= 0) return json_null();
  char b[32];
  sw_time_format(t, b, sizeof b);
  return json_string(b);
}

static json_t *condition(const char *type, bool status, double since, const char *reason,
                         const char *message) {
  json_t *c = json_pack("{s:s,s:s,s:o}", "type", type, "status", status ? "True" : "False",
                        "lastTransitionTime", ts(since));
  if (reason) json_object_set_new(c, "reason", json_string(reason));
  if (message) json_object_set_new(c, "message", json_string(message));
  return c;
}

static json_t *terminated_state(const cluster_pod_info *p) {
  return json_pack("{s:{s:i,s:s,s:o}}", "terminated", "exitCode", p->exit_code, "reason",
                   p->exit_code == 0 ? "Completed" : "Error", "finishedAt", ts(p->last_exit_at));
}

json_t *cluster_mirror_pod(const cluster_pod_info *p, const char *cluster) {
  json_t *labels = p->labels ? json_deep_copy(p->labels) : json_object();
  json_object_set_new(labels, CLUSTER_LABEL_CLUSTER, json_string(cluster));
  json_t *ann = p->annotations ? json_deep_copy(p->annotations) : json_object();
  json_object_set_new(ann, CLUSTER_ANN_OWNER, json_string(p->workload ? p->workload : ""));
  if (p->log_path) json_object_set_new(ann, CLUSTER_ANN_LOG_PATH, json_string(p->log_path));
  if (p->pool) json_object_set_new(ann, CLUSTER_ANN_POOL, json_string(p->pool));
  if (p->unit >= 0) {
    char b[16];
    snprintf(b, sizeof b, "%d", p->unit);
    json_object_set_new(ann, CLUSTER_ANN_UNIT, json_string(b));
  }
  json_t *meta = json_pack("{s:s,s:s,s:o,s:o}", "name", p->name, "namespace", p->ns, "labels", labels,
                           "annotations", ann);
  if (p->terminating) json_object_set_new(meta, "deletionTimestamp", ts(p->deletion_at));
  /* spec: the template's pod spec, bound to its node */
  const json_t *tspec = json_object_get(p->pod_template, "spec");
  json_t *spec = json_is_object(tspec) ? json_deep_copy(tspec) : json_object();
  if (p->node) json_object_set_new(spec, "nodeName", json_string(p->node));

  json_t *st = json_object();
  json_object_set_new(st, "phase", json_string(cluster_pod_phase_name(p->phase)));
  bool cready = p->ready && !p->terminating;
  char notready[256];
  snprintf(notready, sizeof notready, "containers with unready status: [%s]",
           p->container_name ? p->container_name : "");
  json_t *conds = json_array();
  if (p->scheduled) {
    json_array_append_new(conds, condition("Initialized", true, p->scheduled_at, NULL, NULL));
    json_array_append_new(conds, condition("Ready", cready, p->ready_changed_at,
                                           cready ? NULL : "ContainersNotReady", cready ? NULL : notready));
    json_array_append_new(conds, condition("ContainersReady", cready, p->ready_changed_at,
                                           cready ? NULL : "ContainersNotReady", cready ? NULL : notready));
    json_array_append_new(conds, condition("PodScheduled", true, p->scheduled_at, NULL, NULL));
  } else {
    json_array_append_new(conds, condition("Ready", false, p->created, NULL, NULL));
    json_array_append_new(conds, condition("PodScheduled", false, p->created, p->reason ? p->reason : NULL,
                                           p->message ? p->message : NULL));
  }
  json_object_set_new(st, "conditions", conds);
  /* No top-level reason for an unschedulable pod: kubectl shows it Pending,
   * and the why is in the PodScheduled condition and the events. */
  if (p->scheduled) {
    json_object_set_new(st, "hostIP", json_string(p->host ? p->host : "127.0.0.1"));
    json_object_set_new(st, "podIP", json_string(p->host ? p->host : "127.0.0.1"));
    json_object_set_new(st, "startTime", ts(p->scheduled_at));
    json_t *cs = json_object();
    json_object_set_new(cs, "name", json_string(p->container_name ? p->container_name : ""));
    json_object_set_new(cs, "ready", json_boolean(cready));
    json_object_set_new(cs, "restartCount", json_integer(p->restarts));
    json_object_set_new(cs, "started", json_boolean(p->started_at > 0));
    size_t ci;
    const json_t *ct;
    json_array_foreach(json_object_get(tspec, "containers"), ci, ct) {
      const char *image = json_string_value(json_object_get(ct, "image"));
      if (image && sw_streq(json_string_value(json_object_get(ct, "name")), p->container_name)) {
        json_object_set_new(cs, "image", json_string(image));
        break;
      }
    }
    json_t *state;
    if (sw_streq(p->container_state, "running"))
      state = json_pack("{s:{s:o}}", "running", "startedAt", ts(p->started_at));
    else if (sw_streq(p->container_state, "terminated"))
      state = terminated_state(p);
    else {
      json_t *w = json_object();
      if (p->container_reason) json_object_set_new(w, "reason", json_string(p->container_reason));
      if (p->container_message) json_object_set_new(w, "message", json_string(p->container_message));
      state = json_pack("{s:o}", "waiting", w);
    }
    json_object_set_new(cs, "state", state);
    if (p->last_exit_at > 0 && !sw_streq(p->container_state, "terminated"))
      json_object_set_new(cs, "lastState", terminated_state(p));
    json_object_set_new(st, "containerStatuses", json_pack("[o]", cs));
    json_t *pm = json_object();
    for (int i = 0; i < p->nports && i < CLUSTER_POD_MAX_PORTS; i++) {
      char k[16];
      snprintf(k, sizeof k, "%d", p->container_ports[i]);
      json_object_set_new(pm, k, json_integer(p->host_ports[i]));
    }
    json_object_set_new(st, "portMap", pm);
  }
  json_object_set_new(st, "qosClass", json_string("BestEffort"));
  return json_pack("{s:s,s:s,s:o,s:o,s:o}", "apiVersion", "v1", "kind", "Pod", "metadata", meta, "spec", spec,
                   "status", st);
}

static json_t *gpus(int n) {
  char b[16];
  snprintf(b, sizeof b, "%d", n);
  return json_pack("{s:s}", CLUSTER_GPU_RESOURCE, b);
}

json_t *cluster_mirror_node(const cluster_node_info *n, const char *cluster) {
  json_t *labels = n->labels ? json_deep_copy(n->labels) : json_object();
  json_object_set_new(labels, CLUSTER_LABEL_CLUSTER, json_string(cluster));
  json_t *ann = json_object();
  json_object_set_new(ann, CLUSTER_ANN_POOL, json_string(n->pool ? n->pool : ""));
  if (n->price_per_gpu_hour > 0) {
    char b[32];
    snprintf(b, sizeof b, "%g", n->price_per_gpu_hour);
    json_object_set_new(ann, "spillway.io/price-per-gpu-hour", json_string(b));
  }
  if (n->devices) {
    char *ids = json_dumps(n->devices, JSON_COMPACT);
    json_object_set_new(ann, "spillway.io/gpu-devices", json_string(ids ? ids : "[]"));
    free(ids);
  }
  json_t *meta =
      json_pack("{s:s,s:s,s:o,s:o}", "name", n->name, "namespace", "", "labels", labels, "annotations", ann);
  char provider[512];
  snprintf(provider, sizeof provider, "spillway://%s/%s", cluster, n->name);
  json_t *spec = json_pack("{s:s}", "providerID", provider);
  if (n->deleting) json_object_set_new(spec, "unschedulable", json_true());
  const char *reason = n->ready ? "KubeletReady" : n->provisioning ? "NodeProvisioning" : "NodeDeleting";
  const char *msg = n->ready          ? "kubelet is posting ready status"
                    : n->provisioning ? "the node is being provisioned by the cluster autoscaler"
                                      : "the node is being removed";
  json_t *st = json_object();
  json_object_set_new(st, "capacity", gpus(n->gpus));
  json_object_set_new(st, "allocatable", gpus(n->gpus));
  json_object_set_new(st, "allocated", gpus(n->gpus_used));
  json_object_set_new(st, "conditions",
                      json_pack("[o]", condition("Ready", n->ready, n->ready_changed_at, reason, msg)));
  json_object_set_new(st, "addresses",
                      json_pack("[{s:s,s:s},{s:s,s:s}]", "type", "InternalIP", "address", "127.0.0.1", "type",
                                "Hostname", "address", n->name));
  json_object_set_new(st, "pods", json_integer(n->pods));
  return json_pack("{s:s,s:s,s:o,s:o,s:o}", "apiVersion", "v1", "kind", "Node", "metadata", meta, "spec",
                   spec, "status", st);
}

json_t *cluster_mirror_pools(const cluster_pool_list *pools) {
  json_t *arr = json_array();
  int alloc = 0, used = 0, headroom = 0;
  for (size_t i = 0; i < pools->len; i++) {
    const cluster_pool_info *p = &pools->items[i];
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(p->name));
    json_object_set_new(o, "type", json_string(p->elastic ? "elastic" : "static"));
    json_object_set_new(o, "gpusPerNode", json_integer(p->gpus_per_node));
    json_object_set_new(o, "nodes", json_integer(p->nodes));
    json_object_set_new(o, "readyNodes", json_integer(p->ready_nodes));
    json_object_set_new(o, "provisioning", json_integer(p->provisioning));
    json_object_set_new(o, "gpus", json_integer(p->gpus));
    json_object_set_new(o, "gpusAllocatable", json_integer(p->gpus_allocatable));
    json_object_set_new(o, "gpusUsed", json_integer(p->gpus_used));
    json_object_set_new(o, "gpusFree", json_integer(p->gpus_allocatable - p->gpus_used));
    json_object_set_new(o, "minNodes", json_integer(p->min_nodes));
    json_object_set_new(o, "maxNodes", json_integer(p->max_nodes));
    /* Nodes that can still be added: up to maxNodes, bounded by inventory.
     * inventoryLeft is absent when unlimited, as inventory is in the spec. */
    int room = p->elastic ? p->max_nodes - p->nodes : 0;
    if (room < 0) room = 0;
    if (p->elastic && p->inventory_left >= 0) {
      json_object_set_new(o, "inventoryLeft", json_integer(p->inventory_left));
      if (p->inventory_left < room) room = p->inventory_left;
    } else if (!p->elastic)
      json_object_set_new(o, "inventoryLeft", json_integer(0));
    json_object_set_new(o, "headroomNodes", json_integer(room));
    json_object_set_new(o, "headroomGPUs", json_integer(room * p->gpus_per_node));
    if (p->price_per_gpu_hour > 0)
      json_object_set_new(o, "pricePerGPUHour", json_real(p->price_per_gpu_hour));
    json_array_append_new(arr, o);
    alloc += p->gpus_allocatable;
    used += p->gpus_used;
    headroom += room * p->gpus_per_node;
  }
  return json_pack("{s:o,s:{s:o,s:o,s:o}}", "pools", arr, "resourceSummary", "allocatable", gpus(alloc),
                   "allocated", gpus(used), "headroom", gpus(headroom));
}

static void set_ready_false(json_t *conds, const char *type, double now, const char *reason,
                            const char *msg) {
  size_t i;
  json_t *c;
  json_array_foreach(conds, i, c) {
    if (!sw_streq(json_string_value(json_object_get(c, "type")), type)) continue;
    if (sw_streq(json_string_value(json_object_get(c, "status")), "True") ||
        !sw_streq(json_string_value(json_object_get(c, "reason")), reason)) {
      json_object_set_new(c, "status",
                          json_string(strcmp(type, "Ready") == 0 && !strcmp(reason, "NodeStatusUnknown")
                                          ? "Unknown"
                                          : "False"));
      json_object_set_new(c, "lastTransitionTime", ts(now));
      json_object_set_new(c, "reason", json_string(reason));
      json_object_set_new(c, "message", json_string(msg));
    }
  }
}

void cluster_mirror_pod_unreachable(json_t *pod, const char *cluster, double now) {
  json_t *st = json_object_get(pod, "status");
  char msg[256];
  snprintf(msg, sizeof msg, "cluster %s is not reachable", cluster);
  set_ready_false(json_object_get(st, "conditions"), "Ready", now, "ClusterUnreachable", msg);
  set_ready_false(json_object_get(st, "conditions"), "ContainersReady", now, "ClusterUnreachable", msg);
  size_t i;
  json_t *cs;
  json_array_foreach(json_object_get(st, "containerStatuses"), i, cs)
      json_object_set_new(cs, "ready", json_false());
}

void cluster_mirror_node_unreachable(json_t *node, double now) {
  set_ready_false(json_object_get(json_object_get(node, "status"), "conditions"), "Ready", now,
                  "NodeStatusUnknown", "Kubelet stopped posting node status.");
}

/* ---- Deployment status ---------------------------------------------------------------- */

static bool pod_ready_since(const json_t *pod, double *since) {
  size_t i;
  const json_t *c;
  json_array_foreach(json_object_get(json_object_get(pod, "status"), "conditions"), i, c) {
    if (!sw_streq(json_string_value(json_object_get(c, "type")), "Ready")) continue;
    if (!sw_streq(json_string_value(json_object_get(c, "status")), "True")) return false;
    *since = 0;
    (void)sw_time_parse(json_string_value(json_object_get(c, "lastTransitionTime")), since);
    return true;
  }
  return false;
}

/* A condition, keeping the old one's lastTransitionTime while its status holds. */
static json_t *dep_condition(const json_t *old_status, const char *type, bool status, const char *reason,
                             const char *message, double now) {
  const char *st = status ? "True" : "False";
  json_t *since = NULL;
  size_t i;
  const json_t *c;
  json_array_foreach(json_object_get(old_status, "conditions"), i, c) {
    if (sw_streq(json_string_value(json_object_get(c, "type")), type) &&
        sw_streq(json_string_value(json_object_get(c, "status")), st) &&
        sw_streq(json_string_value(json_object_get(c, "reason")), reason))
      since = json_incref(json_object_get(c, "lastTransitionTime"));
  }
  return json_pack("{s:s,s:s,s:s,s:s,s:o}", "type", type, "status", st, "reason", reason, "message", message,
                   "lastTransitionTime", since ? since : ts(now));
}

json_t *cluster_deployment_status(const json_t *dep, const json_t *pods, const json_t *old_status, double now) {
  const json_t *spec = json_object_get(dep, "spec");
  const json_t *rep = json_object_get(spec, "replicas");
  json_int_t want = json_is_integer(rep) ? json_integer_value(rep) : 1;
  json_int_t min_ready = json_integer_value(json_object_get(spec, "minReadySeconds"));
  char hash[11];
  cluster_template_hash(json_object_get(spec, "template"), hash);
  json_int_t active = 0, updated = 0, ready = 0, available = 0;
  size_t i;
  const json_t *p;
  json_array_foreach(pods, i, p) {
    const json_t *meta = json_object_get(p, "metadata");
    const char *phase = json_string_value(json_object_get(json_object_get(p, "status"), "phase"));
    if (json_object_get(meta, "deletionTimestamp") || sw_streq(phase, "Succeeded") || sw_streq(phase, "Failed"))
      continue; /* as a ReplicaSet counts: active pods only */
    active++;
    const char *h = json_string_value(json_object_get(json_object_get(meta, "labels"), "pod-template-hash"));
    if (sw_streq(h, hash)) updated++;
    double since;
    if (pod_ready_since(p, &since)) {
      ready++;
      if (since + (double)min_ready <= now) available++;
    }
  }
  /* maxUnavailable defaults to 25 % of the replicas, rounded down */
  json_int_t max_unavailable = want / 4;
  bool avail = available >= want - max_unavailable;
  bool complete = updated == want && active == want && available == want;
  const json_t *gen = json_object_get(json_object_get(dep, "metadata"), "generation");
  json_t *conds = json_pack(
      "[o,o]",
      dep_condition(old_status, "Available", avail, avail ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                    avail ? "Deployment has minimum availability." : "Deployment does not have minimum availability.",
                    now),
      dep_condition(old_status, "Progressing", true, complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                    complete ? "ReplicaSet has successfully progressed." : "ReplicaSet is progressing.", now));
  json_t *st = json_pack("{s:I,s:I,s:I,s:I,s:I,s:o}", "replicas", active, "updatedReplicas", updated,
                         "readyReplicas", ready, "availableReplicas", available, "unavailableReplicas",
                         want - available > 0 ? want - available : (json_int_t)0, "conditions", conds);
  if (json_is_integer(gen)) json_object_set_new(st, "observedGeneration", json_incref((json_t *)gen));
  return st;
}
