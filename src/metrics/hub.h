/*
 * hub.h — the metrics pipeline of a running control plane: scrapes every
 * ready pod that asks for it, keeps its recent samples, and answers the
 * autoscaler ("num_requests_waiting of pod test/qwen3-...?"), the gateway
 * (raw gauges) and the custom metrics API.
 *
 * Pods come from the store (kind Pod, written by the member-cluster layer).
 * A pod is scraped when it is Ready (condition Ready True), not terminating
 * (no metadata.deletionTimestamp) and annotated prometheus.io/scrape: "true";
 * the URL is http://<status.podIP>:<status.portMap[prometheus.io/port]>
 * <prometheus.io/path, default /metrics> (an annotation port missing from
 * portMap is used as is; without the annotation, the first containerPort).
 * Pods that disappear drop their samples.
 *
 * Names: the adapter rules (a file, or the built-in defaults) decide which
 * series answer which metric name and how (metricsQuery), evaluated over the
 * pod's own samples; with a Prometheus URL the same rules are sent to that
 * server instead, with a cached answer per (metric, namespace, selector)
 * refreshed every interval in the background, so no call here ever blocks.
 *
 * Role in the data flow: scraper -> samples -> autoscaler. Owns: the
 * scraper, the per-pod caches, the Prometheus source. Registers one plane
 * controller ("metrics") and sets plane->metrics. Single-threaded (the
 * plane's loop).
 */
#ifndef METRICS_HUB_H
#define METRICS_HUB_H

#include <jansson.h>

#include "base/sw.h"
#include "plane/plane.h"

typedef struct metrics_hub metrics_hub;

typedef struct metrics_hub_opts {
  double interval;            /* clock seconds between scrapes of a pod; default 1 */
  double timeout;             /* real seconds a scrape or Prometheus request may take; default 1 */
  size_t history;             /* scrapes kept per pod; default 60 */
  const char *rules_file;     /* prometheus-adapter rules; NULL: the built-in rules */
  const char *prometheus_url; /* NULL: evaluate rules over spillway's own scrapes */
  double lookback;            /* newest sample an instant query accepts, clock s; default 300 */
} metrics_hub_opts;

/* Creates the hub on p's loop, reads the current pods, watches Pod changes
 * and registers the "metrics" controller. NULL and err when the rules file
 * does not load. warnings (optional JSON array) receives rule warnings. */
metrics_hub *metrics_hub_new(plane *p, const metrics_hub_opts *o, json_t *warnings, sw_err *err);
/* Stops watching and scraping; run the loop once more afterwards so libuv
 * can close the sockets. */
void metrics_hub_free(metrics_hub *h);

/* The value of custom metric `metric` for one pod, as the custom metrics API
 * would answer it: 0, *value, *timestamp (when it was sampled, clock s) and
 * *window (the rate window the rule uses, 0 for none). metric_selector is
 * the HPA's metric.selector (matchLabels / matchExpressions) or NULL.
 * On failure: SW_ENOENT (nothing answers), SW_EUNAVAIL (not yet, or a peer
 * did not answer), with err saying what was tried, e.g.
 *   no metric "num_requests_waiting" for pod test/qwen3-5d8f-abcde: the pod's
 *   last scrape of http://127.0.0.1:40123/metrics failed (connection refused)
 * Never blocks. */
int metrics_hub_pod_metric(metrics_hub *h, const char *ns, const char *pod, const char *metric,
                           const json_t *metric_selector, double *value, double *timestamp, double *window,
                           sw_err *err);

/* The sum of the newest values of a raw series of one pod (e.g.
 * "vllm:num_requests_waiting" over its model_name labels), for the gateway.
 * 0 or SW_ENOENT (not scraped, stale, or no such series). */
int metrics_hub_pod_gauge(metrics_hub *h, const char *ns, const char *pod, const char *series, double *value);

/* Custom metric names available (for API discovery): a new sorted JSON array. */
json_t *metrics_hub_metric_names(metrics_hub *h);

/* Scrape state per pod, for `describe` and debugging: a new JSON array of
 * {namespace, name, scraped, url, reason, lastError, series, scrapes,
 * lastScrape}. */
json_t *metrics_hub_status(metrics_hub *h);

/* Pods the hub knows in a namespace (scraped or not), sorted: a new JSON
 * array of {name, labels}. For the custom metrics API's "*" queries. */
json_t *metrics_hub_pods(metrics_hub *h, const char *ns);

/* Where a Pod object says its metrics are: 0 and *url (caller frees) when
 * the hub should scrape it, else SW_ENOENT and *reason (caller frees), e.g.
 * "it is not Ready". Pure: decides from the object alone. */
int metrics_pod_scrape_url(const json_t *pod, char **url, char **reason);

/* Runs one sync now (tests; the controller does this every interval). */
void metrics_hub_sync(metrics_hub *h);

/* ---- custom metrics API (custom.metrics.k8s.io v1beta1 and v1beta2) ----
 * Answers GET <path>?<query> as the API server would: the APIGroup at
 * /apis/custom.metrics.k8s.io, the APIResourceList ("pods/<metric>") at
 * /apis/custom.metrics.k8s.io/v1beta1, and a MetricValueList at
 * .../namespaces/<ns>/pods/<pod|*>/<metric> (labelSelector and
 * metricLabelSelector query parameters honoured); anything else a
 * Kubernetes Status with the reason. *http_status receives 200, 404 or
 * 503. Returns a new reference. */
json_t *metrics_custom_api(metrics_hub *h, const char *path, const char *query, int *http_status);

/* Kubernetes quantity text of a metric value as the adapter writes it
 * (resource.NewMilliQuantity(int64(v*1000), DecimalSI)): 58 -> "58",
 * 1.5 -> "1500m", 58000 -> "58k". */
void metrics_quantity(double v, char *buf, size_t n);

#endif
