/*
 * endpoints.h — feeds the gateway: turns the Pod objects in the store and
 * their scraped load into the gateway's endpoint set.
 *
 * Role in the data flow: store (Pods, ResourceBindings) + metrics hub ->
 * gw_update_endpoints. A pod that starts terminating leaves the set on the
 * next Pod watch event, before its replica is told to stop (the cluster layer
 * waits a drain delay before SIGTERM). Owns nothing but its timer state;
 * never touches sockets or processes.
 */
#ifndef UP_ENDPOINTS_H
#define UP_ENDPOINTS_H

#include <jansson.h>

#include "base/sw.h"
#include "gateway/gateway.h"

struct plane;
struct metrics_hub;

/* The latest value of a raw series of one pod; 0 or non-zero when unknown. */
typedef int (*up_gauge_fn)(void *ud, const char *ns, const char *pod, const char *series, double *value);

/* Pure: the endpoints for these pods. bindings (array of ResourceBinding)
 * give each cluster's priority for a workload: its position in
 * spec.clusters, which the scheduler writes in tier order. Strings point into
 * the pods JSON or the arena; *out is arena-allocated. Pods that are not
 * Ready, are terminating, or serve no model the gateway can name are left
 * out. */
size_t up_endpoints_build(const json_t *pods, const json_t *bindings, up_gauge_fn gauge, void *ud,
                          sw_arena *a, gw_endpoint **out);

/* The served model name of a pod's first container (vLLM's
 * --served-model-name, else --model, else the positional model); NULL when
 * the command is not a vLLM server. Arena-allocated. */
const char *up_served_model(const json_t *pod, sw_arena *a);

typedef struct up_endpoints up_endpoints;
/* Registers the "endpoints" controller (period in clock seconds) and a Pod
 * watch that kicks it. gw and hub are borrowed (hub may be NULL). */
up_endpoints *up_endpoints_start(struct plane *p, gw_gateway *gw, struct metrics_hub *hub, double period);
/* Stops feeding the gateway (call before gw_stop); the controller stays
 * registered but does nothing. */
void up_endpoints_detach(up_endpoints *e);
/* After plane_fini (the plane holds the controller until then), before
 * store_close. */
void up_endpoints_free(up_endpoints *e);

#endif
