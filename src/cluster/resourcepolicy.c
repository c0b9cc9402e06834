/*
 * resourcepolicy.c — reads ResourcePolicy objects and decides which policy
 * selects a pod. Pure: no I/O, no clock, no globals.
 */
#include "cluster/resourcepolicy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/spec.h"

static int string_map(const json_t *v, const char *path, json_t **out, sw_err *err) {
  *out = json_object();
  if (!v || json_is_null(v)) return 0;
  if (!json_is_object(v)) return sw_err_set(err, SW_EINVAL, "%s: expected a map of strings", path);
  const char *k;
  json_t *x;
  json_object_foreach((json_t *)v, k, x) {
    if (!json_is_string(x)) return sw_err_set(err, SW_EINVAL, "%s.%s: expected a string", path, k);
    json_object_set(*out, k, x);
  }
  return 0;
}

static void warn(json_t *warnings, const char *ns, const char *name, const char *what) {
  if (!warnings) return;
  char b[512];
  snprintf(b, sizeof b, "ResourcePolicy %s/%s: %s", ns, name, what);
  json_array_append_new(warnings, json_string(b));
}

int cluster_rp_parse(const json_t *obj, cluster_rp *out, json_t *warnings, sw_err *err) {
  memset(out, 0, sizeof *out);
  int rc = 0;
  const json_t *meta = json_object_get(obj, "metadata");
  const json_t *spec = json_object_get(obj, "spec");
  const char *name = json_string_value(json_object_get(meta, "name"));
  const char *ns = json_string_value(json_object_get(meta, "namespace"));
  out->name = sw_xstrdup(name ? name : "");
  out->ns = sw_xstrdup(ns ? ns : "default");
  if (!name || !*name) {
    rc = sw_err_set(err, SW_EINVAL, "metadata.name: expected a non-empty string");
    goto fail;
  }
  if (!json_is_object(spec)) {
    rc = sw_err_set(err, SW_EINVAL, "spec: expected a map");
    goto fail;
  }
  const json_t *sel = json_object_get(spec, "selector");
  if (json_is_object(json_object_get(sel, "matchLabels"))) sel = json_object_get(sel, "matchLabels");
  if ((rc = string_map(sel, "spec.selector", &out->selector, err))) goto fail;
  const json_t *strategy = json_object_get(spec, "strategy");
  if (strategy && !json_is_string(strategy)) {
    rc = sw_err_set(err, SW_EINVAL, "spec.strategy: expected \"prefer\"");
    goto fail;
  }
  out->strategy = sw_xstrdup(strategy ? json_string_value(strategy) : "prefer");
  if (strcmp(out->strategy, "prefer") != 0) {
    rc = sw_err_set(err, SW_EINVAL, "spec.strategy: expected \"prefer\", got \"%s\"", out->strategy);
    goto fail;
  }
  const json_t *it = json_object_get(spec, "ignoreTerminatingPod");
  out->ignore_terminating = it ? json_is_true(it) : true;
  if (json_object_get(spec, "ignorePreviousPod"))
    warn(warnings, out->ns, out->name, "spec.ignorePreviousPod is accepted but has no effect here");
  if (json_object_get(spec, "whenTryNextUnits"))
    warn(warnings, out->ns, out->name,
         "spec.whenTryNextUnits is accepted; the next unit is tried when the previous lacks resources");
  if (json_object_get(spec, "preemptPolicy"))
    warn(warnings, out->ns, out->name, "spec.preemptPolicy is accepted but has no effect here");
  const json_t *units = json_object_get(spec, "units");
  if (!json_is_array(units) || json_array_size(units) == 0) {
    rc = sw_err_set(err, SW_EINVAL, "spec.units: expected a non-empty list");
    goto fail;
  }
  out->units = sw_xcalloc(json_array_size(units), sizeof *out->units);
  size_t i;
  json_t *u;
  json_array_foreach(units, i, u) {
    cluster_rp_unit *cu = &out->units[i];
    out->nunits = i + 1;
    char path[64];
    snprintf(path, sizeof path, "spec.units[%zu]", i);
    if (!json_is_object(u)) {
      rc = sw_err_set(err, SW_EINVAL, "%s: expected a map", path);
      goto fail;
    }
    const json_t *res = json_object_get(u, "resource");
    if (res && !json_is_string(res)) {
      rc = sw_err_set(err, SW_EINVAL, "%s.resource: expected ecs, elastic, eci or acs", path);
      goto fail;
    }
    cu->resource = sw_xstrdup(res ? json_string_value(res) : "ecs");
    if (strcmp(cu->resource, "ecs") == 0 || strcmp(cu->resource, "elastic") == 0)
      cu->local = true;
    else if (strcmp(cu->resource, "eci") == 0 || strcmp(cu->resource, "acs") == 0) {
      cu->local = false;
      char b[160];
      snprintf(
          b, sizeof b,
          "%s.resource %s: serverless capacity is not available to embedded clusters; the unit is skipped",
          path, cu->resource);
      warn(warnings, out->ns, out->name, b);
    } else {
      rc = sw_err_set(err, SW_EINVAL, "%s.resource: expected ecs, elastic, eci or acs, got \"%s\"", path,
                      cu->resource);
      goto fail;
    }
    char sub[96];
    snprintf(sub, sizeof sub, "%s.nodeSelector", path);
    if ((rc = string_map(json_object_get(u, "nodeSelector"), sub, &cu->node_selector, err))) goto fail;
    snprintf(sub, sizeof sub, "%s.podLabels", path);
    if ((rc = string_map(json_object_get(u, "podLabels"), sub, &cu->pod_labels, err))) goto fail;
    snprintf(sub, sizeof sub, "%s.podAnnotations", path);
    if ((rc = string_map(json_object_get(u, "podAnnotations"), sub, &cu->pod_annotations, err))) goto fail;
    const json_t *max = json_object_get(u, "max");
    cu->max = -1;
    if (max && !json_is_null(max)) {
      int m = cluster_quantity_int(max);
      if (m < 0) {
        rc = sw_err_set(err, SW_EINVAL, "%s.max: expected a whole number >= 0", path);
        goto fail;
      }
      cu->max = m;
    }
  }
  return 0;
fail:
  sw_err_prefix(err, "ResourcePolicy %s/%s", out->ns, out->name);
  cluster_rp_free(out);
  return rc;
}

void cluster_rp_free(cluster_rp *rp) {
  if (!rp) return;
  for (size_t i = 0; i < rp->nunits; i++) {
    free(rp->units[i].resource);
    json_decref(rp->units[i].node_selector);
    json_decref(rp->units[i].pod_labels);
    json_decref(rp->units[i].pod_annotations);
  }
  free(rp->units);
  free(rp->ns);
  free(rp->name);
  free(rp->strategy);
  json_decref(rp->selector);
  memset(rp, 0, sizeof *rp);
}

bool cluster_rp_selects(const cluster_rp *rp, const char *ns, const json_t *pod_labels) {
  if (!rp || !sw_streq(rp->ns, ns)) return false;
  /* An empty selector selects nothing: a policy must name its pods. */
  if (json_object_size(rp->selector) == 0) return false;
  return cluster_selector_matches(rp->selector, pod_labels);
}

const json_t *cluster_rp_select(const json_t *policies, const char *ns, const json_t *pod_labels) {
  const json_t *best = NULL;
  const char *best_name = NULL;
  size_t i;
  json_t *p;
  json_array_foreach(policies, i, p) {
    const json_t *meta = json_object_get(p, "metadata");
    const char *pns = json_string_value(json_object_get(meta, "namespace"));
    const char *pname = json_string_value(json_object_get(meta, "name"));
    if (!pname || !sw_streq(pns ? pns : "default", ns)) continue;
    const json_t *sel = json_object_get(json_object_get(p, "spec"), "selector");
    if (json_is_object(json_object_get(sel, "matchLabels"))) sel = json_object_get(sel, "matchLabels");
    if (!json_is_object(sel) || json_object_size(sel) == 0) continue;
    if (!cluster_selector_matches(sel, pod_labels)) continue;
    if (!best || strcmp(pname, best_name) < 0) {
      best = p;
      best_name = pname;
    }
  }
  return best;
}
