/*
 * estimate.h — the estimator: for one workload, how many of its replicas each
 * member cluster can hold, computed purely from store objects (Cluster, Node,
 * Pod) — never by asking a driver.
 *
 * Role in the data flow: the controller lists Clusters, Nodes and Pods once
 * per sync and builds a schedule_fleet snapshot; for each Deployment it asks
 * schedule_estimate() for a schedule_cluster per member cluster and hands those to
 * schedule_place(). The equivalent in Karmada is the scheduler-estimator's
 * MaxAvailableReplicas (per node: the minimum over requested resources of
 * free / request, summed over ready nodes that match the node selector).
 *
 * Rules (docs/schedule.md):
 *  - available: replicas of the template that fit on the cluster's ready,
 *    schedulable nodes matching the template's nodeSelector, where the
 *    workload's own (non-terminating) pods count as free room (they are
 *    re-divided). A requested resource the node does not declare limits to 0
 *    when it is an extended resource (a name with a '/', like nvidia.com/gpu)
 *    and is not limiting otherwise (cpu/memory the driver does not model).
 *    Node allocatable "pods" caps the pod count (110 per node when nothing
 *    else limits).
 *  - provisionable (only with autoScaling.ecsProvision): what elastic pools
 *    matching the nodeSelector can still add — the pool's reported
 *    headroomNodes (else min(maxNodes - existing - provisioning, inventory
 *    left)) new nodes, plus the nodes already being provisioned, times the
 *    replicas a node of gpusPerNode holds — less the
 *    pending pods of other workloads in that cluster, which will take that
 *    room first.
 *  - health: a cluster whose Ready condition is not True holds its replicas
 *    (available = the replicas it has, nothing new) for tolerationSeconds
 *    after the condition changed; after that it is not ready and estimates 0.
 *
 * Pure: `now` is passed in. The snapshot borrows the JSON arrays it was built
 * from (they must outlive it); its own memory lives in the caller's arena.
 */
#ifndef SCHEDULE_ESTIMATE_H
#define SCHEDULE_ESTIMATE_H

#include <jansson.h>
#include <stdbool.h>

#include "base/sw.h"
#include "schedule/placement.h"

#define SCHEDULE_LABEL_CLUSTER "spillway.io/cluster"
#define SCHEDULE_LABEL_NODEPOOL "alibabacloud.com/nodepool-id"
#define SCHEDULE_ANN_OWNER "spillway.io/owner"
#define SCHEDULE_DEFAULT_TOLERATION 300.0 /* seconds; Cluster spec.tolerationSeconds */
#define SCHEDULE_DEFAULT_MAX_PODS 110     /* kubelet's default maxPods */

typedef struct schedule_res {
  const char *name;
  double value;
} schedule_res;

typedef struct schedule_resources {
  schedule_res *items;
  size_t n;
} schedule_resources;

typedef struct schedule_node {
  const char *name;
  size_t cluster;       /* index in schedule_fleet.clusters */
  const json_t *labels; /* borrowed */
  bool ready;           /* Ready True and not spec.unschedulable */
  schedule_resources allocatable;
  schedule_resources used; /* requests of every pod bound here that has not finished */
  int64_t pods;            /* pods bound here that have not finished */
} schedule_node;

typedef struct schedule_pool {
  const char *name;
  const json_t *labels; /* spec.nodePools[].labels (borrowed; may be NULL) */
  double gpus_per_node;
  int64_t addable;      /* nodes that can still be added */
  int64_t provisioning; /* nodes being provisioned */
} schedule_pool;

typedef struct schedule_fleet_cluster {
  const char *name;
  schedule_label *labels;
  size_t n_labels;
  schedule_label *fields; /* spec provider / region / zone, for fieldSelector */
  size_t n_fields;
  bool ready;             /* Ready condition True */
  bool reported;          /* has a Ready condition at all (its driver has synced once) */
  double not_ready_since; /* condition's lastTransitionTime; NAN when unknown */
  double toleration;      /* spec.tolerationSeconds or the default */
  schedule_pool *pools;   /* elastic pools only */
  size_t n_pools;
  size_t *nodes; /* indices into schedule_fleet.nodes */
  size_t n_nodes;
} schedule_fleet_cluster;

typedef struct schedule_pod {
  const char *ns, *owner, *cluster, *node; /* node NULL when not bound */
  bool terminating, ready, finished;
  long node_index; /* -1 when unbound or the node is unknown */
  schedule_resources requests;
} schedule_pod;

typedef struct schedule_fleet {
  schedule_fleet_cluster *clusters; /* in the order of the Cluster list */
  size_t n_clusters;
  schedule_node *nodes;
  size_t n_nodes;
  schedule_pod *pods; /* sorted by (namespace, owner) */
  size_t n_pods;
} schedule_fleet;

/* Builds the snapshot. Any argument may be NULL (an empty list). Objects of
 * odd shape are skipped, never fatal. */
void schedule_fleet_build(schedule_fleet *f, const json_t *clusters, const json_t *nodes, const json_t *pods,
                          double default_toleration, sw_arena *a);

/* What one replica of a workload needs. */
typedef struct schedule_workload {
  const char *ns, *name;
  schedule_resources requests;   /* per replica: containers' requests (limits when no request) */
  schedule_label *node_selector; /* spec.template.spec.nodeSelector */
  size_t n_node_selector;
} schedule_workload;

/* From a Deployment object (borrowed; must outlive w). */
void schedule_workload_from_deployment(const json_t *deployment, sw_arena *a, schedule_workload *w);

/* The container requests of a pod spec summed (limits stand in for a missing
 * request, as the API server defaults them). */
schedule_resources schedule_pod_requests(const json_t *pod_spec, sw_arena *a);

/* Fills est[f->n_clusters] (same order as f->clusters). prev is the
 * workload's current placement (for held clusters). */
void schedule_estimate(const schedule_fleet *f, const schedule_workload *w, bool ecs_provision,
                       const schedule_count *prev, size_t n_prev, double now, schedule_cluster *est);

#endif
