/*
 * Unit tests for the HPA algorithm (src/autoscale/hpa.c) through the explain
 * input format, one table row per behaviour of the Kubernetes documentation
 * ("Horizontal Pod Autoscaling": algorithm details, missing metrics, not-yet-ready
 * pods, multiple metrics, scaling policies, stabilisation, defaults) and of
 * upstream's replica_calculator_test.go / horizontal_test.go cases. Expected
 * values are computed by hand in the comments.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoscale/autoscale.h"

/* NOW = 2026-01-01T00:10:00Z; T(x) are times before it. */
#define NOW "'2026-01-01T00:10:00Z'"
#define OLD "'2026-01-01T00:00:00Z'" /* 600 s ago */

/* Rows are written with single quotes; run() turns them into JSON. */
static json_t *run(const char *text, sw_err *err) {
  char *s = sw_xstrdup(text);
  for (char *p = s; *p; p++)
    if (*p == '\'') *p = '"';
  json_error_t je;
  json_t *in = json_loads(s, 0, &je);
  cr_assert_not_null(in, "bad test JSON: %s at %d:%d in %s", je.text, je.line, je.column, s);
  free(s);
  json_t *out = NULL;
  int rc = autoscale_explain(in, &out, err);
  json_decref(in);
  return rc == 0 ? out : NULL;
}

static const char *cond_reason(const json_t *out, const char *type) {
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(out, "conditions"), i, c) {
    if (strcmp(json_string_value(json_object_get(c, "type")), type) == 0)
      return json_string_value(json_object_get(c, "reason"));
  }
  return "-";
}

static const char *cond_status(const json_t *out, const char *type) {
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(out, "conditions"), i, c) {
    if (strcmp(json_string_value(json_object_get(c, "type")), type) == 0)
      return json_string_value(json_object_get(c, "status"));
  }
  return "-";
}

/* Spec snippets */
#define HPA(spec)                                                                                            \
  "'autoscaler': {'kind': 'HorizontalPodAutoscaler', 'metadata': {'name': 'h', 'namespace': 'ns'}, "         \
  "'spec': " spec "}"
#define PODS(name, target)                                                                                   \
  "{'type': 'Pods', 'pods': {'metric': {'name': '" name                                                      \
  "'}, 'target': {'type': 'AverageValue', 'averageValue': '" target "'}}}"
#define CPU(target)                                                                                          \
  "{'type': 'Resource', 'resource': {'name': 'cpu', 'target': {'type': 'Utilization', "                      \
  "'averageUtilization': " target "}}}"
#define CPOD(name, req, use)                                                                                 \
  "{'name': '" name "', 'startTime': " OLD ", 'requests': {'cpu': '" req "'}, 'metrics': {'cpu': '" use "'}" \
                                                                                                        "}"
#define MPOD(name, v) "{'name': '" name "', 'metrics': {'m': '" v "'}}"
#define OLDREC(n) "'recommendations': [{'time': " OLD ", 'replicas': " n "}]"

typedef struct row {
  const char *name;
  const char *input;
  int desired;
  int proposal0; /* metrics[0].proposedReplicas; -1: null (failed); -2: don't check */
  const char *able;
  const char *active; /* "-" when not set */
  const char *limited;
  const char *limited_status;
  const char *contains; /* a substring of the output JSON, or NULL */
} row;

static const row rows[] = {
    /* --- replica calculator: resource utilization (replica_calculator_test.go) --- */
    {"cpu scale up: 1500m/3000m = 50% vs 30% -> ceil(1.667*3) = 5",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 10, 'metrics': [" CPU("30") "]}") ", 'currentReplicas': 3, 'pods': [" CPOD(
         "a", "1", "300m") "," CPOD("b", "1", "500m") "," CPOD("c", "1", "700m") "]}",
     5, 5, "SucceededRescale", "ValidMetricFound", "DesiredWithinRange", "False", "'current': '50%'"},
    {"cpu scale down proposal 3 (28%/50%), held by the initial recommendation (first sync)",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 10, 'metrics': [" CPU("50") "]}") ", 'currentReplicas': 5, 'pods': [" CPOD(
         "a", "1", "100m") "," CPOD("b", "1", "300m") "," CPOD("c", "1",
                                                               "500m") "," CPOD("d", "1",
                                                                                "250m") "," CPOD("e", "1",
                                                                                                 "250m") "]}",
     5, 3, "ScaleDownStabilized", "ValidMetricFound", "DesiredWithinRange", "False", "'current': '28%'"},
    {"cpu scale down once the window's recommendations are older than 300 s",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 10, 'metrics': [" CPU("50") "]}") ", 'currentReplicas': 5, 'pods': [" CPOD(
         "a", "1",
         "100m") "," CPOD("b", "1",
                          "300m") "," CPOD("c", "1",
                                           "500m") "," CPOD("d", "1",
                                                            "250m") "," CPOD("e", "1",
                                                                             "250m") "], " OLDREC("5") "}",
     3, 3, "SucceededRescale", "ValidMetricFound", "DesiredWithinRange", "False", "All metrics below target"},
    {"cpu within tolerance: 102% of 100% -> keep 3",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 10, 'metrics': [" CPU("100") "]}") ", 'currentReplicas': 3, 'pods': [" CPOD(
         "a", "1", "1010m") "," CPOD("b", "1", "1030m") "," CPOD("c", "1", "1020m") "]}",
     3, 3, "ReadyForNewScale", "ValidMetricFound", "DesiredWithinRange", "False", NULL},
    {"cpu unready pod counts 0% on scale-up: ready 60% -> ratio 2, recomputed 40% -> 4",
     "{'now': " NOW ", " HPA("{'maxReplicas': 10, 'metrics': [" CPU(
         "30") "]}") ", 'currentReplicas': 3, 'pods': ["
                     "{'name': 'a', 'ready': false, 'startTime': " OLD ", 'readyTransitionTime': " OLD
                     ", 'requests': {'cpu': '1'}, 'metrics': {'cpu': '300m'}}," CPOD(
                         "b", "1", "500m") "," CPOD("c", "1", "700m") "]}",
     4, 4, "SucceededRescale", "ValidMetricFound", "DesiredWithinRange", "False", "'current': '60%'"},
    {"cpu missing metric on scale-down counts as 100% of its request: 10% -> 40% -> 3",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 10, 'metrics': [" CPU("50") "]}") ", 'currentReplicas': 3, 'pods': [" CPOD(
         "a", "1", "100m") "," CPOD("b", "1", "100m") ", {'name': 'c', 'startTime': " OLD
                                                      ", 'requests': {'cpu': '1'}}], " OLDREC("3") "}",
     3, 3, "ReadyForNewScale", "ValidMetricFound", "DesiredWithinRange", "False", "'missingPods': 1"},
    {"cpu missing metric with a target above 100% counts as the target: 30%/150% -> 70% -> 2",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 10, 'metrics': [" CPU("150") "]}") ", 'currentReplicas': 3, 'pods': [" CPOD(
         "a", "1", "300m") "," CPOD("b", "1", "300m") ", {'name': 'c', 'startTime': " OLD
                                                      ", 'requests': {'cpu': '1'}}], " OLDREC("3") "}",
     2, 2, "SucceededRescale", "ValidMetricFound", "DesiredWithinRange", "False", NULL},
    {"cpu initialization period: a pod ready for 10 s (< one 30 s window) is set aside -> 50%, within "
     "tolerance",
     "{'now': " NOW ", " HPA("{'maxReplicas': 10, 'metrics': [" CPU(
         "50") "]}") ", 'currentReplicas': 2, 'pods': ["
                     "{'name': 'a', 'startTime': '2026-01-01T00:09:00Z', 'readyTransitionTime': "
                     "'2026-01-01T00:09:50Z', 'requests': {'cpu': '1'}, 'metrics': {'cpu': '1'}}," CPOD(
                         "b", "1", "1") "]}",
     2, 2, "ReadyForNewScale", "ValidMetricFound", "DesiredWithinRange", "False", "'unreadyPods': 1"},
    {"cpu initialization period: ready for 40 s (> one window) counts -> 100%/50% -> 4",
     "{'now': " NOW ", " HPA("{'maxReplicas': 10, 'metrics': [" CPU(
         "50") "]}") ", 'currentReplicas': 2, 'pods': ["
                     "{'name': 'a', 'startTime': '2026-01-01T00:09:00Z', 'readyTransitionTime': "
                     "'2026-01-01T00:09:20Z', 'requests': {'cpu': '1'}, 'metrics': {'cpu': '1'}}," CPOD(
                         "b", "1", "1") "]}",
     4, 4, "SucceededRescale", "ValidMetricFound", "DesiredWithinRange", "False", NULL},
    {"missing cpu request is an error naming the container and pod",
     "{'now': " NOW ", " HPA("{'maxReplicas': 10, 'metrics': [" CPU(
         "50") "]}") ", 'currentReplicas': 2, 'pods': ["
                     "{'name': 'a', 'startTime': " OLD ", 'metrics': {'cpu': '1'}}," CPOD("b", "1", "1") "]}",
     2, -1, "SucceededGetScale", "FailedGetResourceMetric", "-", "-",
     "failed to get cpu utilization: missing request for cpu in container main of Pod a"},
    {"memory AverageValue: (600Mi+400Mi)/2 = 500Mi vs 250Mi -> 4",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 10, 'metrics': [{'type': 'Resource', 'resource': {'name': 'memory', 'target': "
              "{'type': 'AverageValue', 'averageValue': '250Mi'}}}]}") ", 'currentReplicas': 2, 'pods': "
                                                                       "[{'name': 'a', 'metrics': {'memory': "
                                                                       "'600Mi'}}, {'name': 'b', 'metrics': "
                                                                       "{'memory': '400Mi'}}]}",
     4, 4, "SucceededRescale", "ValidMetricFound", "DesiredWithinRange", "False", "'current': '524288k'"},
    {"ContainerResource: app uses 400m of 500m = 80% vs 40% -> 4 (the sidecar does not count)",
     "{'now': " NOW ", " HPA("{'maxReplicas': 10, 'metrics': [{'type': 'ContainerResource', "
                             "'containerResource': {'name': 'cpu', 'container': 'app', 'target': {'type': "
                             "'Utilization', 'averageUtilization': 40}}}]}") ", 'currentReplicas': 2, "
                                                                             "'pods': ["
                                                                             "{'name': 'a', 'startTime': " OLD
                                                                             ", 'containers': [{'name': "
                                                                             "'app', 'requests': {'cpu': "
                                                                             "'500m'}, 'metrics': {'cpu': "
                                                                             "'400m'}}, {'name': 'side', "
                                                                             "'requests': {'cpu': '100m'}, "
                                                                             "'metrics': {'cpu': '100m'}}]},"
                                                                             "{'name': 'b', 'startTime': " OLD
                                                                             ", 'containers': [{'name': "
                                                                             "'app', 'requests': {'cpu': "
                                                                             "'500m'}, 'metrics': {'cpu': "
                                                                             "'400m'}}, {'name': 'side', "
                                                                             "'requests': {'cpu': "
                                                                             "'100m'}}]}]}",
     4, 4, "SucceededRescale", "ValidMetricFound", "DesiredWithinRange", "False",
     "cpu container resource utilization (percentage of request)"},
    {"ContainerResource: a pod without the container is an error naming both",
     "{'now': " NOW ", " HPA("{'maxReplicas': 10, 'metrics': [{'type': 'ContainerResource', "
                             "'containerResource': {'name': 'cpu', 'container': 'app', 'target': {'type': "
                             "'Utilization', 'averageUtilization': 40}}}]}") ", 'currentReplicas': 2, "
                                                                             "'pods': ["
                                                                             "{'name': 'a', 'startTime': " OLD
                                                                             ", 'containers': [{'name': "
                                                                             "'app', 'requests': {'cpu': "
                                                                             "'500m'}, 'metrics': {'cpu': "
                                                                             "'400m'}}]},"
                                                                             "{'name': 'b', 'startTime': " OLD
                                                                             ", 'containers': [{'name': "
                                                                             "'other', 'requests': {'cpu': "
                                                                             "'500m'}}]}]}",
     2, -1, "SucceededGetScale", "FailedGetContainerResourceMetric", "-", "-",
     "container app not found in Pod b"},

    /* --- Pods metrics: missing and not-yet-ready pods --- */
    {"pods metric missing on scale-down counts as the target: 10 -> (30+50)/4 = 20 -> 2 (not 1)",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 10, 'metrics': [" PODS("m", "50") "]}") ", 'currentReplicas': 4, 'pods': "
                                                                       "[" MPOD("a", "10") "," MPOD(
                                                                           "b",
                                                                           "10") "," MPOD("c",
                                                                                          "10") ", {'name': "
                                                                                                "'d'}],"
                                                                                                " " OLDREC("4") "}",
     2, 2, "SucceededRescale", "ValidMetricFound", "DesiredWithinRange", "False", "'missingPods': 1"},
    {"pods metric missing on scale-up counts as 0: 100 -> 40 flips the direction -> keep 5",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 10, 'metrics': [" PODS("m", "50") "]}") ", 'currentReplicas': 5, 'pods': "
                                                                       "[" MPOD("a", "100") "," MPOD(
                                                                           "b",
                                                                           "100") ", {'name': 'c'}, {'name': "
                                                                                  "'d'}, {'name': 'e'}]}",
     5, 5, "ReadyForNewScale", "ValidMetricFound", "DesiredWithinRange", "False", NULL},
    {"pods metric missing dampens a scale-down: 0.8 -> 0.8667 -> ceil(2.6) = 3",
     "{'now': " NOW ", " HPA("{'maxReplicas': 10, 'metrics': [" PODS(
         "m",
         "50") "]}") ", 'currentReplicas': 3, 'pods': [" MPOD("a",
                                                              "40") "," MPOD("b",
                                                                             "40") ", {'name': "
                                                                                   "'c'}], " OLDREC("3") "}",
     3, 3, "ReadyForNewScale", "ValidMetricFound", "DesiredWithinRange", "False",
     "missing c: the input has no value"},
    {"pending pods are not counted on scale-down: ceil(0.2 * 2) = 1",
     "{'now': " NOW ", " HPA("{'maxReplicas': 10, 'metrics': [" PODS(
         "m", "50") "]}") ", 'currentReplicas': 3, 'pods': [" MPOD("a",
                                                                   "10") "," MPOD("b",
                                                                                  "10") ", {'name': 'c', "
                                                                                        "'phase': "
                                                                                        "'Pending'}],"
                                                                                        " " OLDREC("3") "}",
     1, 1, "SucceededRescale", "ValidMetricFound", "DesiredWithinRange", "False", "'unreadyPods': 1"},
    {"deleting and failed pods are ignored: one pod at 2x target -> 2",
     "{'now': " NOW ", " HPA("{'maxReplicas': 10, 'metrics': [" PODS(
         "m", "50") "]}") ", 'currentReplicas': 3, 'pods': ["
                          "{'name': 'a', 'deleting': true, 'metrics': {'m': '500'}}, {'name': 'b', 'phase': "
                          "'Failed', 'metrics': {'m': '500'}}," MPOD("c", "100") "], " OLDREC("3") "}",
     2, 2, "SucceededRescale", "ValidMetricFound", "DesiredWithinRange", "False", "'ignoredPods': 2"},
    {"a pod that exposes no metric: ScalingActive=False naming the metric, the pod and why; replicas "
     "unchanged",
     "{'now': " NOW ", " HPA("{'maxReplicas': 10, 'metrics': [" PODS(
         "num_requests_waiting", "5") "]}") ", 'currentReplicas': 1, 'pods': [{'name': 'qwen3-7d9f-abcde'}]}",
     1, -1, "SucceededGetScale", "FailedGetPodsMetric", "-", "-",
     "the HPA was unable to compute the replica count: unable to get metric num_requests_waiting: no metrics "
     "returned "
     "from custom metrics API (pod qwen3-7d9f-abcde: the input has no value for \\\"num_requests_waiting\\\" "
     "in pods[0].metrics)"},
    {"tolerance: 1.08 is within the default 10% -> keep 2",
     "{'now': " NOW ", " HPA("{'maxReplicas': 10, 'metrics': [" PODS(
         "m", "100") "]}") ", 'currentReplicas': 2, 'pods': [" MPOD("a", "108") "," MPOD("b", "108") "]}",
     2, 2, "ReadyForNewScale", "ValidMetricFound", "DesiredWithinRange", "False", NULL},
    {"behavior.scaleUp.tolerance 0.05 (KEP-4951): 1.08 scales -> ceil(2.16) = 3",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 10, 'behavior': {'scaleUp': {'tolerance': '0.05'}}, 'metrics': [" PODS(
         "m", "100") "]}") ", 'currentReplicas': 2, 'pods': [" MPOD("a", "108") "," MPOD("b", "108") "]}",
     3, 3, "SucceededRescale", "ValidMetricFound", "DesiredWithinRange", "False", NULL},
    {"tolerance boundary: ratio exactly 1.1 is within (Tolerances.isWithin)",
     "{'now': " NOW ", " HPA("{'maxReplicas': 10, 'metrics': [" PODS(
         "m", "100") "]}") ", 'currentReplicas': 1, 'pods': [" MPOD("a", "110") "]}",
     1, 1, "ReadyForNewScale", "ValidMetricFound", "DesiredWithinRange", "False", NULL},
    {"options.tolerance changes the controller-wide tolerance",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 10, 'metrics': [" PODS("m", "100") "]}") ", 'currentReplicas': 2, 'options': "
                                                                        "{'tolerance': 0.01}, 'pods': [" MPOD(
                                                                            "a", "108") "," MPOD("b",
                                                                                                 "108") "]}",
     3, 3, "SucceededRescale", "ValidMetricFound", "DesiredWithinRange", "False", NULL},

    /* --- Object and External metrics --- */
    {"Object Value: 200 vs 100 with 3 ready pods -> 6",
     "{'now': " NOW ", " HPA(
         "{'maxReplicas': 10, 'metrics': [{'type': 'Object', 'object': {'describedObject': {'apiVersion': "
         "'v1', 'kind': 'Service', 'name': 'gw'}, 'metric': {'name': 'rps'}, 'target': {'type': 'Value', "
         "'value': '100'}}}]}") ", 'currentReplicas': 3, 'pods': [{'name': 'a'}, {'name': 'b'}, {'name': "
                                "'c'}], 'objectMetrics': {'Service/gw/rps': '200'}}",
     6, 6, "SucceededRescale", "ValidMetricFound", "DesiredWithinRange", "False",
     "Service metric rps above target"},
    {"Object AverageValue: 300 / 50 -> 6, current average 100",
     "{'now': " NOW ", " HPA(
         "{'maxReplicas': 10, 'metrics': [{'type': 'Object', 'object': {'describedObject': {'kind': "
         "'Service', 'name': 'gw'}, 'metric': {'name': 'rps'}, 'target': {'type': 'AverageValue', "
         "'averageValue': '50'}}}]}") ", 'currentReplicas': 3, 'objectMetrics': {'Service/gw/rps': '300'}}",
     6, 6, "SucceededRescale", "ValidMetricFound", "DesiredWithinRange", "False", "'current': '100'"},
    {"Object metric unavailable: FailedGetObjectMetric with upstream's message",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 10, 'metrics': [{'type': 'Object', 'object': {'describedObject': {'kind': "
              "'Service', 'name': 'gw'}, 'metric': {'name': 'rps'}, 'target': {'type': 'Value', 'value': "
              "'50'}}}]}") ", 'currentReplicas': 3}",
     3, -1, "SucceededGetScale", "FailedGetObjectMetric", "-", "-",
     "unable to get metric rps: Service on ns gw/the input"},
    {"External Value: 30+20 = 50 vs 10 with 2 ready pods -> 10, limited to max(2*2, 4) = 4",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 20, 'metrics': [{'type': 'External', 'external': {'metric': {'name': 'q'}, "
              "'target': {'type': 'Value', 'value': '10'}}}]}") ", 'currentReplicas': 2, 'pods': [{'name': "
                                                                "'a'}, {'name': 'b'}], 'externalMetrics': "
                                                                "{'q': ['30', '20']}}",
     4, 10, "SucceededRescale", "ValidMetricFound", "ScaleUpLimit", "True", "'limitedBy': 'ScaleUpLimit'"},
    {"External AverageValue: 50 / 10 -> 5, average 25 per replica",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 5, 'metrics': [{'type': 'External', 'external': {'metric': {'name': 'q', "
              "'selector': {'matchLabels': {'queue': 'a'}}}, 'target': {'type': 'AverageValue', "
              "'averageValue': '10'}}}]}") ", 'currentReplicas': 2, 'externalMetrics': {'q': ['30', '20']}}",
     4, 5, "SucceededRescale", "ValidMetricFound", "ScaleUpLimit", "True",
     "external metric q(&LabelSelector{MatchLabels:map[string]string{queue: "
     "a,},MatchExpressions:[]LabelSelectorRequirement{},})"},
    {"scale from zero with minReplicas 0: External Value 25 vs 10 -> ceil(2.5) = 3",
     "{'now': " NOW ", " HPA("{'minReplicas': 0, 'maxReplicas': 10, 'metrics': [{'type': 'External', "
                             "'external': {'metric': {'name': 'q'}, 'target': {'type': 'Value', 'value': "
                             "'10'}}}]}") ", 'currentReplicas': 0, 'externalMetrics': {'q': '25'}}",
     3, 3, "SucceededRescale", "ValidMetricFound", "DesiredWithinRange", "False", NULL},

    /* --- multiple metrics --- */
    {"the maximum over metrics: 2 and 4 -> 4",
     "{'now': " NOW ", " HPA("{'maxReplicas': 10, 'metrics': [" PODS("m", "50") ", " PODS(
         "n", "10") "]}") ", 'currentReplicas': 2, 'pods': ["
                          "{'name': 'a', 'metrics': {'m': '50', 'n': '20'}}, {'name': 'b', 'metrics': {'m': "
                          "'50', 'n': '20'}}]}",
     4, 2, "SucceededRescale", "ValidMetricFound", "DesiredWithinRange", "False",
     "pods metric n above target"},
    {"one metric failing does not stop a scale-up by another",
     "{'now': " NOW ", " HPA("{'maxReplicas': 10, 'metrics': [" PODS("m", "50") ", " PODS(
         "n", "10") "]}") ", 'currentReplicas': 2, 'pods': ["
                          "{'name': 'a', 'metrics': {'n': '20'}}, {'name': 'b', 'metrics': {'n': '20'}}]}",
     4, -1, "SucceededRescale", "ValidMetricFound", "DesiredWithinRange", "False",
     "'reason': 'FailedGetPodsMetric'"},
    {"one metric failing blocks a scale-down by another (ScalingActive=False)",
     "{'now': " NOW ", " HPA("{'maxReplicas': 10, 'metrics': [" PODS("m", "50") ", " PODS(
         "n",
         "10") "]}") ", 'currentReplicas': 2, 'pods': ["
                     "{'name': 'a', 'metrics': {'n': '1'}}, {'name': 'b', 'metrics': {'n': '1'}}], " OLDREC(
                         "2") "}",
     2, -1, "SucceededGetScale", "FailedGetPodsMetric", "-", "-", "invalid metrics (1 invalid out of 2)"},
    {"unknown metric type: InvalidMetricSourceType",
     "{'now': " NOW ", " HPA("{'maxReplicas': 10, 'metrics': [{'type': 'Foo'}]}") ", 'currentReplicas': 2}",
     2, -1, "SucceededGetScale", "InvalidMetricSourceType", "-", "-",
     "unknown metric source type \\\"Foo\\\""},

    /* --- min/max and the default rate limit (no behavior) --- */
    {"no behavior: scale up at most to max(2 x current, 4) = 4",
     "{'now': " NOW ", " HPA("{'maxReplicas': 20, 'metrics': [" PODS(
         "m", "10") "]}") ", 'currentReplicas': 1, 'pods': [" MPOD("a", "100") "]}",
     4, 10, "SucceededRescale", "ValidMetricFound", "ScaleUpLimit", "True",
     "the desired replica count is increasing faster than the maximum scale rate"},
    {"maxReplicas clamps: 12 -> 10 TooManyReplicas",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 10, 'metrics': [" PODS("m", "10") "]}") ", 'currentReplicas': 8, 'pods': "
                                                                       "[" MPOD("a", "15") "," MPOD("b", "15") "," MPOD("c", "15") "," MPOD(
                                                                           "d",
                                                                           "15") "," MPOD("e",
                                                                                          "15") "," MPOD("f",
                                                                                                         "15") "," MPOD("g",
                                                                                                                        "15") "," MPOD("h",
                                                                                                                                       "15") "]}",
     10, 12, "SucceededRescale", "ValidMetricFound", "TooManyReplicas", "True",
     "the desired replica count is more than the maximum replica count"},
    {"minReplicas clamps: 0 -> 2 TooFewReplicas",
     "{'now': " NOW ", " HPA("{'minReplicas': 2, 'maxReplicas': 10, 'metrics': [" PODS(
         "m",
         "10") "]}") ", 'currentReplicas': 3, 'pods': [" MPOD("a",
                                                              "0") "," MPOD("b",
                                                                            "0") "," MPOD("c",
                                                                                          "0") "], " OLDREC("3") "}",
     2, 0, "SucceededRescale", "ValidMetricFound", "TooFewReplicas", "True",
     "the desired replica count is less than the minimum replica count"},
    {"target at zero replicas with minReplicas 1: ScalingDisabled",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 10, 'metrics': [" PODS("m", "10") "]}") ", 'currentReplicas': 0}",
     0, -2, "SucceededGetScale", "ScalingDisabled", "-", "-",
     "scaling is disabled since the replica count of the target is zero"},
    {"current above maxReplicas: set to max, only AbleToScale is set",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 10, 'metrics': [" PODS("m", "10") "]}") ", 'currentReplicas': 12}",
     10, -2, "SucceededRescale", "-", "-", "-", "Current number of replicas above Spec.MaxReplicas"},
    {"current below minReplicas: set to min",
     "{'now': " NOW ", " HPA(
         "{'minReplicas': 2, 'maxReplicas': 10, 'metrics': [" PODS("m", "10") "]}") ", 'currentReplicas': 1}",
     2, -2, "SucceededRescale", "-", "-", "-", "Current number of replicas below Spec.MinReplicas"},

    /* --- behavior: policies, selectPolicy, stabilisation windows --- */
    {"behavior {} gets the defaults: up by max(4 pods, 100%) per 15 s -> 5",
     "{'now': " NOW ", " HPA("{'maxReplicas': 20, 'behavior': {}, 'metrics': [" PODS(
         "m", "10") "]}") ", 'currentReplicas': 1, 'pods': [" MPOD("a", "100") "]}",
     5, 10, "SucceededRescale", "ValidMetricFound", "ScaleUpLimit", "True", "'change': 4"},
    {"scale events in the period count: +4 ten seconds ago leaves no room -> keep 5",
     "{'now': " NOW ", " HPA("{'maxReplicas': 20, 'behavior': {}, 'metrics': [" PODS(
         "m",
         "10") "]}") ", 'currentReplicas': 5, 'pods': [" MPOD("a",
                                                              "100") "," MPOD("b",
                                                                              "100") "," MPOD("c",
                                                                                              "100") "," MPOD("d",
                                                                                                              "100") "," MPOD("e",
                                                                                                                              "100") "], "
                                                                                                                                     "'scaleEvents': [{'time': '2026-01-01T00:09:50Z', 'change': 4}]}",
     5, 50, "ReadyForNewScale", "ValidMetricFound", "ScaleUpLimit", "True", NULL},
    {"selectPolicy Min picks the smaller change: min(10+4, 10*2) = 14",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 200, 'behavior': {'scaleUp': {'selectPolicy': 'Min'}}, 'metrics': [{'type': "
              "'External', 'external': {'metric': {'name': 'q'}, 'target': {'type': 'AverageValue', "
              "'averageValue': '10'}}}]}") ", 'currentReplicas': 10, 'externalMetrics': {'q': '1000'}}",
     14, 100, "SucceededRescale", "ValidMetricFound", "ScaleUpLimit", "True", NULL},
    {"selectPolicy Disabled on scale-down keeps the replicas",
     "{'now': " NOW ", " HPA("{'maxReplicas': 20, 'behavior': {'scaleDown': {'selectPolicy': 'Disabled', "
                             "'stabilizationWindowSeconds': 0}}, 'metrics': [{'type': 'External', "
                             "'external': {'metric': {'name': 'q'}, 'target': {'type': 'AverageValue', "
                             "'averageValue': '10'}}}]}") ", 'currentReplicas': 5, 'externalMetrics': {'q': "
                                                          "'10'}}",
     5, 1, "ReadyForNewScale", "ValidMetricFound", "ScaleDownLimit", "True",
     "the desired replica count is decreasing faster than the maximum scale rate"},
    {"docs example: 80 -> 10 with Pods 4/60s and Percent 10/60s removes 8 first (Max) -> 72",
     "{'now': " NOW
     ", " HPA("{'minReplicas': 1, 'maxReplicas': 100, 'behavior': {'scaleDown': "
              "{'stabilizationWindowSeconds': 0, 'policies': [{'type': 'Pods', 'value': 4, 'periodSeconds': "
              "60}, {'type': 'Percent', 'value': 10, 'periodSeconds': 60}]}}, 'metrics': [{'type': "
              "'External', 'external': {'metric': {'name': 'q'}, 'target': {'type': 'AverageValue', "
              "'averageValue': '10'}}}]}") ", 'currentReplicas': 80, 'externalMetrics': {'q': '100'}}",
     72, 10, "SucceededRescale", "ValidMetricFound", "ScaleDownLimit", "True", "'change': -8"},
    {"docs example, next sync within the period: -8 already done leaves 72",
     "{'now': " NOW
     ", " HPA("{'minReplicas': 1, 'maxReplicas': 100, 'behavior': {'scaleDown': "
              "{'stabilizationWindowSeconds': 0, 'policies': [{'type': 'Pods', 'value': 4, 'periodSeconds': "
              "60}, {'type': 'Percent', 'value': 10, 'periodSeconds': 60}]}}, 'metrics': [{'type': "
              "'External', 'external': {'metric': {'name': 'q'}, 'target': {'type': 'AverageValue', "
              "'averageValue': '10'}}}]}") ", 'currentReplicas': 72, 'statusReplicas': 72, "
                                           "'externalMetrics': {'q': '100'}, 'scaleEvents': [{'time': "
                                           "'2026-01-01T00:09:45Z', 'change': -8}]}",
     72, 10, "ReadyForNewScale", "ValidMetricFound", "ScaleDownLimit", "True", NULL},
    {"scale-up stabilisation window 60 s: a recommendation of 3 30 s ago holds at 3",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 20, 'behavior': {'scaleUp': {'stabilizationWindowSeconds': 60}}, 'metrics': "
              "[" PODS("m", "50") "]}") ", 'currentReplicas': 3, 'pods': [" MPOD("a", "100") "," MPOD(
         "b",
         "100") "," MPOD("c",
                         "100") "], 'recommendations': [{'time': '2026-01-01T00:09:30Z', 'replicas': 3}]}",
     3, 6, "ScaleUpStabilized", "ValidMetricFound", "DesiredWithinRange", "False",
     "recent recommendations were lower than current one, applying the lowest recent recommendation"},
    {"behavior without scaleDown window uses the controller's 300 s: held at 5",
     "{'now': " NOW
     ", " HPA("{'maxReplicas': 20, 'behavior': {'scaleUp': {'stabilizationWindowSeconds': 0}}, 'metrics': "
              "[" PODS("m", "50") "]}") ", 'currentReplicas': 5, 'pods': [" MPOD("a", "10") "," MPOD(
         "b", "10") "," MPOD("c",
                             "10") "," MPOD("d",
                                            "10") "," MPOD("e",
                                                           "10") "], 'recommendations': [{'time': "
                                                                 "'2026-01-01T00:06:40Z', 'replicas': 5}]}",
     5, 1, "ScaleDownStabilized", "ValidMetricFound", "DesiredWithinRange", "False",
     "recent recommendations were higher than current one, applying the highest recent recommendation"},
    {"options.downscaleStabilizationSeconds 100 lets the same scale-down through",
     "{'now': " NOW ", " HPA(
         "{'maxReplicas': 20, 'behavior': {'scaleUp': {'stabilizationWindowSeconds': 0}}, 'metrics': [" PODS(
             "m",
             "50") "]}") ", 'currentReplicas': 5, 'options': {'downscaleStabilizationSeconds': 100}, 'pods': "
                         "[" MPOD("a",
                                  "10") "," MPOD("b",
                                                 "10") "," MPOD("c",
                                                                "10") "," MPOD("d",
                                                                               "10") "," MPOD("e",
                                                                                              "10") "], "
                                                                                                    "'recomme"
                                                                                                    "ndations"
                                                                                                    "': "
                                                                                                    "[{'time'"
                                                                                                    ": "
                                                                                                    "'2026-"
                                                                                                    "01-"
                                                                                                    "01T00:"
                                                                                                    "06:40Z',"
                                                                                                    " '"
                                                                                                    "replicas"
                                                                                                    "': 5}]}",
     1, 1, "SucceededRescale", "ValidMetricFound", "DesiredWithinRange", "False", NULL},
    {"seed FederatedHPA: 30 s scale-down window holds 3 while a recommendation of 3 is 20 s old",
     "{'now': " NOW
     ", 'autoscaler': {'kind': 'FederatedHPA', 'metadata': {'name': 'vllm-fhpa', 'namespace': 'test'}, "
     "'spec': {'minReplicas': 1, 'maxReplicas': 10, 'behavior': {'scaleDown': {'stabilizationWindowSeconds': "
     "30}, 'scaleUp': {'stabilizationWindowSeconds': 10}}, 'metrics': [" PODS(
         "num_requests_waiting",
         "5") "," PODS("num_requests_running",
                       "40") "]}}, 'currentReplicas': 3, 'pods': ["
                             "{'name': 'a', 'metrics': {'num_requests_waiting': '0', 'num_requests_running': "
                             "'0'}}, {'name': 'b', 'metrics': {'num_requests_waiting': '0', "
                             "'num_requests_running': '0'}}, {'name': 'c', 'metrics': "
                             "{'num_requests_waiting': '0', 'num_requests_running': '0'}}],"
                             "'recommendations': [{'time': '2026-01-01T00:09:40Z', 'replicas': 3}]}",
     3, 0, "ScaleDownStabilized", "ValidMetricFound", "DesiredWithinRange", "False", NULL},
    {"seed FederatedHPA: after the window, back to minReplicas 1 (TooFewReplicas)",
     "{'now': " NOW
     ", 'autoscaler': {'kind': 'FederatedHPA', 'metadata': {'name': 'vllm-fhpa', 'namespace': 'test'}, "
     "'spec': {'minReplicas': 1, 'maxReplicas': 10, 'behavior': {'scaleDown': {'stabilizationWindowSeconds': "
     "30}, 'scaleUp': {'stabilizationWindowSeconds': 10}}, 'metrics': [" PODS(
         "num_requests_waiting",
         "5") "," PODS("num_requests_running",
                       "40") "]}}, 'currentReplicas': 3, 'pods': ["
                             "{'name': 'a', 'metrics': {'num_requests_waiting': '0', 'num_requests_running': "
                             "'0'}}, {'name': 'b', 'metrics': {'num_requests_waiting': '0', "
                             "'num_requests_running': '0'}}, {'name': 'c', 'metrics': "
                             "{'num_requests_waiting': '0', 'num_requests_running': '0'}}],"
                             "'recommendations': [{'time': '2026-01-01T00:09:20Z', 'replicas': 3}]}",
     1, 0, "SucceededRescale", "ValidMetricFound", "TooFewReplicas", "True", "All metrics below target"},
    {"advisory annotation: reports the decision, acts on nothing",
     "{'now': " NOW
     ", 'autoscaler': {'kind': 'FederatedHPA', 'metadata': {'name': 'f', 'namespace': 'ns', 'annotations': "
     "{'autoscaling.spillway.io/advisory': 'true'}}, 'spec': {'maxReplicas': 10, 'behavior': {}, 'metrics': "
     "[" PODS("m", "40") "]}},"
                         "'currentReplicas': 2, 'pods': [" MPOD("a", "58") "," MPOD("b", "58") "]}",
     3, 3, "ReadyForNewScale", "ValidMetricFound", "DesiredWithinRange", "False", "'rescale': false"},
};

Test(autoscale_hpa, table) {
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    const row *r = &rows[i];
    sw_err err = {0};
    json_t *out = run(r->input, &err);
    cr_assert_not_null(out, "[%s] explain failed: %s", r->name, err.msg);
    char *dump = json_dumps(out, JSON_PRESERVE_ORDER | JSON_COMPACT);
    cr_expect_eq(json_integer_value(json_object_get(out, "desiredReplicas")), r->desired,
                 "[%s] desired %lld != %d\n%s", r->name,
                 (long long)json_integer_value(json_object_get(out, "desiredReplicas")), r->desired, dump);
    if (r->proposal0 != -2) {
      json_t *p = json_object_get(json_array_get(json_object_get(out, "metrics"), 0), "proposedReplicas");
      if (r->proposal0 == -1)
        cr_expect(json_is_null(p), "[%s] proposal should be null\n%s", r->name, dump);
      else
        cr_expect_eq(json_integer_value(p), r->proposal0, "[%s] proposal %lld != %d\n%s", r->name,
                     (long long)json_integer_value(p), r->proposal0, dump);
    }
    cr_expect_str_eq(cond_reason(out, "AbleToScale"), r->able, "[%s] AbleToScale\n%s", r->name, dump);
    cr_expect_str_eq(cond_reason(out, "ScalingActive"), r->active, "[%s] ScalingActive\n%s", r->name, dump);
    cr_expect_str_eq(cond_reason(out, "ScalingLimited"), r->limited, "[%s] ScalingLimited\n%s", r->name,
                     dump);
    cr_expect_str_eq(cond_status(out, "ScalingLimited"), r->limited_status, "[%s] ScalingLimited status\n%s",
                     r->name, dump);
    if (r->contains) {
      /* JSON fragments ('key': value) are matched against the compact dump */
      char *want = sw_xstrdup(r->contains);
      bool fragment = want[0] == '\'';
      char *w = want;
      for (char *p = want; *p; p++) {
        if (fragment && p[0] == ':' && p[1] == ' ') {
          *w++ = ':';
          p++;
          continue;
        }
        *w++ = *p == '\'' ? '"' : *p;
      }
      *w = 0;
      cr_expect(strstr(dump, want) != NULL, "[%s] output lacks %s\n%s", r->name, want, dump);
      free(want);
    }
    free(dump);
    json_decref(out);
  }
}

/* ---- input errors name the JSON path and what was expected ------------------------ */

typedef struct err_row {
  const char *input;
  const char *want;
} err_row;

static const err_row err_rows[] = {
    {"{" HPA("{'maxReplicas': 3}") ", 'currentReplicas': 1}",
     "now: required field is missing (an RFC 3339 time such as \"2026-11-23T08:44:33Z\")"},
    {"{'now': 'yesterday', " HPA("{'maxReplicas': 3}") ", 'currentReplicas': 1}",
     "(input).now: expected an RFC 3339 time such as \"2026-11-23T08:44:33Z\", got \"yesterday\""},
    {"{'now': " NOW
     ", " HPA("{'maxReplicas': 3, 'metrics': [" PODS("m", "ten") "]}") ", 'currentReplicas': 1}",
     "autoscaler.spec.metrics[0].pods.target.averageValue: expected a quantity such as \"10\", \"500m\" or "
     "\"12Gi\", got \"ten\""},
    {"{'now': " NOW ", " HPA("{'maxReplicas': 3}") ", 'currentReplicas': 1, 'pods': [{'name': 'a'}, {'name': "
                                                   "'b', 'phase': 'Runing'}]}",
     "pods[1].phase: expected one of Pending, Running, Succeeded, Failed, Unknown, got \"Runing\""},
    {"{'now': " NOW ", " HPA("{'maxReplicas': 3}") ", 'currentReplicas': -1}",
     "currentReplicas: expected an integer from 0 to 2147483647, got -1"},
    {"{'now': " NOW ", " HPA("{'minReplicas': 5, 'maxReplicas': 3}") ", 'currentReplicas': 1}",
     "autoscaler.spec: minReplicas (5) must be less than or equal to maxReplicas (3)"},
    {"{'now': " NOW ", " HPA("{'maxReplicas': 3, 'metrics': [" PODS(
         "m", "5") "]}") ", 'currentReplicas': 1, 'pods': [{'name': 'a', 'metrics': {'m': 'lots'}}]}",
     "pods[0].metrics.m: expected a quantity such as \"58\", \"500m\" or \"12Gi\", got \"lots\""},
    {"{'now': " NOW ", " HPA(
         "{'maxReplicas': 3, 'behavior': {'scaleUp': {'selectPolicy': 'Maximum'}}}") ", 'currentReplicas': "
                                                                                     "1}",
     "autoscaler.spec.behavior.scaleUp.selectPolicy: expected one of Max, Min, Disabled, got \"Maximum\""},
    {"{'now': " NOW ", " HPA("{'maxReplicas': 3, 'behavior': {'scaleDown': {'policies': [{'type': 'Pods', "
                             "'value': 0, 'periodSeconds': 15}]}}}") ", 'currentReplicas': 1}",
     "autoscaler.spec.behavior.scaleDown.policies[0].value: expected an integer from 1 to 2147483647, got 0"},
    {"{'now': " NOW ", " HPA("{'metrics': []}") ", 'currentReplicas': 1}",
     "autoscaler.spec.maxReplicas: required field is missing"},
    {"{'now': " NOW ", 'autoscaler': {'kind': 'Deployment', 'spec': {}}, 'currentReplicas': 1}",
     "autoscaler.kind: expected FederatedHPA or HorizontalPodAutoscaler, got \"Deployment\""},
    {"{'now': " NOW
     ", " HPA("{'maxReplicas': 3}") ", 'currentReplicas': 1, 'recommendations': [{'replicas': 2}]}",
     "recommendations[0].time: required field is missing"},
    {"[1, 2]", "(input): expected a JSON object {now, autoscaler, currentReplicas, ...}, got an array"},
};

Test(autoscale_hpa, input_errors) {
  for (size_t i = 0; i < sizeof err_rows / sizeof err_rows[0]; i++) {
    sw_err err = {0};
    json_t *out = run(err_rows[i].input, &err);
    cr_expect_null(out, "row %zu should fail", i);
    json_decref(out);
    cr_expect_str_eq(err.msg, err_rows[i].want, "row %zu: got %s", i, err.msg);
  }
}

/* ---- quantities ---------------------------------------------------------------- */

Test(autoscale_hpa, quantities) {
  struct {
    const char *in;
    int64_t milli;
  } ok[] = {
      {"500m", 500},
      {"1", 1000},
      {"58", 58000},
      {"0.1", 100},
      {"1.5", 1500},
      {"12Gi", 12LL * 1073741824 * 1000},
      {"100Ki", 102400000},
      {"2M", 2000000000},
      {"1e3", 1000000},
      {"1E-3", 1},
      {"-1", -1000},
      {"1u", 1},
      {".5", 500},
      {"5.", 5000},
      {"+3", 3000},
      {"0", 0},
      {"1n", 1},
      {"100000000000000000000", INT64_MAX},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    int64_t m = -42;
    cr_expect_eq(hpa_quantity_milli(ok[i].in, &m), 0, "%s should parse", ok[i].in);
    cr_expect_eq(m, ok[i].milli, "%s -> %lld, want %lld", ok[i].in, (long long)m, (long long)ok[i].milli);
  }
  const char *bad[] = {"", "abc", "1.2.3", "5m ", " 5", "1Gb", "e3", "1e", "--1", "1K"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t m;
    cr_expect_eq(hpa_quantity_milli(bad[i], &m), -1, "\"%s\" should be rejected", bad[i]);
  }
  struct {
    int64_t milli;
    const char *out;
  } fmt[] = {{58000, "58"}, {500, "500m"},   {2000000, "2k"},           {1500000, "1500"}, {1, "1m"},
             {0, "0"},      {-500, "-500m"}, {524288000000, "524288k"}, {100, "100m"},     {10000, "10"}};
  for (size_t i = 0; i < sizeof fmt / sizeof fmt[0]; i++) {
    char buf[48];
    hpa_milli_format(fmt[i].milli, buf, sizeof buf);
    cr_expect_str_eq(buf, fmt[i].out, "%lld", (long long)fmt[i].milli);
  }
  cr_expect_eq(hpa_milli_from_double(0.58), 580);
  cr_expect_eq(hpa_milli_from_double(58), 58000);
  cr_expect_eq(hpa_milli_from_double(0.0005), 1); /* ceil, as MilliValue */
}

/* ---- paths explain cannot express: selector problems, a failed update ------------- */

static hpa_metric_spec pods_spec(void) {
  hpa_metric_spec m = {0};
  m.type = HPA_METRIC_PODS;
  m.type_name = "Pods";
  m.name = "m";
  m.selector_text = "nil";
  m.target_type = HPA_TARGET_AVERAGE_VALUE;
  m.has_average_value = true;
  m.average_value_milli = 10000;
  return m;
}

Test(autoscale_hpa, selector_and_failed_update) {
  hpa_metric_spec ms = pods_spec();
  hpa_spec spec = {
      .has_min_replicas = true, .min_replicas = 1, .max_replicas = 10, .metrics = &ms, .n_metrics = 1};
  hpa_pod pods[2] = {{.name = "a", .phase = HPA_POD_RUNNING, .has_ready_condition = true, .ready = true},
                     {.name = "b", .phase = HPA_POD_RUNNING, .has_ready_condition = true, .ready = true}};
  hpa_sample samples[2] = {{.present = true, .milli = 20000}, {.present = true, .milli = 20000}};
  hpa_metric_input mi = {.samples = samples};
  hpa_input in = {.spec = &spec,
                  .ns = "ns",
                  .spec_replicas = 2,
                  .status_replicas = 2,
                  .selector = "",
                  .pods = pods,
                  .n_pods = 2,
                  .metrics = &mi,
                  .now = 1000};
  hpa_options_default(&in.options);
  sw_arena *a = sw_arena_new(4096);
  hpa_result r;
  sw_err err = {0};

  cr_assert_eq(hpa_reconcile(&in, a, &r, &err), 0);
  cr_expect_str_eq(hpa_result_condition(&r, HPA_COND_SCALING_ACTIVE)->reason, "InvalidSelector");
  cr_expect_str_eq(hpa_result_condition(&r, HPA_COND_SCALING_ACTIVE)->message,
                   "the HPA target's scale is missing a selector");
  cr_expect(r.metrics_failed);
  cr_expect_eq(r.desired_replicas, 2);
  cr_expect_str_eq(r.events[0].reason, "SelectorRequired");

  in.selector = "app=x";
  in.ambiguous_with = "ns/other";
  cr_assert_eq(hpa_reconcile(&in, a, &r, &err), 0);
  cr_expect_str_eq(hpa_result_condition(&r, HPA_COND_SCALING_ACTIVE)->reason, "AmbiguousSelector");
  cr_expect_str_eq(hpa_result_condition(&r, HPA_COND_SCALING_ACTIVE)->message,
                   "pods by selector app=x are controlled by multiple HPAs: ns/other");

  in.ambiguous_with = NULL;
  in.outcome = HPA_RESCALE_FAILED;
  in.rescale_error = "deployments.apps \"x\" not found";
  cr_assert_eq(hpa_reconcile(&in, a, &r, &err), 0);
  const hpa_condition *able = hpa_result_condition(&r, HPA_COND_ABLE_TO_SCALE);
  cr_expect_eq(able->status, false);
  cr_expect_str_eq(able->reason, "FailedUpdateScale");
  cr_expect_str_eq(
      able->message,
      "the HPA controller was unable to update the target scale: deployments.apps \"x\" not found");
  cr_expect(!r.rescale);
  cr_expect(r.metrics_failed);
  cr_expect_eq(r.computed, 4);
  bool saw = false;
  for (size_t i = 0; i < r.n_events; i++)
    if (strcmp(r.events[i].reason, "FailedRescale") == 0) {
      saw = true;
      cr_expect_str_eq(
          r.events[i].message,
          "New size: 4; reason: pods metric m above target; error: deployments.apps \"x\" not found");
    }
  cr_expect(saw);

  /* A successful rescale with behavior records a scale event; recommendations
   * older than both windows are replaced in place rather than appended. */
  spec.has_behavior = true;
  hpa_spec_default_behavior(&spec);
  hpa_recommendation recs[2] = {{7, 0}, {3, 990}};
  in.recommendations = recs;
  in.n_recommendations = 2;
  in.outcome = HPA_RESCALE_ASSUME_OK;
  cr_assert_eq(hpa_reconcile(&in, a, &r, &err), 0);
  cr_expect_eq(r.desired_replicas, 4);
  cr_expect_eq(r.n_recommendations, 2);
  cr_expect_eq(r.recommendations[0].replicas, 4);
  cr_expect_eq(r.recommendations[0].time, 1000);
  cr_expect_eq(r.n_scale_events, 1);
  cr_expect_eq(r.scale_events[0].change, 2);
  sw_arena_free(a);
}
