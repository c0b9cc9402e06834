/*
 * kind_pod.c — v1 Pod as the member-cluster layer mirrors each replica:
 * labels from the template plus spillway.io/cluster, annotations plus
 * spillway.io/owner, spec {nodeName, containers}, status {phase, conditions,
 * podIP, containerStatuses, portMap (container port -> host port, spillway's
 * extension for the local driver), reason, message}.
 *
 * Role in the data flow: written by the cluster layer; read by the scraper
 * and the gateway (ready pods and their addresses); printed by `get pods`.
 * STATUS is derived as kubectl's printPod does: the phase, replaced by the
 * pod's reason, then by a waiting/terminated container's reason, and
 * "Terminating" once deletionTimestamp is set. Never: I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

/* kubectl get pods' STATUS column (printPod, without init containers' detail). */
static void pod_status(const json_t *obj, char *buf, size_t n) {
  const char *phase = api_strp(obj, "status.phase"), *reason = api_strp(obj, "status.reason");
  snprintf(buf, n, "%s", reason && *reason ? reason : phase ? phase : "Pending");
  bool running = false;
  json_t *cs = api_getp(obj, "status.containerStatuses");
  for (size_t i = json_array_size(cs); i-- > 0;) {
    json_t *c = json_array_get(cs, i), *st = json_object_get(c, "state");
    json_t *w = json_object_get(st, "waiting"), *t = json_object_get(st, "terminated");
    const char *wr = api_str(w, "reason"), *tr = api_str(t, "reason");
    if (w && wr && *wr)
      snprintf(buf, n, "%s", wr);
    else if (t && tr && *tr)
      snprintf(buf, n, "%s", tr);
    else if (t) {
      long long code = 0, sig = 0;
      if (api_intp(t, "signal", &sig) && sig)
        snprintf(buf, n, "Signal:%lld", sig);
      else {
        api_intp(t, "exitCode", &code);
        snprintf(buf, n, "ExitCode:%lld", code);
      }
    } else if (json_is_true(json_object_get(c, "ready")) && json_object_get(st, "running"))
      running = true;
  }
  if (strcmp(buf, "Completed") == 0 && running) snprintf(buf, n, "Running");
  if (api_strp(obj, "metadata.deletionTimestamp")) {
    if (sw_streq(reason, "NodeLost"))
      snprintf(buf, n, "Unknown");
    else
      snprintf(buf, n, "Terminating");
  }
}

static const char *const columns[] = {"NAME", "READY", "STATUS", "RESTARTS", "AGE", NULL};
static const char *const wide_columns[] = {"IP", "NODE", "CLUSTER", "POOL", "ADDRESS", NULL};

/* "cluster1-onprem-0" with cluster "cluster1" -> "onprem". */
static void pool_of(const char *node, const char *cluster, char *buf, size_t n) {
  snprintf(buf, n, "<none>");
  if (!node || !cluster) return;
  size_t cl = strlen(cluster);
  if (strncmp(node, cluster, cl) != 0 || node[cl] != '-') return;
  const char *rest = node + cl + 1, *dash = strrchr(rest, '-');
  size_t len = dash ? (size_t)(dash - rest) : strlen(rest);
  if (len == 0 || len >= n) return;
  memcpy(buf, rest, len);
  buf[len] = 0;
}

static void address(const json_t *obj, char *buf, size_t n) {
  snprintf(buf, n, "<none>");
  const char *ip = api_strp(obj, "status.podIP");
  json_t *ctr = json_array_get(api_getp(obj, "spec.containers"), 0);
  json_t *port = json_array_get(json_object_get(ctr, "ports"), 0);
  long long cp = 0;
  if (!ip || !api_intp(port, "containerPort", &cp)) return;
  char key[32];
  snprintf(key, sizeof key, "%lld", cp);
  json_t *hp = json_object_get(api_getp(obj, "status.portMap"), key);
  if (json_is_integer(hp))
    snprintf(buf, n, "%s:%lld", ip, (long long)json_integer_value(hp));
  else
    snprintf(buf, n, "%s:%lld", ip, cp);
}

static void row(api_row *r, const json_t *obj, double now, bool wide) {
  char age[32], status[64];
  api_age(obj, now, age, sizeof age);
  pod_status(obj, status, sizeof status);
  const char *name = api_strp(obj, "metadata.name");
  long long total = (long long)json_array_size(api_getp(obj, "spec.containers")), ready = 0, restarts = 0;
  size_t i;
  json_t *c;
  json_t *cs = api_getp(obj, "status.containerStatuses");
  if (total == 0) total = (long long)json_array_size(cs);
  json_array_foreach(cs, i, c) {
    long long rc = 0;
    if (json_is_true(json_object_get(c, "ready"))) ready++;
    api_intp(c, "restartCount", &rc);
    restarts += rc;
  }
  api_row_add(r, "%s", name ? name : "");
  api_row_add(r, "%lld/%lld", ready, total);
  api_row_add(r, "%s", status);
  api_row_add(r, "%lld", restarts);
  api_row_add(r, "%s", age);
  if (wide) {
    const char *ip = api_strp(obj, "status.podIP"), *node = api_strp(obj, "spec.nodeName");
    const char *cluster = api_str(api_getp(obj, "metadata.labels"), "spillway.io/cluster");
    char pool[128], addr[96];
    pool_of(node, cluster, pool, sizeof pool);
    address(obj, addr, sizeof addr);
    api_row_add(r, "%s", ip ? ip : "<none>");
    api_row_add(r, "%s", node ? node : "<none>");
    api_row_add(r, "%s", cluster ? cluster : "<none>");
    api_row_add(r, "%s", pool);
    api_row_add(r, "%s", addr);
  }
}

static void describe(sw_buf *out, const json_t *obj, const json_t *related, double now) {
  api_tw tw;
  api_tw_init(&tw, 0, 2);
  const char *name = api_strp(obj, "metadata.name"), *ns = api_strp(obj, "metadata.namespace");
  api_tw_printf(&tw, "Name:\t%s\nNamespace:\t%s\n", name ? name : "", ns ? ns : "default");
  const char *node = api_strp(obj, "spec.nodeName"), *cluster = api_strp(obj, "metadata.labels");
  cluster = api_str(api_getp(obj, "metadata.labels"), "spillway.io/cluster");
  api_tw_printf(&tw, "Cluster:\t%s\nNode:\t%s\n", cluster ? cluster : "<none>", node ? node : "<none>");
  const char *start = api_strp(obj, "status.startTime");
  api_tw_printf(&tw, "Start Time:\t%s\n", start ? start : "<unset>");
  json_t *meta = json_object_get(obj, "metadata");
  char *labels = api_selector_string(json_object_get(meta, "labels"));
  api_tw_printf(&tw, "Labels:\t%s\n", *labels ? labels : "<none>");
  free(labels);
  json_t *ann = json_object_get(meta, "annotations");
  if (!json_object_size(ann))
    api_tw_printf(&tw, "Annotations:\t<none>\n");
  else {
    const char *k;
    json_t *v;
    bool first = true;
    json_object_foreach(ann, k, v) {
      api_tw_printf(&tw, "%s\t%s: %s\n", first ? "Annotations:" : "", k,
                    json_string_value(v) ? json_string_value(v) : "");
      first = false;
    }
  }
  char status[64], addr[96];
  pod_status(obj, status, sizeof status);
  address(obj, addr, sizeof addr);
  api_tw_printf(&tw, "Status:\t%s\n", status);
  const char *reason = api_strp(obj, "status.reason"), *message = api_strp(obj, "status.message");
  if (reason) api_tw_printf(&tw, "Reason:\t%s\n", reason);
  if (message) api_tw_printf(&tw, "Message:\t%s\n", message);
  const char *ip = api_strp(obj, "status.podIP");
  api_tw_printf(&tw, "IP:\t%s\nAddress:\t%s\n", ip ? ip : "<none>", addr);
  api_tw_printf(&tw, "Containers:\n");
  size_t i;
  json_t *c;
  json_t *cs = api_getp(obj, "status.containerStatuses");
  json_array_foreach(api_getp(obj, "spec.containers"), i, c) {
    const char *cn = api_str(c, "name"), *image = api_str(c, "image");
    api_tw_printf(&tw, "  %s:\n    Image:\t%s\n", cn ? cn : "", image ? image : "");
    json_t *st = NULL;
    size_t j;
    json_t *s;
    json_array_foreach(cs, j, s) if (sw_streq(api_str(s, "name"), cn)) st = s;
    if (st) {
      json_t *state = json_object_get(st, "state");
      const char *k;
      json_t *v;
      json_object_foreach(state, k, v) {
        char label[64];
        api_smart_label(k, label, sizeof label);
        api_tw_printf(&tw, "    State:\t%s\n", label);
        const char *rsn = api_str(v, "reason"), *msg = api_str(v, "message"), *at = api_str(v, "startedAt");
        if (rsn) api_tw_printf(&tw, "      Reason:\t%s\n", rsn);
        if (msg) api_tw_printf(&tw, "      Message:\t%s\n", msg);
        if (at) api_tw_printf(&tw, "      Started:\t%s\n", at);
      }
      long long rc = 0;
      api_intp(st, "restartCount", &rc);
      api_tw_printf(&tw, "    Ready:\t%s\n    Restart Count:\t%lld\n",
                    json_is_true(json_object_get(st, "ready")) ? "True" : "False", rc);
    }
  }
  api_describe_conditions(&tw, api_getp(obj, "status.conditions"), false);
  api_tw_flush(&tw, out);
  api_tw_free(&tw);
  api_describe_events(out, related, now);
}

const api_kind_def api_kind_pod = {
    .k = {.kind = "Pod",
          .plural = "pods",
          .short_names = {"po"},
          .group = "",
          .version = "v1",
          .namespaced = true,
          .system = true},
    .spec = api_f_pod_spec,
    .spec_required = true,
    .columns = columns,
    .wide_columns = wide_columns,
    .row = row,
    .describe = describe,
};
