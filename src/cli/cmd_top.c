/*
 * cmd_top.c — `spillway top pods [NAME] [-n NS | -A] [-l SELECTOR]`: the load
 * of each replica as the autoscaler sees it, in the shape of `kubectl top
 * pods`. Where kubectl shows CPU and memory from metrics-server, spillway
 * shows what LLM autoscaling reads: requests waiting and running, KV-cache
 * usage and GPU utilisation, from the custom metrics API the control plane
 * serves (the same values a FederatedHPA or HPA gets). A thin client: one pod
 * list and one MetricValueList per namespace and metric.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "cli/cli.h"
#include "cli/client.h"

static void usage(void) {
  fprintf(stderr,
          "usage: spillway top pods [NAME] [-n NAMESPACE | -A] [-l SELECTOR] [--no-headers]\n"
          "\n"
          "Shows each replica's load as the autoscaler sees it (the custom metrics API):\n"
          "requests waiting and running (vllm:num_requests_waiting / _running), KV-cache\n"
          "usage (vllm:kv_cache_usage_perc) and GPU utilisation (DCGM_FI_DEV_GPU_UTIL).\n"
          "\"-\" marks a value the pod does not report yet (it is starting, or not scraped).\n");
}

/* The metrics asked, in column order; scale turns the value into the unit shown. */
static const struct {
  const char *metric, *header, *fmt;
  double scale;
} COLS[] = {
    {"num_requests_waiting", "WAITING", "%.0f", 1},
    {"num_requests_running", "RUNNING", "%.0f", 1},
    {"kv_cache_usage_perc", "KV-CACHE", "%.0f%%", 100},
    {"DCGM_FI_DEV_GPU_UTIL", "GPU-UTIL", "%.0f%%", 1},
};
#define NCOLS (sizeof COLS / sizeof COLS[0])

/* values["ns/pod"][metric] = number, for every pod a metric answered for. */
static void fetch_metric(client *c, const char *ns, const char *metric, const char *selector, json_t *values) {
  sw_buf path;
  sw_buf_init(&path);
  sw_buf_printf(&path, "/apis/custom.metrics.k8s.io/v1beta1/namespaces/%s/pods/*/%s", ns, metric);
  if (selector) client_append_query(&path, "labelSelector", selector);
  sw_err err;
  long status = 0;
  /* A metric no pod reports is a 404 or 503: its column shows "-". */
  json_t *list = client_json(c, "GET", path.data, NULL, NULL, &status, &err);
  sw_buf_free(&path);
  size_t i;
  json_t *item;
  json_array_foreach(json_object_get(list, "items"), i, item) {
    const json_t *obj = json_object_get(item, "describedObject");
    const char *pod = json_string_value(json_object_get(obj, "name"));
    const char *q = json_string_value(json_object_get(item, "value"));
    double v;
    if (!pod || !q || api_quantity_parse(q, &v) != 0) continue;
    char key[512];
    snprintf(key, sizeof key, "%s/%s", ns, pod);
    json_t *row = json_object_get(values, key);
    if (!row) json_object_set_new(values, key, row = json_object());
    json_object_set_new(row, metric, json_real(v));
  }
  json_decref(list);
}

static const char *pod_ready(const json_t *pod) {
  const json_t *st = json_object_get(pod, "status");
  if (json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp")) return "Terminating";
  size_t i;
  const json_t *cond;
  json_array_foreach(json_object_get(st, "conditions"), i, cond) {
    if (sw_streq(json_string_value(json_object_get(cond, "type")), "Ready"))
      return sw_streq(json_string_value(json_object_get(cond, "status")), "True") ? "Ready" : "NotReady";
  }
  const char *phase = json_string_value(json_object_get(st, "phase"));
  return phase ? phase : "Unknown";
}

/* A table with kubectl's layout: columns padded to their widest cell plus 3. */
typedef SW_VEC(char *) cells;

static void print_table(cells *t, size_t ncol, bool headers) {
  size_t width[16] = {0};
  for (size_t i = 0; i < t->len; i++) {
    size_t n = strlen(t->items[i]);
    if (n > width[i % ncol]) width[i % ncol] = n;
  }
  for (size_t i = headers ? 0 : ncol; i < t->len; i++) {
    if (i % ncol == ncol - 1)
      printf("%s\n", t->items[i]);
    else
      printf("%-*s   ", (int)width[i % ncol], t->items[i]);
  }
}

int cmd_top(int argc, char **argv) {
  client_opts co = {0};
  const char *ns = NULL, *selector = NULL;
  bool all = false, headers = true;
  client_args pos = {0};
  int rc = 2;
  for (int i = 1; i < argc;) {
    int r;
    if ((r = client_common_flag(argc, argv, &i, &co)) ||
        (r = client_flag_value(argc, argv, &i, "-n", "--namespace", &ns)) ||
        (r = client_flag_value(argc, argv, &i, "-l", "--selector", &selector))) {
      if (r < 0) goto done;
      continue;
    }
    const char *a = argv[i++];
    if (!strcmp(a, "-A") || !strcmp(a, "--all-namespaces"))
      all = true;
    else if (!strcmp(a, "--no-headers"))
      headers = false;
    else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage();
      rc = 0;
      goto done;
    } else if (a[0] == '-' && a[1]) {
      client_error("top: unknown flag \"%s\"", a);
      usage();
      goto done;
    } else
      sw_vec_push(&pos, a);
  }
  if (pos.len == 0 ||
      !(sw_streq(pos.items[0], "pods") || sw_streq(pos.items[0], "pod") || sw_streq(pos.items[0], "po"))) {
    if (pos.len)
      client_error("top: unknown resource \"%s\" (expected pods)", pos.items[0]);
    else
      client_error("top: expected a resource (pods)");
    usage();
    goto done;
  }
  if (pos.len > 2) {
    client_error("top: expected at most one pod name");
    goto done;
  }
  if (all && pos.len == 2) {
    client_error("top: a pod name cannot be combined with -A");
    goto done;
  }
  const char *only = pos.len == 2 ? pos.items[1] : NULL;
  if (!ns) ns = "default";

  rc = 1;
  const api_kind *pod_kind = api_kind_lookup("Pod");
  if (!pod_kind) {
    client_error("top: this build has no Pod kind");
    goto done;
  }
  client *c = client_connect(&co);
  if (!c) goto done;
  sw_err err;
  char *pods_path = client_path(pod_kind, all ? NULL : ns, NULL, NULL);
  sw_buf path;
  sw_buf_init(&path);
  sw_buf_puts(&path, pods_path);
  free(pods_path);
  if (selector) client_append_query(&path, "labelSelector", selector);
  json_t *list = client_json(c, "GET", path.data, NULL, NULL, NULL, &err);
  sw_buf_free(&path);
  if (!list) {
    client_error("%s", err.msg);
    client_close(c);
    goto done;
  }
  json_t *pods = json_object_get(list, "items"), *namespaces = json_object(), *values = json_object();
  size_t i;
  json_t *pod;
  json_array_foreach(pods, i, pod) {
    const char *pns = json_string_value(json_object_get(json_object_get(pod, "metadata"), "namespace"));
    if (pns) json_object_set_new(namespaces, pns, json_true());
  }
  const char *qns;
  json_t *unused;
  json_object_foreach(namespaces, qns, unused) {
    for (size_t m = 0; m < NCOLS; m++) fetch_metric(c, qns, COLS[m].metric, selector, values);
  }

  cells t = {0};
  if (all) sw_vec_push(&t, sw_xstrdup("NAMESPACE"));
  const char *fixed[] = {"NAME", "CLUSTER", "STATUS"};
  for (size_t k = 0; k < 3; k++) sw_vec_push(&t, sw_xstrdup(fixed[k]));
  for (size_t m = 0; m < NCOLS; m++) sw_vec_push(&t, sw_xstrdup(COLS[m].header));
  size_t ncol = t.len;
  size_t shown = 0;
  json_array_foreach(pods, i, pod) {
    const json_t *meta = json_object_get(pod, "metadata");
    const char *pns = json_string_value(json_object_get(meta, "namespace"));
    const char *name = json_string_value(json_object_get(meta, "name"));
    if (!pns || !name || (only && strcmp(only, name) != 0)) continue;
    const char *cluster =
        json_string_value(json_object_get(json_object_get(meta, "labels"), "spillway.io/cluster"));
    if (all) sw_vec_push(&t, sw_xstrdup(pns));
    sw_vec_push(&t, sw_xstrdup(name));
    sw_vec_push(&t, sw_xstrdup(cluster ? cluster : "<none>"));
    sw_vec_push(&t, sw_xstrdup(pod_ready(pod)));
    char key[512];
    snprintf(key, sizeof key, "%s/%s", pns, name);
    const json_t *row = json_object_get(values, key);
    for (size_t m = 0; m < NCOLS; m++) {
      const json_t *v = json_object_get(row, COLS[m].metric);
      sw_vec_push(&t, v ? sw_xasprintf(COLS[m].fmt, json_real_value(v) * COLS[m].scale) : sw_xstrdup("-"));
    }
    shown++;
  }
  if (only && !shown) {
    client_error("Error from server (NotFound): pods \"%s\" not found", only);
  } else if (!shown) {
    fprintf(stderr, all ? "No resources found\n" : "No resources found in %s namespace.\n", ns);
    rc = 0;
  } else {
    print_table(&t, ncol, headers);
    rc = 0;
  }
  for (size_t k = 0; k < t.len; k++) free(t.items[k]);
  sw_vec_free(&t);
  json_decref(values);
  json_decref(namespaces);
  json_decref(list);
  client_close(c);
done:
  sw_vec_free(&pos);
  return rc;
}
