/*
 * policy.c — PropagationPolicy JSON -> schedule_policy, and policy selection.
 *
 * Reproduces Karmada's reading of the API (pkg/apis/policy/v1alpha1):
 *  - placement.clusterAffinity and placement.clusterAffinities are mutually
 *    exclusive; neither selects every cluster;
 *  - no replicaScheduling means Duplicated (Placement.ReplicaSchedulingType);
 *    replicaSchedulingType defaults to Divided and, for Divided,
 *    replicaDivisionPreference to Weighted (the defaulting webhook); Weighted
 *    without a weightPreference weighs every cluster equally;
 *  - resourceSelectors: apiVersion and kind must match, namespace and name
 *    when given, labelSelector when given and no name is; implicit priority
 *    name > labelSelector > kind only; explicit spec.priority first; ties by
 *    name.
 * Not supported (an error names them): fieldSelector. Ignored (documented):
 * spreadConstraints, clusterTolerations.
 *
 * Never touches the store, the clock or globals.
 */
#include "schedule/policy.h"

#include <stdio.h>
#include <string.h>

#define PATH_MAX_LEN 256

static int expect(sw_err *err, const char *path, const char *what, const json_t *got) {
  const char *t = !got                   ? "nothing"
                  : json_is_string(got)  ? "a string"
                  : json_is_integer(got) ? "an integer"
                  : json_is_real(got)    ? "a number"
                  : json_is_boolean(got) ? "a boolean"
                  : json_is_array(got)   ? "an array"
                  : json_is_object(got)  ? "an object"
                                         : "null";
  return sw_err_set(err, SW_EINVAL, "%s: expected %s, got %s", path, what, t);
}

/* An optional array of strings; absent or null is empty. */
static int string_list(const json_t *v, const char *path, sw_arena *a, const char *const **out, size_t *n,
                       sw_err *err) {
  *out = NULL;
  *n = 0;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_array(v)) return expect(err, path, "an array of strings", v);
  size_t len = json_array_size(v);
  const char **list = sw_arena_alloc(a, (len ? len : 1) * sizeof *list);
  for (size_t i = 0; i < len; i++) {
    const json_t *s = json_array_get(v, i);
    if (!json_is_string(s)) {
      char p[PATH_MAX_LEN + 16];
      snprintf(p, sizeof p, "%s[%zu]", path, i);
      return expect(err, p, "a string", s);
    }
    list[i] = json_string_value(s);
  }
  *out = list;
  *n = len;
  return 0;
}

int schedule_label_selector_decode(const json_t *sel, const char *path, sw_arena *a,
                                   schedule_requirement **reqs, size_t *n, sw_err *err) {
  *reqs = NULL;
  *n = 0;
  if (!sel || json_is_null(sel)) return 0;
  if (!json_is_object(sel)) return expect(err, path, "a label selector object", sel);
  char p[PATH_MAX_LEN + 64];
  const json_t *ml = json_object_get(sel, "matchLabels");
  const json_t *me = json_object_get(sel, "matchExpressions");
  if (ml && !json_is_null(ml) && !json_is_object(ml)) {
    snprintf(p, sizeof p, "%s.matchLabels", path);
    return expect(err, p, "an object of label values", ml);
  }
  if (me && !json_is_null(me) && !json_is_array(me)) {
    snprintf(p, sizeof p, "%s.matchExpressions", path);
    return expect(err, p, "an array of requirements", me);
  }
  size_t cap =
      (json_is_object(ml) ? json_object_size(ml) : 0) + (json_is_array(me) ? json_array_size(me) : 0);
  schedule_requirement *r = sw_arena_alloc(a, (cap ? cap : 1) * sizeof *r);
  size_t k = 0;
  if (json_is_object(ml)) {
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)ml, key, val) {
      if (!json_is_string(val)) {
        snprintf(p, sizeof p, "%s.matchLabels.%s", path, key);
        return expect(err, p, "a string", val);
      }
      const char **vals = sw_arena_alloc(a, sizeof *vals);
      vals[0] = json_string_value(val);
      r[k++] = (schedule_requirement){key, SCHEDULE_OP_IN, vals, 1};
    }
  }
  for (size_t i = 0; json_is_array(me) && i < json_array_size(me); i++) {
    const json_t *e = json_array_get(me, i);
    snprintf(p, sizeof p, "%s.matchExpressions[%zu]", path, i);
    if (!json_is_object(e)) return expect(err, p, "an object {key, operator, values}", e);
    const json_t *key = json_object_get(e, "key"), *op = json_object_get(e, "operator");
    char q[PATH_MAX_LEN + 96];
    if (!json_is_string(key)) {
      snprintf(q, sizeof q, "%s.key", p);
      return expect(err, q, "a string", key);
    }
    static const struct {
      const char *s;
      schedule_op op;
    } ops[] = {{"In", SCHEDULE_OP_IN},
               {"NotIn", SCHEDULE_OP_NOT_IN},
               {"Exists", SCHEDULE_OP_EXISTS},
               {"DoesNotExist", SCHEDULE_OP_DOES_NOT_EXIST}};
    int found = -1;
    for (int j = 0; j < 4 && json_is_string(op); j++)
      if (strcmp(json_string_value(op), ops[j].s) == 0) found = j;
    if (found < 0) {
      snprintf(q, sizeof q, "%s.operator", p);
      if (json_is_string(op))
        return sw_err_set(err, SW_EINVAL, "%s: expected In, NotIn, Exists or DoesNotExist, got \"%s\"", q,
                          json_string_value(op));
      return expect(err, q, "one of In, NotIn, Exists, DoesNotExist", op);
    }
    r[k] = (schedule_requirement){json_string_value(key), ops[found].op, NULL, 0};
    snprintf(q, sizeof q, "%s.values", p);
    int rc = string_list(json_object_get(e, "values"), q, a, &r[k].values, &r[k].n_values, err);
    if (rc) return rc;
    /* As Kubernetes' selector validation: In/NotIn need values, Exists and
     * DoesNotExist take none. */
    if ((r[k].op == SCHEDULE_OP_IN || r[k].op == SCHEDULE_OP_NOT_IN) && r[k].n_values == 0)
      return sw_err_set(err, SW_EINVAL, "%s: expected at least one value for operator %s", q, ops[found].s);
    if ((r[k].op == SCHEDULE_OP_EXISTS || r[k].op == SCHEDULE_OP_DOES_NOT_EXIST) && r[k].n_values)
      return sw_err_set(err, SW_EINVAL, "%s: expected no values for operator %s", q, ops[found].s);
    k++;
  }
  *reqs = r;
  *n = k;
  return 0;
}

/* Karmada's ClusterAffinity (also the targetCluster of a static weight). */
static int decode_selector(const json_t *v, const char *path, sw_arena *a, schedule_selector *sel,
                           sw_err *err) {
  memset(sel, 0, sizeof *sel);
  if (!v || json_is_null(v)) return 0;
  if (!json_is_object(v)) return expect(err, path, "a cluster affinity object", v);
  char p[PATH_MAX_LEN + 32];
  int rc;
  snprintf(p, sizeof p, "%s.clusterNames", path);
  if ((rc = string_list(json_object_get(v, "clusterNames"), p, a, &sel->names, &sel->n_names, err)))
    return rc;
  snprintf(p, sizeof p, "%s.exclude", path);
  if ((rc = string_list(json_object_get(v, "exclude"), p, a, &sel->exclude, &sel->n_exclude, err))) return rc;
  snprintf(p, sizeof p, "%s.labelSelector", path);
  schedule_requirement *reqs;
  if ((rc = schedule_label_selector_decode(json_object_get(v, "labelSelector"), p, a, &reqs, &sel->n_reqs,
                                           err)))
    return rc;
  sel->reqs = reqs;
  snprintf(p, sizeof p, "%s.fieldSelector", path);
  const json_t *fs = json_object_get(v, "fieldSelector");
  if (!fs || json_is_null(fs)) return 0;
  if (!json_is_object(fs)) return expect(err, p, "an object {matchExpressions}", fs);
  /* Same shape as a label selector's matchExpressions; keys are the
   * Cluster's spec fields Karmada allows: provider, region, zone. */
  json_t *only = json_pack("{s:O?}", "matchExpressions", json_object_get(fs, "matchExpressions"));
  schedule_requirement *fields;
  rc = schedule_label_selector_decode(only, p, a, &fields, &sel->n_fields, err);
  json_decref(only);
  if (rc) return rc;
  sel->fields = fields;
  for (size_t i = 0; i < sel->n_fields; i++)
    if (strcmp(fields[i].key, "provider") && strcmp(fields[i].key, "region") && strcmp(fields[i].key, "zone"))
      return sw_err_set(err, SW_EINVAL,
                        "%s.matchExpressions[%zu].key: expected provider, region or zone, got \"%s\"", p, i,
                        fields[i].key);
  return 0;
}

static int decode_scheduling(const json_t *rs, const char *path, sw_arena *a, schedule_policy *out,
                             sw_err *err) {
  out->mode = SCHEDULE_DUPLICATED;
  if (!rs || json_is_null(rs)) return 0;
  if (!json_is_object(rs)) return expect(err, path, "a replicaScheduling object", rs);
  char p[PATH_MAX_LEN + 64];
  const json_t *type = json_object_get(rs, "replicaSchedulingType");
  const json_t *pref = json_object_get(rs, "replicaDivisionPreference");
  snprintf(p, sizeof p, "%s.replicaSchedulingType", path);
  if (type && !json_is_null(type) && !json_is_string(type))
    return expect(err, p, "Duplicated or Divided", type);
  const char *ts = json_is_string(type) ? json_string_value(type) : "Divided";
  if (strcmp(ts, "Duplicated") == 0) {
    out->mode = SCHEDULE_DUPLICATED;
    return 0;
  }
  if (strcmp(ts, "Divided") != 0)
    return sw_err_set(err, SW_EINVAL, "%s: expected Duplicated or Divided, got \"%s\"", p, ts);
  snprintf(p, sizeof p, "%s.replicaDivisionPreference", path);
  if (pref && !json_is_null(pref) && !json_is_string(pref))
    return expect(err, p, "Aggregated or Weighted", pref);
  const char *ps = json_is_string(pref) ? json_string_value(pref) : "Weighted";
  if (strcmp(ps, "Aggregated") == 0) {
    out->mode = SCHEDULE_AGGREGATED;
    return 0;
  }
  if (strcmp(ps, "Weighted") != 0)
    return sw_err_set(err, SW_EINVAL, "%s: expected Aggregated or Weighted, got \"%s\"", p, ps);
  out->mode = SCHEDULE_WEIGHTED;
  const json_t *wp = json_object_get(rs, "weightPreference");
  snprintf(p, sizeof p, "%s.weightPreference", path);
  if (!wp || json_is_null(wp)) return 0;
  if (!json_is_object(wp)) return expect(err, p, "an object {staticWeightList | dynamicWeight}", wp);
  const json_t *dw = json_object_get(wp, "dynamicWeight");
  if (dw && !json_is_null(dw)) {
    if (!json_is_string(dw) || strcmp(json_string_value(dw), "AvailableReplicas") != 0) {
      snprintf(p, sizeof p, "%s.weightPreference.dynamicWeight", path);
      if (json_is_string(dw))
        return sw_err_set(err, SW_EINVAL, "%s: expected AvailableReplicas, got \"%s\"", p,
                          json_string_value(dw));
      return expect(err, p, "AvailableReplicas", dw);
    }
    /* As Karmada: a dynamic weight wins over a static list. */
    out->dynamic_weight = true;
    return 0;
  }
  const json_t *sl = json_object_get(wp, "staticWeightList");
  snprintf(p, sizeof p, "%s.weightPreference.staticWeightList", path);
  if (!sl || json_is_null(sl)) return 0;
  if (!json_is_array(sl)) return expect(err, p, "an array of {targetCluster, weight}", sl);
  size_t n = json_array_size(sl);
  schedule_weight_rule *rules = sw_arena_alloc(a, (n ? n : 1) * sizeof *rules);
  for (size_t i = 0; i < n; i++) {
    const json_t *e = json_array_get(sl, i);
    char q[PATH_MAX_LEN + 128];
    snprintf(q, sizeof q, "%s[%zu]", p, i);
    if (!json_is_object(e)) return expect(err, q, "an object {targetCluster, weight}", e);
    const json_t *w = json_object_get(e, "weight");
    char r[PATH_MAX_LEN + 160];
    snprintf(r, sizeof r, "%s.weight", q);
    if (!json_is_integer(w) || json_integer_value(w) < 0) return expect(err, r, "an integer >= 0", w);
    rules[i].weight = json_integer_value(w);
    snprintf(r, sizeof r, "%s.targetCluster", q);
    int rc = decode_selector(json_object_get(e, "targetCluster"), r, a, &rules[i].target, err);
    if (rc) return rc;
  }
  out->weights = rules;
  out->n_weights = n;
  return 0;
}

int schedule_policy_decode(const json_t *placement, const char *path, sw_arena *a, schedule_policy *out,
                           sw_err *err) {
  memset(out, 0, sizeof *out);
  char p[PATH_MAX_LEN + 64];
  if (!path) path = "placement";
  if (strlen(path) > PATH_MAX_LEN) path = "placement";
  if (placement && !json_is_null(placement) && !json_is_object(placement))
    return expect(err, path, "a placement object", placement);
  const json_t *ca = json_is_object(placement) ? json_object_get(placement, "clusterAffinity") : NULL;
  const json_t *cas = json_is_object(placement) ? json_object_get(placement, "clusterAffinities") : NULL;
  if (ca && json_is_null(ca)) ca = NULL;
  if (cas && json_is_null(cas)) cas = NULL;
  if (cas && !json_is_array(cas)) {
    snprintf(p, sizeof p, "%s.clusterAffinities", path);
    return expect(err, p, "an array of cluster affinity terms", cas);
  }
  if (cas && json_array_size(cas) == 0) cas = NULL;
  if (ca && cas)
    return sw_err_set(err, SW_EINVAL,
                      "%s: clusterAffinity and clusterAffinities are mutually exclusive; "
                      "use one of them",
                      path);
  int rc;
  if (cas) {
    size_t n = json_array_size(cas);
    schedule_tier *tiers = sw_arena_alloc(a, n * sizeof *tiers);
    for (size_t i = 0; i < n; i++) {
      const json_t *term = json_array_get(cas, i);
      snprintf(p, sizeof p, "%s.clusterAffinities[%zu]", path, i);
      if (!json_is_object(term)) return expect(err, p, "a cluster affinity term object", term);
      const json_t *name = json_object_get(term, "affinityName");
      if (!json_is_string(name) || !*json_string_value(name)) {
        char q[PATH_MAX_LEN + 96];
        snprintf(q, sizeof q, "%s.affinityName", p);
        return expect(err, q, "a non-empty string", name);
      }
      for (size_t j = 0; j < i; j++)
        if (strcmp(tiers[j].name, json_string_value(name)) == 0)
          return sw_err_set(err, SW_EINVAL,
                            "%s.affinityName: \"%s\" is already the name of "
                            "clusterAffinities[%zu]",
                            p, json_string_value(name), j);
      tiers[i].name = json_string_value(name);
      if ((rc = decode_selector(term, p, a, &tiers[i].sel, err))) return rc;
    }
    out->tiers = tiers;
    out->n_tiers = n;
  } else {
    schedule_tier *tier = sw_arena_alloc(a, sizeof *tier);
    snprintf(p, sizeof p, "%s.clusterAffinity", path);
    if ((rc = decode_selector(ca, p, a, &tier->sel, err))) return rc;
    out->tiers = tier;
    out->n_tiers = 1;
  }
  snprintf(p, sizeof p, "%s.replicaScheduling", path);
  return decode_scheduling(json_is_object(placement) ? json_object_get(placement, "replicaScheduling") : NULL,
                           p, a, out, err);
}

int schedule_policy_from_object(const json_t *pp, sw_arena *a, schedule_policy *out, bool *ecs_provision,
                                sw_err *err) {
  const json_t *spec = json_object_get(pp, "spec");
  if (spec && !json_is_object(spec)) return expect(err, "spec", "an object", spec);
  int rc = schedule_policy_decode(json_object_get(spec, "placement"), "spec.placement", a, out, err);
  if (rc) return rc;
  const json_t *ann = json_object_get(json_object_get(pp, "metadata"), "annotations");
  const json_t *fb = json_object_get(ann, SCHEDULE_ANN_FAIL_BACK);
  out->fail_back = json_is_string(fb) && strcmp(json_string_value(fb), "true") == 0;
  const json_t *as = json_object_get(spec, "autoScaling");
  if (ecs_provision) *ecs_provision = json_is_true(json_object_get(as, "ecsProvision"));
  return 0;
}

schedule_label *schedule_labels_from_json(const json_t *labels, sw_arena *a, size_t *n) {
  *n = 0;
  if (!json_is_object(labels) || json_object_size(labels) == 0) return NULL;
  schedule_label *out = sw_arena_alloc(a, json_object_size(labels) * sizeof *out);
  const char *key;
  const json_t *v;
  json_object_foreach((json_t *)labels, key, v) {
    if (json_is_string(v)) out[(*n)++] = (schedule_label){key, json_string_value(v)};
  }
  return out;
}

static const char *str_at(const json_t *obj, const char *key) {
  return json_string_value(json_object_get(obj, key));
}

/* Karmada's util.ResourceMatches plus its implicit priority. */
static int selector_match(const json_t *rsel, const json_t *res) {
  const json_t *meta = json_object_get(res, "metadata");
  const char *av = str_at(rsel, "apiVersion"), *kind = str_at(rsel, "kind");
  if (av && !sw_streq(av, str_at(res, "apiVersion"))) return 0;
  if (!kind || !sw_streq(kind, str_at(res, "kind"))) return 0;
  const char *ns = str_at(rsel, "namespace");
  if (ns && *ns && !sw_streq(ns, str_at(meta, "namespace"))) return 0;
  const char *name = str_at(rsel, "name");
  if (name && *name) return sw_streq(name, str_at(meta, "name")) ? 3 : 0;
  const json_t *ls = json_object_get(rsel, "labelSelector");
  if (ls && !json_is_null(ls)) {
    sw_arena *a = sw_arena_new(1024);
    schedule_requirement *reqs;
    size_t n_reqs, n_labels;
    int level = 0;
    if (schedule_label_selector_decode(ls, "labelSelector", a, &reqs, &n_reqs, NULL) == 0) {
      schedule_label *labels = schedule_labels_from_json(json_object_get(meta, "labels"), a, &n_labels);
      if (schedule_requirements_match(reqs, n_reqs, labels, n_labels)) level = 2;
    }
    sw_arena_free(a);
    return level;
  }
  return 1;
}

int schedule_policy_match(const json_t *pp, const json_t *resource) {
  const json_t *pmeta = json_object_get(pp, "metadata"), *rmeta = json_object_get(resource, "metadata");
  /* A (namespaced) PropagationPolicy governs only its own namespace. */
  if (!sw_streq(str_at(pmeta, "namespace"), str_at(rmeta, "namespace"))) return 0;
  const json_t *sels = json_object_get(json_object_get(pp, "spec"), "resourceSelectors");
  int best = 0;
  for (size_t i = 0; json_is_array(sels) && i < json_array_size(sels); i++) {
    const json_t *s = json_array_get(sels, i);
    if (!json_is_object(s)) continue;
    int m = selector_match(s, resource);
    if (m > best) best = m;
  }
  return best;
}

const json_t *schedule_policy_select(const json_t *policies, const json_t *resource) {
  const json_t *best = NULL;
  json_int_t best_prio = 0;
  int best_level = 0;
  for (size_t i = 0; json_is_array(policies) && i < json_array_size(policies); i++) {
    const json_t *pp = json_array_get(policies, i);
    int level = schedule_policy_match(pp, resource);
    if (!level) continue;
    const json_t *pr = json_object_get(json_object_get(pp, "spec"), "priority");
    json_int_t prio = json_is_integer(pr) ? json_integer_value(pr) : 0;
    const char *name = str_at(json_object_get(pp, "metadata"), "name");
    const char *best_name = best ? str_at(json_object_get(best, "metadata"), "name") : NULL;
    bool better =
        !best || prio > best_prio || (prio == best_prio && level > best_level) ||
        (prio == best_prio && level == best_level && name && strcmp(name, best_name ? best_name : "") < 0);
    if (better) {
      best = pp;
      best_prio = prio;
      best_level = level;
    }
  }
  return best;
}
