/*
 * custom_api.c — the custom metrics API (custom.metrics.k8s.io) over the
 * hub, shaped as prometheus-adapter answers it, so `kubectl get --raw
 * "/apis/custom.metrics.k8s.io/v1beta1/namespaces/test/pods/qwen3-xxxxx/
 * num_requests_waiting"` (the seed's check) works against spillway's API
 * server unchanged.
 *
 * Role in the data flow: a read-only view for people and tools; the
 * autoscaler calls the hub directly. Never: blocks (with a Prometheus source
 * a value not cached yet is 503 ServiceUnavailable with the reason).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/hub.h"

#define GROUP "custom.metrics.k8s.io"

static json_t *status_obj(int code, const char *reason, const char *msg) {
  return json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:i}", "kind", "Status", "apiVersion", "v1", "metadata",
                   "status", "Failure", "message", msg, "reason", reason, "code", code);
}

static json_t *not_found(int *http_status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static json_t *not_found(int *http_status, const char *fmt, ...) {
  char msg[1500];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  *http_status = 404;
  return status_obj(404, "NotFound", msg);
}

static int hexval(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

static char *url_decode(const char *s, size_t n) {
  char *o = sw_xmalloc(n + 1);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '+')
      o[k++] = ' ';
    else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      o[k++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else
      o[k++] = s[i];
  }
  o[k] = 0;
  return o;
}

/* The decoded value of query parameter `name`, or NULL. Caller frees. */
static char *query_param(const char *query, const char *name) {
  if (!query) return NULL;
  size_t nl = strlen(name);
  for (const char *p = query; *p;) {
    const char *amp = strchr(p, '&');
    size_t len = amp ? (size_t)(amp - p) : strlen(p);
    if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') return url_decode(p + nl + 1, len - nl - 1);
    p += len;
    if (*p == '&') p++;
  }
  return NULL;
}

/* Kubernetes label selector text ("app=qwen3,tier!=x,env in (a,b),!gone")
 * into a LabelSelector JSON {matchExpressions: [...]}. */
static int parse_label_selector(const char *s, json_t **out, char *err, size_t errn) {
  json_t *exprs = json_array();
  const char *p = s;
  while (*p) {
    while (*p == ' ' || *p == ',') p++;
    if (!*p) break;
    bool neg = false;
    if (*p == '!') neg = true, p++;
    while (*p == ' ') p++;
    const char *k = p;
    while (*p && !strchr("=!, ()", *p)) p++;
    size_t kn = (size_t)(p - k);
    if (!kn) {
      snprintf(err, errn, "label selector \"%s\": expected a label key at \"%s\"", s, k);
      json_decref(exprs);
      return -1;
    }
    char *key = sw_xstrndup(k, kn);
    while (*p == ' ') p++;
    json_t *e = NULL;
    if (neg) {
      e = json_pack("{s:s,s:s}", "key", key, "operator", "DoesNotExist");
    } else if (*p == ',' || !*p) {
      e = json_pack("{s:s,s:s}", "key", key, "operator", "Exists");
    } else if (*p == '=' || (*p == '!' && p[1] == '=')) {
      bool ne = *p == '!';
      p += ne ? 2 : (p[1] == '=' ? 2 : 1);
      while (*p == ' ') p++;
      const char *v = p;
      while (*p && *p != ',' && *p != ' ') p++;
      char *val = sw_xstrndup(v, (size_t)(p - v));
      e = json_pack("{s:s,s:s,s:[s]}", "key", key, "operator", ne ? "NotIn" : "In", "values", val);
      free(val);
    } else if (!strncmp(p, "in", 2) || !strncmp(p, "notin", 5)) {
      bool notin = p[0] == 'n';
      p += notin ? 5 : 2;
      while (*p == ' ') p++;
      if (*p != '(') {
        snprintf(err, errn, "label selector \"%s\": expected '(' after %s", s, notin ? "notin" : "in");
        free(key);
        json_decref(exprs);
        return -1;
      }
      p++;
      json_t *vals = json_array();
      while (*p && *p != ')') {
        while (*p == ' ' || *p == ',') p++;
        const char *v = p;
        while (*p && !strchr(", )", *p)) p++;
        if (p > v) json_array_append_new(vals, json_stringn(v, (size_t)(p - v)));
        while (*p == ' ') p++;
      }
      if (*p != ')') {
        snprintf(err, errn, "label selector \"%s\": expected ')'", s);
        free(key);
        json_decref(vals);
        json_decref(exprs);
        return -1;
      }
      p++;
      e = json_pack("{s:s,s:s,s:o}", "key", key, "operator", notin ? "NotIn" : "In", "values", vals);
    } else {
      snprintf(err, errn, "label selector \"%s\": unexpected \"%s\"", s, p);
      free(key);
      json_decref(exprs);
      return -1;
    }
    free(key);
    json_array_append_new(exprs, e);
  }
  *out = json_pack("{s:o}", "matchExpressions", exprs);
  return 0;
}

static bool selector_matches(const json_t *sel, const json_t *labels) {
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(sel, "matchExpressions"), i, e) {
    const char *key = json_string_value(json_object_get(e, "key"));
    const char *op = json_string_value(json_object_get(e, "operator"));
    const char *v = json_string_value(json_object_get(labels, key));
    bool in = false;
    size_t j;
    json_t *x;
    json_array_foreach(json_object_get(e, "values"), j, x) if (v && sw_streq(json_string_value(x), v)) in =
        true;
    bool ok = !strcmp(op, "Exists")         ? v != NULL
              : !strcmp(op, "DoesNotExist") ? v == NULL
              : !strcmp(op, "In")           ? in
                                            : !in;
    if (!ok) return false;
  }
  return true;
}

static json_t *resource_list(metrics_hub *h, const char *version) {
  json_t *names = metrics_hub_metric_names(h);
  json_t *res = json_array();
  size_t i;
  json_t *n;
  json_array_foreach(names, i, n) {
    char name[512];
    snprintf(name, sizeof name, "pods/%s", json_string_value(n));
    json_array_append_new(res, json_pack("{s:s,s:s,s:b,s:s,s:[s]}", "name", name, "singularName", "",
                                         "namespaced", 1, "kind", "MetricValueList", "verbs", "get"));
  }
  json_decref(names);
  char gv[64];
  snprintf(gv, sizeof gv, GROUP "/%s", version);
  return json_pack("{s:s,s:s,s:s,s:o}", "kind", "APIResourceList", "apiVersion", "v1", "groupVersion", gv,
                   "resources", res);
}

static json_t *metric_item(const char *version, const char *ns, const char *pod, const char *metric, double v,
                           double ts, double window) {
  char q[64], t[32];
  metrics_quantity(v, q, sizeof q);
  sw_time_format(ts, t, sizeof t);
  json_t *item = json_pack("{s:{s:s,s:s,s:s,s:s},s:s,s:s}", "describedObject", "kind", "Pod", "namespace", ns,
                           "name", pod, "apiVersion", "/v1", "timestamp", t, "value", q);
  if (!strcmp(version, "v1beta1")) {
    json_object_set_new(item, "metricName", json_string(metric));
    json_object_set_new(item, "selector", json_null());
  } else {
    json_object_set_new(item, "metric", json_pack("{s:s,s:n}", "name", metric, "selector"));
  }
  if (window > 0) json_object_set_new(item, "windowSeconds", json_integer((json_int_t)window));
  return item;
}

static json_t *pod_values(metrics_hub *h, const char *version, const char *ns, const char *pod,
                          const char *metric, const char *query, int *http_status) {
  char err_text[512];
  json_t *metric_sel = NULL, *pod_sel = NULL;
  char *mls = query_param(query, "metricLabelSelector");
  char *ls = query_param(query, "labelSelector");
  int bad = 0;
  if (mls && parse_label_selector(mls, &metric_sel, err_text, sizeof err_text) != 0) bad = 1;
  if (!bad && ls && parse_label_selector(ls, &pod_sel, err_text, sizeof err_text) != 0) bad = 1;
  free(mls);
  free(ls);
  if (bad) {
    json_decref(metric_sel);
    json_decref(pod_sel);
    *http_status = 400;
    return status_obj(400, "BadRequest", err_text);
  }
  json_t *items = json_array();
  sw_err first = {0};
  int first_rc = 0;
  json_t *pods = NULL;
  if (!strcmp(pod, "*")) {
    pods = metrics_hub_pods(h, ns);
  } else {
    pods = json_pack("[{s:s,s:{}}]", "name", pod, "labels");
  }
  size_t i;
  json_t *p;
  json_array_foreach(pods, i, p) {
    const char *name = json_string_value(json_object_get(p, "name"));
    if (pod_sel && !selector_matches(pod_sel, json_object_get(p, "labels"))) continue;
    double v, ts, w;
    sw_err e;
    int rc = metrics_hub_pod_metric(h, ns, name, metric, metric_sel, &v, &ts, &w, &e);
    if (rc != 0) {
      if (!first_rc) first_rc = rc, first = e;
      continue;
    }
    json_array_append_new(items, metric_item(version, ns, name, metric, v, ts, w));
  }
  json_decref(pods);
  json_decref(metric_sel);
  json_decref(pod_sel);
  if (!json_array_size(items) && (first_rc || strcmp(pod, "*") != 0)) {
    json_decref(items);
    if (first_rc == SW_EUNAVAIL) {
      *http_status = 503;
      return status_obj(503, "ServiceUnavailable", first.msg);
    }
    return not_found(http_status, "%s", first_rc ? first.msg : "no pods match");
  }
  *http_status = 200;
  char av[64];
  snprintf(av, sizeof av, GROUP "/%s", version);
  return json_pack("{s:s,s:s,s:{},s:o}", "kind", "MetricValueList", "apiVersion", av, "metadata", "items",
                   items);
}

json_t *metrics_custom_api(metrics_hub *h, const char *path, const char *query, int *http_status) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", path ? path : "");
  size_t n = strlen(buf);
  while (n > 1 && buf[n - 1] == '/') buf[--n] = 0;
  static const char prefix[] = "/apis/" GROUP;
  if (strncmp(buf, prefix, sizeof prefix - 1) != 0 ||
      (buf[sizeof prefix - 1] && buf[sizeof prefix - 1] != '/'))
    return not_found(http_status, "the server could not find the requested resource %s", buf);
  char *rest = buf + sizeof prefix - 1;
  if (!*rest) {
    *http_status = 200;
    return json_pack("{s:s,s:s,s:s,s:[{s:s,s:s},{s:s,s:s}],s:{s:s,s:s}}", "kind", "APIGroup", "apiVersion",
                     "v1", "name", GROUP, "versions", "groupVersion", GROUP "/v1beta2", "version", "v1beta2",
                     "groupVersion", GROUP "/v1beta1", "version", "v1beta1", "preferredVersion",
                     "groupVersion", GROUP "/v1beta2", "version", "v1beta2");
  }
  /* split /<version>/namespaces/<ns>/pods/<pod>/<metric> */
  char *parts[8];
  size_t np = 0;
  for (char *tok = strtok(rest + 1, "/"); tok && np < 8; tok = strtok(NULL, "/")) parts[np++] = tok;
  if (np == 0 || (strcmp(parts[0], "v1beta1") && strcmp(parts[0], "v1beta2")))
    return not_found(http_status,
                     "the server could not find the requested resource %s%s (versions: v1beta1, v1beta2)",
                     prefix, rest);
  const char *version = parts[0];
  if (np == 1) {
    *http_status = 200;
    return resource_list(h, version);
  }
  if (np == 6 && !strcmp(parts[1], "namespaces") && !strcmp(parts[3], "pods"))
    return pod_values(h, version, parts[2], parts[4], parts[5], query, http_status);
  if (np >= 4 && !strcmp(parts[1], "namespaces") && !strcmp(parts[3], "metrics"))
    return not_found(http_status,
                     "the server could not find the metric %s for namespaces: spillway answers pod "
                     "metrics only",
                     np > 4 ? parts[4] : "");
  if (np == 4 && !strcmp(parts[1], "pods"))
    return not_found(http_status,
                     "pods are namespaced: use /apis/" GROUP "/%s/namespaces/<namespace>/pods/%s/%s", version,
                     parts[2], parts[3]);
  return not_found(http_status,
                   "the server could not find the requested resource (expected /apis/" GROUP
                   "/%s/namespaces/<namespace>/pods/<pod|*>/<metric>)",
                   version);
}
