/*
 * endpoints.c — builds the gateway's endpoint set from Pod objects.
 * See endpoints.h. The build is pure; the controller only reads the store,
 * the hub, and hands the result to the gateway (which copies it).
 */
#include "up/endpoints.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/command.h"
#include "metrics/hub.h"
#include "plane/plane.h"

static bool pod_ready(const json_t *pod) {
  const json_t *conds = json_object_get(json_object_get(pod, "status"), "conditions");
  size_t i;
  const json_t *c;
  json_array_foreach(conds, i, c) {
    if (sw_streq(json_string_value(json_object_get(c, "type")), "Ready"))
      return sw_streq(json_string_value(json_object_get(c, "status")), "True");
  }
  return false;
}

/* The value following `flag` in args ("--flag v" or "--flag=v"). */
static const char *flag_value(const json_t *args, const char *flag) {
  size_t n = json_array_size(args), fl = strlen(flag);
  for (size_t i = 0; i < n; i++) {
    const char *s = json_string_value(json_array_get(args, i));
    if (!s || strncmp(s, flag, fl) != 0) continue;
    if (s[fl] == '=') return s + fl + 1;
    if (s[fl] == 0 && i + 1 < n) return json_string_value(json_array_get(args, i + 1));
  }
  return NULL;
}

const char *up_served_model(const json_t *pod, sw_arena *a) {
  const json_t *c = json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"), 0);
  if (!c) return NULL;
  cluster_vllm_cmd cmd;
  memset(&cmd, 0, sizeof cmd);
  sw_err err;
  if (cluster_vllm_parse(json_object_get(c, "command"), json_object_get(c, "args"), json_object_get(c, "env"),
                         &cmd, &err) != 0)
    return NULL;
  const char *name = flag_value(cmd.args, "--served-model-name");
  if (!name) name = flag_value(cmd.args, "--model");
  if (!name) {
    /* `vllm serve MODEL`: the parser puts the model first */
    const char *first = json_string_value(json_array_get(cmd.args, 0));
    if (first && first[0] != '-') name = first;
  }
  const char *out = name ? sw_arena_strdup(a, name) : NULL;
  cluster_vllm_free(&cmd);
  return out;
}

/* The port a pod's first container port is reachable on: portMap[P], else P. */
static int pod_port(const json_t *pod) {
  const json_t *c = json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"), 0);
  json_int_t cport = json_integer_value(json_object_get(json_array_get(json_object_get(c, "ports"), 0), "containerPort"));
  const json_t *map = json_object_get(json_object_get(pod, "status"), "portMap");
  if (cport > 0) {
    char key[16];
    snprintf(key, sizeof key, "%lld", (long long)cport);
    json_int_t hp = json_integer_value(json_object_get(map, key));
    if (hp > 0) return (int)hp;
    return (int)cport;
  }
  /* no declared port: the only mapped one */
  const char *k;
  const json_t *v;
  json_object_foreach((json_t *)map, k, v) return (int)json_integer_value(v);
  return -1;
}

static int cluster_priority(const json_t *bindings, const char *ns, const char *owner, const char *cluster) {
  size_t i;
  const json_t *b;
  json_array_foreach(bindings, i, b) {
    const json_t *res = json_object_get(json_object_get(b, "spec"), "resource");
    if (!sw_streq(json_string_value(json_object_get(res, "name")), owner) ||
        !sw_streq(json_string_value(json_object_get(res, "namespace")), ns))
      continue;
    const json_t *clusters = json_object_get(json_object_get(b, "spec"), "clusters");
    size_t j;
    const json_t *c;
    json_array_foreach(clusters, j, c) {
      if (sw_streq(json_string_value(json_object_get(c, "name")), cluster)) return (int)j;
    }
  }
  return 1000; /* unknown: after every bound cluster */
}

size_t up_endpoints_build(const json_t *pods, const json_t *bindings, up_gauge_fn gauge, void *ud,
                          sw_arena *a, gw_endpoint **out) {
  size_t n = json_array_size(pods), k = 0;
  gw_endpoint *eps = sw_arena_alloc(a, (n ? n : 1) * sizeof *eps);
  size_t i;
  const json_t *pod;
  json_array_foreach(pods, i, pod) {
    const json_t *md = json_object_get(pod, "metadata");
    if (json_object_get(md, "deletionTimestamp") || !pod_ready(pod)) continue;
    const char *model = up_served_model(pod, a);
    int port = pod_port(pod);
    const char *ip = json_string_value(json_object_get(json_object_get(pod, "status"), "podIP"));
    if (!model || port <= 0 || !ip) continue;
    const char *ns = json_string_value(json_object_get(md, "namespace"));
    const char *name = json_string_value(json_object_get(md, "name"));
    const char *cluster = json_string_value(json_object_get(json_object_get(md, "labels"), "spillway.io/cluster"));
    const char *owner = json_string_value(json_object_get(json_object_get(md, "annotations"), "spillway.io/owner"));
    gw_endpoint *e = &eps[k++];
    e->model = model;
    char *id = sw_arena_alloc(a, strlen(ns ? ns : "") + strlen(name ? name : "") + 2);
    sprintf(id, "%s/%s", ns ? ns : "", name ? name : "");
    e->pod = id;
    e->cluster = cluster ? cluster : "";
    e->cluster_priority = cluster_priority(bindings, ns, owner, e->cluster);
    e->host = ip;
    e->port = port;
    e->ready = true;
    e->terminating = false;
    e->waiting = e->running = e->kv_usage = NAN;
    if (gauge && ns && name) {
      double v;
      if (gauge(ud, ns, name, "vllm:num_requests_waiting", &v) == 0) e->waiting = v;
      if (gauge(ud, ns, name, "vllm:num_requests_running", &v) == 0) e->running = v;
      if (gauge(ud, ns, name, "vllm:kv_cache_usage_perc", &v) == 0 ||
          gauge(ud, ns, name, "vllm:gpu_cache_usage_perc", &v) == 0)
        e->kv_usage = v;
    }
  }
  *out = eps;
  return k;
}

struct up_endpoints {
  gw_gateway *gw;
  metrics_hub *hub;
  int watch_id;
  plane *p;
};

static int hub_gauge(void *ud, const char *ns, const char *pod, const char *series, double *value) {
  return metrics_hub_pod_gauge(ud, ns, pod, series, value);
}

static void endpoints_sync(void *self, plane *p, double now) {
  (void)now;
  up_endpoints *e = self;
  if (!e->gw) return; /* detached: the gateway has stopped */
  json_t *pods = store_list(p->store, "Pod", NULL);
  json_t *bindings = store_list(p->store, "ResourceBinding", NULL);
  sw_arena *a = sw_arena_new(16384);
  gw_endpoint *eps;
  size_t n = up_endpoints_build(pods, bindings, e->hub ? hub_gauge : NULL, e->hub, a, &eps);
  gw_update_endpoints(e->gw, eps, n);
  sw_arena_free(a);
  json_decref(pods);
  json_decref(bindings);
}

static void on_pod_event(void *ud, store_event_type type, const json_t *obj) {
  (void)type;
  (void)obj;
  up_endpoints *e = ud;
  plane_kick(e->p, "endpoints");
}

up_endpoints *up_endpoints_start(plane *p, gw_gateway *gw, metrics_hub *hub, double period) {
  up_endpoints *e = sw_xcalloc(1, sizeof *e);
  e->gw = gw;
  e->hub = hub;
  e->p = p;
  e->watch_id = store_watch(p->store, "Pod", on_pod_event, e);
  plane_add_controller(p, "endpoints", period > 0 ? period : 1, endpoints_sync, e);
  return e;
}

void up_endpoints_detach(up_endpoints *e) {
  if (e) e->gw = NULL;
}

void up_endpoints_free(up_endpoints *e) {
  if (!e) return;
  store_unwatch(e->p->store, e->watch_id);
  free(e);
}
