/*
 * mirror.h — the shapes member-cluster state takes in the store: Pod and Node
 * objects and the Cluster's status, built from what a driver reports.
 *
 * Role in the data flow: fleet.c writes what these build; the gateway,
 * scraper, autoscaler, scheduler and CLI read them. The shapes follow
 * COMMON conventions (Kubernetes objects plus spillway's status.portMap,
 * annotations spillway.io/owner, spillway.io/log-path, spillway.io/pool).
 * Pure: no store, no clock (times come from the driver's structs), no I/O.
 * Every function returns a new reference.
 */
#ifndef CLUSTER_MIRROR_H
#define CLUSTER_MIRROR_H

#include <jansson.h>

#include "cluster/driver.h"

#define CLUSTER_ANN_OWNER "spillway.io/owner"
#define CLUSTER_ANN_LOG_PATH "spillway.io/log-path"
#define CLUSTER_ANN_POOL "spillway.io/pool"
#define CLUSTER_ANN_UNIT "spillway.io/resourcepolicy-unit"

/* The Pod object (apiVersion v1) of one driver pod in `cluster`. */
json_t *cluster_mirror_pod(const cluster_pod_info *p, const char *cluster);

/* The Node object of one driver node in `cluster`. */
json_t *cluster_mirror_node(const cluster_node_info *n, const char *cluster);

/* Cluster.status.pools and the GPU summary:
 * {pools: [...], resourceSummary: {allocatable, allocated, headroom}}. */
json_t *cluster_mirror_pools(const cluster_pool_list *pools);

/* Marks a mirrored Pod not ready (its cluster stopped answering), as the node
 * lifecycle controller does when a node goes NotReady. */
void cluster_mirror_pod_unreachable(json_t *pod, const char *cluster, double now);

/* Marks a mirrored Node's Ready condition Unknown. */
void cluster_mirror_node_unreachable(json_t *node, double now);

/* A Deployment's status aggregated over its pods in every member cluster, as
 * Karmada writes a propagated Deployment's status back to the template:
 * replicas (active pods), updatedReplicas (pods of the current
 * pod-template-hash), readyReplicas, availableReplicas (Ready for
 * minReadySeconds), unavailableReplicas, observedGeneration, and the
 * Available (maxUnavailable 25 %) and Progressing conditions. pods: the
 * Deployment's pods (any cluster); old_status keeps condition times. */
json_t *cluster_deployment_status(const json_t *dep, const json_t *pods, const json_t *old_status, double now);

#endif
