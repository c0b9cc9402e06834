/* Unit tests for src/cluster/spec.c: Cluster objects (pools, defaults,
 * errors with field paths) and pod templates (both seeds' Deployments:
 * GPUs, ports, probes, defaults). */
#include <criterion/criterion.h>
#include <string.h>

#include "cluster/mirror.h"
#include "cluster/spec.h"

static json_t *J(const char *s) {
  json_error_t e;
  json_t *j = json_loads(s, 0, &e);
  cr_assert_not_null(j, "bad JSON in test: %s (%s)", s, e.text);
  return j;
}

Test(spec, cluster_second_seed_pools) {
  json_t *o =
      J("{\"apiVersion\":\"spillway.io/v1alpha1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"edge\","
        "\"labels\":{\"tier\":\"onprem\"},\"annotations\":{\"spillway.io/paused\":\"true\"}},"
        "\"spec\":{\"runtime\":\"simulated\",\"nodePools\":["
        "{\"name\":\"GPU-V100-Edge\",\"type\":\"static\",\"nodes\":1,\"gpusPerNode\":1,\"devices\":[0]},"
        "{\"name\":\"GPU-V100-Elastic\",\"type\":\"elastic\",\"gpusPerNode\":1,\"minNodes\":0,"
        "\"maxNodes\":4,\"provisioningSeconds\":90,\"inventory\":2,\"pricePerGPUHour\":2.5,"
        "\"labels\":{\"zone\":\"a\"}}]}}");
  cluster_spec s;
  sw_err err;
  cr_assert_eq(cluster_spec_parse(o, &s, &err), 0, "%s", err.msg);
  cr_assert_str_eq(s.name, "edge");
  cr_assert_str_eq(s.driver, "local");
  cr_assert_str_eq(s.runtime, "simulated");
  cr_assert(s.paused);
  cr_assert_float_eq(s.scale_down_unneeded_seconds, 600, 1e-9);
  cr_assert_float_eq(s.health_grace_seconds, 40, 1e-9);
  cr_assert_eq(s.npools, 2);
  cr_assert_eq(s.pools[0].type, CLUSTER_POOL_STATIC);
  cr_assert_eq(s.pools[0].nodes, 1);
  cr_assert_str_eq(json_string_value(json_array_get(s.pools[0].devices, 0)), "0");
  cr_assert_eq(s.pools[1].type, CLUSTER_POOL_ELASTIC);
  cr_assert_eq(s.pools[1].max_nodes, 4);
  cr_assert_eq(s.pools[1].inventory, 2);
  cr_assert_float_eq(s.pools[1].provisioning_seconds, 90, 1e-9);
  cr_assert_float_eq(s.pools[1].price_per_gpu_hour, 2.5, 1e-9);
  cr_assert_eq(s.pools[0].inventory, -1);
  cr_assert_eq(cluster_spec_pool(&s, "GPU-V100-Elastic"), 1);
  cluster_spec_free(&s);
  json_decref(o);
}

Test(spec, cluster_errors_name_the_field) {
  struct {
    const char *json, *want;
  } t[] = {
      {"{\"metadata\":{}}", "metadata.name: expected a non-empty string"},
      {"{\"metadata\":{\"name\":\"c\"},\"spec\":{\"runtime\":\"docker\"}}",
       "spec.runtime: expected \"process\" or "
       "\"simulated\", got \"docker\""},
      {"{\"metadata\":{\"name\":\"c\"},\"spec\":{\"nodePools\":[{\"name\":\"p\",\"type\":\"cloud\"}]}}",
       "spec.nodePools[0].type: expected \"static\" or \"elastic\""},
      {"{\"metadata\":{\"name\":\"c\"},\"spec\":{\"nodePools\":[{\"name\":\"p\",\"gpusPerNode\":-1}]}}",
       "spec.nodePools[0].gpusPerNode: expected a number >= 0"},
      {"{\"metadata\":{\"name\":\"c\"},\"spec\":{\"nodePools\":[{\"name\":\"p\",\"gpusPerNode\":1.5}]}}",
       "spec.nodePools[0].gpusPerNode: expected a whole number"},
      {"{\"metadata\":{\"name\":\"c\"},\"spec\":{\"nodePools\":[{\"name\":\"p\"},{\"name\":\"p\"}]}}",
       "spec.nodePools[1].name: \"p\" is already used"},
      {"{\"metadata\":{\"name\":\"c\"},\"spec\":{\"nodePools\":[{\"name\":\"p\",\"type\":\"elastic\","
       "\"minNodes\":3,\"maxNodes\":2}]}}",
       "spec.nodePools[0].maxNodes: expected >= minNodes (3), got 2"},
      {"{\"metadata\":{\"name\":\"c\"},\"spec\":{\"scaleDownUnneededSeconds\":\"soon\"}}",
       "spec.scaleDownUnneededSeconds: expected a number, got \"soon\""},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    json_t *o = J(t[i].json);
    cluster_spec s;
    sw_err err;
    cr_assert_neq(cluster_spec_parse(o, &s, &err), 0, "%s", t[i].json);
    cr_assert(strstr(err.msg, t[i].want), "\"%s\" lacks \"%s\"", err.msg, t[i].want);
    json_decref(o);
  }
}

static const char *SEED1_TEMPLATE =
    "{\"metadata\":{\"annotations\":{\"prometheus.io/path\":\"/metrics\",\"prometheus.io/port\":\"8000\","
    "\"prometheus.io/scrape\":\"true\"},\"labels\":{\"app\":\"qwen3\"}},"
    "\"spec\":{\"containers\":[{\"command\":[\"sh\",\"-c\",\"export VLLM_USE_MODELSCOPE=True; vllm serve "
    "Qwen/Qwen3-0.6B --served-model-name qwen3-0.6b --port 8000\"],"
    "\"image\":\"kube-ai-registry.cn-shanghai.cr.aliyuncs.com/kube-ai/vllm-openai:v0.9.1\",\"name\":\"vllm\","
    "\"ports\":[{\"containerPort\":8000,\"name\":\"restful\",\"protocol\":\"TCP\"}],"
    "\"readinessProbe\":{\"failureThreshold\":3,\"initialDelaySeconds\":30,\"periodSeconds\":10,"
    "\"successThreshold\":1,\"tcpSocket\":{\"port\":8000},\"timeoutSeconds\":1},"
    "\"resources\":{\"limits\":{\"nvidia.com/gpu\":\"1\"},\"requests\":{\"nvidia.com/gpu\":\"1\"}}}],"
    "\"dnsPolicy\":\"ClusterFirst\",\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30}}";

Test(spec, template_first_seed) {
  json_t *o = J(SEED1_TEMPLATE);
  cluster_template t;
  sw_err err;
  cr_assert_eq(cluster_template_parse(o, &t, &err), 0, "%s", err.msg);
  cr_assert_eq(t.gpus, 1);
  cr_assert_eq(t.nports, 1);
  cr_assert_eq(t.ports[0], 8000);
  cr_assert_eq(t.readiness.kind, CLUSTER_PROBE_TCP);
  cr_assert_eq(t.readiness.port, 8000);
  cr_assert_float_eq(t.readiness.initial_delay_seconds, 30, 1e-9);
  cr_assert_eq(t.readiness.failure_threshold, 3);
  cr_assert_eq(t.liveness.kind, CLUSTER_PROBE_NONE);
  cr_assert_eq(t.restart_policy, CLUSTER_RESTART_ALWAYS);
  cr_assert_float_eq(t.grace_seconds, 30, 1e-9);
  cr_assert_str_eq(t.container_name, "vllm");
  cr_assert_eq(strlen(t.hash), 10);
  char h2[11];
  cluster_template_hash(o, h2);
  cr_assert_str_eq(t.hash, h2);
  cluster_template_free(&t);
  json_decref(o);
}

Test(spec, the_model_server_container_runs_not_a_sidecar_listed_first) {
  struct {
    const char *containers, *want;
  } cases[] = {
      /* the container asking for a GPU */
      {"[{\"name\":\"log\",\"command\":[\"tail\"]},{\"name\":\"vllm\",\"command\":[\"srv\"],"
       "\"resources\":{\"limits\":{\"nvidia.com/gpu\":1}}}]",
       "vllm"},
      /* no GPU anywhere: the one whose command line names vLLM */
      {"[{\"name\":\"proxy\",\"command\":[\"envoy\"]},{\"name\":\"server\",\"command\":[\"sh\",\"-c\"],"
       "\"args\":[\"vllm serve m --port 8000\"]}]",
       "server"},
      /* neither: the first, as before */
      {"[{\"name\":\"a\",\"command\":[\"x\"]},{\"name\":\"b\",\"command\":[\"y\"]}]", "a"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char buf[1024];
    snprintf(buf, sizeof buf, "{\"spec\":{\"containers\":%s}}", cases[i].containers);
    json_t *o = J(buf);
    cluster_template t;
    sw_err err;
    cr_assert_eq(cluster_template_parse(o, &t, &err), 0, "%s", err.msg);
    cr_expect_str_eq(t.container_name, cases[i].want, "case %zu", i);
    cr_expect_eq(t.ncontainers, 2);
    cluster_template_free(&t);
    json_decref(o);
  }
}

Test(spec, template_defaults_named_port_http_probe) {
  json_t *o =
      J("{\"metadata\":{\"labels\":{\"app\":\"x\"}},\"spec\":{\"nodeSelector\":{\"alibabacloud.com/"
        "nodepool-id\":\"p\"},\"containers\":[{\"name\":\"c\",\"command\":[\"srv\"],\"args\":[8080],"
        "\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"valueFrom\":{}}],"
        "\"ports\":[{\"containerPort\":8080,\"name\":\"http\"}],"
        "\"readinessProbe\":{\"httpGet\":{\"path\":\"/health\",\"port\":\"http\"}},"
        "\"livenessProbe\":{\"tcpSocket\":{\"port\":9090}},"
        "\"resources\":{\"limits\":{\"nvidia.com/gpu\":2}}},{\"name\":\"side\",\"resources\":{\"requests\":{"
        "\"nvidia.com/gpu\":\"1\"}}}]}}");
  cluster_template t;
  sw_err err;
  cr_assert_eq(cluster_template_parse(o, &t, &err), 0, "%s", err.msg);
  cr_assert_eq(t.gpus, 3, "GPU requests of all containers add up");
  cr_assert_eq(t.ncontainers, 2);
  cr_assert_eq(t.readiness.kind, CLUSTER_PROBE_HTTP);
  cr_assert_eq(t.readiness.port, 8080);
  cr_assert_str_eq(t.readiness.path, "/health");
  cr_assert_float_eq(t.readiness.period_seconds, 10, 1e-9);
  cr_assert_eq(t.readiness.success_threshold, 1);
  cr_assert_eq(t.nports, 2, "probe port 9090 gets a host port too");
  cr_assert_eq(t.ports[1], 9090);
  cr_assert_str_eq(json_string_value(json_array_get(t.args, 0)), "8080");
  cr_assert_str_eq(json_string_value(json_object_get(t.env, "B")), "");
  cr_assert_str_eq(json_string_value(json_object_get(t.node_selector, "alibabacloud.com/nodepool-id")), "p");
  cr_assert_float_eq(t.grace_seconds, 30, 1e-9);
  cluster_template_free(&t);
  json_decref(o);
}

Test(spec, template_errors) {
  struct {
    const char *json, *want;
  } t[] = {
      {"{\"spec\":{}}", "spec.template.spec.containers: expected at least one container"},
      {"{\"spec\":{\"containers\":[{\"resources\":{\"limits\":{\"nvidia.com/gpu\":\"half\"}}}]}}",
       "spec.template.spec.containers[0].resources.limits.nvidia.com/gpu: expected a whole number of GPUs"},
      {"{\"spec\":{\"containers\":[{\"readinessProbe\":{\"tcpSocket\":{\"port\":\"web\"}}}]}}",
       "readinessProbe.tcpSocket.port: no container port is named \"web\""},
      {"{\"spec\":{\"containers\":[{\"readinessProbe\":{\"periodSeconds\":5}}]}}",
       "readinessProbe: expected one of tcpSocket, httpGet or exec"},
      {"{\"spec\":{\"restartPolicy\":\"Sometimes\",\"containers\":[{}]}}",
       "restartPolicy: expected Always, OnFailure or Never"},
      {"{\"spec\":{\"containers\":[{\"ports\":[{\"containerPort\":70000}]}]}}", "expected a port 1..65535"},
      {"{\"spec\":{\"containers\":[{\"readinessProbe\":{\"httpGet\":{\"port\":1,\"path\":\"/a b\"}}}]}}",
       "httpGet.path: expected no spaces"},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    json_t *o = J(t[i].json);
    cluster_template tt;
    sw_err err;
    cr_assert_neq(cluster_template_parse(o, &tt, &err), 0, "%s", t[i].json);
    cr_assert(strstr(err.msg, t[i].want), "\"%s\" lacks \"%s\"", err.msg, t[i].want);
    json_decref(o);
  }
}

Test(spec, quantity_int) {
  struct {
    const char *json;
    int want;
  } t[] = {{"\"1\"", 1}, {"2", 2},   {"\"0\"", 0}, {"\"1.5\"", -1},     {"-1", -1},
           {"\"\"", -1}, {"2.0", 2}, {"true", -1}, {"\"12345678\"", -1}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    json_t *v = json_loads(t[i].json, JSON_DECODE_ANY, NULL);
    cr_assert_eq(cluster_quantity_int(v), t[i].want, "%s", t[i].json);
    json_decref(v);
  }
}

/* The Deployment's status aggregated over its pods in every cluster. */
static json_t *pod(const char *hash, bool ready, const char *ready_at, bool terminating) {
  json_t *p = json_pack("{s:{s:{s:s}},s:{s:s,s:[{s:s,s:s,s:s}]}}", "metadata", "labels", "pod-template-hash", hash,
                        "status", "phase", "Running", "conditions", "type", "Ready", "status",
                        ready ? "True" : "False", "lastTransitionTime", ready_at);
  if (terminating)
    json_object_set_new(json_object_get(p, "metadata"), "deletionTimestamp", json_string("2027-01-15T08:00:00Z"));
  return p;
}

Test(spec, deployment_status_over_member_pods) {
  json_t *dep = J("{\"metadata\":{\"generation\":3},\"spec\":{\"replicas\":4,\"minReadySeconds\":10,"
                  "\"template\":{\"metadata\":{\"labels\":{\"app\":\"q\"}},\"spec\":{\"containers\":[{\"name\":\"v\"}]}}}}");
  char hash[11];
  cluster_template_hash(json_object_get(json_object_get(dep, "spec"), "template"), hash);
  double now = 1800000000; /* 2027-01-15T08:00:00Z */
  json_t *pods = json_array();
  json_array_append_new(pods, pod(hash, true, "2027-01-15T07:59:00Z", false));  /* available */
  json_array_append_new(pods, pod(hash, true, "2027-01-15T07:59:55Z", false));  /* ready 5 s < minReadySeconds */
  json_array_append_new(pods, pod("oldhash", true, "2027-01-15T07:50:00Z", false)); /* old template */
  json_array_append_new(pods, pod(hash, false, "2027-01-15T07:59:00Z", false)); /* starting */
  json_array_append_new(pods, pod(hash, true, "2027-01-15T07:00:00Z", true));   /* terminating: not counted */
  json_t *st = cluster_deployment_status(dep, pods, NULL, now);
  cr_expect_eq(json_integer_value(json_object_get(st, "replicas")), 4);
  cr_expect_eq(json_integer_value(json_object_get(st, "updatedReplicas")), 3);
  cr_expect_eq(json_integer_value(json_object_get(st, "readyReplicas")), 3);
  cr_expect_eq(json_integer_value(json_object_get(st, "availableReplicas")), 2);
  cr_expect_eq(json_integer_value(json_object_get(st, "unavailableReplicas")), 2);
  cr_expect_eq(json_integer_value(json_object_get(st, "observedGeneration")), 3);
  const json_t *avail = json_array_get(json_object_get(st, "conditions"), 0);
  /* 2 available < 4 - 25 % */
  cr_expect_str_eq(json_string_value(json_object_get(avail, "status")), "False");
  cr_expect_str_eq(json_string_value(json_object_get(avail, "reason")), "MinimumReplicasUnavailable");
  /* ten seconds on: the second pod is available too (3 >= 4 - 1), the old
   * condition's time is kept only while its status holds */
  json_t *st2 = cluster_deployment_status(dep, pods, st, now + 10);
  avail = json_array_get(json_object_get(st2, "conditions"), 0);
  cr_expect_str_eq(json_string_value(json_object_get(avail, "status")), "True");
  cr_expect_str_eq(json_string_value(json_object_get(avail, "lastTransitionTime")), "2027-01-15T08:00:10Z");
  json_t *st3 = cluster_deployment_status(dep, pods, st2, now + 20);
  cr_expect(json_equal(st2, st3), "nothing changed: the same status (no write)");
  json_decref(st3);
  json_decref(st2);
  json_decref(st);
  json_decref(pods);
  json_decref(dep);
}
