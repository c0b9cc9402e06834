/*
 * driver.h — the member-cluster driver interface: an ops table every driver
 * (local now; kubernetes and simulated later) implements, and the plain
 * structs it reports observed state in.
 *
 * Role in the data flow: the fleet layer (fleet.c) tells a driver what should
 * run (apply_workload: a Deployment and its replica count in this cluster)
 * and mirrors what the driver reports (pods, nodes, pools, health) into the
 * store. Nothing above this interface knows which driver it talks to, and
 * nothing above it calls process, socket or signal functions: drivers own
 * their processes, sockets and timers.
 *
 * Threading: a driver lives on the control plane's loop; call it only from
 * that loop. Ownership: every json_t and string passed in is borrowed (the
 * driver copies what it keeps); lists returned are owned by the caller and
 * released with their _free function.
 */
#ifndef CLUSTER_DRIVER_H
#define CLUSTER_DRIVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "base/sw.h"

typedef struct cluster_driver cluster_driver;
typedef struct cluster_driver_ops cluster_driver_ops;

/* Every driver instance starts with this header (C-style inheritance). */
struct cluster_driver {
  const cluster_driver_ops *ops;
};

/* What the fleet gives a driver. Every pointer is borrowed and outlives the
 * driver. */
typedef struct cluster_driver_env {
  uv_loop_t *loop;
  const sw_clock *clock;  /* the plane's clock (possibly time-scaled) */
  const char *state_dir;  /* this cluster's own directory: logs, pid records */
  const char *engine_bin; /* `spillway` binary for runtime: simulated */
  double drain_seconds;   /* between Terminating and SIGTERM (default 2) */
  /* Decisions worth an Event (kind/ns/name of the object it is about). */
  void (*event)(void *ud, const char *kind, const char *ns, const char *name, const char *type,
                const char *reason, const char *message);
  /* Observed state changed: the fleet mirrors it soon. */
  void (*changed)(void *ud);
  void *ud;
} cluster_driver_env;

typedef enum {
  CLUSTER_POD_PENDING,
  CLUSTER_POD_RUNNING,
  CLUSTER_POD_SUCCEEDED,
  CLUSTER_POD_FAILED,
  CLUSTER_POD_UNKNOWN,
} cluster_pod_phase;

const char *cluster_pod_phase_name(cluster_pod_phase p); /* "Pending", ... */

#define CLUSTER_POD_MAX_PORTS 16

/* One pod as a driver sees it. Strings are owned by the list (NULL when
 * absent); times are clock seconds, 0 when not yet. */
typedef struct cluster_pod_info {
  char *ns, *name;
  char *workload;       /* Deployment name */
  char *template_hash;  /* pod-template-hash */
  json_t *pod_template; /* the template it runs (owned reference) */
  json_t *labels;       /* template labels + unit podLabels (owned) */
  json_t *annotations;  /* template annotations + unit podAnnotations (owned) */
  cluster_pod_phase phase;
  bool scheduled; /* has a node */
  bool ready;
  bool terminating;
  char *node, *pool;
  int unit;   /* ResourcePolicy unit index, -1 none */
  char *host; /* address replicas listen on: "127.0.0.1" */
  int nports;
  int container_ports[CLUSTER_POD_MAX_PORTS];
  int host_ports[CLUSTER_POD_MAX_PORTS];
  int restarts;
  double created, scheduled_at, started_at, ready_changed_at, deletion_at;
  char *reason, *message; /* pod-level: Unschedulable + scheduler message, ... */
  /* container (the first one) */
  char *container_name;
  char *container_state;  /* "waiting" | "running" | "terminated" */
  char *container_reason; /* ContainerCreating, CrashLoopBackOff, Completed, Error, ... */
  char *container_message;
  int exit_code; /* last termination's exit code (when restarts > 0 or terminated) */
  double last_exit_at;
  char *log_path;
  int pid; /* 0 when not running */
} cluster_pod_info;

typedef struct cluster_pod_list {
  cluster_pod_info *items;
  size_t len, cap;
} cluster_pod_list;
void cluster_pod_list_free(cluster_pod_list *l);

typedef struct cluster_node_info {
  char *name, *pool;
  json_t *labels; /* owned */
  bool elastic;
  int gpus; /* capacity */
  int gpus_used;
  int pods;
  bool ready, provisioning, deleting;
  double created, ready_changed_at;
  double price_per_gpu_hour;
  json_t *devices; /* owned array of GPU ids it maps, or NULL */
} cluster_node_info;

typedef struct cluster_node_list {
  cluster_node_info *items;
  size_t len, cap;
} cluster_node_list;
void cluster_node_list_free(cluster_node_list *l);

typedef struct cluster_pool_info {
  char *name;
  bool elastic;
  int gpus_per_node;
  int nodes, ready_nodes, provisioning;
  int gpus, gpus_allocatable, gpus_used;
  int min_nodes, max_nodes;
  int inventory_left; /* -1 unlimited */
  double price_per_gpu_hour;
} cluster_pool_info;

typedef struct cluster_pool_list {
  cluster_pool_info *items;
  size_t len, cap;
} cluster_pool_list;
void cluster_pool_list_free(cluster_pool_list *l);

/* A workload to run in this cluster: idempotent desired state. */
typedef struct cluster_workload {
  const char *ns, *name;
  const json_t *deployment;      /* its spec.template is what runs */
  int replicas;                  /* this cluster's share */
  const json_t *resource_policy; /* the ResourcePolicy selecting its pods, or NULL */
} cluster_workload;

struct cluster_driver_ops {
  const char *name;
  /* Cleans up what a killed earlier run left under root (the directory that
   * holds every cluster's state_dir). May block briefly; called once, before
   * the loop runs. NULL when the driver leaves nothing behind. */
  int (*recover)(const char *root, sw_err *err);
  int (*create)(const cluster_driver_env *env, const json_t *cluster, cluster_driver **out, sw_err *err);
  /* The Cluster object changed (pools, annotations such as spillway.io/paused). */
  int (*update)(cluster_driver *d, const json_t *cluster, sw_err *err);
  int (*apply_workload)(cluster_driver *d, const cluster_workload *w, sw_err *err);
  /* Scales to 0 and forgets the workload once its pods are gone. */
  int (*delete_workload)(cluster_driver *d, const char *ns, const char *name, sw_err *err);
  int (*list_pods)(cluster_driver *d, cluster_pod_list *out, sw_err *err);
  /* Graceful: Terminating at once, SIGTERM after the drain delay, SIGKILL
   * after terminationGracePeriodSeconds. The workload replaces it. */
  int (*delete_pod)(cluster_driver *d, const char *ns, const char *name, sw_err *err);
  int (*list_nodes)(cluster_driver *d, cluster_node_list *out, sw_err *err);
  int (*list_pools)(cluster_driver *d, cluster_pool_list *out, sw_err *err);
  int (*health)(cluster_driver *d, sw_err *err);
  /* Stops every replica gracefully; done(ud) runs once nothing is left and
   * the driver has been freed. */
  void (*destroy)(cluster_driver *d, void (*done)(void *ud), void *ud);
};

/* The driver for spec.driver ("local", ...); NULL when not built. */
const cluster_driver_ops *cluster_driver_lookup(const char *name);
/* Every driver built into this binary (NULL-terminated). */
const cluster_driver_ops *const *cluster_driver_all(void);

/* Convenience wrappers: d->ops->fn(d, ...). */
int cluster_driver_create(const char *driver, const cluster_driver_env *env, const json_t *cluster,
                          cluster_driver **out, sw_err *err);
int cluster_driver_update(cluster_driver *d, const json_t *cluster, sw_err *err);
int cluster_driver_apply(cluster_driver *d, const cluster_workload *w, sw_err *err);
int cluster_driver_delete_workload(cluster_driver *d, const char *ns, const char *name, sw_err *err);
int cluster_driver_list_pods(cluster_driver *d, cluster_pod_list *out, sw_err *err);
int cluster_driver_delete_pod(cluster_driver *d, const char *ns, const char *name, sw_err *err);
int cluster_driver_list_nodes(cluster_driver *d, cluster_node_list *out, sw_err *err);
int cluster_driver_list_pools(cluster_driver *d, cluster_pool_list *out, sw_err *err);
int cluster_driver_health(cluster_driver *d, sw_err *err);
void cluster_driver_destroy(cluster_driver *d, void (*done)(void *ud), void *ud);

#endif
