/*
 * plane.c — runs controllers on the loop: one timer each, re-armed after
 * every sync so a slow sync never piles up runs; kicks run it on the next
 * turn. Also writes Event objects.
 */
#include "plane/plane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct controller {
  plane *p;
  char *name;
  double period;
  plane_sync_fn fn;
  void *self;
  uv_timer_t timer;
  bool running;
} controller;

typedef SW_VEC(controller *) controller_vec;

static void controller_run(uv_timer_t *t) {
  controller *c = t->data;
  if (c->running) return; /* a sync that kicks itself must not recurse */
  c->running = true;
  c->fn(c->self, c->p, plane_now(c->p));
  c->running = false;
  uv_timer_start(&c->timer, controller_run, sw_clock_real_ms(&c->p->clock, c->period), 0);
}

void plane_init(plane *p, uv_loop_t *loop, store_t *store, double time_scale) {
  memset(p, 0, sizeof *p);
  p->loop = loop;
  p->store = store;
  sw_clock_init_real(&p->clock, time_scale);
  p->controllers = sw_xcalloc(1, sizeof(controller_vec));
}

static void free_controller(uv_handle_t *h) {
  controller *c = h->data;
  free(c->name);
  free(c);
}

void plane_fini(plane *p) {
  controller_vec *v = p->controllers;
  if (!v) return;
  for (size_t i = 0; i < v->len; i++) {
    uv_timer_stop(&v->items[i]->timer);
    uv_close((uv_handle_t *)&v->items[i]->timer, free_controller);
  }
  sw_vec_free(v);
  free(v);
  p->controllers = NULL;
}

void plane_add_controller(plane *p, const char *name, double period, plane_sync_fn fn, void *self) {
  controller *c = sw_xcalloc(1, sizeof *c);
  c->p = p;
  c->name = sw_xstrdup(name);
  c->period = period > 0 ? period : 1;
  c->fn = fn;
  c->self = self;
  uv_timer_init(p->loop, &c->timer);
  c->timer.data = c;
  uv_timer_start(&c->timer, controller_run, 0, 0);
  sw_vec_push((controller_vec *)p->controllers, c);
}

void plane_kick(plane *p, const char *name) {
  controller_vec *v = p->controllers;
  for (size_t i = 0; i < v->len; i++)
    if (!name || strcmp(v->items[i]->name, name) == 0)
      uv_timer_start(&v->items[i]->timer, controller_run, 0, 0);
}

double plane_now(const plane *p) { return sw_clock_now(&p->clock); }

void plane_event(plane *p, const char *kind, const char *ns, const char *name, const char *type,
                 const char *reason, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  char ts[32];
  sw_time_format(plane_now(p), ts, sizeof ts);
  /* One Event object per (object, reason, message), as the Kubernetes event
   * recorder aggregates repeats into count and lastTimestamp. */
  unsigned long h = 5381;
  for (const char *s = msg; *s; s++) h = h * 33 + (unsigned char)*s;
  char evname[512];
  snprintf(evname, sizeof evname, "%s.%s.%lx", name, reason, h & 0xffffff);
  for (char *c = evname; *c; c++)
    if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
  json_t *old = store_get(p->store, "Event", ns ? ns : "", evname);
  long count = 1;
  const char *first = ts;
  if (old) {
    count = json_integer_value(json_object_get(old, "count")) + 1;
    const char *f = json_string_value(json_object_get(old, "firstTimestamp"));
    if (f) first = f;
  }
  json_t *ev = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:s},s:s,s:s,s:s,s:I,s:s,s:s,s:{s:s}}",
                         "apiVersion", "v1", "kind", "Event",
                         "metadata", "name", evname, "namespace", ns ? ns : "",
                         "involvedObject", "kind", kind, "namespace", ns ? ns : "", "name", name,
                         "type", type, "reason", reason, "message", msg, "count", (json_int_t)count,
                         "firstTimestamp", first, "lastTimestamp", ts,
                         "source", "component", "spillway");
  json_decref(old);
  sw_err err;
  if (ev && store_apply(p->store, &ev, 1, plane_now(p), NULL, &err) != 0)
    SW_WARN("plane", "recording event %s: %s", evname, err.msg);
  json_decref(ev);
  /* repeats are aggregated into count, as in the store: log the first only */
  if (count == 1) SW_INFO("event", "%s %s/%s %s: %s", type, kind, name, reason, msg);
  else SW_DEBUG("event", "%s %s/%s %s (x%ld): %s", type, kind, name, reason, count, msg);
}
