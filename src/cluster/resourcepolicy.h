/*
 * resourcepolicy.h — ACK's ResourcePolicy (scheduling.alibabacloud.com/
 * v1alpha1): which pods it selects and the ordered units of nodes they go to.
 *
 * Semantics reproduced (ACK "custom elastic resource priority scheduling"):
 *   - spec.selector: labels the pods must carry (equality; the namespace is
 *     the policy's own).
 *   - spec.strategy: prefer — a pod goes to the first unit with room; units
 *     are tried in order; scale-in removes pods from the last unit first.
 *   - spec.units[]: {resource: ecs|elastic|eci|acs, nodeSelector, max,
 *     podLabels, podAnnotations}. eci/acs units are virtual-node capacity
 *     that no embedded driver has: they never hold a pod here.
 *   - spec.ignoreTerminatingPod (default true, as schedulers >= 6.4): pods
 *     being deleted do not count against a unit's max.
 *   - spec.ignorePreviousPod, preemptPolicy, whenTryNextUnits: accepted and
 *     reported in warnings; the local behaviour is that of the defaults
 *     (next unit when the previous lacks resources).
 * Pure; ownership as spec.h (structs own their members, inputs borrowed).
 */
#ifndef CLUSTER_RESOURCEPOLICY_H
#define CLUSTER_RESOURCEPOLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/sw.h"

typedef struct cluster_rp_unit {
  char *resource;        /* "ecs" by default */
  json_t *node_selector; /* owned, never NULL */
  int max;               /* -1 = no limit */
  json_t *pod_labels;    /* owned, never NULL: added to pods placed in the unit */
  json_t *pod_annotations;
  bool local; /* resource can be backed by nodes of an embedded cluster */
} cluster_rp_unit;

typedef struct cluster_rp {
  char *ns, *name;
  json_t *selector; /* owned, never NULL */
  char *strategy;   /* "prefer" */
  cluster_rp_unit *units;
  size_t nunits;
  bool ignore_terminating;
} cluster_rp;

/* warnings (optional) receives strings about accepted-but-ignored fields. */
int cluster_rp_parse(const json_t *obj, cluster_rp *out, json_t *warnings, sw_err *err);
void cluster_rp_free(cluster_rp *rp);
bool cluster_rp_selects(const cluster_rp *rp, const char *ns, const json_t *pod_labels);

/* The ResourcePolicy (from an array of ResourcePolicy objects) that selects
 * pods with these labels in namespace ns: the first by name, as ACK uses one
 * policy per pod. Borrowed from policies; NULL when none. */
const json_t *cluster_rp_select(const json_t *policies, const char *ns, const json_t *pod_labels);

#endif
