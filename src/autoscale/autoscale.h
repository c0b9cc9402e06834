/*
 * autoscale.h — the autoscaling part's JSON-facing API: decoding autoscaler
 * manifests into the pure algorithm's structs (hpa.h), the what-if tool
 * (`spillway autoscale explain`), the FederatedHPA / HorizontalPodAutoscaler
 * controller and the InferenceService (KServe) controller.
 *
 * Role in the data flow: metrics (through the caller's autoscale_metrics_source)
 * + objects in the store -> Deployment spec.replicas (the fleet scheduler places
 * them) and autoscaler status. Must never: read the clock (controllers get `now`
 * from the plane), block the loop, or place replicas itself.
 * Ownership: json_t arguments are borrowed; json_t results are new references;
 * structs filled "into an arena" live as long as that arena.
 */
#ifndef AUTOSCALE_H
#define AUTOSCALE_H

#include <jansson.h>
#include <stdbool.h>

#include "autoscale/hpa.h"
#include "base/sw.h"

struct plane;

/* The annotation that puts an autoscaler in advisory mode (compute and
 * report, never act) when its value is "true". */
#define AUTOSCALE_ADVISORY_ANNOTATION "autoscaling.spillway.io/advisory"

/* ---- manifests -> hpa_spec ------------------------------------------------- */

/* Decodes the spec of a FederatedHPA (Karmada / ACK One) or an autoscaling/v2
 * HorizontalPodAutoscaler: minReplicas, maxReplicas, metrics, behavior. Applies
 * the API server's defaults (minReplicas 1, CPU 80% when metrics is empty,
 * behavior defaults when behavior is present). path prefixes error messages
 * (e.g. "autoscaler.spec"); errors name the field path and what was expected.
 * Everything is allocated from a. */
int autoscale_spec_decode(const json_t *spec, const char *path, sw_arena *a, hpa_spec *out, sw_err *err);

/* Go's %+v of a *metav1.LabelSelector ("nil" when sel is NULL/null), as
 * upstream prints metric selectors in descriptions. Arena-allocated. */
const char *autoscale_selector_text(const json_t *sel, sw_arena *a);

/* ---- explain --------------------------------------------------------------- */

/* One reconcile of the HPA algorithm on a state given as JSON (the input of
 * `spillway autoscale explain`, documented in docs/autoscale.md). On success
 * *out is the output object (new reference). Input is untrusted: errors name
 * the JSON path and what was expected. */
int autoscale_explain(const json_t *input, json_t **out, sw_err *err);

/* ---- the controllers ------------------------------------------------------- */

/* Where the controllers read metrics. The lead wires it to the metrics hub.
 * Every function returns 0 and fills the value(s), or a negative SW_E* code and
 * err with what was tried (the message ends up in the autoscaler's
 * ScalingActive condition, so it should name the metric, the pod and the URL
 * or query). Any function may be NULL: that metric kind is then reported as
 * unavailable. Values are in the metric's own unit (cores for cpu, bytes for
 * memory); ts is the sample time (clock seconds) and window the span it
 * covers (seconds; 0 when instantaneous). selector is the metric's label
 * selector from the spec (borrowed, may be NULL). */
typedef struct autoscale_metrics_source {
  void *ud;
  int (*pod_metric)(void *ud, const char *ns, const char *pod, const char *metric, const json_t *selector,
                    double *value, double *ts, double *window, sw_err *err);
  /* Resource usage of a pod (container NULL: the sum over its containers) */
  int (*pod_resource)(void *ud, const char *ns, const char *pod, const char *container, const char *resource,
                      double *value, double *ts, double *window, sw_err *err);
  int (*object_metric)(void *ud, const char *ns, const char *kind, const char *name, const char *metric,
                       const json_t *selector, double *value, double *ts, sw_err *err);
  /* External metric: every matching series, at most cap values into values[]. */
  int (*external_metric)(void *ud, const char *ns, const char *metric, const json_t *selector, double *values,
                         size_t cap, size_t *n, double *ts, sw_err *err);
} autoscale_metrics_source;

typedef struct autoscale_opts {
  double sync_period; /* clock seconds between syncs; default 5 */
  hpa_options hpa;    /* tolerance, CPU initialisation period, readiness delay, downscale stabilisation */
  bool kserve;        /* also run the InferenceService controller (default true) */
  /* InferenceService status.url is http://<name>-<namespace>.<domain>, KServe's
   * default domain template; default "example.com" (borrowed string). */
  const char *kserve_domain;
} autoscale_opts;

void autoscale_opts_default(autoscale_opts *o);

typedef struct autoscale_controller autoscale_controller;

/* Registers the autoscaler controller ("autoscaler": FederatedHPA and
 * HorizontalPodAutoscaler) and, when o->kserve, the "kserve" controller on the
 * plane. src and o are copied; src->ud is borrowed and must outlive the plane.
 * Returns the controller (owned by the caller; free with
 * autoscale_controller_free after plane_fini), NULL only when p is NULL. */
autoscale_controller *autoscale_controller_start(struct plane *p, const autoscale_metrics_source *src,
                                                 const autoscale_opts *o);
void autoscale_controller_free(autoscale_controller *c);

/* One sync of every FederatedHPA and HorizontalPodAutoscaler in the store (the
 * plane calls it every sync period; tests call it directly). */
void autoscale_controller_sync(autoscale_controller *c, struct plane *p, double now);

/* One sync of every InferenceService: its predictor Deployment, its
 * HorizontalPodAutoscaler, its status; and garbage collection of the objects
 * it owned once it is gone. */
void autoscale_kserve_sync(autoscale_controller *c, struct plane *p, double now);

/* ---- KServe mapping (pure) --------------------------------------------------- */

/* The predictor Deployment "<name>-predictor" for an InferenceService (new
 * reference), or NULL with err when the predictor has no container. existing
 * (may be NULL) is the Deployment already in the store: its spec.replicas is
 * kept, since the autoscaler owns it after creation. */
json_t *autoscale_kserve_deployment(const json_t *isvc, const json_t *existing, sw_err *err);
/* The HorizontalPodAutoscaler "<name>-predictor" KServe creates for it (new
 * reference), or NULL when the autoscaler class is not hpa (external, none). */
json_t *autoscale_kserve_hpa(const json_t *isvc);
/* The status KServe would write for it: url, address, conditions
 * (PredictorReady, IngressReady, Ready) given how many predictor pods are
 * ready. prev (may be NULL) keeps lastTransitionTime of unchanged conditions.
 * New reference. */
json_t *autoscale_kserve_status(const json_t *isvc, const json_t *prev, int ready_pods, int replicas,
                                const char *domain, double now);

#endif
