/* Unit tests for the scheduling controller (src/schedule/controller.c) over an
 * in-memory store. A small stand-in for the member-cluster layer (fake_member
 * below) turns ResourceBindings into Pod objects, binds pods to nodes with a
 * free GPU, and provisions elastic nodes one step after a pod goes Pending, so
 * the first seed's scenario and cluster failure run end to end at the
 * controller level. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <uv.h>

#include "plane/plane.h"
#include "schedule/controller.h"
#include "store/store.h"

static store_t *S;
static plane P;
static uv_loop_t L;
static schedule_controller *SC;
static double NOW = 1800000000;
static bool DOWN[2]; /* cluster1, cluster2 stopped: the fake member leaves them alone */

static json_t *J(const char *text) {
  json_error_t e;
  json_t *v = json_loads(text, 0, &e);
  cr_assert_not_null(v, "bad fixture: %s at %d", e.text, e.column);
  return v;
}

static void apply(json_t *obj) {
  sw_err err;
  cr_assert_eq(store_apply(S, &obj, 1, NOW, NULL, &err), 0, "%s", err.msg);
  json_decref(obj);
}

static void set_status(const char *kind, const char *ns, const char *name, json_t *status) {
  sw_err err;
  cr_assert_eq(store_update_status(S, kind, ns, name, status, &err), 0, "%s", err.msg);
  json_decref(status);
}

static void cluster_ready(const char *name, bool ready) {
  char ts[32];
  sw_time_format(NOW, ts, sizeof ts);
  json_t *c = store_get(S, "Cluster", "", name);
  json_t *st = json_deep_copy(json_object_get(c, "status"));
  if (!st) st = json_object();
  json_object_set_new(st, "conditions",
                      json_pack("[{s:s,s:s,s:s}]", "type", "Ready", "status", ready ? "True" : "False",
                                "lastTransitionTime", ts));
  json_decref(c);
  set_status("Cluster", "", name, st);
}

static void add_node(const char *cluster, const char *pool, int n) {
  char buf[512];
  snprintf(buf, sizeof buf,
           "{\"apiVersion\": \"v1\", \"kind\": \"Node\", \"metadata\": {\"name\": \"%s-%s-%d\", "
           "\"namespace\": \"\","
           " \"labels\": {\"spillway.io/cluster\": \"%s\", \"alibabacloud.com/nodepool-id\": \"%s\"}}}",
           cluster, pool, n, cluster, pool);
  apply(J(buf));
  snprintf(buf, sizeof buf, "%s-%s-%d", cluster, pool, n);
  set_status("Node", "", buf,
             J("{\"allocatable\": {\"nvidia.com/gpu\": \"1\"}, \"capacity\": {\"nvidia.com/gpu\": \"1\"},"
               " \"conditions\": [{\"type\": \"Ready\", \"status\": \"True\"}]}"));
}

/* The first seed's fleet: cluster1 (high priority) has one GPU node; cluster2
 * (low priority) has one GPU node and an elastic pool of 1-GPU nodes. */
static void seed_fleet(bool ecs_provision, const char *toleration) {
  char buf[1024];
  for (int i = 1; i <= 2; i++) {
    snprintf(buf, sizeof buf,
             "{\"apiVersion\": \"spillway.io/v1alpha1\", \"kind\": \"Cluster\", \"metadata\": {\"name\": "
             "\"cluster%d\","
             " \"namespace\": \"\"}, \"spec\": {\"driver\": \"local\", %s \"nodePools\": [{\"name\": \"gpu\","
             " \"type\": \"static\", \"gpusPerNode\": 1, \"nodes\": 1}%s]}}",
             i, toleration ? toleration : "",
             i == 2 ? ", {\"name\": \"ecs\", \"type\": \"elastic\", \"gpusPerNode\": 1, \"maxNodes\": 2,"
                      " \"inventory\": 2}"
                    : "");
    apply(J(buf));
    snprintf(buf, sizeof buf, "cluster%d", i);
    cluster_ready(buf, true);
    add_node(buf, "gpu", 0);
  }
  apply(J("{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"metadata\": {\"name\": \"qwen3\", "
          "\"namespace\":"
          " \"test\", \"labels\": {\"app\": \"qwen3\"}}, \"spec\": {\"replicas\": 1, \"selector\": "
          "{\"matchLabels\":"
          " {\"app\": \"qwen3\"}}, \"template\": {\"metadata\": {\"labels\": {\"app\": \"qwen3\"}}, \"spec\":"
          " {\"containers\": [{\"name\": \"vllm\", \"image\": \"vllm\", \"resources\": {\"limits\": "
          "{\"nvidia.com/gpu\":"
          " \"1\"}, \"requests\": {\"nvidia.com/gpu\": \"1\"}}}]}}}}"));
  snprintf(buf, sizeof buf,
           "{\"apiVersion\": \"policy.one.alibabacloud.com/v1alpha1\", \"kind\": \"PropagationPolicy\", "
           "\"metadata\":"
           " {\"name\": \"vllm-deploy-pp\", \"namespace\": \"test\"}, \"spec\": {\"autoScaling\": "
           "{\"ecsProvision\": %s},"
           " \"placement\": {\"clusterAffinities\": [{\"affinityName\": \"high-priority\", \"clusterNames\":"
           " [\"cluster1\"]}, {\"affinityName\": \"low-priority\", \"clusterNames\": [\"cluster2\"]}],"
           " \"replicaScheduling\": {\"replicaSchedulingType\": \"Divided\", \"replicaDivisionPreference\": "
           "\"Weighted\","
           " \"weightPreference\": {\"dynamicWeight\": \"AvailableReplicas\"}}}, "
           "\"preserveResourcesOnDeletion\": false,"
           " \"resourceSelectors\": [{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"namespace\": "
           "\"test\"},"
           " {\"apiVersion\": \"v1\", \"kind\": \"Service\", \"namespace\": \"test\"}]}}",
           ecs_provision ? "true" : "false");
  apply(J(buf));
}

static void setup(void) {
  sw_err err;
  sw_log_set_level(SW_LOG_WARN);
  cr_assert_eq(store_open(&S, ":memory:", &err), 0, "%s", err.msg);
  uv_loop_init(&L);
  plane_init(&P, &L, S, 1);
  SC = schedule_controller_start(&P, NULL);
  DOWN[0] = DOWN[1] = false;
}

static void teardown(void) {
  plane_fini(&P);
  uv_run(&L, UV_RUN_DEFAULT);
  schedule_controller_free(SC);
  uv_loop_close(&L);
  store_close(S);
}

/* ---- a stand-in for the member-cluster layer ---------------------------- */

static int binding_share(const json_t *b, const char *cluster) {
  const json_t *cl = json_object_get(json_object_get(b, "spec"), "clusters");
  for (size_t i = 0; i < json_array_size(cl); i++)
    if (strcmp(json_string_value(json_object_get(json_array_get(cl, i), "name")), cluster) == 0)
      return (int)json_integer_value(json_object_get(json_array_get(cl, i), "replicas"));
  return 0;
}

static int pod_seq;

static void fake_member(void) {
  json_t *bindings = store_list(S, "ResourceBinding", NULL);
  for (int ci = 1; ci <= 2; ci++) {
    if (DOWN[ci - 1]) continue;
    char cname[16];
    snprintf(cname, sizeof cname, "cluster%d", ci);
    /* Pods to match each binding's share: create Pending, delete the newest. */
    for (size_t b = 0; b < json_array_size(bindings); b++) {
      const json_t *rb = json_array_get(bindings, b);
      const char *dep = json_string_value(
          json_object_get(json_object_get(json_object_get(rb, "spec"), "resource"), "name"));
      int want = binding_share(rb, cname);
      json_t *pods = store_list(S, "Pod", "test");
      json_t *mine = json_array();
      for (size_t i = 0; i < json_array_size(pods); i++) {
        json_t *p = json_array_get(pods, i);
        const json_t *md = json_object_get(p, "metadata");
        if (strcmp(json_string_value(json_object_get(json_object_get(md, "labels"), "spillway.io/cluster")),
                   cname) == 0 &&
            strcmp(
                json_string_value(json_object_get(json_object_get(md, "annotations"), "spillway.io/owner")),
                dep) == 0)
          json_array_append(mine, p);
      }
      while ((int)json_array_size(mine) > want) {
        size_t last = json_array_size(mine) - 1;
        sw_err err;
        store_delete(S, "Pod", "test",
                     json_string_value(
                         json_object_get(json_object_get(json_array_get(mine, last), "metadata"), "name")),
                     0, &err);
        json_array_remove(mine, last);
      }
      while ((int)json_array_size(mine) < want) {
        char buf[1024];
        snprintf(
            buf, sizeof buf,
            "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"%s-abcdef0123-%05d\","
            " \"namespace\": \"test\", \"labels\": {\"app\": \"%s\", \"spillway.io/cluster\": \"%s\"},"
            " \"annotations\": {\"spillway.io/owner\": \"%s\"}}, \"spec\": {\"containers\": [{\"name\": "
            "\"vllm\","
            " \"resources\": {\"requests\": {\"nvidia.com/gpu\": \"1\"}}}]}}",
            dep, pod_seq++, dep, cname, dep);
        json_t *p = J(buf);
        apply(json_incref(p));
        json_array_append_new(mine, p);
      }
      json_decref(mine);
      json_decref(pods);
    }
    /* Bind pending pods to ready nodes with a free GPU; provision an elastic
     * node for the rest, ready one step later (the cluster reports it as
     * provisioning meanwhile). */
    json_t *nodes = store_list(S, "Node", NULL), *pods = store_list(S, "Pod", "test");
    json_t *cl = store_get(S, "Cluster", "", cname);
    int provisioning = (int)json_integer_value(json_object_get(
        json_array_get(json_object_get(json_object_get(cl, "status"), "pools"), 0), "provisioning"));
    int ecs_nodes = 0;
    for (size_t n = 0; n < json_array_size(nodes); n++) {
      const char *nn =
          json_string_value(json_object_get(json_object_get(json_array_get(nodes, n), "metadata"), "name"));
      if (strncmp(nn, cname, strlen(cname)) == 0 && strstr(nn, "-ecs-")) ecs_nodes++;
    }
    if (provisioning > 0) {
      add_node(cname, "ecs", ecs_nodes++);
      provisioning = 0;
      json_decref(nodes);
      nodes = store_list(S, "Node", NULL);
    }
    int pending = 0;
    for (size_t i = 0; i < json_array_size(pods); i++) {
      json_t *p = json_array_get(pods, i);
      const json_t *md = json_object_get(p, "metadata");
      if (strcmp(json_string_value(json_object_get(json_object_get(md, "labels"), "spillway.io/cluster")),
                 cname))
        continue;
      if (json_string_value(json_object_get(json_object_get(p, "spec"), "nodeName"))) continue;
      const char *free_node = NULL;
      for (size_t n = 0; n < json_array_size(nodes) && !free_node; n++) {
        const char *nn =
            json_string_value(json_object_get(json_object_get(json_array_get(nodes, n), "metadata"), "name"));
        if (strncmp(nn, cname, strlen(cname)) != 0) continue;
        bool used = false;
        for (size_t j = 0; j < json_array_size(pods); j++) {
          const char *on = json_string_value(
              json_object_get(json_object_get(json_array_get(pods, j), "spec"), "nodeName"));
          if (on && strcmp(on, nn) == 0) used = true;
        }
        if (!used) free_node = nn;
      }
      const char *pname = json_string_value(json_object_get(md, "name"));
      if (free_node) {
        json_t *obj = json_deep_copy(p);
        json_object_set_new(json_object_get(obj, "spec"), "nodeName", json_string(free_node));
        json_object_set_new(json_object_get(p, "spec"), "nodeName", json_string(free_node));
        apply(obj);
        set_status(
            "Pod", "test", pname,
            J("{\"phase\": \"Running\", \"conditions\": [{\"type\": \"Ready\", \"status\": \"True\"}]}"));
      } else {
        pending++;
        set_status("Pod", "test", pname, J("{\"phase\": \"Pending\"}"));
      }
    }
    if (pending && ci == 2 && ecs_nodes < 2) provisioning = 1;
    json_t *st = json_deep_copy(json_object_get(cl, "status"));
    json_object_set_new(
        st, "pools",
        json_pack("[{s:s,s:i,s:i}]", "name", "ecs", "nodes", ecs_nodes, "provisioning", provisioning));
    set_status("Cluster", "", cname, st);
    json_decref(cl);
    json_decref(nodes);
    json_decref(pods);
  }
  json_decref(bindings);
}

static void step(double dt) {
  NOW += dt;
  schedule_controller_sync(SC, NOW);
  fake_member();
}

static json_t *binding(void) {
  json_t *b = store_get(S, "ResourceBinding", "test", "qwen3-deployment");
  cr_assert_not_null(b, "the controller writes qwen3-deployment");
  return b;
}

static void expect_binding(int c1, int c2, const char *tier, int unscheduled, const char *what) {
  json_t *b = binding();
  cr_expect_eq(binding_share(b, "cluster1"), c1, "%s: cluster1", what);
  cr_expect_eq(binding_share(b, "cluster2"), c2, "%s: cluster2", what);
  const json_t *st = json_object_get(b, "status");
  const char *t = json_string_value(json_object_get(st, "tier"));
  if (tier) cr_expect(t && strcmp(t, tier) == 0, "%s: tier %s, want %s", what, t, tier);
  cr_expect_eq(json_integer_value(json_object_get(st, "unscheduled")), unscheduled,
               "%s: unscheduled (reason: %s)", what, json_string_value(json_object_get(st, "reason")));
  json_decref(b);
}

static int pods_in(const char *cluster, bool running_only) {
  json_t *pods = store_list(S, "Pod", "test");
  int n = 0;
  for (size_t i = 0; i < json_array_size(pods); i++) {
    json_t *p = json_array_get(pods, i);
    const char *c = json_string_value(
        json_object_get(json_object_get(json_object_get(p, "metadata"), "labels"), "spillway.io/cluster"));
    const char *phase = json_string_value(json_object_get(json_object_get(p, "status"), "phase"));
    if (strcmp(c, cluster) == 0 && (!running_only || (phase && strcmp(phase, "Running") == 0))) n++;
  }
  json_decref(pods);
  return n;
}

static void scale(int replicas) {
  json_t *patch = json_pack("{s:{s:i}}", "spec", "replicas", replicas);
  sw_err err;
  cr_assert_eq(store_merge_patch(S, "Deployment", "test", "qwen3", patch, NULL, &err), 0, "%s", err.msg);
  json_decref(patch);
}

static bool has_event(const char *reason, const char *text) {
  json_t *evs = store_list(S, "Event", "test");
  bool found = false;
  for (size_t i = 0; i < json_array_size(evs); i++) {
    json_t *e = json_array_get(evs, i);
    const char *msg = json_string_value(json_object_get(e, "message"));
    if (strcmp(json_string_value(json_object_get(e, "reason")), reason) == 0 && (!text || strstr(msg, text)))
      found = true;
  }
  json_decref(evs);
  return found;
}

TestSuite(controller, .init = setup, .fini = teardown);

Test(controller, first_seed_priority_spill_provision_and_scale_in) {
  seed_fleet(true, NULL);
  step(1);
  expect_binding(1, 0, "high-priority", 0, "1 replica");
  cr_expect_eq(pods_in("cluster1", true), 1);

  scale(2); /* kubectl scale deployment -n test qwen3 --replicas=2 */
  step(1);
  expect_binding(1, 1, "low-priority", 0, "scale to 2: cluster1 has one GPU, the second goes to cluster2");
  cr_expect_eq(pods_in("cluster2", true), 1);
  cr_expect(has_event("ScheduleBindingSucceed", "spilled to tier low-priority"));

  scale(3);
  step(1);
  expect_binding(1, 2, "low-priority", 0, "scale to 3 with ecsProvision: cluster2's elastic pool counts");
  cr_expect_eq(pods_in("cluster2", false), 2);
  cr_expect_eq(pods_in("cluster2", true), 1, "the third pod waits for its node");
  /* While the node is provisioning the replica stays where it was placed. */
  step(1);
  expect_binding(1, 2, "low-priority", 0, "while provisioning");
  step(1);
  expect_binding(1, 2, "low-priority", 0, "node provisioned");
  cr_expect_eq(pods_in("cluster2", true), 2, "the third replica runs although the fleet had two GPUs");

  scale(1);
  step(1);
  expect_binding(1, 0, "high-priority", 0, "scale back to 1 removes cluster2's replicas first");
  cr_expect_eq(pods_in("cluster2", false), 0);
  cr_expect_eq(pods_in("cluster1", true), 1);
}

Test(controller, without_ecs_provision_the_third_replica_is_unscheduled) {
  seed_fleet(false, NULL);
  step(1);
  scale(3);
  step(1);
  expect_binding(1, 1, "low-priority", 1, "no elastic room counted");
  json_t *b = binding();
  const char *reason = json_string_value(json_object_get(json_object_get(b, "status"), "reason"));
  cr_expect(strstr(reason, "1 of 3 replicas fit in no cluster"), "%s", reason);
  const json_t *cond = json_array_get(json_object_get(json_object_get(b, "status"), "conditions"), 0);
  cr_expect_str_eq(json_string_value(json_object_get(cond, "type")), "Scheduled");
  cr_expect_str_eq(json_string_value(json_object_get(cond, "status")), "False");
  cr_expect_str_eq(json_string_value(json_object_get(cond, "reason")), "NoClusterFit");
  json_decref(b);
  cr_expect(has_event("ScheduleBindingFailed", "fit in no cluster"));
}

Test(controller, a_killed_cluster_is_replaced_after_toleration_and_comes_back) {
  seed_fleet(true, "\"tolerationSeconds\": 60,");
  scale(2);
  step(1);
  step(1);
  expect_binding(1, 1, "low-priority", 0, "steady");
  /* cluster1's driver stops answering; the cluster layer marks it not ready. */
  DOWN[0] = true;
  cluster_ready("cluster1", false);
  step(30);
  expect_binding(1, 1, "low-priority", 0, "within tolerationSeconds nothing moves");
  step(31);
  expect_binding(1, 2, "low-priority", 0, "past toleration its replica is replaced in cluster2");
  json_t *b = binding();
  cr_expect(strstr(json_string_value(json_object_get(json_object_get(b, "status"), "reason")), "cluster1"));
  json_decref(b);
  step(1);
  step(1);
  cr_expect_eq(pods_in("cluster2", true), 2, "the replacement runs (elastic node)");
  /* It returns: its replica counts again and the surplus leaves cluster2. */
  DOWN[0] = false;
  cluster_ready("cluster1", true);
  step(1);
  expect_binding(1, 1, "low-priority", 0, "back: surplus removed from the lowest tier");
  cr_expect_eq(pods_in("cluster1", true), 1);
  cr_expect_eq(pods_in("cluster2", false), 1);
}

Test(controller, no_policy_single_cluster_binds_everything_there) {
  apply(
      J("{\"apiVersion\": \"spillway.io/v1alpha1\", \"kind\": \"Cluster\", \"metadata\": {\"name\": \"only\","
        " \"namespace\": \"\"}, \"spec\": {}}"));
  apply(J(
      "{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"metadata\": {\"name\": \"x\", \"namespace\":"
      " \"default\"}, \"spec\": {\"replicas\": 3}}"));
  schedule_controller_sync(SC, NOW);
  json_t *b = store_get(S, "ResourceBinding", "default", "x-deployment");
  cr_assert_not_null(b);
  cr_expect_eq(binding_share(b, "only"), 3, "all replicas go to the fleet's only cluster, Pending or not");
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(b, "status"), "unscheduled")), 0);
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(b, "spec"), "replicas")), 3);
  json_decref(b);
  /* A second cluster: no policy now means unscheduled, with the reason. */
  apply(J(
      "{\"apiVersion\": \"spillway.io/v1alpha1\", \"kind\": \"Cluster\", \"metadata\": {\"name\": \"other\","
      " \"namespace\": \"\"}, \"spec\": {}}"));
  schedule_controller_sync(SC, NOW);
  b = store_get(S, "ResourceBinding", "default", "x-deployment");
  cr_expect_eq(json_array_size(json_object_get(json_object_get(b, "spec"), "clusters")), 0);
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(b, "status"), "unscheduled")), 3);
  cr_expect_str_eq(json_string_value(json_object_get(json_object_get(b, "status"), "reason")),
                   "no PropagationPolicy selects deployment default/x");
  json_decref(b);
}

Test(controller, binding_goes_with_its_deployment_and_steady_state_writes_nothing) {
  seed_fleet(true, NULL);
  step(1);
  step(1);
  json_t *b = binding();
  const char *rv1 = json_string_value(json_object_get(json_object_get(b, "metadata"), "resourceVersion"));
  char *keep = rv1 ? strdup(rv1) : NULL;
  json_decref(b);
  uint64_t rev = store_revision(S);
  schedule_controller_sync(SC, NOW + 1);
  cr_expect_eq(store_revision(S), rev, "a steady fleet produces no writes");
  b = binding();
  const char *rv2 = json_string_value(json_object_get(json_object_get(b, "metadata"), "resourceVersion"));
  if (keep && rv2) cr_expect_str_eq(rv2, keep);
  free(keep);
  cr_expect_str_eq(json_string_value(json_object_get(b, "apiVersion")), "work.spillway.io/v1alpha1");
  const json_t *res = json_object_get(json_object_get(b, "spec"), "resource");
  cr_expect_str_eq(json_string_value(json_object_get(res, "kind")), "Deployment");
  cr_expect_str_eq(json_string_value(json_object_get(res, "name")), "qwen3");
  cr_expect_eq(json_integer_value(json_object_get(json_object_get(b, "spec"), "replicas")), 1);
  json_decref(b);
  sw_err err;
  cr_assert_eq(store_delete(S, "Deployment", "test", "qwen3", 0, &err), 0);
  schedule_controller_sync(SC, NOW + 2);
  cr_expect_null(store_get(S, "ResourceBinding", "test", "qwen3-deployment"));
}

Test(controller, a_broken_policy_keeps_running_replicas) {
  seed_fleet(true, NULL);
  step(1);
  apply(J("{\"apiVersion\": \"policy.karmada.io/v1alpha1\", \"kind\": \"PropagationPolicy\", \"metadata\":"
          " {\"name\": \"vllm-deploy-pp\", \"namespace\": \"test\"}, \"spec\": {\"placement\": "
          "{\"clusterAffinity\":"
          " {\"fieldSelector\": {\"matchExpressions\": [{\"key\": \"gpu\", \"operator\": \"In\", \"values\": "
          "[\"x\"]}]}}},"
          " \"resourceSelectors\": [{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\"}]}}"));
  step(1);
  expect_binding(1, 0, NULL, 1, "kept");
  json_t *b = binding();
  const json_t *cond = json_array_get(json_object_get(json_object_get(b, "status"), "conditions"), 0);
  cr_expect_str_eq(json_string_value(json_object_get(cond, "reason")), "SchedulerError");
  cr_expect(
      strstr(json_string_value(json_object_get(json_object_get(b, "status"), "reason")), "fieldSelector"));
  json_decref(b);
}

Test(controller, clusters_that_have_not_reported_make_replicas_wait_without_a_warning) {
  seed_fleet(true, NULL);
  /* As at `spillway up`: the Cluster objects exist, their drivers have not
   * written a status yet. */
  set_status("Cluster", "", "cluster1", json_object());
  set_status("Cluster", "", "cluster2", json_object());
  step(1);
  json_t *b = binding();
  const json_t *st = json_object_get(b, "status");
  const char *reason = json_string_value(json_object_get(st, "reason"));
  cr_expect(reason && strstr(reason, "waiting for cluster1, cluster2 to report status"), "%s", reason);
  cr_expect_eq(json_integer_value(json_object_get(st, "unscheduled")), 1);
  const json_t *cond = json_array_get(json_object_get(st, "conditions"), 0);
  cr_expect_str_eq(json_string_value(json_object_get(cond, "reason")), "ClustersNotReported");
  json_decref(b);
  cr_expect(!has_event("ScheduleBindingFailed", NULL), "waiting for the fleet is not a failure");

  cluster_ready("cluster1", true);
  step(1);
  expect_binding(1, 0, "high-priority", 0, "cluster1 reported: the replica goes there");
  cr_expect(!has_event("ScheduleBindingFailed", NULL));
}
