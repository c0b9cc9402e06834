/* Unit tests for src/apiserver: the pure helpers (paths, query parameters,
 * label and field selectors, auth) as tables, and apiserver_handle over an
 * in-memory store: routes, status codes, Status bodies, subresources, batch
 * apply, and that failed requests change nothing. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apiserver/apiserver.h"

/* ---- pure helpers ---- */

Test(apiserver_pure, parse_path) {
  struct {
    const char *path;
    int rc;
    const char *group, *version, *ns, *plural, *name, *sub;
  } cases[] = {
      {"/api/v1/namespaces/default/pods", 0, "", "v1", "default", "pods", "", ""},
      {"/api/v1/namespaces/default/pods/p1/log", 0, "", "v1", "default", "pods", "p1", "log"},
      {"/api/v1/pods", 0, "", "v1", "", "pods", "", ""},
      {"/api/v1/nodes/n1", 0, "", "v1", "", "nodes", "n1", ""},
      {"/api/v1", 0, "", "v1", "", "", "", ""},
      {"/apis/apps/v1/namespaces/test/deployments/qwen3/scale", 0, "apps", "v1", "test", "deployments",
       "qwen3", "scale"},
      {"/apis/apps/v1/deployments", 0, "apps", "v1", "", "deployments", "", ""},
      {"/apis/spillway.io/v1alpha1/clusters/c1/status", 0, "spillway.io", "v1alpha1", "", "clusters", "c1",
       "status"},
      {"/apis/apps/v1", 0, "apps", "v1", "", "", "", ""},
      {"/api/v1/namespaces", 0, "", "v1", "", "namespaces", "", ""},
      {"/api/v1/namespaces/default", 0, "", "v1", "", "namespaces", "default", ""},
      {"/apis/apps", -1, 0, 0, 0, 0, 0, 0},
      {"/api", -1, 0, 0, 0, 0, 0, 0},
      {"/", -1, 0, 0, 0, 0, 0, 0},
      {"", -1, 0, 0, 0, 0, 0, 0},
      {"api/v1/pods", -1, 0, 0, 0, 0, 0, 0},
      {"/api/v1/pods/", -1, 0, 0, 0, 0, 0, 0},
      {"/api//v1/pods", -1, 0, 0, 0, 0, 0, 0},
      {"/api/v1/namespaces/default/pods/p1/log/extra", -1, 0, 0, 0, 0, 0, 0},
      {"/api/v1/namespaces/default/pods/..", -1, 0, 0, 0, 0, 0, 0},
      {"/healthz", -1, 0, 0, 0, 0, 0, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    apiserver_path p;
    int rc = apiserver_parse_path(cases[i].path, &p);
    cr_assert_eq(rc, cases[i].rc, "%s", cases[i].path);
    if (rc) continue;
    cr_assert_str_eq(p.group, cases[i].group, "%s", cases[i].path);
    cr_assert_str_eq(p.version, cases[i].version, "%s", cases[i].path);
    cr_assert_str_eq(p.ns, cases[i].ns, "%s", cases[i].path);
    cr_assert_eq(p.has_ns, *cases[i].ns != 0, "%s", cases[i].path);
    cr_assert_str_eq(p.plural, cases[i].plural, "%s", cases[i].path);
    cr_assert_str_eq(p.name, cases[i].name, "%s", cases[i].path);
    cr_assert_str_eq(p.sub, cases[i].sub, "%s", cases[i].path);
  }
  /* a segment longer than its field is rejected, not truncated */
  char longp[600] = "/api/v1/namespaces/default/pods/";
  memset(longp + strlen(longp), 'a', 300);
  apiserver_path p;
  cr_assert_eq(apiserver_parse_path(longp, &p), -1);
}

Test(apiserver_pure, query_param) {
  struct {
    const char *q, *name;
    bool found;
    const char *want;
  } cases[] = {
      {"watch=true", "watch", true, "true"},
      {"a=1&watch=1&b=2", "watch", true, "1"},
      {"labelSelector=app%3Dqwen%2Ctier+in+(a)", "labelSelector", true, "app=qwen,tier in (a)"},
      {"watch", "watch", true, ""},
      {"watcher=1", "watch", false, ""},
      {"", "watch", false, ""},
      {"x=%zz%4", "x", true, "%zz%4"},
      {"x=%41%42", "x", true, "AB"},
      {"&&x=1&&", "x", true, "1"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[64];
    bool f = apiserver_query_param(cases[i].q, cases[i].name, out, sizeof out);
    cr_assert_eq(f, cases[i].found, "%s", cases[i].q);
    cr_assert_str_eq(out, cases[i].want, "%s", cases[i].q);
  }
  char small[4];
  cr_assert(apiserver_query_param("x=abcdef", "x", small, sizeof small));
  cr_assert_str_eq(small, "abc");
  cr_assert_not(apiserver_query_param(NULL, "x", small, sizeof small));
}

Test(apiserver_pure, label_selectors) {
  json_t *labels = json_pack("{s:s,s:s,s:s}", "app", "qwen", "tier", "a", "gen", "5");
  struct {
    const char *sel;
    int want; /* 1 match, 0 no match, -1 syntax error */
  } cases[] = {
      {"", 1},
      {"app=qwen", 1},
      {"app==qwen", 1},
      {"app=other", 0},
      {"app!=other", 1},
      {"missing!=x", 1},
      {"app", 1},
      {"missing", 0},
      {"!missing", 1},
      {"!app", 0},
      {"app=qwen,tier=a", 1},
      {"app=qwen,tier=b", 0},
      {"tier in (a,b)", 1},
      {"tier in (b, c)", 0},
      {"tier notin (b,c)", 1},
      {"missing notin (b)", 1},
      {"missing in (b)", 0},
      {" app = qwen , tier ", 1},
      {"gen>4", 1},
      {"gen<5", 0},
      {"app>4", 0},
      {"app=", 0},
      {"app in ()", 0},
      {"=x", -1},
      {"app=qwen,", -1},
      {"app in (a", -1},
      {"app in a", -1},
      {"app ~ x", -1},
      {"gen>x", -1},
      {"app=q w", -1},
      {"!", -1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sw_err err;
    json_t *sel = apiserver_selector_parse(cases[i].sel, &err);
    if (cases[i].want < 0) {
      cr_assert_null(sel, "\"%s\" should not parse", cases[i].sel);
      cr_assert(strstr(err.msg, "label selector"), "%s", err.msg);
      continue;
    }
    cr_assert_not_null(sel, "\"%s\": %s", cases[i].sel, err.msg);
    cr_assert_eq(apiserver_selector_match(sel, labels), cases[i].want == 1, "\"%s\"", cases[i].sel);
    json_decref(sel);
  }
  sw_err err;
  json_t *sel = apiserver_selector_parse("app", &err);
  cr_assert_not(apiserver_selector_match(sel, NULL), "no labels");
  json_decref(sel);
  json_decref(labels);
}

Test(apiserver_pure, field_selectors) {
  json_t *ev = json_pack("{s:{s:s,s:s},s:{s:s,s:s},s:i,s:b}", "metadata", "name", "e1", "namespace", "test",
                         "involvedObject", "kind", "Deployment", "name", "qwen3", "count", 3, "flag", 1);
  struct {
    const char *sel;
    int want;
  } cases[] = {
      {"", 1},
      {"metadata.name=e1", 1},
      {"metadata.name==e1", 1},
      {"metadata.name!=e1", 0},
      {"involvedObject.kind=Deployment,involvedObject.name=qwen3", 1},
      {"involvedObject.kind=Deployment,involvedObject.name=other", 0},
      {"count=3", 1},
      {"flag=true", 1},
      {"missing.field=", 1},
      {"missing.field!=x", 1},
      {"metadata=x", 0},
      {"noop", -1},
      {"=x", -1},
      {"a=b,", -1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sw_err err;
    json_t *sel = apiserver_field_selector_parse(cases[i].sel, &err);
    if (cases[i].want < 0) {
      cr_assert_null(sel, "\"%s\"", cases[i].sel);
      continue;
    }
    cr_assert_not_null(sel, "\"%s\": %s", cases[i].sel, err.msg);
    cr_assert_eq(apiserver_field_selector_match(sel, ev), cases[i].want == 1, "\"%s\"", cases[i].sel);
    json_decref(sel);
  }
  json_decref(ev);
}

Test(apiserver_pure, auth) {
  cr_assert(apiserver_auth_ok("Bearer s3cret", "s3cret"));
  cr_assert(apiserver_auth_ok("bearer s3cret", "s3cret"));
  cr_assert_not(apiserver_auth_ok("Bearer s3cre", "s3cret"));
  cr_assert_not(apiserver_auth_ok("Bearer s3crett", "s3cret"));
  cr_assert_not(apiserver_auth_ok("Basic s3cret", "s3cret"));
  cr_assert_not(apiserver_auth_ok("s3cret", "s3cret"));
  cr_assert_not(apiserver_auth_ok(NULL, "s3cret"));
  cr_assert_not(apiserver_auth_ok("Bearer ", ""));
}

/* ---- apiserver_handle over an in-memory store ---- */

static uv_loop_t loop;
static store_t *st;
static plane pl;
static apiserver *as;
static const char *TOKEN = "t0k3n";

static void setup(void) {
  uv_loop_init(&loop);
  sw_err err;
  cr_assert_eq(store_open(&st, ":memory:", &err), 0);
  plane_init(&pl, &loop, st, 1);
  as = apiserver_new(&pl, TOKEN);
}

static void teardown(void) {
  apiserver_free(as);
  plane_fini(&pl);
  uv_run(&loop, UV_RUN_NOWAIT);
  store_close(st);
  uv_loop_close(&loop);
}

typedef struct {
  int status;
  json_t *body; /* parsed JSON, or NULL for text */
  char *text;
  json_t *warnings;
  bool watch;
} resp;

static resp call_full(const char *method, const char *url, const char *body, const char *ctype,
                      const char *auth) {
  char path[1024], query[1024] = "";
  const char *q = strchr(url, '?');
  snprintf(path, sizeof path, "%.*s", (int)(q ? q - url : (long)strlen(url)), url);
  if (q) snprintf(query, sizeof query, "%s", q + 1);
  http_header hs[2];
  size_t nh = 0;
  char authv[128];
  if (auth) {
    snprintf(authv, sizeof authv, "Bearer %s", auth);
    hs[nh++] = (http_header){"Authorization", authv};
  }
  if (ctype) hs[nh++] = (http_header){"Content-Type", ctype};
  http_request req = {.method = method,
                      .url = url,
                      .path = path,
                      .query = query,
                      .headers = hs,
                      .n_headers = nh,
                      .body = body ? body : "",
                      .body_len = body ? strlen(body) : 0,
                      .remote_addr = "127.0.0.1:1"};
  apiserver_reply r;
  apiserver_handle(as, &req, &r);
  resp out = {r.status, NULL, NULL, json_incref(r.warnings), r.watch};
  if (r.body) {
    out.text = sw_xstrdup(r.body);
    if (r.content_type && strcmp(r.content_type, "application/json") == 0)
      out.body = json_loads(r.body, 0, NULL);
  }
  apiserver_reply_free(&r);
  return out;
}

static resp call(const char *method, const char *url, const char *body) {
  const char *ct = method[0] == 'P' && method[1] == 'A' ? "application/merge-patch+json" : "application/json";
  return call_full(method, url, body, ct, TOKEN);
}

static void resp_free(resp *r) {
  json_decref(r->body);
  json_decref(r->warnings);
  free(r->text);
}

static const char *jstr(const json_t *o, const char *path) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  const json_t *v = o;
  for (char *tok = strtok(buf, "."); tok && v; tok = strtok(NULL, ".")) v = json_object_get(v, tok);
  return json_string_value(v);
}
static json_int_t jint(const json_t *o, const char *path) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  const json_t *v = o;
  for (char *tok = strtok(buf, "."); tok && v; tok = strtok(NULL, ".")) v = json_object_get(v, tok);
  return json_integer_value(v);
}

static void assert_status(resp *r, int code, const char *reason, const char *msg_part) {
  cr_assert_eq(r->status, code, "status %d, want %d: %s", r->status, code, r->text ? r->text : "");
  cr_assert_not_null(r->body, "%s", r->text ? r->text : "");
  cr_assert_str_eq(jstr(r->body, "kind"), "Status");
  cr_assert_str_eq(jstr(r->body, "apiVersion"), "v1");
  cr_assert_str_eq(jstr(r->body, "status"), "Failure");
  cr_assert_str_eq(jstr(r->body, "reason"), reason);
  cr_assert_eq(jint(r->body, "code"), code);
  if (msg_part)
    cr_assert(strstr(jstr(r->body, "message"), msg_part), "message: %s", jstr(r->body, "message"));
}

static const char *DEPLOY =
    "{\"apiVersion\":\"apps/"
    "v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"qwen3\",\"labels\":{\"app\":\"qwen3\"}},"
    "\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":\"qwen3\"}},\"template\":{\"metadata\":"
    "{\"labels\":{\"app\":\"qwen3\"}},\"spec\":{\"containers\":[{\"name\":\"vllm\",\"image\":\"vllm/"
    "vllm-openai\"}]}}}}";

static char *deploy_named(const char *name, int replicas) {
  json_t *d = json_loads(DEPLOY, 0, NULL);
  json_object_set_new(json_object_get(d, "metadata"), "name", json_string(name));
  json_object_set_new(json_object_get(d, "spec"), "replicas", json_integer(replicas));
  char *s = json_dumps(d, JSON_COMPACT);
  json_decref(d);
  return s;
}

static uint64_t rev(void) { return store_revision(st); }

TestSuite(apiserver, .init = setup, .fini = teardown);

Test(apiserver, auth_required) {
  resp r = call_full("GET", "/apis/apps/v1/deployments", NULL, NULL, NULL);
  assert_status(&r, 401, "Unauthorized", "Bearer");
  resp_free(&r);
  r = call_full("GET", "/apis/apps/v1/deployments", NULL, NULL, "wrong");
  assert_status(&r, 401, "Unauthorized", NULL);
  resp_free(&r);
  r = call_full("GET", "/healthz", NULL, NULL, NULL);
  cr_assert_eq(r.status, 401);
  resp_free(&r);
  r = call_full("GET", "/healthz", NULL, NULL, TOKEN);
  cr_assert_eq(r.status, 200);
  cr_assert_str_eq(r.text, "ok");
  resp_free(&r);
}

Test(apiserver, create_get_list_replace_delete) {
  resp r = call("POST", "/apis/apps/v1/namespaces/test/deployments", DEPLOY);
  cr_assert_eq(r.status, 201, "%s", r.text);
  cr_assert_str_eq(jstr(r.body, "metadata.namespace"), "test");
  cr_assert_str_eq(jstr(r.body, "metadata.resourceVersion"), "1");
  cr_assert_not_null(jstr(r.body, "metadata.uid"));
  resp_free(&r);

  r = call("POST", "/apis/apps/v1/namespaces/test/deployments", DEPLOY);
  assert_status(&r, 409, "AlreadyExists", "deployments.apps \"qwen3\" already exists");
  resp_free(&r);

  r = call("GET", "/apis/apps/v1/namespaces/test/deployments/qwen3", NULL);
  cr_assert_eq(r.status, 200);
  cr_assert_str_eq(jstr(r.body, "kind"), "Deployment");
  resp_free(&r);

  r = call("GET", "/apis/apps/v1/namespaces/other/deployments/qwen3", NULL);
  assert_status(&r, 404, "NotFound", "deployments.apps \"qwen3\" not found");
  resp_free(&r);

  r = call("GET", "/apis/apps/v1/namespaces/test/deployments", NULL);
  cr_assert_eq(r.status, 200);
  cr_assert_str_eq(jstr(r.body, "kind"), "DeploymentList");
  cr_assert_str_eq(jstr(r.body, "apiVersion"), "apps/v1");
  cr_assert_str_eq(jstr(r.body, "metadata.resourceVersion"), "1");
  cr_assert_eq(json_array_size(json_object_get(r.body, "items")), 1);
  resp_free(&r);

  r = call("GET", "/apis/apps/v1/deployments", NULL); /* all namespaces */
  cr_assert_eq(json_array_size(json_object_get(r.body, "items")), 1);
  resp_free(&r);
  r = call("GET", "/apis/apps/v1/namespaces/default/deployments", NULL);
  cr_assert_eq(json_array_size(json_object_get(r.body, "items")), 0);
  resp_free(&r);

  /* replace with a stale resourceVersion: 409 Conflict */
  json_t *d = json_loads(DEPLOY, 0, NULL);
  json_object_set_new(json_object_get(d, "metadata"), "resourceVersion", json_string("7"));
  json_object_set_new(json_object_get(d, "spec"), "replicas", json_integer(2));
  char *body = json_dumps(d, 0);
  r = call("PUT", "/apis/apps/v1/namespaces/test/deployments/qwen3", body);
  assert_status(&r, 409, "Conflict", "the object has been modified");
  resp_free(&r);
  free(body);
  json_object_set_new(json_object_get(d, "metadata"), "resourceVersion", json_string("1"));
  body = json_dumps(d, 0);
  r = call("PUT", "/apis/apps/v1/namespaces/test/deployments/qwen3", body);
  cr_assert_eq(r.status, 200, "%s", r.text);
  cr_assert_eq(jint(r.body, "metadata.generation"), 2);
  resp_free(&r);
  free(body);
  /* the URL names another object */
  body = deploy_named("other", 1);
  r = call("PUT", "/apis/apps/v1/namespaces/test/deployments/qwen3", body);
  assert_status(&r, 400, "BadRequest", "does not match the name");
  resp_free(&r);
  r = call("PUT", "/apis/apps/v1/namespaces/test/deployments/other", body);
  assert_status(&r, 404, "NotFound", NULL);
  resp_free(&r);
  free(body);
  json_decref(d);

  r = call("DELETE", "/apis/apps/v1/namespaces/test/deployments/qwen3",
           "{\"preconditions\":{\"resourceVersion\":\"1\"}}");
  assert_status(&r, 409, "Conflict", NULL);
  resp_free(&r);
  r = call("DELETE", "/apis/apps/v1/namespaces/test/deployments/qwen3", NULL);
  cr_assert_eq(r.status, 200, "%s", r.text);
  cr_assert_str_eq(jstr(r.body, "status"), "Success");
  cr_assert_str_eq(jstr(r.body, "details.name"), "qwen3");
  resp_free(&r);
  r = call("DELETE", "/apis/apps/v1/namespaces/test/deployments/qwen3", NULL);
  assert_status(&r, 404, "NotFound", NULL);
  resp_free(&r);
}

Test(apiserver, bad_bodies_change_nothing) {
  struct {
    const char *method, *url, *body;
    int code;
    const char *reason, *msg;
  } cases[] = {
      {"POST", "/apis/apps/v1/namespaces/test/deployments", "{\"kind\": ", 400, "BadRequest",
       "not valid JSON: line 1"},
      {"POST", "/apis/apps/v1/namespaces/test/deployments", "", 400, "BadRequest", "empty"},
      {"POST", "/apis/apps/v1/namespaces/test/deployments", "[1,2]", 400, "BadRequest", "JSON object"},
      {"POST", "/apis/apps/v1/namespaces/test/deployments",
       "{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\"}}", 400, "BadRequest",
       "does not match"},
      {"POST", "/apis/apps/v1/namespaces/test/deployments",
       "{\"kind\":\"Deployment\",\"apiVersion\":\"apps/"
       "v1\",\"metadata\":{\"name\":\"x\",\"namespace\":\"prod\"}}",
       400, "BadRequest", "namespace"},
      {"POST", "/apis/apps/v1/namespaces/test/deployments",
       "{\"kind\":\"Deployment\",\"apiVersion\":\"apps/"
       "v1\",\"metadata\":{\"name\":\"x\"},\"spec\":{\"replicas\":\"two\"}}",
       422, "Invalid", "spec.replicas"},
      {"POST", "/apis/spillway.io/v1alpha1/apply", "{\"x\":1}", 400, "BadRequest", "JSON array"},
      {"POST", "/apis/spillway.io/v1alpha1/apply", "[1]", 400, "BadRequest", "item 0"},
      {"POST", "/apis/spillway.io/v1alpha1/apply",
       "[{\"apiVersion\":\"v9\",\"kind\":\"Frobnicator\",\"metadata\":{\"name\":\"a\"}}]", 422, "Invalid",
       "Frobnicator"},
      {"GET", "/apis/spillway.io/v1alpha1/apply", NULL, 405, "MethodNotAllowed", NULL},
      {"GET", "/apis/apps/v1/namespaces/test/frobnicators", NULL, 404, "NotFound", "frobnicators"},
      {"GET", "/apis/wronggroup/v1/namespaces/test/deployments", NULL, 404, "NotFound", NULL},
      {"GET", "/api/v1/namespaces/test/nodes", NULL, 404, "NotFound", "cluster-scoped"},
      {"GET", "/apis/apps/v1/deployments/qwen3", NULL, 404, "NotFound", "namespaced"},
      {"GET", "/apis/apps/v1/namespaces/test/deployments/qwen3/frob", NULL, 404, "NotFound", "frob"},
      {"GET", "/nothing/here", NULL, 404, "NotFound", NULL},
      {"DELETE", "/apis/apps/v1/namespaces/test/deployments", NULL, 405, "MethodNotAllowed", NULL},
      {"POST", "/apis/apps/v1/namespaces/test/deployments/x", "{}", 405, "MethodNotAllowed", NULL},
      {"POST", "/apis/apps/v1/deployments", DEPLOY, 404, "NotFound", NULL},
      {"GET", "/apis/apps/v1/namespaces/test/deployments?labelSelector=app%20in%20(", NULL, 400, "BadRequest",
       "label selector"},
      {"GET", "/apis/apps/v1/namespaces/test/deployments?fieldSelector=bad", NULL, 400, "BadRequest",
       "field selector"},
      {"GET", "/apis/apps/v1/namespaces/test/deployments?watch=true&labelSelector=%3D", NULL, 400,
       "BadRequest", NULL},
  };
  resp r = call("POST", "/apis/apps/v1/namespaces/test/deployments", DEPLOY);
  cr_assert_eq(r.status, 201);
  resp_free(&r);
  uint64_t before = rev();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    r = call(cases[i].method, cases[i].url, cases[i].body);
    cr_assert_eq(r.status, cases[i].code, "case %zu: %d %s", i, r.status, r.text);
    assert_status(&r, cases[i].code, cases[i].reason, cases[i].msg);
    resp_free(&r);
    cr_assert_eq(rev(), before, "case %zu changed the store", i);
  }
}

Test(apiserver, patch_and_status) {
  resp r = call("POST", "/apis/apps/v1/namespaces/test/deployments", DEPLOY);
  resp_free(&r);
  r = call_full("PATCH", "/apis/apps/v1/namespaces/test/deployments/qwen3", "{\"spec\":{\"replicas\":3}}",
                "application/strategic-merge-patch+json", TOKEN);
  assert_status(&r, 415, "UnsupportedMediaType", "merge-patch");
  resp_free(&r);
  r = call("PATCH", "/apis/apps/v1/namespaces/test/deployments/qwen3", "{\"spec\":{\"replicas\":\"x\"}}");
  assert_status(&r, 422, "Invalid", "spec.replicas");
  resp_free(&r);
  cr_assert_eq(rev(), 1);
  r = call("PATCH", "/apis/apps/v1/namespaces/test/deployments/qwen3",
           "{\"spec\":{\"replicas\":3},\"status\":{\"replicas\":9}}");
  cr_assert_eq(r.status, 200, "%s", r.text);
  cr_assert_eq(jint(r.body, "spec.replicas"), 3);
  cr_assert_null(json_object_get(r.body, "status"), "status is not patched through the main resource");
  cr_assert_eq(jint(r.body, "metadata.generation"), 2);
  resp_free(&r);
  r = call("PATCH", "/apis/apps/v1/namespaces/test/deployments/none", "{\"spec\":{\"replicas\":3}}");
  assert_status(&r, 404, "NotFound", NULL);
  resp_free(&r);

  r = call("PUT", "/apis/apps/v1/namespaces/test/deployments/qwen3/status", "{\"status\":{\"replicas\":2}}");
  cr_assert_eq(r.status, 200, "%s", r.text);
  cr_assert_eq(jint(r.body, "status.replicas"), 2);
  cr_assert_eq(jint(r.body, "metadata.generation"), 2);
  resp_free(&r);
  r = call("PATCH", "/apis/apps/v1/namespaces/test/deployments/qwen3/status",
           "{\"status\":{\"readyReplicas\":1},\"spec\":{\"replicas\":50}}");
  cr_assert_eq(r.status, 200, "%s", r.text);
  cr_assert_eq(jint(r.body, "status.replicas"), 2);
  cr_assert_eq(jint(r.body, "status.readyReplicas"), 1);
  cr_assert_eq(jint(r.body, "spec.replicas"), 3, "the status subresource does not touch spec");
  resp_free(&r);
  r = call("GET", "/apis/apps/v1/namespaces/test/deployments/qwen3/status", NULL);
  cr_assert_eq(jint(r.body, "status.readyReplicas"), 1);
  resp_free(&r);
  r = call("DELETE", "/apis/apps/v1/namespaces/test/deployments/qwen3/status", NULL);
  assert_status(&r, 405, "MethodNotAllowed", NULL);
  resp_free(&r);

  /* users' status on create is dropped */
  char *d = deploy_named("withstatus", 1);
  json_t *dj = json_loads(d, 0, NULL);
  json_object_set_new(dj, "status", json_pack("{s:i}", "replicas", 5));
  char *body = json_dumps(dj, 0);
  r = call("POST", "/apis/apps/v1/namespaces/test/deployments", body);
  cr_assert_eq(r.status, 201);
  cr_assert_null(json_object_get(r.body, "status"));
  resp_free(&r);
  free(body), free(d), json_decref(dj);
}

Test(apiserver, scale_subresource) {
  resp r = call("POST", "/apis/apps/v1/namespaces/test/deployments", DEPLOY);
  resp_free(&r);
  r = call("GET", "/apis/apps/v1/namespaces/test/deployments/qwen3/scale", NULL);
  cr_assert_eq(r.status, 200, "%s", r.text);
  cr_assert_str_eq(jstr(r.body, "apiVersion"), "autoscaling/v1");
  cr_assert_str_eq(jstr(r.body, "kind"), "Scale");
  cr_assert_eq(jint(r.body, "spec.replicas"), 1);
  cr_assert_str_eq(jstr(r.body, "status.selector"), "app=qwen3");
  cr_assert_str_eq(jstr(r.body, "metadata.name"), "qwen3");
  resp_free(&r);
  r = call("PATCH", "/apis/apps/v1/namespaces/test/deployments/qwen3/scale", "{\"spec\":{\"replicas\":4}}");
  cr_assert_eq(r.status, 200, "%s", r.text);
  cr_assert_eq(jint(r.body, "spec.replicas"), 4);
  resp_free(&r);
  r = call("PUT", "/apis/apps/v1/namespaces/test/deployments/qwen3/scale",
           "{\"apiVersion\":\"autoscaling/v1\",\"kind\":\"Scale\",\"spec\":{\"replicas\":2}}");
  cr_assert_eq(r.status, 200, "%s", r.text);
  resp_free(&r);
  r = call("GET", "/apis/apps/v1/namespaces/test/deployments/qwen3", NULL);
  cr_assert_eq(jint(r.body, "spec.replicas"), 2);
  resp_free(&r);
  uint64_t before = rev();
  const char *bad[] = {"{\"spec\":{\"replicas\":-1}}", "{\"spec\":{\"replicas\":\"3\"}}", "{\"spec\":{}}"};
  for (size_t i = 0; i < 3; i++) {
    r = call("PUT", "/apis/apps/v1/namespaces/test/deployments/qwen3/scale", bad[i]);
    assert_status(&r, 422, "Invalid", "spec.replicas");
    resp_free(&r);
  }
  r = call("PATCH", "/apis/apps/v1/namespaces/test/deployments/qwen3/scale", "{\"spec\":{\"replicas\":1.5}}");
  assert_status(&r, 422, "Invalid", "1.5");
  resp_free(&r);
  r = call("PUT", "/apis/apps/v1/namespaces/test/deployments/qwen3/scale",
           "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"replicas\":3}}");
  assert_status(&r, 409, "Conflict", NULL);
  resp_free(&r);
  cr_assert_eq(rev(), before);
  r = call("GET", "/apis/apps/v1/namespaces/test/deployments/none/scale", NULL);
  assert_status(&r, 404, "NotFound", NULL);
  resp_free(&r);
  r = call("GET", "/api/v1/namespaces/test/services/x/scale", NULL);
  assert_status(&r, 404, "NotFound", "no scale");
  resp_free(&r);
}

Test(apiserver, batch_apply_actions_and_atomicity) {
  char *a = deploy_named("a", 1), *b = deploy_named("b", 1);
  char *body = sw_xasprintf("[%s,%s]", a, b);
  resp r = call("POST", "/apis/spillway.io/v1alpha1/apply?namespace=test", body);
  cr_assert_eq(r.status, 200, "%s", r.text);
  cr_assert_str_eq(jstr(r.body, "kind"), "List");
  json_t *acts = json_object_get(r.body, "actions");
  cr_assert_str_eq(json_string_value(json_array_get(acts, 0)), "created");
  cr_assert_str_eq(json_string_value(json_array_get(acts, 1)), "created");
  cr_assert_str_eq(jstr(json_array_get(json_object_get(r.body, "items"), 0), "metadata.namespace"), "test");
  resp_free(&r);
  free(b), free(body);
  b = deploy_named("b", 2);
  body = sw_xasprintf("{\"items\":[%s,%s]}", a, b);
  r = call("POST", "/apis/spillway.io/v1alpha1/apply?namespace=test", body);
  cr_assert_eq(r.status, 200, "%s", r.text);
  acts = json_object_get(r.body, "actions");
  cr_assert_str_eq(json_string_value(json_array_get(acts, 0)), "unchanged");
  cr_assert_str_eq(json_string_value(json_array_get(acts, 1)), "configured");
  resp_free(&r);
  free(body);
  /* one bad object: nothing of the batch is stored */
  uint64_t before = rev();
  char *c = deploy_named("c", 1);
  body = sw_xasprintf("[%s,{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},"
                      "\"spec\":{\"replicas\":-4}}]",
                      c);
  r = call("POST", "/apis/spillway.io/v1alpha1/apply", body);
  assert_status(&r, 422, "Invalid", "item 1");
  resp_free(&r);
  cr_assert_eq(rev(), before);
  r = call("GET", "/apis/apps/v1/namespaces/default/deployments/c", NULL);
  cr_assert_eq(r.status, 404);
  resp_free(&r);
  /* default namespace is "default"; cluster-scoped kinds get none */
  free(body);
  body = sw_xasprintf(
      "[%s,{\"apiVersion\":\"spillway.io/v1alpha1\",\"kind\":\"Cluster\",\"metadata\":{\"name\":\"c1\","
      "\"namespace\":\"x\"},\"spec\":{\"driver\":\"simulated\"}}]",
      c);
  r = call("POST", "/apis/spillway.io/v1alpha1/apply", body);
  cr_assert_eq(r.status, 200, "%s", r.text);
  resp_free(&r);
  r = call("GET", "/apis/apps/v1/namespaces/default/deployments/c", NULL);
  cr_assert_eq(r.status, 200);
  resp_free(&r);
  r = call("GET", "/apis/spillway.io/v1alpha1/clusters/c1", NULL);
  cr_assert_eq(r.status, 200, "%s", r.text);
  cr_assert_str_eq(jstr(r.body, "metadata.namespace"), "");
  resp_free(&r);
  free(a), free(b), free(c), free(body);
}

Test(apiserver, label_selector_and_events_field_selector) {
  for (int i = 0; i < 3; i++) {
    char name[8];
    snprintf(name, sizeof name, "d%d", i);
    char *d = deploy_named(name, 1);
    json_t *dj = json_loads(d, 0, NULL);
    json_object_set_new(json_object_get(json_object_get(dj, "metadata"), "labels"), "tier",
                        json_string(i ? "b" : "a"));
    char *body = json_dumps(dj, 0);
    resp r = call("POST", "/apis/apps/v1/namespaces/test/deployments", body);
    cr_assert_eq(r.status, 201, "%s", r.text);
    resp_free(&r);
    free(body), free(d), json_decref(dj);
  }
  resp r = call("GET", "/apis/apps/v1/namespaces/test/deployments?labelSelector=tier%3Db", NULL);
  cr_assert_eq(json_array_size(json_object_get(r.body, "items")), 2);
  resp_free(&r);
  r = call("GET", "/apis/apps/v1/deployments?labelSelector=tier+notin+(b),app", NULL);
  cr_assert_eq(json_array_size(json_object_get(r.body, "items")), 1);
  cr_assert_str_eq(jstr(json_array_get(json_object_get(r.body, "items"), 0), "metadata.name"), "d0");
  resp_free(&r);
  plane_event(&pl, "Deployment", "test", "d1", "Normal", "ScalingReplicaSet", "Scaled up to %d", 2);
  plane_event(&pl, "Deployment", "test", "d2", "Normal", "ScalingReplicaSet", "Scaled up to %d", 3);
  r = call("GET",
           "/api/v1/namespaces/test/"
           "events?fieldSelector=involvedObject.kind%3DDeployment,involvedObject.name%3Dd1",
           NULL);
  cr_assert_eq(r.status, 200, "%s", r.text);
  cr_assert_eq(json_array_size(json_object_get(r.body, "items")), 1);
  cr_assert_str_eq(jstr(json_array_get(json_object_get(r.body, "items"), 0), "message"), "Scaled up to 2");
  resp_free(&r);
}

Test(apiserver, pod_logs) {
  char path[] = "/tmp/sw-aslog-XXXXXX";
  int fd = mkstemp(path);
  cr_assert(fd >= 0);
  const char *text = "line 1\nline 2\nline 3\n";
  cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  json_t *pod = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:{s:s}}", "apiVersion", "v1", "kind", "Pod",
                          "metadata", "name", "qwen3-abc", "namespace", "test", "annotations",
                          "spillway.io/log-path", path, "status", "phase", "Running");
  json_t *nolog = json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "Pod", "metadata", "name",
                            "nolog", "namespace", "test");
  json_t *objs[2] = {pod, nolog};
  sw_err err;
  cr_assert_eq(store_apply(st, objs, 2, 0, NULL, &err), 0);
  struct {
    const char *q;
    int code;
    const char *want;
  } cases[] = {
      {"", 200, "line 1\nline 2\nline 3\n"},
      {"?tailLines=2", 200, "line 2\nline 3\n"},
      {"?tailLines=1", 200, "line 3\n"},
      {"?tailLines=0", 200, ""},
      {"?tailLines=10", 200, "line 1\nline 2\nline 3\n"},
      {"?tailLines=x", 400, NULL},
      {"?tailLines=-1", 400, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char url[256];
    snprintf(url, sizeof url, "/api/v1/namespaces/test/pods/qwen3-abc/log%s", cases[i].q);
    resp r = call("GET", url, NULL);
    cr_assert_eq(r.status, cases[i].code, "%s: %s", cases[i].q, r.text);
    if (cases[i].want) cr_assert_str_eq(r.text, cases[i].want, "%s", cases[i].q);
    resp_free(&r);
  }
  resp r = call("GET", "/api/v1/namespaces/test/pods/nolog/log", NULL);
  assert_status(&r, 400, "BadRequest", "no log");
  resp_free(&r);
  r = call("GET", "/api/v1/namespaces/test/pods/none/log", NULL);
  assert_status(&r, 404, "NotFound", "pods \"none\" not found");
  resp_free(&r);
  unlink(path);
  r = call("GET", "/api/v1/namespaces/test/pods/qwen3-abc/log", NULL);
  assert_status(&r, 404, "NotFound", "cannot be read");
  resp_free(&r);
  json_decref(pod), json_decref(nolog);
}

Test(apiserver, watch_and_discovery) {
  resp r = call("GET", "/apis/apps/v1/namespaces/test/deployments?watch=true", NULL);
  cr_assert(r.watch);
  cr_assert_eq(r.status, 0);
  resp_free(&r);
  r = call_full("GET", "/apis/apps/v1/namespaces/test/deployments?watch=1", NULL, NULL, "bad");
  cr_assert_not(r.watch);
  cr_assert_eq(r.status, 401);
  resp_free(&r);
  r = call("GET", "/apis/apps/v1", NULL);
  cr_assert_eq(r.status, 200, "%s", r.text);
  cr_assert_str_eq(jstr(r.body, "kind"), "APIResourceList");
  bool found = false;
  size_t i;
  json_t *res;
  json_array_foreach(json_object_get(r.body, "resources"), i,
                     res) if (sw_streq(jstr(res, "name"), "deployments/scale")) found = true;
  cr_assert(found);
  resp_free(&r);
  r = call("GET", "/apis", NULL);
  cr_assert_str_eq(jstr(r.body, "kind"), "APIGroupList");
  resp_free(&r);
  r = call("GET", "/apis/nothing/v1", NULL);
  assert_status(&r, 404, "NotFound", NULL);
  resp_free(&r);
  r = call("GET", "/version", NULL);
  cr_assert_eq(r.status, 200);
  resp_free(&r);
}
