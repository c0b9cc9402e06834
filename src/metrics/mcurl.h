/*
 * mcurl.h — outbound HTTP GETs for the metrics part (pod scrapes, the
 * Prometheus API), with libcurl's multi interface driven by a libuv loop:
 * curl_multi_socket_action with one uv_poll per socket and one uv_timer, the
 * integration curl documents (docs/examples/multi-uv.c). Nothing blocks the
 * loop; connections are kept alive and reused across requests through the
 * multi handle's connection cache, and easy handles are recycled.
 *
 * Role in the data flow: the only place the metrics part touches the
 * network. Owns: the multi handle, its sockets' poll handles, idle easy
 * handles. Never: parses bodies (callers do).
 *
 * Threading: one loop; call everything from it.
 */
#ifndef METRICS_MCURL_H
#define METRICS_MCURL_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

typedef struct mcurl mcurl;
typedef struct mcurl_req mcurl_req;

typedef struct mcurl_result {
  bool ok;          /* the transfer completed (any HTTP status) */
  long http_status; /* 0 when !ok */
  const char *body; /* borrowed for the callback's duration; NUL-terminated */
  size_t len;
  /* When !ok: what went wrong, for people: "connection refused",
   * "timed out after 1000 ms", "response larger than 16777216 bytes", ... */
  const char *error;
  double seconds; /* the transfer's duration */
} mcurl_result;

typedef void (*mcurl_cb)(void *ud, const mcurl_result *r);

typedef struct mcurl_opts {
  long timeout_ms;    /* whole transfer, connect included; default 1000 */
  size_t max_body;    /* default 16 MiB */
  const char *accept; /* Accept header; NULL for none */
} mcurl_opts;

mcurl *mcurl_new(uv_loop_t *loop);
/* Cancels every request (their callbacks are not called) and closes the
 * handles; the memory is released once the loop has run the close callbacks
 * (run the loop once more after this). */
void mcurl_free(mcurl *m);

/* Starts GET url; cb is called exactly once, on the loop, unless the request
 * is cancelled first. The returned handle is valid until cb returns. */
mcurl_req *mcurl_get(mcurl *m, const char *url, const mcurl_opts *o, mcurl_cb cb, void *ud);
void mcurl_cancel(mcurl_req *r);
size_t mcurl_in_flight(const mcurl *m);

/* Appends s percent-encoded for a URL query value. */
void mcurl_escape(const char *s, char **out);

#endif
