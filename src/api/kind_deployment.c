/*
 * kind_deployment.c — apps/v1 Deployment: schema, the defaults of
 * SetDefaults_Deployment (replicas 1, RollingUpdate 25%/25%,
 * revisionHistoryLimit 10, progressDeadlineSeconds 600) plus the pod template
 * defaults, the checks of ValidateDeploymentSpec that matter here (selector
 * matches the template's labels, restartPolicy Always, rolling update not
 * 0/0), and its `get`/`describe` output.
 *
 * Role in the data flow: a Deployment is the workload every other kind points
 * at (FederatedHPA scaleTargetRef, PropagationPolicy resourceSelectors, the
 * ResourceBinding named "<name>-deployment"). Never: I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

static const char *const strategy_types[] = {"Recreate", "RollingUpdate", NULL};

static const api_field f_rolling_update[] = {
    {.name = "maxUnavailable", .type = AT_INTORSTR},
    {.name = "maxSurge", .type = AT_INTORSTR},
    {0},
};

static const api_field f_strategy[] = {
    {.name = "type", .type = AT_STRING, .enums = strategy_types, .def = "\"RollingUpdate\""},
    {.name = "rollingUpdate", .type = AT_OBJECT, .fields = f_rolling_update},
    {0},
};

static const api_field f_spec[] = {
    {.name = "replicas", .type = AT_INT, .flags = AF_NONNEG, .def = "1"},
    {.name = "selector", .type = AT_OBJECT, .flags = AF_REQUIRED, .fields = api_f_label_selector},
    {.name = "template", .type = AT_OBJECT, .flags = AF_REQUIRED, .fields = api_f_pod_template},
    {.name = "strategy", .type = AT_OBJECT, .fields = f_strategy, .def = "{}"},
    {.name = "minReadySeconds", .type = AT_INT, .flags = AF_NONNEG},
    {.name = "revisionHistoryLimit", .type = AT_INT, .flags = AF_NONNEG, .def = "10"},
    {.name = "paused", .type = AT_BOOL},
    {.name = "progressDeadlineSeconds", .type = AT_INT, .flags = AF_POSITIVE, .def = "600"},
    {0},
};

static bool is_zero(const json_t *v) {
  if (json_is_integer(v)) return json_integer_value(v) == 0;
  const char *s = json_string_value(v);
  return s && (strcmp(s, "0%") == 0 || strcmp(s, "0") == 0);
}

static int semantic(api_ctx *c, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  json_t *strategy = json_object_get(spec, "strategy");
  const char *type = api_str(strategy, "type");
  json_t *ru = json_object_get(strategy, "rollingUpdate");
  if (sw_streq(type, "Recreate") && ru)
    return api_fail(c, "spec.strategy.rollingUpdate",
                    "expected no rollingUpdate when spec.strategy.type is Recreate");
  if (sw_streq(type, "RollingUpdate")) {
    if (!ru) {
      ru = json_object();
      json_object_set_new(strategy, "rollingUpdate", ru);
    }
    if (!json_object_get(ru, "maxUnavailable")) json_object_set_new(ru, "maxUnavailable", json_string("25%"));
    if (!json_object_get(ru, "maxSurge")) json_object_set_new(ru, "maxSurge", json_string("25%"));
    if (is_zero(json_object_get(ru, "maxUnavailable")) && is_zero(json_object_get(ru, "maxSurge")))
      return api_fail(c, "spec.strategy.rollingUpdate.maxUnavailable",
                      "expected a value > 0 when maxSurge is 0");
  }
  json_t *sel = json_object_get(spec, "selector");
  if (json_object_size(json_object_get(sel, "matchLabels")) == 0 &&
      json_array_size(json_object_get(sel, "matchExpressions")) == 0)
    return api_fail(c, "spec.selector",
                    "expected a non-empty selector (an empty one would select every pod)");
  json_t *labels = api_getp(spec, "template.metadata.labels");
  if (!api_selector_matches(sel, labels)) {
    char *want = api_selector_string(sel), *got = api_selector_string(labels);
    int rc =
        api_fail(c, "spec.template.metadata.labels",
                 "expected labels that spec.selector (%s) selects, got %s", want, *got ? got : "no labels");
    free(want);
    free(got);
    return rc;
  }
  const char *rp = api_strp(spec, "template.spec.restartPolicy");
  if (rp && strcmp(rp, "Always") != 0)
    return api_fail(c, "spec.template.spec.restartPolicy",
                    "expected Always (the only value a Deployment supports), got \"%s\"", rp);
  long long pd = 0, mr = 0;
  if (api_intp(spec, "progressDeadlineSeconds", &pd) && api_intp(spec, "minReadySeconds", &mr) && pd <= mr)
    return api_fail(c, "spec.progressDeadlineSeconds",
                    "expected a value greater than spec.minReadySeconds (%lld), got %lld", mr, pd);
  return api_podspec_semantic(c, api_getp(spec, "template.spec"), "spec.template.spec");
}

static const char *const columns[] = {"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", NULL};
static const char *const wide_columns[] = {"CONTAINERS", "IMAGES", "SELECTOR", NULL};

static long long status_int(const json_t *obj, const char *field) {
  long long v = 0;
  char p[64];
  snprintf(p, sizeof p, "status.%s", field);
  api_intp(obj, p, &v);
  return v;
}

static void containers_csv(const json_t *podspec, const char *field, sw_buf *b) {
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(podspec, "containers"), i, c) {
    const char *v = api_str(c, field);
    sw_buf_printf(b, "%s%s", i ? "," : "", v ? v : "");
  }
  if (!b->data) sw_buf_puts(b, "");
}

static void row(api_row *r, const json_t *obj, double now, bool wide) {
  long long replicas = 0;
  api_intp(obj, "spec.replicas", &replicas);
  char age[32];
  api_age(obj, now, age, sizeof age);
  const char *name = api_strp(obj, "metadata.name");
  api_row_add(r, "%s", name ? name : "");
  api_row_add(r, "%lld/%lld", status_int(obj, "readyReplicas"), replicas);
  api_row_add(r, "%lld", status_int(obj, "updatedReplicas"));
  api_row_add(r, "%lld", status_int(obj, "availableReplicas"));
  api_row_add(r, "%s", age);
  if (wide) {
    json_t *ps = api_getp(obj, "spec.template.spec");
    sw_buf b;
    sw_buf_init(&b);
    containers_csv(ps, "name", &b);
    api_row_add(r, "%s", b.data);
    sw_buf_reset(&b);
    containers_csv(ps, "image", &b);
    api_row_add(r, "%s", b.data);
    sw_buf_free(&b);
    char *sel = api_selector_string(api_getp(obj, "spec.selector"));
    api_row_add(r, "%s", *sel ? sel : "<none>");
    free(sel);
  }
}

/* The container section of kubectl's pod template describe. */
static void describe_container(api_tw *tw, const json_t *c) {
  const char *name = api_str(c, "name"), *image = api_str(c, "image");
  api_tw_printf(tw, "   %s:\n", name ? name : "");
  api_tw_printf(tw, "    Image:\t%s\n", image ? image : "");
  json_t *ports = json_object_get(c, "ports");
  if (json_array_size(ports) == 0) api_tw_printf(tw, "    Port:\t<none>\n");
  size_t i;
  json_t *p;
  json_array_foreach(ports, i, p) {
    long long cp = 0;
    api_intp(p, "containerPort", &cp);
    const char *proto = api_str(p, "protocol");
    api_tw_printf(tw, "    Port:\t%lld/%s\n", cp, proto ? proto : "TCP");
  }
  static const char *const lists[] = {"command", "args"};
  static const char *const labels[] = {"Command", "Args"};
  for (int l = 0; l < 2; l++) {
    json_t *arr = json_object_get(c, lists[l]);
    if (!json_array_size(arr)) continue;
    api_tw_printf(tw, "    %s:\n", labels[l]);
    json_t *e;
    json_array_foreach(arr, i, e)
        api_tw_printf(tw, "      %s\n", json_string_value(e) ? json_string_value(e) : "");
  }
  static const char *const res[] = {"limits", "requests"};
  static const char *const res_labels[] = {"Limits", "Requests"};
  for (int l = 0; l < 2; l++) {
    json_t *m = json_object_get(json_object_get(c, "resources"), res[l]);
    if (!json_object_size(m)) continue;
    api_tw_printf(tw, "    %s:\n", res_labels[l]);
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v) {
      char q[64];
      api_qty_string(v, q, sizeof q);
      api_tw_printf(tw, "      %s:\t%s\n", k, q);
    }
  }
  static const char *const probes[] = {"livenessProbe", "readinessProbe", "startupProbe"};
  static const char *const probe_labels[] = {"Liveness", "Readiness", "Startup"};
  for (int l = 0; l < 3; l++) {
    json_t *pr = json_object_get(c, probes[l]);
    if (!pr) continue;
    long long d = 0, t = 1, per = 10, s = 1, f = 3;
    api_intp(pr, "initialDelaySeconds", &d);
    api_intp(pr, "timeoutSeconds", &t);
    api_intp(pr, "periodSeconds", &per);
    api_intp(pr, "successThreshold", &s);
    api_intp(pr, "failureThreshold", &f);
    char handler[256] = "unknown";
    json_t *h;
    if ((h = json_object_get(pr, "tcpSocket"))) {
      json_t *port = json_object_get(h, "port");
      if (json_is_integer(port))
        snprintf(handler, sizeof handler, "tcp-socket :%lld", (long long)json_integer_value(port));
      else
        snprintf(handler, sizeof handler, "tcp-socket :%s",
                 json_string_value(port) ? json_string_value(port) : "");
    } else if ((h = json_object_get(pr, "httpGet"))) {
      json_t *port = json_object_get(h, "port");
      const char *scheme = api_str(h, "scheme"), *path = api_str(h, "path"), *host = api_str(h, "host");
      char ps[64];
      if (json_is_integer(port))
        snprintf(ps, sizeof ps, "%lld", (long long)json_integer_value(port));
      else
        snprintf(ps, sizeof ps, "%s", json_string_value(port) ? json_string_value(port) : "");
      snprintf(handler, sizeof handler, "http-get %s://%s:%s%s", scheme ? scheme : "HTTP", host ? host : "",
               ps, path ? path : "/");
    } else if ((h = json_object_get(pr, "exec"))) {
      snprintf(handler, sizeof handler, "exec");
    } else if ((h = json_object_get(pr, "grpc"))) {
      long long port = 0;
      api_intp(h, "port", &port);
      snprintf(handler, sizeof handler, "grpc <pod>:%lld", port);
    }
    api_tw_printf(tw, "    %s:\t%s delay=%llds timeout=%llds period=%llds #success=%lld #failure=%lld\n",
                  probe_labels[l], handler, d, t, per, s, f);
  }
  json_t *env = json_object_get(c, "env");
  if (!json_array_size(env))
    api_tw_printf(tw, "    Environment:\t<none>\n");
  else {
    api_tw_printf(tw, "    Environment:\n");
    json_t *e;
    json_array_foreach(env, i, e) {
      const char *n = api_str(e, "name"), *v = api_str(e, "value");
      api_tw_printf(tw, "      %s:\t%s\n", n ? n : "", v ? v : "<set from a source>");
    }
  }
  json_t *mounts = json_object_get(c, "volumeMounts");
  if (!json_array_size(mounts))
    api_tw_printf(tw, "    Mounts:\t<none>\n");
  else {
    api_tw_printf(tw, "    Mounts:\n");
    json_t *m;
    json_array_foreach(mounts, i, m) {
      const char *mp = api_str(m, "mountPath"), *n = api_str(m, "name");
      bool ro = json_is_true(json_object_get(m, "readOnly"));
      api_tw_printf(tw, "      %s from %s (%s)\n", mp ? mp : "", n ? n : "", ro ? "ro" : "rw");
    }
  }
}

void api_describe_pod_template(api_tw *tw, const json_t *tmpl) {
  api_tw_printf(tw, "Pod Template:\n");
  json_t *meta = json_object_get(tmpl, "metadata");
  char *labels = api_selector_string(json_object_get(meta, "labels"));
  api_tw_printf(tw, "  Labels:\t%s\n", *labels ? labels : "<none>");
  free(labels);
  json_t *ann = json_object_get(meta, "annotations");
  if (!json_object_size(ann))
    api_tw_printf(tw, "  Annotations:\t<none>\n");
  else {
    const char *k;
    json_t *v;
    bool first = true;
    json_object_foreach(ann, k, v) {
      api_tw_printf(tw, "%s\t%s: %s\n", first ? "  Annotations:" : "", k,
                    json_string_value(v) ? json_string_value(v) : "");
      first = false;
    }
  }
  json_t *spec = json_object_get(tmpl, "spec");
  api_tw_printf(tw, "  Containers:\n");
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(spec, "containers"), i, c) describe_container(tw, c);
  json_t *vols = json_object_get(spec, "volumes");
  if (!json_array_size(vols))
    api_tw_printf(tw, "  Volumes:\t<none>\n");
  else {
    api_tw_printf(tw, "  Volumes:\n");
    json_t *v;
    json_array_foreach(vols, i, v) {
      const char *n = api_str(v, "name");
      const char *k2;
      json_t *src;
      const char *type = "";
      json_object_foreach(v, k2, src) if (strcmp(k2, "name") != 0) type = k2;
      api_tw_printf(tw, "   %s:\n    Type:\t%s\n", n ? n : "", type);
    }
  }
  json_t *sel = json_object_get(spec, "nodeSelector");
  char *s = api_selector_string(sel);
  api_tw_printf(tw, "  Node-Selectors:\t%s\n", *s ? s : "<none>");
  free(s);
}

/* The placement the fleet scheduler wrote (ResourceBinding) and the pods. */
void api_describe_binding_and_pods(sw_buf *out, const json_t *related, double now) {
  json_t *rb = related ? json_object_get(related, "binding") : NULL;
  api_tw tw;
  api_tw_init(&tw, 0, 2);
  if (json_is_object(rb)) {
    const char *name = api_strp(rb, "metadata.name");
    api_tw_printf(&tw, "Placement (ResourceBinding %s):\n", name ? name : "");
    const char *tier = api_strp(rb, "status.tier");
    api_tw_printf(&tw, "  Tier:\t%s\n", tier ? tier : "<none>");
    sw_buf cl;
    sw_buf_init(&cl);
    size_t i;
    json_t *c;
    json_array_foreach(api_getp(rb, "spec.clusters"), i, c) {
      long long n = 0;
      api_intp(c, "replicas", &n);
      const char *cn = api_str(c, "name");
      sw_buf_printf(&cl, "%s%s: %lld", i ? ", " : "", cn ? cn : "", n);
    }
    api_tw_printf(&tw, "  Clusters:\t%s\n", cl.data ? cl.data : "<none>");
    sw_buf_free(&cl);
    long long un = 0;
    api_intp(rb, "status.unscheduled", &un);
    const char *reason = api_strp(rb, "status.reason");
    if (un > 0 && reason)
      api_tw_printf(&tw, "  Unscheduled:\t%lld (%s)\n", un, reason);
    else
      api_tw_printf(&tw, "  Unscheduled:\t%lld\n", un);
  }
  api_tw_flush(&tw, out);
  api_tw_free(&tw);
  json_t *pods = related ? json_object_get(related, "pods") : NULL;
  if (json_is_array(pods) && json_array_size(pods)) {
    sw_buf_puts(out, "Pods:\n");
    char *t = api_table(&api_kind_pod.k, pods, true, now);
    for (char *line = t, *nl; line && *line; line = nl ? nl + 1 : NULL) {
      nl = strchr(line, '\n');
      sw_buf_puts(out, "  ");
      sw_buf_append(out, line, nl ? (size_t)(nl - line + 1) : strlen(line));
      if (!nl) sw_buf_puts(out, "\n");
    }
    free(t);
  }
}

static void describe(sw_buf *out, const json_t *obj, const json_t *related, double now) {
  api_tw tw;
  api_tw_init(&tw, 0, 2);
  api_describe_meta(&tw, obj, true);
  json_t *spec = json_object_get(obj, "spec");
  char *sel = api_selector_string(json_object_get(spec, "selector"));
  api_tw_printf(&tw, "Selector:\t%s\n", sel);
  free(sel);
  long long replicas = 0;
  api_intp(spec, "replicas", &replicas);
  api_tw_printf(&tw,
                "Replicas:\t%lld desired | %lld updated | %lld total | %lld available | %lld unavailable\n",
                replicas, status_int(obj, "updatedReplicas"), status_int(obj, "replicas"),
                status_int(obj, "availableReplicas"), status_int(obj, "unavailableReplicas"));
  const char *st = api_strp(spec, "strategy.type");
  api_tw_printf(&tw, "StrategyType:\t%s\n", st ? st : "");
  long long mrs = 0;
  api_intp(spec, "minReadySeconds", &mrs);
  api_tw_printf(&tw, "MinReadySeconds:\t%lld\n", mrs);
  json_t *ru = api_getp(spec, "strategy.rollingUpdate");
  if (ru) {
    char mu[32] = "", ms[32] = "";
    json_t *a = json_object_get(ru, "maxUnavailable"), *b = json_object_get(ru, "maxSurge");
    if (json_is_integer(a))
      snprintf(mu, sizeof mu, "%lld", (long long)json_integer_value(a));
    else
      snprintf(mu, sizeof mu, "%s", json_string_value(a) ? json_string_value(a) : "");
    if (json_is_integer(b))
      snprintf(ms, sizeof ms, "%lld", (long long)json_integer_value(b));
    else
      snprintf(ms, sizeof ms, "%s", json_string_value(b) ? json_string_value(b) : "");
    api_tw_printf(&tw, "RollingUpdateStrategy:\t%s max unavailable, %s max surge\n", mu, ms);
  }
  api_describe_pod_template(&tw, json_object_get(spec, "template"));
  api_describe_conditions(&tw, api_getp(obj, "status.conditions"), false);
  api_tw_flush(&tw, out);
  api_tw_free(&tw);
  api_describe_binding_and_pods(out, related, now);
  api_describe_events(out, related, now);
}

const api_kind_def api_kind_deployment = {
    .k = {.kind = "Deployment",
          .plural = "deployments",
          .short_names = {"deploy"},
          .group = "apps",
          .version = "v1",
          .namespaced = true},
    .spec = f_spec,
    .spec_required = true,
    .semantic = semantic,
    .columns = columns,
    .wide_columns = wide_columns,
    .row = row,
    .describe = describe,
};
