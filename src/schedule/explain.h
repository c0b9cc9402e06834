/*
 * explain.h — the what-if interface of the fleet scheduler: one placement
 * described entirely in JSON, computed by the same schedule_place() the
 * controller runs. Backs `spillway schedule explain` and its fuzz target.
 *
 * Input (a stable interface, documented in docs/schedule.md):
 *   {"placement": <PropagationPolicy spec.placement>,
 *    "replicas": N,
 *    "clusters": [{"name", "labels": {..}, "ready": bool,
 *                  "provider", "region", "zone" (optional, for fieldSelector),
 *                  "availableReplicas": n, "provisionableReplicas": n,
 *                  "readyReplicas": n (optional)}],
 *    "previous": {"cluster": n, ...},          (optional)
 *    "failBack": bool}                         (optional)
 * Output:
 *   {"clusters": {"name": n, ...}, "tier": "affinityName" | null,
 *    "unscheduled": n, "reason": "..."}
 *
 * The input is untrusted: every error names the JSON path and what was
 * expected ("clusters[1].availableReplicas: expected an integer >= 0, got a
 * string"). Pure: no I/O, no clock.
 */
#ifndef SCHEDULE_EXPLAIN_H
#define SCHEDULE_EXPLAIN_H

#include <jansson.h>

#include "base/sw.h"

/* On success *out is a new JSON object the caller must json_decref. */
int schedule_explain(const json_t *input, json_t **out, sw_err *err);

#endif
