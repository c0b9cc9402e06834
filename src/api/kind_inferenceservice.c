/*
 * kind_inferenceservice.c — KServe's InferenceService
 * (serving.kserve.io/v1beta1): a predictor (a PodSpec inlined with KServe's
 * ComponentExtensionSpec: minReplicas, maxReplicas, scaleMetric,
 * scaleTarget, labels, annotations, ...) and optional transformer/explainer.
 *
 * Role in the data flow: the InferenceService controller turns it into a
 * Deployment "<name>-predictor" with an HPA on scaleMetric/scaleTarget
 * (KServe's raw deployment mode with autoscalerClass hpa). Besides KServe's
 * cpu, memory, concurrency and rps, scaleMetric may name any pod metric
 * (DCGM_CUSTOM_PROCESS_SM_UTIL), which becomes an HPA Pods metric — what
 * arena builds with a separate HPA for custom metrics.
 * Defaults: minReplicas 1, maxReplicas = minReplicas when unset or 0 (as
 * KServe's HPA reconciler does), the first container named
 * "kserve-container". Never: I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

static const api_field f_model_format[] = {
    {.name = "name", .type = AT_STRING, .flags = AF_REQUIRED},
    {.name = "version", .type = AT_STRING},
    {0},
};

static const api_field f_model[] = {
    {.name = "modelFormat", .type = AT_OBJECT, .fields = f_model_format},
    {.name = "runtime", .type = AT_STRING},
    {.name = "storageUri", .type = AT_STRING},
    {.name = "storage", .type = AT_OBJECT},
    {.name = "runtimeVersion", .type = AT_STRING},
    {.name = "protocolVersion", .type = AT_STRING},
    {.name = "name", .type = AT_STRING},
    {.name = "image", .type = AT_STRING},
    {.name = "imagePullPolicy", .type = AT_STRING},
    {.name = "command", .type = AT_ARRAY, .elem = AT_STRING},
    {.name = "args", .type = AT_ARRAY, .elem = AT_STRING},
    {.name = "env", .type = AT_ARRAY, .elem = AT_OBJECT},
    {.name = "ports", .type = AT_ARRAY, .elem = AT_OBJECT},
    {.name = "resources", .type = AT_OBJECT, .fields = api_f_resources},
    {.name = "volumeMounts", .type = AT_ARRAY, .elem = AT_OBJECT},
    {.name = "readinessProbe", .type = AT_OBJECT},
    {.name = "livenessProbe", .type = AT_OBJECT},
    {0},
};

#define COMPONENT_EXTENSION_FIELDS                                                                           \
  {.name = "minReplicas", .type = AT_INT, .flags = AF_NONNEG, .def = "1"},                                   \
      {.name = "maxReplicas", .type = AT_INT, .flags = AF_NONNEG},                                           \
      {.name = "scaleTarget", .type = AT_INT, .flags = AF_POSITIVE},                                         \
      {.name = "scaleMetric", .type = AT_STRING, .flags = AF_NONEMPTY},                                      \
      {.name = "scaleMetricType", .type = AT_STRING},                                                        \
      {.name = "containerConcurrency", .type = AT_INT, .flags = AF_NONNEG | AF_INT64},                       \
      {.name = "timeout", .type = AT_INT, .flags = AF_NONNEG | AF_INT64},                                    \
      {.name = "canaryTrafficPercent", .type = AT_INT, .flags = AF_RANGE, .min = 0, .max = 100},             \
      {.name = "logger", .type = AT_OBJECT}, {.name = "batcher", .type = AT_OBJECT},                         \
      {.name = "labels", .type = AT_STRMAP, .flags = AF_LABELS}, {.name = "annotations", .type = AT_STRMAP}, \
      {.name = "deploymentStrategy", .type = AT_OBJECT}, {.name = "autoScaling", .type = AT_OBJECT}, {       \
    .name = "workerSpec", .type = AT_OBJECT                                                                  \
  }

static const api_field f_predictor[] = {
    COMPONENT_EXTENSION_FIELDS,
    {.name = "model", .type = AT_OBJECT, .fields = f_model},
    {.name = "sklearn", .type = AT_OBJECT},
    {.name = "xgboost", .type = AT_OBJECT},
    {.name = "tensorflow", .type = AT_OBJECT},
    {.name = "pytorch", .type = AT_OBJECT},
    {.name = "triton", .type = AT_OBJECT},
    {.name = "onnx", .type = AT_OBJECT},
    {.name = "huggingface", .type = AT_OBJECT},
    {.name = "pmml", .type = AT_OBJECT},
    {.name = "lightgbm", .type = AT_OBJECT},
    {.name = "paddle", .type = AT_OBJECT},
    API_POD_SPEC_FIELDS(0, API_NODEF),
    {0},
};

static const api_field f_component[] = {
    COMPONENT_EXTENSION_FIELDS,
    API_POD_SPEC_FIELDS(0, API_NODEF),
    {0},
};

static const api_field f_spec[] = {
    {.name = "predictor", .type = AT_OBJECT, .flags = AF_REQUIRED, .fields = f_predictor},
    {.name = "transformer", .type = AT_OBJECT, .fields = f_component},
    {.name = "explainer", .type = AT_OBJECT},
    {0},
};

/* KServe names the predictor's container "kserve-container" when unnamed;
 * done before the schema, which requires container names. */
static int pre(api_ctx *c, json_t *obj) {
  json_t *ctrs = api_getp(obj, "spec.predictor.containers");
  if (json_is_array(ctrs)) {
    json_t *first = json_array_get(ctrs, 0);
    if (json_is_object(first) && !json_object_get(first, "name"))
      json_object_set_new(first, "name", json_string("kserve-container"));
  }
  return 0;
}

static int component_semantic(api_ctx *c, json_t *comp, const char *path, bool predictor) {
  if (!comp) return 0;
  long long mn = 1, mx = 0;
  api_intp(comp, "minReplicas", &mn);
  bool has_max = api_intp(comp, "maxReplicas", &mx);
  char p[96];
  if (has_max && mx != 0 && mn > mx) {
    snprintf(p, sizeof p, "%s.minReplicas", path);
    return api_fail(c, p, "expected a value <= %s.maxReplicas (%lld), got %lld", path, mx, mn);
  }
  if (!has_max || mx == 0) json_object_set_new(comp, "maxReplicas", json_integer(mn));
  json_t *ctrs = json_object_get(comp, "containers");
  if (predictor) {
    static const char *const impls[] = {"model", "sklearn",     "xgboost", "tensorflow", "pytorch", "triton",
                                        "onnx",  "huggingface", "pmml",    "lightgbm",   "paddle"};
    int n = json_array_size(ctrs) ? 1 : 0;
    for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++)
      if (json_object_get(comp, impls[i])) n++;
    if (n == 0)
      return api_fail(c, path, "expected a predictor implementation: containers, model or a framework");
    if (n > 1)
      return api_fail(
          c, path,
          "expected exactly one predictor implementation of containers, model and the frameworks, got %d", n);
  }
  if (json_array_size(ctrs)) return api_podspec_semantic(c, comp, path);
  return 0;
}

static int semantic(api_ctx *c, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  int rc = component_semantic(c, json_object_get(spec, "predictor"), "spec.predictor", true);
  if (rc == 0) rc = component_semantic(c, json_object_get(spec, "transformer"), "spec.transformer", false);
  return rc;
}

static const char *ready_status(const json_t *obj) {
  size_t i;
  json_t *cnd;
  json_array_foreach(api_getp(obj, "status.conditions"), i,
                     cnd) if (sw_streq(api_str(cnd, "type"), "Ready")) {
    const char *s = api_str(cnd, "status");
    return s ? s : "Unknown";
  }
  return "";
}

static const char *const columns[] = {"NAME", "READY", "MINREPLICAS", "MAXREPLICAS", "AGE", NULL};
static const char *const wide_columns[] = {"METRIC", "TARGET", "URL", NULL};

static void row(api_row *r, const json_t *obj, double now, bool wide) {
  char age[32];
  api_age(obj, now, age, sizeof age);
  const char *name = api_strp(obj, "metadata.name");
  long long mn = 1, mx = 0;
  api_intp(obj, "spec.predictor.minReplicas", &mn);
  api_intp(obj, "spec.predictor.maxReplicas", &mx);
  api_row_add(r, "%s", name ? name : "");
  api_row_add(r, "%s", ready_status(obj));
  api_row_add(r, "%lld", mn);
  api_row_add(r, "%lld", mx);
  api_row_add(r, "%s", age);
  if (wide) {
    const char *metric = api_strp(obj, "spec.predictor.scaleMetric"), *url = api_strp(obj, "status.url");
    long long target;
    api_row_add(r, "%s", metric ? metric : "<none>");
    if (api_intp(obj, "spec.predictor.scaleTarget", &target))
      api_row_add(r, "%lld", target);
    else
      api_row_add(r, "<none>");
    api_row_add(r, "%s", url ? url : "<none>");
  }
}

static void describe(sw_buf *out, const json_t *obj, const json_t *related, double now) {
  api_tw tw;
  api_tw_init(&tw, 0, 2);
  api_describe_meta(&tw, obj, true);
  json_t *pred = api_getp(obj, "spec.predictor");
  long long mn = 1, mx = 0, target;
  api_intp(pred, "minReplicas", &mn);
  api_intp(pred, "maxReplicas", &mx);
  const char *metric = api_str(pred, "scaleMetric"), *url = api_strp(obj, "status.url");
  api_tw_printf(&tw, "URL:\t%s\n", url ? url : "<none>");
  api_tw_printf(&tw, "Min replicas:\t%lld\nMax replicas:\t%lld\n", mn, mx);
  if (api_intp(pred, "scaleTarget", &target))
    api_tw_printf(&tw, "Scale metric:\t%s (target %lld)\n", metric ? metric : "cpu", target);
  else
    api_tw_printf(&tw, "Scale metric:\t%s\n", metric ? metric : "<none>");
  json_t *tmpl = json_pack("{s:{s:O?, s:O?}, s:O}", "metadata", "labels", json_object_get(pred, "labels"),
                           "annotations", json_object_get(pred, "annotations"), "spec", pred);
  api_describe_pod_template(&tw, tmpl);
  json_decref(tmpl);
  api_describe_conditions(&tw, api_getp(obj, "status.conditions"), true);
  api_tw_flush(&tw, out);
  api_tw_free(&tw);
  api_describe_binding_and_pods(out, related, now);
  api_describe_events(out, related, now);
}

const api_kind_def api_kind_inferenceservice = {
    .k = {.kind = "InferenceService",
          .plural = "inferenceservices",
          .short_names = {"isvc"},
          .group = "serving.kserve.io",
          .version = "v1beta1",
          .namespaced = true},
    .spec = f_spec,
    .spec_required = true,
    .pre = pre,
    .semantic = semantic,
    .columns = columns,
    .wide_columns = wide_columns,
    .row = row,
    .describe = describe,
};
