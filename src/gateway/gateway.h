/*
 * gateway.h — the OpenAI-compatible data plane: one address in front of every
 * ready replica of every served model, in every cluster.
 *
 * Role in the data flow: the last stage. It is told the replicas (endpoints)
 * and their load by the control plane (`spillway up`) or by a static file
 * (`spillway gateway`), and forwards each client request to one ready,
 * not-terminating replica of the requested model, streaming the answer back.
 *
 * Owns: its worker threads (one libuv loop each), the listening sockets, the
 * client and upstream connections, the /metrics listener. It never blocks a
 * caller's loop: gw_update_endpoints only swaps a snapshot and wakes workers.
 *
 * Threading: gw_start/gw_stop from one thread; gw_update_endpoints from any
 * thread, at any time between them (calls are serialised internally).
 */
#ifndef GW_GATEWAY_H
#define GW_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/sw.h"

/* One replica of one served model, as the control plane sees it. All strings
 * are borrowed for the duration of gw_update_endpoints (the gateway copies).
 * An entry with host NULL (or port 0) declares a model that exists with no
 * replica yet (scaled to zero, all starting): its requests wait in the
 * no-capacity queue instead of getting 404. */
typedef struct gw_endpoint {
  const char *model;    /* served model name (vLLM --served-model-name) */
  const char *pod;      /* "namespace/name"; identifies the replica in metrics */
  const char *cluster;  /* member cluster name */
  int cluster_priority; /* lower = preferred (first clusterAffinities tier = 0) */
  const char *host;     /* numeric IPv4/IPv6 address, e.g. "127.0.0.1" */
  int port;
  bool ready;                        /* readiness probe passed */
  bool terminating;                  /* deletionTimestamp set: no new request from now on */
  double waiting, running, kv_usage; /* latest scraped vLLM gauges; NaN if unknown */
} gw_endpoint;

/* Every field has a default (gw_config_defaults); a zero numeric field also
 * means "default", so a caller may fill only what it cares about. */
typedef struct gw_config {
  const char *listen_host;      /* "127.0.0.1" */
  int listen_port;              /* 8000; 0 = any free port (see gw_port) */
  const char *metrics_host;     /* defaults to listen_host */
  int metrics_port;             /* 0 = any free port; -1 = no metrics listener */
  int workers;                  /* worker threads; 0 = number of online cores */
  const char *policy;           /* "least-load" (default) | "round-robin" | "least-inflight" */
  double connect_timeout;       /* s to connect to a replica (5) */
  double first_byte_timeout;    /* s from request sent to the first response byte (600) */
  double idle_timeout;          /* s of silence allowed inside a response stream (120) */
  double client_header_timeout; /* s for a client to send a full request head (10) */
  double client_body_timeout;   /* s for the whole body once the head is in (30) */
  double client_idle_timeout;   /* s an idle keep-alive client connection is kept (75) */
  size_t max_header_bytes;      /* request line + headers (16 KiB) -> 431 */
  size_t max_body_bytes;        /* request body (8 MiB) -> 413 */
  int queue_size;               /* requests held while a model has no ready replica (1024); -1 = none */
  double queue_deadline;        /* s a request is held before 503 (30) */
  int retry_after;              /* Retry-After seconds on 503 (5) */
  int upstream_keepalive;       /* idle connections kept per replica per worker (128) */
  double eject_seconds;         /* a replica refusing connections is skipped this long (2) */
  bool access_log;              /* one line per request (off) */
  FILE *access_log_file;        /* where; NULL = stderr. Borrowed until gw_stop. */
  const char *default_model;    /* model used when a request names none; NULL = the only one */
} gw_config;

typedef struct gw_gateway gw_gateway;

void gw_config_defaults(gw_config *cfg);

/* Binds the listeners (errors such as "address in use" are reported here) and
 * starts the worker threads. cfg and its strings are copied. */
int gw_start(const gw_config *cfg, gw_gateway **out, sw_err *err);

/* Replaces the whole endpoint set (copies; thread-safe; callable from any
 * thread). When it returns, no worker will start a new request on an endpoint
 * that is terminating, not ready or absent; requests already in flight to it
 * complete. Load fields update the routing data of endpoints that persist. */
void gw_update_endpoints(gw_gateway *g, const gw_endpoint *eps, size_t n);

/* Stops accepting, finishes every request in flight (answers queued ones 503),
 * joins the threads and frees everything. g is invalid afterwards. */
void gw_stop(gw_gateway *g);

/* Bound ports (useful when the config asked for port 0); -1 when absent. */
int gw_port(const gw_gateway *g);
int gw_metrics_port(const gw_gateway *g);

/* The names accepted for gw_config.policy, NULL-terminated. */
const char *const *gw_policy_names(void);

#endif
