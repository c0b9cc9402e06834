/*
 * explain.c — `schedule explain`: decodes the what-if input (see explain.h),
 * runs schedule_place() and encodes the result. Owns nothing beyond one call;
 * never does I/O (the CLI reads the file and prints).
 */
#include "schedule/explain.h"

#include <stdio.h>
#include <string.h>

#include "schedule/placement.h"
#include "schedule/policy.h"

static const char *type_name(const json_t *v) {
  return !v                   ? "nothing"
         : json_is_string(v)  ? "a string"
         : json_is_integer(v) ? "an integer"
         : json_is_real(v)    ? "a number"
         : json_is_boolean(v) ? "a boolean"
         : json_is_array(v)   ? "an array"
         : json_is_object(v)  ? "an object"
                              : "null";
}

/* An integer in [0, INT32_MAX]; absent gives def (or an error when def < 0). */
static int count_at(const json_t *obj, const char *key, const char *path, int32_t def, int32_t *out,
                    sw_err *err) {
  const json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) {
    if (def < 0) return sw_err_set(err, SW_EINVAL, "%s%s: expected an integer >= 0, got nothing", path, key);
    *out = def;
    return 0;
  }
  if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > SCHEDULE_MAX_REPLICAS) {
    if (json_is_integer(v))
      return sw_err_set(err, SW_EINVAL, "%s%s: expected an integer from 0 to %d, got %lld", path, key,
                        SCHEDULE_MAX_REPLICAS, (long long)json_integer_value(v));
    return sw_err_set(err, SW_EINVAL, "%s%s: expected an integer >= 0, got %s", path, key, type_name(v));
  }
  *out = (int32_t)json_integer_value(v);
  return 0;
}

static int decode_clusters(const json_t *arr, sw_arena *a, schedule_cluster **out, size_t *n, sw_err *err) {
  if (!json_is_array(arr))
    return sw_err_set(err, SW_EINVAL, "clusters: expected an array of clusters, got %s", type_name(arr));
  *n = json_array_size(arr);
  schedule_cluster *cl = sw_arena_alloc(a, (*n ? *n : 1) * sizeof *cl);
  *out = cl;
  for (size_t i = 0; i < *n; i++) {
    const json_t *c = json_array_get(arr, i);
    char path[64];
    snprintf(path, sizeof path, "clusters[%zu].", i);
    if (!json_is_object(c))
      return sw_err_set(err, SW_EINVAL, "clusters[%zu]: expected an object, got %s", i, type_name(c));
    const json_t *name = json_object_get(c, "name");
    if (!json_is_string(name) || !*json_string_value(name))
      return sw_err_set(err, SW_EINVAL, "%sname: expected a non-empty string, got %s", path, type_name(name));
    cl[i].name = json_string_value(name);
    const json_t *labels = json_object_get(c, "labels");
    if (labels && !json_is_null(labels)) {
      if (!json_is_object(labels))
        return sw_err_set(err, SW_EINVAL, "%slabels: expected an object of strings, got %s", path,
                          type_name(labels));
      const char *k;
      const json_t *v;
      json_object_foreach((json_t *)labels, k, v) {
        if (!json_is_string(v))
          return sw_err_set(err, SW_EINVAL, "%slabels.%s: expected a string, got %s", path, k, type_name(v));
      }
      cl[i].labels = schedule_labels_from_json(labels, a, &cl[i].n_labels);
    }
    /* Cluster spec fields a fieldSelector matches. */
    static const char *const field_keys[3] = {"provider", "region", "zone"};
    schedule_label *fields = sw_arena_alloc(a, 3 * sizeof *fields);
    for (int f = 0; f < 3; f++) {
      const json_t *v = json_object_get(c, field_keys[f]);
      if (!v || json_is_null(v)) continue;
      if (!json_is_string(v))
        return sw_err_set(err, SW_EINVAL, "%s%s: expected a string, got %s", path, field_keys[f],
                          type_name(v));
      fields[cl[i].n_fields++] = (schedule_label){field_keys[f], json_string_value(v)};
    }
    cl[i].fields = fields;
    const json_t *ready = json_object_get(c, "ready");
    if (ready && !json_is_null(ready) && !json_is_boolean(ready))
      return sw_err_set(err, SW_EINVAL, "%sready: expected true or false, got %s", path, type_name(ready));
    cl[i].ready = !ready || json_is_null(ready) || json_is_true(ready);
    int rc;
    if ((rc = count_at(c, "availableReplicas", path, 0, &cl[i].available, err))) return rc;
    if ((rc = count_at(c, "provisionableReplicas", path, 0, &cl[i].provisionable, err))) return rc;
    const json_t *rr = json_object_get(c, "readyReplicas");
    cl[i].ready_replicas = -1;
    if (rr && !json_is_null(rr) && (rc = count_at(c, "readyReplicas", path, 0, &cl[i].ready_replicas, err)))
      return rc;
  }
  return 0;
}

static int decode_previous(const json_t *prev, sw_arena *a, schedule_count **out, size_t *n, sw_err *err) {
  *out = NULL;
  *n = 0;
  if (!prev || json_is_null(prev)) return 0;
  if (!json_is_object(prev))
    return sw_err_set(err, SW_EINVAL, "previous: expected an object {\"cluster\": replicas}, got %s",
                      type_name(prev));
  schedule_count *pc = sw_arena_alloc(a, (json_object_size(prev) ? json_object_size(prev) : 1) * sizeof *pc);
  const char *k;
  const json_t *v;
  json_object_foreach((json_t *)prev, k, v) {
    int32_t r;
    int rc = count_at(prev, k, "previous.", 0, &r, err);
    if (rc) return rc;
    pc[*n] = (schedule_count){k, r};
    (*n)++;
  }
  *out = pc;
  return 0;
}

int schedule_explain(const json_t *input, json_t **out, sw_err *err) {
  *out = NULL;
  if (!json_is_object(input))
    return sw_err_set(err, SW_EINVAL,
                      "input: expected an object {placement, replicas, clusters, previous}, "
                      "got %s",
                      type_name(input));
  sw_arena *a = sw_arena_new(16384);
  schedule_policy pol;
  schedule_cluster *cl = NULL;
  schedule_count *prev = NULL;
  size_t n = 0, n_prev = 0;
  int32_t replicas = 0;
  int rc = schedule_policy_decode(json_object_get(input, "placement"), "placement", a, &pol, err);
  if (!rc) rc = count_at(input, "replicas", "", -1, &replicas, err);
  if (!rc) rc = decode_clusters(json_object_get(input, "clusters"), a, &cl, &n, err);
  if (!rc) rc = decode_previous(json_object_get(input, "previous"), a, &prev, &n_prev, err);
  const json_t *fb = json_object_get(input, "failBack");
  if (!rc && fb && !json_is_null(fb) && !json_is_boolean(fb))
    rc = sw_err_set(err, SW_EINVAL, "failBack: expected true or false, got %s", type_name(fb));
  pol.fail_back = json_is_true(fb);
  schedule_result res;
  if (!rc) rc = schedule_place(&pol, replicas, cl, n, prev, n_prev, a, &res, err);
  if (rc) {
    sw_arena_free(a);
    return rc;
  }
  /* Clusters in tier order, then input order: the order the binding lists. */
  json_t *clusters = json_object();
  for (int t = -1; t < (int)pol.n_tiers; t++)
    for (size_t i = 0; i < n; i++)
      if (res.tier_of[i] == t && res.replicas[i] > 0)
        json_object_set_new(clusters, cl[i].name, json_integer(res.replicas[i]));
  *out = json_pack("{s:o,s:o,s:i,s:s}", "clusters", clusters, "tier",
                   res.tier ? json_string(res.tier) : json_null(), "unscheduled", (int)res.unscheduled,
                   "reason", res.reason);
  sw_arena_free(a);
  if (!*out) return sw_err_set(err, SW_EINTERNAL, "encoding the placement failed");
  return 0;
}
