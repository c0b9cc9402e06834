/*
 * hpa.h — the Kubernetes HorizontalPodAutoscaler algorithm as pure functions
 * over plain structs: one reconcile of one autoscaler.
 *
 * Role in the data flow: metrics (already fetched by the caller) + the target's
 * replica counts + the autoscaler's spec + its history -> desired replicas,
 * the status Kubernetes would write (current metrics, conditions with their
 * reasons and messages), the events it would emit, and the histories to keep.
 * The FederatedHPA / HPA / InferenceService controllers (controller.c) and
 * `spillway autoscale explain` (explain.c) both call hpa_reconcile, so what the
 * explain tool prints is what the controller does.
 *
 * Reproduced from Kubernetes pkg/controller/podautoscaler (v1.33+):
 * horizontal.go (reconcileAutoscaler, computeReplicasForMetrics,
 * normalizeDesiredReplicas[WithBehaviors], stabilizeRecommendation[WithBehaviors],
 * convertDesiredReplicasWithBehaviorRate, convertDesiredReplicasWithRules,
 * calculateScale{Up,Down}Limit*, storeScaleEvent) and replica_calculator.go
 * (GetResourceReplicas, GetRawResourceReplicas, GetMetricReplicas,
 * calcPlainMetricReplicas, GetObject[PerPod]MetricReplicas,
 * GetExternal[PerPod]MetricReplicas, groupPods, calculateRequests), with
 * metrics/utilization.go (GetResourceUtilizationRatio, GetMetricUsageRatio).
 * Metric values are int64 milli-units as Kubernetes' resource.Quantity
 * MilliValue() gives them, so integer truncation matches upstream.
 *
 * Must never: do I/O, read the clock (`now` is an input), keep global state.
 * Ownership: inputs are borrowed for the call; every pointer in hpa_result is
 * allocated from the caller's arena (or points into the inputs) and lives as
 * long as both.
 */
#ifndef HPA_H
#define HPA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sw.h"

/* ---- spec ---------------------------------------------------------------- */

typedef enum {
  HPA_METRIC_RESOURCE,
  HPA_METRIC_CONTAINER_RESOURCE,
  HPA_METRIC_PODS,
  HPA_METRIC_OBJECT,
  HPA_METRIC_EXTERNAL,
  HPA_METRIC_UNKNOWN, /* a type Kubernetes does not know: InvalidMetricSourceType */
} hpa_metric_type;

typedef enum {
  HPA_TARGET_NONE,
  HPA_TARGET_UTILIZATION,
  HPA_TARGET_AVERAGE_VALUE,
  HPA_TARGET_VALUE
} hpa_target_type;

typedef struct hpa_metric_spec {
  hpa_metric_type type;
  const char *type_name; /* as written ("Pods"), for messages */
  /* Pods/Object/External: the metric name; Resource/ContainerResource: "cpu", "memory", ... */
  const char *name;
  const char *container;   /* ContainerResource only */
  const char *object_kind; /* Object: describedObject */
  const char *object_name;
  const char *object_api_version;
  /* Go's %+v of the metric's *metav1.LabelSelector ("nil" when absent), as
   * upstream prints it in metric descriptions and error messages. */
  const char *selector_text;
  hpa_target_type target_type; /* target.type as written */
  /* Which target fields are set (upstream tests presence, not only type). */
  bool has_value, has_average_value, has_average_utilization;
  int64_t value_milli, average_value_milli;
  int32_t average_utilization;
} hpa_metric_spec;

typedef enum { HPA_POLICY_PODS, HPA_POLICY_PERCENT } hpa_policy_type;
typedef enum { HPA_SELECT_MAX, HPA_SELECT_MIN, HPA_SELECT_DISABLED } hpa_select_policy;

typedef struct hpa_scaling_policy {
  hpa_policy_type type;
  int32_t value;
  int32_t period_seconds;
} hpa_scaling_policy;

typedef struct hpa_scaling_rules {
  bool has_window;
  int32_t stabilization_window_seconds;
  bool has_select;
  hpa_select_policy select_policy;
  bool has_policies; /* an explicit empty list is "set" and stays empty */
  const hpa_scaling_policy *policies;
  size_t n_policies;
  bool has_tolerance; /* KEP-4951 (v1.33+): behavior.scale{Up,Down}.tolerance */
  double tolerance;
} hpa_scaling_rules;

typedef struct hpa_spec {
  bool has_min_replicas;
  int32_t min_replicas; /* default 1 */
  int32_t max_replicas;
  const hpa_metric_spec *metrics;
  size_t n_metrics;
  bool has_behavior; /* spec.behavior present (even empty): the behavior path */
  hpa_scaling_rules scale_up, scale_down;
} hpa_spec;

/* Fills unset scaling rules the way the API server defaults them when
 * spec.behavior is present (SetDefaults_HorizontalPodAutoscalerBehavior):
 * scaleUp {window 0, Max, [Pods 4/15s, Percent 100/15s]}, scaleDown {window
 * unset (the controller's downscale stabilisation applies), Max, [Percent
 * 100/15s]}. No-op when has_behavior is false. */
void hpa_spec_default_behavior(hpa_spec *spec);

/* ---- observed state ------------------------------------------------------- */

typedef enum {
  HPA_POD_PENDING,
  HPA_POD_RUNNING,
  HPA_POD_SUCCEEDED,
  HPA_POD_FAILED,
  HPA_POD_UNKNOWN
} hpa_pod_phase;

typedef struct hpa_request {
  const char *resource; /* "cpu", "memory", ... */
  int64_t milli;
} hpa_request;

typedef struct hpa_container {
  const char *name;
  const hpa_request *requests;
  size_t n_requests;
} hpa_container;

typedef struct hpa_pod {
  const char *name;
  hpa_pod_phase phase;
  bool deleting; /* metadata.deletionTimestamp set */
  bool has_ready_condition;
  bool ready; /* Ready condition status True */
  double ready_transition_time;
  bool has_start_time;
  double start_time;
  const hpa_container *containers;
  size_t n_containers;
} hpa_pod;

/* One pod's value of one metric, as the metrics API would return it. */
typedef struct hpa_sample {
  bool present;
  int64_t milli;
  double timestamp;
  double window;     /* seconds; used for CPU readiness */
  const char *error; /* why it is absent (what was tried), for messages; may be NULL */
} hpa_sample;

/* The fetched values of one metric spec. */
typedef struct hpa_metric_input {
  /* Non-NULL: fetching this metric failed as a whole (the metrics API did not
   * answer); the text says what was tried. */
  const char *error;
  /* Pods / Resource / ContainerResource: one sample per pod, parallel to
   * hpa_input.pods. */
  const hpa_sample *samples;
  /* Object: the value. */
  int64_t object_milli;
  double timestamp;
  /* External: every series returned (summed, as upstream). */
  const int64_t *external_milli;
  size_t n_external;
} hpa_metric_input;

typedef struct hpa_recommendation {
  int32_t replicas;
  double time;
} hpa_recommendation;

typedef struct hpa_scale_event {
  int32_t change; /* > 0 scale-up by change, < 0 scale-down by -change */
  double time;
} hpa_scale_event;

typedef struct hpa_options {
  double tolerance;                 /* --horizontal-pod-autoscaler-tolerance, 0.1 */
  double cpu_initialization_period; /* --horizontal-pod-autoscaler-cpu-initialization-period, 300 s */
  double initial_readiness_delay;   /* --horizontal-pod-autoscaler-initial-readiness-delay, 30 s */
  double downscale_stabilization;   /* --horizontal-pod-autoscaler-downscale-stabilization, 300 s */
} hpa_options;

void hpa_options_default(hpa_options *o);

/* What happens after the decision (the caller performs the scale update):
 * ASSUME_OK — the update succeeds (explain, and the controller's first pass);
 * FAILED — the update failed with rescale_error (FailedRescale, FailedUpdateScale);
 * ADVISORY — the autoscaler only reports: no update, no scale event recorded. */
typedef enum { HPA_RESCALE_ASSUME_OK, HPA_RESCALE_FAILED, HPA_RESCALE_ADVISORY } hpa_rescale_outcome;

typedef struct hpa_input {
  const hpa_spec *spec;
  const char *ns; /* the autoscaler's namespace, for messages */
  /* The scale subresource: spec.replicas (currentReplicas) and status.replicas. */
  int32_t spec_replicas;
  int32_t status_replicas;
  /* The target's scale selector as text ("app=qwen3"); NULL or "" is
   * InvalidSelector (SelectorRequired). selector_error: the selector did not
   * parse. ambiguous_with: other autoscalers controlling the same pods
   * (AmbiguousSelector). */
  const char *selector;
  const char *selector_error;
  const char *ambiguous_with;
  const hpa_pod *pods; /* the pods the selector matches */
  size_t n_pods;
  const hpa_metric_input *metrics; /* [spec->n_metrics] */
  const hpa_recommendation *recommendations;
  size_t n_recommendations;
  const hpa_scale_event *scale_events;
  size_t n_scale_events;
  hpa_options options;
  double now;
  hpa_rescale_outcome outcome;
  const char *rescale_error; /* outcome FAILED */
} hpa_input;

/* ---- result ---------------------------------------------------------------- */

typedef enum {
  HPA_COND_ABLE_TO_SCALE,
  HPA_COND_SCALING_ACTIVE,
  HPA_COND_SCALING_LIMITED,
  HPA_COND_COUNT
} hpa_condition_type;

typedef struct hpa_condition {
  hpa_condition_type type;
  const char *type_name; /* "AbleToScale" */
  bool status;
  const char *reason;
  const char *message;
} hpa_condition;

typedef struct hpa_event {
  bool warning;
  const char *reason;
  const char *message;
} hpa_event;

typedef struct hpa_metric_result {
  const hpa_metric_spec *spec;
  bool ok;
  int32_t proposal;
  const char *description; /* upstream's metricNameProposal, e.g. "pods metric num_requests_running" */
  /* The MetricStatus current value (upstream reports the value before the
   * missing/unready adjustment). */
  bool has_value, has_average_value, has_average_utilization;
  int64_t value_milli, average_value_milli;
  int32_t average_utilization;
  const char *reason; /* failed: FailedGetPodsMetric, ... */
  const char *error;  /* failed: the error text (also the Warning event's message) */
  /* Pod bookkeeping of groupPods, for explanation. */
  int n_ready, n_unready, n_missing, n_ignored;
  const char *detail; /* e.g. which pods were missing and why; NULL when nothing to say */
} hpa_metric_result;

typedef struct hpa_result {
  int32_t current_replicas;
  int32_t desired_replicas; /* what status.desiredReplicas says */
  bool rescale;             /* the caller must set the target's replicas to desired_replicas */
  bool set_last_scale_time; /* status.lastScaleTime = now */
  const char *rescale_reason;
  int32_t metric_desired; /* max over metric proposals; -1 when metrics were not computed */
  const char *metric_name;
  int32_t stabilized; /* after the stabilisation window, before rate limits */
  int32_t computed;   /* the final recommendation (== desired except when advisory/failed) */
  /* Upstream's setCurrentReplicasInStatus path (every metric failed, a failure
   * blocked a scale-down, or the update failed): status keeps its previous
   * desiredReplicas and currentMetrics; only currentReplicas is refreshed. */
  bool metrics_failed;
  hpa_metric_result *metrics;
  size_t n_metrics;
  hpa_condition conditions[HPA_COND_COUNT]; /* in the order upstream first sets them */
  size_t n_conditions;
  const char *limited_by; /* reasons that changed the recommendation, "" when none */
  hpa_recommendation *recommendations;
  size_t n_recommendations;
  hpa_scale_event *scale_events;
  size_t n_scale_events;
  hpa_event *events;
  size_t n_events;
} hpa_result;

/* One reconcile (reconcileAutoscaler from the point the scale was read).
 * Returns 0; SW_EINVAL only for inputs that break the struct contract
 * (metrics array missing), with err set. */
int hpa_reconcile(const hpa_input *in, sw_arena *a, hpa_result *out, sw_err *err);

/* The condition of one type in a result, or NULL when this reconcile did not set it. */
const hpa_condition *hpa_result_condition(const hpa_result *r, hpa_condition_type t);

/* ---- quantities (exact milli-values, as resource.Quantity) ------------------ */

/* Parses a Kubernetes quantity ("500m", "12Gi", "1e3", "58") into
 * ceil(value * 1000) like Quantity.MilliValue(), saturating at the int64
 * range. Returns -1 on a malformed quantity. */
int hpa_quantity_milli(const char *s, int64_t *milli);
/* A double (from a scrape) to milli-units: ceil(v * 1000), where values within
 * floating-point noise of an integer milli-value are taken as that value. */
int64_t hpa_milli_from_double(double v);
/* resource.NewMilliQuantity(v, DecimalSI).String(): "58", "500m", "2k". buf >= 32. */
void hpa_milli_format(int64_t milli, char *buf, size_t n);

const char *hpa_condition_type_name(hpa_condition_type t);
const char *hpa_metric_type_name(hpa_metric_type t);

#endif
