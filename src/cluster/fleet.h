/*
 * fleet.h — the member-cluster layer of the control plane: one driver per
 * Cluster object, told what to run by the fleet scheduler's
 * ResourceBindings, with everything the drivers observe mirrored back into
 * the store.
 *
 * Role in the data flow:
 *   store: Cluster            -> a driver instance each (created, updated, destroyed)
 *   store: ResourceBinding    -> driver.apply_workload(Deployment, its replicas in that cluster)
 *          (+ Deployment, ResourcePolicy)
 *   drivers                   -> store: Pod and Node objects, Cluster status
 *                                (conditions Ready, pools), Events
 * It registers three plane controllers ("cluster-drivers", "cluster-workloads",
 * "cluster-mirror") and store watches that kick them. It never calls process
 * or socket functions itself: drivers do (driver.h).
 *
 * Health: a driver whose health() fails for spec.healthGraceSeconds gets
 * Cluster Ready=False (reason ClusterNotReachable); its pods are marked not
 * ready at once so the gateway stops sending to them. The annotation
 * spillway.io/paused: "true" on a Cluster is the fault-injection knob: the
 * local driver stops its replicas and fails health until it is removed.
 *
 * Restart after kill -9: at start, every driver's recover() cleans replicas a
 * killed earlier run left behind (clean, not adopt; see process.h), and the
 * Pod and Node objects that run had mirrored are deleted: drivers rebuild
 * them from scratch.
 */
#ifndef CLUSTER_FLEET_H
#define CLUSTER_FLEET_H

#include "base/sw.h"
#include "plane/plane.h"

typedef struct cluster_fleet cluster_fleet;

typedef struct cluster_fleet_opts {
  const char *engine_bin; /* `spillway` for runtime: simulated; NULL: /proc/self/exe resolved at start */
  const char *state_dir;  /* logs and pid records go under <state_dir>/clusters/<cluster>/;
                             NULL: p->state_dir, else "./spillway-state" */
  double drain_seconds;   /* Terminating -> SIGTERM delay in clock seconds; < 0: default 2 */
} cluster_fleet_opts;

/* Starts the layer on p (whose loop must not be running inside this call:
 * orphan cleanup may block up to 3 s). Sets p->fleet. opts may be NULL.
 * Returns NULL and fills err on failure. */
cluster_fleet *cluster_fleet_start(plane *p, const cluster_fleet_opts *opts, sw_err *err);

/* Stops every replica gracefully (Terminating, SIGTERM, SIGKILL after the
 * grace period) and waits, running the loop itself: call it when the loop is
 * not running (e.g. after uv_run returned because a SIGINT handler called
 * uv_stop). Deletes the mirrored Pod and Node objects. Idempotent. */
void cluster_fleet_stop(cluster_fleet *f);

/* The same, asynchronously, for callers inside the loop: done(ud) runs once
 * every replica is gone. */
void cluster_fleet_shutdown(cluster_fleet *f, void (*done)(void *ud), void *ud);

/* Frees the layer. Call after cluster_fleet_stop and after plane_fini (the
 * plane's controllers point at it until then). */
void cluster_fleet_free(cluster_fleet *f);

/* Number of clusters with a running driver (for status lines and tests). */
size_t cluster_fleet_size(const cluster_fleet *f);

#endif
