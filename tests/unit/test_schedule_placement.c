/* Unit tests for the fleet placement (src/schedule/placement.c) driven as data
 * through the explain interface (src/schedule/explain.c): each case is an
 * explain input and the expected placement. Also explain's input errors and
 * PropagationPolicy selection (src/schedule/policy.c). */
#include <criterion/criterion.h>
#include <string.h>

#include <jansson.h>

#include "schedule/explain.h"
#include "schedule/placement.h"
#include "schedule/policy.h"

/* The first seed's policy: cluster1 high priority, cluster2 low, Divided by
 * dynamic weight. */
#define SEED_PLACEMENT                                                                                       \
  "\"placement\": {\"clusterAffinities\": ["                                                                 \
  "{\"affinityName\": \"high-priority\", \"clusterNames\": [\"cluster1\"]},"                                 \
  "{\"affinityName\": \"low-priority\", \"clusterNames\": [\"cluster2\"]}],"                                 \
  "\"replicaScheduling\": {\"replicaSchedulingType\": \"Divided\", \"replicaDivisionPreference\": "          \
  "\"Weighted\","                                                                                            \
  "\"weightPreference\": {\"dynamicWeight\": \"AvailableReplicas\"}}}"

#define THREE_TIERS                                                                                          \
  "\"placement\": {\"clusterAffinities\": [{\"affinityName\": \"a\", \"clusterNames\": [\"a\"]},"            \
  "{\"affinityName\": \"b\", \"clusterNames\": [\"b\"]}, {\"affinityName\": \"c\", \"clusterNames\": "       \
  "[\"c\"]}],"                                                                                               \
  "\"replicaScheduling\": {\"replicaSchedulingType\": \"Divided\"}}"

typedef struct {
  const char *what;
  const char *input;
  const char *clusters; /* expected "clusters" object as JSON */
  const char *tier;     /* NULL = null */
  int unscheduled;
  const char *reason_has; /* substring of the reason, or NULL */
} place_case;

static const place_case cases[] = {
    /* ---- the first seed ---- */
    {"seed: one replica goes to the high-priority cluster",
     "{" SEED_PLACEMENT
     ", \"replicas\": 1, \"clusters\": [{\"name\": \"cluster1\", \"availableReplicas\": 1},"
     "{\"name\": \"cluster2\", \"availableReplicas\": 1}]}",
     "{\"cluster1\": 1}", "high-priority", 0, "1 replica placed in tier high-priority"},
    {"seed: scale to 2 spills the second replica to cluster2",
     "{" SEED_PLACEMENT
     ", \"replicas\": 2, \"clusters\": [{\"name\": \"cluster1\", \"availableReplicas\": 1},"
     "{\"name\": \"cluster2\", \"availableReplicas\": 1}], \"previous\": {\"cluster1\": 1}}",
     "{\"cluster1\": 1, \"cluster2\": 1}", "low-priority", 0, "spilled to tier low-priority"},
    {"seed: with ecsProvision a third replica uses cluster2's elastic pool",
     "{" SEED_PLACEMENT
     ", \"replicas\": 3, \"clusters\": [{\"name\": \"cluster1\", \"availableReplicas\": 1},"
     "{\"name\": \"cluster2\", \"availableReplicas\": 1, \"provisionableReplicas\": 2}],"
     " \"previous\": {\"cluster1\": 1, \"cluster2\": 1}}",
     "{\"cluster1\": 1, \"cluster2\": 2}", "low-priority", 0, "tier low-priority holds 2 of 3"},
    {"seed: without provisioning the third replica is unscheduled, never dropped",
     "{" SEED_PLACEMENT
     ", \"replicas\": 3, \"clusters\": [{\"name\": \"cluster1\", \"availableReplicas\": 1},"
     "{\"name\": \"cluster2\", \"availableReplicas\": 1}], \"previous\": {\"cluster1\": 1, \"cluster2\": 1}}",
     "{\"cluster1\": 1, \"cluster2\": 1}", "low-priority", 1, "1 of 3 replicas fit in no cluster"},
    {"seed: scale back to 1 removes cluster2's replicas first",
     "{" SEED_PLACEMENT
     ", \"replicas\": 1, \"clusters\": [{\"name\": \"cluster1\", \"availableReplicas\": 1},"
     "{\"name\": \"cluster2\", \"availableReplicas\": 2, \"provisionableReplicas\": 1}],"
     " \"previous\": {\"cluster1\": 1, \"cluster2\": 2}}",
     "{\"cluster1\": 1}", "high-priority", 0, NULL},
    {"all clusters full",
     "{" SEED_PLACEMENT ", \"replicas\": 2, \"clusters\": [{\"name\": \"cluster1\"},"
     "{\"name\": \"cluster2\"}]}",
     "{}", NULL, 2,
     "2 of 2 replicas fit in no cluster: tier high-priority holds 0 of 0, tier low-priority holds 0 of 0"},
    /* ---- tiers ---- */
    {"scale-in takes from the lowest tier first",
     "{" THREE_TIERS ", \"replicas\": 3, \"clusters\": [{\"name\": \"a\", \"availableReplicas\": 2},"
     "{\"name\": \"b\", \"availableReplicas\": 2}, {\"name\": \"c\", \"availableReplicas\": 2}],"
     " \"previous\": {\"a\": 2, \"b\": 2, \"c\": 1}}",
     "{\"a\": 2, \"b\": 1}", "b", 0, "spilled to tier b"},
    {"scale-up fills tiers in order",
     "{" THREE_TIERS ", \"replicas\": 5, \"clusters\": [{\"name\": \"c\", \"availableReplicas\": 9},"
     "{\"name\": \"b\", \"availableReplicas\": 2}, {\"name\": \"a\", \"availableReplicas\": 2}]}",
     "{\"a\": 2, \"b\": 2, \"c\": 1}", "c", 0, NULL},
    {"a cluster belongs to the first tier that selects it",
     "{\"placement\": {\"clusterAffinities\": [{\"affinityName\": \"x\", \"clusterNames\": [\"a\"]},"
     "{\"affinityName\": \"y\"}], \"replicaScheduling\": {\"replicaSchedulingType\": \"Divided\"}},"
     " \"replicas\": 3, \"clusters\": [{\"name\": \"a\", \"availableReplicas\": 1}, {\"name\": \"b\", "
     "\"availableReplicas\": 5}]}",
     "{\"a\": 1, \"b\": 2}", "y", 0, NULL},
    /* ---- division within a tier ---- */
    {"static weights 1:2 over label-selected clusters",
     "{\"placement\": {\"clusterAffinity\": {\"labelSelector\": {\"matchLabels\": {\"env\": \"prod\"}}},"
     " \"replicaScheduling\": {\"replicaSchedulingType\": \"Divided\", \"replicaDivisionPreference\": "
     "\"Weighted\","
     " \"weightPreference\": {\"staticWeightList\": [{\"targetCluster\": {\"clusterNames\": [\"x\"]}, "
     "\"weight\": 1},"
     " {\"targetCluster\": {\"clusterNames\": [\"y\"]}, \"weight\": 2}]}}}, \"replicas\": 6,"
     " \"clusters\": [{\"name\": \"x\", \"labels\": {\"env\": \"prod\"}, \"availableReplicas\": 10},"
     " {\"name\": \"y\", \"labels\": {\"env\": \"prod\"}, \"availableReplicas\": 10},"
     " {\"name\": \"z\", \"labels\": {\"env\": \"dev\"}, \"availableReplicas\": 10}]}",
     "{\"x\": 2, \"y\": 4}", NULL, 0, "all 6 replicas placed"},
    {"clusters missing from a static weight list get nothing",
     "{\"placement\": {\"replicaScheduling\": {\"replicaSchedulingType\": \"Divided\", \"weightPreference\":"
     " {\"staticWeightList\": [{\"targetCluster\": {\"clusterNames\": [\"x\"]}, \"weight\": 1}]}}}, "
     "\"replicas\": 3,"
     " \"clusters\": [{\"name\": \"x\", \"availableReplicas\": 10}, {\"name\": \"y\", \"availableReplicas\": "
     "10}]}",
     "{\"x\": 3}", NULL, 0, NULL},
    {"dynamic weight: divided by available replicas",
     "{\"placement\": {\"replicaScheduling\": {\"replicaSchedulingType\": \"Divided\", \"weightPreference\":"
     " {\"dynamicWeight\": \"AvailableReplicas\"}}}, \"replicas\": 4, \"clusters\": [{\"name\": \"a\","
     " \"availableReplicas\": 2}, {\"name\": \"b\", \"availableReplicas\": 6}]}",
     "{\"a\": 1, \"b\": 3}", NULL, 0, NULL},
    {"incremental scale-up: only the added replicas are divided",
     "{\"placement\": {\"replicaScheduling\": {\"replicaSchedulingType\": \"Divided\", \"weightPreference\":"
     " {\"dynamicWeight\": \"AvailableReplicas\"}}}, \"replicas\": 5, \"clusters\": [{\"name\": \"a\","
     " \"availableReplicas\": 4}, {\"name\": \"b\", \"availableReplicas\": 4}], \"previous\": {\"a\": 3}}",
     "{\"a\": 3, \"b\": 2}", NULL, 0, NULL},
    {"proportional scale-down keeps the weights' division",
     "{\"placement\": {\"replicaScheduling\": {\"replicaSchedulingType\": \"Divided\"}}, \"replicas\": 4,"
     " \"clusters\": [{\"name\": \"a\", \"availableReplicas\": 9}, {\"name\": \"b\", \"availableReplicas\": "
     "9}],"
     " \"previous\": {\"a\": 5, \"b\": 3}}",
     "{\"a\": 2, \"b\": 2}", NULL, 0, NULL},
    {"zero-capacity clusters get nothing",
     "{\"placement\": {\"replicaScheduling\": {\"replicaSchedulingType\": \"Divided\"}}, \"replicas\": 3,"
     " \"clusters\": [{\"name\": \"a\", \"availableReplicas\": 0}, {\"name\": \"b\", \"availableReplicas\": "
     "3}]}",
     "{\"b\": 3}", NULL, 0, NULL},
    {"aggregated: fewest clusters",
     "{\"placement\": {\"replicaScheduling\": {\"replicaSchedulingType\": \"Divided\", "
     "\"replicaDivisionPreference\":"
     " \"Aggregated\"}}, \"replicas\": 6, \"clusters\": [{\"name\": \"a\", \"availableReplicas\": 3},"
     " {\"name\": \"b\", \"availableReplicas\": 5}, {\"name\": \"c\", \"availableReplicas\": 2}]}",
     "{\"a\": 1, \"b\": 5}", NULL, 0, NULL},
    {"duplicated: every ready cluster of the first usable tier",
     "{\"placement\": {\"clusterAffinities\": [{\"affinityName\": \"p\", \"clusterNames\": [\"a\", \"b\"]},"
     " {\"affinityName\": \"q\", \"clusterNames\": [\"c\"]}]}, \"replicas\": 2, \"clusters\": [{\"name\": "
     "\"a\","
     " \"availableReplicas\": 2}, {\"name\": \"b\", \"availableReplicas\": 1}, {\"name\": \"c\", "
     "\"availableReplicas\": 5}]}",
     "{\"a\": 2, \"b\": 2}", "p", 0, "short of room (replicas that will wait): b (1)"},
    {"duplicated falls to the next tier when the first has no ready cluster",
     "{\"placement\": {\"clusterAffinities\": [{\"affinityName\": \"p\", \"clusterNames\": [\"a\"]},"
     " {\"affinityName\": \"q\", \"clusterNames\": [\"c\"]}]}, \"replicas\": 2, \"clusters\": [{\"name\": "
     "\"a\","
     " \"ready\": false}, {\"name\": \"c\", \"availableReplicas\": 5}]}",
     "{\"c\": 2}", "q", 0, NULL},
    /* ---- selectors ---- */
    {"exclude",
     "{\"placement\": {\"clusterAffinity\": {\"exclude\": [\"a\"]}, \"replicaScheduling\": {}},"
     " \"replicas\": 1, \"clusters\": [{\"name\": \"a\", \"availableReplicas\": 5}, {\"name\": \"b\", "
     "\"availableReplicas\": 5}]}",
     "{\"b\": 1}", NULL, 0, NULL},
    {"matchExpressions NotIn and Exists",
     "{\"placement\": {\"clusterAffinity\": {\"labelSelector\": {\"matchExpressions\": [{\"key\": \"region\","
     " \"operator\": \"NotIn\", \"values\": [\"eu\"]}, {\"key\": \"gpu\", \"operator\": \"Exists\"}]}},"
     " \"replicaScheduling\": {}}, \"replicas\": 2, \"clusters\": [{\"name\": \"a\", \"labels\": "
     "{\"region\": \"eu\","
     " \"gpu\": \"a10\"}, \"availableReplicas\": 5}, {\"name\": \"b\", \"labels\": {\"gpu\": \"l4\"},"
     " \"availableReplicas\": 5}, {\"name\": \"c\", \"labels\": {\"region\": \"us\"}, \"availableReplicas\": "
     "5}]}",
     "{\"b\": 2}", NULL, 0, NULL},
    {"fieldSelector on region",
     "{\"placement\": {\"clusterAffinity\": {\"fieldSelector\": {\"matchExpressions\": [{\"key\": \"region\","
     " \"operator\": \"In\", \"values\": [\"cn-hangzhou\"]}]}}, \"replicaScheduling\": {}}, \"replicas\": 1,"
     " \"clusters\": [{\"name\": \"a\", \"region\": \"cn-shanghai\", \"availableReplicas\": 5},"
     " {\"name\": \"b\", \"region\": \"cn-hangzhou\", \"availableReplicas\": 5}]}",
     "{\"b\": 1}", NULL, 0, NULL},
    {"the placement selects no cluster",
     "{\"placement\": {\"clusterAffinity\": {\"clusterNames\": [\"nope\"]}, \"replicaScheduling\": {}},"
     " \"replicas\": 2, \"clusters\": [{\"name\": \"a\", \"availableReplicas\": 5}]}",
     "{}", NULL, 2, "the placement selects no cluster"},
    {"no replicas wanted",
     "{" SEED_PLACEMENT ", \"replicas\": 0, \"clusters\": [{\"name\": \"cluster1\","
     " \"availableReplicas\": 1}], \"previous\": {\"cluster1\": 1}}",
     "{}", NULL, 0, "no replicas wanted"},
    /* ---- cluster health ---- */
    {"a not-ready cluster keeps its replicas but they are replaced elsewhere",
     "{" SEED_PLACEMENT ", \"replicas\": 2, \"clusters\": [{\"name\": \"cluster1\", \"ready\": false},"
     " {\"name\": \"cluster2\", \"availableReplicas\": 2}], \"previous\": {\"cluster1\": 1, \"cluster2\": "
     "1}}",
     "{\"cluster1\": 1, \"cluster2\": 2}", "low-priority", 0, "not ready, replicas kept there but replaced"},
    {"when it returns, the surplus leaves the lowest tier",
     "{" SEED_PLACEMENT
     ", \"replicas\": 2, \"clusters\": [{\"name\": \"cluster1\", \"availableReplicas\": 1},"
     " {\"name\": \"cluster2\", \"availableReplicas\": 2}], \"previous\": {\"cluster1\": 1, \"cluster2\": "
     "2}}",
     "{\"cluster1\": 1, \"cluster2\": 1}", "low-priority", 0, NULL},
    {"a cluster whose room shrank re-places the excess",
     "{" SEED_PLACEMENT
     ", \"replicas\": 2, \"clusters\": [{\"name\": \"cluster1\", \"availableReplicas\": 1},"
     " {\"name\": \"cluster2\", \"availableReplicas\": 3}], \"previous\": {\"cluster1\": 2}}",
     "{\"cluster1\": 1, \"cluster2\": 1}", "low-priority", 0,
     "less room than replicas, re-placed: cluster1 (1)"},
    {"replicas on a cluster that no longer exists are re-placed",
     "{" SEED_PLACEMENT
     ", \"replicas\": 2, \"clusters\": [{\"name\": \"cluster1\", \"availableReplicas\": 1},"
     " {\"name\": \"cluster2\", \"availableReplicas\": 3}], \"previous\": {\"gone\": 2}}",
     "{\"cluster1\": 1, \"cluster2\": 1}", "low-priority", 0, "2 replicas on clusters that no longer exist"},
    /* ---- fail-back ---- */
    {"fail-back off: a higher tier with room does not pull replicas back",
     "{" SEED_PLACEMENT
     ", \"replicas\": 2, \"clusters\": [{\"name\": \"cluster1\", \"availableReplicas\": 2},"
     " {\"name\": \"cluster2\", \"availableReplicas\": 1}], \"previous\": {\"cluster1\": 1, \"cluster2\": "
     "1}}",
     "{\"cluster1\": 1, \"cluster2\": 1}", "low-priority", 0, NULL},
    {"fail-back: start one above first (make)",
     "{" SEED_PLACEMENT ", \"failBack\": true, \"replicas\": 2, \"clusters\": [{\"name\": \"cluster1\","
     " \"availableReplicas\": 2}, {\"name\": \"cluster2\", \"availableReplicas\": 1}],"
     " \"previous\": {\"cluster1\": 1, \"cluster2\": 1}}",
     "{\"cluster1\": 2, \"cluster2\": 1}", "low-priority", 0, "fail-back: 1 lower-tier replica kept"},
    {"fail-back: keep the lower one while the new one is not ready",
     "{" SEED_PLACEMENT ", \"failBack\": true, \"replicas\": 2, \"clusters\": [{\"name\": \"cluster1\","
     " \"availableReplicas\": 2, \"readyReplicas\": 1}, {\"name\": \"cluster2\", \"availableReplicas\": 1}],"
     " \"previous\": {\"cluster1\": 2, \"cluster2\": 1}}",
     "{\"cluster1\": 2, \"cluster2\": 1}", "low-priority", 0, "fail-back"},
    {"fail-back: remove it once the new one is ready (break)",
     "{" SEED_PLACEMENT ", \"failBack\": true, \"replicas\": 2, \"clusters\": [{\"name\": \"cluster1\","
     " \"availableReplicas\": 2, \"readyReplicas\": 2}, {\"name\": \"cluster2\", \"availableReplicas\": 1}],"
     " \"previous\": {\"cluster1\": 2, \"cluster2\": 1}}",
     "{\"cluster1\": 2}", "high-priority", 0, NULL},
};

Test(placement, explain_table) {
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const place_case *c = &cases[i];
    json_error_t jerr;
    json_t *in = json_loads(c->input, 0, &jerr);
    cr_assert_not_null(in, "%s: bad test input: %s (col %d)", c->what, jerr.text, jerr.column);
    json_t *out = NULL;
    sw_err err = {0};
    int rc = schedule_explain(in, &out, &err);
    cr_assert_eq(rc, 0, "%s: %s", c->what, err.msg);
    json_t *want = json_loads(c->clusters, 0, NULL);
    char *got = json_dumps(json_object_get(out, "clusters"), JSON_SORT_KEYS);
    cr_expect(json_equal(want, json_object_get(out, "clusters")), "%s: clusters %s, want %s", c->what, got,
              c->clusters);
    free(got);
    const char *tier = json_string_value(json_object_get(out, "tier"));
    if (c->tier)
      cr_expect(tier && strcmp(tier, c->tier) == 0, "%s: tier %s, want %s", c->what, tier, c->tier);
    else
      cr_expect(json_is_null(json_object_get(out, "tier")), "%s: tier %s, want null", c->what, tier);
    cr_expect_eq(json_integer_value(json_object_get(out, "unscheduled")), c->unscheduled, "%s: unscheduled",
                 c->what);
    const char *reason = json_string_value(json_object_get(out, "reason"));
    cr_assert_not_null(reason);
    if (c->reason_has)
      cr_expect(strstr(reason, c->reason_has), "%s: reason \"%s\" lacks \"%s\"", c->what, reason,
                c->reason_has);
    json_decref(want);
    json_decref(in);
    json_decref(out);
  }
}

Test(placement, output_lists_clusters_in_tier_order) {
  json_t *in = json_loads("{" SEED_PLACEMENT ", \"replicas\": 2, \"clusters\": [{\"name\": \"cluster2\","
                          " \"availableReplicas\": 1}, {\"name\": \"cluster1\", \"availableReplicas\": 1}]}",
                          0, NULL);
  json_t *out;
  sw_err err;
  cr_assert_eq(schedule_explain(in, &out, &err), 0);
  char *s = json_dumps(json_object_get(out, "clusters"), JSON_PRESERVE_ORDER | JSON_COMPACT);
  cr_expect_str_eq(s, "{\"cluster1\":1,\"cluster2\":1}");
  free(s);
  json_decref(in);
  json_decref(out);
}

typedef struct {
  const char *input;
  const char *error; /* substring of err.msg */
} err_case;

static const err_case err_cases[] = {
    {"[]", "input: expected an object"},
    {"{\"clusters\": []}", "replicas: expected an integer >= 0, got nothing"},
    {"{\"replicas\": -1, \"clusters\": []}", "replicas: expected an integer from 0 to 2147483647, got -1"},
    {"{\"replicas\": 3000000000, \"clusters\": []}", "replicas: expected an integer from 0 to 2147483647"},
    {"{\"replicas\": 1}", "clusters: expected an array of clusters, got nothing"},
    {"{\"replicas\": 1, \"clusters\": [{\"name\": \"a\"}, {\"name\": \"b\", \"availableReplicas\": \"x\"}]}",
     "clusters[1].availableReplicas: expected an integer >= 0, got a string"},
    {"{\"replicas\": 1, \"clusters\": [{\"name\": 3}]}",
     "clusters[0].name: expected a non-empty string, got an integer"},
    {"{\"replicas\": 1, \"clusters\": [{\"name\": \"a\", \"ready\": \"yes\"}]}",
     "clusters[0].ready: expected true or false"},
    {"{\"replicas\": 1, \"clusters\": [{\"name\": \"a\", \"labels\": {\"x\": 1}}]}",
     "clusters[0].labels.x: expected a string, got an integer"},
    {"{\"replicas\": 1, \"clusters\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}",
     "clusters[1].name: duplicate cluster \"a\""},
    {"{\"replicas\": 1, \"clusters\": [], \"previous\": {\"a\": -2}}",
     "previous.a: expected an integer from 0"},
    {"{\"replicas\": 1, \"clusters\": [], \"previous\": [1]}", "previous: expected an object"},
    {"{\"replicas\": 1, \"clusters\": [], \"failBack\": 1}", "failBack: expected true or false"},
    {"{\"placement\": 5, \"replicas\": 1, \"clusters\": []}",
     "placement: expected a placement object, got an integer"},
    {"{\"placement\": {\"clusterAffinity\": {}, \"clusterAffinities\": [{\"affinityName\": \"x\"}]}, "
     "\"replicas\": 1,"
     " \"clusters\": []}",
     "placement: clusterAffinity and clusterAffinities are mutually exclusive"},
    {"{\"placement\": {\"clusterAffinities\": [{\"clusterNames\": [\"a\"]}]}, \"replicas\": 1, \"clusters\": "
     "[]}",
     "placement.clusterAffinities[0].affinityName: expected a non-empty string, got nothing"},
    {"{\"placement\": {\"clusterAffinities\": [{\"affinityName\": \"x\"}, {\"affinityName\": \"x\"}]}, "
     "\"replicas\": 1,"
     " \"clusters\": []}",
     "placement.clusterAffinities[1].affinityName: \"x\" is already the name of clusterAffinities[0]"},
    {"{\"placement\": {\"clusterAffinity\": {\"clusterNames\": [\"a\", 2]}}, \"replicas\": 1, \"clusters\": "
     "[]}",
     "placement.clusterAffinity.clusterNames[1]: expected a string, got an integer"},
    {"{\"placement\": {\"clusterAffinity\": {\"fieldSelector\": {\"matchExpressions\": [{\"key\": \"cpu\","
     " \"operator\": \"In\", \"values\": [\"x\"]}]}}}, \"replicas\": 1, \"clusters\": []}",
     "placement.clusterAffinity.fieldSelector.matchExpressions[0].key: expected provider, region or zone, "
     "got \"cpu\""},
    {"{\"replicas\": 1, \"clusters\": [{\"name\": \"a\", \"region\": 5}]}",
     "clusters[0].region: expected a string"},
    {"{\"placement\": {\"clusterAffinity\": {\"labelSelector\": {\"matchExpressions\": [{\"key\": \"a\","
     " \"operator\": \"Gt\", \"values\": [\"1\"]}]}}}, \"replicas\": 1, \"clusters\": []}",
     "placement.clusterAffinity.labelSelector.matchExpressions[0].operator: expected In, NotIn, Exists or "
     "DoesNotExist, got \"Gt\""},
    {"{\"placement\": {\"clusterAffinity\": {\"labelSelector\": {\"matchExpressions\": [{\"key\": \"a\","
     " \"operator\": \"In\"}]}}}, \"replicas\": 1, \"clusters\": []}",
     "matchExpressions[0].values: expected at least one value for operator In"},
    {"{\"placement\": {\"replicaScheduling\": {\"replicaSchedulingType\": \"Split\"}}, \"replicas\": 1, "
     "\"clusters\": []}",
     "placement.replicaScheduling.replicaSchedulingType: expected Duplicated or Divided, got \"Split\""},
    {"{\"placement\": {\"replicaScheduling\": {\"replicaDivisionPreference\": \"Even\"}}, \"replicas\": 1,"
     " \"clusters\": []}",
     "placement.replicaScheduling.replicaDivisionPreference: expected Aggregated or Weighted, got \"Even\""},
    {"{\"placement\": {\"replicaScheduling\": {\"weightPreference\": {\"dynamicWeight\": \"Cheapest\"}}},"
     " \"replicas\": 1, \"clusters\": []}",
     "placement.replicaScheduling.weightPreference.dynamicWeight: expected AvailableReplicas, got "
     "\"Cheapest\""},
    {"{\"placement\": {\"replicaScheduling\": {\"weightPreference\": {\"staticWeightList\": [{\"weight\": "
     "-1}]}}},"
     " \"replicas\": 1, \"clusters\": []}",
     "placement.replicaScheduling.weightPreference.staticWeightList[0].weight: expected an integer >= 0"},
};

Test(placement, explain_errors_name_the_path) {
  for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
    json_t *in = json_loads(err_cases[i].input, 0, NULL);
    cr_assert_not_null(in, "bad test input %zu", i);
    json_t *out = NULL;
    sw_err err = {0};
    cr_expect_eq(schedule_explain(in, &out, &err), SW_EINVAL, "case %zu should fail", i);
    cr_expect_null(out);
    cr_expect(strstr(err.msg, err_cases[i].error), "case %zu: \"%s\" lacks \"%s\"", i, err.msg,
              err_cases[i].error);
    json_decref(in);
  }
}

Test(placement, same_input_same_output) {
  json_t *in = json_loads(
      "{" THREE_TIERS ", \"replicas\": 17, \"clusters\": [{\"name\": \"c\", \"availableReplicas\": 9},"
      "{\"name\": \"b\", \"availableReplicas\": 4}, {\"name\": \"a\", \"availableReplicas\": 2}]}",
      0, NULL);
  json_t *o1, *o2;
  sw_err err;
  cr_assert_eq(schedule_explain(in, &o1, &err), 0);
  cr_assert_eq(schedule_explain(in, &o2, &err), 0);
  cr_expect(json_equal(o1, o2));
  json_decref(o1);
  json_decref(o2);
  json_decref(in);
}

/* ---- PropagationPolicy selection ---------------------------------------- */

static json_t *pp(const char *name, const char *ns, int priority, const char *selectors) {
  char buf[2048];
  snprintf(
      buf, sizeof buf,
      "{\"apiVersion\": \"policy.karmada.io/v1alpha1\", \"kind\": \"PropagationPolicy\", \"metadata\":"
      " {\"name\": \"%s\", \"namespace\": \"%s\"}, \"spec\": {\"priority\": %d, \"resourceSelectors\": %s}}",
      name, ns, priority, selectors);
  json_error_t e;
  json_t *v = json_loads(buf, 0, &e);
  cr_assert_not_null(v, "%s", e.text);
  return v;
}

Test(policy, selection_follows_karmada_priorities) {
  json_t *dep =
      json_loads("{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"metadata\": {\"name\": \"qwen3\","
                 " \"namespace\": \"test\", \"labels\": {\"app\": \"qwen3\"}}}",
                 0, NULL);
  json_t *all = json_array();
  json_array_append_new(all,
                        pp("z-kind", "test", 0, "[{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\"}]"));
  json_array_append_new(all, pp("other-ns", "prod", 0,
                                "[{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\","
                                " \"name\": \"qwen3\"}]"));
  json_array_append_new(all, pp("svc", "test", 0, "[{\"apiVersion\": \"v1\", \"kind\": \"Service\"}]"));
  const json_t *got = schedule_policy_select(all, dep);
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(got, "metadata"), "name")), "z-kind");
  json_array_append_new(all, pp("y-label", "test", 0,
                                "[{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\","
                                " \"labelSelector\": {\"matchLabels\": {\"app\": \"qwen3\"}}}]"));
  got = schedule_policy_select(all, dep);
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(got, "metadata"), "name")), "y-label");
  json_array_append_new(all, pp("x-name", "test", 0,
                                "[{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\","
                                " \"name\": \"qwen3\"}]"));
  json_array_append_new(all, pp("w-name", "test", 0,
                                "[{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\","
                                " \"name\": \"qwen3\"}]"));
  got = schedule_policy_select(all, dep);
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(got, "metadata"), "name")), "w-name",
                   "ties by name");
  json_array_append_new(all,
                        pp("v-prio", "test", 5, "[{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\"}]"));
  got = schedule_policy_select(all, dep);
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(got, "metadata"), "name")), "v-prio",
                   "explicit priority first");
  json_t *none = json_array();
  json_array_append_new(none, pp("nomatch", "test", 0,
                                 "[{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\","
                                 " \"labelSelector\": {\"matchLabels\": {\"app\": \"other\"}}}]"));
  cr_assert_null(schedule_policy_select(none, dep));
  json_decref(none);
  json_decref(all);
  json_decref(dep);
}

Test(policy, object_reads_fail_back_and_ecs_provision) {
  json_t *o = json_loads(
      "{\"metadata\": {\"name\": \"p\", \"namespace\": \"test\", \"annotations\":"
      " {\"scheduling.spillway.io/fail-back\": \"true\"}}, \"spec\": {\"autoScaling\":"
      " {\"ecsProvision\": true}, \"placement\": {\"clusterAffinity\": {\"clusterNames\": [\"a\"]}}}}",
      0, NULL);
  sw_arena *a = sw_arena_new(4096);
  schedule_policy pol;
  bool ecs = false;
  sw_err err;
  cr_assert_eq(schedule_policy_from_object(o, a, &pol, &ecs, &err), 0, "%s", err.msg);
  cr_expect(pol.fail_back);
  cr_expect(ecs);
  cr_expect_eq(pol.mode, SCHEDULE_DUPLICATED, "no replicaScheduling means Duplicated, as in Karmada");
  cr_expect_eq(pol.n_tiers, 1);
  cr_expect_null(pol.tiers[0].name);
  sw_arena_free(a);
  json_decref(o);
}
