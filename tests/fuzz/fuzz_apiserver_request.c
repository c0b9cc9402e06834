/* libFuzzer target for src/apiserver: the request parsers (path, query
 * parameters, label and field selectors, the Authorization check) and the
 * whole request handling over an in-memory store. Input layout: lines
 * "METHOD\nPATH\nQUERY\nCONTENT-TYPE\n" then the body; the same bytes also
 * feed each parser directly. Must never crash or leak; a request must never
 * answer a status outside 200..599 (or be a watch). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/apiserver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uv_loop_t loop;
static store_t *st;
static plane pl;
static apiserver *as;

static char *take_line(const char **p, const char *end) {
  const char *nl = memchr(*p, '\n', (size_t)(end - *p));
  size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
  char *s = malloc(n + 1);
  memcpy(s, *p, n);
  s[n] = 0;
  *p += n + (nl ? 1 : 0);
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static unsigned runs;
  if (as && ++runs % 5000 == 0) { /* a fresh store now and then bounds memory */
    apiserver_free(as);
    plane_fini(&pl);
    uv_run(&loop, UV_RUN_NOWAIT);
    store_close(st);
    uv_loop_close(&loop);
    as = NULL;
  }
  if (!as) {
    uv_loop_init(&loop);
    if (store_open(&st, ":memory:", NULL)) abort();
    plane_init(&pl, &loop, st, 1);
    as = apiserver_new(&pl, "tok");
    sw_log_set_level(SW_LOG_ERROR);
  }
  char *whole = malloc(size + 1);
  memcpy(whole, data, size);
  whole[size] = 0;

  /* the pure parsers on the raw input */
  apiserver_path ap;
  apiserver_parse_path(whole, &ap);
  char out[64];
  apiserver_query_param(whole, "labelSelector", out, sizeof out);
  sw_err err;
  json_t *sel = apiserver_selector_parse(whole, &err);
  if (sel) {
    json_t *labels = json_pack("{s:s,s:s}", "app", "qwen3", "n", "5");
    apiserver_selector_match(sel, labels);
    json_decref(labels);
    json_decref(sel);
  }
  json_t *fs = apiserver_field_selector_parse(whole, &err);
  if (fs) {
    json_t *obj = json_pack("{s:{s:s},s:i}", "metadata", "name", "x", "count", 3);
    apiserver_field_selector_match(fs, obj);
    json_decref(obj);
    json_decref(fs);
  }
  apiserver_auth_ok(whole, "tok");

  /* one request through the handler */
  const char *p = (const char *)data, *end = p + size;
  char *method = take_line(&p, end), *path = take_line(&p, end), *query = take_line(&p, end),
       *ctype = take_line(&p, end);
  size_t blen = (size_t)(end - p);
  char *body = malloc(blen + 1);
  memcpy(body, p, blen);
  body[blen] = 0;
  http_header hs[2] = {{"Authorization", "Bearer tok"}, {"Content-Type", ctype}};
  http_request req = {.method = method,
                      .url = path,
                      .path = path,
                      .query = query,
                      .headers = hs,
                      .n_headers = 2,
                      .body = body,
                      .body_len = blen,
                      .remote_addr = "127.0.0.1:1"};
  apiserver_reply r;
  apiserver_handle(as, &req, &r);
  if (!r.watch && (r.status < 200 || r.status > 599)) abort();
  apiserver_reply_free(&r);
  free(method), free(path), free(query), free(ctype), free(body), free(whole);
  return 0;
}
