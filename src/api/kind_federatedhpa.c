/*
 * kind_federatedhpa.c — Karmada's FederatedHPA (autoscaling.karmada.io and
 * ACK One's autoscaling.one.alibabacloud.com, v1alpha1) and Kubernetes'
 * autoscaling/v2 HorizontalPodAutoscaler. They share one spec: Karmada's
 * FederatedHPASpec is the HPA spec, and Karmada lifts the HPA defaulters.
 *
 * Defaults (SetDefaults_HorizontalPodAutoscaler): minReplicas 1; no metrics
 * -> CPU Utilization 80 %; a behavior that is given gets every unset field
 * filled (GenerateHPAScaleUpRules: window 0, Max, [Pods 4/15s, Percent
 * 100/15s]; GenerateHPAScaleDownRules: window left unset so the controller's
 * 300 s applies, Max, [Percent 100/15s]). Checks follow
 * ValidateHorizontalPodAutoscalerSpec: min <= max, one metric source per
 * metric matching its type, target type allowed for the source, positive
 * targets, policies with positive values and periods of 1..1800 s.
 *
 * Role in the data flow: the autoscaler reads spec and writes the autoscaling/v2
 * status shape; `get`/`describe` print it like kubectl. Never: I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

static const char *const metric_types[] = {"Object",   "Pods", "Resource", "ContainerResource",
                                           "External", NULL};
static const char *const target_types[] = {"Utilization", "Value", "AverageValue", NULL};
static const char *const select_policies[] = {"Max", "Min", "Disabled", NULL};
static const char *const policy_types[] = {"Pods", "Percent", NULL};

static const api_field f_scale_ref[] = {
    {.name = "apiVersion", .type = AT_STRING},
    {.name = "kind", .type = AT_STRING, .flags = AF_REQUIRED | AF_NONEMPTY},
    {.name = "name", .type = AT_STRING, .flags = AF_REQUIRED | AF_NONEMPTY},
    {0},
};

static const api_field f_metric_id[] = {
    {.name = "name", .type = AT_STRING, .flags = AF_REQUIRED | AF_NONEMPTY},
    {.name = "selector", .type = AT_OBJECT, .fields = api_f_label_selector},
    {0},
};

static const api_field f_target[] = {
    {.name = "type", .type = AT_STRING, .flags = AF_REQUIRED, .enums = target_types},
    {.name = "value", .type = AT_QUANTITY, .flags = AF_POSITIVE},
    {.name = "averageValue", .type = AT_QUANTITY, .flags = AF_POSITIVE},
    {.name = "averageUtilization", .type = AT_INT, .flags = AF_POSITIVE},
    {0},
};

static const api_field f_object_ref[] = {
    {.name = "apiVersion", .type = AT_STRING},
    {.name = "kind", .type = AT_STRING, .flags = AF_REQUIRED},
    {.name = "name", .type = AT_STRING, .flags = AF_REQUIRED},
    {0},
};

static const api_field f_object_src[] = {
    {.name = "describedObject", .type = AT_OBJECT, .flags = AF_REQUIRED, .fields = f_object_ref},
    {.name = "metric", .type = AT_OBJECT, .flags = AF_REQUIRED, .fields = f_metric_id},
    {.name = "target", .type = AT_OBJECT, .flags = AF_REQUIRED, .fields = f_target},
    {0},
};

static const api_field f_pods_src[] = {
    {.name = "metric", .type = AT_OBJECT, .flags = AF_REQUIRED, .fields = f_metric_id},
    {.name = "target", .type = AT_OBJECT, .flags = AF_REQUIRED, .fields = f_target},
    {0},
};

static const api_field f_resource_src[] = {
    {.name = "name", .type = AT_STRING, .flags = AF_REQUIRED | AF_NONEMPTY},
    {.name = "target", .type = AT_OBJECT, .flags = AF_REQUIRED, .fields = f_target},
    {0},
};

static const api_field f_container_resource_src[] = {
    {.name = "name", .type = AT_STRING, .flags = AF_REQUIRED | AF_NONEMPTY},
    {.name = "container", .type = AT_STRING, .flags = AF_REQUIRED | AF_NONEMPTY},
    {.name = "target", .type = AT_OBJECT, .flags = AF_REQUIRED, .fields = f_target},
    {0},
};

static const api_field f_metric[] = {
    {.name = "type", .type = AT_STRING, .flags = AF_REQUIRED, .enums = metric_types},
    {.name = "object", .type = AT_OBJECT, .fields = f_object_src},
    {.name = "pods", .type = AT_OBJECT, .fields = f_pods_src},
    {.name = "resource", .type = AT_OBJECT, .fields = f_resource_src},
    {.name = "containerResource", .type = AT_OBJECT, .fields = f_container_resource_src},
    {.name = "external", .type = AT_OBJECT, .fields = f_pods_src},
    {0},
};

static const api_field f_policy[] = {
    {.name = "type", .type = AT_STRING, .flags = AF_REQUIRED, .enums = policy_types},
    {.name = "value", .type = AT_INT, .flags = AF_REQUIRED | AF_POSITIVE},
    {.name = "periodSeconds", .type = AT_INT, .flags = AF_REQUIRED | AF_RANGE, .min = 1, .max = 1800},
    {0},
};

static const api_field f_rules[] = {
    {.name = "stabilizationWindowSeconds", .type = AT_INT, .flags = AF_RANGE, .min = 0, .max = 3600},
    {.name = "selectPolicy", .type = AT_STRING, .enums = select_policies},
    {.name = "policies", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = f_policy},
    {.name = "tolerance", .type = AT_QUANTITY, .flags = AF_NONNEG},
    {0},
};

static const api_field f_behavior[] = {
    {.name = "scaleUp", .type = AT_OBJECT, .fields = f_rules},
    {.name = "scaleDown", .type = AT_OBJECT, .fields = f_rules},
    {0},
};

const api_field api_f_hpa_spec[] = {
    {.name = "scaleTargetRef", .type = AT_OBJECT, .flags = AF_REQUIRED, .fields = f_scale_ref},
    {.name = "minReplicas", .type = AT_INT, .flags = AF_POSITIVE, .def = "1"},
    {.name = "maxReplicas", .type = AT_INT, .flags = AF_REQUIRED | AF_POSITIVE},
    {.name = "metrics", .type = AT_ARRAY, .elem = AT_OBJECT, .fields = f_metric},
    {.name = "behavior", .type = AT_OBJECT, .fields = f_behavior},
    {0},
};

static json_t *policy(const char *type, int value, int period) {
  return json_pack("{s:s, s:i, s:i}", "type", type, "value", value, "periodSeconds", period);
}

/* copyHPAScalingRules over the defaults: only unset fields are filled. */
static void fill_rules(json_t *behavior, const char *dir, bool up) {
  json_t *r = json_object_get(behavior, dir);
  if (!r) {
    r = json_object();
    json_object_set_new(behavior, dir, r);
  }
  if (up && !json_object_get(r, "stabilizationWindowSeconds"))
    json_object_set_new(r, "stabilizationWindowSeconds", json_integer(0));
  if (!json_object_get(r, "selectPolicy")) json_object_set_new(r, "selectPolicy", json_string("Max"));
  if (!json_object_get(r, "policies")) {
    json_t *p = json_array();
    if (up) json_array_append_new(p, policy("Pods", 4, 15));
    json_array_append_new(p, policy("Percent", 100, 15));
    json_object_set_new(r, "policies", p);
  }
}

static const char *source_member(const char *type) {
  if (sw_streq(type, "Object")) return "object";
  if (sw_streq(type, "Pods")) return "pods";
  if (sw_streq(type, "Resource")) return "resource";
  if (sw_streq(type, "ContainerResource")) return "containerResource";
  if (sw_streq(type, "External")) return "external";
  return NULL;
}

static int check_metric(api_ctx *c, json_t *m, size_t i) {
  static const char *const members[] = {"object", "pods", "resource", "containerResource", "external"};
  const char *type = api_str(m, "type");
  const char *want = source_member(type);
  char p[160];
  snprintf(p, sizeof p, "spec.metrics[%zu]", i);
  for (size_t k = 0; k < 5; k++) {
    if (strcmp(members[k], want) != 0 && json_object_get(m, members[k])) {
      char q[200];
      snprintf(q, sizeof q, "%s.%s", p, members[k]);
      return api_fail(c, q, "expected only the %s source for a metric of type %s", want, type);
    }
  }
  json_t *src = json_object_get(m, want);
  if (!src) {
    char q[200];
    snprintf(q, sizeof q, "%s.%s", p, want);
    return api_fail(c, q, "required field is missing (a metric of type %s needs its %s source)", type, want);
  }
  json_t *t = json_object_get(src, "target");
  const char *tt = api_str(t, "type");
  char tp[220];
  snprintf(tp, sizeof tp, "%s.%s.target", p, want);
  /* Which target types each source accepts (validateMetricTarget and the
   * per-source checks of ValidateHorizontalPodAutoscaler). */
  bool resource = sw_streq(type, "Resource") || sw_streq(type, "ContainerResource");
  bool ok = (sw_streq(tt, "Utilization") && resource) || (sw_streq(tt, "AverageValue")) ||
            (sw_streq(tt, "Value") && (sw_streq(type, "Object") || sw_streq(type, "External")));
  if (!ok) {
    const char *allowed = resource                 ? "Utilization or AverageValue"
                          : sw_streq(type, "Pods") ? "AverageValue"
                                                   : "Value or AverageValue";
    char q[240];
    snprintf(q, sizeof q, "%s.type", tp);
    return api_fail(c, q, "expected %s for a %s metric, got \"%s\"", allowed, type, tt ? tt : "");
  }
  const char *need = sw_streq(tt, "Utilization") ? "averageUtilization"
                     : sw_streq(tt, "Value")     ? "value"
                                                 : "averageValue";
  if (!json_object_get(t, need)) {
    char q[240];
    snprintf(q, sizeof q, "%s.%s", tp, need);
    return api_fail(c, q, "required field is missing (target type %s needs %s)", tt, need);
  }
  return 0;
}

int api_hpa_semantic(api_ctx *c, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  long long mn = 1, mx = 0;
  api_intp(spec, "minReplicas", &mn);
  api_intp(spec, "maxReplicas", &mx);
  if (mn > mx)
    return api_fail(c, "spec.minReplicas", "expected a value <= spec.maxReplicas (%lld), got %lld", mx, mn);
  json_t *metrics = json_object_get(spec, "metrics");
  if (json_array_size(metrics) == 0) {
    json_object_set_new(spec, "metrics",
                        json_pack("[{s:s, s:{s:s, s:{s:s, s:i}}}]", "type", "Resource", "resource", "name",
                                  "cpu", "target", "type", "Utilization", "averageUtilization", 80));
    metrics = json_object_get(spec, "metrics");
  }
  size_t i;
  json_t *m;
  json_array_foreach(metrics, i, m) {
    int rc = check_metric(c, m, i);
    if (rc) return rc;
  }
  json_t *behavior = json_object_get(spec, "behavior");
  if (behavior) {
    fill_rules(behavior, "scaleUp", true);
    fill_rules(behavior, "scaleDown", false);
    static const char *const dirs[] = {"scaleUp", "scaleDown"};
    for (int d = 0; d < 2; d++) {
      json_t *r = json_object_get(behavior, dirs[d]);
      if (json_array_size(json_object_get(r, "policies")) == 0) {
        char p[96];
        snprintf(p, sizeof p, "spec.behavior.%s.policies", dirs[d]);
        return api_fail(c, p, "expected at least one policy");
      }
    }
  }
  return 0;
}

/* ---- printing ----------------------------------------------------------------------- */

static void qty(const json_t *v, char *buf, size_t n, const char *missing) {
  double d;
  if (!v || api_quantity_from_json(v, &d) != 0)
    snprintf(buf, n, "%s", missing);
  else
    api_quantity_format(d, buf, n);
}

/* kubectl's formatHPAMetrics: "current/target" per metric, statuses matched
 * by position, at most two shown. */
static void format_targets(const json_t *obj, sw_buf *b) {
  json_t *specs = api_getp(obj, "spec.metrics"), *stats = api_getp(obj, "status.currentMetrics");
  size_t n = json_array_size(specs);
  if (n == 0) {
    sw_buf_puts(b, "<none>");
    return;
  }
  for (size_t i = 0; i < n && i < 2; i++) {
    json_t *s = json_array_get(specs, i), *st = json_array_get(stats, i);
    const char *type = api_str(s, "type");
    const char *member = source_member(type);
    json_t *src = member ? json_object_get(s, member) : NULL,
           *cur = member ? json_object_get(st, member) : NULL;
    json_t *t = json_object_get(src, "target"), *cv = json_object_get(cur, "current");
    char c[64], tv[64], item[160];
    if (!member)
      snprintf(item, sizeof item, "<unknown type>");
    else if (sw_streq(api_str(t, "type"), "Utilization")) {
      json_t *cu = json_object_get(cv, "averageUtilization"), *tu = json_object_get(t, "averageUtilization");
      if (json_is_integer(cu))
        snprintf(c, sizeof c, "%lld%%", (long long)json_integer_value(cu));
      else
        snprintf(c, sizeof c, "<unknown>");
      if (json_is_integer(tu))
        snprintf(tv, sizeof tv, "%lld%%", (long long)json_integer_value(tu));
      else
        snprintf(tv, sizeof tv, "<auto>");
      snprintf(item, sizeof item, "%s/%s", c, tv);
    } else if (json_object_get(t, "averageValue")) {
      qty(json_object_get(cv, "averageValue"), c, sizeof c, "<unknown>");
      qty(json_object_get(t, "averageValue"), tv, sizeof tv, "<unknown>");
      bool avg = sw_streq(type, "Object") || sw_streq(type, "External");
      snprintf(item, sizeof item, "%s/%s%s", c, tv, avg ? " (avg)" : "");
    } else {
      qty(json_object_get(cv, "value"), c, sizeof c, "<unknown>");
      qty(json_object_get(t, "value"), tv, sizeof tv, "<unknown>");
      snprintf(item, sizeof item, "%s/%s", c, tv);
    }
    sw_buf_printf(b, "%s%s", i ? ", " : "", item);
  }
  if (n > 2) sw_buf_printf(b, " + %zu more...", n - 2);
}

static const char *const fhpa_columns[] = {"NAME",     "REFERENCE", "MINPODS", "MAXPODS",
                                           "REPLICAS", "AGE",       NULL};
static const char *const hpa_columns[] = {"NAME",    "REFERENCE", "TARGETS", "MINPODS",
                                          "MAXPODS", "REPLICAS",  "AGE",     NULL};

static void row_common(api_row *r, const json_t *obj, double now, bool targets, bool empty_replicas) {
  char ref[256], age[32];
  api_ref_string(api_getp(obj, "spec.scaleTargetRef"), ref, sizeof ref);
  api_age(obj, now, age, sizeof age);
  const char *name = api_strp(obj, "metadata.name");
  api_row_add(r, "%s", name ? name : "");
  api_row_add(r, "%s", ref);
  if (targets) {
    sw_buf b;
    sw_buf_init(&b);
    format_targets(obj, &b);
    api_row_add(r, "%s", b.data);
    sw_buf_free(&b);
  }
  long long mn = 1, mx = 0, cur = 0;
  if (api_intp(obj, "spec.minReplicas", &mn))
    api_row_add(r, "%lld", mn);
  else
    api_row_add(r, "<unset>");
  api_intp(obj, "spec.maxReplicas", &mx);
  api_row_add(r, "%lld", mx);
  /* The seed's FAQ: REPLICAS stays empty while the FederatedHPA has not
   * matched its target (no status.currentReplicas yet). */
  if (api_intp(obj, "status.currentReplicas", &cur))
    api_row_add(r, "%lld", cur);
  else if (empty_replicas)
    api_row_add(r, "%s", "");
  else
    api_row_add(r, "0");
  api_row_add(r, "%s", age);
}

static void fhpa_row(api_row *r, const json_t *obj, double now, bool wide) {
  row_common(r, obj, now, false, true);
}
static void hpa_row(api_row *r, const json_t *obj, double now, bool wide) {
  row_common(r, obj, now, true, false);
}

static void describe_metric_targets(api_tw *tw, const json_t *obj) {
  json_t *specs = api_getp(obj, "spec.metrics"), *stats = api_getp(obj, "status.currentMetrics");
  api_tw_printf(tw, "Metrics:\t( current / target )\n");
  size_t i;
  json_t *s;
  json_array_foreach(specs, i, s) {
    const char *type = api_str(s, "type");
    const char *member = source_member(type);
    if (!member) continue;
    json_t *src = json_object_get(s, member), *st = json_array_get(stats, i);
    json_t *t = json_object_get(src, "target"), *cv = json_object_get(json_object_get(st, member), "current");
    char c[160], tv[64];
    const char *tt = api_str(t, "type");
    if (sw_streq(tt, "Utilization")) {
      json_t *cu = json_object_get(cv, "averageUtilization");
      long long tu = 0;
      api_intp(t, "averageUtilization", &tu);
      if (json_is_integer(cu)) {
        qty(json_object_get(cv, "averageValue"), tv, sizeof tv, "");
        if (*tv)
          snprintf(c, sizeof c, "%lld%% (%s)", (long long)json_integer_value(cu), tv);
        else
          snprintf(c, sizeof c, "%lld%%", (long long)json_integer_value(cu));
      } else {
        snprintf(c, sizeof c, "<unknown>");
      }
      snprintf(tv, sizeof tv, "%lld%%", tu);
    } else {
      const char *field = sw_streq(tt, "Value") ? "value" : "averageValue";
      qty(json_object_get(cv, field), c, sizeof c, "<unknown>");
      qty(json_object_get(t, field), tv, sizeof tv, "<unknown>");
    }
    const char *mname = api_strp(src, "metric.name");
    if (sw_streq(type, "Pods"))
      api_tw_printf(tw, "  \"%s\" on pods:\t%s / %s\n", mname ? mname : "", c, tv);
    else if (sw_streq(type, "External"))
      api_tw_printf(tw, "  \"%s\" (target %s):\t%s / %s\n", mname ? mname : "",
                    sw_streq(tt, "Value") ? "value" : "average value", c, tv);
    else if (sw_streq(type, "Object")) {
      char ref[200];
      api_ref_string(json_object_get(src, "describedObject"), ref, sizeof ref);
      api_tw_printf(tw, "  \"%s\" on %s (target %s):\t%s / %s\n", mname ? mname : "", ref,
                    sw_streq(tt, "Value") ? "value" : "average value", c, tv);
    } else {
      const char *rn = api_str(src, "name");
      const char *ctr = api_str(src, "container");
      if (sw_streq(tt, "Utilization"))
        api_tw_printf(tw, "  resource %s%s%s on pods  (as a percentage of request):\t%s / %s\n", rn ? rn : "",
                      ctr ? " of container " : "", ctr ? ctr : "", c, tv);
      else
        api_tw_printf(tw, "  resource %s%s%s on pods:\t%s / %s\n", rn ? rn : "", ctr ? " of container " : "",
                      ctr ? ctr : "", c, tv);
    }
  }
}

static void describe_direction(api_tw *tw, const char *label, const json_t *r) {
  if (!r) return;
  api_tw_printf(tw, "  %s:\n", label);
  long long w;
  if (api_intp(r, "stabilizationWindowSeconds", &w))
    api_tw_printf(tw, "    Stabilization Window: %lld seconds\n", w);
  json_t *pols = json_object_get(r, "policies");
  if (json_array_size(pols)) {
    const char *sp = api_str(r, "selectPolicy");
    api_tw_printf(tw, "    Select Policy: %s\n    Policies:\n", sp ? sp : "Max");
    size_t i;
    json_t *p;
    json_array_foreach(pols, i, p) {
      long long v = 0, per = 0;
      api_intp(p, "value", &v);
      api_intp(p, "periodSeconds", &per);
      const char *t = api_str(p, "type");
      api_tw_printf(tw, "      - Type: %s\tValue: %lld\tPeriod: %lld seconds\n", t ? t : "", v, per);
    }
  }
}

static void describe(sw_buf *out, const json_t *obj, const json_t *related, double now) {
  api_tw tw;
  api_tw_init(&tw, 0, 2);
  api_describe_meta(&tw, obj, true);
  json_t *spec = json_object_get(obj, "spec"), *status = json_object_get(obj, "status");
  char ref[256];
  api_ref_string(json_object_get(spec, "scaleTargetRef"), ref, sizeof ref);
  api_tw_printf(&tw, "Reference:\t%s\n", ref);
  describe_metric_targets(&tw, obj);
  long long mn = 1, mx = 0;
  api_intp(spec, "minReplicas", &mn);
  api_intp(spec, "maxReplicas", &mx);
  api_tw_printf(&tw, "Min replicas:\t%lld\n", mn);
  api_tw_printf(&tw, "Max replicas:\t%lld\n", mx);
  json_t *behavior = json_object_get(spec, "behavior");
  if (behavior) {
    api_tw_printf(&tw, "Behavior:\n");
    describe_direction(&tw, "Scale Up", json_object_get(behavior, "scaleUp"));
    describe_direction(&tw, "Scale Down", json_object_get(behavior, "scaleDown"));
  }
  /* The status as the seed shows it (the FederatedHPA status printed the
   * way kubectl's generic describe prints it): Current Metrics, one
   * "Key:  value" per line, then Current/Desired Replicas. */
  api_tw_flush(&tw, out);
  json_t *cm = json_object_get(status, "currentMetrics");
  if (json_array_size(cm)) {
    api_tw_printf(&tw, "Current Metrics:\n");
    size_t i;
    json_t *m;
    json_array_foreach(cm, i, m) api_describe_generic(&tw, m, 1);
    api_tw_flush_lines(&tw, out);
  }
  long long cur, des;
  if (api_intp(status, "currentReplicas", &cur)) api_tw_printf(&tw, "Current Replicas:\t%lld\n", cur);
  if (api_intp(status, "desiredReplicas", &des)) api_tw_printf(&tw, "Desired Replicas:\t%lld\n", des);
  const char *lst = api_str(status, "lastScaleTime");
  if (lst) api_tw_printf(&tw, "Last Scale Time:\t%s\n", lst);
  json_t *props = json_object_get(status, "metricProposals");
  const char *limited = api_str(status, "limitedBy");
  if (json_array_size(props) || limited) {
    api_tw_printf(&tw, "Proposals:\n");
    if (json_array_size(props)) {
      api_tw_printf(&tw, "  Metric\tCurrent\tProposed Replicas\n  ------\t-------\t-----------------\n");
      size_t i;
      json_t *p;
      json_array_foreach(props, i, p) {
        char c[64];
        qty(json_object_get(p, "current"), c, sizeof c, "<unknown>");
        long long pr = 0;
        const char *n = api_str(p, "name");
        if (api_intp(p, "proposedReplicas", &pr))
          api_tw_printf(&tw, "  %s\t%s\t%lld\n", n ? n : "", c, pr);
        else
          api_tw_printf(&tw, "  %s\t%s\t<none>\n", n ? n : "", c);
      }
    }
    if (limited) api_tw_printf(&tw, "  Limited By:  %s\n", limited);
  }
  api_describe_conditions(&tw, json_object_get(status, "conditions"), true);
  api_tw_flush(&tw, out);
  api_tw_free(&tw);
  api_describe_events(out, related, now);
}

const api_kind_def api_kind_federatedhpa = {
    .k = {.kind = "FederatedHPA",
          .plural = "federatedhpas",
          .short_names = {"fhpa"},
          .group = "autoscaling.karmada.io",
          .version = "v1alpha1",
          .alt_groups = {"autoscaling.one.alibabacloud.com"},
          .namespaced = true},
    .spec = api_f_hpa_spec,
    .spec_required = true,
    .semantic = api_hpa_semantic,
    .columns = fhpa_columns,
    .row = fhpa_row,
    .describe = describe,
};

const api_kind_def api_kind_hpa = {
    .k = {.kind = "HorizontalPodAutoscaler",
          .plural = "horizontalpodautoscalers",
          .short_names = {"hpa"},
          .group = "autoscaling",
          .version = "v2",
          .namespaced = true},
    .spec = api_f_hpa_spec,
    .spec_required = true,
    .semantic = api_hpa_semantic,
    .columns = hpa_columns,
    .row = hpa_row,
    .describe = describe,
};
