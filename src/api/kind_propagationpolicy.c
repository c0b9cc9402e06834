/*
 * kind_propagationpolicy.c — Karmada's PropagationPolicy, served under
 * policy.karmada.io/v1alpha1 and ACK One's alias policy.one.alibabacloud.com.
 *
 * Role in the data flow: the fleet scheduler reads it to place a Deployment's
 * replicas: placement.clusterAffinities are the tiers (filled in order),
 * replicaScheduling says how replicas are divided inside a tier,
 * autoScaling.ecsProvision (ACK One) lets it count capacity that elastic
 * pools can still provision.
 *
 * Defaults as Karmada applies them: the CRD's (schedulerName
 * default-scheduler, priority 0, preemption Never, conflictResolution Abort,
 * replicaSchedulingType Divided) and the mutating webhook's
 * (resourceSelectors[].namespace = the policy's namespace; Divided without a
 * preference -> Weighted; spreadByField cluster and minGroups 1 for spread
 * constraints; application failover purgeMode Graciously with
 * gracePeriodSeconds 600). Never: I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

static const char *const scheduling_types[] = {"Duplicated", "Divided", NULL};
static const char *const division_prefs[] = {"Aggregated", "Weighted", NULL};
static const char *const dynamic_weights[] = {"AvailableReplicas", NULL};
static const char *const spread_fields[] = {"cluster", "region", "zone", "provider", NULL};
static const char *const preemptions[] = {"Always", "Never", NULL};
static const char *const conflict_resolutions[] = {"Abort", "Overwrite", NULL};
static const char *const activation[] = {"Lazy", NULL};
static const char *const purge_modes[] = {"Immediately", "Graciously", "Never", NULL};
static const char *const toleration_ops[] = {"Exists", "Equal", NULL};
static const char *const taint_effects[] = {"NoSchedule", "PreferNoSchedule", "NoExecute", NULL};
static const char *const field_ops[] = {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", NULL};

static const api_field f_resource_selector[] = {
    {.name = "apiVersion", .type = AT_STRING, .flags = AF_REQUIRED | AF_NONEMPTY},
    {.name = "kind", .type = AT_STRING, .flags = AF_REQUIRED | AF_NONEMPTY},
    {.name = "namespace", .type = AT_STRING},
    {.name = "name", .type = AT_STRING},
    {.name = "labelSelector", .type = AT_OBJECT, .fields = api_f_label_selector},
    {0},
};

static const api_field f_field_requirement[] = {
    {.name = "key", .type = AT_STRING, .flags = AF_REQUIRED},
    {.name = "operator", .type = AT_STRING, .flags = AF_REQUIRED, .enums = field_ops},
    {.name = "values", .type = AT_ARRAY, .elem = AT_STRING},
    {0},
};

static const api_field f_field_selector[] = {
    {.name = "matchExpressions", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = f_field_requirement},
    {0},
};

#define CLUSTER_AFFINITY_FIELDS                                                                              \
  {.name = "labelSelector", .type = AT_OBJECT, .fields = api_f_label_selector},                              \
      {.name = "fieldSelector", .type = AT_OBJECT, .fields = f_field_selector},                              \
      {.name = "clusterNames", .type = AT_ARRAY, .elem = AT_STRING, .flags = AF_NONEMPTY}, {                 \
    .name = "exclude", .type = AT_ARRAY, .elem = AT_STRING, .flags = AF_NONEMPTY                             \
  }

static const api_field f_cluster_affinity[] = {CLUSTER_AFFINITY_FIELDS, {0}};

static const api_field f_affinity_term[] = {
    {.name = "affinityName", .type = AT_STRING, .flags = AF_REQUIRED | AF_NONEMPTY},
    CLUSTER_AFFINITY_FIELDS,
    {0},
};

static const api_field f_toleration[] = {
    {.name = "key", .type = AT_STRING},
    {.name = "operator", .type = AT_STRING, .enums = toleration_ops},
    {.name = "value", .type = AT_STRING},
    {.name = "effect", .type = AT_STRING, .enums = taint_effects},
    {.name = "tolerationSeconds", .type = AT_INT, .flags = AF_INT64},
    {0},
};

static const api_field f_spread[] = {
    {.name = "spreadByField", .type = AT_STRING, .enums = spread_fields},
    {.name = "spreadByLabel", .type = AT_STRING},
    {.name = "maxGroups", .type = AT_INT, .flags = AF_NONNEG},
    {.name = "minGroups", .type = AT_INT, .flags = AF_NONNEG},
    {0},
};

static const api_field f_static_weight[] = {
    {.name = "targetCluster", .type = AT_OBJECT, .flags = AF_REQUIRED, .fields = f_cluster_affinity},
    /* Karmada's CRD: +kubebuilder:validation:Minimum=1 */
    {.name = "weight", .type = AT_INT, .flags = AF_REQUIRED | AF_POSITIVE | AF_INT64},
    {0},
};

static const api_field f_weight_pref[] = {
    {.name = "staticWeightList", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = f_static_weight},
    {.name = "dynamicWeight", .type = AT_STRING, .enums = dynamic_weights},
    {0},
};

static const api_field f_replica_scheduling[] = {
    {.name = "replicaSchedulingType", .type = AT_STRING, .enums = scheduling_types, .def = "\"Divided\""},
    {.name = "replicaDivisionPreference", .type = AT_STRING, .enums = division_prefs},
    {.name = "weightPreference", .type = AT_OBJECT, .fields = f_weight_pref},
    {0},
};

static const api_field f_placement[] = {
    {.name = "clusterAffinity", .type = AT_OBJECT, .fields = f_cluster_affinity},
    {.name = "clusterAffinities", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = f_affinity_term},
    {.name = "clusterTolerations", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = f_toleration},
    {.name = "spreadConstraints", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = f_spread},
    {.name = "replicaScheduling", .type = AT_OBJECT, .fields = f_replica_scheduling},
    {0},
};

static const api_field f_decision[] = {
    {.name = "tolerationSeconds", .type = AT_INT, .flags = AF_NONNEG, .def = "300"},
    {0},
};

static const api_field f_app_failover[] = {
    {.name = "preConditions", .type = AT_OBJECT},
    {.name = "decisionConditions", .type = AT_OBJECT, .fields = f_decision, .def = "{}"},
    {.name = "purgeMode", .type = AT_STRING, .enums = purge_modes, .def = "\"Graciously\""},
    {.name = "gracePeriodSeconds", .type = AT_INT, .flags = AF_POSITIVE},
    {.name = "blockPredecessorSeconds", .type = AT_INT, .flags = AF_NONNEG},
    {.name = "statePreservation", .type = AT_OBJECT},
    {0},
};

static const api_field f_failover[] = {
    {.name = "application", .type = AT_OBJECT, .fields = f_app_failover},
    {.name = "cluster", .type = AT_OBJECT},
    {0},
};

static const api_field f_suspension[] = {
    {.name = "dispatching", .type = AT_BOOL},
    {.name = "dispatchingOnClusters", .type = AT_OBJECT},
    {.name = "scheduling", .type = AT_BOOL},
    {0},
};

/* ACK One: inventory-aware scheduling provisions ECS instances for replicas
 * existing nodes cannot hold. */
static const api_field f_autoscaling[] = {
    {.name = "ecsProvision", .type = AT_BOOL},
    {0},
};

static const api_field f_spec[] = {
    {.name = "resourceSelectors",
     .type = AT_ARRAY,
     .flags = AF_REQUIRED | AF_NONEMPTY,
     .elem = AT_OBJECT,
     .fields = f_resource_selector},
    {.name = "association", .type = AT_BOOL},
    {.name = "propagateDeps", .type = AT_BOOL},
    {.name = "placement", .type = AT_OBJECT, .fields = f_placement},
    {.name = "priority", .type = AT_INT, .def = "0"},
    {.name = "preemption", .type = AT_STRING, .enums = preemptions, .def = "\"Never\""},
    {.name = "dependentOverrides", .type = AT_ARRAY, .elem = AT_STRING},
    {.name = "schedulerName", .type = AT_STRING, .def = "\"default-scheduler\""},
    {.name = "failover", .type = AT_OBJECT, .fields = f_failover},
    {.name = "conflictResolution", .type = AT_STRING, .enums = conflict_resolutions, .def = "\"Abort\""},
    {.name = "activationPreference", .type = AT_STRING, .enums = activation},
    {.name = "suspension", .type = AT_OBJECT, .fields = f_suspension},
    {.name = "preserveResourcesOnDeletion", .type = AT_BOOL},
    {.name = "autoScaling", .type = AT_OBJECT, .fields = f_autoscaling},
    {0},
};

static int semantic(api_ctx *c, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(spec, "resourceSelectors"), i, e) {
    const char *ns = api_str(e, "namespace");
    if ((!ns || !*ns) && c->ns) json_object_set_new(e, "namespace", json_string(c->ns));
  }
  json_t *pl = json_object_get(spec, "placement");
  if (json_object_get(pl, "clusterAffinity") && json_object_get(pl, "clusterAffinities"))
    return api_fail(c, "spec.placement.clusterAffinities",
                    "expected either clusterAffinity or clusterAffinities, not both");
  json_t *terms = json_object_get(pl, "clusterAffinities");
  json_array_foreach(terms, i, e) {
    const char *name = api_str(e, "affinityName");
    char p[128];
    snprintf(p, sizeof p, "spec.placement.clusterAffinities[%zu].affinityName", i);
    if (name && strlen(name) > 32)
      return api_fail(c, p, "expected at most 32 characters, got %zu", strlen(name));
    for (size_t j = 0; j < i; j++)
      if (sw_streq(api_str(json_array_get(terms, j), "affinityName"), name))
        return api_fail(c, p, "expected a name unique among the clusterAffinities, got \"%s\" twice", name);
  }
  json_array_foreach(json_object_get(pl, "spreadConstraints"), i, e) {
    char p[128];
    snprintf(p, sizeof p, "spec.placement.spreadConstraints[%zu]", i);
    bool by_field = json_object_get(e, "spreadByField") != NULL,
         by_label = json_object_get(e, "spreadByLabel") != NULL;
    if (by_field && by_label) return api_fail(c, p, "expected spreadByField or spreadByLabel, not both");
    if (!by_field && !by_label) json_object_set_new(e, "spreadByField", json_string("cluster"));
    long long minG = 0, maxG = 0;
    if (!api_intp(e, "minGroups", &minG) || minG == 0)
      json_object_set_new(e, "minGroups", json_integer(1)), minG = 1;
    if (api_intp(e, "maxGroups", &maxG) && maxG > 0 && maxG < minG)
      return api_fail(c, p, "expected maxGroups (%lld) >= minGroups (%lld)", maxG, minG);
  }
  json_t *rs = json_object_get(pl, "replicaScheduling");
  if (sw_streq(api_str(rs, "replicaSchedulingType"), "Divided") &&
      !json_object_get(rs, "replicaDivisionPreference"))
    json_object_set_new(rs, "replicaDivisionPreference", json_string("Weighted"));
  json_t *app = api_getp(spec, "failover.application");
  if (app && sw_streq(api_str(app, "purgeMode"), "Graciously") && !json_object_get(app, "gracePeriodSeconds"))
    json_object_set_new(app, "gracePeriodSeconds", json_integer(600));
  return 0;
}

static const char *const columns[] = {"NAME", "AGE", NULL};
static const char *const wide_columns[] = {"TIERS", NULL};

static void row(api_row *r, const json_t *obj, double now, bool wide) {
  char age[32];
  api_age(obj, now, age, sizeof age);
  const char *name = api_strp(obj, "metadata.name");
  api_row_add(r, "%s", name ? name : "");
  api_row_add(r, "%s", age);
  if (wide) {
    sw_buf b;
    sw_buf_init(&b);
    size_t i;
    json_t *t;
    json_array_foreach(api_getp(obj, "spec.placement.clusterAffinities"), i, t) {
      const char *n = api_str(t, "affinityName");
      sw_buf_printf(&b, "%s%s", i ? "," : "", n ? n : "");
    }
    api_row_add(r, "%s", b.data ? b.data : "<none>");
    sw_buf_free(&b);
  }
}

const api_kind_def api_kind_propagationpolicy = {
    .k = {.kind = "PropagationPolicy",
          .plural = "propagationpolicies",
          .short_names = {"pp"},
          .group = "policy.karmada.io",
          .version = "v1alpha1",
          .alt_groups = {"policy.one.alibabacloud.com"},
          .namespaced = true},
    .spec = f_spec,
    .spec_required = true,
    .semantic = semantic,
    .columns = columns,
    .wide_columns = wide_columns,
    .row = row,
};
