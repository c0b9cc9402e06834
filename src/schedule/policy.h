/*
 * policy.h — reading PropagationPolicy objects: the placement (tiers,
 * selectors, replicaScheduling) as a plain schedule_policy, and which policy
 * selects a given resource.
 *
 * Role in the data flow: between store objects / explain input (JSON) and the
 * pure placement. The API layer validates manifests, but these functions still
 * treat their input as untrusted: odd shapes produce an error naming the JSON
 * path and what was expected, never a crash.
 *
 * Ownership: the JSON is borrowed and must outlive the decoded policy, whose
 * strings point into it; arrays are allocated in the caller's arena.
 */
#ifndef SCHEDULE_POLICY_H
#define SCHEDULE_POLICY_H

#include <jansson.h>

#include "base/sw.h"
#include "schedule/placement.h"

/* Annotation on a PropagationPolicy that turns fail-back on ("true"). */
#define SCHEDULE_ANN_FAIL_BACK "scheduling.spillway.io/fail-back"

/* Decodes spec.placement (NULL or absent means every cluster, Duplicated, as
 * Karmada treats a placement without replicaScheduling). path names the
 * object in error messages, e.g. "spec.placement". fail_back is left false. */
int schedule_policy_decode(const json_t *placement, const char *path, sw_arena *a, schedule_policy *out,
                           sw_err *err);

/* Decodes a whole PropagationPolicy object: spec.placement, the fail-back
 * annotation, and spec.autoScaling.ecsProvision into *ecs_provision. */
int schedule_policy_from_object(const json_t *pp, sw_arena *a, schedule_policy *out, bool *ecs_provision,
                                sw_err *err);

/* Decodes a Kubernetes label selector {matchLabels, matchExpressions}. */
int schedule_label_selector_decode(const json_t *sel, const char *path, sw_arena *a,
                                   schedule_requirement **reqs, size_t *n, sw_err *err);

/* A JSON object of string labels as a schedule_label array (non-strings are skipped). */
schedule_label *schedule_labels_from_json(const json_t *labels, sw_arena *a, size_t *n);

/* How specifically a PropagationPolicy's resourceSelectors select a
 * resource (an object with apiVersion, kind, metadata): 0 not at all, 1 by
 * kind only, 2 by label selector, 3 by name — Karmada's implicit priorities. A
 * policy only selects resources of its own namespace. */
int schedule_policy_match(const json_t *pp, const json_t *resource);

/* The policy (borrowed from the array) that governs the resource: highest
 * spec.priority first, then the most specific match, then the name in
 * ascending order, as Karmada resolves competing policies. NULL when none. */
const json_t *schedule_policy_select(const json_t *policies, const json_t *resource);

#endif
