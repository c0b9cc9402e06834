/*
 * spec.h — plain data read out of the objects a member cluster runs from: the
 * Cluster object (node pools, timings) and a Deployment's pod template
 * (command, ports, GPU requests, probes, restart policy).
 *
 * Role in the data flow: the gate between store objects (outside input,
 * already validated loosely by src/api) and the cluster code. Every driver
 * and the pure placement/provisioner code read these structs, never the JSON.
 * Pure: no I/O, no clock, no globals. Errors name the field path and what was
 * expected ("spec.nodePools[1].gpusPerNode: expected an integer >= 0").
 *
 * Ownership: parse functions fill caller-provided structs whose strings and
 * json_t members are owned by the struct; release them with the _free
 * function. Input JSON is borrowed.
 */
#ifndef CLUSTER_SPEC_H
#define CLUSTER_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/sw.h"

/* Label keys spillway writes on mirrored objects. */
#define CLUSTER_LABEL_CLUSTER "spillway.io/cluster"
#define CLUSTER_LABEL_NODEPOOL "alibabacloud.com/nodepool-id"
#define CLUSTER_ANN_PAUSED "spillway.io/paused"
#define CLUSTER_GPU_RESOURCE "nvidia.com/gpu"

typedef enum { CLUSTER_POOL_STATIC, CLUSTER_POOL_ELASTIC } cluster_pool_type;

typedef struct cluster_pool_spec {
  char *name;
  cluster_pool_type type;
  int gpus_per_node;           /* default 1 */
  int nodes;                   /* static: how many nodes */
  int min_nodes, max_nodes;    /* elastic */
  double provisioning_seconds; /* elastic: from scale-up to node Ready */
  int inventory;               /* elastic: nodes still obtainable; -1 = unlimited */
  double price_per_gpu_hour;   /* 0 when not given */
  double startup_seconds;      /* engine cold start on this pool (runtime simulated); -1 = engine default */
  char *engine_profile;        /* the simulated engine's profile for this pool's GPUs; NULL = by model name */
  json_t *labels;              /* owned, never NULL: extra node labels */
  json_t *devices;             /* owned JSON array of strings (real GPU ids to map), or NULL */
} cluster_pool_spec;

typedef struct cluster_spec {
  char *name;
  char *driver;  /* "local" (default), "kubernetes", "simulated" */
  char *runtime; /* "process" (default) or "simulated" */
  char *region;  /* may be NULL */
  int priority;
  cluster_pool_spec *pools;
  size_t npools;
  double scale_down_unneeded_seconds; /* default 600, as cluster-autoscaler */
  double health_grace_seconds;        /* default 40 (as src/api defaults it) */
  double toleration_seconds;          /* default 300; read by the fleet scheduler */
  bool paused;                        /* annotation spillway.io/paused: "true" (fault injection) */
  json_t *labels;                     /* owned, never NULL: metadata.labels */
} cluster_spec;

/* Reads a Cluster object (apiVersion spillway.io/v1alpha1). */
int cluster_spec_parse(const json_t *cluster, cluster_spec *out, sw_err *err);
void cluster_spec_free(cluster_spec *s);
/* Index of the pool with that name, or -1. */
int cluster_spec_pool(const cluster_spec *s, const char *name);

typedef enum {
  CLUSTER_PROBE_NONE,
  CLUSTER_PROBE_TCP,
  CLUSTER_PROBE_HTTP,
  CLUSTER_PROBE_EXEC
} cluster_probe_kind;

typedef struct cluster_probe_spec {
  cluster_probe_kind kind;
  int port;                     /* container port (named ports are resolved) */
  char *path;                   /* httpGet path, "/" by default */
  json_t *headers;              /* httpGet httpHeaders [{name, value}], owned or NULL */
  double initial_delay_seconds; /* 0 */
  double period_seconds;        /* 10 */
  double timeout_seconds;       /* 1 */
  int success_threshold;        /* 1 */
  int failure_threshold;        /* 3 */
} cluster_probe_spec;

typedef enum {
  CLUSTER_RESTART_ALWAYS,
  CLUSTER_RESTART_ON_FAILURE,
  CLUSTER_RESTART_NEVER
} cluster_restart_policy;

#define CLUSTER_MAX_PORTS 16

typedef struct cluster_template {
  json_t *pod_template;  /* owned: the spec.template it came from */
  json_t *labels;        /* owned, never NULL */
  json_t *annotations;   /* owned, never NULL */
  json_t *node_selector; /* owned, never NULL */
  char *container_name;
  char *image;                  /* recorded, never pulled */
  json_t *command;              /* owned array of strings (may be empty) */
  json_t *args;                 /* owned array of strings (may be empty) */
  json_t *env;                  /* owned object name -> value (literal values only) */
  int ports[CLUSTER_MAX_PORTS]; /* container ports: declared ones, then probe ports */
  size_t nports;
  int gpus; /* nvidia.com/gpu requested (max of requests and limits) */
  cluster_probe_spec readiness, liveness;
  cluster_restart_policy restart_policy;
  double grace_seconds; /* terminationGracePeriodSeconds, default 30 */
  char hash[11];        /* pod-template-hash: 10 hex digits of the template */
  size_t ncontainers;   /* only the first container runs; the rest are reported */
} cluster_template;

/* Reads a pod template (a Deployment's spec.template). */
int cluster_template_parse(const json_t *pod_template, cluster_template *out, sw_err *err);
void cluster_template_free(cluster_template *t);

/* The pod-template-hash of a template: 10 lowercase hex digits + NUL. */
void cluster_template_hash(const json_t *pod_template, char out[11]);

/* Equality-based label selector: every key of selector has the same value in
 * labels. A selector given as {matchLabels: {...}} is accepted too. NULL or
 * empty selects everything. */
bool cluster_selector_matches(const json_t *selector, const json_t *labels);

/* Integer count of a Kubernetes quantity holding whole units ("1", 2, "3");
 * -1 when it is not a whole non-negative number. */
int cluster_quantity_int(const json_t *v);

#endif
