/*
 * placement.h — the fleet scheduler's pure core: how many replicas of one
 * workload each member cluster runs, given a PropagationPolicy's placement,
 * the replicas wanted, what each cluster can hold, and where the replicas
 * are now.
 *
 * Role in the data flow: the scheduling controller (controller.c) and the
 * what-if tool (`spillway schedule explain`, explain.c) both call
 * schedule_place(); nothing else decides placement. The functions here are pure:
 * no I/O, no clock, no globals, deterministic for equal inputs.
 *
 * Semantics (docs/schedule.md has the full story and where it differs from
 * Karmada and ACK One):
 *  - Tiers: placement.clusterAffinities are ordered tiers (a single
 *    clusterAffinity, or none, is one unnamed tier). A cluster belongs to the
 *    first tier that selects it. Scale-up fills tier 1 up to its estimated
 *    room and spills the rest to tier 2, and so on; what fits nowhere is
 *    `unscheduled`, never dropped silently. Scale-in removes replicas from the
 *    lowest tier first.
 *  - Within a tier, Divided/Weighted uses the Webster (Sainte-Laguë) method,
 *    sequentially from the replicas already placed: scale-up only adds seats
 *    (existing replicas never move), scale-in removes the seats with the
 *    lowest Webster priority, so scaling up and back down returns exactly to
 *    the earlier division. Divided/Aggregated packs into as few clusters as
 *    possible. Duplicated runs every replica in every ready cluster of the
 *    first tier that has one.
 *  - A cluster that is not ready keeps (in the result) the replicas it had,
 *    but they do not count: replacements are placed elsewhere. When it is
 *    ready again its replicas count again, and the surplus is removed from
 *    the lowest tier, so replicas come back to the preferred cluster.
 *  - Fail-back (off by default): when a higher tier has room while a lower
 *    tier holds replicas, replicas are started in the higher tier first and
 *    the lower-tier ones are removed only once the higher-tier ones are ready
 *    (make-before-break), using each cluster's ready count.
 *
 * Ownership: every pointer in the inputs is borrowed for the call; results
 * are allocated in the caller's arena.
 */
#ifndef SCHEDULE_PLACEMENT_H
#define SCHEDULE_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sw.h"

/* Weights and replica counts are clamped to this (Kubernetes replicas are int32). */
#define SCHEDULE_MAX_REPLICAS INT32_MAX

typedef struct schedule_label {
  const char *key;
  const char *value;
} schedule_label;

/* One requirement of a Kubernetes label selector (matchLabels entries become
 * SCHEDULE_OP_IN with one value). */
typedef enum {
  SCHEDULE_OP_IN,
  SCHEDULE_OP_NOT_IN,
  SCHEDULE_OP_EXISTS,
  SCHEDULE_OP_DOES_NOT_EXIST
} schedule_op;

typedef struct schedule_requirement {
  const char *key;
  schedule_op op;
  const char *const *values;
  size_t n_values;
} schedule_requirement;

/* Karmada's ClusterAffinity: clusterNames (empty = any), exclude,
 * labelSelector, fieldSelector (keys provider, region, zone). */
typedef struct schedule_selector {
  const char *const *names;
  size_t n_names;
  const char *const *exclude;
  size_t n_exclude;
  const schedule_requirement *reqs; /* labelSelector, ANDed */
  size_t n_reqs;
  const schedule_requirement *fields; /* fieldSelector, ANDed, over schedule_cluster.fields */
  size_t n_fields;
} schedule_selector;

typedef struct schedule_tier {
  const char *name; /* affinityName; NULL for a single clusterAffinity or none */
  schedule_selector sel;
} schedule_tier;

typedef enum { SCHEDULE_DUPLICATED, SCHEDULE_WEIGHTED, SCHEDULE_AGGREGATED } schedule_mode;

typedef struct schedule_weight_rule {
  schedule_selector target;
  int64_t weight; /* >= 0; clamped to SCHEDULE_MAX_REPLICAS */
} schedule_weight_rule;

typedef struct schedule_policy {
  const schedule_tier *tiers; /* n_tiers >= 1 */
  size_t n_tiers;
  schedule_mode mode;
  bool dynamic_weight;                 /* weightPreference.dynamicWeight: AvailableReplicas */
  const schedule_weight_rule *weights; /* staticWeightList (ignored when dynamic_weight) */
  size_t n_weights;
  bool fail_back;
} schedule_policy;

/* What one member cluster can hold of the workload being placed. */
typedef struct schedule_cluster {
  const char *name;
  const schedule_label *labels;
  size_t n_labels;
  const schedule_label *fields; /* "provider", "region", "zone" as the Cluster spec gives them */
  size_t n_fields;
  bool ready;
  /* Replicas of this workload the cluster can hold now, counting the ones it
   * already runs (they are re-divided, as Karmada's estimator + scheduler do). */
  int32_t available;
  /* More replicas it can hold once its elastic pools have grown (0 unless
   * the policy allows provisioning). */
  int32_t provisionable;
  /* This workload's ready replicas there; -1 = unknown (all counted ready). */
  int32_t ready_replicas;
} schedule_cluster;

typedef struct schedule_count {
  const char *cluster;
  int32_t replicas;
} schedule_count;

typedef struct schedule_result {
  int32_t *replicas; /* per input cluster (same index), arena-owned */
  int *tier_of;      /* per input cluster: tier index, -1 when no tier selects it */
  const char *tier;  /* name of the lowest tier in use; NULL when none or unnamed */
  int tier_index;    /* -1 when nothing placed */
  int32_t placed;    /* counted replicas placed (<= wanted) */
  int32_t unscheduled;
  int32_t surplus;    /* fail-back: lower-tier replicas kept until higher ones are ready */
  int32_t retained;   /* replicas kept on not-ready clusters, not counted */
  const char *reason; /* one line for people; arena-owned */
} schedule_result;

/* Places `wanted` replicas. prev: the previous placement (entries naming no
 * input cluster are dropped and re-placed; repeated names add up). Fails with
 * SW_EINVAL (and err) on wanted < 0, a cluster without a name, or two
 * clusters with the same name. */
int schedule_place(const schedule_policy *pol, int32_t wanted, const schedule_cluster *clusters, size_t n,
                   const schedule_count *prev, size_t n_prev, sw_arena *a, schedule_result *out, sw_err *err);

/* True when the selector selects the cluster (name, labels, fields). */
bool schedule_selector_matches(const schedule_selector *sel, const schedule_cluster *cluster);

/* True when every requirement holds for the labels (an empty list matches all). */
bool schedule_requirements_match(const schedule_requirement *reqs, size_t n_reqs,
                                 const schedule_label *labels, size_t n_labels);

#endif
