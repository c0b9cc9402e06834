/*
 * bench_reconcile.c — CPU cost of one autoscaler reconcile, measured two ways
 * for a given pod count:
 *   algo        hpa_reconcile alone (the pure algorithm, inputs prebuilt);
 *   controller  autoscale_controller_sync: store reads, selector matching, one
 *               metrics-source call per pod and metric, the algorithm, the
 *               status write — everything but the scrape itself.
 * The autoscaler is the first seed's FederatedHPA (two Pods metrics, its
 * behavior). Prints one line: "<mode> pods=<n> reconciles=<k> cpu_us_per_reconcile=<x>".
 * usage: bench_reconcile algo|controller PODS SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "autoscale/autoscale.h"
#include "plane/plane.h"

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *FHPA_JSON =
    "{\"apiVersion\":\"autoscaling.one.alibabacloud.com/"
    "v1alpha1\",\"kind\":\"FederatedHPA\",\"metadata\":{\"name\":"
    "\"vllm-fhpa\",\"namespace\":\"test\"},\"spec\":{\"scaleTargetRef\":{\"apiVersion\":\"apps/v1\",\"kind\":"
    "\"Deployment\",\"name\":\"qwen3\"},\"minReplicas\":1,\"maxReplicas\":2000,\"behavior\":{\"scaleDown\":"
    "{\"stabilizationWindowSeconds\":30},\"scaleUp\":{\"stabilizationWindowSeconds\":10}},\"metrics\":[{"
    "\"type\":"
    "\"Pods\",\"pods\":{\"metric\":{\"name\":\"num_requests_waiting\"},\"target\":{\"type\":\"AverageValue\","
    "\"averageValue\":5}}},{\"type\":\"Pods\",\"pods\":{\"metric\":{\"name\":\"num_requests_running\"},"
    "\"target\":"
    "{\"type\":\"AverageValue\",\"averageValue\":40}}}]}}";

static int src_metric(void *ud, const char *ns, const char *pod, const char *metric, const json_t *sel,
                      double *v, double *ts, double *win, sw_err *err) {
  *v = metric[12] == 'r' ? 40 : 0; /* num_requests_running: at target; waiting: 0 */
  *ts = 0;
  *win = 0;
  return 0;
}

static double bench_algo(int n, double seconds, long *iters) {
  sw_arena *a = sw_arena_new(1 << 16);
  json_t *fhpa = json_loads(FHPA_JSON, 0, NULL);
  hpa_spec spec;
  sw_err err;
  if (autoscale_spec_decode(json_object_get(fhpa, "spec"), "spec", a, &spec, &err) != 0) {
    fprintf(stderr, "%s\n", err.msg);
    exit(1);
  }
  hpa_pod *pods = calloc((size_t)n, sizeof *pods);
  hpa_sample *w = calloc((size_t)n, sizeof *w), *r = calloc((size_t)n, sizeof *r);
  char(*names)[64] = calloc((size_t)n, 64);
  for (int i = 0; i < n; i++) {
    snprintf(names[i], 64, "qwen3-5d8f9c7b6a-%05d", i);
    pods[i] =
        (hpa_pod){.name = names[i], .phase = HPA_POD_RUNNING, .has_ready_condition = true, .ready = true};
    w[i] = (hpa_sample){.present = true, .milli = 0};
    r[i] = (hpa_sample){.present = true, .milli = 40000};
  }
  hpa_metric_input mi[2] = {{.samples = w}, {.samples = r}};
  hpa_recommendation recs[8];
  for (int i = 0; i < 8; i++) recs[i] = (hpa_recommendation){n, 1000.0 + i * 5};
  hpa_input in = {.spec = &spec,
                  .ns = "test",
                  .spec_replicas = n,
                  .status_replicas = n,
                  .selector = "app=qwen3",
                  .pods = pods,
                  .n_pods = (size_t)n,
                  .metrics = mi,
                  .recommendations = recs,
                  .n_recommendations = 8,
                  .now = 1040};
  hpa_options_default(&in.options);
  sw_arena *ra = sw_arena_new(1 << 16);
  double t0 = cpu_now(), t;
  long k = 0;
  do {
    hpa_result res;
    hpa_reconcile(&in, ra, &res, &err);
    sw_arena_reset(ra);
    k++;
  } while ((t = cpu_now()) - t0 < seconds);
  *iters = k;
  sw_arena_free(ra);
  sw_arena_free(a);
  json_decref(fhpa);
  free(pods);
  free(w);
  free(r);
  free(names);
  return (t - t0) / (double)k;
}

static double bench_controller(int n, double seconds, long *iters) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  store_t *st;
  sw_err err;
  if (store_open(&st, ":memory:", &err) != 0) {
    fprintf(stderr, "%s\n", err.msg);
    exit(1);
  }
  plane p;
  plane_init(&p, &loop, st, 1);
  json_t *objs = json_array();
  json_array_append_new(objs, json_loads(FHPA_JSON, 0, NULL));
  json_array_append_new(
      objs, json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:i,s:{s:{s:s}},s:{s:{s:{s:s}},s:{s:[{s:s}]}}}}", "apiVersion",
                      "apps/v1", "kind", "Deployment", "metadata", "name", "qwen3", "namespace", "test",
                      "spec", "replicas", n, "selector", "matchLabels", "app", "qwen3", "template",
                      "metadata", "labels", "app", "qwen3", "spec", "containers", "name", "vllm"));
  for (int i = 0; i < n; i++) {
    char name[64];
    snprintf(name, sizeof name, "qwen3-5d8f9c7b6a-%05d", i);
    json_array_append_new(
        objs, json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s}},s:{s:[{s:s}]},s:{s:s,s:s,s:[{s:s,s:s,s:s}]}}",
                        "apiVersion", "v1", "kind", "Pod", "metadata", "name", name, "namespace", "test",
                        "labels", "app", "qwen3", "spillway.io/cluster", i % 2 ? "cluster2" : "cluster1",
                        "spec", "containers", "name", "vllm", "status", "phase", "Running", "startTime",
                        "2027-01-15T07:00:00Z", "conditions", "type", "Ready", "status", "True",
                        "lastTransitionTime", "2027-01-15T07:01:00Z"));
  }
  size_t no = json_array_size(objs);
  json_t **arr = malloc(no * sizeof *arr);
  for (size_t i = 0; i < no; i++) arr[i] = json_array_get(objs, i);
  if (store_apply(st, arr, no, 1800000000, NULL, &err) != 0) {
    fprintf(stderr, "%s\n", err.msg);
    exit(1);
  }
  free(arr);
  json_decref(objs);
  autoscale_metrics_source src = {.pod_metric = src_metric};
  autoscale_opts o;
  autoscale_opts_default(&o);
  o.kserve = false;
  autoscale_controller *c = autoscale_controller_start(&p, &src, &o);
  double now = 1800000000;
  autoscale_controller_sync(c, &p, now); /* warm-up: the first status write */
  double t0 = cpu_now(), t;
  long k = 0;
  do {
    now += 5;
    autoscale_controller_sync(c, &p, now);
    k++;
  } while ((t = cpu_now()) - t0 < seconds);
  *iters = k;
  autoscale_controller_free(c);
  plane_fini(&p);
  uv_run(&loop, UV_RUN_NOWAIT);
  uv_loop_close(&loop);
  store_close(st);
  return (t - t0) / (double)k;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: bench_reconcile algo|controller PODS SECONDS\n");
    return 2;
  }
  sw_log_set_level(SW_LOG_WARN);
  int n = atoi(argv[2]);
  double secs = atof(argv[3]);
  long k = 0;
  double per = strcmp(argv[1], "algo") == 0 ? bench_algo(n, secs, &k) : bench_controller(n, secs, &k);
  printf("%s pods=%d reconciles=%ld cpu_us_per_reconcile=%.1f\n", argv[1], n, k, per * 1e6);
  return 0;
}
