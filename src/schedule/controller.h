/*
 * controller.h — the fleet scheduling controller: for every Deployment, the
 * PropagationPolicy that selects it, the estimates of every member cluster,
 * the placement, and the ResourceBinding that records it.
 *
 * Role in the data flow: reads Deployments, PropagationPolicies, Clusters,
 * Nodes, Pods and the previous ResourceBindings from the store; writes
 * ResourceBinding objects ("<deployment>-deployment", apiVersion
 * work.spillway.io/v1alpha1: spec {resource, replicas, clusters: [{name,
 * replicas}]}, status {tier, unscheduled, reason, conditions}) and Events on
 * the Deployment. The member-cluster layer reads the bindings and tells each
 * driver its share. Never: calls a driver, reads the clock (the plane passes
 * `now`), or sleeps.
 *
 * A Deployment that no PropagationPolicy selects is bound entirely to the
 * fleet's only Cluster when there is exactly one; otherwise it stays
 * unscheduled with reason "no PropagationPolicy selects deployment NS/NAME".
 * A binding whose Deployment is gone is deleted.
 */
#ifndef SCHEDULE_CONTROLLER_H
#define SCHEDULE_CONTROLLER_H

#include "plane/plane.h"

#define SCHEDULE_CONTROLLER_NAME "schedule"
#define SCHEDULE_BINDING_API_VERSION "work.spillway.io/v1alpha1"

typedef struct schedule_opts {
  double period;             /* clock seconds between full syncs; 0 = 1 */
  double default_toleration; /* seconds, when a Cluster sets no spec.tolerationSeconds; 0 = 300 */
} schedule_opts;

typedef struct schedule_controller schedule_controller;

/* Registers the controller on the plane (period o->period) and store watches
 * on Deployment, PropagationPolicy, Cluster and Node that kick it. o may be
 * NULL. The returned handle is owned by the caller: free it with
 * schedule_controller_free() after plane_fini() (the plane keeps a pointer to
 * it until then). */
schedule_controller *schedule_controller_start(plane *p, const schedule_opts *o);
void schedule_controller_free(schedule_controller *c);

/* One full sync at `now` (the plane calls this; tests call it directly). */
void schedule_controller_sync(schedule_controller *c, double now);

#endif
