/* Unit tests for src/api/print.c and the kinds' rows and describe text:
 * golden strings in kubectl's layout (Go tabwriter alignment). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_internal.h"

/* 2026-01-01T00:00:00Z + 10 minutes */
static const double NOW = 1767225600.0 + 600;

static json_t *load(const char *yaml) {
  json_t *out = NULL;
  sw_err err = {0};
  int rc = api_decode_manifests("t.yaml", yaml, strlen(yaml), NULL, &out, NULL, &err);
  cr_assert_eq(rc, 0, "%s\n%s", err.msg, yaml);
  return out;
}

static void assert_text(const char *got, const char *want) {
  cr_assert(strcmp(got, want) == 0, "got:\n%s\nwant:\n%s", got, want);
}

#define FHPA                                                                                                 \
  "apiVersion: autoscaling.one.alibabacloud.com/v1alpha1\nkind: FederatedHPA\nmetadata:\n  name: "           \
  "vllm-fhpa\n"                                                                                              \
  "  namespace: test\n  creationTimestamp: \"2026-01-01T00:00:00Z\"\nspec:\n"                                \
  "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: qwen3}\n  minReplicas: 1\n"               \
  "  maxReplicas: 10\n  behavior:\n    scaleDown: {stabilizationWindowSeconds: 30}\n"                        \
  "    scaleUp: {stabilizationWindowSeconds: 10}\n  metrics:\n  - type: Pods\n    pods:\n"                   \
  "      metric: {name: num_requests_waiting}\n      target: {type: AverageValue, averageValue: 5}\n"        \
  "  - type: Pods\n    pods:\n      metric: {name: num_requests_running}\n"                                  \
  "      target: {type: AverageValue, averageValue: 10}\n"

#define FHPA_STATUS                                                                                          \
  "status:\n  currentReplicas: 2\n  desiredReplicas: 3\n  currentMetrics:\n  - type: Pods\n    pods:\n"      \
  "      metric: {name: num_requests_waiting}\n      current: {averageValue: \"0\"}\n  - type: Pods\n"       \
  "    pods:\n      metric: {name: num_requests_running}\n      current: {averageValue: \"58\"}\n"           \
  "  conditions:\n  - type: AbleToScale\n    status: \"True\"\n    reason: ReadyForNewScale\n"               \
  "    message: recommended size matches current size\n"

Test(api_print, get_fhpa_without_status_leaves_replicas_empty) {
  json_t *objs = load(FHPA);
  char *t = api_table(api_kind_lookup("fhpa"), objs, false, NOW);
  assert_text(t, "NAME        REFERENCE          MINPODS   MAXPODS   REPLICAS   AGE\n"
                 "vllm-fhpa   Deployment/qwen3   1         10                   10m\n");
  free(t);
  json_decref(objs);
}

Test(api_print, get_fhpa_with_status) {
  json_t *objs = load(FHPA FHPA_STATUS);
  char *t = api_table(api_kind_lookup("fhpa"), objs, false, NOW);
  assert_text(t, "NAME        REFERENCE          MINPODS   MAXPODS   REPLICAS   AGE\n"
                 "vllm-fhpa   Deployment/qwen3   1         10        2          10m\n");
  free(t);
  json_decref(objs);
}

Test(api_print, describe_fhpa_matches_the_seed) {
  json_t *objs = load(FHPA FHPA_STATUS);
  char *t = api_describe(api_kind_lookup("fhpa"), json_array_get(objs, 0), NULL, NOW);
  assert_text(t, "Name:                              vllm-fhpa\n"
                 "Namespace:                         test\n"
                 "Labels:                            <none>\n"
                 "Annotations:                       <none>\n"
                 "CreationTimestamp:                 Thu, 01 Jan 2026 00:00:00 +0000\n"
                 "Reference:                         Deployment/qwen3\n"
                 "Metrics:                           ( current / target )\n"
                 "  \"num_requests_waiting\" on pods:  0 / 5\n"
                 "  \"num_requests_running\" on pods:  58 / 10\n"
                 "Min replicas:                      1\n"
                 "Max replicas:                      10\n"
                 "Behavior:\n"
                 "  Scale Up:\n"
                 "    Stabilization Window: 10 seconds\n"
                 "    Select Policy: Max\n"
                 "    Policies:\n"
                 "      - Type: Pods     Value: 4    Period: 15 seconds\n"
                 "      - Type: Percent  Value: 100  Period: 15 seconds\n"
                 "  Scale Down:\n"
                 "    Stabilization Window: 30 seconds\n"
                 "    Select Policy: Max\n"
                 "    Policies:\n"
                 "      - Type: Percent  Value: 100  Period: 15 seconds\n"
                 "Current Metrics:\n"
                 "  Pods:\n"
                 "    Current:\n"
                 "      Average Value:  0\n"
                 "    Metric:\n"
                 "      Name:  num_requests_waiting\n"
                 "  Type:  Pods\n"
                 "  Pods:\n"
                 "    Current:\n"
                 "      Average Value:  58\n"
                 "    Metric:\n"
                 "      Name:  num_requests_running\n"
                 "  Type:  Pods\n"
                 "Current Replicas:  2\n"
                 "Desired Replicas:  3\n"
                 "Conditions:\n"
                 "  Type         Status  Reason            Message\n"
                 "  ----         ------  ------            -------\n"
                 "  AbleToScale  True    ReadyForNewScale  recommended size matches current size\n"
                 "Events:  <none>\n");
  free(t);
  json_decref(objs);
}

Test(api_print, describe_fhpa_proposals_and_events) {
  json_t *objs =
      load(FHPA FHPA_STATUS "  metricProposals:\n  - {name: num_requests_waiting, current: \"0\", "
                            "proposedReplicas: 1}\n  - {name: num_requests_running, current: \"58\", "
                            "proposedReplicas: 12}\n  limitedBy: ScaleUpLimit\n");
  json_t *events =
      load("apiVersion: v1\nkind: Event\nmetadata: {name: e1, namespace: test}\n"
           "involvedObject: {kind: FederatedHPA, name: vllm-fhpa}\nreason: SuccessfulRescale\n"
           "message: \"New size: 3; reason: pods metric num_requests_running above target\"\n"
           "type: Normal\ncount: 2\nfirstTimestamp: \"2026-01-01T00:05:00Z\"\n"
           "lastTimestamp: \"2026-01-01T00:09:00Z\"\nsource: {component: federatedhpa-controller}\n");
  json_t *related = json_pack("{s:O}", "events", events);
  char *t = api_describe(api_kind_lookup("fhpa"), json_array_get(objs, 0), related, NOW);
  const char *want = "Proposals:\n"
                     "  Metric                Current  Proposed Replicas\n"
                     "  ------                -------  -----------------\n"
                     "  num_requests_waiting  0        1\n"
                     "  num_requests_running  58       12\n"
                     "  Limited By:  ScaleUpLimit\n";
  cr_assert(strstr(t, want), "%s", t);
  cr_assert(
      sw_has_suffix(t, "Events:\n"
                       "  Type    Reason             Age               From                     Message\n"
                       "  ----    ------             ----              ----                     -------\n"
                       "  Normal  SuccessfulRescale  60s (x2 over 5m)  federatedhpa-controller  New size: 3; "
                       "reason: pods metric num_requests_running above target\n"),
      "%s", t);
  free(t);
  json_decref(related);
  json_decref(events);
  json_decref(objs);
}

Test(api_print, get_hpa_targets_like_kubectl) {
  json_t *objs =
      load("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: qwen-chat\n"
           "  creationTimestamp: \"2026-01-01T00:00:00Z\"\nspec:\n"
           "  scaleTargetRef: {kind: Deployment, name: qwen-chat-predictor}\n  maxReplicas: 3\n"
           "  metrics:\n  - type: Pods\n    pods:\n      metric: {name: DCGM_CUSTOM_PROCESS_SM_UTIL}\n"
           "      target: {type: AverageValue, averageValue: 50}\n  - type: Resource\n"
           "    resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}\n"
           "status:\n  currentReplicas: 1\n  currentMetrics:\n  - type: Pods\n    pods:\n"
           "      metric: {name: DCGM_CUSTOM_PROCESS_SM_UTIL}\n      current: {averageValue: 58}\n"
           "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: new\n"
           "  creationTimestamp: \"2026-01-01T00:09:00Z\"\nspec:\n"
           "  scaleTargetRef: {kind: Deployment, name: x}\n  maxReplicas: 3\n  metrics:\n"
           "  - {type: Pods, pods: {metric: {name: a}, target: {type: AverageValue, averageValue: 500m}}}\n"
           "  - {type: Pods, pods: {metric: {name: b}, target: {type: AverageValue, averageValue: 1}}}\n"
           "  - {type: Pods, pods: {metric: {name: c}, target: {type: AverageValue, averageValue: 2}}}\n");
  char *t = api_table(api_kind_lookup("hpa"), objs, false, NOW);
  assert_text(
      t, "NAME        REFERENCE                        TARGETS                                   MINPODS   "
         "MAXPODS   REPLICAS   AGE\n"
         "qwen-chat   Deployment/qwen-chat-predictor   58/50, <unknown>/80%                      1         3 "
         "        1          10m\n"
         "new         Deployment/x                     <unknown>/500m, <unknown>/1 + 1 more...   1         3 "
         "        0          60s\n");
  free(t);
  json_decref(objs);
}

#define POD(name, created, extra)                                                                            \
  "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " name                                                      \
  "\n  namespace: test\n  creationTimestamp: \"" created "\"\n" extra

static const char *const PODS[] = {
    POD("qwen3-5d8f7c9b6a-x7k2p", "2026-01-01T00:05:00Z",
        "  labels: {app: qwen3, spillway.io/cluster: cluster1}\nspec:\n  nodeName: cluster1-onprem-0\n"
        "  containers: [{name: vllm, image: vllm, ports: [{containerPort: 8000}]}]\nstatus:\n  phase: "
        "Running\n"
        "  podIP: 127.0.0.1\n  portMap: {\"8000\": 41234}\n"
        "  containerStatuses: [{name: vllm, ready: true, restartCount: 0, state: {running: {}}}]\n"),
    POD("qwen3-5d8f7c9b6a-b9m4q", "2026-01-01T00:09:30Z",
        "  labels: {app: qwen3, spillway.io/cluster: cluster2}\nspec:\n  containers: [{name: vllm, image: "
        "vllm}]\n"
        "status:\n  phase: Pending\n"),
    POD("qwen3-5d8f7c9b6a-t2t2t", "2026-01-01T00:01:00Z",
        "  deletionTimestamp: \"2026-01-01T00:09:00Z\"\n  labels: {spillway.io/cluster: cluster2}\nspec:\n"
        "  nodeName: cluster2-elastic-1\n  containers: [{name: vllm, image: vllm, ports: [{containerPort: "
        "8000}]}]\n"
        "status:\n  phase: Running\n  podIP: 127.0.0.1\n  portMap: {\"8000\": 41250}\n"
        "  containerStatuses: [{name: vllm, ready: true, restartCount: 2, state: {running: {}}}]\n"),
    POD("qwen3-5d8f7c9b6a-c4c4c", "2026-01-01T00:02:00Z",
        "  labels: {spillway.io/cluster: cluster1}\nspec:\n  nodeName: cluster1-onprem-0\n"
        "  containers: [{name: vllm, image: vllm}]\nstatus:\n  phase: Running\n  containerStatuses: "
        "[{name: vllm, ready: false, restartCount: 5, state: {waiting: {reason: CrashLoopBackOff}}}]\n"),
};

Test(api_print, get_pods_wide) {
  sw_buf b;
  sw_buf_init(&b);
  for (size_t i = 0; i < sizeof PODS / sizeof PODS[0]; i++) sw_buf_printf(&b, "%s---\n", PODS[i]);
  json_t *objs = load(b.data);
  sw_buf_free(&b);
  char *t = api_table(api_kind_lookup("po"), objs, true, NOW);
  assert_text(
      t,
      "NAME                     READY   STATUS             RESTARTS   AGE   IP          NODE                 "
      "CLUSTER    POOL      ADDRESS\n"
      "qwen3-5d8f7c9b6a-x7k2p   1/1     Running            0          5m    127.0.0.1   cluster1-onprem-0    "
      "cluster1   onprem    127.0.0.1:41234\n"
      "qwen3-5d8f7c9b6a-b9m4q   0/1     Pending            0          30s   <none>      <none>               "
      "cluster2   <none>    <none>\n"
      "qwen3-5d8f7c9b6a-t2t2t   1/1     Terminating        2          9m    127.0.0.1   cluster2-elastic-1   "
      "cluster2   elastic   127.0.0.1:41250\n"
      "qwen3-5d8f7c9b6a-c4c4c   0/1     CrashLoopBackOff   5          8m    <none>      cluster1-onprem-0    "
      "cluster1   onprem    <none>\n");
  free(t);
  t = api_table(api_kind_lookup("po"), objs, false, NOW);
  cr_assert(sw_has_prefix(t, "NAME                     READY   STATUS             RESTARTS   AGE\n"), "%s",
            t);
  free(t);
  json_decref(objs);
}

Test(api_print, get_other_kinds) {
  json_t *d =
      load("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: qwen3, namespace: test, "
           "creationTimestamp: \"2026-01-01T00:00:00Z\"}\nspec:\n  replicas: 3\n  selector: {matchLabels: "
           "{app: qwen3}}\n  template:\n    metadata: {labels: {app: qwen3}}\n    spec: {containers: [{name: "
           "vllm, image: vllm:v1}]}\nstatus: {readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2}\n");
  char *t = api_table(api_kind_lookup("deploy"), d, true, NOW);
  assert_text(t, "NAME    READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES    SELECTOR\n"
                 "qwen3   2/3     3            2           10m   vllm         vllm:v1   app=qwen3\n");
  free(t);
  json_decref(d);

  json_t *c =
      load("apiVersion: spillway.io/v1alpha1\nkind: Cluster\nmetadata: {name: cluster2, creationTimestamp: "
           "\"2026-01-01T00:00:00Z\"}\nspec:\n  nodePools: [{name: gpu, nodes: 1}, {name: elastic, type: "
           "elastic, maxNodes: 4}]\nstatus:\n  conditions: [{type: Ready, status: \"True\"}]\n  pools:\n"
           "  - {name: gpu, nodes: 1, readyNodes: 1, gpus: 1, gpusAllocatable: 1, gpusUsed: 1}\n"
           "  - {name: elastic, nodes: 2, readyNodes: 1, gpus: 2, gpusAllocatable: 1, gpusUsed: 1, "
           "provisioning: 1}\n");
  t = api_table(api_kind_lookup("cluster"), c, false, NOW);
  assert_text(t, "NAME       DRIVER   READY   GPUS   ALLOCATABLE   USED   POOLS               AGE\n"
                 "cluster2   local    True    3      2             2      gpu(1),elastic(2)   10m\n");
  free(t);
  json_decref(c);

  json_t *rb =
      load("apiVersion: work.spillway.io/v1alpha1\nkind: ResourceBinding\nmetadata: {name: qwen3-deployment, "
           "namespace: test, creationTimestamp: \"2026-01-01T00:00:00Z\"}\nspec:\n  resource: {apiVersion: "
           "apps/v1, kind: Deployment, name: qwen3}\n  replicas: 3\n  clusters: [{name: cluster1, replicas: "
           "1}, {name: cluster2, replicas: 2}]\nstatus: {tier: low-priority, unscheduled: 0}\n");
  t = api_table(api_kind_lookup("rb"), rb, false, NOW);
  assert_text(t, "NAME               REPLICAS   CLUSTERS                TIER           UNSCHEDULED   AGE\n"
                 "qwen3-deployment   3          cluster1:1,cluster2:2   low-priority   0             10m\n");
  free(t);
  json_decref(rb);

  json_t *ev =
      load("apiVersion: v1\nkind: Event\nmetadata: {name: e1, namespace: test}\ninvolvedObject: {kind: "
           "Deployment, name: qwen3}\nreason: ScalingReplicaSet\nmessage: Scaled up to 2\ntype: Normal\n"
           "lastTimestamp: \"2026-01-01T00:08:00Z\"\n");
  t = api_table(api_kind_lookup("ev"), ev, false, NOW);
  assert_text(t, "LAST SEEN   TYPE     REASON              OBJECT             MESSAGE\n"
                 "2m          Normal   ScalingReplicaSet   deployment/qwen3   Scaled up to 2\n");
  free(t);
  json_decref(ev);

  json_t *empty = json_array();
  t = api_table(api_kind_lookup("po"), empty, false, NOW);
  assert_text(t, "");
  free(t);
  json_decref(empty);
}

Test(api_print, tabwriter_blocks) {
  api_tw tw;
  api_tw_init(&tw, 0, 2);
  api_tw_printf(&tw, "a:\t1\nlonger key:\t2\nbreak\nx:\t3\n  nested:\tv\tw\n");
  sw_buf out;
  sw_buf_init(&out);
  api_tw_flush(&tw, &out);
  assert_text(out.data, "a:           1\nlonger key:  2\nbreak\nx:         3\n  nested:  v  w\n");
  sw_buf_free(&out);
  api_tw_free(&tw);
  char label[64];
  static const struct {
    const char *in, *out;
  } labels[] = {{"averageValue", "Average Value"},       {"apiVersion", "API Version"},
                {"currentReplicas", "Current Replicas"}, {"type", "Type"},
                {"nvidia.com/gpu", "nvidia.com/gpu"},    {"podIP", "Pod IP"}};
  for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
    api_smart_label(labels[i].in, label, sizeof label);
    cr_assert_str_eq(label, labels[i].out);
  }
}

Test(api_print, describe_every_kind_does_not_crash) {
  static const char *const yamls[] = {
      "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n",
      "apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: p}\nspec:\n"
      "  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]\n",
      "apiVersion: scheduling.alibabacloud.com/v1alpha1\nkind: ResourcePolicy\nmetadata: {name: r}\nspec:\n"
      "  selector: {app: a}\n  units: [{resource: ecs, nodeSelector: {alibabacloud.com/nodepool-id: np1}}]\n",
      "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: q}\nspec:\n"
      "  predictor: {containers: [{image: vllm}]}\n",
      "apiVersion: spillway.io/v1alpha1\nkind: Cluster\nmetadata: {name: c}\nspec: {nodePools: [{name: "
      "a}]}\n",
      "apiVersion: v1\nkind: Node\nmetadata: {name: c-a-0}\n",
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i}]}\n",
      "apiVersion: v1\nkind: Event\nmetadata: {name: e}\ninvolvedObject: {kind: Pod, name: p}\n",
  };
  for (size_t i = 0; i < sizeof yamls / sizeof yamls[0]; i++) {
    json_t *objs = load(yamls[i]);
    json_t *o = json_array_get(objs, 0);
    const api_kind *k = api_kind_for(api_str(o, "apiVersion"), api_str(o, "kind"));
    char *t = api_describe(k, o, NULL, NOW);
    cr_assert(strstr(t, "Name:"), "%s", t);
    cr_assert(sw_has_suffix(t, "Events:  <none>\n"), "%s", t);
    free(t);
    t = api_table(k, objs, true, NOW);
    cr_assert(strchr(t, '\n'));
    free(t);
    json_decref(objs);
  }
}
