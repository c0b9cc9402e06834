/*
 * apiserver.c — the Kubernetes-style REST API: authentication, routing to a
 * kind, the verbs (get/list/watch/create/update/patch/delete, the status,
 * scale and log subresources, the batch apply endpoint) and the HTTP glue.
 *
 * Role in the data flow: between the network and the store. Request bodies
 * are untrusted: each is parsed with jansson and validated by src/api
 * (api_validate_object) before anything is written; a request that fails
 * changes nothing. Owns: the listener, the watch streams, the plugged-in
 * routes. Never: blocks the loop (the only file read, /log, is bounded), or
 * writes to the store outside store_* calls.
 *
 * The behaviour copies the Kubernetes API server where a client would notice:
 * status codes and Status reasons (404 NotFound, 409 AlreadyExists/Conflict,
 * 422 Invalid, 415 for patch types other than merge patch), messages in
 * kube-apiserver's words (`deployments.apps "x" not found`), a list's
 * metadata.resourceVersion, watch streams of {"type","object"} lines, and
 * the autoscaling/v1 Scale subresource of Deployments.
 */
#include "apiserver/apiserver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "api/api.h"

#define AS_LOG "apiserver"
#define AS_LOG_MAX_BYTES (8u << 20) /* /log replies at most the last 8 MiB */

typedef struct as_route {
  char *prefix;
  http_handler fn;
  void *ud;
} as_route;

typedef struct as_watch as_watch;

struct apiserver {
  plane *p;
  char *token;
  http_server *http;
  SW_VEC(as_route) routes;
  as_watch *watches; /* open watch streams (doubly linked) */
  struct as_follow *follows; /* open `logs -f` streams (doubly linked) */
};

/* What a request resolved to. */
typedef struct as_target {
  apiserver_path path;
  const api_kind *k;
  const char *ns; /* namespace for the store: path ns, "" (cluster-scoped), or NULL (all) */
} as_target;

/* ---- replies ---------------------------------------------------------------- */

static void reply_json(apiserver_reply *r, int status, json_t *body /* stolen */) {
  r->status = status;
  r->content_type = "application/json";
  char *s = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(api_json_real_precision(body))) : NULL;
  json_decref(body);
  if (!s) { /* an invariant breach (a json_pack of bad input): still answer */
    r->status = 500;
    s = sw_xstrdup(
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"InternalError\","
        "\"code\":500,\"message\":\"cannot encode the reply\"}");
  }
  size_t n = strlen(s);
  r->body = sw_xmalloc(n + 2);
  memcpy(r->body, s, n);
  r->body[n] = '\n';
  r->body[n + 1] = 0;
  r->len = n + 1;
  free(s);
}

static void reply_error(apiserver_reply *r, int code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void reply_error(apiserver_reply *r, int code, const char *reason, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  reply_json(r, code, apiserver_status(code, reason, msg));
}

void apiserver_reply_free(apiserver_reply *r) {
  free(r->body);
  free(r->follow_path);
  json_decref(r->warnings);
  memset(r, 0, sizeof *r);
}

/* kube-apiserver names a resource "<plural>.<group>" in messages. */
static void res_name(const api_kind *k, char *buf, size_t n) {
  if (k->group && *k->group)
    snprintf(buf, n, "%s.%s", k->plural, k->group);
  else
    snprintf(buf, n, "%s", k->plural);
}

static void reply_store_error(apiserver_reply *r, const api_kind *k, const char *name, const sw_err *err) {
  char rn[128];
  res_name(k, rn, sizeof rn);
  switch (err->code) {
  case SW_ENOENT:
    reply_error(r, 404, "NotFound", "%s \"%s\" not found", rn, name);
    break;
  case SW_ECONFLICT:
    reply_error(r, 409, "Conflict",
                "Operation cannot be fulfilled on %s \"%s\": the object has been modified; please apply your "
                "changes to the latest version and try again (%s)",
                rn, name, err->msg);
    break;
  case SW_EINVAL:
    reply_error(r, 422, "Invalid", "%s", err->msg);
    break;
  default:
    reply_error(r, 500, "InternalError", "%s", err->msg);
    break;
  }
}

/* ---- helpers -------------------------------------------------------------- */

static const char *req_header(const http_request *req, const char *name) {
  for (size_t i = 0; i < req->n_headers; i++)
    if (strcasecmp(req->headers[i].name, name) == 0) return req->headers[i].value;
  return NULL;
}

static const char *meta_str(const json_t *o, const char *f) {
  return json_string_value(json_object_get(json_object_get(o, "metadata"), f));
}

static uint64_t meta_rv(const json_t *o) {
  const json_t *v = json_object_get(json_object_get(o, "metadata"), "resourceVersion");
  if (json_is_integer(v)) return (uint64_t)json_integer_value(v);
  const char *s = json_string_value(v);
  return s ? strtoull(s, NULL, 10) : 0;
}

static json_t *ensure_meta(json_t *obj) {
  json_t *m = json_object_get(obj, "metadata");
  if (!json_is_object(m)) {
    m = json_object();
    json_object_set_new(obj, "metadata", m);
  }
  return m;
}

static bool group_matches(const api_kind *k, const char *group) {
  if (sw_streq(k->group ? k->group : "", group)) return true;
  for (size_t i = 0; i < 4 && k->alt_groups[i]; i++)
    if (strcmp(k->alt_groups[i], group) == 0) return true;
  return false;
}

static void api_version_of(const api_kind *k, char *buf, size_t n) {
  if (k->group && *k->group)
    snprintf(buf, n, "%s/%s", k->group, k->version);
  else
    snprintf(buf, n, "%s", k->version);
}

/* Parses a request body as JSON; on failure answers 400 and returns NULL. */
static json_t *parse_body(const http_request *req, apiserver_reply *r, bool want_object) {
  if (!req->body || req->body_len == 0) {
    reply_error(r, 400, "BadRequest", "the request body is empty: expected a JSON %s",
                want_object ? "object" : "value");
    return NULL;
  }
  json_error_t je;
  json_t *v = json_loadb(req->body, req->body_len, 0, &je);
  if (!v) {
    reply_error(r, 400, "BadRequest", "the request body is not valid JSON: line %d, column %d: %s", je.line,
                je.column, je.text);
    return NULL;
  }
  if (want_object && !json_is_object(v)) {
    json_decref(v);
    reply_error(r, 400, "BadRequest", "the request body must be a JSON object");
    return NULL;
  }
  return v;
}

/* Reads the selectors of a list or watch; on failure answers 400. */
static bool parse_selectors(const http_request *req, apiserver_reply *r, json_t **labels, json_t **fields) {
  char buf[2048];
  sw_err err;
  *labels = *fields = NULL;
  if (apiserver_query_param(req->query, "labelSelector", buf, sizeof buf)) {
    *labels = apiserver_selector_parse(buf, &err);
    if (!*labels) {
      reply_error(r, 400, "BadRequest", "%s", err.msg);
      return false;
    }
  }
  if (apiserver_query_param(req->query, "fieldSelector", buf, sizeof buf)) {
    *fields = apiserver_field_selector_parse(buf, &err);
    if (!*fields) {
      json_decref(*labels);
      *labels = NULL;
      reply_error(r, 400, "BadRequest", "%s", err.msg);
      return false;
    }
  }
  return true;
}

static bool selected(const json_t *obj, const json_t *labels, const json_t *fields) {
  if (labels &&
      !apiserver_selector_match(labels, json_object_get(json_object_get(obj, "metadata"), "labels")))
    return false;
  if (fields && !apiserver_field_selector_match(fields, obj)) return false;
  return true;
}

/* Objects from users have no status on create/update: it belongs to the
 * controllers (as kube-apiserver's PrepareForCreate/Update reset it). The
 * kinds spillway itself writes (Pod, Node, Event, ResourceBinding) keep it. */
static void drop_user_status(const api_kind *k, json_t *obj) {
  if (!k->system) json_object_del(obj, "status");
}

/* ---- discovery ---------------------------------------------------------------- */

static void handle_discovery(apiserver *a, const as_target *t, apiserver_reply *r) {
  size_t n;
  const api_kind *const *kinds = api_kinds(&n);
  json_t *resources = json_array();
  for (size_t i = 0; i < n; i++) {
    const api_kind *k = kinds[i];
    if (!group_matches(k, t->path.group)) continue;
    json_t *shorts = json_array();
    for (size_t j = 0; j < 4 && k->short_names[j]; j++)
      json_array_append_new(shorts, json_string(k->short_names[j]));
    json_array_append_new(resources, json_pack("{s:s,s:s,s:b,s:s,s:o,s:[s,s,s,s,s,s,s]}", "name", k->plural,
                                               "singularName", "", "namespaced", k->namespaced, "kind",
                                               k->kind, "shortNames", shorts, "verbs", "create", "delete",
                                               "get", "list", "patch", "update", "watch"));
    char sub[96];
    snprintf(sub, sizeof sub, "%s/status", k->plural);
    json_array_append_new(resources,
                          json_pack("{s:s,s:b,s:s,s:[s,s,s]}", "name", sub, "namespaced", k->namespaced,
                                    "kind", k->kind, "verbs", "get", "patch", "update"));
    if (strcmp(k->kind, "Deployment") == 0) {
      snprintf(sub, sizeof sub, "%s/scale", k->plural);
      json_array_append_new(resources, json_pack("{s:s,s:b,s:s,s:s,s:s,s:[s,s,s]}", "name", sub, "namespaced",
                                                 true, "group", "autoscaling", "version", "v1", "kind",
                                                 "Scale", "verbs", "get", "patch", "update"));
    }
    if (strcmp(k->kind, "Pod") == 0)
      json_array_append_new(resources, json_pack("{s:s,s:b,s:s,s:[s]}", "name", "pods/log", "namespaced",
                                                 true, "kind", "Pod", "verbs", "get"));
  }
  if (json_array_size(resources) == 0) {
    json_decref(resources);
    reply_error(r, 404, "NotFound", "the server could not find the requested resource");
    return;
  }
  char gv[160];
  if (*t->path.group)
    snprintf(gv, sizeof gv, "%s/%s", t->path.group, t->path.version);
  else
    snprintf(gv, sizeof gv, "%s", t->path.version);
  reply_json(r, 200,
             json_pack("{s:s,s:s,s:s,s:o}", "kind", "APIResourceList", "apiVersion", "v1", "groupVersion", gv,
                       "resources", resources));
  (void)a;
}

static void handle_group_list(apiserver_reply *r) {
  size_t n;
  const api_kind *const *kinds = api_kinds(&n);
  json_t *seen = json_object(), *groups = json_array();
  for (size_t i = 0; i < n; i++) {
    const api_kind *k = kinds[i];
    const char *gs[5] = {k->group};
    for (size_t j = 0; j < 4; j++) gs[j + 1] = k->alt_groups[j];
    for (size_t j = 0; j < 5; j++) {
      if (!gs[j] || !*gs[j] || json_object_get(seen, gs[j])) continue;
      json_object_set_new(seen, gs[j], json_true());
      char gv[160];
      snprintf(gv, sizeof gv, "%s/%s", gs[j], k->version);
      json_array_append_new(groups, json_pack("{s:s,s:[{s:s,s:s}],s:{s:s,s:s}}", "name", gs[j], "versions",
                                              "groupVersion", gv, "version", k->version, "preferredVersion",
                                              "groupVersion", gv, "version", k->version));
    }
  }
  json_decref(seen);
  reply_json(r, 200,
             json_pack("{s:s,s:s,s:o}", "kind", "APIGroupList", "apiVersion", "v1", "groups", groups));
}

/* ---- list / get ------------------------------------------------------------- */

static void handle_list(apiserver *a, const as_target *t, const http_request *req, apiserver_reply *r) {
  json_t *labels, *fields;
  if (!parse_selectors(req, r, &labels, &fields)) return;
  json_t *all = store_list(a->p->store, t->k->kind, t->ns);
  json_t *items = json_array();
  size_t i;
  json_t *obj;
  json_array_foreach(all, i, obj) if (selected(obj, labels, fields)) json_array_append(items, obj);
  json_decref(all);
  json_decref(labels);
  json_decref(fields);
  char av[160], kind[96], rv[32];
  api_version_of(t->k, av, sizeof av);
  snprintf(kind, sizeof kind, "%sList", t->k->kind);
  snprintf(rv, sizeof rv, "%llu", (unsigned long long)store_revision(a->p->store));
  reply_json(r, 200,
             json_pack("{s:s,s:s,s:{s:s},s:o}", "apiVersion", av, "kind", kind, "metadata", "resourceVersion",
                       rv, "items", items));
}

static json_t *get_or_404(apiserver *a, const as_target *t, apiserver_reply *r) {
  json_t *obj = store_get(a->p->store, t->k->kind, t->ns, t->path.name);
  if (!obj) {
    char rn[128];
    res_name(t->k, rn, sizeof rn);
    reply_error(r, 404, "NotFound", "%s \"%s\" not found", rn, t->path.name);
  }
  return obj;
}

/* ---- create / update ---------------------------------------------------------- */

/* Checks kind, apiVersion, name and namespace of a body against the route and
 * fills what is missing; then validates. false = answered with an error. */
static bool prepare_body(const as_target *t, json_t *obj, const char *name, apiserver_reply *r,
                         json_t *warnings) {
  const char *kind = json_string_value(json_object_get(obj, "kind"));
  if (kind && strcmp(kind, t->k->kind) != 0) {
    reply_error(r, 400, "BadRequest", "the body's kind \"%s\" does not match the request path (%s)", kind,
                t->k->kind);
    return false;
  }
  char av[160];
  api_version_of(t->k, av, sizeof av);
  if (!kind) json_object_set_new(obj, "kind", json_string(t->k->kind));
  if (!json_object_get(obj, "apiVersion")) json_object_set_new(obj, "apiVersion", json_string(av));
  json_t *meta = ensure_meta(obj);
  const char *bname = meta_str(obj, "name");
  if (name) {
    if (!bname)
      json_object_set_new(meta, "name", json_string(name));
    else if (strcmp(bname, name) != 0) {
      reply_error(r, 400, "BadRequest", "the name of the object (%s) does not match the name on the URL (%s)",
                  bname, name);
      return false;
    }
  }
  const char *bns = meta_str(obj, "namespace");
  if (t->k->namespaced) {
    if (!bns || !*bns)
      json_object_set_new(meta, "namespace", json_string(t->ns));
    else if (strcmp(bns, t->ns) != 0) {
      reply_error(
          r, 400, "BadRequest",
          "the namespace of the provided object (%s) does not match the namespace sent on the request (%s)",
          bns, t->ns);
      return false;
    }
  } else {
    json_object_del(meta, "namespace");
  }
  drop_user_status(t->k, obj);
  sw_err err;
  sw_err_clear(&err);
  if (api_validate_object(obj, "request body", warnings, &err) != 0) {
    reply_error(r, 422, "Invalid", "%s", err.msg);
    return false;
  }
  if (!t->k->namespaced) json_object_set_new(meta, "namespace", json_string(""));
  return true;
}

static void handle_create(apiserver *a, const as_target *t, const http_request *req, apiserver_reply *r) {
  json_t *obj = parse_body(req, r, true);
  if (!obj) return;
  if (!prepare_body(t, obj, NULL, r, r->warnings)) {
    json_decref(obj);
    return;
  }
  const char *name = meta_str(obj, "name");
  json_t *old = name ? store_get(a->p->store, t->k->kind, t->ns, name) : NULL;
  if (old) {
    char rn[128];
    res_name(t->k, rn, sizeof rn);
    reply_error(r, 409, "AlreadyExists", "%s \"%s\" already exists", rn, name);
  } else {
    json_t *res = NULL;
    sw_err err;
    if (store_apply(a->p->store, &obj, 1, plane_now(a->p), &res, &err) != 0)
      reply_store_error(r, t->k, name ? name : "", &err);
    else
      reply_json(r, 201, res);
  }
  json_decref(old);
  json_decref(obj);
}

static void handle_replace(apiserver *a, const as_target *t, const http_request *req, apiserver_reply *r) {
  json_t *obj = parse_body(req, r, true);
  if (!obj) return;
  json_t *old = NULL;
  if (!prepare_body(t, obj, t->path.name, r, r->warnings)) goto out;
  old = get_or_404(a, t, r);
  if (!old) goto out;
  uint64_t want = meta_rv(obj);
  if (want && want != meta_rv(old)) {
    sw_err err;
    sw_err_set(&err, SW_ECONFLICT, "resourceVersion is %llu, the request has %llu",
               (unsigned long long)meta_rv(old), (unsigned long long)want);
    reply_store_error(r, t->k, t->path.name, &err);
    goto out;
  }
  json_t *res = NULL;
  sw_err err;
  if (store_apply(a->p->store, &obj, 1, plane_now(a->p), &res, &err) != 0)
    reply_store_error(r, t->k, t->path.name, &err);
  else
    reply_json(r, 200, res);
out:
  json_decref(old);
  json_decref(obj);
}

/* ---- patch ------------------------------------------------------------------ */

static bool merge_patch_type(const http_request *req, apiserver_reply *r) {
  const char *ct = req_header(req, "Content-Type");
  if (ct && strncasecmp(ct, "application/merge-patch+json", 28) == 0) return true;
  reply_error(r, 415, "UnsupportedMediaType",
              "the patch content type \"%s\" is not supported: use application/merge-patch+json (RFC 7386)",
              ct ? ct : "");
  return false;
}

/* RFC 7386 over plain JSON, for previews that are validated before the store
 * applies the same patch. */
static json_t *merge_preview(const json_t *target, const json_t *patch) {
  if (!json_is_object(patch)) return json_deep_copy(patch);
  json_t *out = json_is_object(target) ? json_deep_copy(target) : json_object();
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)patch, k, v) {
    if (json_is_null(v))
      json_object_del(out, k);
    else
      json_object_set_new(out, k, merge_preview(json_object_get(out, k), v));
  }
  return out;
}

static void handle_patch(apiserver *a, const as_target *t, const http_request *req, apiserver_reply *r) {
  if (!merge_patch_type(req, r)) return;
  json_t *patch = parse_body(req, r, true);
  if (!patch) return;
  json_t *old = get_or_404(a, t, r);
  if (old) {
    /* validate what the patch would produce, so a bad patch changes nothing */
    json_t *preview = merge_preview(old, patch);
    json_t *pm = ensure_meta(preview);
    json_object_set(preview, "kind", json_object_get(old, "kind"));
    json_object_set(preview, "apiVersion", json_object_get(old, "apiVersion"));
    json_object_set(pm, "name", json_object_get(json_object_get(old, "metadata"), "name"));
    json_object_del(preview, "status");
    if (!t->k->namespaced)
      json_object_del(pm, "namespace");
    else
      json_object_set_new(pm, "namespace", json_string(t->ns));
    sw_err err;
    sw_err_clear(&err);
    if (api_validate_object(preview, "patched object", r->warnings, &err) != 0) {
      reply_error(r, 422, "Invalid", "%s", err.msg);
    } else {
      if (!t->k->system) json_object_del(patch, "status");
      json_t *res = NULL;
      if (store_merge_patch(a->p->store, t->k->kind, t->ns, t->path.name, patch, &res, &err) != 0)
        reply_store_error(r, t->k, t->path.name, &err);
      else
        reply_json(r, 200, res);
    }
    json_decref(preview);
  }
  json_decref(old);
  json_decref(patch);
}

/* ---- status subresource ------------------------------------------------------ */

static void handle_status(apiserver *a, const as_target *t, const http_request *req, apiserver_reply *r) {
  const char *m = req->method;
  if (strcmp(m, "GET") == 0) {
    json_t *obj = get_or_404(a, t, r);
    if (obj) reply_json(r, 200, obj);
    return;
  }
  if (strcmp(m, "PUT") != 0 && strcmp(m, "PATCH") != 0) {
    reply_error(r, 405, "MethodNotAllowed", "%s is not allowed on the status subresource (GET, PUT, PATCH)",
                m);
    return;
  }
  if (strcmp(m, "PATCH") == 0 && !merge_patch_type(req, r)) return;
  json_t *body = parse_body(req, r, true);
  if (!body) return;
  json_t *old = get_or_404(a, t, r);
  if (old) {
    sw_err err;
    int rc;
    uint64_t want = meta_rv(body);
    if (want && want != meta_rv(old)) {
      sw_err_set(&err, SW_ECONFLICT, "resourceVersion is %llu, the request has %llu",
                 (unsigned long long)meta_rv(old), (unsigned long long)want);
      rc = SW_ECONFLICT;
    } else if (strcmp(m, "PUT") == 0) {
      rc = store_update_status(a->p->store, t->k->kind, t->ns, t->path.name, json_object_get(body, "status"),
                               &err);
    } else {
      json_t *p = json_object();
      json_t *st = json_object_get(body, "status");
      if (st) json_object_set(p, "status", st);
      rc = store_merge_patch(a->p->store, t->k->kind, t->ns, t->path.name, p, NULL, &err);
      json_decref(p);
    }
    if (rc)
      reply_store_error(r, t->k, t->path.name, &err);
    else
      reply_json(r, 200, store_get(a->p->store, t->k->kind, t->ns, t->path.name));
  }
  json_decref(old);
  json_decref(body);
}

/* ---- scale subresource (autoscaling/v1 Scale, as kube-apiserver's) ---------- */

static json_t *scale_of(const json_t *dep) {
  const json_t *meta = json_object_get(dep, "metadata");
  json_t *spec_r = json_object_get(json_object_get(dep, "spec"), "replicas");
  json_int_t want = json_is_integer(spec_r) ? json_integer_value(spec_r) : 1;
  json_int_t have = json_integer_value(json_object_get(json_object_get(dep, "status"), "replicas"));
  /* status.selector is the label selector in its string form */
  sw_buf sel;
  sw_buf_init(&sel);
  const char *k;
  json_t *v;
  json_object_foreach(
      json_object_get(json_object_get(json_object_get(dep, "spec"), "selector"), "matchLabels"), k, v)
      sw_buf_printf(&sel, "%s%s=%s", sel.len ? "," : "", k, json_string_value(v) ? json_string_value(v) : "");
  json_t *s = json_pack("{s:s,s:s,s:{s:O*,s:O*,s:O*,s:O*,s:O*},s:{s:I},s:{s:I,s:s}}", "apiVersion",
                        "autoscaling/v1", "kind", "Scale", "metadata", "name", json_object_get(meta, "name"),
                        "namespace", json_object_get(meta, "namespace"), "uid", json_object_get(meta, "uid"),
                        "resourceVersion", json_object_get(meta, "resourceVersion"), "creationTimestamp",
                        json_object_get(meta, "creationTimestamp"), "spec", "replicas", want, "status",
                        "replicas", have, "selector", sel.data ? sel.data : "");
  sw_buf_free(&sel);
  return s;
}

static void handle_scale(apiserver *a, const as_target *t, const http_request *req, apiserver_reply *r) {
  const char *m = req->method;
  if (strcmp(t->k->kind, "Deployment") != 0) {
    reply_error(r, 404, "NotFound", "the server could not find the requested resource (%s has no scale)",
                t->k->plural);
    return;
  }
  bool put = strcmp(m, "PUT") == 0, patch = strcmp(m, "PATCH") == 0;
  if (strcmp(m, "GET") != 0 && !put && !patch) {
    reply_error(r, 405, "MethodNotAllowed", "%s is not allowed on the scale subresource (GET, PUT, PATCH)",
                m);
    return;
  }
  if (patch && !merge_patch_type(req, r)) return;
  json_t *body = NULL;
  if (put || patch) {
    body = parse_body(req, r, true);
    if (!body) return;
  }
  json_t *dep = get_or_404(a, t, r);
  if (!dep) {
    json_decref(body);
    return;
  }
  json_t *cur = scale_of(dep);
  if (!body) {
    reply_json(r, 200, cur);
    json_decref(dep);
    return;
  }
  json_t *next = put ? json_incref(body) : merge_preview(cur, body);
  json_t *rep = json_object_get(json_object_get(next, "spec"), "replicas");
  sw_err err;
  uint64_t want = meta_rv(body);
  if (!json_is_integer(rep) || json_integer_value(rep) < 0 || json_integer_value(rep) > 1000000) {
    char *got = rep ? json_dumps(rep, JSON_ENCODE_ANY | JSON_COMPACT) : sw_xstrdup("nothing");
    reply_error(r, 422, "Invalid",
                "Scale.autoscaling \"%s\" is invalid: spec.replicas: expected an integer >= 0, got %s",
                t->path.name, got);
    free(got);
  } else if (want && want != meta_rv(dep)) {
    sw_err_set(&err, SW_ECONFLICT, "resourceVersion is %llu, the request has %llu",
               (unsigned long long)meta_rv(dep), (unsigned long long)want);
    reply_store_error(r, t->k, t->path.name, &err);
  } else {
    json_t *p = json_pack("{s:{s:O}}", "spec", "replicas", rep);
    json_t *res = NULL;
    if (store_merge_patch(a->p->store, t->k->kind, t->ns, t->path.name, p, &res, &err) != 0)
      reply_store_error(r, t->k, t->path.name, &err);
    else {
      reply_json(r, 200, scale_of(res));
      json_decref(res);
    }
    json_decref(p);
  }
  json_decref(next);
  json_decref(cur);
  json_decref(dep);
  json_decref(body);
}

/* ---- pod logs ------------------------------------------------------------------ */

/* The last `tail` lines of text (tail < 0: all). Returns a pointer into text. */
static const char *tail_lines(const char *text, size_t len, long tail, size_t *out_len) {
  if (tail < 0) {
    *out_len = len;
    return text;
  }
  size_t end = len, i = len;
  if (i > 0 && text[i - 1] == '\n') i--; /* the final newline ends the last line */
  long lines = 0;
  while (i > 0) {
    if (text[i - 1] == '\n' && ++lines == tail) break;
    i--;
  }
  if (tail == 0) i = len;
  *out_len = end - i;
  return text + i;
}

static void handle_log(apiserver *a, const as_target *t, const http_request *req, apiserver_reply *r) {
  if (strcmp(t->k->kind, "Pod") != 0) {
    reply_error(r, 404, "NotFound", "the server could not find the requested resource (%s has no log)",
                t->k->plural);
    return;
  }
  if (strcmp(req->method, "GET") != 0) {
    reply_error(r, 405, "MethodNotAllowed", "%s is not allowed on pods/log (GET)", req->method);
    return;
  }
  char buf[32];
  long tail = -1;
  bool follow = apiserver_query_param(req->query, "follow", buf, sizeof buf) &&
                (strcmp(buf, "true") == 0 || strcmp(buf, "1") == 0);
  if (apiserver_query_param(req->query, "tailLines", buf, sizeof buf)) {
    char *end;
    tail = strtol(buf, &end, 10);
    if (!*buf || *end || tail < 0) {
      reply_error(r, 400, "BadRequest", "tailLines: expected an integer >= 0, got \"%s\"", buf);
      return;
    }
  }
  json_t *pod = get_or_404(a, t, r);
  if (!pod) return;
  const char *path = json_string_value(json_object_get(
      json_object_get(json_object_get(pod, "metadata"), "annotations"), "spillway.io/log-path"));
  if (!path) {
    reply_error(r, 400, "BadRequest", "pod \"%s\" has no log (no spillway.io/log-path annotation)",
                t->path.name);
    json_decref(pod);
    return;
  }
  FILE *f = fopen(path, "rb");
  if (!f) {
    reply_error(r, 404, "NotFound", "the log of pod \"%s\" (%s) cannot be read: %s", t->path.name, path,
                strerror(errno));
    json_decref(pod);
    return;
  }
  /* read at most the last AS_LOG_MAX_BYTES: a long-running replica's log must
   * not stall the loop */
  struct stat stt;
  long off = 0;
  if (fstat(fileno(f), &stt) == 0 && stt.st_size > (off_t)AS_LOG_MAX_BYTES)
    off = (long)(stt.st_size - (off_t)AS_LOG_MAX_BYTES);
  fseek(f, off, SEEK_SET);
  sw_buf b;
  sw_buf_init(&b);
  char chunk[65536];
  size_t n;
  while (b.len < AS_LOG_MAX_BYTES && (n = fread(chunk, 1, sizeof chunk, f)) > 0) sw_buf_append(&b, chunk, n);
  fclose(f);
  size_t olen;
  const char *s = tail_lines(b.data ? b.data : "", b.len, tail, &olen);
  r->status = 200;
  r->content_type = "text/plain";
  r->body = sw_xstrndup(s, olen);
  r->len = olen;
  if (follow) {
    r->follow_path = sw_xstrdup(path);
    r->follow_offset = (int64_t)off + (int64_t)b.len;
  }
  sw_buf_free(&b);
  json_decref(pod);
}

/* ---- delete ---------------------------------------------------------------------- */

static void handle_delete(apiserver *a, const as_target *t, const http_request *req, apiserver_reply *r) {
  uint64_t expected = 0;
  if (req->body && req->body_len) { /* DeleteOptions with preconditions */
    json_t *opts = parse_body(req, r, true);
    if (!opts) return;
    const json_t *v = json_object_get(json_object_get(opts, "preconditions"), "resourceVersion");
    if (json_is_string(v)) expected = strtoull(json_string_value(v), NULL, 10);
    json_decref(opts);
  }
  json_t *old = get_or_404(a, t, r);
  if (!old) return;
  sw_err err;
  if (store_delete(a->p->store, t->k->kind, t->ns, t->path.name, expected, &err) != 0)
    reply_store_error(r, t->k, t->path.name, &err);
  else
    reply_json(r, 200,
               json_pack("{s:s,s:s,s:{},s:s,s:{s:s,s:s,s:s,s:O*}}", "kind", "Status", "apiVersion", "v1",
                         "metadata", "status", "Success", "details", "name", t->path.name, "group",
                         t->k->group ? t->k->group : "", "kind", t->k->plural, "uid",
                         json_object_get(json_object_get(old, "metadata"), "uid")));
  json_decref(old);
}

/* ---- batch apply ------------------------------------------------------------------ */

static void handle_batch_apply(apiserver *a, const http_request *req, apiserver_reply *r) {
  if (strcmp(req->method, "POST") != 0) {
    reply_error(r, 405, "MethodNotAllowed", "%s is not allowed on apply (POST a JSON array of objects)",
                req->method);
    return;
  }
  json_t *body = parse_body(req, r, false);
  if (!body) return;
  json_t *items = json_is_array(body) ? body : json_object_get(body, "items");
  if (!json_is_array(items)) {
    reply_error(r, 400, "BadRequest",
                "the request body must be a JSON array of objects (or a List with items)");
    json_decref(body);
    return;
  }
  char defns[256];
  if (!apiserver_query_param(req->query, "namespace", defns, sizeof defns) || !*defns)
    strcpy(defns, "default");
  for (const char *c = defns; *c; c++)
    if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e) {
      reply_error(r, 400, "BadRequest", "namespace: expected a Kubernetes name");
      json_decref(body);
      return;
    }
  size_t n = json_array_size(items);
  json_t **objs = sw_xcalloc(n ? n : 1, sizeof *objs);
  json_t **res = sw_xcalloc(n ? n : 1, sizeof *res);
  uint64_t *before = sw_xcalloc(n ? n : 1, sizeof *before);
  json_t *actions = json_array();
  bool ok = true;
  for (size_t i = 0; i < n && ok; i++) {
    json_t *o = json_array_get(items, i);
    if (!json_is_object(o)) {
      reply_error(r, 400, "BadRequest", "item %zu: expected a JSON object", i);
      ok = false;
      break;
    }
    objs[i] = json_deep_copy(o);
    const char *av = json_string_value(json_object_get(o, "apiVersion"));
    const char *kind = json_string_value(json_object_get(o, "kind"));
    const api_kind *k = av && kind ? api_kind_for(av, kind) : NULL;
    char src[96];
    snprintf(src, sizeof src, "item %zu", i);
    if (!k) {
      reply_error(r, 422, "Invalid", "%s: unknown kind %s%s%s (apiVersion %s)", src, kind ? "\"" : "",
                  kind ? kind : "(missing kind)", kind ? "\"" : "", av ? av : "(missing)");
      ok = false;
      break;
    }
    json_t *meta = ensure_meta(objs[i]);
    if (k->namespaced) {
      const char *ns = meta_str(objs[i], "namespace");
      if (!ns || !*ns) json_object_set_new(meta, "namespace", json_string(defns));
    } else
      json_object_del(meta, "namespace");
    drop_user_status(k, objs[i]);
    sw_err err;
    sw_err_clear(&err);
    if (api_validate_object(objs[i], src, r->warnings, &err) != 0) {
      reply_error(r, 422, "Invalid", "%s", err.msg);
      ok = false;
      break;
    }
    if (!k->namespaced) json_object_set_new(meta, "namespace", json_string(""));
    json_t *old = store_get(a->p->store, k->kind, meta_str(objs[i], "namespace"), meta_str(objs[i], "name"));
    before[i] = old ? meta_rv(old) : 0;
    json_decref(old);
  }
  if (ok) {
    sw_err err;
    double t0 = sw_mono_now();
    int src = store_apply(a->p->store, objs, n, plane_now(a->p), res, &err);
    SW_DEBUG(AS_LOG, "apply: %zu objects stored in %.1f ms", n, (sw_mono_now() - t0) * 1e3);
    if (src != 0) {
      reply_error(r, err.code == SW_EINVAL ? 422 : 500, err.code == SW_EINVAL ? "Invalid" : "InternalError",
                  "%s", err.msg);
    } else {
      json_t *out = json_array();
      json_t *seen = json_object(); /* uid -> rv, for a name applied twice in one batch */
      for (size_t i = 0; i < n; i++) {
        uint64_t rv = meta_rv(res[i]);
        const char *uid = meta_str(res[i], "uid");
        json_t *prev = uid ? json_object_get(seen, uid) : NULL;
        if (prev) before[i] = (uint64_t)json_integer_value(prev);
        if (uid) json_object_set_new(seen, uid, json_integer((json_int_t)rv));
        const char *act = before[i] == 0 ? "created" : before[i] == rv ? "unchanged" : "configured";
        json_array_append_new(actions, json_string(act));
        json_array_append(out, res[i]);
      }
      json_decref(seen);
      char rvs[32];
      snprintf(rvs, sizeof rvs, "%llu", (unsigned long long)store_revision(a->p->store));
      reply_json(r, 200,
                 json_pack("{s:s,s:s,s:{s:s},s:o,s:O,s:O}", "apiVersion", "v1", "kind", "List", "metadata",
                           "resourceVersion", rvs, "items", out, "actions", actions, "warnings",
                           r->warnings));
    }
  }
  for (size_t i = 0; i < n; i++) json_decref(objs[i]), json_decref(res[i]);
  free(objs);
  free(res);
  free(before);
  json_decref(actions);
  json_decref(body);
}

/* ---- routing ------------------------------------------------------------------------ */

/* Resolves the path to a kind; answers 404 on failure. t->k NULL with true =
 * discovery. */
static bool resolve(const http_request *req, as_target *t, apiserver_reply *r) {
  memset(t, 0, sizeof *t);
  if (apiserver_parse_path(req->path, &t->path) != 0) {
    reply_error(r, 404, "NotFound", "the server could not find the requested resource (%s)", req->path);
    return false;
  }
  if (!*t->path.plural) return true;
  const api_kind *k = api_kind_lookup(t->path.plural);
  if (!k || strcasecmp(k->plural, t->path.plural) != 0 || !group_matches(k, t->path.group)) {
    reply_error(r, 404, "NotFound", "the server doesn't have a resource type \"%s\" in %s%s%s",
                t->path.plural, *t->path.group ? t->path.group : "", *t->path.group ? "/" : "",
                t->path.version);
    return false;
  }
  t->k = k;
  if (!k->namespaced && t->path.has_ns) {
    reply_error(r, 404, "NotFound", "%s are cluster-scoped: use the path without /namespaces/%s", k->plural,
                t->path.ns);
    return false;
  }
  if (k->namespaced && !t->path.has_ns && *t->path.name) {
    reply_error(r, 404, "NotFound", "%s are namespaced: use /namespaces/<namespace>/%s/%s", k->plural,
                k->plural, t->path.name);
    return false;
  }
  if (*t->path.sub && strcmp(t->path.sub, "status") && strcmp(t->path.sub, "scale") &&
      strcmp(t->path.sub, "log")) {
    reply_error(r, 404, "NotFound",
                "the server could not find the requested resource (no subresource \"%s\")", t->path.sub);
    return false;
  }
  t->ns = k->namespaced ? (t->path.has_ns ? t->path.ns : NULL) : "";
  return true;
}

static bool is_watch(const http_request *req) {
  char v[16];
  return apiserver_query_param(req->query, "watch", v, sizeof v) &&
         (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static void handle(apiserver *a, const http_request *req, apiserver_reply *r, as_target *t) {
  memset(r, 0, sizeof *r);
  r->warnings = json_array();
  if (!apiserver_auth_ok(req_header(req, "Authorization"), a->token)) {
    reply_error(r, 401, "Unauthorized",
                "Unauthorized: send \"Authorization: Bearer <token>\" (the token is in the "
                "state directory's token file)");
    return;
  }
  const char *path = req->path ? req->path : "";
  const char *m = req->method ? req->method : "";
  if (strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0 || strcmp(path, "/livez") == 0) {
    r->status = 200;
    r->content_type = "text/plain";
    r->body = sw_xstrdup("ok");
    r->len = 2;
    return;
  }
  if (strcmp(path, "/version") == 0) {
    reply_json(r, 200, json_pack("{s:s,s:s}", "gitVersion", "v" SPILLWAY_VERSION, "platform", "spillway"));
    return;
  }
  if (strcmp(path, "/api") == 0) {
    reply_json(r, 200, json_pack("{s:s,s:[s]}", "kind", "APIVersions", "versions", "v1"));
    return;
  }
  if (strcmp(path, "/apis") == 0) {
    handle_group_list(r);
    return;
  }
  if (strcmp(path, "/apis/spillway.io/v1alpha1/apply") == 0) {
    handle_batch_apply(a, req, r);
    return;
  }
  if (!resolve(req, t, r)) return;
  if (!t->k) {
    if (strcmp(m, "GET") != 0)
      reply_error(r, 405, "MethodNotAllowed", "%s is not allowed on discovery", m);
    else
      handle_discovery(a, t, r);
    return;
  }
  bool item = *t->path.name != 0;
  if (strcmp(t->path.sub, "status") == 0) return handle_status(a, t, req, r);
  if (strcmp(t->path.sub, "scale") == 0) return handle_scale(a, t, req, r);
  if (strcmp(t->path.sub, "log") == 0) return handle_log(a, t, req, r);
  if (strcmp(m, "GET") == 0) {
    if (is_watch(req)) {
      json_t *l, *f;
      if (!parse_selectors(req, r, &l, &f)) return;
      json_decref(l), json_decref(f);
      r->watch = true;
      r->status = 0;
      return;
    }
    if (!item) return handle_list(a, t, req, r);
    json_t *obj = get_or_404(a, t, r);
    if (obj) reply_json(r, 200, obj);
    return;
  }
  if (!item) {
    if (strcmp(m, "POST") == 0) {
      if (!t->path.has_ns && t->k->namespaced) {
        reply_error(r, 404, "NotFound", "create %s under /namespaces/<namespace>/%s", t->k->plural,
                    t->k->plural);
        return;
      }
      return handle_create(a, t, req, r);
    }
    reply_error(r, 405, "MethodNotAllowed", "%s is not allowed on a collection (GET, POST)", m);
    return;
  }
  if (strcmp(m, "PUT") == 0) return handle_replace(a, t, req, r);
  if (strcmp(m, "PATCH") == 0) return handle_patch(a, t, req, r);
  if (strcmp(m, "DELETE") == 0) return handle_delete(a, t, req, r);
  reply_error(r, 405, "MethodNotAllowed", "%s is not allowed on an object (GET, PUT, PATCH, DELETE)", m);
}

void apiserver_handle(apiserver *a, const http_request *req, apiserver_reply *reply) {
  as_target t;
  handle(a, req, reply, &t);
}

/* ---- watch streams ---------------------------------------------------------------- */

struct as_watch {
  apiserver *a;
  http_response *res;
  int watch_id;
  char *ns;   /* NULL = every namespace */
  char *name; /* NULL = every object */
  json_t *labels, *fields;
  uv_timer_t *timer; /* timeoutSeconds, when asked */
  as_watch *prev, *next;
};

static void watch_send(as_watch *w, store_event_type type, const json_t *obj) {
  if (w->ns && !sw_streq(meta_str(obj, "namespace"), w->ns)) return;
  if (w->name && !sw_streq(meta_str(obj, "name"), w->name)) return;
  if (!selected(obj, w->labels, w->fields)) return;
  static const char *names[] = {"ADDED", "MODIFIED", "DELETED"};
  json_t *ev = json_pack("{s:s,s:O}", "type", names[type], "object", (json_t *)obj);
  char *s = json_dumps(ev, JSON_COMPACT | JSON_REAL_PRECISION(api_json_real_precision(obj)));
  json_decref(ev);
  size_t n = strlen(s);
  s = sw_xrealloc(s, n + 2);
  s[n] = '\n';
  http_stream_write(w->res, s, n + 1);
  free(s);
}

/* A watcher that does not read (16 MiB of events queued for it) is closed,
 * as kube-apiserver's cacher closes an unresponsive watcher: the client
 * relists and watches again, and the server never buffers without bound. */
#define AS_WATCH_MAX_QUEUED (16u << 20)

static void watch_free(as_watch *w);

static void watch_on_event(void *ud, store_event_type type, const json_t *obj) {
  as_watch *w = ud;
  watch_send(w, type, obj);
  if (http_stream_queued(w->res) > AS_WATCH_MAX_QUEUED) {
    SW_WARN(AS_LOG, "closing a watch whose client does not read (%u MiB queued)", AS_WATCH_MAX_QUEUED >> 20);
    http_stream_end(w->res);
    watch_free(w); /* store_unwatch during delivery only marks it */
  }
}

static void timer_free(uv_handle_t *h) { free(h); }

/* Unlinks and frees a stream; the reply must already be finished or gone. */
static void watch_free(as_watch *w) {
  store_unwatch(w->a->p->store, w->watch_id);
  if (w->prev)
    w->prev->next = w->next;
  else
    w->a->watches = w->next;
  if (w->next) w->next->prev = w->prev;
  if (w->timer) uv_close((uv_handle_t *)w->timer, timer_free);
  free(w->ns);
  free(w->name);
  json_decref(w->labels);
  json_decref(w->fields);
  free(w);
}

static void watch_client_gone(void *ud) { watch_free(ud); }

static void watch_timeout(uv_timer_t *t) {
  as_watch *w = t->data;
  http_stream_end(w->res);
  watch_free(w);
}

static void watch_start(apiserver *a, const as_target *t, const http_request *req, http_response *res) {
  as_watch *w = sw_xcalloc(1, sizeof *w);
  w->a = a;
  w->res = res;
  w->ns = t->ns ? sw_xstrdup(t->ns) : NULL;
  w->name = *t->path.name ? sw_xstrdup(t->path.name) : NULL;
  apiserver_reply dummy = {0};
  parse_selectors(req, &dummy, &w->labels, &w->fields); /* already checked by handle() */
  apiserver_reply_free(&dummy);
  w->next = a->watches;
  if (a->watches) a->watches->prev = w;
  a->watches = w;
  http_stream_begin(res, 200, "application/json");
  http_response_on_close(res, watch_client_gone, w);
  /* Without a resourceVersion a watch starts with the current state as ADDED
   * events, as a Kubernetes watch does; with one, only objects changed since
   * (changes are not kept as history, so they also arrive as ADDED). */
  char buf[32];
  uint64_t since = 0;
  if (apiserver_query_param(req->query, "resourceVersion", buf, sizeof buf)) since = strtoull(buf, NULL, 10);
  json_t *all = store_list(a->p->store, t->k->kind, w->ns);
  size_t i;
  json_t *obj;
  json_array_foreach(all, i, obj) if (meta_rv(obj) > since) watch_send(w, STORE_ADDED, obj);
  json_decref(all);
  w->watch_id = store_watch(a->p->store, t->k->kind, watch_on_event, w);
  if (apiserver_query_param(req->query, "timeoutSeconds", buf, sizeof buf)) {
    double secs = strtod(buf, NULL);
    if (secs > 0) {
      w->timer = sw_xcalloc(1, sizeof *w->timer);
      uv_timer_init(a->p->loop, w->timer);
      w->timer->data = w;
      uv_timer_start(w->timer, watch_timeout, (uint64_t)(secs * 1000), 0);
    }
  }
}

/* ---- log follow streams (`logs -f`) ----------------------------------------------- */

/* kubectl logs -f: what the log had, then what the replica writes, until the
 * client goes or the pod does. The file is polled (250 ms): a replica's log
 * may be rewritten in place on restart, which a size check catches and an
 * inotify watch on the path would not. Each tick reads at most 1 MiB, and
 * none while 1 MiB is still queued for the client, so a replica that logs
 * faster than the client reads neither stalls the loop nor fills memory. */
typedef struct as_follow {
  apiserver *a;
  http_response *res;
  char *path, *ns, *name;
  int64_t off;
  uv_timer_t *timer;
  struct as_follow *prev, *next;
} as_follow;

#define AS_FOLLOW_TICK_MS 250
#define AS_FOLLOW_MAX_READ (1u << 20)

static void follow_free(as_follow *f) {
  if (f->prev)
    f->prev->next = f->next;
  else
    f->a->follows = f->next;
  if (f->next) f->next->prev = f->prev;
  uv_close((uv_handle_t *)f->timer, timer_free);
  free(f->path);
  free(f->ns);
  free(f->name);
  free(f);
}

static void follow_client_gone(void *ud) { follow_free(ud); }

/* New bytes of the log since the last tick; false when the file is gone. */
static bool follow_read(as_follow *f) {
  FILE *file = fopen(f->path, "rb");
  if (!file) return false;
  struct stat st;
  if (fstat(fileno(file), &st) == 0 && st.st_size < (off_t)f->off) f->off = 0; /* rewritten */
  if (fseeko(file, (off_t)f->off, SEEK_SET) == 0) {
    char *chunk = sw_xmalloc(65536);
    size_t n, total = 0;
    while (total < AS_FOLLOW_MAX_READ && (n = fread(chunk, 1, 65536, file)) > 0) {
      http_stream_write(f->res, chunk, n);
      total += n;
    }
    f->off += (int64_t)total;
    free(chunk);
  }
  fclose(file);
  return true;
}

static void follow_tick(uv_timer_t *t) {
  as_follow *f = t->data;
  /* A client that stops reading: the file keeps what it has not taken. */
  if (http_stream_queued(f->res) >= AS_FOLLOW_MAX_READ) return;
  bool have_file = follow_read(f);
  json_t *pod = store_get(f->a->p->store, "Pod", f->ns, f->name);
  const char *phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
  bool ended = !pod || sw_streq(phase, "Succeeded") || sw_streq(phase, "Failed");
  json_decref(pod);
  if (ended || !have_file) {
    http_stream_end(f->res);
    follow_free(f);
  }
}

static void follow_start(apiserver *a, const as_target *t, const apiserver_reply *r, http_response *res) {
  as_follow *f = sw_xcalloc(1, sizeof *f);
  f->a = a;
  f->res = res;
  f->path = sw_xstrdup(r->follow_path);
  f->ns = sw_xstrdup(t->ns ? t->ns : "default");
  f->name = sw_xstrdup(t->path.name);
  f->off = r->follow_offset;
  f->next = a->follows;
  if (a->follows) a->follows->prev = f;
  a->follows = f;
  http_stream_begin(res, 200, "text/plain");
  http_response_on_close(res, follow_client_gone, f);
  if (r->len) http_stream_write(res, r->body, r->len);
  f->timer = sw_xcalloc(1, sizeof *f->timer);
  uv_timer_init(a->p->loop, f->timer);
  f->timer->data = f;
  uv_timer_start(f->timer, follow_tick, AS_FOLLOW_TICK_MS, AS_FOLLOW_TICK_MS);
}

/* ---- HTTP glue ------------------------------------------------------------------------ */

static void on_request(void *ud, const http_request *req, http_response *res) {
  apiserver *a = ud;
  /* plugged-in routes, after authentication; the longest prefix wins */
  const as_route *best = NULL;
  for (size_t i = 0; i < a->routes.len; i++) {
    const as_route *rt = &a->routes.items[i];
    if (sw_has_prefix(req->path, rt->prefix) && (!best || strlen(rt->prefix) > strlen(best->prefix)))
      best = rt;
  }
  if (best && apiserver_auth_ok(req_header(req, "Authorization"), a->token)) {
    best->fn(best->ud, req, res);
    return;
  }
  apiserver_reply r;
  as_target t;
  handle(a, req, &r, &t);
  /* the control plane's clock (time-scaled under --time-scale), so a
   * client's AGE columns agree with the creationTimestamps it shows */
  char now[32];
  snprintf(now, sizeof now, "%.3f", plane_now(a->p));
  http_response_header(res, "X-Spillway-Time", now);
  if (r.watch) {
    watch_start(a, &t, req, res);
  } else if (r.follow_path && r.status == 200) {
    follow_start(a, &t, &r, res);
  } else {
    size_t i;
    json_t *w;
    json_array_foreach(r.warnings, i, w) {
      /* RFC 7234 Warning header, as kube-apiserver sends validation warnings */
      char *h = sw_xasprintf("299 - \"%s\"", json_string_value(w));
      for (char *c = h; *c; c++)
        if (*c == '\r' || *c == '\n') *c = ' ';
      http_response_header(res, "Warning", h);
      free(h);
    }
    if (r.status == 401) http_response_header(res, "WWW-Authenticate", "Bearer");
    http_respond(res, r.status, r.content_type, r.body, r.len);
  }
  SW_DEBUG(AS_LOG, "%s %s -> %d", req->method, req->url, r.watch ? 200 : r.status);
  apiserver_reply_free(&r);
}

apiserver *apiserver_new(plane *p, const char *token) {
  apiserver *a = sw_xcalloc(1, sizeof *a);
  a->p = p;
  a->token = sw_xstrdup(token ? token : "");
  return a;
}

void apiserver_free(apiserver *a) {
  if (!a) return;
  while (a->watches) {
    as_watch *w = a->watches;
    http_stream_end(w->res);
    watch_free(w);
  }
  while (a->follows) {
    as_follow *f = a->follows;
    http_stream_end(f->res);
    follow_free(f);
  }
  for (size_t i = 0; i < a->routes.len; i++) free(a->routes.items[i].prefix);
  sw_vec_free(&a->routes);
  if (a->http) http_server_close(a->http);
  free(a->token);
  free(a);
}

/* The HTTP layer's own rejections (400 malformed request, 413 body too
 * large, 431 headers too large) as Kubernetes Status objects too. */
static const char *status_error_format(void *ud, int status, const char *message, sw_buf *body) {
  (void)ud;
  const char *reason = status == 413 ? "RequestEntityTooLarge" : "BadRequest";
  json_t *st = apiserver_status(status, reason, message);
  char *s = st ? json_dumps(st, JSON_COMPACT) : NULL;
  json_decref(st);
  if (!s) return "text/plain";
  sw_buf_puts(body, s);
  sw_buf_puts(body, "\n");
  free(s);
  return "application/json";
}

int apiserver_start(plane *p, const char *host, int port, const char *token, apiserver **out, sw_err *err) {
  *out = NULL;
  if (!token || !*token) return sw_err_set(err, SW_EINVAL, "apiserver: a token is required");
  apiserver *a = apiserver_new(p, token);
  http_server_opts opts = {
      .max_header_bytes = 64 << 10, .max_body_bytes = 64 << 20, .idle_timeout = 300, .header_timeout = 10};
  int rc = http_server_listen(p->loop, host ? host : "127.0.0.1", port, &opts, on_request, a, &a->http, err);
  if (rc) {
    sw_err_prefix(err, "apiserver: listening on %s:%d", host ? host : "127.0.0.1", port);
    apiserver_free(a);
    return rc;
  }
  http_server_set_error_format(a->http, status_error_format, a);
  *out = a;
  return 0;
}

int apiserver_port(const apiserver *a) { return a->http ? http_server_port(a->http) : 0; }

void apiserver_stop(apiserver *a) { apiserver_free(a); }

void apiserver_add_route(apiserver *a, const char *path_prefix, http_handler handler, void *ud) {
  as_route rt = {sw_xstrdup(path_prefix), handler, ud};
  sw_vec_push(&a->routes, rt);
}
