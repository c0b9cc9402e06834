/*
 * summary.c — renders and redraws the live summary. The render is pure; the
 * timer only gathers the inputs and writes the screen.
 */
#include "up/summary.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "metrics/hub.h"
#include "plane/plane.h"

static const char *str_at(const json_t *o, const char *a, const char *b) {
  const json_t *v = json_object_get(o, a);
  return json_string_value(b ? json_object_get(v, b) : v);
}

static const char *condition(const json_t *obj, const char *type) {
  const json_t *conds = json_object_get(json_object_get(obj, "status"), "conditions");
  size_t i;
  const json_t *c;
  json_array_foreach(conds, i, c) {
    if (sw_streq(str_at(c, "type", NULL), type)) return str_at(c, "status", NULL);
  }
  return NULL;
}

char *up_summary_render(const json_t *clusters, const json_t *bindings, const json_t *pods, double now,
                        double time_scale, double waiting, double running, double rps) {
  sw_buf b;
  sw_buf_init(&b);
  char ts[32];
  sw_time_format(now, ts, sizeof ts);
  sw_buf_printf(&b, "spillway up — %s (clock x%g)   Ctrl-C stops everything\n\n", ts, time_scale);
  sw_buf_printf(&b, "%-14s %-6s %-5s %-5s %-8s %-13s %s\n", "CLUSTER", "READY", "GPUS", "USED", "PODS", "PROVISIONING",
                "POOLS");
  size_t i;
  const json_t *c;
  json_array_foreach(clusters, i, c) {
    const char *name = str_at(c, "metadata", "name");
    long gpus = 0, used = 0, prov = 0;
    sw_buf pools;
    sw_buf_init(&pools);
    const json_t *ps = json_object_get(json_object_get(c, "status"), "pools");
    size_t j;
    const json_t *pl;
    json_array_foreach(ps, j, pl) {
      gpus += (long)json_integer_value(json_object_get(pl, "gpus"));
      used += (long)json_integer_value(json_object_get(pl, "gpusUsed"));
      prov += (long)json_integer_value(json_object_get(pl, "provisioning"));
      sw_buf_printf(&pools, "%s%s:%lld", j ? " " : "", str_at(pl, "name", NULL) ? str_at(pl, "name", NULL) : "?",
                    (long long)json_integer_value(json_object_get(pl, "nodes")));
    }
    long ready = 0, total = 0;
    const json_t *p;
    json_array_foreach(pods, j, p) {
      const json_t *labels = json_object_get(json_object_get(p, "metadata"), "labels");
      if (!sw_streq(json_string_value(json_object_get(labels, "spillway.io/cluster")), name)) continue;
      total++;
      if (sw_streq(condition(p, "Ready"), "True")) ready++;
    }
    char podtxt[32];
    snprintf(podtxt, sizeof podtxt, "%ld/%ld", ready, total);
    const char *rd = condition(c, "Ready");
    sw_buf_printf(&b, "%-14s %-6s %-5ld %-5ld %-8s %-13ld %s\n", name ? name : "?", rd ? rd : "?", gpus, used, podtxt,
                  prov, pools.data ? pools.data : "");
    sw_buf_free(&pools);
  }
  sw_buf_printf(&b, "\n%-24s %-9s %-30s %s\n", "WORKLOAD", "REPLICAS", "CLUSTERS", "UNSCHEDULED");
  const json_t *rb;
  json_array_foreach(bindings, i, rb) {
    const json_t *spec = json_object_get(rb, "spec");
    const json_t *res = json_object_get(spec, "resource");
    char wl[256];
    snprintf(wl, sizeof wl, "%s/%s", str_at(res, "namespace", NULL) ? str_at(res, "namespace", NULL) : "",
             str_at(res, "name", NULL) ? str_at(res, "name", NULL) : "");
    sw_buf cl;
    sw_buf_init(&cl);
    size_t j;
    const json_t *e;
    json_array_foreach(json_object_get(spec, "clusters"), j, e) {
      sw_buf_printf(&cl, "%s%s:%lld", j ? "," : "", str_at(e, "name", NULL) ? str_at(e, "name", NULL) : "?",
                    (long long)json_integer_value(json_object_get(e, "replicas")));
    }
    sw_buf_printf(&b, "%-24s %-9lld %-30s %lld\n", wl, (long long)json_integer_value(json_object_get(spec, "replicas")),
                  cl.data ? cl.data : "-",
                  (long long)json_integer_value(json_object_get(json_object_get(rb, "status"), "unscheduled")));
    sw_buf_free(&cl);
  }
  sw_buf_puts(&b, "\nQUEUE  ");
  if (isnan(waiting)) sw_buf_puts(&b, "waiting -");
  else sw_buf_printf(&b, "waiting %g", waiting);
  if (isnan(running)) sw_buf_puts(&b, "   running -");
  else sw_buf_printf(&b, "   running %g", running);
  if (isnan(rps)) sw_buf_puts(&b, "   requests/s -\n");
  else sw_buf_printf(&b, "   requests/s %.1f\n", rps);
  return sw_buf_steal(&b);
}

struct up_summary {
  plane *p;
  metrics_hub *hub;
  uv_timer_t timer;
  double last_total, last_time;
  bool have_last;
  char *footer;
};

static void sum_gauge(metrics_hub *hub, const json_t *pods, const char *series, double *out) {
  size_t i;
  const json_t *p;
  double total = 0;
  bool any = false;
  json_array_foreach(pods, i, p) {
    double v;
    const char *ns = str_at(p, "metadata", "namespace"), *name = str_at(p, "metadata", "name");
    if (ns && name && metrics_hub_pod_gauge(hub, ns, name, series, &v) == 0) total += v, any = true;
  }
  *out = any ? total : NAN;
}

static void on_tick(uv_timer_t *t) {
  up_summary *s = t->data;
  store_t *st = s->p->store;
  json_t *clusters = store_list(st, "Cluster", NULL);
  json_t *bindings = store_list(st, "ResourceBinding", NULL);
  json_t *pods = store_list(st, "Pod", NULL);
  double waiting = NAN, running = NAN, done = NAN, rps = NAN, now = plane_now(s->p);
  if (s->hub) {
    sum_gauge(s->hub, pods, "vllm:num_requests_waiting", &waiting);
    sum_gauge(s->hub, pods, "vllm:num_requests_running", &running);
    sum_gauge(s->hub, pods, "vllm:request_success_total", &done);
  }
  double wall = sw_mono_now();
  if (!isnan(done)) {
    /* a counter summed over pods drops when a pod goes: skip that tick */
    if (s->have_last && done >= s->last_total && wall > s->last_time) rps = (done - s->last_total) / (wall - s->last_time);
    s->last_total = done, s->last_time = wall, s->have_last = true;
  }
  char *text = up_summary_render(clusters, bindings, pods, now, s->p->clock.scale, waiting, running, rps);
  /* home the cursor and clear: one screen, redrawn in place */
  fputs("\033[H\033[2J", stdout);
  fputs(text, stdout);
  if (s->footer) fprintf(stdout, "\n%s", s->footer);
  fflush(stdout);
  free(text);
  json_decref(clusters);
  json_decref(bindings);
  json_decref(pods);
}

up_summary *up_summary_start(plane *p, metrics_hub *hub, const char *footer) {
  up_summary *s = sw_xcalloc(1, sizeof *s);
  s->footer = footer ? sw_xstrdup(footer) : NULL;
  s->p = p;
  s->hub = hub;
  uv_timer_init(p->loop, &s->timer);
  s->timer.data = s;
  uv_timer_start(&s->timer, on_tick, 1000, 1000);
  return s;
}

static void free_summary(uv_handle_t *h) {
  up_summary *s = h->data;
  free(s->footer);
  free(s);
}

void up_summary_free(up_summary *s) {
  if (!s) return;
  uv_timer_stop(&s->timer);
  uv_close((uv_handle_t *)&s->timer, free_summary);
}
