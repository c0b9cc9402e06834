/*
 * Unit tests for the autoscaling controllers (src/autoscale/controller.c,
 * kserve.c) against a real in-memory store and plane, with a fake metrics
 * source standing in for the metrics hub. Syncs are called directly with
 * explicit times, so the tests are about behaviour, not timing.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "autoscale/autoscale.h"
#include "plane/plane.h"

/* ---- a fake metrics hub: values per (pod, metric), or an error ----------------------- */

typedef struct fake_value {
  char pod[64], metric[64];
  double value;
  const char *error;
} fake_value;

typedef struct fake_src {
  fake_value v[32];
  size_t n;
  int calls;
} fake_src;

static void fake_set(fake_src *f, const char *pod, const char *metric, double value, const char *error) {
  for (size_t i = 0; i < f->n; i++)
    if (!strcmp(f->v[i].pod, pod) && !strcmp(f->v[i].metric, metric)) {
      f->v[i].value = value;
      f->v[i].error = error;
      return;
    }
  fake_value *x = &f->v[f->n++];
  snprintf(x->pod, sizeof x->pod, "%s", pod);
  snprintf(x->metric, sizeof x->metric, "%s", metric);
  x->value = value;
  x->error = error;
}

static int fake_pod_metric(void *ud, const char *ns, const char *pod, const char *metric, const json_t *sel,
                           double *value, double *ts, double *window, sw_err *err) {
  fake_src *f = ud;
  f->calls++;
  for (size_t i = 0; i < f->n; i++)
    if (!strcmp(f->v[i].pod, pod) && !strcmp(f->v[i].metric, metric)) {
      if (f->v[i].error) return sw_err_set(err, SW_EUNAVAIL, "%s", f->v[i].error);
      *value = f->v[i].value;
      *ts = 0;
      *window = 0;
      return 0;
    }
  return sw_err_set(err, SW_ENOENT, "no metric \"%s\" for pod %s/%s: no series", metric, ns, pod);
}

/* ---- fixture ---------------------------------------------------------------------------- */

static uv_loop_t loop;
static store_t *st;
static plane pl;
static fake_src src;
static autoscale_controller *ctl;
static const double T0 = 1800000000; /* 2027-01-15T08:00:00Z */

static void setup(void) {
  sw_err err;
  uv_loop_init(&loop);
  cr_assert_eq(store_open(&st, ":memory:", &err), 0, "%s", err.msg);
  plane_init(&pl, &loop, st, 1);
  memset(&src, 0, sizeof src);
  autoscale_metrics_source ms = {.ud = &src, .pod_metric = fake_pod_metric};
  autoscale_opts o;
  autoscale_opts_default(&o);
  ctl = autoscale_controller_start(&pl, &ms, &o);
}

static void teardown(void) {
  autoscale_controller_free(ctl);
  plane_fini(&pl);
  uv_run(&loop, UV_RUN_NOWAIT);
  uv_loop_close(&loop);
  store_close(st);
}

static void apply_text(const char *text, double now) {
  char *s = sw_xstrdup(text);
  for (char *p = s; *p; p++)
    if (*p == '\'') *p = '"';
  json_error_t je;
  json_t *o = json_loads(s, 0, &je);
  cr_assert_not_null(o, "bad JSON %s: %s", je.text, s);
  sw_err err;
  cr_assert_eq(store_apply(st, &o, 1, now, NULL, &err), 0, "%s", err.msg);
  json_decref(o);
  free(s);
}

static void put_pod(const char *name, const char *app, bool ready, const char *phase) {
  char buf[2048];
  snprintf(
      buf, sizeof buf,
      "{'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': '%s', 'namespace': 'test', 'labels': {'app': "
      "'%s', "
      "'spillway.io/cluster': 'cluster1'}}, 'spec': {'containers': [{'name': 'vllm', 'resources': "
      "{'requests': "
      "{'nvidia.com/gpu': '1'}}}]}, 'status': {'phase': '%s', 'startTime': '2027-01-15T07:00:00Z', "
      "'conditions': [{'type': 'Ready', 'status': '%s', 'lastTransitionTime': '2027-01-15T07:01:00Z'}]}}",
      name, app, phase, ready ? "True" : "False");
  apply_text(buf, T0);
  /* status is the cluster layer's: written through update_status as it would */
  char *s = sw_xstrdup(buf);
  for (char *p = s; *p; p++)
    if (*p == '\'') *p = '"';
  json_t *o = json_loads(s, 0, NULL);
  sw_err err;
  cr_assert_eq(store_update_status(st, "Pod", "test", name, json_object_get(o, "status"), &err), 0, "%s",
               err.msg);
  json_decref(o);
  free(s);
}

#define DEPLOYMENT(replicas)                                                                                 \
  "{'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'qwen3', 'namespace': 'test'}, "     \
  "'spec': "                                                                                                 \
  "{'replicas': " #replicas ", 'selector': {'matchLabels': {'app': 'qwen3'}}, 'template': {'metadata': "     \
  "{'labels': {'app': 'qwen3'}}, 'spec': {'containers': [{'name': 'vllm', 'image': 'vllm'}]}}}}"

#define FHPA(annotations, target)                                                                            \
  "{'apiVersion': 'autoscaling.one.alibabacloud.com/v1alpha1', 'kind': 'FederatedHPA', 'metadata': "         \
  "{'name': "                                                                                                \
  "'vllm-fhpa', 'namespace': 'test', 'annotations': {" annotations                                           \
  "}}, 'spec': {'scaleTargetRef': {'apiVersion': "                                                           \
  "'apps/v1', 'kind': 'Deployment', 'name': '" target                                                        \
  "'}, 'minReplicas': 1, 'maxReplicas': 10, 'behavior': "                                                    \
  "{'scaleDown': {'stabilizationWindowSeconds': 30}, 'scaleUp': {'stabilizationWindowSeconds': 10}}, "       \
  "'metrics': "                                                                                              \
  "[{'type': 'Pods', 'pods': {'metric': {'name': 'num_requests_waiting'}, 'target': {'type': "               \
  "'AverageValue', "                                                                                         \
  "'averageValue': 5}}}, {'type': 'Pods', 'pods': {'metric': {'name': 'num_requests_running'}, 'target': "   \
  "{'type': "                                                                                                \
  "'AverageValue', 'averageValue': 40}}}]}}"

static json_int_t replicas_of(const char *deployment) {
  json_t *d = store_get(st, "Deployment", "test", deployment);
  cr_assert_not_null(d);
  json_int_t r = json_integer_value(json_object_get(json_object_get(d, "spec"), "replicas"));
  json_decref(d);
  return r;
}

static json_t *fhpa_status(void) {
  json_t *o = store_get(st, "FederatedHPA", "test", "vllm-fhpa");
  cr_assert_not_null(o);
  json_t *s = json_incref(json_object_get(o, "status"));
  json_decref(o);
  return s;
}

static const json_t *condition(const json_t *status, const char *type) {
  size_t i;
  const json_t *c;
  json_array_foreach(json_object_get(status, "conditions"), i, c) {
    if (!strcmp(json_string_value(json_object_get(c, "type")), type)) return c;
  }
  return NULL;
}

static bool has_event(const char *reason, const char *message) {
  json_t *evs = store_list(st, "Event", "test");
  bool found = false;
  size_t i;
  json_t *e;
  json_array_foreach(evs, i, e) {
    if (!strcmp(json_string_value(json_object_get(e, "reason")), reason) &&
        (!message || strstr(json_string_value(json_object_get(e, "message")), message)))
      found = true;
  }
  json_decref(evs);
  return found;
}

static void two_busy_pods(double running) {
  put_pod("qwen3-5d8f9c7b6a-aaaaa", "qwen3", true, "Running");
  put_pod("qwen3-5d8f9c7b6a-bbbbb", "qwen3", true, "Running");
  fake_set(&src, "qwen3-5d8f9c7b6a-aaaaa", "num_requests_waiting", 0, NULL);
  fake_set(&src, "qwen3-5d8f9c7b6a-bbbbb", "num_requests_waiting", 0, NULL);
  fake_set(&src, "qwen3-5d8f9c7b6a-aaaaa", "num_requests_running", running, NULL);
  fake_set(&src, "qwen3-5d8f9c7b6a-bbbbb", "num_requests_running", running, NULL);
}

TestSuite(autoscale_controller, .init = setup, .fini = teardown);

/* The first seed: 2 replicas at 58 running requests each, target 40 -> 3. */
Test(autoscale_controller, seed_scale_out) {
  apply_text(DEPLOYMENT(2), T0);
  apply_text(FHPA("", "qwen3"), T0);
  two_busy_pods(58);
  /* The first sync records the current size as the initial recommendation
   * (recordInitialRecommendation), which the 10 s scale-up window applies. */
  autoscale_controller_sync(ctl, &pl, T0);
  cr_expect_eq(replicas_of("qwen3"), 2);
  json_t *s = fhpa_status();
  cr_expect_str_eq(json_string_value(json_object_get(condition(s, "AbleToScale"), "reason")),
                   "ScaleUpStabilized");
  json_decref(s);
  autoscale_controller_sync(ctl, &pl, T0 + 20);
  cr_expect_eq(replicas_of("qwen3"), 3);
  s = fhpa_status();
  cr_expect_eq(json_integer_value(json_object_get(s, "currentReplicas")), 2);
  cr_expect_eq(json_integer_value(json_object_get(s, "desiredReplicas")), 3);
  const json_t *m1 = json_array_get(json_object_get(s, "currentMetrics"), 1);
  cr_expect_str_eq(json_string_value(json_object_get(m1, "type")), "Pods");
  cr_expect_str_eq(
      json_string_value(json_object_get(json_object_get(json_object_get(m1, "pods"), "metric"), "name")),
      "num_requests_running");
  cr_expect_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(m1, "pods"), "current"),
                                                     "averageValue")),
                   "58");
  cr_expect_str_eq(json_string_value(json_object_get(condition(s, "AbleToScale"), "reason")),
                   "SucceededRescale");
  cr_expect_str_eq(json_string_value(json_object_get(condition(s, "ScalingActive"), "reason")),
                   "ValidMetricFound");
  cr_expect_str_eq(json_string_value(json_object_get(s, "lastScaleTime")), "2027-01-15T08:00:20Z");
  const json_t *prop = json_array_get(json_object_get(s, "metricProposals"), 1);
  cr_expect_eq(json_integer_value(json_object_get(prop, "proposedReplicas")), 3);
  cr_expect(
      has_event("SuccessfulRescale", "New size: 3; reason: pods metric num_requests_running above target"));
  json_decref(s);
}

/* Load gone: held by the 30 s scale-down window, then back to minReplicas. */
Test(autoscale_controller, seed_scale_back_after_window) {
  apply_text(DEPLOYMENT(3), T0);
  apply_text(FHPA("", "qwen3"), T0);
  two_busy_pods(0);
  put_pod("qwen3-5d8f9c7b6a-ccccc", "qwen3", true, "Running");
  fake_set(&src, "qwen3-5d8f9c7b6a-ccccc", "num_requests_waiting", 0, NULL);
  fake_set(&src, "qwen3-5d8f9c7b6a-ccccc", "num_requests_running", 0, NULL);
  autoscale_controller_sync(ctl, &pl, T0);
  cr_expect_eq(replicas_of("qwen3"), 3, "the first sync records 3 as the initial recommendation");
  json_t *s = fhpa_status();
  cr_expect_str_eq(json_string_value(json_object_get(condition(s, "AbleToScale"), "reason")),
                   "ScaleDownStabilized");
  cr_expect_str_eq(json_string_value(json_object_get(s, "limitedBy")), "ScaleDownStabilized");
  json_decref(s);
  autoscale_controller_sync(ctl, &pl, T0 + 20);
  cr_expect_eq(replicas_of("qwen3"), 3, "20 s later the window still holds");
  autoscale_controller_sync(ctl, &pl, T0 + 35);
  cr_expect_eq(replicas_of("qwen3"), 1, "after 30 s: minReplicas");
  s = fhpa_status();
  cr_expect_str_eq(json_string_value(json_object_get(condition(s, "ScalingLimited"), "reason")),
                   "TooFewReplicas");
  json_decref(s);
}

/* The seed's FAQ: a wrong scaleTargetRef leaves REPLICAS empty. */
Test(autoscale_controller, missing_target) {
  apply_text(DEPLOYMENT(1), T0);
  apply_text(FHPA("", "qwen"), T0);
  autoscale_controller_sync(ctl, &pl, T0);
  json_t *s = fhpa_status();
  cr_expect_null(json_object_get(s, "currentReplicas"));
  const json_t *c = condition(s, "AbleToScale");
  cr_expect_str_eq(json_string_value(json_object_get(c, "status")), "False");
  cr_expect_str_eq(json_string_value(json_object_get(c, "reason")), "FailedGetScale");
  cr_expect_str_eq(
      json_string_value(json_object_get(c, "message")),
      "the HPA controller was unable to get the target's current scale: deployments.apps \"qwen\" not "
      "found in namespace \"test\"");
  cr_expect(has_event("FailedGetScale", "deployments.apps \"qwen\" not found"));
  json_decref(s);
}

/* A pod that exposes no metric, a rule that matches nothing, an unreachable
 * Prometheus: each leaves ScalingActive=False with a message naming the
 * metric, the pod and what was tried (the metrics hub's error), and the
 * replicas unchanged. */
Test(autoscale_controller, metric_unavailable) {
  apply_text(DEPLOYMENT(1), T0);
  apply_text(FHPA("", "qwen3"), T0);
  put_pod("qwen3-5d8f9c7b6a-aaaaa", "qwen3", true, "Running");
  const char *whys[] = {
      "no metric \"num_requests_waiting\" for pod test/qwen3-5d8f9c7b6a-aaaaa: the pod's last scrape of "
      "http://127.0.0.1:40123/metrics failed (connection refused)",
      "no metric \"num_requests_waiting\" for pod test/qwen3-5d8f9c7b6a-aaaaa: scraped 42 series from "
      "http://127.0.0.1:40123/metrics, but no series matches rule seriesQuery \"vllm:num_requests_waiting\"",
      "no metric \"num_requests_waiting\" for pod test/qwen3-5d8f9c7b6a-aaaaa: Prometheus at "
      "http://127.0.0.1:9 did "
      "not answer query "
      "\"sum(vllm:num_requests_waiting{kubernetes_pod_name=\\\"qwen3-5d8f9c7b6a-aaaaa\\\"})\" "
      "(connection refused)",
  };
  fake_set(&src, "qwen3-5d8f9c7b6a-aaaaa", "num_requests_running", 0,
           "no metric \"num_requests_running\": same");
  for (size_t i = 0; i < 3; i++) {
    fake_set(&src, "qwen3-5d8f9c7b6a-aaaaa", "num_requests_waiting", 0, whys[i]);
    autoscale_controller_sync(ctl, &pl, T0 + 5.0 * (double)i);
    cr_expect_eq(replicas_of("qwen3"), 1);
    json_t *s = fhpa_status();
    const json_t *c = condition(s, "ScalingActive");
    cr_expect_str_eq(json_string_value(json_object_get(c, "status")), "False");
    cr_expect_str_eq(json_string_value(json_object_get(c, "reason")), "FailedGetPodsMetric");
    const char *msg = json_string_value(json_object_get(c, "message"));
    cr_expect(strstr(msg, "the HPA was unable to compute the replica count: unable to get metric "
                          "num_requests_waiting: no metrics returned from custom metrics API (pod "
                          "qwen3-5d8f9c7b6a-aaaaa: ") != NULL,
              "%s", msg);
    cr_expect(strstr(msg, whys[i]) != NULL, "case %zu: %s", i, msg);
    cr_expect_eq(json_integer_value(json_object_get(s, "currentReplicas")), 1);
    cr_expect_eq(json_integer_value(json_object_get(s, "desiredReplicas")), 1);
    json_decref(s);
  }
  cr_expect(has_event("FailedGetPodsMetric", "num_requests_waiting"));
  cr_expect(has_event("FailedComputeMetricsReplicas", "invalid metrics (2 invalid out of 2)"));
}

/* Advisory mode computes and reports, and never touches the Deployment. */
Test(autoscale_controller, advisory) {
  apply_text(DEPLOYMENT(2), T0);
  apply_text(FHPA("'autoscaling.spillway.io/advisory': 'true'", "qwen3"), T0);
  two_busy_pods(58);
  autoscale_controller_sync(ctl, &pl, T0);
  autoscale_controller_sync(ctl, &pl, T0 + 20);
  cr_expect_eq(replicas_of("qwen3"), 2);
  json_t *s = fhpa_status();
  cr_expect_eq(json_integer_value(json_object_get(s, "desiredReplicas")), 3);
  cr_expect(json_is_true(json_object_get(s, "advisory")));
  cr_expect_null(json_object_get(s, "lastScaleTime"));
  cr_expect(has_event("AdvisoryRescale", "would set new size: 3"));
  json_decref(s);
}

/* Histories live in status: a new controller (a restart) keeps stabilising. */
Test(autoscale_controller, history_survives_restart) {
  apply_text(DEPLOYMENT(3), T0);
  apply_text(FHPA("", "qwen3"), T0);
  two_busy_pods(0);
  autoscale_controller_sync(ctl, &pl, T0);
  autoscale_controller_free(ctl);
  autoscale_metrics_source ms = {.ud = &src, .pod_metric = fake_pod_metric};
  ctl = autoscale_controller_start(&pl, &ms, NULL);
  autoscale_controller_sync(ctl, &pl, T0 + 20);
  cr_expect_eq(replicas_of("qwen3"), 3, "the recommendation of 3 from before the restart still holds");
  json_t *s = fhpa_status();
  cr_expect_geq(json_array_size(json_object_get(s, "recommendations")), 2);
  json_decref(s);
}

/* Pods of other workloads, deleting pods and pending pods are handled as
 * Kubernetes does; pending ones are not even asked about. */
Test(autoscale_controller, pod_selection) {
  apply_text(DEPLOYMENT(2), T0);
  apply_text(FHPA("", "qwen3"), T0);
  two_busy_pods(58);
  put_pod("other-5d8f9c7b6a-zzzzz", "other", true, "Running");
  fake_set(&src, "other-5d8f9c7b6a-zzzzz", "num_requests_running", 1000, NULL);
  put_pod("qwen3-5d8f9c7b6a-ppppp", "qwen3", false, "Pending");
  src.calls = 0;
  autoscale_controller_sync(ctl, &pl, T0);
  autoscale_controller_sync(ctl, &pl, T0 + 20);
  cr_expect_eq(src.calls, 8, "2 syncs x 2 running pods x 2 metrics");
  /* 58/40 with a pending pod counted as 0 on scale-up: (58+58+0)/3 = 38.67 -> within tolerance -> keep 2 */
  cr_expect_eq(replicas_of("qwen3"), 2);
}

/* ---- InferenceService ------------------------------------------------------------------ */

#define ISVC                                                                                                 \
  "{'apiVersion': 'serving.kserve.io/v1beta1', 'kind': 'InferenceService', 'metadata': {'name': "            \
  "'qwen-chat', "                                                                                            \
  "'namespace': 'default', 'labels': {'app': 'isvc.qwen-predictor'}, 'annotations': "                        \
  "{'serving.kserve.io/autoscalerClass': 'hpa'}}, 'spec': {'predictor': {'minReplicas': 1, 'maxReplicas': "  \
  "3, "                                                                                                      \
  "'scaleMetric': 'DCGM_CUSTOM_PROCESS_SM_UTIL', 'scaleTarget': 50, 'containers': [{'name': "                \
  "'kserve-container', "                                                                                     \
  "'image': 'vllm:0.4.1', 'command': ['sh', '-c', 'python3 -m vllm.entrypoints.openai.api_server --port "    \
  "8080'], "                                                                                                 \
  "'resources': {'requests': {'cpu': '4', 'memory': '12Gi', 'nvidia.com/gpu': '1'}, 'limits': {'cpu': '4', " \
  "'memory': '12Gi', 'nvidia.com/gpu': '1'}}}]}}}"

static json_t *parse(const char *text) {
  char *s = sw_xstrdup(text);
  for (char *p = s; *p; p++)
    if (*p == '\'') *p = '"';
  json_t *o = json_loads(s, 0, NULL);
  free(s);
  cr_assert_not_null(o);
  return o;
}

Test(autoscale_controller, kserve_mapping) {
  json_t *isvc = parse(ISVC);
  sw_err err;
  json_t *dep = autoscale_kserve_deployment(isvc, NULL, &err);
  cr_assert_not_null(dep, "%s", err.msg);
  const json_t *tmeta =
      json_object_get(json_object_get(json_object_get(dep, "spec"), "template"), "metadata");
  const json_t *labels = json_object_get(tmeta, "labels");
  cr_expect_str_eq(json_string_value(json_object_get(labels, "app")), "isvc.qwen-predictor",
                   "user label wins");
  cr_expect_str_eq(json_string_value(json_object_get(labels, "serving.kserve.io/inferenceservice")),
                   "qwen-chat");
  cr_expect_str_eq(json_string_value(json_object_get(labels, "component")), "predictor");
  cr_expect_str_eq(
      json_string_value(json_object_get(json_object_get(tmeta, "annotations"), "prometheus.io/port")),
      "8080");
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(dep, "spec"), "replicas")), 1);
  json_decref(dep);

  json_t *hpa = autoscale_kserve_hpa(isvc);
  cr_assert_not_null(hpa);
  const json_t *spec = json_object_get(hpa, "spec");
  cr_expect_str_eq(json_string_value(json_object_get(json_object_get(hpa, "metadata"), "name")),
                   "qwen-chat-predictor");
  cr_expect_eq(json_integer_value(json_object_get(spec, "minReplicas")), 1);
  cr_expect_eq(json_integer_value(json_object_get(spec, "maxReplicas")), 3);
  const json_t *m = json_array_get(json_object_get(spec, "metrics"), 0);
  cr_expect_str_eq(json_string_value(json_object_get(m, "type")), "Pods");
  cr_expect_str_eq(
      json_string_value(json_object_get(json_object_get(json_object_get(m, "pods"), "metric"), "name")),
      "DCGM_CUSTOM_PROCESS_SM_UTIL");
  cr_expect_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(m, "pods"), "target"),
                                                     "averageValue")),
                   "50");
  cr_expect(json_is_object(json_object_get(spec, "behavior")));
  json_decref(hpa);

  /* KServe's own: cpu by default at 80%, memory only with a target, none for external */
  json_t *pred = json_object_get(json_object_get(isvc, "spec"), "predictor");
  json_object_del(pred, "scaleMetric");
  json_object_del(pred, "scaleTarget");
  hpa = autoscale_kserve_hpa(isvc);
  m = json_array_get(json_object_get(json_object_get(hpa, "spec"), "metrics"), 0);
  cr_expect_str_eq(json_string_value(json_object_get(json_object_get(m, "resource"), "name")), "cpu");
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(json_object_get(m, "resource"), "target"),
                                                  "averageUtilization")),
               80);
  json_decref(hpa);
  json_object_set_new(pred, "scaleMetric", json_string("memory"));
  hpa = autoscale_kserve_hpa(isvc);
  cr_expect_null(json_object_get(json_object_get(hpa, "spec"), "metrics"),
                 "memory without a target: API default");
  json_decref(hpa);
  json_object_set_new(json_object_get(json_object_get(isvc, "metadata"), "annotations"),
                      "serving.kserve.io/autoscalerClass", json_string("external"));
  cr_expect_null(autoscale_kserve_hpa(isvc));
  json_decref(isvc);
}

Test(autoscale_controller, kserve_controller) {
  apply_text(ISVC, T0);
  autoscale_kserve_sync(ctl, &pl, T0);
  json_t *dep = store_get(st, "Deployment", "default", "qwen-chat-predictor");
  cr_assert_not_null(dep);
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(dep, "spec"), "replicas")), 1);
  json_decref(dep);
  json_t *hpa = store_get(st, "HorizontalPodAutoscaler", "default", "qwen-chat-predictor");
  cr_assert_not_null(hpa);
  json_decref(hpa);
  json_t *isvc = store_get(st, "InferenceService", "default", "qwen-chat");
  const json_t *status = json_object_get(isvc, "status");
  cr_expect_str_eq(json_string_value(json_object_get(status, "url")), "http://qwen-chat-default.example.com");
  cr_expect_str_eq(json_string_value(json_object_get(condition(status, "Ready"), "status")), "False");
  json_decref(isvc);

  /* the autoscaler scales the predictor; the InferenceService controller leaves replicas alone */
  json_t *patch = json_pack("{s:{s:i}}", "spec", "replicas", 3);
  sw_err err;
  cr_assert_eq(store_merge_patch(st, "Deployment", "default", "qwen-chat-predictor", patch, NULL, &err), 0);
  json_decref(patch);
  autoscale_kserve_sync(ctl, &pl, T0 + 5);
  dep = store_get(st, "Deployment", "default", "qwen-chat-predictor");
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(dep, "spec"), "replicas")), 3);
  json_decref(dep);

  /* a ready predictor pod makes it Ready */
  char buf[1024];
  snprintf(
      buf, sizeof buf,
      "{'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'qwen-chat-predictor-7c9d8f6b5a-abcde', "
      "'namespace': 'default', 'labels': {'app': 'isvc.qwen-predictor', "
      "'serving.kserve.io/inferenceservice': "
      "'qwen-chat', 'component': 'predictor'}}, 'spec': {'containers': [{'name': 'kserve-container'}]}}");
  apply_text(buf, T0);
  json_t *ps =
      json_pack("{s:s,s:[{s:s,s:s}]}", "phase", "Running", "conditions", "type", "Ready", "status", "True");
  cr_assert_eq(store_update_status(st, "Pod", "default", "qwen-chat-predictor-7c9d8f6b5a-abcde", ps, &err),
               0);
  json_decref(ps);
  autoscale_kserve_sync(ctl, &pl, T0 + 10);
  isvc = store_get(st, "InferenceService", "default", "qwen-chat");
  cr_expect_str_eq(
      json_string_value(json_object_get(condition(json_object_get(isvc, "status"), "Ready"), "status")),
      "True");
  json_decref(isvc);

  /* deleting the InferenceService deletes what it owned */
  cr_assert_eq(store_delete(st, "InferenceService", "default", "qwen-chat", 0, &err), 0);
  autoscale_kserve_sync(ctl, &pl, T0 + 15);
  cr_expect_null(store_get(st, "Deployment", "default", "qwen-chat-predictor"));
  cr_expect_null(store_get(st, "HorizontalPodAutoscaler", "default", "qwen-chat-predictor"));
}

/* The HPA the InferenceService controller writes is run by the autoscaler. */
Test(autoscale_controller, kserve_hpa_is_autoscaled) {
  apply_text(ISVC, T0);
  autoscale_kserve_sync(ctl, &pl, T0);
  char buf[1024];
  snprintf(
      buf, sizeof buf,
      "{'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'qwen-chat-predictor-7c9d8f6b5a-abcde', "
      "'namespace': 'default', 'labels': {'app': 'isvc.qwen-predictor', "
      "'serving.kserve.io/inferenceservice': "
      "'qwen-chat', 'component': 'predictor'}}, 'spec': {'containers': [{'name': 'kserve-container'}]}}");
  apply_text(buf, T0);
  json_t *ps =
      json_pack("{s:s,s:[{s:s,s:s}]}", "phase", "Running", "conditions", "type", "Ready", "status", "True");
  sw_err err;
  cr_assert_eq(store_update_status(st, "Pod", "default", "qwen-chat-predictor-7c9d8f6b5a-abcde", ps, &err),
               0);
  json_decref(ps);
  fake_set(&src, "qwen-chat-predictor-7c9d8f6b5a-abcde", "DCGM_CUSTOM_PROCESS_SM_UTIL", 95, NULL);
  autoscale_controller_sync(ctl, &pl, T0 + 5);
  json_t *dep = store_get(st, "Deployment", "default", "qwen-chat-predictor");
  /* 95 / 50 = 1.9 -> ceil(1.9 * 1) = 2 */
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(dep, "spec"), "replicas")), 2);
  json_decref(dep);
}

/* Wired to the plane: the controller runs from its timer, and a new
 * autoscaler is reconciled on the next loop turn (the store watch kicks it). */
Test(autoscale_controller, runs_on_the_plane) {
  apply_text(DEPLOYMENT(2), T0);
  two_busy_pods(58);
  uv_run(&loop, UV_RUN_NOWAIT); /* the first, immediate sync: nothing to do yet */
  apply_text(FHPA("", "qwen3"), T0);
  for (int i = 0; i < 5; i++) uv_run(&loop, UV_RUN_NOWAIT);
  json_t *s = fhpa_status();
  cr_assert_not_null(s, "the kick on ADDED should have run a sync");
  cr_expect_eq(json_integer_value(json_object_get(s, "currentReplicas")), 2);
  cr_expect_str_eq(json_string_value(json_object_get(condition(s, "ScalingActive"), "reason")),
                   "ValidMetricFound");
  json_decref(s);
}

/* The second seed's InferenceService as examples/ has it maps to the
 * predictor the seed's ResourcePolicy selects and to a Pods-metric HPA. */
Test(autoscale_controller, seed2_example) {
  sw_err err;
  char path[1024];
  snprintf(path, sizeof path, "%s/examples/seed2/inferenceservice.yaml", SPILLWAY_SOURCE_DIR);
  size_t len;
  char *text = sw_read_file(path, &len, &err);
  cr_assert_not_null(text, "%s", err.msg);
  json_t *objs = NULL;
  cr_assert_eq(api_decode_manifests(path, text, len, NULL, &objs, NULL, &err), 0, "%s", err.msg);
  free(text);
  json_t *isvc = json_array_get(objs, 0);
  json_t *dep = autoscale_kserve_deployment(isvc, NULL, &err);
  cr_assert_not_null(dep, "%s", err.msg);
  const json_t *labels = json_object_get(
      json_object_get(json_object_get(json_object_get(dep, "spec"), "template"), "metadata"), "labels");
  cr_expect_str_eq(json_string_value(json_object_get(labels, "app")), "isvc.qwen-predictor");
  json_t *hpa = autoscale_kserve_hpa(isvc);
  const json_t *m = json_array_get(json_object_get(json_object_get(hpa, "spec"), "metrics"), 0);
  cr_expect_str_eq(
      json_string_value(json_object_get(json_object_get(json_object_get(m, "pods"), "metric"), "name")),
      "DCGM_CUSTOM_PROCESS_SM_UTIL");
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(hpa, "spec"), "maxReplicas")), 3);
  json_decref(hpa);
  json_decref(dep);
  json_decref(objs);
}
