/* Unit tests for src/cluster/provisioner.c: cluster-autoscaler decisions
 * (scale-up by pool preference, inventory-aware fallback, max sizes,
 * upcoming nodes, bin packing, ResourcePolicy units; scale-down of empty
 * nodes after the unneeded time) and the kubelet restart back-off. */
#include <criterion/criterion.h>
#include <string.h>

#include "cluster/local.h"
#include "cluster/provisioner.h"

static json_t *J(const char *s) {
  json_t *j = json_loads(s, 0, NULL);
  cr_assert_not_null(j, "bad JSON in test: %s", s);
  return j;
}

#define POOL_LABELS(id) "{\"alibabacloud.com/nodepool-id\":\"" id "\"}"

typedef struct {
  json_t *l[4];
  cluster_prov_pool pools[4];
} fixture;

static void pools3(fixture *f, int inv_a, int inv_b) {
  f->l[0] = J(POOL_LABELS("onprem"));
  f->l[1] = J(POOL_LABELS("cloud-a"));
  f->l[2] = J(POOL_LABELS("cloud-b"));
  f->pools[0] = (cluster_prov_pool){"onprem", false, 1, f->l[0], 1, 1, 1, -1};
  f->pools[1] = (cluster_prov_pool){"cloud-a", true, 1, f->l[1], 0, 0, 4, inv_a};
  f->pools[2] = (cluster_prov_pool){"cloud-b", true, 1, f->l[2], 0, 0, 4, inv_b};
}

static void fixture_free(fixture *f) {
  for (int i = 0; i < 4; i++) json_decref(f->l[i]);
}

Test(provisioner, second_seed_two_pending_pods_get_two_nodes) {
  fixture f = {0};
  pools3(&f, -1, -1);
  cluster_prov_node nodes[] = {{"c-onprem-0", 0, 0, false, false, 1, -1}};
  cluster_prov_pod pods[] = {{1, NULL, NULL, 0}, {1, NULL, NULL, 0}};
  cluster_prov_input in = {f.pools, 3, nodes, 1, pods, 2, 1000, 600};
  cluster_prov_plan plan;
  cluster_prov_plan_compute(&in, &plan);
  cr_assert_eq(plan.add[0], 0);
  cr_assert_eq(plan.add[1], 2, "both pods go to the first elastic pool");
  cr_assert_eq(plan.add[2], 0);
  cr_assert(plan.pods[0].triggered && plan.pods[1].triggered);
  cr_assert_str_eq(plan.pods[0].message, "pod triggered scale-up: [{cloud-a 0->2 (max: 4)}]");
  cr_assert_eq(plan.nremove, 0);
  cluster_prov_plan_free(&plan);
  fixture_free(&f);
}

Test(provisioner, inventory_exhausted_tries_next_pool) {
  fixture f = {0};
  pools3(&f, 0, 5);
  cluster_prov_pod pods[] = {{1, NULL, NULL, 0}};
  cluster_prov_input in = {f.pools, 3, NULL, 0, pods, 1, 0, 600};
  cluster_prov_plan plan;
  cluster_prov_plan_compute(&in, &plan);
  cr_assert_eq(plan.add[1], 0);
  cr_assert_eq(plan.add[2], 1);
  cr_assert_eq(plan.pods[0].pool, 2);
  cr_assert_eq(plan.nnotes, 1);
  cr_assert_str_eq(plan.notes[0], "node pool cloud-a has no inventory left; trying node pool cloud-b");
  cluster_prov_plan_free(&plan);
  fixture_free(&f);
}

Test(provisioner, inventory_is_used_up_within_one_pass) {
  fixture f = {0};
  pools3(&f, 1, 1);
  cluster_prov_pod pods[] = {{1, NULL, NULL, 0}, {1, NULL, NULL, 0}, {1, NULL, NULL, 0}};
  cluster_prov_input in = {f.pools, 3, NULL, 0, pods, 3, 0, 600};
  cluster_prov_plan plan;
  cluster_prov_plan_compute(&in, &plan);
  cr_assert_eq(plan.add[1], 1);
  cr_assert_eq(plan.add[2], 1);
  cr_assert_eq(plan.pods[2].pool, -1);
  cr_assert_str_eq(plan.pods[2].message,
                   "pod didn't trigger scale-up: 1 node pool(s) are static, 2 node pool(s) out of inventory");
  cluster_prov_plan_free(&plan);
  fixture_free(&f);
}

Test(provisioner, nothing_fits_explains) {
  fixture f = {0};
  pools3(&f, -1, -1);
  f.pools[1].gpus_per_node = 1;
  f.pools[2].nodes = 4; /* at max */
  f.pools[2].gpus_per_node = 2;
  cluster_prov_pod pods[] = {{2, NULL, NULL, 0}};
  cluster_prov_input in = {f.pools, 3, NULL, 0, pods, 1, 0, 600};
  cluster_prov_plan plan;
  cluster_prov_plan_compute(&in, &plan);
  cr_assert_eq(plan.pods[0].pool, -1);
  cr_assert_str_eq(plan.pods[0].message,
                   "pod didn't trigger scale-up: 1 node pool(s) are static, 1 node pool(s) "
                   "have too few GPUs per node, 1 max node group size reached");
  cluster_prov_plan_free(&plan);
  fixture_free(&f);
}

Test(provisioner, upcoming_node_absorbs_pod) {
  fixture f = {0};
  pools3(&f, -1, -1);
  f.pools[1].nodes = 1;
  cluster_prov_node nodes[] = {{"c-cloud-a-0", 1, 1, true, false, 0, -1}};
  cluster_prov_pod pods[] = {{1, NULL, NULL, 0}, {1, NULL, NULL, 0}};
  cluster_prov_input in = {f.pools, 3, nodes, 1, pods, 2, 0, 600};
  cluster_prov_plan plan;
  cluster_prov_plan_compute(&in, &plan);
  cr_assert_eq(plan.pods[0].node, 0);
  cr_assert_not(plan.pods[0].triggered);
  cr_assert(strstr(plan.pods[0].message, "c-cloud-a-0"));
  cr_assert_eq(plan.add[1], 1, "only the second pod needs a new node");
  cr_assert_str_eq(plan.pods[1].message, "pod triggered scale-up: [{cloud-a 1->2 (max: 4)}]");
  cluster_prov_plan_free(&plan);
  fixture_free(&f);
}

Test(provisioner, bin_packing_small_pods_share_new_node) {
  json_t *l = J(POOL_LABELS("big"));
  cluster_prov_pool pools[] = {{"big", true, 4, l, 0, 0, 10, -1}};
  cluster_prov_pod pods[] = {{1, NULL, NULL, 0}, {2, NULL, NULL, 0}, {1, NULL, NULL, 0}, {1, NULL, NULL, 0}};
  cluster_prov_input in = {pools, 1, NULL, 0, pods, 4, 0, 600};
  cluster_prov_plan plan;
  cluster_prov_plan_compute(&in, &plan);
  cr_assert_eq(plan.add[0], 2);
  cluster_prov_plan_free(&plan);
  json_decref(l);
}

Test(provisioner, resource_policy_unit_order_and_selector) {
  fixture f = {0};
  pools3(&f, -1, -1);
  /* the policy prefers cloud-b over cloud-a */
  json_t *u0 = J(POOL_LABELS("onprem")), *u1 = J(POOL_LABELS("cloud-b")), *u2 = J(POOL_LABELS("cloud-a"));
  cluster_place_unit units[] = {{u0, -1, 1, true}, {u1, 1, 0, true}, {u2, -1, 0, true}};
  cluster_prov_pod pods[] = {{1, NULL, units, 3}, {1, NULL, units, 3}};
  cluster_prov_input in = {f.pools, 3, NULL, 0, pods, 2, 0, 600};
  cluster_prov_plan plan;
  cluster_prov_plan_compute(&in, &plan);
  cr_assert_eq(plan.pods[0].pool, 2, "first pod: unit 1 (cloud-b)");
  cr_assert_eq(plan.pods[1].pool, 1, "second pod: unit 1 reached max 1, so unit 2 (cloud-a)");
  cluster_prov_plan_free(&plan);
  /* a pod nodeSelector restricting to cloud-a skips cloud-b */
  json_t *sel = J(POOL_LABELS("cloud-a"));
  cluster_prov_pod pods2[] = {{1, sel, units, 3}};
  cluster_prov_input in2 = {f.pools, 3, NULL, 0, pods2, 1, 0, 600};
  cluster_prov_plan_compute(&in2, &plan);
  cr_assert_eq(plan.pods[0].pool, 1);
  cluster_prov_plan_free(&plan);
  json_decref(sel);
  json_decref(u0);
  json_decref(u1);
  json_decref(u2);
  fixture_free(&f);
}

Test(provisioner, scale_down_empty_after_unneeded_time) {
  fixture f = {0};
  pools3(&f, -1, -1);
  f.pools[1].nodes = 3;
  f.pools[1].min_nodes = 1;
  cluster_prov_node nodes[] = {
      {"onprem", 0, 1, false, false, 0, 0}, /* static: never */
      {"a0", 1, 1, false, false, 0, 100},   /* empty 900 s */
      {"a1", 1, 1, false, false, 0, 500},   /* empty 500 s: not yet */
      {"a2", 1, 1, false, false, 0, 0},     /* empty long, but min 1 keeps one */
  };
  cluster_prov_input in = {f.pools, 3, nodes, 4, NULL, 0, 1000, 600};
  cluster_prov_plan plan;
  cluster_prov_plan_compute(&in, &plan);
  cr_assert_eq(plan.nremove, 2);
  cr_assert_eq(plan.remove[0], 1);
  cr_assert_eq(plan.remove[1], 3);
  cluster_prov_plan_free(&plan);
  /* with min 2, only one goes */
  f.pools[1].min_nodes = 2;
  cluster_prov_plan_compute(&in, &plan);
  cr_assert_eq(plan.nremove, 1);
  cluster_prov_plan_free(&plan);
  /* busy, upcoming and deleting nodes are kept */
  cluster_prov_node n2[] = {
      {"b", 1, 0, false, false, 1, -1}, {"u", 1, 1, true, false, 0, 0}, {"d", 1, 1, false, true, 0, 0}};
  f.pools[1].min_nodes = 0;
  cluster_prov_input in2 = {f.pools, 3, n2, 3, NULL, 0, 1000, 600};
  cluster_prov_plan_compute(&in2, &plan);
  cr_assert_eq(plan.nremove, 0);
  cluster_prov_plan_free(&plan);
  fixture_free(&f);
}

Test(backoff, kubelet_sequence) {
  double b = 0;
  double want[] = {0, 10, 20, 40, 80, 160, 300, 300};
  for (int i = 0; i < 8; i++) {
    double d = cluster_restart_delay(&b, 1);
    cr_assert_float_eq(d, want[i], 1e-9, "crash %d: %g", i, d);
  }
  /* ten minutes without a crash: forgotten */
  double d1 = cluster_restart_delay(&b, 601);
  cr_assert_float_eq(d1, 0, 1e-9);
  double d2 = cluster_restart_delay(&b, 5);
  cr_assert_float_eq(d2, 10, 1e-9);
}
