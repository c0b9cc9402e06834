/*
 * controller.c — the FederatedHPA and HorizontalPodAutoscaler controller: each
 * sync, for every autoscaler in the store, reads its target Deployment and the
 * pods its selector matches (across every member cluster: pods carry
 * spillway.io/cluster), fetches metrics through the caller's
 * autoscale_metrics_source, runs hpa_reconcile and writes back spec.replicas
 * (store_merge_patch: the path `spillway scale` takes; the fleet scheduler
 * then places the replicas) and the autoscaling/v2 status.
 *
 * Role in the data flow: metrics -> autoscaler -> Deployment replicas. Owns the
 * per-autoscaler histories (recommendations, scale events), kept in the
 * autoscaler's status so a restart continues where it stopped. Must never:
 * read the clock (now comes from the plane), block (the metrics source answers
 * from memory), or place replicas on clusters.
 *
 * Differences from Kubernetes' controller, all deliberate and documented in
 * docs/autoscale.md: histories survive restarts (upstream keeps them in
 * memory); a missing target leaves status without currentReplicas (so `get
 * fhpa` shows an empty REPLICAS column, as ACK One's FAQ describes); the
 * advisory annotation reports without acting.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "autoscale/autoscale.h"
#include "plane/plane.h"

#include "autoscale/internal.h"

#define MAX_EXTERNAL_SERIES 256

void autoscale_opts_default(autoscale_opts *o) {
  memset(o, 0, sizeof *o);
  o->sync_period = 5;
  hpa_options_default(&o->hpa);
  o->kserve = true;
  o->kserve_domain = "example.com";
}

/* ---- JSON helpers ------------------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

static json_t *qty_json(int64_t milli) {
  char buf[48];
  hpa_milli_format(milli, buf, sizeof buf);
  return json_string(buf);
}

static json_t *time_json(double t) {
  char buf[40];
  sw_time_format(t, buf, sizeof buf);
  return json_string(buf);
}

/* RFC 3339 with microseconds (metav1.MicroTime), for histories whose times are
 * compared against stabilisation windows and policy periods: whole seconds
 * would move a sample across a window boundary under a time-scaled clock. */
static json_t *micro_time_json(double t) {
  char buf[40];
  sw_time_format_micro(t, buf, sizeof buf);
  return json_string(buf);
}

static bool parse_time(const json_t *v, double *out) {
  return json_is_string(v) && sw_time_parse(json_string_value(v), out) == 0;
}

/* ---- observed state -> algorithm input ----------------------------------------------- */

static hpa_pod_phase phase_of(const char *s) {
  if (!s) return HPA_POD_UNKNOWN;
  if (strcmp(s, "Pending") == 0) return HPA_POD_PENDING;
  if (strcmp(s, "Running") == 0) return HPA_POD_RUNNING;
  if (strcmp(s, "Succeeded") == 0) return HPA_POD_SUCCEEDED;
  if (strcmp(s, "Failed") == 0) return HPA_POD_FAILED;
  return HPA_POD_UNKNOWN;
}

static int64_t qty_milli(const json_t *v, bool *ok) {
  int64_t m = 0;
  *ok = false;
  if (json_is_string(v))
    *ok = hpa_quantity_milli(json_string_value(v), &m) == 0;
  else if (json_is_integer(v)) {
    m = (int64_t)json_integer_value(v) * 1000;
    *ok = true;
  } else if (json_is_real(v)) {
    m = hpa_milli_from_double(json_real_value(v));
    *ok = true;
  }
  return m;
}

/* A Pod object -> hpa_pod (arena). */
static void pod_from_json(const json_t *pod, sw_arena *a, hpa_pod *out) {
  const json_t *meta = json_object_get(pod, "metadata"), *status = json_object_get(pod, "status");
  memset(out, 0, sizeof *out);
  out->name = sw_arena_strdup(a, jstr(meta, "name") ? jstr(meta, "name") : "");
  out->phase = phase_of(jstr(status, "phase"));
  const json_t *dt = json_object_get(meta, "deletionTimestamp");
  out->deleting = dt && !json_is_null(dt);
  out->has_start_time = parse_time(json_object_get(status, "startTime"), &out->start_time);
  size_t i;
  const json_t *c;
  json_array_foreach(json_object_get(status, "conditions"), i, c) {
    if (!sw_streq(jstr(c, "type"), "Ready")) continue;
    out->has_ready_condition = true;
    out->ready = sw_streq(jstr(c, "status"), "True");
    if (!parse_time(json_object_get(c, "lastTransitionTime"), &out->ready_transition_time))
      out->ready_transition_time = out->start_time;
  }
  const json_t *cs = json_object_get(json_object_get(pod, "spec"), "containers");
  size_t n = json_array_size(cs);
  hpa_container *ct = sw_arena_alloc(a, sizeof *ct * (n + 1));
  json_array_foreach(cs, i, c) {
    ct[i].name = sw_arena_strdup(a, jstr(c, "name") ? jstr(c, "name") : "");
    const json_t *req = json_object_get(json_object_get(c, "resources"), "requests");
    size_t nr = json_object_size(req), k = 0;
    hpa_request *r = sw_arena_alloc(a, sizeof *r * (nr + 1));
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)req, key, v) {
      bool ok;
      int64_t m = qty_milli(v, &ok);
      if (!ok) continue; /* an unparsable request counts as missing */
      r[k].resource = sw_arena_strdup(a, key);
      r[k].milli = m;
      k++;
    }
    ct[i].requests = r;
    ct[i].n_requests = k;
  }
  out->containers = ct;
  out->n_containers = n;
}

static const json_t *metric_selector_json(const json_t *spec, size_t i) {
  const json_t *m = json_array_get(json_object_get(spec, "metrics"), i);
  const char *type = jstr(m, "type");
  if (!type) return NULL;
  const char *key = strcmp(type, "Pods") == 0       ? "pods"
                    : strcmp(type, "Object") == 0   ? "object"
                    : strcmp(type, "External") == 0 ? "external"
                                                    : NULL;
  if (!key) return NULL;
  const json_t *sel = json_object_get(json_object_get(json_object_get(m, key), "metric"), "selector");
  return json_is_object(sel) ? sel : NULL;
}

/* Fetches every metric the spec names through the source. Pods that can never
 * count (deleting, failed, pending: groupPods sets them aside before looking at
 * metrics) are not asked about. */
static hpa_metric_input *fetch_metrics(autoscale_controller *c, const char *ns, const json_t *spec_json,
                                       const hpa_spec *spec, const hpa_pod *pods, size_t n_pods,
                                       sw_arena *a) {
  const autoscale_metrics_source *s = &c->src;
  hpa_metric_input *mi = sw_arena_alloc(a, sizeof *mi * (spec->n_metrics + 1));
  for (size_t i = 0; i < spec->n_metrics; i++) {
    const hpa_metric_spec *ms = &spec->metrics[i];
    const json_t *sel = metric_selector_json(spec_json, i);
    sw_err err = {0};
    switch (ms->type) {
    case HPA_METRIC_PODS:
    case HPA_METRIC_RESOURCE:
    case HPA_METRIC_CONTAINER_RESOURCE: {
      bool pods_metric = ms->type == HPA_METRIC_PODS;
      hpa_sample *smp = sw_arena_alloc(a, sizeof *smp * (n_pods + 1));
      for (size_t k = 0; k < n_pods; k++) {
        const hpa_pod *p = &pods[k];
        if (p->deleting || p->phase == HPA_POD_FAILED || p->phase == HPA_POD_PENDING) {
          smp[k].error = "the pod is not running";
          continue;
        }
        double v = 0, ts = 0, win = 0;
        int rc;
        if (pods_metric && s->pod_metric)
          rc = s->pod_metric(s->ud, ns, p->name, ms->name, sel, &v, &ts, &win, &err);
        else if (!pods_metric && s->pod_resource)
          rc = s->pod_resource(s->ud, ns, p->name,
                               ms->type == HPA_METRIC_CONTAINER_RESOURCE ? ms->container : NULL, ms->name, &v,
                               &ts, &win, &err);
        else
          rc = sw_err_set(&err, SW_EUNAVAIL, "this spillway has no source of %s metrics configured",
                          pods_metric ? "custom (Pods)" : "resource (cpu/memory)");
        if (rc != 0) {
          smp[k].error = sw_arena_strdup(a, err.msg[0] ? err.msg : "the metrics source returned no value");
          continue;
        }
        smp[k].present = true;
        smp[k].milli = hpa_milli_from_double(v);
        smp[k].timestamp = ts;
        smp[k].window = win;
      }
      mi[i].samples = smp;
      break;
    }
    case HPA_METRIC_OBJECT: {
      double v = 0, ts = 0;
      int rc =
          s->object_metric
              ? s->object_metric(s->ud, ns, ms->object_kind, ms->object_name, ms->name, sel, &v, &ts, &err)
              : sw_err_set(&err, SW_EUNAVAIL, "this spillway has no source of object metrics configured");
      if (rc != 0)
        mi[i].error = sw_arena_strdup(a, err.msg[0] ? err.msg : "the metrics source returned no value");
      else {
        mi[i].object_milli = hpa_milli_from_double(v);
        mi[i].timestamp = ts;
      }
      break;
    }
    case HPA_METRIC_EXTERNAL: {
      double vals[MAX_EXTERNAL_SERIES], ts = 0;
      size_t n = 0;
      int rc =
          s->external_metric
              ? s->external_metric(s->ud, ns, ms->name, sel, vals, MAX_EXTERNAL_SERIES, &n, &ts, &err)
              : sw_err_set(&err, SW_EUNAVAIL, "this spillway has no source of external metrics configured");
      if (rc != 0) {
        mi[i].error = sw_arena_strdup(a, err.msg[0] ? err.msg : "the metrics source returned no value");
        break;
      }
      if (n > MAX_EXTERNAL_SERIES) n = MAX_EXTERNAL_SERIES;
      int64_t *m = sw_arena_alloc(a, sizeof *m * (n + 1));
      for (size_t k = 0; k < n; k++) m[k] = hpa_milli_from_double(vals[k]);
      mi[i].external_milli = m;
      mi[i].n_external = n;
      mi[i].timestamp = ts;
      break;
    }
    default:
      break;
    }
  }
  return mi;
}

static void load_history(const json_t *status, sw_arena *a, hpa_input *in) {
  const json_t *recs = json_object_get(status, "recommendations");
  size_t n = json_array_size(recs), k = 0, i;
  const json_t *e;
  hpa_recommendation *r = sw_arena_alloc(a, sizeof *r * (n + 1));
  json_array_foreach(recs, i, e) {
    if (!parse_time(json_object_get(e, "time"), &r[k].time) ||
        !json_is_integer(json_object_get(e, "replicas")))
      continue;
    r[k].replicas = (int32_t)json_integer_value(json_object_get(e, "replicas"));
    k++;
  }
  in->recommendations = r;
  in->n_recommendations = k;
  const json_t *evs = json_object_get(status, "scaleEvents");
  n = json_array_size(evs);
  k = 0;
  hpa_scale_event *s = sw_arena_alloc(a, sizeof *s * (n + 1));
  json_array_foreach(evs, i, e) {
    if (!parse_time(json_object_get(e, "time"), &s[k].time) || !json_is_integer(json_object_get(e, "change")))
      continue;
    s[k].change = (int32_t)json_integer_value(json_object_get(e, "change"));
    k++;
  }
  in->scale_events = s;
  in->n_scale_events = k;
}

/* ---- algorithm output -> autoscaling/v2 status ------------------------------------------ */

static json_t *metric_id_json(const hpa_metric_spec *ms, const json_t *sel) {
  json_t *id = json_pack("{s:s}", "name", ms->name ? ms->name : "");
  if (sel) json_object_set(id, "selector", (json_t *)sel);
  return id;
}

static json_t *value_status(const hpa_metric_result *m) {
  json_t *v = json_object();
  if (m->has_value) json_object_set_new(v, "value", qty_json(m->value_milli));
  if (m->has_average_value) json_object_set_new(v, "averageValue", qty_json(m->average_value_milli));
  if (m->has_average_utilization)
    json_object_set_new(v, "averageUtilization", json_integer(m->average_utilization));
  return v;
}

/* One MetricStatus; a failed metric is an empty status {type: ""} as upstream
 * leaves it, so entries stay aligned with spec.metrics. */
static json_t *metric_status_json(const hpa_metric_result *m, const json_t *spec_json, size_t i) {
  const hpa_metric_spec *ms = m->spec;
  if (!m->ok) return json_pack("{s:s}", "type", "");
  const json_t *sel = metric_selector_json(spec_json, i);
  switch (ms->type) {
  case HPA_METRIC_PODS:
    return json_pack("{s:s,s:{s:o,s:o}}", "type", "Pods", "pods", "metric", metric_id_json(ms, sel),
                     "current", value_status(m));
  case HPA_METRIC_RESOURCE:
    return json_pack("{s:s,s:{s:s,s:o}}", "type", "Resource", "resource", "name", ms->name, "current",
                     value_status(m));
  case HPA_METRIC_CONTAINER_RESOURCE:
    return json_pack("{s:s,s:{s:s,s:s,s:o}}", "type", "ContainerResource", "containerResource", "name",
                     ms->name, "container", ms->container ? ms->container : "", "current", value_status(m));
  case HPA_METRIC_OBJECT: {
    json_t *obj = json_pack("{s:o,s:o}", "metric", metric_id_json(ms, sel), "current", value_status(m));
    json_t *d = json_pack("{s:s,s:s}", "kind", ms->object_kind ? ms->object_kind : "", "name",
                          ms->object_name ? ms->object_name : "");
    if (ms->object_api_version) json_object_set_new(d, "apiVersion", json_string(ms->object_api_version));
    json_object_set_new(obj, "describedObject", d);
    return json_pack("{s:s,s:o}", "type", "Object", "object", obj);
  }
  case HPA_METRIC_EXTERNAL:
    return json_pack("{s:s,s:{s:o,s:o}}", "type", "External", "external", "metric", metric_id_json(ms, sel),
                     "current", value_status(m));
  default:
    return json_pack("{s:s}", "type", "");
  }
}

/* spillway's extension for `describe`: each metric's value and proposal. */
static json_t *proposal_json(const hpa_metric_result *m) {
  const hpa_metric_spec *ms = m->spec;
  json_t *o = json_pack("{s:s,s:s}", "name", ms->name ? ms->name : "", "type",
                        ms->type_name ? ms->type_name : hpa_metric_type_name(ms->type));
  char buf[48];
  if (!m->ok)
    json_object_set_new(o, "current", json_null());
  else if (m->has_average_utilization) {
    snprintf(buf, sizeof buf, "%d%%", m->average_utilization);
    json_object_set_new(o, "current", json_string(buf));
  } else
    json_object_set_new(o, "current", qty_json(m->has_value ? m->value_milli : m->average_value_milli));
  if (ms->target_type == HPA_TARGET_UTILIZATION && ms->has_average_utilization) {
    snprintf(buf, sizeof buf, "%d%%", ms->average_utilization);
    json_object_set_new(o, "target", json_string(buf));
  } else if (ms->target_type == HPA_TARGET_VALUE && ms->has_value)
    json_object_set_new(o, "target", qty_json(ms->value_milli));
  else if (ms->has_average_value)
    json_object_set_new(o, "target", qty_json(ms->average_value_milli));
  json_object_set_new(o, "proposedReplicas", m->ok ? json_integer(m->proposal) : json_null());
  if (!m->ok && m->error) json_object_set_new(o, "error", json_string(m->error));
  if (m->detail) json_object_set_new(o, "detail", json_string(m->detail));
  return o;
}

/* setConditionInList over the previous status: existing conditions keep their
 * place; lastTransitionTime changes only when the status does. */
static json_t *merge_conditions(const json_t *prev, const hpa_condition *set, size_t n_set, double now) {
  json_t *out = json_deep_copy(json_is_array(prev) ? prev : NULL);
  if (!out) out = json_array();
  for (size_t i = 0; i < n_set; i++) {
    const hpa_condition *c = &set[i];
    const char *st = c->status ? "True" : "False";
    json_t *existing = NULL;
    size_t k;
    json_t *e;
    json_array_foreach(out, k, e) {
      if (sw_streq(jstr(e, "type"), c->type_name)) existing = e;
    }
    if (!existing) {
      existing = json_pack("{s:s}", "type", c->type_name);
      json_array_append_new(out, existing);
    }
    if (!sw_streq(jstr(existing, "status"), st) || !json_object_get(existing, "lastTransitionTime"))
      json_object_set_new(existing, "lastTransitionTime", time_json(now));
    json_object_set_new(existing, "status", json_string(st));
    json_object_set_new(existing, "reason", json_string(c->reason ? c->reason : ""));
    json_object_set_new(existing, "message", json_string(c->message ? c->message : ""));
  }
  return out;
}

static void emit_events(plane *p, const char *kind, const char *ns, const char *name, const hpa_result *r) {
  for (size_t i = 0; i < r->n_events; i++)
    plane_event(p, kind, ns, name, r->events[i].warning ? "Warning" : "Normal", r->events[i].reason, "%s",
                r->events[i].message);
}

/* The target could not be read: AbleToScale=False FailedGetScale, status
 * without currentReplicas. */
static void fail_get_scale(plane *p, const char *kind, const char *ns, const char *name, const json_t *obj,
                           const char *reason, const char *msg, double now) {
  const json_t *prev = json_object_get(obj, "status");
  json_t *status = json_is_object(prev) ? json_deep_copy(prev) : json_object();
  json_object_del(status, "currentReplicas");
  hpa_condition cond = {HPA_COND_ABLE_TO_SCALE, "AbleToScale", false, reason, NULL};
  char *full = sw_xasprintf("the HPA controller was unable to get the target's current scale: %s", msg);
  cond.message = full;
  json_t *conds = merge_conditions(json_object_get(prev, "conditions"), &cond, 1, now);
  json_object_set_new(status, "conditions", conds);
  const json_t *gen = json_object_get(json_object_get(obj, "metadata"), "generation");
  if (json_is_integer(gen)) json_object_set(status, "observedGeneration", (json_t *)gen);
  sw_err err;
  if (store_update_status(p->store, kind, ns, name, status, &err) != 0)
    SW_WARN("autoscale", "%s %s/%s: writing status: %s", kind, ns, name, err.msg);
  json_decref(status);
  plane_event(p, kind, ns, name, "Warning", reason, "%s", msg);
  free(full);
}

/* Other autoscalers in the namespace with the same target (upstream's
 * AmbiguousSelector check, by target rather than by selector overlap). */
static char *ambiguous_with(const json_t *all, const char *kind, const char *ns, const char *name,
                            const char *target) {
  sw_buf b;
  sw_buf_init(&b);
  size_t i;
  const json_t *o;
  json_array_foreach(all, i, o) {
    const json_t *meta = json_object_get(o, "metadata");
    const char *okind = jstr(o, "kind"), *ons = jstr(meta, "namespace"), *oname = jstr(meta, "name");
    if (!sw_streq(ons, ns) || (sw_streq(okind, kind) && sw_streq(oname, name))) continue;
    const json_t *ref = json_object_get(json_object_get(o, "spec"), "scaleTargetRef");
    if (!sw_streq(jstr(ref, "kind"), "Deployment") || !sw_streq(jstr(ref, "name"), target)) continue;
    sw_buf_printf(&b, "%s%s %s/%s", b.len ? ", " : "", okind ? okind : "", ns, oname ? oname : "");
  }
  if (!b.len) {
    sw_buf_free(&b);
    return NULL;
  }
  return sw_buf_steal(&b);
}

static void reconcile_one(autoscale_controller *c, plane *p, const json_t *obj, const json_t *all,
                          double now) {
  const json_t *meta = json_object_get(obj, "metadata");
  const char *kind = jstr(obj, "kind"), *ns = jstr(meta, "namespace"), *name = jstr(meta, "name");
  if (!kind || !ns || !name) return;
  const json_t *spec_json = json_object_get(obj, "spec");
  const json_t *prev = json_object_get(obj, "status");
  sw_arena *a = sw_arena_new(16384);
  sw_err err = {0};
  json_t *pods_json = NULL, *target = NULL;
  char *selector = NULL, *ambiguous = NULL;
  hpa_spec spec;
  if (autoscale_spec_decode(spec_json, "spec", a, &spec, &err) != 0) {
    fail_get_scale(p, kind, ns, name, obj, "InvalidSpec", err.msg, now);
    goto out;
  }
  const json_t *ref = json_object_get(spec_json, "scaleTargetRef");
  const char *tkind = jstr(ref, "kind"), *tname = jstr(ref, "name");
  const char *tapi = jstr(ref, "apiVersion") ? jstr(ref, "apiVersion") : "apps/v1";
  if (!tkind || !tname) {
    fail_get_scale(p, kind, ns, name, obj, "FailedGetScale", "spec.scaleTargetRef needs kind and name", now);
    goto out;
  }
  if (strcmp(tkind, "Deployment") != 0) {
    char msg[512];
    snprintf(msg, sizeof msg, "no matches for kind \"%s\" in version \"%s\" (spillway scales Deployments)",
             tkind, tapi);
    fail_get_scale(p, kind, ns, name, obj, "FailedGetScale", msg, now);
    goto out;
  }
  target = store_get(p->store, "Deployment", ns, tname);
  if (!target) {
    char msg[512];
    snprintf(msg, sizeof msg, "deployments.apps \"%s\" not found in namespace \"%s\"", tname, ns);
    fail_get_scale(p, kind, ns, name, obj, "FailedGetScale", msg, now);
    goto out;
  }
  const json_t *tspec = json_object_get(target, "spec");
  const json_t *tsel = json_object_get(tspec, "selector");
  bool sel_empty = !json_is_object(tsel) || (json_object_size(json_object_get(tsel, "matchLabels")) == 0 &&
                                             json_array_size(json_object_get(tsel, "matchExpressions")) == 0);
  selector = sel_empty ? sw_xstrdup("") : api_selector_string(tsel);
  /* The pods the selector matches, in every cluster. */
  json_t *all_pods = store_list(p->store, "Pod", ns);
  pods_json = json_array();
  size_t i;
  json_t *pj;
  if (!sel_empty) json_array_foreach(all_pods, i, pj) {
      if (api_selector_matches(tsel, json_object_get(json_object_get(pj, "metadata"), "labels")))
        json_array_append(pods_json, pj);
    }
  json_decref(all_pods);
  size_t n_pods = json_array_size(pods_json);
  hpa_pod *pods = sw_arena_alloc(a, sizeof *pods * (n_pods + 1));
  int32_t live = 0;
  json_array_foreach(pods_json, i, pj) {
    pod_from_json(pj, a, &pods[i]);
    if (!pods[i].deleting && pods[i].phase != HPA_POD_FAILED && pods[i].phase != HPA_POD_SUCCEEDED) live++;
  }
  const json_t *rep = json_object_get(tspec, "replicas");
  const json_t *srep = json_object_get(json_object_get(target, "status"), "replicas");
  hpa_input in = {0};
  in.spec = &spec;
  in.ns = ns;
  in.spec_replicas = json_is_integer(rep) ? (int32_t)json_integer_value(rep) : 1;
  in.status_replicas = json_is_integer(srep) ? (int32_t)json_integer_value(srep) : live;
  in.selector = selector;
  ambiguous = ambiguous_with(all, kind, ns, name, tname);
  in.ambiguous_with = ambiguous;
  in.pods = pods;
  in.n_pods = n_pods;
  in.options = c->opts.hpa;
  in.now = now;
  load_history(prev, a, &in);
  const char *adv = jstr(json_object_get(meta, "annotations"), AUTOSCALE_ADVISORY_ANNOTATION);
  bool advisory = adv && strcmp(adv, "true") == 0;
  in.outcome = advisory ? HPA_RESCALE_ADVISORY : HPA_RESCALE_ASSUME_OK;
  /* Metrics are only read when the algorithm will use them. */
  bool need_metrics = !(in.spec_replicas == 0 && spec.min_replicas != 0) &&
                      in.spec_replicas <= spec.max_replicas && in.spec_replicas >= spec.min_replicas &&
                      selector[0] && !ambiguous;
  in.metrics = need_metrics ? fetch_metrics(c, ns, spec_json, &spec, pods, n_pods, a)
                            : sw_arena_alloc(a, sizeof(hpa_metric_input) * (spec.n_metrics + 1));
  hpa_result r;
  if (hpa_reconcile(&in, a, &r, &err) != 0) {
    SW_WARN("autoscale", "%s %s/%s: %s", kind, ns, name, err.msg);
    goto out;
  }
  if (r.rescale) {
    json_t *patch = json_pack("{s:{s:i}}", "spec", "replicas", (int)r.desired_replicas);
    sw_err perr = {0};
    int prc = store_merge_patch(p->store, "Deployment", ns, tname, patch, NULL, &perr);
    json_decref(patch);
    if (prc != 0) {
      in.outcome = HPA_RESCALE_FAILED;
      in.rescale_error = perr.msg;
      if (hpa_reconcile(&in, a, &r, &err) != 0) goto out;
    } else {
      SW_INFO("autoscale", "%s %s/%s: Deployment %s %d -> %d (%s)", kind, ns, name, tname, r.current_replicas,
              r.desired_replicas, r.rescale_reason);
    }
  }
  /* status, in the autoscaling/v2 shape */
  json_t *status = json_object();
  const json_t *gen = json_object_get(meta, "generation");
  if (json_is_integer(gen)) json_object_set(status, "observedGeneration", (json_t *)gen);
  if (r.set_last_scale_time)
    json_object_set_new(status, "lastScaleTime", time_json(now));
  else if (json_object_get(prev, "lastScaleTime"))
    json_object_set(status, "lastScaleTime", json_object_get(prev, "lastScaleTime"));
  json_object_set_new(status, "currentReplicas", json_integer(r.current_replicas));
  const json_t *prev_desired = json_object_get(prev, "desiredReplicas");
  if (r.metrics_failed && json_is_integer(prev_desired))
    json_object_set(status, "desiredReplicas", (json_t *)prev_desired);
  else
    json_object_set_new(status, "desiredReplicas", json_integer(r.desired_replicas));
  if (r.metrics_failed) {
    const json_t *pm = json_object_get(prev, "currentMetrics");
    if (json_is_array(pm)) json_object_set(status, "currentMetrics", (json_t *)pm);
  } else if (r.metric_desired >= 0 || r.n_metrics) {
    json_t *cm = json_array();
    bool any = false;
    for (size_t k = 0; k < r.n_metrics; k++) {
      json_array_append_new(cm, metric_status_json(&r.metrics[k], spec_json, k));
      any |= r.metrics[k].ok || r.metrics[k].error;
    }
    if (any)
      json_object_set_new(status, "currentMetrics", cm);
    else
      json_decref(cm);
  }
  json_object_set_new(
      status, "conditions",
      merge_conditions(json_object_get(prev, "conditions"), r.conditions, r.n_conditions, now));
  json_t *props = json_array();
  for (size_t k = 0; k < r.n_metrics; k++)
    if (r.metrics[k].ok || r.metrics[k].error) json_array_append_new(props, proposal_json(&r.metrics[k]));
  json_object_set_new(status, "metricProposals", props);
  if (r.limited_by && *r.limited_by) json_object_set_new(status, "limitedBy", json_string(r.limited_by));
  if (advisory) {
    json_object_set_new(status, "advisory", json_true());
    json_object_set_new(status, "recommendedReplicas", json_integer(r.computed));
  }
  json_t *recs = json_array();
  for (size_t k = 0; k < r.n_recommendations; k++)
    json_array_append_new(recs, json_pack("{s:o,s:i}", "time", micro_time_json(r.recommendations[k].time),
                                          "replicas", (int)r.recommendations[k].replicas));
  json_object_set_new(status, "recommendations", recs);
  json_t *evs = json_array();
  for (size_t k = 0; k < r.n_scale_events; k++)
    json_array_append_new(evs, json_pack("{s:o,s:i}", "time", micro_time_json(r.scale_events[k].time),
                                         "change", (int)r.scale_events[k].change));
  json_object_set_new(status, "scaleEvents", evs);
  sw_err serr;
  if (store_update_status(p->store, kind, ns, name, status, &serr) != 0)
    SW_WARN("autoscale", "%s %s/%s: writing status: %s", kind, ns, name, serr.msg);
  json_decref(status);
  emit_events(p, kind, ns, name, &r);
out:
  json_decref(pods_json);
  json_decref(target);
  free(selector);
  free(ambiguous);
  sw_arena_free(a);
}

void autoscale_controller_sync(autoscale_controller *c, plane *p, double now) {
  json_t *all = json_array();
  const char *kinds[] = {"FederatedHPA", "HorizontalPodAutoscaler"};
  for (size_t k = 0; k < 2; k++) {
    json_t *l = store_list(p->store, kinds[k], NULL);
    json_array_extend(all, l);
    json_decref(l);
  }
  size_t i;
  json_t *o;
  json_array_foreach(all, i, o) reconcile_one(c, p, o, all, now);
  json_decref(all);
}

/* ---- plane wiring --------------------------------------------------------------------- */

static void sync_cb(void *self, plane *p, double now) { autoscale_controller_sync(self, p, now); }
static void kserve_cb(void *self, plane *p, double now) { autoscale_kserve_sync(self, p, now); }

/* A new autoscaler or InferenceService is reconciled at once instead of at the
 * next period, as upstream enqueues on add. Only ADDED: status writes of our own
 * would otherwise wake us forever. */
static void on_added(void *ud, store_event_type type, const json_t *obj) {
  autoscale_controller *c = ud;
  if (type != STORE_ADDED) return;
  const char *kind = json_string_value(json_object_get(obj, "kind"));
  plane_kick(c->p, sw_streq(kind, "InferenceService") ? "kserve" : "autoscaler");
}

autoscale_controller *autoscale_controller_start(plane *p, const autoscale_metrics_source *src,
                                                 const autoscale_opts *o) {
  if (!p) return NULL;
  autoscale_controller *c = sw_xcalloc(1, sizeof *c);
  if (src) c->src = *src;
  if (o)
    c->opts = *o;
  else
    autoscale_opts_default(&c->opts);
  if (c->opts.sync_period <= 0) c->opts.sync_period = 5;
  c->p = p;
  plane_add_controller(p, "autoscaler", c->opts.sync_period, sync_cb, c);
  c->watch_ids[c->n_watches++] = store_watch(p->store, "FederatedHPA", on_added, c);
  c->watch_ids[c->n_watches++] = store_watch(p->store, "HorizontalPodAutoscaler", on_added, c);
  if (c->opts.kserve) {
    plane_add_controller(p, "kserve", c->opts.sync_period, kserve_cb, c);
    c->watch_ids[c->n_watches++] = store_watch(p->store, "InferenceService", on_added, c);
  }
  return c;
}

void autoscale_controller_free(autoscale_controller *c) {
  if (!c) return;
  for (size_t i = 0; i < c->n_watches; i++) store_unwatch(c->p->store, c->watch_ids[i]);
  free(c);
}
