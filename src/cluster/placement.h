/*
 * placement.h — which node a pod goes to inside one cluster, and which pods
 * go first when a workload scales in. Pure functions over plain data: every
 * embedded driver (local now, simulated later) calls them with its own view
 * of nodes and pods.
 *
 * Placement reproduces what kube-scheduler does with the parts that matter
 * for GPU replicas: the NodeResourcesFit filter on nvidia.com/gpu, the
 * NodeSelector filter (including alibabacloud.com/nodepool-id), the not-ready
 * taint, and ACK's ResourcePolicy (units in order, strategy prefer: the first
 * unit with room wins; `max` pods per unit). Within a unit, the node that is
 * left fullest wins (bin packing, as the MostAllocated scoring strategy that
 * cluster-autoscaler recommends for GPU pools), ties by node order. When
 * nothing fits, the message has kube-scheduler's shape:
 *   "0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 node(s) didn't
 *    match Pod's node affinity/selector."
 *
 * Ownership: everything is borrowed for the duration of the call.
 */
#ifndef CLUSTER_PLACEMENT_H
#define CLUSTER_PLACEMENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct cluster_place_node {
  const char *name;
  const json_t *labels; /* node labels (pool labels, nodepool-id, cluster) */
  int gpus_allocatable;
  int gpus_used; /* by pods placed on it, terminating ones included */
  bool ready;
  bool schedulable; /* false while the node is being removed */
} cluster_place_node;

/* One ResourcePolicy unit as seen by one pod. */
typedef struct cluster_place_unit {
  const json_t *node_selector; /* nodes of the unit */
  int max;                     /* pods of the policy allowed in the unit; -1 = no limit */
  int count;                   /* pods of the policy already in the unit */
  bool local;                  /* false for eci/acs units: no node here can back them */
} cluster_place_unit;

typedef struct cluster_place_req {
  int gpus;
  const json_t *node_selector;     /* the pod's nodeSelector; NULL = none */
  const cluster_place_unit *units; /* the selecting ResourcePolicy's units, in order */
  size_t nunits;                   /* 0: no ResourcePolicy selects the pod */
} cluster_place_req;

typedef struct cluster_place_result {
  int node;          /* index into nodes, -1 when nothing fits */
  int unit;          /* unit of the chosen node, -1 without a policy */
  char message[512]; /* when node == -1: why, in kube-scheduler's words */
} cluster_place_result;

/* Chooses a node for one pod. Returns result->node. */
int cluster_place(const cluster_place_node *nodes, size_t n, const cluster_place_req *req,
                  cluster_place_result *result);

/* The first unit whose nodeSelector matches the node's labels (and that can
 * hold local nodes), or -1. */
int cluster_unit_of(const cluster_place_unit *units, size_t nunits, const json_t *node_labels);

/* Scale-in order. The caller fills one entry per candidate pod and gets them
 * back sorted: the first is removed first. */
typedef struct cluster_victim {
  size_t index;   /* caller's own index, carried through */
  bool scheduled; /* has a node */
  int unit;       /* ResourcePolicy unit of its node; -1 = in no unit (or no policy: use 0) */
  bool ready;
  double created;   /* creation time (clock seconds) */
  const char *name; /* tie-break, for a stable order */
} cluster_victim;

/* Order: unscheduled pods first; then pods in the last ResourcePolicy unit
 * first (pods on nodes in no unit before all units, as ACK scales in pods
 * placed outside the policy first); then not-ready before ready; then newest
 * first (as the ReplicaSet controller ranks pods); then by name. */
void cluster_victims_sort(cluster_victim *v, size_t n);

#endif
