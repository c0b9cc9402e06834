/* Unit tests for src/cluster placement.c and resourcepolicy.c: node choice by
 * GPUs, nodeSelector and ResourcePolicy units; kube-scheduler-style reasons;
 * scale-in victim order; which policy selects a pod. Tables of cases. */
#include <criterion/criterion.h>
#include <string.h>

#include "cluster/placement.h"
#include "cluster/resourcepolicy.h"
#include "cluster/spec.h"

static json_t *J(const char *s) {
  json_error_t e;
  json_t *j = json_loads(s, 0, &e);
  cr_assert_not_null(j, "bad JSON in test: %s: %s", s, e.text);
  return j;
}

typedef struct {
  const char *name;
  const char *labels;
  int gpus, used;
  bool ready, schedulable;
} tnode;

typedef struct {
  const char *desc;
  tnode nodes[6];
  int gpus;
  const char *selector;
  const char *units[3]; /* nodeSelector JSON per unit; NULL ends */
  int max[3];
  int count[3];
  const char *want_node; /* NULL: none fits */
  int want_unit;
  const char *want_msg; /* substring of the message when none fits */
} pcase;

static const pcase cases[] = {
    {"one free GPU node",
     {{"a", "{\"alibabacloud.com/nodepool-id\":\"onprem\"}", 1, 0, true, true}},
     1,
     NULL,
     {NULL},
     {0},
     {0},
     "a",
     -1,
     NULL},
    {"full node: insufficient GPU",
     {{"a", "{}", 1, 1, true, true}, {"b", "{}", 1, 1, true, true}},
     1,
     NULL,
     {NULL},
     {0},
     {0},
     NULL,
     -1,
     "0/2 nodes are available: 2 Insufficient nvidia.com/gpu."},
    {"bin packing: fullest node that fits",
     {{"a", "{}", 4, 0, true, true}, {"b", "{}", 4, 2, true, true}, {"c", "{}", 4, 3, true, true}},
     2,
     NULL,
     {NULL},
     {0},
     {0},
     "b",
     -1,
     NULL},
    {"not ready and selector reasons, sorted as kube-scheduler",
     {{"a", "{\"p\":\"x\"}", 1, 0, false, true},
      {"b", "{\"p\":\"y\"}", 1, 0, true, true},
      {"c", "{\"p\":\"x\"}", 1, 1, true, true}},
     1,
     "{\"p\":\"x\"}",
     {NULL},
     {0},
     {0},
     NULL,
     -1,
     "0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 1 node(s) didn't match Pod's node "
     "affinity/selector, 1 "
     "node(s) had untolerated taint {node.kubernetes.io/not-ready: }."},
    {"nodepool-id selector",
     {{"a", "{\"alibabacloud.com/nodepool-id\":\"onprem\"}", 1, 0, true, true},
      {"b", "{\"alibabacloud.com/nodepool-id\":\"cloud\"}", 1, 0, true, true}},
     1,
     "{\"alibabacloud.com/nodepool-id\":\"cloud\"}",
     {NULL},
     {0},
     {0},
     "b",
     -1,
     NULL},
    {"policy prefers the first unit",
     {{"cloud", "{\"alibabacloud.com/nodepool-id\":\"cloud\"}", 1, 0, true, true},
      {"onprem", "{\"alibabacloud.com/nodepool-id\":\"onprem\"}", 1, 0, true, true}},
     1,
     NULL,
     {"{\"alibabacloud.com/nodepool-id\":\"onprem\"}", "{\"alibabacloud.com/nodepool-id\":\"cloud\"}", NULL},
     {-1, -1},
     {0, 0},
     "onprem",
     0,
     NULL},
    {"first unit full: second unit",
     {{"cloud", "{\"alibabacloud.com/nodepool-id\":\"cloud\"}", 1, 0, true, true},
      {"onprem", "{\"alibabacloud.com/nodepool-id\":\"onprem\"}", 1, 1, true, true}},
     1,
     NULL,
     {"{\"alibabacloud.com/nodepool-id\":\"onprem\"}", "{\"alibabacloud.com/nodepool-id\":\"cloud\"}", NULL},
     {-1, -1},
     {1, 0},
     "cloud",
     1,
     NULL},
    {"unit max reached: next unit even with room",
     {{"cloud", "{\"alibabacloud.com/nodepool-id\":\"cloud\"}", 1, 0, true, true},
      {"onprem", "{\"alibabacloud.com/nodepool-id\":\"onprem\"}", 2, 1, true, true}},
     1,
     NULL,
     {"{\"alibabacloud.com/nodepool-id\":\"onprem\"}", "{\"alibabacloud.com/nodepool-id\":\"cloud\"}", NULL},
     {1, -1},
     {1, 0},
     "cloud",
     1,
     NULL},
    {"node outside every unit is never used",
     {{"other", "{\"alibabacloud.com/nodepool-id\":\"other\"}", 1, 0, true, true},
      {"onprem", "{\"alibabacloud.com/nodepool-id\":\"onprem\"}", 1, 1, true, true}},
     1,
     NULL,
     {"{\"alibabacloud.com/nodepool-id\":\"onprem\"}", NULL},
     {-1},
     {1},
     NULL,
     -1,
     "0/2 nodes are available: 1 Insufficient nvidia.com/gpu, 1 node(s) didn't match any ResourcePolicy "
     "unit."},
    {"node being removed",
     {{"a", "{}", 1, 0, true, false}},
     1,
     NULL,
     {NULL},
     {0},
     {0},
     NULL,
     -1,
     "0/1 nodes are available: 1 node(s) were unschedulable."},
    {"no nodes at all", {{NULL}}, 1, NULL, {NULL}, {0}, {0}, NULL, -1, "0/0 nodes are available"},
    {"CPU-only pod fits a full GPU node",
     {{"a", "{}", 1, 1, true, true}},
     0,
     NULL,
     {NULL},
     {0},
     {0},
     "a",
     -1,
     NULL},
};

Test(placement, table) {
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const pcase *k = &cases[c];
    cluster_place_node nodes[6];
    json_t *labels[6] = {0};
    size_t n = 0;
    for (; n < 6 && k->nodes[n].name; n++) {
      labels[n] = J(k->nodes[n].labels);
      nodes[n] = (cluster_place_node){k->nodes[n].name, labels[n],         k->nodes[n].gpus,
                                      k->nodes[n].used, k->nodes[n].ready, k->nodes[n].schedulable};
    }
    cluster_place_unit units[3];
    json_t *usel[3] = {0};
    size_t nu = 0;
    for (; nu < 3 && k->units[nu]; nu++) {
      usel[nu] = J(k->units[nu]);
      units[nu] = (cluster_place_unit){usel[nu], k->max[nu], k->count[nu], true};
    }
    json_t *sel = k->selector ? J(k->selector) : NULL;
    cluster_place_req req = {k->gpus, sel, units, nu};
    cluster_place_result r;
    int got = cluster_place(nodes, n, &req, &r);
    if (k->want_node) {
      cr_assert_geq(got, 0, "%s: expected %s, got none (%s)", k->desc, k->want_node, r.message);
      cr_assert_str_eq(nodes[got].name, k->want_node, "%s", k->desc);
      cr_assert_eq(r.unit, k->want_unit, "%s: unit %d", k->desc, r.unit);
    } else {
      cr_assert_eq(got, -1, "%s: expected none, got %d", k->desc, got);
      cr_assert(strstr(r.message, k->want_msg) != NULL, "%s: message \"%s\" lacks \"%s\"", k->desc, r.message,
                k->want_msg);
    }
    json_decref(sel);
    for (size_t i = 0; i < n; i++) json_decref(labels[i]);
    for (size_t i = 0; i < nu; i++) json_decref(usel[i]);
  }
}

Test(placement, victims_order) {
  /* name, scheduled, unit, ready, created */
  cluster_victim v[] = {
      {0, true, 0, true, 100, "onprem-old-ready"}, {1, true, 1, true, 200, "cloud-ready-old"},
      {2, true, 1, true, 300, "cloud-ready-new"},  {3, true, 1, false, 150, "cloud-notready"},
      {4, false, -1, false, 50, "pending"},        {5, true, 0, false, 400, "onprem-notready"},
      {6, true, -1, true, 10, "outside-policy"},
  };
  const char *want[] = {"pending",         "outside-policy",  "cloud-notready",  "cloud-ready-new",
                        "cloud-ready-old", "onprem-notready", "onprem-old-ready"};
  cluster_victims_sort(v, 7);
  for (int i = 0; i < 7; i++) cr_assert_str_eq(v[i].name, want[i], "position %d", i);
}

Test(placement, victims_without_policy_newest_first) {
  cluster_victim v[] = {{0, true, 0, true, 1, "a"}, {1, true, 0, true, 3, "c"}, {2, true, 0, true, 2, "b"}};
  cluster_victims_sort(v, 3);
  cr_assert_str_eq(v[0].name, "c");
  cr_assert_str_eq(v[1].name, "b");
  cr_assert_str_eq(v[2].name, "a");
}

static const char *SEED_RP =
    "{\"apiVersion\":\"scheduling.alibabacloud.com/v1alpha1\",\"kind\":\"ResourcePolicy\","
    "\"metadata\":{\"name\":\"qwen-chat\",\"namespace\":\"default\"},"
    "\"spec\":{\"selector\":{\"app\":\"isvc.qwen-predictor\"},\"strategy\":\"prefer\",\"units\":["
    "{\"resource\":\"ecs\",\"nodeSelector\":{\"alibabacloud.com/nodepool-id\":\"npxxxxxx\"}},"
    "{\"resource\":\"elastic\",\"nodeSelector\":{\"alibabacloud.com/nodepool-id\":\"npxxxxxy\"}}]}}";

Test(resourcepolicy, parse_seed) {
  json_t *o = J(SEED_RP);
  cluster_rp rp;
  sw_err err;
  cr_assert_eq(cluster_rp_parse(o, &rp, NULL, &err), 0, "%s", err.msg);
  cr_assert_eq(rp.nunits, 2);
  cr_assert_str_eq(rp.units[1].resource, "elastic");
  cr_assert_eq(rp.units[0].max, -1);
  cr_assert(rp.ignore_terminating);
  json_t *l = J("{\"app\":\"isvc.qwen-predictor\",\"x\":\"y\"}");
  cr_assert(cluster_rp_selects(&rp, "default", l));
  cr_assert_not(cluster_rp_selects(&rp, "other", l));
  json_t *l2 = J("{\"app\":\"other\"}");
  cr_assert_not(cluster_rp_selects(&rp, "default", l2));
  json_decref(l);
  json_decref(l2);
  cluster_rp_free(&rp);
  json_decref(o);
}

Test(resourcepolicy, parse_errors) {
  struct {
    const char *json;
    const char *want;
  } bad[] = {
      {"{\"metadata\":{\"name\":\"x\",\"namespace\":\"d\"},\"spec\":{\"selector\":{\"a\":\"b\"}}}",
       "spec.units: expected a non-empty list"},
      {"{\"metadata\":{\"name\":\"x\"},\"spec\":{\"strategy\":\"spread\",\"units\":[{}]}}",
       "spec.strategy: expected \"prefer\""},
      {"{\"metadata\":{\"name\":\"x\"},\"spec\":{\"units\":[{\"resource\":\"gpu\"}]}}",
       "spec.units[0].resource: expected ecs, elastic, eci or acs"},
      {"{\"metadata\":{\"name\":\"x\"},\"spec\":{\"units\":[{\"max\":\"-2\"}]}}", "spec.units[0].max"},
      {"{\"metadata\":{\"name\":\"x\"},\"spec\":{\"units\":[{\"nodeSelector\":{\"a\":1}}]}}",
       "spec.units[0].nodeSelector.a: expected a string"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    json_t *o = J(bad[i].json);
    cluster_rp rp;
    sw_err err;
    cr_assert_neq(cluster_rp_parse(o, &rp, NULL, &err), 0, "%s", bad[i].json);
    cr_assert(strstr(err.msg, bad[i].want), "\"%s\" lacks \"%s\"", err.msg, bad[i].want);
    json_decref(o);
  }
}

Test(resourcepolicy, eci_unit_is_not_local_and_warns) {
  json_t *o = J("{\"metadata\":{\"name\":\"x\",\"namespace\":\"d\"},\"spec\":{\"selector\":{\"a\":\"b\"},"
                "\"ignorePreviousPod\":false,\"units\":[{\"resource\":\"eci\"},{\"resource\":\"ecs\"}]}}");
  cluster_rp rp;
  sw_err err;
  json_t *w = json_array();
  cr_assert_eq(cluster_rp_parse(o, &rp, w, &err), 0, "%s", err.msg);
  cr_assert_not(rp.units[0].local);
  cr_assert(rp.units[1].local);
  cr_assert_eq(json_array_size(w), 2);
  cluster_rp_free(&rp);
  json_decref(w);
  json_decref(o);
}

Test(resourcepolicy, select_first_by_name_in_namespace) {
  json_t *list =
      J("["
        "{\"metadata\":{\"name\":\"zz\",\"namespace\":\"default\"},\"spec\":{\"selector\":{\"app\":\"a\"}}},"
        "{\"metadata\":{\"name\":\"bb\",\"namespace\":\"default\"},\"spec\":{\"selector\":{\"app\":\"a\"}}},"
        "{\"metadata\":{\"name\":\"aa\",\"namespace\":\"other\"},\"spec\":{\"selector\":{\"app\":\"a\"}}},"
        "{\"metadata\":{\"name\":\"ab\",\"namespace\":\"default\"},\"spec\":{\"selector\":{}}}"
        "]");
  json_t *l = J("{\"app\":\"a\"}");
  const json_t *rp = cluster_rp_select(list, "default", l);
  cr_assert_not_null(rp);
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(rp, "metadata"), "name")), "bb");
  json_t *l2 = J("{\"app\":\"b\"}");
  cr_assert_null(cluster_rp_select(list, "default", l2));
  json_decref(l2);
  json_decref(l);
  json_decref(list);
}

Test(selector, matches) {
  struct {
    const char *sel, *labels;
    bool want;
  } t[] = {
      {"{}", "{}", true},
      {"{\"a\":\"1\"}", "{\"a\":\"1\",\"b\":\"2\"}", true},
      {"{\"a\":\"1\"}", "{\"a\":\"2\"}", false},
      {"{\"a\":\"1\"}", "{}", false},
      {"{\"matchLabels\":{\"a\":\"1\"}}", "{\"a\":\"1\"}", true},
      {"{\"matchLabels\":{\"a\":\"1\"}}", "{\"a\":\"0\"}", false},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    json_t *s = J(t[i].sel), *l = J(t[i].labels);
    cr_assert_eq(cluster_selector_matches(s, l), t[i].want, "%s vs %s", t[i].sel, t[i].labels);
    json_decref(s);
    json_decref(l);
  }
  cr_assert(cluster_selector_matches(NULL, NULL));
}
