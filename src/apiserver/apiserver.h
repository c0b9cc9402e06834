/*
 * apiserver.h — the Kubernetes-style REST API in front of the store.
 *
 * Role in the data flow: manifests and CLI requests arrive here over HTTP,
 * are authenticated (bearer token), validated by src/api and written to the
 * store; reads and watches are answered from the store. Owns: its HTTP
 * listener, its watch streams, the extra routes other parts plug in. Never:
 * reconciles anything or reads the clock itself (it uses plane_now).
 *
 * Paths (kubectl's): /api/v1/namespaces/<ns>/<plural>[/<name>[/status|/log]],
 * /api/v1/<plural>[/<name>], /apis/<group>/<version>/namespaces/<ns>/<plural>
 * [/<name>[/status|/scale]], /apis/<group>/<version>/<plural>[/<name>], and
 * POST /apis/spillway.io/v1alpha1/apply (a JSON array of objects stored in one
 * transaction). Errors are Kubernetes Status objects. See docs/apiserver.md.
 *
 * Threading: everything runs on the plane's loop.
 */
#ifndef APISERVER_H
#define APISERVER_H

#include <jansson.h>
#include <stdbool.h>

#include "base/sw.h"
#include "net/http_server.h"
#include "plane/plane.h"

typedef struct apiserver apiserver;

/* Listens on host:port (port 0 picks a free one; see apiserver_port). token is
 * copied; requests must carry "Authorization: Bearer <token>". The plane is
 * borrowed and must outlive the server. */
int apiserver_start(plane *p, const char *host, int port, const char *token, apiserver **out, sw_err *err);
int apiserver_port(const apiserver *a);
/* Ends every watch stream, closes the listener and frees the server. */
void apiserver_stop(apiserver *a);

/* Requests whose path starts with path_prefix (after authentication) go to
 * handler instead of the built-in routes; the longest matching prefix wins.
 * Used e.g. for /apis/custom.metrics.k8s.io/. The prefix is copied. */
void apiserver_add_route(apiserver *a, const char *path_prefix, http_handler handler, void *ud);

/* ---- the request handling without a socket (for tests and embedding) ---- */

/* A server that does not listen: apiserver_handle answers requests. */
apiserver *apiserver_new(plane *p, const char *token);
void apiserver_free(apiserver *a);

typedef struct apiserver_reply {
  int status;
  const char *content_type; /* static string */
  char *body;               /* owned, NUL-terminated */
  size_t len;
  json_t *warnings; /* array of strings (sent as Warning headers), owned */
  bool watch;       /* the request asks for a watch stream (handled by the HTTP glue) */
  char *follow_path;      /* pods/log?follow=true: the log file to keep streaming, owned */
  int64_t follow_offset;  /* ... from this byte on (the body holds what came before) */
} apiserver_reply;

/* Answers one request (method, path, query, headers, body are read). Watch
 * requests set reply->watch and status 0 after authentication and routing
 * succeeded. Call apiserver_reply_free afterwards. */
void apiserver_handle(apiserver *a, const http_request *req, apiserver_reply *reply);
void apiserver_reply_free(apiserver_reply *reply);

/* ---- pure helpers (exported for unit and fuzz tests) ---------------------- */

typedef struct apiserver_path {
  char group[64]; /* "" for the core group (/api/v1) */
  char version[32];
  char ns[256]; /* "" when the path has no /namespaces/<ns> */
  bool has_ns;
  char plural[64]; /* "" for a group/version discovery request */
  char name[256];  /* "" for a collection */
  char sub[32];    /* "", "status", "scale", "log" */
} apiserver_path;

/* Parses a decoded request path. 0 on success, -1 when it is not a resource
 * path of the shapes above (the caller answers 404). */
int apiserver_parse_path(const char *path, apiserver_path *out);

/* The value of query parameter `name` in a raw query string ("a=1&b=x%20y"),
 * percent-decoded ('+' is a space) into out (always NUL-terminated). Returns
 * true when the parameter is present (possibly with an empty value). */
bool apiserver_query_param(const char *query, const char *name, char *out, size_t outlen);

/* Kubernetes label selectors: "a=b,c!=d,e,!f,g in (x,y),h notin (z)". A
 * parsed selector is a JSON array of requirements; NULL and err on bad syntax. */
json_t *apiserver_selector_parse(const char *s, sw_err *err);
/* labels: a JSON object of string values (may be NULL = no labels). */
bool apiserver_selector_match(const json_t *selector, const json_t *labels);

/* Field selectors: "metadata.name=x,involvedObject.kind!=Pod" over dotted
 * paths to string (or number/bool) fields of the object. */
json_t *apiserver_field_selector_parse(const char *s, sw_err *err);
bool apiserver_field_selector_match(const json_t *selector, const json_t *obj);

/* Constant-time check of an Authorization header against the token. */
bool apiserver_auth_ok(const char *authorization_header, const char *token);

/* A Kubernetes Status object for an error reply (new reference). */
json_t *apiserver_status(int code, const char *reason, const char *message);

#endif
