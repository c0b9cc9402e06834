/*
 * explain.c — `spillway autoscale explain`: one reconcile of the HPA algorithm
 * on a state given as JSON, printed as JSON. The same hpa_reconcile the
 * controllers run, so the answer is what the autoscaler would do.
 *
 * Role in the data flow: a what-if tool outside the control plane (no store,
 * no clock: `now` is part of the input). The input is untrusted (users' files,
 * the fuzzer): every error names the JSON path and what was expected. The
 * input and output formats are documented in docs/autoscale.md and are kept
 * stable: fields may be added, never renamed or removed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoscale/autoscale.h"

#define MAX_PODS 100000
#define MAX_SERIES 100000

static int bad(sw_err *err, const char *path, const char *what, const json_t *v) {
  char got[96];
  if (!v)
    snprintf(got, sizeof got, "nothing");
  else if (json_is_string(v))
    snprintf(got, sizeof got, "\"%.60s\"", json_string_value(v));
  else if (json_is_integer(v))
    snprintf(got, sizeof got, "%lld", (long long)json_integer_value(v));
  else if (json_is_real(v))
    snprintf(got, sizeof got, "%g", json_real_value(v));
  else if (json_is_boolean(v))
    snprintf(got, sizeof got, "%s", json_is_true(v) ? "true" : "false");
  else if (json_is_null(v))
    snprintf(got, sizeof got, "null");
  else if (json_is_array(v))
    snprintf(got, sizeof got, "an array");
  else
    snprintf(got, sizeof got, "an object");
  return sw_err_set(err, SW_EINVAL, "%s: expected %s, got %s", path, what, got);
}

static int time_field(const json_t *obj, const char *key, const char *path, double *out, bool *present,
                      sw_err *err) {
  const json_t *v = json_object_get(obj, key);
  if (present) *present = false;
  if (!v || json_is_null(v)) return 0;
  double t;
  if (!json_is_string(v) || sw_time_parse(json_string_value(v), &t) != 0) {
    char p[256];
    snprintf(p, sizeof p, "%s.%s", path, key);
    return bad(err, p, "an RFC 3339 time such as \"2026-11-23T08:44:33Z\"", v);
  }
  *out = t;
  if (present) *present = true;
  return 0;
}

static int number_field(const json_t *obj, const char *key, const char *path, double lo, double *out,
                        sw_err *err) {
  const json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) return 0;
  if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < lo) {
    char p[256], what[64];
    snprintf(p, sizeof p, "%s.%s", path, key);
    snprintf(what, sizeof what, "a number >= %g", lo);
    return bad(err, p, what, v);
  }
  *out = json_number_value(v);
  return 0;
}

static int int_field(const json_t *obj, const char *key, const char *path, bool required, json_int_t lo,
                     json_int_t hi, json_int_t *out, sw_err *err) {
  const json_t *v = json_object_get(obj, key);
  char p[256];
  snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
  if (!v || json_is_null(v)) {
    if (required) return sw_err_set(err, SW_EINVAL, "%s: required field is missing", p);
    return 0;
  }
  if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
    char what[96];
    snprintf(what, sizeof what, "an integer from %lld to %lld", (long long)lo, (long long)hi);
    return bad(err, p, what, v);
  }
  *out = json_integer_value(v);
  return 1;
}

static int quantity(const json_t *v, const char *path, int64_t *milli, sw_err *err) {
  int rc = -1;
  if (json_is_string(v))
    rc = hpa_quantity_milli(json_string_value(v), milli);
  else if (json_is_integer(v)) {
    json_int_t i = json_integer_value(v);
    if (i <= INT64_MAX / 1000 && i >= INT64_MIN / 1000) {
      *milli = (int64_t)i * 1000;
      rc = 0;
    }
  } else if (json_is_real(v) && isfinite(json_real_value(v))) {
    *milli = hpa_milli_from_double(json_real_value(v));
    rc = 0;
  }
  if (rc != 0) return bad(err, path, "a quantity such as \"58\", \"500m\" or \"12Gi\"", v);
  return 0;
}

static hpa_pod_phase parse_phase(const char *s, bool *ok) {
  *ok = true;
  if (strcmp(s, "Pending") == 0) return HPA_POD_PENDING;
  if (strcmp(s, "Running") == 0) return HPA_POD_RUNNING;
  if (strcmp(s, "Succeeded") == 0) return HPA_POD_SUCCEEDED;
  if (strcmp(s, "Failed") == 0) return HPA_POD_FAILED;
  if (strcmp(s, "Unknown") == 0) return HPA_POD_UNKNOWN;
  *ok = false;
  return HPA_POD_UNKNOWN;
}

/* "requests": {"cpu": "500m", ...} */
static int decode_requests(const json_t *v, const char *path, sw_arena *a, hpa_container *c, sw_err *err) {
  if (!v || json_is_null(v)) return 0;
  if (!json_is_object(v))
    return bad(err, path, "an object of resource quantities such as {\"cpu\": \"500m\"}", v);
  size_t n = json_object_size(v), k = 0;
  hpa_request *r = sw_arena_alloc(a, sizeof *r * (n + 1));
  const char *key;
  json_t *q;
  json_object_foreach((json_t *)v, key, q) {
    char p[512];
    snprintf(p, sizeof p, "%s.%s", path, key);
    if (quantity(q, p, &r[k].milli, err) != 0) return -1;
    r[k].resource = sw_arena_strdup(a, key);
    k++;
  }
  c->requests = r;
  c->n_requests = k;
  return 0;
}

/* A pod's value of one metric key from its "metrics" object. */
typedef struct pod_in {
  const json_t *metrics;    /* pod-level "metrics" */
  const json_t *containers; /* "containers" array */
  double ts, window;
} pod_in;

typedef struct state {
  hpa_spec spec;
  hpa_input in;
  hpa_pod *pods;
  pod_in *raw;
  const char *advisory;
} state;

static int decode_pods(const json_t *pods, state *st, sw_arena *a, double now, sw_err *err) {
  if (!pods || json_is_null(pods)) return 0;
  if (!json_is_array(pods)) return bad(err, "pods", "a list of pods", pods);
  size_t n = json_array_size(pods);
  if (n > MAX_PODS)
    return sw_err_set(err, SW_EINVAL, "pods: at most %d pods are accepted, got %zu", MAX_PODS, n);
  st->pods = sw_arena_alloc(a, sizeof(hpa_pod) * (n + 1));
  st->raw = sw_arena_alloc(a, sizeof(pod_in) * (n + 1));
  for (size_t i = 0; i < n; i++) {
    const json_t *p = json_array_get(pods, i);
    char path[64];
    snprintf(path, sizeof path, "pods[%zu]", i);
    if (!json_is_object(p)) return bad(err, path, "a pod object", p);
    hpa_pod *pod = &st->pods[i];
    const json_t *name = json_object_get(p, "name");
    if (!json_is_string(name)) {
      char pp[96];
      snprintf(pp, sizeof pp, "%s.name", path);
      return bad(err, pp, "the pod's name (a string)", name);
    }
    pod->name = sw_arena_strdup(a, json_string_value(name));
    pod->phase = HPA_POD_RUNNING;
    const json_t *phase = json_object_get(p, "phase");
    if (phase && !json_is_null(phase)) {
      bool ok = json_is_string(phase);
      if (ok) pod->phase = parse_phase(json_string_value(phase), &ok);
      if (!ok) {
        char pp[96];
        snprintf(pp, sizeof pp, "%s.phase", path);
        return bad(err, pp, "one of Pending, Running, Succeeded, Failed, Unknown", phase);
      }
    }
    const json_t *ready = json_object_get(p, "ready");
    if (ready && !json_is_null(ready) && !json_is_boolean(ready)) {
      char pp[96];
      snprintf(pp, sizeof pp, "%s.ready", path);
      return bad(err, pp, "true or false", ready);
    }
    /* A pod listed without "ready" is Ready when Running (the common case in
     * what-if files); "ready": false gives it a Ready=False condition. */
    pod->has_ready_condition = true;
    pod->ready = ready && !json_is_null(ready) ? json_is_true(ready) : pod->phase == HPA_POD_RUNNING;
    const json_t *del = json_object_get(p, "deleting");
    if (del && !json_is_null(del) && !json_is_boolean(del)) {
      char pp[96];
      snprintf(pp, sizeof pp, "%s.deleting", path);
      return bad(err, pp, "true or false", del);
    }
    pod->deleting = json_is_true(del);
    if (time_field(p, "startTime", path, &pod->start_time, &pod->has_start_time, err) != 0) return -1;
    bool has_rt;
    if (time_field(p, "readyTransitionTime", path, &pod->ready_transition_time, &has_rt, err) != 0) return -1;
    if (!has_rt) pod->ready_transition_time = pod->has_start_time ? pod->start_time : 0;
    pod_in *raw = &st->raw[i];
    raw->ts = now;
    raw->window = 30;
    if (time_field(p, "metricsTime", path, &raw->ts, NULL, err) != 0) return -1;
    if (number_field(p, "metricsWindowSeconds", path, 0, &raw->window, err) != 0) return -1;
    raw->metrics = json_object_get(p, "metrics");
    if (raw->metrics && !json_is_null(raw->metrics) && !json_is_object(raw->metrics)) {
      char pp[96];
      snprintf(pp, sizeof pp, "%s.metrics", path);
      return bad(err, pp, "an object of metric values such as {\"num_requests_running\": \"58\"}",
                 raw->metrics);
    }
    /* containers: [{name, requests, metrics}] or the pod-level "requests" as one container */
    const json_t *cs = json_object_get(p, "containers");
    if (cs && !json_is_null(cs)) {
      char cp[96];
      snprintf(cp, sizeof cp, "%s.containers", path);
      if (!json_is_array(cs)) return bad(err, cp, "a list of containers", cs);
      size_t nc = json_array_size(cs);
      hpa_container *c = sw_arena_alloc(a, sizeof *c * (nc + 1));
      for (size_t k = 0; k < nc; k++) {
        const json_t *ct = json_array_get(cs, k);
        char kp[128];
        snprintf(kp, sizeof kp, "%s[%zu]", cp, k);
        if (!json_is_object(ct)) return bad(err, kp, "a container object {name, requests, metrics}", ct);
        const json_t *cn = json_object_get(ct, "name");
        if (!json_is_string(cn)) {
          char np[160];
          snprintf(np, sizeof np, "%s.name", kp);
          return bad(err, np, "the container's name (a string)", cn);
        }
        c[k].name = sw_arena_strdup(a, json_string_value(cn));
        char rp[160];
        snprintf(rp, sizeof rp, "%s.requests", kp);
        if (decode_requests(json_object_get(ct, "requests"), rp, a, &c[k], err) != 0) return -1;
        const json_t *cm = json_object_get(ct, "metrics");
        if (cm && !json_is_null(cm) && !json_is_object(cm)) {
          char mp[160];
          snprintf(mp, sizeof mp, "%s.metrics", kp);
          return bad(err, mp, "an object of resource usage such as {\"cpu\": \"250m\"}", cm);
        }
      }
      pod->containers = c;
      pod->n_containers = nc;
      raw->containers = cs;
    } else {
      hpa_container *c = sw_arena_alloc(a, sizeof *c);
      c->name = "main";
      char rp[96];
      snprintf(rp, sizeof rp, "%s.requests", path);
      if (decode_requests(json_object_get(p, "requests"), rp, a, c, err) != 0) return -1;
      pod->containers = c;
      pod->n_containers = 1;
    }
  }
  st->in.pods = st->pods;
  st->in.n_pods = n;
  return 0;
}

/* Samples of one metric key for every pod. container: ContainerResource's
 * container (looked up in containers[].metrics), else the pod's "metrics". */
static int pod_samples(state *st, sw_arena *a, const char *key, const char *container, hpa_sample **out,
                       sw_err *err) {
  size_t n = st->in.n_pods;
  hpa_sample *s = sw_arena_alloc(a, sizeof *s * (n + 1));
  for (size_t i = 0; i < n; i++) {
    const pod_in *raw = &st->raw[i];
    const json_t *src = raw->metrics;
    char path[256];
    snprintf(path, sizeof path, "pods[%zu].metrics.%s", i, key);
    if (container) {
      src = NULL;
      size_t k;
      const json_t *ct;
      json_array_foreach(raw->containers, k, ct) {
        if (sw_streq(json_string_value(json_object_get(ct, "name")), container)) {
          src = json_object_get(ct, "metrics");
          snprintf(path, sizeof path, "pods[%zu].containers[%zu].metrics.%s", i, k, key);
        }
      }
    }
    const json_t *v = json_is_object(src) ? json_object_get(src, key) : NULL;
    s[i].timestamp = raw->ts;
    s[i].window = raw->window;
    if (!v || json_is_null(v)) {
      s[i].present = false;
      char why[512];
      if (container)
        snprintf(why, sizeof why, "the input has no value for %s in container \"%s\"", key, container);
      else
        snprintf(why, sizeof why, "the input has no value for \"%s\" in pods[%zu].metrics", key, i);
      s[i].error = sw_arena_strdup(a, why);
      continue;
    }
    if (quantity(v, path, &s[i].milli, err) != 0) return -1;
    s[i].present = true;
  }
  *out = s;
  return 0;
}

static int decode_metric_inputs(const json_t *input, state *st, sw_arena *a, sw_err *err) {
  const hpa_spec *spec = &st->spec;
  hpa_metric_input *mi = sw_arena_alloc(a, sizeof *mi * (spec->n_metrics + 1));
  const json_t *objs = json_object_get(input, "objectMetrics");
  const json_t *exts = json_object_get(input, "externalMetrics");
  if (objs && !json_is_null(objs) && !json_is_object(objs))
    return bad(err, "objectMetrics", "an object such as {\"Service/gateway/requests\": \"120\"}", objs);
  if (exts && !json_is_null(exts) && !json_is_object(exts))
    return bad(err, "externalMetrics", "an object such as {\"queue_depth\": [\"30\"]}", exts);
  for (size_t i = 0; i < spec->n_metrics; i++) {
    const hpa_metric_spec *ms = &spec->metrics[i];
    hpa_sample *samples = NULL;
    switch (ms->type) {
    case HPA_METRIC_PODS:
    case HPA_METRIC_RESOURCE:
      if (pod_samples(st, a, ms->name, NULL, &samples, err) != 0) return -1;
      mi[i].samples = samples;
      break;
    case HPA_METRIC_CONTAINER_RESOURCE:
      if (pod_samples(st, a, ms->name, ms->container, &samples, err) != 0) return -1;
      mi[i].samples = samples;
      break;
    case HPA_METRIC_OBJECT: {
      char key[512];
      snprintf(key, sizeof key, "%s/%s/%s", ms->object_kind, ms->object_name, ms->name);
      const json_t *v = json_is_object(objs) ? json_object_get(objs, key) : NULL;
      if (!v || json_is_null(v)) {
        char why[600];
        snprintf(why, sizeof why, "the input has no value for \"%s\" in objectMetrics", key);
        mi[i].error = sw_arena_strdup(a, why);
        break;
      }
      char path[600];
      snprintf(path, sizeof path, "objectMetrics.%s", key);
      if (quantity(v, path, &mi[i].object_milli, err) != 0) return -1;
      break;
    }
    case HPA_METRIC_EXTERNAL: {
      const json_t *v = json_is_object(exts) ? json_object_get(exts, ms->name) : NULL;
      char path[600];
      snprintf(path, sizeof path, "externalMetrics.%s", ms->name);
      if (!v || json_is_null(v)) {
        char why[600];
        snprintf(why, sizeof why, "the input has no value for \"%s\" in externalMetrics", ms->name);
        mi[i].error = sw_arena_strdup(a, why);
        break;
      }
      if (!json_is_array(v)) { /* a single quantity is one series */
        int64_t *one = sw_arena_alloc(a, sizeof *one);
        if (quantity(v, path, one, err) != 0) return -1;
        mi[i].external_milli = one;
        mi[i].n_external = 1;
        break;
      }
      size_t n = json_array_size(v);
      if (n > MAX_SERIES)
        return sw_err_set(err, SW_EINVAL, "%s: at most %d series are accepted", path, MAX_SERIES);
      int64_t *vals = sw_arena_alloc(a, sizeof *vals * (n + 1));
      for (size_t k = 0; k < n; k++) {
        char ip[640];
        snprintf(ip, sizeof ip, "%s[%zu]", path, k);
        if (quantity(json_array_get(v, k), ip, &vals[k], err) != 0) return -1;
      }
      mi[i].external_milli = vals;
      mi[i].n_external = n;
      break;
    }
    default:
      break;
    }
  }
  st->in.metrics = mi;
  return 0;
}

static int decode_history(const json_t *input, state *st, sw_arena *a, sw_err *err) {
  const json_t *recs = json_object_get(input, "recommendations");
  if (recs && !json_is_null(recs)) {
    if (!json_is_array(recs)) return bad(err, "recommendations", "a list of {time, replicas}", recs);
    size_t n = json_array_size(recs);
    hpa_recommendation *r = sw_arena_alloc(a, sizeof *r * (n + 1));
    for (size_t i = 0; i < n; i++) {
      const json_t *e = json_array_get(recs, i);
      char path[64];
      snprintf(path, sizeof path, "recommendations[%zu]", i);
      if (!json_is_object(e)) return bad(err, path, "an object {time, replicas}", e);
      bool has;
      if (time_field(e, "time", path, &r[i].time, &has, err) != 0) return -1;
      if (!has) return sw_err_set(err, SW_EINVAL, "%s.time: required field is missing", path);
      json_int_t v = 0;
      if (int_field(e, "replicas", path, true, 0, INT32_MAX, &v, err) < 0) return -1;
      r[i].replicas = (int32_t)v;
    }
    st->in.recommendations = r;
    st->in.n_recommendations = n;
  }
  const json_t *evs = json_object_get(input, "scaleEvents");
  if (evs && !json_is_null(evs)) {
    if (!json_is_array(evs)) return bad(err, "scaleEvents", "a list of {time, change}", evs);
    size_t n = json_array_size(evs);
    hpa_scale_event *r = sw_arena_alloc(a, sizeof *r * (n + 1));
    for (size_t i = 0; i < n; i++) {
      const json_t *e = json_array_get(evs, i);
      char path[64];
      snprintf(path, sizeof path, "scaleEvents[%zu]", i);
      if (!json_is_object(e)) return bad(err, path, "an object {time, change}", e);
      bool has;
      if (time_field(e, "time", path, &r[i].time, &has, err) != 0) return -1;
      if (!has) return sw_err_set(err, SW_EINVAL, "%s.time: required field is missing", path);
      json_int_t v = 0;
      if (int_field(e, "change", path, true, -INT32_MAX, INT32_MAX, &v, err) < 0) return -1;
      r[i].change = (int32_t)v;
    }
    st->in.scale_events = r;
    st->in.n_scale_events = n;
  }
  return 0;
}

static int decode_options(const json_t *input, hpa_options *o, sw_err *err) {
  hpa_options_default(o);
  const json_t *opts = json_object_get(input, "options");
  if (!opts || json_is_null(opts)) return 0;
  if (!json_is_object(opts)) return bad(err, "options", "an object", opts);
  if (number_field(opts, "tolerance", "options", 0, &o->tolerance, err) != 0) return -1;
  if (number_field(opts, "cpuInitializationPeriodSeconds", "options", 0, &o->cpu_initialization_period,
                   err) != 0)
    return -1;
  if (number_field(opts, "initialReadinessDelaySeconds", "options", 0, &o->initial_readiness_delay, err) != 0)
    return -1;
  if (number_field(opts, "downscaleStabilizationSeconds", "options", 0, &o->downscale_stabilization, err) !=
      0)
    return -1;
  return 0;
}

/* ---- output --------------------------------------------------------------------- */

static json_t *qty(int64_t milli) {
  char buf[48];
  hpa_milli_format(milli, buf, sizeof buf);
  return json_string(buf);
}

/* metav1.MicroTime, as the controller writes its histories. */
static json_t *micro_time_json(double t) {
  char buf[40];
  sw_time_format_micro(t, buf, sizeof buf);
  return json_string(buf);
}

static json_t *target_json(const hpa_metric_spec *ms) {
  if (ms->target_type == HPA_TARGET_UTILIZATION && ms->has_average_utilization) {
    char buf[32];
    snprintf(buf, sizeof buf, "%d%%", ms->average_utilization);
    return json_string(buf);
  }
  if (ms->target_type == HPA_TARGET_VALUE && ms->has_value) return qty(ms->value_milli);
  if (ms->has_average_value) return qty(ms->average_value_milli);
  if (ms->has_value) return qty(ms->value_milli);
  return json_null();
}

static json_t *metric_json(const hpa_metric_result *m) {
  const hpa_metric_spec *ms = m->spec;
  json_t *o = json_object();
  json_object_set_new(o, "name", json_string(ms->name ? ms->name : ""));
  json_object_set_new(o, "type", json_string(ms->type_name ? ms->type_name : hpa_metric_type_name(ms->type)));
  if (ms->container) json_object_set_new(o, "container", json_string(ms->container));
  if (ms->type == HPA_METRIC_OBJECT && ms->object_kind) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", ms->object_kind, ms->object_name ? ms->object_name : "");
    json_object_set_new(o, "object", json_string(buf));
  }
  if (!m->ok)
    json_object_set_new(o, "current", json_null());
  else if (m->has_average_utilization) {
    char buf[32];
    snprintf(buf, sizeof buf, "%d%%", m->average_utilization);
    json_object_set_new(o, "current", json_string(buf));
    json_object_set_new(o, "currentAverageValue", qty(m->average_value_milli));
  } else if (m->has_value)
    json_object_set_new(o, "current", qty(m->value_milli));
  else
    json_object_set_new(o, "current", qty(m->average_value_milli));
  json_object_set_new(o, "target", target_json(ms));
  json_object_set_new(o, "proposedReplicas", m->ok ? json_integer(m->proposal) : json_null());
  if (m->ok && m->description) json_object_set_new(o, "description", json_string(m->description));
  if (!m->ok && m->reason) json_object_set_new(o, "reason", json_string(m->reason));
  if (!m->ok && m->error) json_object_set_new(o, "error", json_string(m->error));
  if (ms->type == HPA_METRIC_PODS || ms->type == HPA_METRIC_RESOURCE ||
      ms->type == HPA_METRIC_CONTAINER_RESOURCE) {
    json_object_set_new(o, "readyPods", json_integer(m->n_ready));
    json_object_set_new(o, "unreadyPods", json_integer(m->n_unready));
    json_object_set_new(o, "missingPods", json_integer(m->n_missing));
    json_object_set_new(o, "ignoredPods", json_integer(m->n_ignored));
  }
  if (m->detail) json_object_set_new(o, "detail", json_string(m->detail));
  return o;
}

static json_t *result_json(const hpa_result *r) {
  json_t *o = json_object();
  json_object_set_new(o, "desiredReplicas", json_integer(r->desired_replicas));
  json_object_set_new(o, "currentReplicas", json_integer(r->current_replicas));
  json_object_set_new(o, "rescale", json_boolean(r->rescale));
  json_object_set_new(o, "reason", json_string(r->rescale_reason ? r->rescale_reason : ""));
  json_object_set_new(o, "recommendedReplicas", json_integer(r->computed));
  json_t *ms = json_array();
  for (size_t i = 0; i < r->n_metrics; i++) json_array_append_new(ms, metric_json(&r->metrics[i]));
  json_object_set_new(o, "metrics", ms);
  json_t *cs = json_array();
  for (size_t i = 0; i < r->n_conditions; i++) {
    const hpa_condition *c = &r->conditions[i];
    json_array_append_new(cs, json_pack("{s:s,s:s,s:s,s:s}", "type", c->type_name, "status",
                                        c->status ? "True" : "False", "reason", c->reason ? c->reason : "",
                                        "message", c->message ? c->message : ""));
  }
  json_object_set_new(o, "conditions", cs);
  json_object_set_new(o, "limitedBy", json_string(r->limited_by ? r->limited_by : ""));
  json_t *ev = json_array();
  for (size_t i = 0; i < r->n_events; i++)
    json_array_append_new(ev, json_pack("{s:s,s:s,s:s}", "type", r->events[i].warning ? "Warning" : "Normal",
                                        "reason", r->events[i].reason, "message", r->events[i].message));
  json_object_set_new(o, "events", ev);
  json_t *recs = json_array();
  for (size_t i = 0; i < r->n_recommendations; i++)
    json_array_append_new(recs, json_pack("{s:o,s:i}", "time", micro_time_json(r->recommendations[i].time),
                                          "replicas", (int)r->recommendations[i].replicas));
  json_object_set_new(o, "recommendations", recs);
  json_t *se = json_array();
  for (size_t i = 0; i < r->n_scale_events; i++)
    json_array_append_new(se, json_pack("{s:o,s:i}", "time", micro_time_json(r->scale_events[i].time),
                                        "change", (int)r->scale_events[i].change));
  json_object_set_new(o, "scaleEvents", se);
  return o;
}

/* ---- entry point ------------------------------------------------------------------ */

int autoscale_explain(const json_t *input, json_t **out, sw_err *err) {
  *out = NULL;
  if (!json_is_object(input))
    return bad(err, "(input)", "a JSON object {now, autoscaler, currentReplicas, ...}", input);
  sw_arena *a = sw_arena_new(16384);
  state st;
  memset(&st, 0, sizeof st);
  int rc = -1;
  double now = 0;
  bool has_now;
  if (time_field(input, "now", "(input)", &now, &has_now, err) != 0) goto out;
  if (!has_now) {
    sw_err_set(err, SW_EINVAL,
               "now: required field is missing (an RFC 3339 time such as \"2026-11-23T08:44:33Z\")");
    goto out;
  }
  const json_t *as = json_object_get(input, "autoscaler");
  if (!json_is_object(as)) {
    bad(err, "autoscaler", "a FederatedHPA or HorizontalPodAutoscaler manifest (an object)", as);
    goto out;
  }
  const json_t *kind = json_object_get(as, "kind");
  if (kind && !json_is_null(kind) &&
      (!json_is_string(kind) || (strcmp(json_string_value(kind), "FederatedHPA") != 0 &&
                                 strcmp(json_string_value(kind), "HorizontalPodAutoscaler") != 0))) {
    bad(err, "autoscaler.kind", "FederatedHPA or HorizontalPodAutoscaler", kind);
    goto out;
  }
  if (autoscale_spec_decode(json_object_get(as, "spec"), "autoscaler.spec", a, &st.spec, err) != 0) goto out;
  json_int_t cur = 0, status = 0;
  if (int_field(input, "currentReplicas", "", true, 0, INT32_MAX, &cur, err) < 0) goto out;
  int has_status = int_field(input, "statusReplicas", "", false, 0, INT32_MAX, &status, err);
  if (has_status < 0) goto out;
  st.in.spec = &st.spec;
  st.in.spec_replicas = (int32_t)cur;
  st.in.status_replicas = has_status ? (int32_t)status : (int32_t)cur;
  st.in.now = now;
  const json_t *meta = json_object_get(as, "metadata");
  const json_t *ns = json_object_get(meta, "namespace");
  st.in.ns = json_is_string(ns) ? json_string_value(ns) : "default";
  const json_t *sel = json_object_get(input, "selector");
  if (sel && !json_is_null(sel) && !json_is_string(sel)) {
    bad(err, "selector", "the target's label selector as text, such as \"app=qwen3\"", sel);
    goto out;
  }
  st.in.selector = json_is_string(sel) ? json_string_value(sel) : "(explain)";
  const char *adv =
      json_string_value(json_object_get(json_object_get(meta, "annotations"), AUTOSCALE_ADVISORY_ANNOTATION));
  st.in.outcome = adv && strcmp(adv, "true") == 0 ? HPA_RESCALE_ADVISORY : HPA_RESCALE_ASSUME_OK;
  if (decode_options(input, &st.in.options, err) != 0) goto out;
  if (decode_pods(json_object_get(input, "pods"), &st, a, now, err) != 0) goto out;
  if (decode_metric_inputs(input, &st, a, err) != 0) goto out;
  if (decode_history(input, &st, a, err) != 0) goto out;
  hpa_result r;
  if (hpa_reconcile(&st.in, a, &r, err) != 0) goto out;
  *out = result_json(&r);
  rc = 0;
out:
  sw_arena_free(a);
  return rc;
}
