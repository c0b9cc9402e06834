/*
 * metrics_source.c — autoscale_metrics_source over the metrics hub.
 * Pods metrics are the hub's custom metrics; Resource metrics (cpu, memory)
 * have no source on the embedded clusters (replicas are processes without a
 * metrics-server), so they report exactly that and the autoscaler shows
 * ScalingActive False with the reason. Object and External metrics likewise.
 */
#include "up/metrics_source.h"

#include "metrics/hub.h"

static int pod_metric(void *ud, const char *ns, const char *pod, const char *metric, const json_t *selector,
                      double *value, double *ts, double *window, sw_err *err) {
  return metrics_hub_pod_metric(ud, ns, pod, metric, selector, value, ts, window, err);
}

static int pod_resource(void *ud, const char *ns, const char *pod, const char *container, const char *resource,
                        double *value, double *ts, double *window, sw_err *err) {
  (void)ud, (void)value, (void)ts, (void)window, (void)container;
  return sw_err_set(err, SW_ENOENT,
                    "no resource metric \"%s\" for pod %s/%s: spillway's embedded clusters run replicas as "
                    "processes without a metrics-server; scale on a Pods metric the engine exposes "
                    "(e.g. num_requests_running or DCGM_CUSTOM_PROCESS_SM_UTIL) instead",
                    resource, ns, pod);
}

static int object_metric(void *ud, const char *ns, const char *kind, const char *name, const char *metric,
                         const json_t *selector, double *value, double *ts, sw_err *err) {
  (void)ud, (void)selector, (void)value, (void)ts;
  return sw_err_set(err, SW_ENOENT,
                    "no object metric \"%s\" for %s %s/%s: object metrics need a Prometheus source "
                    "(spillway up --prometheus URL) with a rule that answers it",
                    metric, kind, ns, name);
}

void up_metrics_source(autoscale_metrics_source *src, struct metrics_hub *hub) {
  src->ud = hub;
  /* without the hub (--controllers -metrics) Pods metrics have no source,
   * which the autoscaler reports in its ScalingActive condition */
  src->pod_metric = hub ? pod_metric : NULL;
  src->pod_resource = pod_resource;
  src->object_metric = object_metric;
  src->external_metric = NULL;
}
