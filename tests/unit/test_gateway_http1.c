/*
 * test_gateway_http1.c — the gateway's HTTP/1 message handling, as tables:
 * a suite of malformed and hostile requests (each must end in the right
 * status, never a crash), requests split at every byte, pipelining, the
 * OpenAI body fields, the heads forwarded each way, upstream response framing.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "gateway/http1.h"

typedef struct {
  const char *name;
  const char *in;
  int status; /* 0 = parses; else the error status */
} req_case;

static const req_case malformed[] = {
    {"plain POST", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 0},
    {"chunked body",
     "POST /v1/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 0},
    {"HTTP/1.0", "GET /v1/models HTTP/1.0\r\n\r\n", 0},
    {"garbage", "\x01\x02\x03 nonsense\r\n\r\n", 400},
    {"bad method", "FETCH / HTTP/1.1\r\n\r\n", 400},
    {"bad version", "GET / HTTP/9.9x\r\n\r\n", 400},
    {"HTTP/0.9", "GET /\r\n\r\n", 400},
    {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400},
    {"header without colon", "GET / HTTP/1.1\r\nHost x\r\n\r\n", 400},
    {"space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
    {"bare CR in header value", "GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n", 400},
    {"NUL in URL", "GET /a\0b HTTP/1.1\r\n\r\n", 400},
    {"negative content length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
    {"non-numeric content length", "POST / HTTP/1.1\r\nContent-Length: ten\r\n\r\n", 400},
    {"two content lengths", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
    {"content length and chunked",
     "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
    {"bad chunk size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n", 400},
    {"body over the limit (declared)", "POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", 413},
    {"expect something else", "POST / HTTP/1.1\r\nExpect: teapot\r\nContent-Length: 0\r\n\r\n", 417},
    {"upgrade", "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", 400},
    {"CONNECT", "CONNECT example.com:443 HTTP/1.1\r\n\r\n", 400},
};

/* Feeds `len` bytes in pieces of `step` (0 = at once). Returns the status. */
static int parse(gw_reqp *r, const char *in, size_t len, size_t step) {
  size_t off = 0;
  while (off < len) {
    size_t n = step ? (len - off < step ? len - off : step) : len - off;
    size_t used;
    gw_reqp_state st = gw_reqp_feed(r, in + off, n, &used);
    if (st == GW_REQP_ERROR) return r->error_status;
    off += used;
    if (st == GW_REQP_DONE) return 0;
    if (used < n) return -2;
  }
  return -1; /* incomplete */
}

Test(gateway_http1, malformed_suite) {
  for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
    const req_case *c = &malformed[i];
    size_t len = strcmp(c->name, "NUL in URL") == 0 ? 22 : strlen(c->in);
    for (size_t step = 0; step <= 7; step += 1) {
      gw_reqp r;
      gw_reqp_init(&r, 4096, 4096);
      int got = parse(&r, c->in, len, step);
      cr_assert_eq(got, c->status, "%s (pieces of %zu): got %d, want %d (%s)", c->name, step, got, c->status,
                   r.error_msg ? r.error_msg : "");
      if (c->status) cr_assert_not_null(r.error_msg, "%s: an error needs a message", c->name);
      gw_reqp_free(&r);
    }
  }
}

Test(gateway_http1, header_limits) {
  gw_reqp r;
  char big[3000];
  /* one huge header */
  gw_reqp_init(&r, 1024, 4096);
  snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX-Big: %02000d\r\n\r\n", 0);
  cr_assert_eq(parse(&r, big, strlen(big), 0), 431);
  gw_reqp_free(&r);
  /* a huge URL */
  gw_reqp_init(&r, 1024, 4096);
  snprintf(big, sizeof big, "GET /%02000d HTTP/1.1\r\n\r\n", 0);
  cr_assert_eq(parse(&r, big, strlen(big), 13), 431);
  gw_reqp_free(&r);
  /* too many small headers */
  gw_reqp_init(&r, 1 << 20, 4096);
  sw_buf b;
  sw_buf_init(&b);
  sw_buf_puts(&b, "GET / HTTP/1.1\r\n");
  for (int i = 0; i < GW_MAX_HEADERS + 5; i++) sw_buf_printf(&b, "X-%d: v\r\n", i);
  sw_buf_puts(&b, "\r\n");
  cr_assert_eq(parse(&r, b.data, b.len, 0), 431);
  gw_reqp_free(&r);
  sw_buf_free(&b);
}

Test(gateway_http1, chunked_body_over_limit) {
  gw_reqp r;
  gw_reqp_init(&r, 1024, 10);
  const char *in =
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n8\r\n01234567\r\n0\r\n\r\n";
  cr_assert_eq(parse(&r, in, strlen(in), 3), 413);
  gw_reqp_free(&r);
}

Test(gateway_http1, fields_every_split) {
  const char *in =
      "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer k\r\n"
      "Content-Type: application/json\r\nX-Empty:\r\nContent-Length: 17\r\n\r\n{\"model\":\"qwen\"}\n";
  size_t len = strlen(in);
  for (size_t step = 1; step <= len; step++) {
    gw_reqp r;
    gw_reqp_init(&r, 4096, 4096);
    cr_assert_eq(parse(&r, in, len, step), 0, "step %zu", step);
    cr_assert_str_eq(gw_reqp_method(&r), "POST");
    cr_assert_str_eq(gw_reqp_url(&r), "/v1/chat/completions?x=1");
    cr_assert_str_eq(gw_reqp_header(&r, "authorization"), "Bearer k", "step %zu", step);
    cr_assert_str_eq(gw_reqp_header(&r, "X-EMPTY"), "", "step %zu", step);
    cr_assert_null(gw_reqp_header(&r, "x-missing"));
    cr_assert_eq(r.body.len, 17);
    cr_assert(memcmp(r.body.data, "{\"model\":\"qwen\"}\n", 17) == 0);
    cr_assert(gw_reqp_keep_alive(&r));
    char path[64];
    cr_assert(gw_reqp_path(&r, path, sizeof path));
    cr_assert_str_eq(path, "/v1/chat/completions");
    gw_reqp_free(&r);
  }
}

Test(gateway_http1, pipelined_requests) {
  const char *in =
      "GET /v1/models HTTP/1.1\r\n\r\nPOST /v1/completions HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
      "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n";
  gw_reqp r;
  gw_reqp_init(&r, 4096, 4096);
  size_t off = 0, used;
  const char *urls[] = {"/v1/models", "/v1/completions", "/health"};
  for (int k = 0; k < 3; k++) {
    cr_assert_eq(gw_reqp_feed(&r, in + off, strlen(in) - off, &used), GW_REQP_DONE, "request %d", k);
    cr_assert_str_eq(gw_reqp_url(&r), urls[k]);
    cr_assert_eq(gw_reqp_keep_alive(&r), k < 2);
    off += used;
    gw_reqp_next(&r);
  }
  cr_assert_eq(off, strlen(in));
  gw_reqp_free(&r);
}

Test(gateway_http1, expect_continue_and_eof) {
  gw_reqp r;
  gw_reqp_init(&r, 4096, 4096);
  const char *head = "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
  size_t used;
  cr_assert_eq(gw_reqp_feed(&r, head, strlen(head), &used), GW_REQP_MORE);
  cr_assert(r.headers_done);
  cr_assert(r.expect_continue);
  cr_assert_eq(gw_reqp_eof(&r), GW_REQP_ERROR); /* closed mid-body */
  gw_reqp_free(&r);
  gw_reqp_init(&r, 4096, 4096);
  cr_assert_eq(gw_reqp_eof(&r), GW_REQP_MORE); /* idle close is not an error */
  gw_reqp_free(&r);
}

Test(gateway_http1, absolute_form_path) {
  gw_reqp r;
  gw_reqp_init(&r, 4096, 4096);
  const char *in = "GET http://gw:8000/v1/models?a=b HTTP/1.1\r\n\r\n";
  cr_assert_eq(parse(&r, in, strlen(in), 0), 0);
  char path[64];
  cr_assert(gw_reqp_path(&r, path, sizeof path));
  cr_assert_str_eq(path, "/v1/models");
  gw_reqp_free(&r);
  static const struct {
    const char *in, *path; /* path NULL: the target names no path the gateway can use */
  } more[] = {
      {"GET http://gw:8000 HTTP/1.1\r\n\r\n", "/"},
      {"GET https://gw/v1/models#frag HTTP/1.1\r\n\r\n", "/v1/models"},
      {"GET /v1/models#frag HTTP/1.1\r\n\r\n", "/v1/models"},
      {"OPTIONS * HTTP/1.1\r\n\r\n", "*"},
      {"GET ://gw/v1/models HTTP/1.1\r\n\r\n", NULL},
      {"GET http:///v1/models HTTP/1.1\r\n\r\n", NULL},
      {"GET 1http://gw/v1/models HTTP/1.1\r\n\r\n", NULL},
  };
  for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
    gw_reqp_init(&r, 4096, 4096);
    int st = parse(&r, more[i].in, strlen(more[i].in), 0);
    if (st == 0) {
      bool ok = gw_reqp_path(&r, path, sizeof path);
      cr_assert_eq(ok, more[i].path != NULL, "case %zu", i);
      if (ok) cr_assert_str_eq(path, more[i].path, "case %zu", i);
    } else {
      cr_assert_null(more[i].path, "case %zu refused by the parser (%d)", i, st);
    }
    gw_reqp_free(&r);
  }
}

Test(gateway_http1, body_table) {
  static const struct {
    const char *body;
    int status;
    const char *model;
    bool stream;
    const char *param;
  } cases[] = {
      {"{\"model\":\"qwen3-0.6b\",\"messages\":[]}", 0, "qwen3-0.6b", false, ""},
      {"{\"messages\":[{\"role\":\"user\",\"content\":\"Test it\"}]}", 0, NULL, false, ""},
      {"{\"model\":\"m\",\"stream\":true}", 0, "m", true, ""},
      {"{\"model\":null,\"stream\":null}", 0, NULL, false, ""},
      {"{\"model\":\"m\",\"stream\":\"yes\"}", 400, NULL, false, "stream"},
      {"{\"model\":42}", 400, NULL, false, "model"},
      {"{\"model\":\"\"}", 400, NULL, false, "model"},
      {"{\"model\":\"a\\u0000b\"}", 400, NULL, false, "model"}, /* a NUL cannot be in a name */
      {"{\"model\":\"a\",\"model\":\"b\"}", 0, "b", false, ""},     /* the last duplicate wins */
      {"{\"model\":\"a\",\"model\":null}", 0, NULL, false, ""},
      {"{\"model\":7,\"model\":\"b\"}", 0, "b", false, ""},
      {"{\"stream\":true,\"stream\":false}", 0, NULL, false, ""},
      {"{\"model\":{\"model\":\"x\"},\"stream\":true}", 400, NULL, false, "model"},
      {"{\"messages\":[{\"model\":\"inner\",\"stream\":1}],\"model\":\"m\"}", 0, "m", false, ""},
      {"{\"model\":[\"m\"]}", 400, NULL, false, "model"},
      {"{\"stream\":1}", 400, NULL, false, "stream"},
      {"{\"model\":\"m\",\"stream\":true,\"x\":[1,{\"a\":[]}],\"y\":-1.5e3}", 0, "m", true, ""},
      {"{\"model\":42, }", 400, NULL, false, ""}, /* syntax errors come before field errors */
      {"\"m\"", 400, NULL, false, ""},
      {"{\"model\":\"m\"}{}", 400, NULL, false, ""},
      {"{\"model\":\"m\"} // comment", 400, NULL, false, ""},
      {"[1,2]", 400, NULL, false, ""},
      {"", 400, NULL, false, ""},
      {"{", 400, NULL, false, ""},
      {"{\"model\":\"m\"} trailing", 400, NULL, false, ""},
      {"\xff\xfe{}", 400, NULL, false, ""},
      {"{\"model\":\"\xc3\x28\"}", 400, NULL, false, ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gw_body_info bi;
    char msg[256];
    const char *param;
    int st = gw_body_parse(cases[i].body, strlen(cases[i].body), &bi, msg, sizeof msg, &param);
    cr_assert_eq(st, cases[i].status, "case %zu: %s", i, msg);
    if (st) {
      cr_assert_str_eq(param, cases[i].param, "case %zu", i);
      cr_assert_neq(msg[0], 0);
      continue;
    }
    cr_assert_eq(bi.has_model, cases[i].model != NULL, "case %zu", i);
    if (cases[i].model) cr_assert_str_eq(bi.model, cases[i].model);
    cr_assert_eq(bi.stream, cases[i].stream, "case %zu", i);
  }
  /* a model name at the size limit */
  char body[600];
  snprintf(body, sizeof body, "{\"model\":\"%0300d\"}", 0);
  gw_body_info bi;
  char msg[256];
  const char *param;
  cr_assert_eq(gw_body_parse(body, strlen(body), &bi, msg, sizeof msg, &param), 400);
}

Test(gateway_http1, upstream_head_drops_hop_by_hop) {
  gw_reqp r;
  gw_reqp_init(&r, 4096, 4096);
  const char *in = "POST /v1/chat/completions HTTP/1.1\r\nHost: client-facing\r\nConnection: keep-alive\r\n"
                   "Keep-Alive: timeout=5\r\nAuthorization: Bearer k\r\nTransfer-Encoding: chunked\r\n"
                   "Expect: 100-continue\r\nX-Request-Id: abc\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
  cr_assert_eq(parse(&r, in, strlen(in), 0), 0);
  sw_buf b;
  sw_buf_init(&b);
  gw_build_upstream_head(&r, "10.0.0.1:8000", &b);
  cr_assert_str_eq(b.data,
                   "POST /v1/chat/completions HTTP/1.1\r\nHost: 10.0.0.1:8000\r\nAuthorization: Bearer k\r\n"
                   "X-Request-Id: abc\r\nContent-Length: 2\r\n\r\n");
  sw_buf_free(&b);
  gw_reqp_free(&r);
}

/* ---- responses ---- */

static void resp_feed_all(gw_respp *r, const char *in, size_t *head_end, size_t *msg_end) {
  size_t off = 0, len = strlen(in), used;
  *head_end = *msg_end = 0;
  while (off < len) {
    gw_respp_state st = gw_respp_feed(r, in + off, len - off, &used);
    cr_assert_neq(st, GW_RESPP_ERROR, "parse error at %zu", off);
    off += used;
    if (st == GW_RESPP_HEAD) {
      *head_end = off;
      if (r->done) {
        *msg_end = off;
        return;
      }
    }
    if (st == GW_RESPP_DONE) {
      *msg_end = off;
      return;
    }
  }
}

Test(gateway_http1, response_framing) {
  static const struct {
    const char *in;
    size_t head_len;
    size_t msg_len;
    int status;
    bool chunked, keep;
  } cases[] = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiEXTRA", 38, 40, 200, false, true},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 47, 62, 200, true,
       true},
      {"HTTP/1.1 204 No Content\r\n\r\n", 27, 27, 204, false, true},
      {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nNEXT", 38, 38, 200, false, true},
      {"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", 38, 39, 200, false, false},
      {"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 74, 74, 503,
       false, false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gw_respp r;
    gw_respp_init(&r, 4096);
    size_t he, me;
    resp_feed_all(&r, cases[i].in, &he, &me);
    cr_assert_eq(he, cases[i].head_len, "case %zu head %zu", i, he);
    cr_assert_eq(me, cases[i].msg_len, "case %zu msg %zu", i, me);
    cr_assert_eq(r.status, cases[i].status);
    cr_assert_eq(r.chunked, cases[i].chunked);
    cr_assert_eq(gw_respp_keep_alive(&r), cases[i].keep, "case %zu", i);
    gw_respp_free(&r);
  }
}

static void feed_range(gw_respp *r, const char *in, size_t *off, size_t end, size_t *head_at, bool *done) {
  while (*off < end && !*done) {
    size_t used;
    gw_respp_state st = gw_respp_feed(r, in + *off, end - *off, &used);
    cr_assert_neq(st, GW_RESPP_ERROR, "at %zu of a piece ending at %zu", *off, end);
    *off += used;
    if (st == GW_RESPP_HEAD) {
      *head_at = *off;
      *done = r->done;
    } else if (st == GW_RESPP_DONE) {
      *done = true;
    } else {
      break;
    }
  }
}

Test(gateway_http1, response_smuggling_refused) {
  /* Content-Length beside chunked is how a response is made to mean two
   * things to two parsers: refused, not guessed at. */
  static const char *bad[] = {
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 2000 OK\r\n\r\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    gw_respp r;
    gw_respp_init(&r, 4096);
    size_t off = 0, len = strlen(bad[i]), used;
    gw_respp_state st = GW_RESPP_MORE;
    while (off < len && st != GW_RESPP_ERROR && st != GW_RESPP_DONE) {
      st = gw_respp_feed(&r, bad[i] + off, len - off, &used);
      off += used;
      if (used == 0 && st == GW_RESPP_MORE) break;
    }
    cr_assert_eq(st, GW_RESPP_ERROR, "case %zu", i);
    gw_respp_free(&r);
  }
}

Test(gateway_http1, response_split_everywhere) {
  const char *in = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "f\r\ndata: {\"a\":1}\n\n\r\ne\r\ndata: [DONE]\n\n\r\n0\r\n\r\n";
  size_t len = strlen(in);
  for (size_t cut = 1; cut < len; cut++) {
    gw_respp r;
    gw_respp_init(&r, 4096);
    size_t off = 0, head_at = 0;
    bool done = false;
    feed_range(&r, in, &off, cut, &head_at, &done);
    feed_range(&r, in, &off, len, &head_at, &done);
    cr_assert(done, "cut %zu", cut);
    cr_assert_eq(off, len, "cut %zu", cut);
    cr_assert_eq(head_at, 80, "cut %zu: head ends at %zu", cut, head_at);
    gw_respp_free(&r);
  }
}

Test(gateway_http1, response_close_delimited_and_interim) {
  gw_respp r;
  gw_respp_init(&r, 4096);
  const char *in = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsome body";
  size_t used;
  cr_assert_eq(gw_respp_feed(&r, in, strlen(in), &used), GW_RESPP_HEAD);
  size_t rest = strlen(in) - used;
  cr_assert_eq(gw_respp_feed(&r, in + used, rest, &used), GW_RESPP_MORE);
  cr_assert_eq(gw_respp_eof(&r), GW_RESPP_DONE);
  cr_assert_not(gw_respp_keep_alive(&r));
  gw_respp_free(&r);

  gw_respp_init(&r, 4096);
  const char *cont = "HTTP/1.1 100 Continue\r\n\r\n";
  cr_assert_eq(gw_respp_feed(&r, cont, strlen(cont), &used), GW_RESPP_HEAD);
  cr_assert_eq(r.status, 100);
  cr_assert(r.done);
  gw_respp_free(&r);

  gw_respp_init(&r, 4096);
  cr_assert_eq(gw_respp_eof(&r), GW_RESPP_ERROR); /* nothing came */
  const char *junk = "NOT HTTP\r\n\r\n";
  cr_assert_eq(gw_respp_feed(&r, junk, strlen(junk), &used), GW_RESPP_ERROR);
  gw_respp_free(&r);
}

Test(gateway_http1, client_head_rebuilt) {
  gw_respp r;
  gw_respp_init(&r, 4096);
  const char *in = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: keep-alive\r\n"
                   "Keep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\nX-Request-Id: r1\r\n\r\n";
  size_t used;
  cr_assert_eq(gw_respp_feed(&r, in, strlen(in), &used), GW_RESPP_HEAD);
  sw_buf b;
  sw_buf_init(&b);
  gw_respp_build_head(&r, &b, 1, true, false);
  cr_assert_str_eq(b.data,
                   "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
                   "X-Request-Id: r1\r\nConnection: keep-alive\r\n\r\n");
  sw_buf_reset(&b);
  gw_respp_build_head(&r, &b, 0, false, true); /* HTTP/1.0 client: de-chunked, then close */
  cr_assert_str_eq(b.data, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Request-Id: r1\r\n"
                           "Connection: close\r\n\r\n");
  sw_buf_free(&b);
  gw_respp_free(&r);
}

static void collect(void *ud, const char *at, size_t n) { sw_buf_append(ud, at, n); }

Test(gateway_http1, dechunk_callback) {
  gw_respp r;
  gw_respp_init(&r, 4096);
  sw_buf out;
  sw_buf_init(&out);
  const char *in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  size_t used, off = 0;
  cr_assert_eq(gw_respp_feed(&r, in, strlen(in), &used), GW_RESPP_HEAD);
  off += used;
  r.on_body = collect;
  r.ud = &out;
  cr_assert_eq(gw_respp_feed(&r, in + off, strlen(in) - off, &used), GW_RESPP_DONE);
  cr_assert_str_eq(out.data, "abcde");
  sw_buf_free(&out);
  gw_respp_free(&r);
}

Test(gateway_http1, hop_by_hop_names) {
  cr_assert(gw_hop_by_hop("Connection", true));
  cr_assert(gw_hop_by_hop("TE", false));
  cr_assert(gw_hop_by_hop("host", true));
  cr_assert_not(gw_hop_by_hop("host", false));
  cr_assert_not(gw_hop_by_hop("Transfer-Encoding", false)); /* the body is passed through framed */
  cr_assert(gw_hop_by_hop("Transfer-Encoding", true));      /* the request body is re-framed */
  cr_assert_not(gw_hop_by_hop("Authorization", true));
}
