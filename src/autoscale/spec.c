/*
 * spec.c — decodes an autoscaler manifest's spec (Karmada / ACK One
 * FederatedHPA, autoscaling/v2 HorizontalPodAutoscaler: the same spec) into
 * the algorithm's hpa_spec, applying the API server's defaults.
 *
 * Role in the data flow: between JSON (the store, explain's input) and the pure
 * algorithm. Input may be untrusted (explain): every error names the JSON path
 * and what was expected; nothing aborts on bad input. Owns nothing: all output
 * is allocated from the caller's arena.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoscale/autoscale.h"

static char *path_join(sw_arena *a, const char *base, const char *key) {
  size_t n = strlen(base) + strlen(key) + 2;
  char *s = sw_arena_alloc(a, n);
  snprintf(s, n, "%s%s%s", base, *base ? "." : "", key);
  return s;
}

static char *path_index(sw_arena *a, const char *base, size_t i) {
  size_t n = strlen(base) + 24;
  char *s = sw_arena_alloc(a, n);
  snprintf(s, n, "%s[%zu]", base, i);
  return s;
}

/* A short rendering of a JSON value for "got ..." in messages. */
static void got_text(const json_t *v, char *buf, size_t n) {
  if (!v) {
    snprintf(buf, n, "nothing");
    return;
  }
  switch (json_typeof(v)) {
  case JSON_STRING:
    snprintf(buf, n, "\"%.60s\"", json_string_value(v));
    break;
  case JSON_INTEGER:
    snprintf(buf, n, "%lld", (long long)json_integer_value(v));
    break;
  case JSON_REAL:
    snprintf(buf, n, "%g", json_real_value(v));
    break;
  case JSON_TRUE:
    snprintf(buf, n, "true");
    break;
  case JSON_FALSE:
    snprintf(buf, n, "false");
    break;
  case JSON_NULL:
    snprintf(buf, n, "null");
    break;
  case JSON_OBJECT:
    snprintf(buf, n, "an object");
    break;
  case JSON_ARRAY:
    snprintf(buf, n, "an array");
    break;
  }
}

static int expected(sw_err *err, const char *path, const char *what, const json_t *v) {
  char got[96];
  got_text(v, got, sizeof got);
  return sw_err_set(err, SW_EINVAL, "%s: expected %s, got %s", path, what, got);
}

/* Optional int32 field: 0 absent, 1 present, <0 error. */
static int get_i32(const json_t *obj, const char *key, const char *path, sw_arena *a, int32_t lo, int32_t hi,
                   int32_t *out, sw_err *err) {
  const json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) return 0;
  double d;
  if (json_is_integer(v))
    d = (double)json_integer_value(v);
  else if (json_is_real(v) && floor(json_real_value(v)) == json_real_value(v))
    d = json_real_value(v);
  else {
    char what[96];
    snprintf(what, sizeof what, "an integer from %d to %d", lo, hi);
    return expected(err, path_join(a, path, key), what, v);
  }
  if (d < lo || d > hi) {
    char what[96];
    snprintf(what, sizeof what, "an integer from %d to %d", lo, hi);
    return expected(err, path_join(a, path, key), what, v);
  }
  *out = (int32_t)d;
  return 1;
}

/* A quantity: a string ("500m", "12Gi") or a JSON number. */
static int quantity_json(const json_t *v, int64_t *milli) {
  if (json_is_string(v)) return hpa_quantity_milli(json_string_value(v), milli);
  if (json_is_integer(v)) {
    json_int_t i = json_integer_value(v);
    if (i > INT64_MAX / 1000)
      *milli = INT64_MAX;
    else if (i < INT64_MIN / 1000)
      *milli = INT64_MIN;
    else
      *milli = (int64_t)i * 1000;
    return 0;
  }
  if (json_is_real(v)) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.15g", json_real_value(v));
    if (!strchr(buf, 'n') && !strchr(buf, 'N')) return hpa_quantity_milli(buf, milli); /* not nan/inf */
  }
  return -1;
}

static int get_quantity(const json_t *obj, const char *key, const char *path, sw_arena *a, int64_t *milli,
                        sw_err *err) {
  const json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) return 0;
  if (quantity_json(v, milli) != 0)
    return expected(err, path_join(a, path, key), "a quantity such as \"10\", \"500m\" or \"12Gi\"", v);
  return 1;
}

static int get_string(const json_t *obj, const char *key, const char *path, sw_arena *a, const char **out,
                      bool required, sw_err *err) {
  const json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) {
    if (required) return sw_err_set(err, SW_EINVAL, "%s: required field is missing", path_join(a, path, key));
    return 0;
  }
  if (!json_is_string(v)) return expected(err, path_join(a, path, key), "a string", v);
  *out = sw_arena_strdup(a, json_string_value(v));
  return 1;
}

static int get_object(const json_t *obj, const char *key, const char *path, sw_arena *a, const json_t **out,
                      bool required, sw_err *err) {
  *out = NULL;
  const json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) {
    if (required) return sw_err_set(err, SW_EINVAL, "%s: required field is missing", path_join(a, path, key));
    return 0;
  }
  if (!json_is_object(v)) return expected(err, path_join(a, path, key), "an object", v);
  *out = v;
  return 1;
}

/* ---- selector text ----------------------------------------------------------- */

static int cmp_str(const void *x, const void *y) {
  return strcmp(*(const char *const *)x, *(const char *const *)y);
}

const char *autoscale_selector_text(const json_t *sel, sw_arena *a) {
  if (!sel || !json_is_object(sel)) return "nil";
  sw_buf b;
  sw_buf_init(&b);
  /* The generated (*LabelSelector).String(): keys of MatchLabels sorted. */
  sw_buf_puts(&b, "&LabelSelector{MatchLabels:map[string]string{");
  const json_t *ml = json_object_get(sel, "matchLabels");
  if (json_is_object(ml)) {
    size_t n = json_object_size(ml), k = 0;
    const char **keys = sw_xcalloc(n + 1, sizeof *keys);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)ml, key, v) keys[k++] = key;
    qsort(keys, k, sizeof *keys, cmp_str);
    for (size_t i = 0; i < k; i++) {
      const json_t *val = json_object_get(ml, keys[i]);
      sw_buf_printf(&b, "%s: %s,", keys[i], json_is_string(val) ? json_string_value(val) : "");
    }
    free(keys);
  }
  sw_buf_puts(&b, "},MatchExpressions:[]LabelSelectorRequirement{");
  const json_t *me = json_object_get(sel, "matchExpressions");
  if (json_is_array(me)) {
    size_t i;
    const json_t *e;
    json_array_foreach(me, i, e) {
      const char *key = json_string_value(json_object_get(e, "key"));
      const char *op = json_string_value(json_object_get(e, "operator"));
      sw_buf_printf(&b, "LabelSelectorRequirement{Key:%s,Operator:%s,Values:[", key ? key : "", op ? op : "");
      const json_t *vals = json_object_get(e, "values");
      size_t j;
      const json_t *v;
      if (json_is_array(vals)) json_array_foreach(vals, j, v) {
          sw_buf_printf(&b, "%s%s", j ? " " : "", json_is_string(v) ? json_string_value(v) : "");
        }
      sw_buf_puts(&b, "],},");
    }
  }
  sw_buf_puts(&b, "},}");
  const char *s = sw_arena_strdup(a, b.data);
  sw_buf_free(&b);
  return s;
}

/* ---- metrics ------------------------------------------------------------------ */

static int decode_target(const json_t *src, const char *path, sw_arena *a, hpa_metric_spec *m, sw_err *err) {
  const json_t *t;
  int rc = get_object(src, "target", path, a, &t, true, err);
  if (rc < 0) return rc;
  const char *tp = path_join(a, path, "target");
  const char *type = NULL;
  if ((rc = get_string(t, "type", tp, a, &type, true, err)) < 0) return rc;
  if (strcmp(type, "Utilization") == 0)
    m->target_type = HPA_TARGET_UTILIZATION;
  else if (strcmp(type, "AverageValue") == 0)
    m->target_type = HPA_TARGET_AVERAGE_VALUE;
  else if (strcmp(type, "Value") == 0)
    m->target_type = HPA_TARGET_VALUE;
  else
    return expected(err, path_join(a, tp, "type"), "one of Utilization, AverageValue, Value",
                    json_object_get(t, "type"));
  if ((rc = get_quantity(t, "value", tp, a, &m->value_milli, err)) < 0) return rc;
  m->has_value = rc == 1;
  if ((rc = get_quantity(t, "averageValue", tp, a, &m->average_value_milli, err)) < 0) return rc;
  m->has_average_value = rc == 1;
  if ((rc = get_i32(t, "averageUtilization", tp, a, 1, INT32_MAX, &m->average_utilization, err)) < 0)
    return rc;
  m->has_average_utilization = rc == 1;
  /* The value the target type names must be there and positive (upstream's
   * validation), or the ratio would divide by zero. */
  if (m->target_type == HPA_TARGET_UTILIZATION && !m->has_average_utilization && !m->has_average_value)
    return sw_err_set(err, SW_EINVAL, "%s: required for target type Utilization",
                      path_join(a, tp, "averageUtilization"));
  if (m->target_type == HPA_TARGET_AVERAGE_VALUE && !m->has_average_value)
    return sw_err_set(err, SW_EINVAL, "%s: required for target type AverageValue",
                      path_join(a, tp, "averageValue"));
  if (m->target_type == HPA_TARGET_VALUE && !m->has_value)
    return sw_err_set(err, SW_EINVAL, "%s: required for target type Value", path_join(a, tp, "value"));
  if (m->has_average_value && m->average_value_milli <= 0)
    return expected(err, path_join(a, tp, "averageValue"), "a quantity greater than 0",
                    json_object_get(t, "averageValue"));
  if (m->has_value && m->value_milli <= 0)
    return expected(err, path_join(a, tp, "value"), "a quantity greater than 0", json_object_get(t, "value"));
  return 0;
}

static int decode_metric_id(const json_t *src, const char *path, sw_arena *a, hpa_metric_spec *m,
                            sw_err *err) {
  const json_t *id;
  int rc = get_object(src, "metric", path, a, &id, true, err);
  if (rc < 0) return rc;
  const char *ip = path_join(a, path, "metric");
  if ((rc = get_string(id, "name", ip, a, &m->name, true, err)) < 0) return rc;
  const json_t *sel = NULL;
  if ((rc = get_object(id, "selector", ip, a, &sel, false, err)) < 0) return rc;
  m->selector_text = autoscale_selector_text(sel, a);
  return 0;
}

static int decode_metric(const json_t *v, const char *path, sw_arena *a, hpa_metric_spec *m, sw_err *err) {
  if (!json_is_object(v)) return expected(err, path, "a metric object", v);
  int rc;
  const char *type = NULL;
  if ((rc = get_string(v, "type", path, a, &type, true, err)) < 0) return rc;
  m->type_name = type;
  m->selector_text = "nil";
  const json_t *src = NULL;
  if (strcmp(type, "Pods") == 0) {
    m->type = HPA_METRIC_PODS;
    if ((rc = get_object(v, "pods", path, a, &src, true, err)) < 0) return rc;
    const char *sp = path_join(a, path, "pods");
    if ((rc = decode_metric_id(src, sp, a, m, err)) < 0) return rc;
    return decode_target(src, sp, a, m, err);
  }
  if (strcmp(type, "Resource") == 0 || strcmp(type, "ContainerResource") == 0) {
    bool cr = type[0] == 'C';
    m->type = cr ? HPA_METRIC_CONTAINER_RESOURCE : HPA_METRIC_RESOURCE;
    const char *key = cr ? "containerResource" : "resource";
    if ((rc = get_object(v, key, path, a, &src, true, err)) < 0) return rc;
    const char *sp = path_join(a, path, key);
    if ((rc = get_string(src, "name", sp, a, &m->name, true, err)) < 0) return rc;
    if (cr && (rc = get_string(src, "container", sp, a, &m->container, true, err)) < 0) return rc;
    return decode_target(src, sp, a, m, err);
  }
  if (strcmp(type, "Object") == 0) {
    m->type = HPA_METRIC_OBJECT;
    if ((rc = get_object(v, "object", path, a, &src, true, err)) < 0) return rc;
    const char *sp = path_join(a, path, "object");
    const json_t *d;
    if ((rc = get_object(src, "describedObject", sp, a, &d, true, err)) < 0) return rc;
    const char *dp = path_join(a, sp, "describedObject");
    if ((rc = get_string(d, "kind", dp, a, &m->object_kind, true, err)) < 0) return rc;
    if ((rc = get_string(d, "name", dp, a, &m->object_name, true, err)) < 0) return rc;
    if ((rc = get_string(d, "apiVersion", dp, a, &m->object_api_version, false, err)) < 0) return rc;
    if ((rc = decode_metric_id(src, sp, a, m, err)) < 0) return rc;
    return decode_target(src, sp, a, m, err);
  }
  if (strcmp(type, "External") == 0) {
    m->type = HPA_METRIC_EXTERNAL;
    if ((rc = get_object(v, "external", path, a, &src, true, err)) < 0) return rc;
    const char *sp = path_join(a, path, "external");
    if ((rc = decode_metric_id(src, sp, a, m, err)) < 0) return rc;
    return decode_target(src, sp, a, m, err);
  }
  /* Unknown types reach the algorithm, which reports InvalidMetricSourceType
   * as upstream's controller does for a type its API server let through. */
  m->type = HPA_METRIC_UNKNOWN;
  return 0;
}

/* ---- behavior -------------------------------------------------------------------- */

static int decode_rules(const json_t *b, const char *key, const char *path, sw_arena *a, hpa_scaling_rules *r,
                        sw_err *err) {
  const json_t *v;
  int rc = get_object(b, key, path, a, &v, false, err);
  if (rc <= 0) return rc;
  const char *rp = path_join(a, path, key);
  if ((rc = get_i32(v, "stabilizationWindowSeconds", rp, a, 0, 3600, &r->stabilization_window_seconds, err)) <
      0)
    return rc;
  r->has_window = rc == 1;
  const char *sel = NULL;
  if ((rc = get_string(v, "selectPolicy", rp, a, &sel, false, err)) < 0) return rc;
  if (rc == 1) {
    r->has_select = true;
    if (strcmp(sel, "Max") == 0)
      r->select_policy = HPA_SELECT_MAX;
    else if (strcmp(sel, "Min") == 0)
      r->select_policy = HPA_SELECT_MIN;
    else if (strcmp(sel, "Disabled") == 0)
      r->select_policy = HPA_SELECT_DISABLED;
    else
      return expected(err, path_join(a, rp, "selectPolicy"), "one of Max, Min, Disabled",
                      json_object_get(v, "selectPolicy"));
  }
  const json_t *tol = json_object_get(v, "tolerance");
  if (tol && !json_is_null(tol)) {
    int64_t milli;
    if (quantity_json(tol, &milli) != 0 || milli < 0)
      return expected(err, path_join(a, rp, "tolerance"), "a quantity >= 0 such as \"0.05\" or \"50m\"", tol);
    r->has_tolerance = true;
    r->tolerance = (double)milli / 1000.0;
  }
  const json_t *pol = json_object_get(v, "policies");
  if (pol && !json_is_null(pol)) {
    const char *pp = path_join(a, rp, "policies");
    if (!json_is_array(pol)) return expected(err, pp, "a list of policies", pol);
    size_t n = json_array_size(pol);
    hpa_scaling_policy *ps = sw_arena_alloc(a, sizeof *ps * (n + 1));
    for (size_t i = 0; i < n; i++) {
      const json_t *p = json_array_get(pol, i);
      const char *ip = path_index(a, pp, i);
      if (!json_is_object(p)) return expected(err, ip, "a policy object {type, value, periodSeconds}", p);
      const char *type = NULL;
      if ((rc = get_string(p, "type", ip, a, &type, true, err)) < 0) return rc;
      if (strcmp(type, "Pods") == 0)
        ps[i].type = HPA_POLICY_PODS;
      else if (strcmp(type, "Percent") == 0)
        ps[i].type = HPA_POLICY_PERCENT;
      else
        return expected(err, path_join(a, ip, "type"), "one of Pods, Percent", json_object_get(p, "type"));
      if ((rc = get_i32(p, "value", ip, a, 1, INT32_MAX, &ps[i].value, err)) < 0) return rc;
      if (rc == 0)
        return sw_err_set(err, SW_EINVAL, "%s: required field is missing", path_join(a, ip, "value"));
      if ((rc = get_i32(p, "periodSeconds", ip, a, 1, 1800, &ps[i].period_seconds, err)) < 0) return rc;
      if (rc == 0)
        return sw_err_set(err, SW_EINVAL, "%s: required field is missing", path_join(a, ip, "periodSeconds"));
    }
    r->has_policies = true;
    r->policies = ps;
    r->n_policies = n;
  }
  return 0;
}

int autoscale_spec_decode(const json_t *spec, const char *path, sw_arena *a, hpa_spec *out, sw_err *err) {
  memset(out, 0, sizeof *out);
  if (!json_is_object(spec)) return expected(err, path, "an object", spec);
  int rc;
  if ((rc = get_i32(spec, "minReplicas", path, a, 0, INT32_MAX, &out->min_replicas, err)) < 0) return rc;
  out->has_min_replicas = true;
  if (rc == 0) out->min_replicas = 1; /* SetDefaults_HorizontalPodAutoscaler */
  if ((rc = get_i32(spec, "maxReplicas", path, a, 1, INT32_MAX, &out->max_replicas, err)) < 0) return rc;
  if (rc == 0)
    return sw_err_set(err, SW_EINVAL, "%s: required field is missing", path_join(a, path, "maxReplicas"));
  if (out->min_replicas > out->max_replicas)
    return sw_err_set(err, SW_EINVAL, "%s: minReplicas (%d) must be less than or equal to maxReplicas (%d)",
                      path, out->min_replicas, out->max_replicas);
  const json_t *ms = json_object_get(spec, "metrics");
  const char *mp = path_join(a, path, "metrics");
  if (ms && !json_is_null(ms) && !json_is_array(ms)) return expected(err, mp, "a list of metrics", ms);
  size_t n = ms ? json_array_size(ms) : 0;
  if (n == 0) {
    /* SetDefaults_HorizontalPodAutoscaler: CPU at 80% of requests. */
    hpa_metric_spec *d = sw_arena_alloc(a, sizeof *d);
    d->type = HPA_METRIC_RESOURCE;
    d->type_name = "Resource";
    d->name = "cpu";
    d->selector_text = "nil";
    d->target_type = HPA_TARGET_UTILIZATION;
    d->has_average_utilization = true;
    d->average_utilization = 80;
    out->metrics = d;
    out->n_metrics = 1;
  } else {
    hpa_metric_spec *m = sw_arena_alloc(a, sizeof *m * n);
    for (size_t i = 0; i < n; i++)
      if ((rc = decode_metric(json_array_get(ms, i), path_index(a, mp, i), a, &m[i], err)) < 0) return rc;
    out->metrics = m;
    out->n_metrics = n;
  }
  const json_t *b;
  if ((rc = get_object(spec, "behavior", path, a, &b, false, err)) < 0) return rc;
  if (rc == 1) {
    out->has_behavior = true;
    const char *bp = path_join(a, path, "behavior");
    if ((rc = decode_rules(b, "scaleUp", bp, a, &out->scale_up, err)) < 0) return rc;
    if ((rc = decode_rules(b, "scaleDown", bp, a, &out->scale_down, err)) < 0) return rc;
    hpa_spec_default_behavior(out);
  }
  return 0;
}
