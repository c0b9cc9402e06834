/*
 * plane.h — the control plane runtime: one libuv loop, the store, the clock,
 * and the controllers that run on it.
 *
 * Role in the data flow: the glue between the store and the pure reconcile
 * functions. A controller registers a sync function and a period; the plane
 * calls it with `now` from its clock on a timer (and sooner when kicked, e.g.
 * by a store watch). Sync functions read the store and observed state, call
 * their part's pure functions, and write results back. They never sleep and
 * never read time themselves.
 *
 * Owns: the controller list and their timers. Never: sockets or processes.
 */
#ifndef PLANE_H
#define PLANE_H

#include <jansson.h>
#include <uv.h>

#include "base/sw.h"
#include "store/store.h"

typedef struct plane plane;
typedef void (*plane_sync_fn)(void *self, plane *p, double now);

struct plane {
  uv_loop_t *loop;
  store_t *store;
  sw_clock clock;
  const char *state_dir; /* where logs, the token and the database live */
  /* Parts attach their shared state here (owned by the part that sets it). */
  struct cluster_fleet *fleet;   /* src/cluster: member clusters and drivers */
  struct metrics_hub *metrics;   /* src/metrics: scraped samples per pod */
  struct gw_gateway *gateway;    /* src/gateway: the data plane, when running */
  void *controllers;             /* private */
};

void plane_init(plane *p, uv_loop_t *loop, store_t *store, double time_scale);
void plane_fini(plane *p);

/* period is in clock seconds (a time-scaled plane runs it faster in real time). */
void plane_add_controller(plane *p, const char *name, double period, plane_sync_fn fn, void *self);
/* Runs the named controller (or every one, name NULL) on the next loop turn. */
void plane_kick(plane *p, const char *name);
double plane_now(const plane *p);

/* Records a Kubernetes-style Event object (kind Event, namespace of the
 * involved object) in the store; repeated identical events bump `count`.
 * type: "Normal" or "Warning". */
void plane_event(plane *p, const char *kind, const char *ns, const char *name, const char *type,
                 const char *reason, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

#endif
