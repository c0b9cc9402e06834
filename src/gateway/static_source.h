/*
 * static_source.h — the endpoint source of the standalone gateway: the
 * endpoints file (reloadable) plus a scraper that reads each replica's
 * /metrics for its load, on a thread of its own (never on the request path).
 *
 * Role in the data flow: what the control plane's endpoint watch is for
 * `spillway up`, for `spillway gateway --endpoints FILE`. It only ever talks
 * to the gateway through gw_update_endpoints.
 *
 * Health: a replica whose /metrics refuses connections is passed on as not
 * ready until a scrape succeeds again (the gateway also ejects a replica the
 * moment a request's connection is refused). A scrape that times out changes
 * nothing (a busy vLLM answers /metrics late).
 */
#ifndef GW_STATIC_SOURCE_H
#define GW_STATIC_SOURCE_H

#include "gateway/gateway.h"

typedef struct gw_static gw_static;

typedef struct gw_static_opts {
  double scrape_interval; /* seconds; 0 = do not scrape */
  double scrape_timeout;  /* seconds per scrape */
} gw_static_opts;

/* Loads path (errors are the file's, precise) and pushes its endpoints to g. */
int gw_static_start(gw_gateway *g, const char *path, const gw_static_opts *o, gw_static **out, sw_err *err);
/* Re-reads the file; on error keeps the previous endpoints and returns it. */
int gw_static_reload(gw_static *s, sw_err *err);
void gw_static_stop(gw_static *s);

#endif
