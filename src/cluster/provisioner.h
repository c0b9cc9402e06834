/*
 * provisioner.h — the cluster autoscaler's decisions for elastic node pools,
 * as a pure function of the pools, the nodes and the pods the scheduler could
 * not place (cluster-autoscaler semantics, with ACK's inventory awareness).
 *
 * Scale-up: each unschedulable pod, in the order given (oldest first), is
 * fitted, pool by pool in preference order — the selecting ResourcePolicy's
 * units in order, else the pools in the Cluster's listing order (the
 * "priority" expander) — first onto room on nodes already being provisioned,
 * then onto a new node of the pool. A pool is skipped when it is static, too
 * small for the pod, does not match the pod's nodeSelector, is at maxNodes,
 * or has no inventory left (the next pool is tried: inventory-aware
 * provisioning). New nodes are bin-packed: several small pods share one.
 *
 * Scale-down: a Ready node of an elastic pool with no pods for at least
 * scaleDownUnneededSeconds is removed while its pool stays >= minNodes
 * (cluster-autoscaler's --scale-down-unneeded-time for empty nodes; pods are
 * never moved off non-empty nodes here).
 *
 * Every decision comes with a message in cluster-autoscaler's words, for the
 * TriggeredScaleUp / NotTriggerScaleUp / ScaleDownEmpty events.
 * Pure: no I/O, no clock (now is given), no globals. Inputs are borrowed; the
 * plan owns its arrays (cluster_prov_plan_free).
 */
#ifndef CLUSTER_PROVISIONER_H
#define CLUSTER_PROVISIONER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cluster/placement.h"

typedef struct cluster_prov_pool {
  const char *name;
  bool elastic;
  int gpus_per_node;
  const json_t *labels; /* labels its nodes carry (nodepool-id included) */
  int nodes;            /* nodes now, provisioning ones included, deleting ones excluded */
  int min_nodes, max_nodes;
  int inventory; /* nodes still obtainable; -1 = unlimited */
} cluster_prov_pool;

typedef struct cluster_prov_node {
  const char *name;
  size_t pool;   /* index into pools */
  int gpus_free; /* allocatable minus requested by pods on it */
  bool upcoming; /* being provisioned (not Ready yet) */
  bool deleting;
  int pods;           /* pods on it, terminating ones included */
  double empty_since; /* clock time it last became empty; < 0 when it has pods */
} cluster_prov_node;

typedef struct cluster_prov_pod {
  int gpus;
  const json_t *node_selector; /* NULL = none */
  const cluster_place_unit
      *units; /* selecting ResourcePolicy's units (pods of one policy share the pointer) */
  size_t nunits;
} cluster_prov_pod;

typedef struct cluster_prov_pod_plan {
  int pool;          /* pool it will land in; -1 when no scale-up can help */
  int node;          /* upcoming node (index into nodes) it waits for; -1 otherwise */
  bool triggered;    /* a new node was planned for it */
  char message[512]; /* "pod triggered scale-up: ..." / "pod didn't trigger scale-up: ..." / waiting */
} cluster_prov_pod_plan;

typedef struct cluster_prov_plan {
  int *add;                    /* per pool: nodes to provision now */
  cluster_prov_pod_plan *pods; /* per pod */
  size_t *remove;              /* node indices to remove (empty for long enough) */
  size_t nremove;
  char **notes; /* inventory decisions, e.g. "node pool a has no inventory left; trying node pool b" */
  size_t nnotes;
} cluster_prov_plan;

typedef struct cluster_prov_input {
  const cluster_prov_pool *pools;
  size_t npools;
  const cluster_prov_node *nodes;
  size_t nnodes;
  const cluster_prov_pod *pods;
  size_t npods;
  double now;
  double unneeded_seconds;
} cluster_prov_input;

void cluster_prov_plan_compute(const cluster_prov_input *in, cluster_prov_plan *out);
void cluster_prov_plan_free(cluster_prov_plan *plan);

#endif
