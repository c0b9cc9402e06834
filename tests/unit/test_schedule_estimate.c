/* Unit tests for the estimator (src/schedule/estimate.c): store-shaped
 * Cluster/Node/Pod JSON in, per-cluster available/provisionable out. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "schedule/estimate.h"

static json_t *J(const char *text) {
  json_error_t e;
  json_t *v = json_loads(text, 0, &e);
  cr_assert_not_null(v, "bad fixture: %s at %d: %s", e.text, e.column, text);
  return v;
}

static json_t *node(const char *cluster, const char *pool, int n, const char *gpus, bool ready,
                    const char *extra) {
  char buf[1024];
  snprintf(buf, sizeof buf,
           "{\"kind\": \"Node\", \"metadata\": {\"name\": \"%s-%s-%d\", \"labels\": "
           "{\"spillway.io/cluster\": \"%s\","
           " \"alibabacloud.com/nodepool-id\": \"%s\"}}, \"status\": {\"allocatable\": {\"nvidia.com/gpu\": "
           "\"%s\"%s},"
           " \"conditions\": [{\"type\": \"Ready\", \"status\": \"%s\"}]}}",
           cluster, pool, n, cluster, pool, gpus, extra ? extra : "", ready ? "True" : "False");
  return J(buf);
}

static json_t *pod(const char *owner, const char *cluster, const char *node_name, const char *gpus,
                   const char *phase, bool terminating) {
  static int seq;
  char buf[1024];
  snprintf(
      buf, sizeof buf,
      "{\"kind\": \"Pod\", \"metadata\": {\"name\": \"%s-abc-%d\", \"namespace\": \"test\", %s"
      " \"labels\": {\"spillway.io/cluster\": \"%s\"}, \"annotations\": {\"spillway.io/owner\": \"%s\"}},"
      " \"spec\": {\"nodeName\": \"%s\", \"containers\": [{\"name\": \"c\", \"resources\": {\"limits\":"
      " {\"nvidia.com/gpu\": \"%s\"}}}]}, \"status\": {\"phase\": \"%s\", \"conditions\": [{\"type\": "
      "\"Ready\","
      " \"status\": \"%s\"}]}}",
      owner, seq++, terminating ? "\"deletionTimestamp\": \"2026-01-01T00:00:00Z\"," : "", cluster, owner,
      node_name ? node_name : "", gpus, phase, strcmp(phase, "Running") == 0 ? "True" : "False");
  return J(buf);
}

static json_t *deployment(const char *name, const char *gpus, const char *node_selector) {
  char buf[1024];
  snprintf(buf, sizeof buf,
           "{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"metadata\": {\"name\": \"%s\", "
           "\"namespace\":"
           " \"test\"}, \"spec\": {\"replicas\": 1, \"template\": {\"spec\": {%s \"containers\": [{\"name\": "
           "\"vllm\","
           " \"resources\": {\"requests\": {\"nvidia.com/gpu\": \"%s\"}, \"limits\": {\"nvidia.com/gpu\": "
           "\"%s\"}}}]}}}}",
           name, node_selector ? node_selector : "", gpus, gpus);
  return J(buf);
}

/* cluster2 of the first seed: a static pool and an elastic pool. */
static json_t *cluster(const char *name, const char *ready, const char *since, const char *extra_spec,
                       const char *status_pools) {
  char buf[2048];
  snprintf(
      buf, sizeof buf,
      "{\"kind\": \"Cluster\", \"metadata\": {\"name\": \"%s\", \"labels\": {\"region\": \"x\"}}, \"spec\": {"
      "%s \"nodePools\": [{\"name\": \"gpu\", \"type\": \"static\", \"gpusPerNode\": 1, \"nodes\": 1},"
      " {\"name\": \"ecs\", \"type\": \"elastic\", \"gpusPerNode\": 2, \"maxNodes\": 3, \"inventory\": 2,"
      " \"labels\": {\"tier\": \"cloud\"}}]}, \"status\": {\"conditions\": [{\"type\": \"Ready\", \"status\":"
      " \"%s\"%s%s%s}], \"pools\": %s}}",
      name, extra_spec ? extra_spec : "", ready, since ? ", \"lastTransitionTime\": \"" : "",
      since ? since : "", since ? "\"" : "", status_pools ? status_pools : "[]");
  return J(buf);
}

typedef struct {
  sw_arena *a;
  json_t *clusters, *nodes, *pods;
  schedule_fleet f;
} fixture;

static void fx_init(fixture *x) {
  x->a = sw_arena_new(8192);
  x->clusters = json_array();
  x->nodes = json_array();
  x->pods = json_array();
}

static void fx_free(fixture *x) {
  json_decref(x->clusters);
  json_decref(x->nodes);
  json_decref(x->pods);
  sw_arena_free(x->a);
}

static schedule_cluster estimate_for(fixture *x, const json_t *dep, bool ecs, const schedule_count *prev,
                                     size_t n_prev, double now, size_t which) {
  schedule_fleet_build(&x->f, x->clusters, x->nodes, x->pods, 300, x->a);
  schedule_workload w;
  schedule_workload_from_deployment(dep, x->a, &w);
  schedule_cluster *est = sw_arena_alloc(x->a, (x->f.n_clusters + 1) * sizeof *est);
  schedule_estimate(&x->f, &w, ecs, prev, n_prev, now, est);
  return est[which];
}

Test(estimate, free_gpus_on_ready_nodes_and_own_pods_count_as_room) {
  fixture x;
  fx_init(&x);
  json_array_append_new(x.clusters, cluster("cluster1", "True", NULL, NULL, NULL));
  json_array_append_new(x.nodes, node("cluster1", "gpu", 0, "1", true, NULL));
  json_array_append_new(x.nodes, node("cluster1", "gpu", 1, "2", true, NULL));
  json_array_append_new(x.nodes, node("cluster1", "gpu", 2, "4", false, NULL)); /* not ready: no room */
  json_array_append_new(x.pods, pod("qwen3", "cluster1", "cluster1-gpu-0", "1", "Running", false)); /* own */
  json_array_append_new(x.pods, pod("other", "cluster1", "cluster1-gpu-1", "1", "Running", false));
  json_array_append_new(x.pods,
                        pod("done", "cluster1", "cluster1-gpu-1", "1", "Succeeded", false)); /* finished */
  json_t *dep = deployment("qwen3", "1", NULL);
  schedule_cluster e = estimate_for(&x, dep, false, NULL, 0, 1000, 0);
  cr_expect(e.ready);
  cr_expect_eq(e.available, 2, "own pod's GPU (1) + node-1's free GPU (1); got %d", e.available);
  cr_expect_eq(e.provisionable, 0, "no provisioning without ecsProvision");
  cr_expect_eq(e.ready_replicas, 1);
  json_decref(dep);
  dep = deployment("qwen3", "2", NULL);
  e = estimate_for(&x, dep, false, NULL, 0, 1000, 0);
  cr_expect_eq(e.available, 0, "two GPUs fit nowhere: node-0 has 1, node-1 has 1 free");
  json_decref(dep);
  fx_free(&x);
}

Test(estimate, terminating_pods_hold_their_room_and_selectors_filter_nodes) {
  fixture x;
  fx_init(&x);
  json_array_append_new(x.clusters, cluster("c", "True", NULL, NULL, NULL));
  json_array_append_new(x.nodes, node("c", "gpu", 0, "1", true, NULL));
  json_array_append_new(x.nodes, node("c", "ecs", 0, "2", true, NULL));
  json_array_append_new(x.pods, pod("qwen3", "c", "c-gpu-0", "1", "Running", true));
  json_t *dep = deployment("qwen3", "1", NULL);
  cr_expect_eq(estimate_for(&x, dep, false, NULL, 0, 0, 0).available, 2,
               "terminating pod's GPU is still used");
  json_decref(dep);
  dep = deployment("qwen3", "1", "\"nodeSelector\": {\"alibabacloud.com/nodepool-id\": \"gpu\"},");
  cr_expect_eq(estimate_for(&x, dep, false, NULL, 0, 0, 0).available, 0);
  /* ... but a cluster keeps the replica it holds while its own old pod
   * terminates to make way for the successor (rollout restart) */
  schedule_count had[] = {{"c", 1}};
  cr_expect_eq(estimate_for(&x, dep, false, had, 1, 0, 0).available, 1);
  schedule_count had2[] = {{"c", 2}};
  cr_expect_eq(estimate_for(&x, dep, false, had2, 1, 0, 0).available, 1, "no more than the GPU it frees");
  json_decref(dep);
  fx_free(&x);
}

Test(estimate, resources_the_node_does_not_declare) {
  fixture x;
  fx_init(&x);
  json_array_append_new(x.clusters, cluster("c", "True", NULL, NULL, NULL));
  json_array_append_new(x.nodes, node("c", "gpu", 0, "8", true, ", \"pods\": \"3\""));
  json_array_append_new(x.pods, pod("x", "c", "c-gpu-0", "0", "Running", false));
  /* A CPU-only template: cpu is not modelled by this node, pods caps at 3 - 1. */
  json_t *dep =
      J("{\"metadata\": {\"name\": \"cpu\", \"namespace\": \"test\"}, \"spec\": {\"template\": {\"spec\":"
        " {\"containers\": [{\"resources\": {\"requests\": {\"cpu\": \"500m\"}}}]}}}}");
  cr_expect_eq(estimate_for(&x, dep, false, NULL, 0, 0, 0).available, 2);
  json_decref(dep);
  /* An extended resource the node does not declare fits nowhere. */
  dep = J("{\"metadata\": {\"name\": \"npu\", \"namespace\": \"test\"}, \"spec\": {\"template\": {\"spec\":"
          " {\"containers\": [{\"resources\": {\"limits\": {\"huawei.com/npu\": 1}}}]}}}}");
  cr_expect_eq(estimate_for(&x, dep, false, NULL, 0, 0, 0).available, 0);
  json_decref(dep);
  fx_free(&x);
}

Test(estimate, elastic_pools_with_inventory_and_provisioning) {
  fixture x;
  fx_init(&x);
  /* ecs: maxNodes 3, inventory 2 (spec), 2 GPUs per node, 1 node exists. */
  json_array_append_new(x.clusters, cluster("c", "True", NULL, NULL, NULL));
  json_array_append_new(x.nodes, node("c", "gpu", 0, "1", true, NULL));
  json_array_append_new(x.nodes, node("c", "ecs", 0, "2", true, NULL));
  json_t *dep = deployment("qwen3", "1", NULL);
  schedule_cluster e = estimate_for(&x, dep, true, NULL, 0, 0, 0);
  cr_expect_eq(e.available, 3);
  cr_expect_eq(e.provisionable, 4, "min(3 - 1, inventory 2) nodes x 2 GPUs; got %d", e.provisionable);
  /* The cluster reports one node provisioning and one left in inventory. */
  json_decref(x.clusters);
  x.clusters = json_array();
  json_array_append_new(
      x.clusters, cluster("c", "True", NULL, NULL,
                          "[{\"name\": \"ecs\", \"nodes\": 1, \"provisioning\": 1, \"inventoryLeft\": 1}]"));
  e = estimate_for(&x, dep, true, NULL, 0, 0, 0);
  cr_expect_eq(e.provisionable, 4, "1 addable + 1 provisioning, x 2; got %d", e.provisionable);
  /* What the cluster layer reports as headroom wins over the arithmetic. */
  json_decref(x.clusters);
  x.clusters = json_array();
  json_array_append_new(
      x.clusters, cluster("c", "True", NULL, NULL,
                          "[{\"name\": \"ecs\", \"nodes\": 2, \"provisioning\": 1, \"headroomNodes\": 1}]"));
  e = estimate_for(&x, dep, true, NULL, 0, 0, 0);
  cr_expect_eq(e.provisionable, 4, "1 headroom + 1 provisioning, x 2; got %d", e.provisionable);
  /* Another workload's pending GPU pod takes coming room first. */
  json_array_append_new(x.pods, pod("other", "c", NULL, "1", "Pending", false));
  e = estimate_for(&x, dep, true, NULL, 0, 0, 0);
  cr_expect_eq(e.provisionable, 3);
  /* A nodeSelector for another pool rules the elastic pool out. */
  json_t *dep2 = deployment("qwen3", "1", "\"nodeSelector\": {\"tier\": \"onprem\"},");
  cr_expect_eq(estimate_for(&x, dep2, true, NULL, 0, 0, 0).provisionable, 0);
  json_decref(dep2);
  dep2 = deployment("qwen3", "1", "\"nodeSelector\": {\"tier\": \"cloud\"},");
  cr_expect_eq(estimate_for(&x, dep2, true, NULL, 0, 0, 0).provisionable, 3);
  json_decref(dep2);
  json_decref(dep);
  fx_free(&x);
}

Test(estimate, not_ready_cluster_holds_within_toleration_then_estimates_zero) {
  fixture x;
  fx_init(&x);
  double t0;
  cr_assert_eq(sw_time_parse("2026-01-01T00:00:00Z", &t0), 0);
  json_array_append_new(x.clusters,
                        cluster("c", "False", "2026-01-01T00:00:00Z", "\"tolerationSeconds\": 60,", NULL));
  json_array_append_new(x.nodes, node("c", "gpu", 0, "4", true, NULL));
  json_t *dep = deployment("qwen3", "1", NULL);
  schedule_count prev[] = {{"c", 2}};
  schedule_cluster e = estimate_for(&x, dep, true, prev, 1, t0 + 59, 0);
  cr_expect(e.ready, "held within the toleration");
  cr_expect_eq(e.available, 2, "holds exactly what it had");
  cr_expect_eq(e.provisionable, 0);
  e = estimate_for(&x, dep, true, prev, 1, t0 + 61, 0);
  cr_expect_not(e.ready);
  cr_expect_eq(e.available, 0);
  json_decref(dep);
  fx_free(&x);
}

Test(estimate, odd_objects_are_skipped) {
  fixture x;
  fx_init(&x);
  json_array_append_new(x.clusters, J("{\"metadata\": {}}"));
  json_array_append_new(x.clusters, J("[1, 2]"));
  json_array_append_new(x.clusters, J("{\"metadata\": {\"name\": \"ok\"}, \"spec\": {\"nodePools\": 7},"
                                      " \"status\": {\"conditions\": \"x\"}}"));
  json_array_append_new(x.nodes,
                        J("{\"metadata\": {\"name\": \"n\", \"labels\": {\"spillway.io/cluster\": \"ok\"}},"
                          " \"status\": {\"allocatable\": {\"nvidia.com/gpu\": \"lots\"}}}"));
  json_array_append_new(x.pods, J("{\"metadata\": 3}"));
  json_t *dep = J("{\"spec\": {\"template\": 4}}");
  schedule_fleet_build(&x.f, x.clusters, x.nodes, x.pods, 300, x.a);
  cr_expect_eq(x.f.n_clusters, 1);
  schedule_workload w;
  schedule_workload_from_deployment(dep, x.a, &w);
  schedule_cluster est[1];
  schedule_estimate(&x.f, &w, true, NULL, 0, 0, est);
  cr_expect_eq(est[0].available, 0);
  json_decref(dep);
  fx_free(&x);
}
