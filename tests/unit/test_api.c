/* Unit tests for src/api: decoding (YAML/JSON, multi-document, scalars,
 * anchors), placeholders, every error class with its exact message, warnings,
 * defaults per kind, quantities, the kind table, limits and round trips. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_internal.h"

static const char *const seed_names[] = {"cluster1_id", "cluster2_id", "waiting_size", "running_size"};
static const char *const seed_values[] = {"cluster1", "cluster2", "5", "10"};
static const api_vars seed_vars = {seed_names, seed_values, 4, false};

/* Decodes text; returns the objects (or NULL with *msg set to the error). */
static json_t *decode(const char *file, const char *text, const api_vars *vars, json_t *warnings, char *msg,
                      size_t n) {
  json_t *out = NULL;
  sw_err err = {0};
  int rc = api_decode_manifests(file, text, strlen(text), vars, &out, warnings, &err);
  if (msg) snprintf(msg, n, "%s", rc ? err.msg : "");
  if (rc) cr_assert_null(out);
  return out;
}

static json_t *decode_ok(const char *text, const api_vars *vars) {
  char msg[1024];
  json_t *out = decode("t.yaml", text, vars, NULL, msg, sizeof msg);
  cr_assert_not_null(out, "decode failed: %s\n%s", msg, text);
  return out;
}

static json_t *decode_one(const char *text) {
  json_t *out = decode_ok(text, NULL);
  cr_assert_eq(json_array_size(out), 1);
  json_t *o = json_incref(json_array_get(out, 0));
  json_decref(out);
  return o;
}

static char *read_example(const char *rel, size_t *len) {
  char path[512];
  snprintf(path, sizeof path, "%s/examples/%s", SPILLWAY_SOURCE_DIR, rel);
  sw_err err = {0};
  char *t = sw_read_file(path, len, &err);
  cr_assert_not_null(t, "%s", err.msg);
  return t;
}

static void assert_json(const json_t *obj, const char *dotted, const char *want_json) {
  json_t *want = json_loads(want_json, JSON_DECODE_ANY, NULL);
  cr_assert_not_null(want, "bad expectation %s", want_json);
  json_t *got = api_getp(obj, dotted);
  char *g = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT) : strdup("(absent)");
  cr_assert(json_equal(got, want), "%s: want %s, got %s", dotted, want_json, g);
  free(g);
  json_decref(want);
}

#define DEPLOY_HEAD                                                                                          \
  "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: qwen3\n  namespace: test\nspec:\n"
#define DEPLOY_BODY                                                                                          \
  "  selector:\n    matchLabels:\n      app: qwen3\n  template:\n    metadata:\n      labels:\n"             \
  "        app: qwen3\n    spec:\n      containers:\n      - name: vllm\n        image: "                    \
  "vllm/vllm-openai:v0.9.1\n"

/* ---- examples ------------------------------------------------------------------ */

Test(api, every_example_decodes) {
  static const struct {
    const char *file;
    size_t objects;
    const char *kind;
  } cases[] = {
      {"seed1/deployment.yaml", 1, "Deployment"},
      {"seed1/propagationpolicy.yaml", 1, "PropagationPolicy"},
      {"seed1/federatedhpa.yaml", 1, "FederatedHPA"},
      {"seed1/fleet.yaml", 2, "Cluster"},
      {"seed2/resourcepolicy.yaml", 1, "ResourcePolicy"},
      {"seed2/inferenceservice.yaml", 1, "InferenceService"},
      {"seed2/cluster.yaml", 1, "Cluster"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t len;
    char *text = read_example(cases[i].file, &len);
    json_t *out = NULL, *warnings = json_array();
    sw_err err = {0};
    int rc = api_decode_manifests(cases[i].file, text, len, &seed_vars, &out, warnings, &err);
    cr_assert_eq(rc, 0, "%s: %s", cases[i].file, err.msg);
    cr_assert_eq(json_array_size(out), cases[i].objects, "%s", cases[i].file);
    cr_assert_str_eq(api_str(json_array_get(out, 0), "kind"), cases[i].kind);
    cr_assert_eq(json_array_size(warnings), 0, "%s: unexpected warning %s", cases[i].file,
                 json_string_value(json_array_get(warnings, 0)));
    json_decref(out);
    json_decref(warnings);
    free(text);
  }
}

Test(api, seed_placeholders_are_filled) {
  size_t len;
  char *text = read_example("seed1/federatedhpa.yaml", &len);
  json_t *out = NULL;
  sw_err err = {0};
  cr_assert_eq(api_decode_manifests("federatedhpa.yaml", text, len, &seed_vars, &out, NULL, &err), 0, "%s",
               err.msg);
  json_t *m = json_array_get(api_getp(json_array_get(out, 0), "spec.metrics"), 1);
  /* `averageValue: ${running_size}` reads as the integer 10, stored as the
   * canonical quantity string the API server keeps. */
  assert_json(m, "pods.target.averageValue", "\"10\"");
  json_decref(out);
  free(text);
  text = read_example("seed1/propagationpolicy.yaml", &len);
  cr_assert_eq(api_decode_manifests("pp.yaml", text, len, &seed_vars, &out, NULL, &err), 0, "%s", err.msg);
  json_t *terms = api_getp(json_array_get(out, 0), "spec.placement.clusterAffinities");
  assert_json(json_array_get(terms, 0), "clusterNames", "[\"cluster1\"]");
  assert_json(json_array_get(terms, 1), "clusterNames", "[\"cluster2\"]");
  json_decref(out);
  free(text);
}

Test(api, seed_placeholder_unfilled_names_it) {
  size_t len;
  char *text = read_example("seed1/propagationpolicy.yaml", &len);
  json_t *out = NULL;
  sw_err err = {0};
  cr_assert_eq(api_decode_manifests("pp.yaml", text, len, NULL, &out, NULL, &err), SW_EINVAL);
  cr_assert_str_eq(err.msg,
                   "pp.yaml:13: spec.placement.clusterAffinities[0].clusterNames[0]: unfilled placeholder "
                   "${cluster1_id} (set it with --set cluster1_id=VALUE)");
  free(text);
}

/* ---- errors: every class with its exact message ------------------------------------- */

Test(api, error_messages) {
  static const struct {
    const char *text;
    const char *msg;
  } cases[] = {
      /* malformed YAML, with its line */
      {"apiVersion: v1\nkind: Service\nmetadata:\n  name: [a, b\n",
       "t.yaml:5: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence that started "
       "at "
       "line 4)"},
      {"a: b: c\n", "t.yaml:1: invalid YAML: mapping values are not allowed in this context"},
      /* wrong type */
      {DEPLOY_HEAD "  replicas: two\n" DEPLOY_BODY,
       "t.yaml:7: spec.replicas: expected an integer >= 0, got \"two\""},
      {DEPLOY_HEAD "  replicas: -1\n" DEPLOY_BODY,
       "t.yaml:7: spec.replicas: expected an integer >= 0, got -1"},
      {DEPLOY_HEAD "  paused: \"yes\"\n" DEPLOY_BODY,
       "t.yaml:7: spec.paused: expected true or false, got \"yes\""},
      {DEPLOY_HEAD "  selector: [a]\n", "t.yaml:7: spec.selector: expected a mapping, got a list"},
      {"apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  labels:\n    port: 8000\n",
       "t.yaml:6: metadata.labels.port: expected a string, got 8000 (quote it: \"...\")"},
      /* min > max names both */
      {"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: h\nspec:\n"
       "  scaleTargetRef: {kind: Deployment, name: qwen3}\n  minReplicas: 5\n  maxReplicas: 3\n",
       "t.yaml:7: spec.minReplicas: expected a value <= spec.maxReplicas (3), got 5"},
      /* unknown kind / apiVersion */
      {"apiVersion: apps/v2\nkind: Deployment\nmetadata: {name: x}\n",
       "t.yaml:1: apiVersion: kind Deployment is not served under apiVersion \"apps/v2\" (expected apps/v1)"},
      {"apiVersion: policy.karmada.io/v1\nkind: PropagationPolicy\nmetadata: {name: x}\n",
       "t.yaml:1: apiVersion: kind PropagationPolicy is not served under apiVersion \"policy.karmada.io/v1\" "
       "(expected policy.karmada.io/v1alpha1 or policy.one.alibabacloud.com/v1alpha1)"},
      {"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
       "t.yaml:2: kind: unknown kind \"ConfigMap\" in apiVersion \"v1\"; known: apps/v1 Deployment, v1 "
       "Service, "
       "policy.karmada.io/v1alpha1 or policy.one.alibabacloud.com/v1alpha1 PropagationPolicy, "
       "autoscaling.karmada.io/v1alpha1 or autoscaling.one.alibabacloud.com/v1alpha1 FederatedHPA, "
       "autoscaling/v2 "
       "HorizontalPodAutoscaler, scheduling.alibabacloud.com/v1alpha1 ResourcePolicy, "
       "serving.kserve.io/v1beta1 "
       "InferenceService, spillway.io/v1alpha1 Cluster, work.spillway.io/v1alpha1 ResourceBinding, v1 Pod, "
       "v1 Node, "
       "v1 Event"},
      {"kind: Deployment\nmetadata: {name: x}\n",
       "t.yaml:1: apiVersion: required field is missing (expected a string like \"apps/v1\")"},
      /* unfilled placeholder */
      {DEPLOY_HEAD "  replicas: ${replicas}\n" DEPLOY_BODY,
       "t.yaml:7: spec.replicas: unfilled placeholder ${replicas} (set it with --set replicas=VALUE)"},
      /* bad quantity */
      {DEPLOY_HEAD DEPLOY_BODY "        resources:\n          limits:\n            memory: 12Gx\n",
       "t.yaml:20: spec.template.spec.containers[0].resources.limits.memory: expected a quantity >= 0 (like "
       "500m, "
       "12Gi, 1.5 or \"1\"), got \"12Gx\""},
      /* bad name */
      {"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: Qwen_3\nspec:\n" DEPLOY_BODY,
       "t.yaml:4: metadata.name: expected a DNS-1123 subdomain (at most 253 lowercase letters, digits, '-' "
       "and '.', "
       "starting and ending with a letter or digit), got \"Qwen_3\""},
      {"apiVersion: v1\nkind: Service\nmetadata:\n  name: 9svc\nspec:\n  ports: [{port: 80}]\n",
       "t.yaml:4: metadata.name: expected a DNS-1035 label (at most 63 lowercase letters, digits and '-', "
       "starting "
       "with a letter and ending with a letter or digit), got \"9svc\""},
      {DEPLOY_HEAD DEPLOY_BODY "      - name: Side_car\n        image: x\n",
       "t.yaml:18: spec.template.spec.containers[1].name: expected a DNS-1123 label (at most 63 lowercase "
       "letters, "
       "digits and '-', starting and ending with a letter or digit), got \"Side_car\""},
      /* duplicate key */
      {DEPLOY_HEAD "  replicas: 1\n  replicas: 2\n" DEPLOY_BODY,
       "t.yaml:8: spec.replicas: duplicate key \"replicas\" (first defined at line 7)"},
      /* enums name the allowed values */
      {DEPLOY_HEAD "  strategy:\n    type: BlueGreen\n" DEPLOY_BODY,
       "t.yaml:8: spec.strategy.type: expected one of Recreate, RollingUpdate, got \"BlueGreen\""},
      /* ports, targets, weights */
      {DEPLOY_HEAD DEPLOY_BODY "        ports:\n        - containerPort: 70000\n",
       "t.yaml:19: spec.template.spec.containers[0].ports[0].containerPort: expected an integer between 1 "
       "and "
       "65535, got 70000"},
      {"apiVersion: autoscaling.karmada.io/v1alpha1\nkind: FederatedHPA\nmetadata: {name: f}\nspec:\n"
       "  scaleTargetRef: {kind: Deployment, name: qwen3}\n  maxReplicas: 3\n  metrics:\n  - type: Pods\n"
       "    pods:\n      metric: {name: num_requests_waiting}\n      target: {type: AverageValue, "
       "averageValue: 0}\n",
       "t.yaml:11: spec.metrics[0].pods.target.averageValue: expected a quantity > 0 (like 500m, 12Gi, 1.5 "
       "or "
       "\"1\"), got 0"},
      {"apiVersion: autoscaling.karmada.io/v1alpha1\nkind: FederatedHPA\nmetadata: {name: f}\nspec:\n"
       "  scaleTargetRef: {kind: Deployment, name: qwen3}\n  maxReplicas: 3\n  metrics:\n  - type: Pods\n"
       "    pods:\n      metric: {name: num_requests_waiting}\n      target: {type: Utilization, "
       "averageUtilization: 50}\n",
       "t.yaml:11: spec.metrics[0].pods.target.type: expected AverageValue for a Pods metric, got "
       "\"Utilization\""},
      {"apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: p}\nspec:\n"
       "  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]\n  placement:\n    "
       "replicaScheduling:\n"
       "      weightPreference:\n        staticWeightList:\n        - targetCluster: {clusterNames: [a]}\n"
       "          weight: -1\n",
       "t.yaml:11: spec.placement.replicaScheduling.weightPreference.staticWeightList[0].weight: expected an "
       "integer "
       ">= 1, got -1"},
      /* selector must match the template */
      {DEPLOY_HEAD
       "  selector:\n    matchLabels:\n      app: other\n  template:\n    metadata:\n      labels:\n"
       "        app: qwen3\n    spec:\n      containers:\n      - name: vllm\n        image: x\n",
       "t.yaml:12: spec.template.metadata.labels: expected labels that spec.selector (app=other) selects, "
       "got "
       "app=qwen3"},
      /* required fields */
      {DEPLOY_HEAD "  replicas: 1\n",
       "t.yaml:6: spec.selector: required field is missing (expected a mapping)"},
      {"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: h\nspec:\n"
       "  scaleTargetRef: {kind: Deployment, name: qwen3}\n",
       "t.yaml:5: spec.maxReplicas: required field is missing (expected an integer >= 1)"},
      /* cluster pools */
      {"apiVersion: spillway.io/v1alpha1\nkind: Cluster\nmetadata: {name: c}\nspec:\n  nodePools:\n"
       "  - name: e\n    type: elastic\n    minNodes: 1\n",
       "t.yaml:6: spec.nodePools[0].maxNodes: required field is missing (an elastic pool needs maxNodes, an "
       "integer "
       ">= 0)"},
      {"apiVersion: spillway.io/v1alpha1\nkind: Cluster\nmetadata: {name: c}\nspec:\n  driver: docker\n",
       "t.yaml:5: spec.driver: expected one of local, kubernetes, simulated, got \"docker\""},
      /* document shape */
      {"- 1\n- 2\n",
       "t.yaml:1: [0]: expected a mapping (a Kubernetes object with apiVersion and kind), got 1"},
      {"hello\n",
       "t.yaml:1: expected a mapping (a Kubernetes object with apiVersion and kind), got \"hello\""},
      /* YAML that JSON cannot hold */
      {"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nx: .inf\n",
       "t.yaml:4: x: infinity and NaN cannot be represented in JSON"},
      {"a: *nope\n", "t.yaml:1: a: unknown alias *nope (no anchor &nope defined before it)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char msg[2048];
    json_t *out = decode("t.yaml", cases[i].text, NULL, NULL, msg, sizeof msg);
    cr_assert_null(out, "case %zu decoded but should fail:\n%s", i, cases[i].text);
    cr_assert(strcmp(msg, cases[i].msg) == 0, "case %zu:\n got: %s\nwant: %s", i, msg, cases[i].msg);
  }
}

Test(api, too_deep_and_too_large) {
  sw_buf b;
  sw_buf_init(&b);
  sw_buf_puts(&b, "a: ");
  for (int i = 0; i < 70; i++) sw_buf_puts(&b, "[");
  for (int i = 0; i < 70; i++) sw_buf_puts(&b, "]");
  char msg[2048];
  cr_assert_null(decode("deep.yaml", b.data, NULL, NULL, msg, sizeof msg));
  cr_assert(strstr(msg, "deep.yaml:1: a[0][0]") == msg, "%s", msg);
  cr_assert(sw_has_suffix(msg, ": nested deeper than 64 levels"), "%s", msg);
  sw_buf_reset(&b);
  for (int i = 0; i < 70; i++) sw_buf_puts(&b, "{\"a\":");
  sw_buf_puts(&b, "1");
  for (int i = 0; i < 70; i++) sw_buf_puts(&b, "}");
  cr_assert_null(decode("deep.json", b.data, NULL, NULL, msg, sizeof msg));
  cr_assert(sw_has_suffix(msg, ": nested deeper than 64 levels"), "%s", msg);
  sw_buf_free(&b);

  size_t big = API_MAX_BYTES + 1;
  char *text = malloc(big + 1);
  memset(text, ' ', big);
  text[big] = 0;
  json_t *out = NULL;
  sw_err err = {0};
  cr_assert_eq(api_decode_manifests("big.yaml", text, big, NULL, &out, NULL, &err), SW_EINVAL);
  cr_assert_str_eq(err.msg, "big.yaml: 8388609 bytes is more than the 8 MiB a manifest may have");
  free(text);

  /* An alias bomb is refused, not expanded. */
  const char *bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                     "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                     "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n";
  cr_assert_null(decode("bomb.yaml", bomb, NULL, NULL, msg, sizeof msg));
  cr_assert(strstr(msg, "aliases expand to more than 100000 nodes"), "%s", msg);
}

/* ---- warnings ------------------------------------------------------------------------ */

Test(api, unknown_fields_warn_and_are_kept) {
  json_t *warnings = json_array();
  char msg[1024];
  json_t *out = decode("deployment.yaml",
                       DEPLOY_HEAD "  fooBar: 1\n" DEPLOY_BODY "        colour: blue\n      foo: {}\n", NULL,
                       warnings, msg, sizeof msg);
  cr_assert_not_null(out, "%s", msg);
  cr_assert_eq(json_array_size(warnings), 3);
  cr_assert_str_eq(json_string_value(json_array_get(warnings, 0)),
                   "deployment.yaml:19: spec.template.spec.containers[0].colour: unknown field");
  cr_assert_str_eq(json_string_value(json_array_get(warnings, 1)),
                   "deployment.yaml:20: spec.template.spec.foo: unknown field");
  cr_assert_str_eq(json_string_value(json_array_get(warnings, 2)),
                   "deployment.yaml:7: spec.fooBar: unknown field");
  json_t *d = json_array_get(out, 0);
  assert_json(d, "spec.fooBar", "1");
  assert_json(d, "spec.template.spec.foo", "{}");
  json_decref(out);
  json_decref(warnings);
}

Test(api, validate_object_from_json_body) {
  json_t *obj = json_loads("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"qwen\"},"
                           "\"spec\":{\"ports\":[{\"port\":8000}],\"selector\":{\"app\":\"qwen3\"},\"x\":1}}",
                           0, NULL);
  json_t *warnings = json_array();
  sw_err err = {0};
  cr_assert_eq(api_validate_object(obj, "request body", warnings, &err), 0, "%s", err.msg);
  cr_assert_str_eq(json_string_value(json_array_get(warnings, 0)), "request body: spec.x: unknown field");
  assert_json(obj, "metadata.namespace", "\"default\"");
  assert_json(obj, "spec.ports", "[{\"port\":8000,\"protocol\":\"TCP\",\"targetPort\":8000}]");
  json_object_set_new(json_object_get(obj, "spec"), "type", json_string("Magic"));
  cr_assert_eq(api_validate_object(obj, "request body", NULL, &err), SW_EINVAL);
  cr_assert_str_eq(err.msg, "request body: spec.type: expected one of ClusterIP, NodePort, LoadBalancer, "
                            "ExternalName, got \"Magic\"");
  json_decref(obj);
  json_decref(warnings);
}

/* ---- YAML scalars, anchors, documents ---------------------------------------------------- */

Test(api, yaml_scalars_resolve_like_sigs_k8s_yaml) {
  static const struct {
    const char *yaml;
    const char *json;
  } cases[] = {
      {"1", "1"},
      {"\"1\"", "\"1\""},
      {"'1'", "\"1\""},
      {"-7", "-7"},
      {"0x1F", "31"},
      {"0755", "493"},
      {"0o17", "15"},
      {"0b101", "5"},
      {"1_000", "1000"},
      {"1.5", "1.5"},
      {"1e3", "1000.0"},
      {".5", "0.5"},
      {"08", "8.0"},
      {"true", "true"},
      {"True", "true"},
      {"yes", "true"},
      {"on", "true"},
      {"y", "true"},
      {"no", "false"},
      {"off", "false"},
      {"N", "false"},
      {"~", "null"},
      {"null", "null"},
      {"", "null"},
      {"12Gi", "\"12Gi\""},
      {"500m", "\"500m\""},
      {"1.2.3", "\"1.2.3\""},
      {"2026-01-02", "\"2026-01-02\""},
      {"!!str 12", "\"12\""},
      {"!!float 3", "3.0"},
      {"abc", "\"abc\""},
      {"18446744073709551615", "1.8446744073709552e19"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[128];
    snprintf(text, sizeof text, "v: %s\n", cases[i].yaml);
    api_docs docs;
    sw_err err = {0};
    cr_assert_eq(api_yaml_decode("s.yaml", text, strlen(text), NULL, true, &docs, &err), 0, "%s", err.msg);
    json_t *want = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
    json_t *got = json_object_get(docs.items[0].root, "v");
    char *g = json_dumps(got, JSON_ENCODE_ANY);
    cr_assert(json_equal(got, want), "%s: want %s got %s", cases[i].yaml, cases[i].json, g);
    free(g);
    json_decref(want);
    api_docs_free(&docs);
  }
}

Test(api, anchors_aliases_and_merge_keys) {
  const char *text =
      "base: &b {p: 1, q: 2}\nlist: &l [a, b]\nm:\n  <<: *b\n  q: 3\nlst: *l\nk: &s key\n*s : v\ny: 1\n";
  api_docs docs;
  sw_err err = {0};
  cr_assert_eq(api_yaml_decode("a.yaml", text, strlen(text), NULL, true, &docs, &err), 0, "%s", err.msg);
  json_t *r = docs.items[0].root;
  assert_json(r, "m", "{\"q\":3,\"p\":1}");
  /* YAML 1.1 as goyaml.v2: a plain `y` key is the boolean true */
  assert_json(r, "true", "1");
  assert_json(r, "lst", "[\"a\",\"b\"]");
  assert_json(r, "key", "\"v\"");
  api_docs_free(&docs);
}

Test(api, multi_document_list_and_json) {
  const char *svc = "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n";
  sw_buf b;
  sw_buf_init(&b);
  sw_buf_printf(&b, "---\n# only a comment\n---\n%s---\n---\n%s", svc, svc);
  json_t *out = decode_ok(b.data, NULL);
  cr_assert_eq(json_array_size(out), 2);
  json_decref(out);
  sw_buf_free(&b);

  out = decode_ok(
      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n"
      "  spec: {ports: [{port: 80}]}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: b}\n"
      "  spec: {ports: [{port: 81}]}\n",
      NULL);
  cr_assert_eq(json_array_size(out), 2);
  assert_json(json_array_get(out, 1), "metadata.name", "\"b\"");
  json_decref(out);

  char msg[1024];
  out = decode(
      "list.json",
      "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[{\"apiVersion\":\"v1\",\"kind\":\"Service\","
      "\"metadata\":{\"name\":\"a\"},\n\"spec\":{\"ports\":[{\"port\":\"x\"}]}}]}",
      NULL, NULL, msg, sizeof msg);
  cr_assert_null(out);
  cr_assert_str_eq(msg,
                   "list.json:2: items[0].spec.ports[0].port: expected an integer between 1 and 65535, got "
                   "\"x\"");
  /* JSON with a duplicate key falls back to the YAML reader, which names the line. */
  out = decode("dup.json", "{\"a\": 1,\n \"a\": 2}", NULL, NULL, msg, sizeof msg);
  cr_assert_str_eq(msg, "dup.json:2: a: duplicate key \"a\" (first defined at line 1)");
}

/* ---- placeholders ------------------------------------------------------------------------------ */

Test(api, placeholders) {
  static const char *const names[] = {"n", "port", "name"};
  static const char *const values[] = {"3", "8000", "qwen3"};
  api_vars v = {names, values, 3, false};
  json_t *out =
      decode_ok("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n  annotations:\n"
                "    prometheus.io/port: ${port}\nspec:\n  replicas: ${n}\n" DEPLOY_BODY
                "        args: [\"${n}\", \"$${HOME}\", \"x-${name}\"]\n",
                &v);
  json_t *d = json_array_get(out, 0);
  assert_json(d, "metadata.name", "\"qwen3\"");
  assert_json(d, "spec.replicas", "3");
  /* a string field keeps a string even when the value looks like a number */
  assert_json(d, "metadata.annotations", "{\"prometheus.io/port\":\"8000\"}");
  json_t *args = json_object_get(json_array_get(api_getp(d, "spec.template.spec.containers"), 0), "args");
  char *a = json_dumps(args, JSON_COMPACT);
  cr_assert_str_eq(a, "[\"3\",\"${HOME}\",\"x-qwen3\"]");
  free(a);
  json_decref(out);

  /* --set wins over the environment; the environment fills the rest */
  setenv("SPILLWAY_TEST_NS", "prod", 1);
  setenv("name", "from-env", 1);
  api_vars ve = {names, values, 3, true};
  out = decode_ok(
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: ${SPILLWAY_TEST_NS}\n"
      "spec: {ports: [{port: 80}]}\n",
      &ve);
  assert_json(json_array_get(out, 0), "metadata.name", "\"qwen3\"");
  assert_json(json_array_get(out, 0), "metadata.namespace", "\"prod\"");
  json_decref(out);

  char *s = NULL;
  bool alone;
  char missing[64];
  cr_assert_eq(api_subst("${a}-${b}", &v, &s, &alone, missing, sizeof missing), -1);
  cr_assert_str_eq(missing, "a");
  cr_assert_eq(api_subst("no placeholders $x {y}", &v, &s, &alone, missing, sizeof missing), 0);
  cr_assert_eq(api_subst("${port}", &v, &s, &alone, missing, sizeof missing), 1);
  cr_assert(alone);
  cr_assert_str_eq(s, "8000");
  free(s);
}

/* ---- defaults ---------------------------------------------------------------------------------- */

Test(api, deployment_defaults) {
  json_t *d =
      decode_one(DEPLOY_HEAD DEPLOY_BODY "        ports:\n        - containerPort: 8000\n"
                                         "        readinessProbe:\n          tcpSocket: {port: 8000}\n"
                                         "        livenessProbe:\n          httpGet: {port: 8000}\n"
                                         "      - name: latest\n        image: busybox\n");
  static const struct {
    const char *path, *json;
  } cases[] = {
      {"spec.replicas", "1"},
      {"spec.revisionHistoryLimit", "10"},
      {"spec.progressDeadlineSeconds", "600"},
      {"spec.strategy",
       "{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxUnavailable\":\"25%\",\"maxSurge\":\"25%\"}}"},
      {"spec.template.spec.restartPolicy", "\"Always\""},
      {"spec.template.spec.terminationGracePeriodSeconds", "30"},
      {"spec.template.spec.dnsPolicy", "\"ClusterFirst\""},
      {"spec.template.spec.schedulerName", "\"default-scheduler\""},
      {"spec.template.spec.securityContext", "{}"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) assert_json(d, cases[i].path, cases[i].json);
  json_t *c0 = json_array_get(api_getp(d, "spec.template.spec.containers"), 0);
  json_t *c1 = json_array_get(api_getp(d, "spec.template.spec.containers"), 1);
  assert_json(c0, "imagePullPolicy", "\"IfNotPresent\"");
  assert_json(c1, "imagePullPolicy", "\"Always\"");
  assert_json(c0, "terminationMessagePath", "\"/dev/termination-log\"");
  assert_json(c0, "terminationMessagePolicy", "\"File\"");
  assert_json(c0, "ports", "[{\"containerPort\":8000,\"protocol\":\"TCP\"}]");
  assert_json(c0, "readinessProbe",
              "{\"tcpSocket\":{\"port\":8000},\"timeoutSeconds\":1,\"periodSeconds\":10,"
              "\"successThreshold\":1,\"failureThreshold\":3}");
  assert_json(c0, "livenessProbe.httpGet", "{\"port\":8000,\"path\":\"/\",\"scheme\":\"HTTP\"}");
  json_decref(d);
  cr_assert_str_eq(api_default_pull_policy("nginx"), "Always");
  cr_assert_str_eq(api_default_pull_policy("nginx:latest"), "Always");
  cr_assert_str_eq(api_default_pull_policy("localhost:5000/nginx"), "Always");
  cr_assert_str_eq(api_default_pull_policy("localhost:5000/nginx:1.2"), "IfNotPresent");
  cr_assert_str_eq(api_default_pull_policy("nginx@sha256:abcd"), "IfNotPresent");
}

Test(api, hpa_and_fhpa_defaults) {
  json_t *h = decode_one(
      "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec:\n"
      "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: qwen3}\n  maxReplicas: 4\n");
  assert_json(h, "spec.minReplicas", "1");
  assert_json(h, "spec.metrics",
              "[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"target\":{\"type\":"
              "\"Utilization\",\"averageUtilization\":80}}}]");
  cr_assert_null(api_getp(h, "spec.behavior"), "behavior is only filled when given");
  json_decref(h);

  size_t len;
  char *text = read_example("seed1/federatedhpa.yaml", &len);
  json_t *out = NULL;
  sw_err err = {0};
  cr_assert_eq(api_decode_manifests("f.yaml", text, len, &seed_vars, &out, NULL, &err), 0, "%s", err.msg);
  json_t *f = json_array_get(out, 0);
  assert_json(
      f, "spec.behavior",
      "{\"scaleDown\":{\"stabilizationWindowSeconds\":30,\"selectPolicy\":\"Max\",\"policies\":[{\"type\":"
      "\"Percent\",\"value\":100,\"periodSeconds\":15}]},\"scaleUp\":{\"stabilizationWindowSeconds\":10,"
      "\"selectPolicy\":\"Max\",\"policies\":[{\"type\":\"Pods\",\"value\":4,\"periodSeconds\":15},{\"type\":"
      "\"Percent\",\"value\":100,\"periodSeconds\":15}]}}");
  json_decref(out);
  free(text);

  /* GenerateHPAScaleDownRules leaves the window unset (the controller's 300 s). */
  h = decode_one(
      "apiVersion: autoscaling.karmada.io/v1alpha1\nkind: FederatedHPA\nmetadata: {name: f}\nspec:\n"
      "  scaleTargetRef: {kind: Deployment, name: qwen3}\n  maxReplicas: 4\n  behavior:\n"
      "    scaleUp: {selectPolicy: Disabled}\n");
  assert_json(h, "spec.behavior.scaleUp",
              "{\"selectPolicy\":\"Disabled\",\"stabilizationWindowSeconds\":0,"
              "\"policies\":[{\"type\":\"Pods\",\"value\":4,\"periodSeconds\":15},"
              "{\"type\":\"Percent\",\"value\":100,\"periodSeconds\":15}]}");
  assert_json(h, "spec.behavior.scaleDown",
              "{\"selectPolicy\":\"Max\",\"policies\":[{\"type\":\"Percent\","
              "\"value\":100,\"periodSeconds\":15}]}");
  json_decref(h);
}

Test(api, propagationpolicy_defaults) {
  json_t *p = decode_one(
      "apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata:\n  name: p\n"
      "  namespace: test\nspec:\n  resourceSelectors:\n  - {apiVersion: apps/v1, kind: Deployment}\n"
      "  placement:\n    replicaScheduling: {}\n    spreadConstraints: [{maxGroups: 2}]\n"
      "  failover:\n    application: {}\n");
  assert_json(p, "spec.resourceSelectors",
              "[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"namespace\":"
              "\"test\"}]");
  assert_json(p, "spec.placement.replicaScheduling",
              "{\"replicaSchedulingType\":\"Divided\",\"replicaDivisionPreference\":\"Weighted\"}");
  assert_json(p, "spec.placement.spreadConstraints",
              "[{\"maxGroups\":2,\"spreadByField\":\"cluster\","
              "\"minGroups\":1}]");
  assert_json(p, "spec.schedulerName", "\"default-scheduler\"");
  assert_json(p, "spec.preemption", "\"Never\"");
  assert_json(p, "spec.conflictResolution", "\"Abort\"");
  assert_json(p, "spec.priority", "0");
  assert_json(p, "spec.failover.application",
              "{\"decisionConditions\":{\"tolerationSeconds\":300},\"purgeMode\":\"Graciously\","
              "\"gracePeriodSeconds\":600}");
  json_decref(p);
}

Test(api, other_kind_defaults) {
  json_t *c =
      decode_one("apiVersion: spillway.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: c\n  namespace: x\n"
                 "spec:\n  nodePools:\n  - name: a\n  - name: b\n    type: elastic\n    maxNodes: 2\n");
  cr_assert_null(api_getp(c, "metadata.namespace"), "cluster-scoped kinds have no namespace");
  assert_json(c, "spec",
              "{\"nodePools\":[{\"name\":\"a\",\"type\":\"static\",\"gpusPerNode\":1,\"startupSeconds\":"
              "20,\"nodes\":1},{\"name\":\"b\",\"type\":\"elastic\",\"maxNodes\":2,\"gpusPerNode\":1,"
              "\"startupSeconds\":20,\"minNodes\":0,\"provisioningSeconds\":60}],\"driver\":\"local\","
              "\"runtime\":\"process\",\"scaleDownUnneededSeconds\":600,\"healthGraceSeconds\":40,"
              "\"tolerationSeconds\":300}");
  json_decref(c);

  json_t *i =
      decode_one("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: q}\n"
                 "spec:\n  predictor:\n    containers:\n    - image: vllm\n      resources:\n"
                 "        limits: {cpu: 4, memory: 12Gi}\n");
  assert_json(i, "spec.predictor.minReplicas", "1");
  assert_json(i, "spec.predictor.maxReplicas", "1");
  json_t *ctr = json_array_get(api_getp(i, "spec.predictor.containers"), 0);
  assert_json(ctr, "name", "\"kserve-container\"");
  assert_json(ctr, "resources.limits", "{\"cpu\":\"4\",\"memory\":\"12Gi\"}");
  cr_assert_null(api_getp(i, "spec.predictor.restartPolicy"), "CRDs inlining a PodSpec get no core defaults");
  json_decref(i);

  json_t *s = decode_one("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  type: NodePort\n"
                         "  ports: [{name: http, port: 80, targetPort: http}]\n");
  assert_json(s, "spec.externalTrafficPolicy", "\"Cluster\"");
  assert_json(s, "spec.ports",
              "[{\"name\":\"http\",\"port\":80,\"targetPort\":\"http\",\"protocol\":\"TCP\"}]");
  json_decref(s);
}

/* ---- quantities ------------------------------------------------------------------------------------ */

Test(api, quantities) {
  static const struct {
    const char *in;
    double want;
    const char *canon;
  } ok[] = {
      {"500m", 0.5, "500m"},
      {"12Gi", 12884901888.0, "12884901888"},
      {"1e3", 1000, "1k"},
      {"1", 1, "1"},
      {"1.5", 1.5, "1.5"},
      {"100Ki", 102400, "102400"},
      {"2M", 2e6, "2M"},
      {"0", 0, "0"},
      {"-3", -3, "-3"},
      {"+4", 4, "4"},
      {"250u", 0.00025, "250u"},
      {"7n", 7e-9, "7n"},
      {"1.5Gi", 1610612736, "1610612736"},
      {".5", 0.5, "500m"},
      {"5.", 5, "5"},
      {"1E3", 1000, "1k"},
      {"1e-3", 0.001, "1m"},
      {"1500", 1500, "1500"},
      {"2k", 2000, "2k"},
      {"58", 58, "58"},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    double v;
    cr_assert_eq(api_quantity_parse(ok[i].in, &v), 0, "%s", ok[i].in);
    cr_assert_float_eq(v, ok[i].want, 1e-9 * (ok[i].want > 1 ? ok[i].want : 1), "%s: %g", ok[i].in, v);
    char buf[64];
    api_quantity_format(v, buf, sizeof buf);
    cr_assert_str_eq(buf, ok[i].canon, "%s", ok[i].in);
  }
  static const char *const bad[] = {"",   "abc", "12Gx", "1.2.3", "5 m", "K", "1K",
                                    "e3", "1ee", "--1",  ".",     "1e",  "Mi"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    double v;
    cr_assert_eq(api_quantity_parse(bad[i], &v), -1, "\"%s\" should not parse", bad[i]);
  }
  double v;
  json_t *j = json_integer(7);
  cr_assert_eq(api_quantity_from_json(j, &v), 0);
  cr_assert_float_eq(v, 7, 1e-12);
  json_decref(j);
  j = json_true();
  cr_assert_eq(api_quantity_from_json(j, &v), -1);
}

/* ---- the kind table --------------------------------------------------------------------------------- */

Test(api, kind_lookup) {
  static const struct {
    const char *name, *kind;
  } cases[] = {
      {"fhpa", "FederatedHPA"},
      {"FederatedHPA", "FederatedHPA"},
      {"federatedhpas", "FederatedHPA"},
      {"deploy", "Deployment"},
      {"deployments", "Deployment"},
      {"pp", "PropagationPolicy"},
      {"svc", "Service"},
      {"hpa", "HorizontalPodAutoscaler"},
      {"rp", "ResourcePolicy"},
      {"isvc", "InferenceService"},
      {"cluster", "Cluster"},
      {"clusters", "Cluster"},
      {"rb", "ResourceBinding"},
      {"po", "Pod"},
      {"pods", "Pod"},
      {"no", "Node"},
      {"ev", "Event"},
      {"events", "Event"},
      {"federatedhpas.autoscaling.one.alibabacloud.com", "FederatedHPA"},
      {"deployments.apps", "Deployment"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const api_kind *k = api_kind_lookup(cases[i].name);
    cr_assert_not_null(k, "%s", cases[i].name);
    cr_assert_str_eq(k->kind, cases[i].kind);
  }
  cr_assert_null(api_kind_lookup("configmaps"));
  cr_assert_null(api_kind_lookup("deployments.policy"));
  cr_assert_eq(api_kind_for("policy.one.alibabacloud.com/v1alpha1", "PropagationPolicy"),
               api_kind_for("policy.karmada.io/v1alpha1", "PropagationPolicy"));
  cr_assert_not_null(api_kind_for("v1", "Pod"));
  cr_assert_null(api_kind_for("apps/v1", "Pod"));
  cr_assert_null(api_kind_for("v1", "pod"));
  size_t n;
  const api_kind *const *all = api_kinds(&n);
  cr_assert_eq(n, 12);
  int system = 0, cluster_scoped = 0;
  for (size_t i = 0; i < n; i++) system += all[i]->system, cluster_scoped += !all[i]->namespaced;
  cr_assert_eq(system, 4);
  cr_assert_eq(cluster_scoped, 2);
}

Test(api, selectors) {
  json_t *labels = json_pack("{s:s, s:s}", "app", "qwen3", "tier", "gpu");
  static const struct {
    const char *sel;
    bool match;
  } cases[] = {
      {"{}", true},
      {"{\"app\":\"qwen3\"}", true},
      {"{\"app\":\"other\"}", false},
      {"{\"matchLabels\":{\"app\":\"qwen3\"}}", true},
      {"{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"gpu\",\"cpu\"]}]}", true},
      {"{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"NotIn\",\"values\":[\"gpu\"]}]}", false},
      {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"DoesNotExist\"}]}", true},
      {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"Exists\"}]}", false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *s = json_loads(cases[i].sel, 0, NULL);
    cr_assert_eq(api_selector_matches(s, labels), cases[i].match, "%s", cases[i].sel);
    json_decref(s);
  }
  json_decref(labels);
}

/* ---- round trips: decode(encode(x)) == x for every kind ---------------------------------------------- */

static void round_trip(const json_t *obj) {
  char *y = api_encode_yaml(obj), *j = api_encode_json(obj);
  json_t *back = NULL;
  sw_err err = {0};
  cr_assert_eq(api_decode_manifests("rt.yaml", y, strlen(y), NULL, &back, NULL, &err), 0, "%s\n%s", err.msg,
               y);
  cr_assert(json_equal(json_array_get(back, 0), obj), "YAML round trip changed the object:\n%s", y);
  json_decref(back);
  cr_assert_eq(api_decode_manifests("rt.json", j, strlen(j), NULL, &back, NULL, &err), 0, "%s\n%s", err.msg,
               j);
  cr_assert(json_equal(json_array_get(back, 0), obj), "JSON round trip changed the object:\n%s", j);
  json_decref(back);
  free(y);
  free(j);
}

Test(api, round_trip_every_kind) {
  static const char *const files[] = {"seed1/deployment.yaml",     "seed1/propagationpolicy.yaml",
                                      "seed1/federatedhpa.yaml",   "seed1/fleet.yaml",
                                      "seed2/resourcepolicy.yaml", "seed2/inferenceservice.yaml",
                                      "seed2/cluster.yaml"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    size_t len;
    char *text = read_example(files[i], &len);
    json_t *out = NULL;
    sw_err err = {0};
    cr_assert_eq(api_decode_manifests(files[i], text, len, &seed_vars, &out, NULL, &err), 0, "%s", err.msg);
    size_t k;
    json_t *o;
    json_array_foreach(out, k, o) round_trip(o);
    json_decref(out);
    free(text);
  }
  static const char *const others[] = {
      "apiVersion: v1\nkind: Service\nmetadata: {name: qwen3, namespace: test}\nspec:\n  selector: {app: "
      "qwen3}\n"
      "  ports: [{name: http, port: 8000}]\n",
      "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec:\n"
      "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: qwen-chat-predictor}\n  minReplicas: "
      "1\n"
      "  maxReplicas: 3\n  metrics:\n  - type: Pods\n    pods:\n      metric: {name: "
      "DCGM_CUSTOM_PROCESS_SM_UTIL}\n"
      "      target: {type: AverageValue, averageValue: 50}\n  - type: External\n    external:\n"
      "      metric: {name: queue, selector: {matchLabels: {q: a}}}\n      target: {type: Value, value: "
      "1.5}\n"
      "status:\n  currentReplicas: 2\n  desiredReplicas: 3\n  currentMetrics:\n  - type: Pods\n    pods:\n"
      "      metric: {name: DCGM_CUSTOM_PROCESS_SM_UTIL}\n      current: {averageValue: \"58\"}\n",
      "apiVersion: work.spillway.io/v1alpha1\nkind: ResourceBinding\nmetadata: {name: qwen3-deployment, "
      "namespace: "
      "test}\nspec:\n  resource: {apiVersion: apps/v1, kind: Deployment, namespace: test, name: qwen3}\n"
      "  replicas: 3\n  clusters: [{name: cluster1, replicas: 1}, {name: cluster2, replicas: 2}]\n"
      "status: {tier: low-priority, unscheduled: 0, reason: \"\", conditions: []}\n",
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: qwen3-5d8f7c9b6a-x7k2p\n  namespace: test\n"
      "  creationTimestamp: \"2026-01-02T03:04:05Z\"\n  labels: {app: qwen3, spillway.io/cluster: cluster1}\n"
      "  annotations: {spillway.io/owner: qwen3, prometheus.io/port: \"8000\"}\nspec:\n  nodeName: "
      "cluster1-onprem-0\n"
      "  containers: [{name: vllm, image: vllm, ports: [{containerPort: 8000}]}]\nstatus:\n  phase: Running\n"
      "  podIP: 127.0.0.1\n  portMap: {\"8000\": 41234}\n  containerStatuses: [{name: vllm, ready: true, "
      "restartCount: 0, state: {running: {startedAt: \"2026-01-02T03:04:06Z\"}}}]\n",
      "apiVersion: v1\nkind: Node\nmetadata:\n  name: cluster2-elastic-0\n  labels: {spillway.io/cluster: "
      "cluster2, "
      "alibabacloud.com/nodepool-id: elastic}\nstatus:\n  capacity: {nvidia.com/gpu: \"1\"}\n"
      "  allocatable: {nvidia.com/gpu: \"1\"}\n  conditions: [{type: Ready, status: \"True\"}]\n",
      "apiVersion: v1\nkind: Event\nmetadata: {name: vllm-fhpa.1, namespace: test}\n"
      "involvedObject: {kind: FederatedHPA, name: vllm-fhpa, namespace: test}\nreason: SuccessfulRescale\n"
      "message: \"New size: 3; reason: pods metric num_requests_running above target\"\ntype: Normal\ncount: "
      "1\n"
      "firstTimestamp: \"2026-01-02T03:04:05Z\"\nlastTimestamp: \"2026-01-02T03:04:05Z\"\n"
      "source: {component: federatedhpa-controller}\n",
      "apiVersion: v1\nkind: Service\nmetadata: {name: odd}\nspec:\n  ports: [{port: 80}]\n"
      "x: {s1: \"true\", s2: \"~\", s3: \"0x10\", s4: \"\", s5: \"a: b\", s6: \"line1\\nline2\\n\", s7: \" "
      "lead\", "
      "s8: \"#c\", s9: \"- x\", f: 2.0, g: 1e-7, h: -0.0, n: null, e: {}, l: [], u: \"ünï\", y: \"y\", d: "
      "\"2026-01-02\"}\n",
  };
  for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
    json_t *o = decode_one(others[i]);
    round_trip(o);
    json_decref(o);
  }
}

Test(api, encode_yaml_looks_like_kubectl) {
  json_t *o =
      json_pack("{s:s, s:{s:s, s:{s:s}}, s:[i, s, s, b, n], s:s, s:f}", "apiVersion", "v1", "metadata",
                "name", "x", "labels", "port", "8000", "list", 1, "two", "yes", 1, "text", "a\nb", "r", 2.0);
  char *y = api_encode_yaml(o);
  cr_assert_str_eq(y,
                   "apiVersion: v1\nmetadata:\n  name: x\n  labels:\n    port: \"8000\"\nlist:\n- 1\n- two\n"
                   "- \"yes\"\n- true\n- null\ntext: |-\n  a\n  b\nr: 2.0\n");
  free(y);
  char *j = api_encode_json(json_object_get(o, "metadata"));
  cr_assert_str_eq(j, "{\n  \"name\": \"x\",\n  \"labels\": {\n    \"port\": \"8000\"\n  }\n}\n");
  free(j);
  json_decref(o);
}

/* JSON output writes reals as Kubernetes and Python do (shortest form that
 * reads back exactly), not jansson's 17 digits; a document holding a value
 * that needs 17 digits keeps every value exact. */
Test(api, json_reals_shortest_exact) {
  json_t *o = json_pack("{s:f,s:[f,f],s:i}", "gpuMemoryUtilization", 0.8, "xs", 1.5, 1e-7, "n", 3);
  cr_assert_eq(api_json_real_precision(o), 2, "1.5 needs two digits");
  char *j = api_encode_json(o);
  cr_assert(strstr(j, "\"gpuMemoryUtilization\": 0.8,"), "%s", j);
  cr_assert(strstr(j, "1.5,") && strstr(j, "1e-7"), "%s", j);
  free(j);
  json_object_set_new(o, "sum", json_real(0.1 + 0.2));
  cr_assert_eq(api_json_real_precision(o), 17);
  j = api_encode_json(o);
  json_t *back = json_loads(j, 0, NULL);
  cr_assert(json_equal(back, o), "%s", j);
  json_decref(back);
  free(j);
  json_t *none = json_pack("{s:s,s:i}", "a", "b", "c", 1);
  cr_assert_eq(api_json_real_precision(none), 1);
  json_decref(none);
  json_decref(o);
}

/* A literal "${" in a value is written "$${" so that `get -o yaml` applied
 * again gives the same object; Kubernetes' own "$$(VAR)" escape is not ours
 * and passes through untouched (fuzz finding: "$$$${" round trip). */
Test(api, placeholder_text_round_trips) {
  size_t len;
  char *text = read_example("seed1/deployment.yaml", &len);
  static const char *const names[] = {"cluster1_id", "cluster2_id", "waiting_size", "running_size"};
  static const char *const values[] = {"c1", "c2", "5", "10"};
  api_vars vars = {names, values, 4, false};
  json_t *docs = NULL;
  sw_err err = {0};
  cr_assert_eq(api_decode_manifests("deployment.yaml", text, len, &vars, &docs, NULL, &err), 0, "%s", err.msg);
  free(text);
  json_t *obj = json_array_get(docs, 0);
  json_t *c0 = json_array_get(api_getp(obj, "spec.template.spec.containers"), 0);
  cr_assert_not_null(c0);
  json_object_set_new(c0, "args", json_pack("[s,s,s]", "echo ${HOME}", "$$${p*a", "$$(POD_IP) and $(VAR)"));
  char *y = api_encode_yaml(obj);
  cr_assert(strstr(y, "echo $${HOME}") && strstr(y, "$$(POD_IP) and $(VAR)"), "%s", y);
  free(y);
  round_trip(obj);
  json_decref(docs);
}
