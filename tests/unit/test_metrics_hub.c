/* Unit tests for the I/O side of src/metrics: mcurl + scraper against real
 * HTTP servers on 127.0.0.1 (served by a small libuv server in this file),
 * including refused connections, timeouts, HTTP errors and parse errors; the
 * hub over a real in-memory store and plane (pod selection, errors that name
 * the metric, the pod and what was tried, pods that go away); the custom
 * metrics API; and the Prometheus source against a fake Prometheus API
 * server and an unreachable one. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "metrics/hub.h"
#include "metrics/mcurl.h"
#include "metrics/promclient.h"
#include "metrics/scraper.h"

/* ---- a tiny HTTP server ------------------------------------------------------ */

typedef struct route {
  const char *path; /* prefix */
  int status;       /* 0: never answer (for timeouts) */
  const char *body;
} route;

typedef struct tconn tconn;

typedef struct tserver {
  uv_tcp_t tcp;
  tconn *conns; /* live connections, closed by tserver_stop */
  int port;
  const route *routes;
  size_t n_routes;
  int requests;
  char last_url[4096];
} tserver;

struct tconn {
  uv_tcp_t tcp;
  tserver *srv;
  tconn *prev, *next;
  char buf[16384];
  size_t len;
};

static void conn_closed(uv_handle_t *h) {
  tconn *c = h->data;
  if (c->prev)
    c->prev->next = c->next;
  else
    c->srv->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  free(c);
}

static void on_written(uv_write_t *w, int status) {
  uv_close((uv_handle_t *)w->handle, conn_closed);
  free(w->data);
  free(w);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *b) {
  tconn *c = h->data;
  b->base = c->buf + c->len;
  b->len = sizeof c->buf - c->len - 1;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  tconn *c = s->data;
  if (n < 0) {
    uv_close((uv_handle_t *)s, conn_closed);
    return;
  }
  c->len += (size_t)n;
  c->buf[c->len] = 0;
  if (!strstr(c->buf, "\r\n\r\n")) return;
  uv_read_stop(s);
  char url[4096] = "";
  sscanf(c->buf, "GET %4095s", url);
  c->srv->requests++;
  snprintf(c->srv->last_url, sizeof c->srv->last_url, "%s", url);
  const route *r = NULL;
  for (size_t i = 0; i < c->srv->n_routes; i++)
    if (!strncmp(url, c->srv->routes[i].path, strlen(c->srv->routes[i].path))) {
      r = &c->srv->routes[i];
      break;
    }
  if (r && r->status == 0) return; /* hang */
  int status = r ? r->status : 404;
  const char *body = r ? r->body : "not found\n";
  char *resp =
      sw_xasprintf("HTTP/1.1 %d X\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close"
                   "\r\n\r\n%s",
                   status, strlen(body), body);
  uv_write_t *w = calloc(1, sizeof *w);
  w->data = resp;
  uv_buf_t ub = uv_buf_init(resp, (unsigned)strlen(resp));
  uv_write(w, s, &ub, 1, on_written);
}

static void on_conn(uv_stream_t *server, int status) {
  tserver *srv = server->data;
  tconn *c = calloc(1, sizeof *c);
  c->srv = srv;
  c->next = srv->conns;
  if (srv->conns) srv->conns->prev = c;
  srv->conns = c;
  uv_tcp_init(server->loop, &c->tcp);
  c->tcp.data = c;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) == 0)
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read);
  else
    uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static void tserver_start(uv_loop_t *loop, tserver *s, const route *routes, size_t n) {
  memset(s, 0, sizeof *s);
  s->routes = routes;
  s->n_routes = n;
  uv_tcp_init(loop, &s->tcp);
  s->tcp.data = s;
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  cr_assert_eq(uv_tcp_bind(&s->tcp, (const struct sockaddr *)&a, 0), 0);
  cr_assert_eq(uv_listen((uv_stream_t *)&s->tcp, 128, on_conn), 0);
  struct sockaddr_storage ss;
  int len = sizeof ss;
  uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&ss, &len);
  s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void tserver_stop(tserver *s) {
  for (tconn *c = s->conns; c; c = c->next)
    if (!uv_is_closing((uv_handle_t *)&c->tcp)) uv_close((uv_handle_t *)&c->tcp, conn_closed);
  uv_close((uv_handle_t *)&s->tcp, NULL);
}

/* A port nothing listens on. */
static int closed_port(uv_loop_t *loop) {
  tserver s;
  tserver_start(loop, &s, NULL, 0);
  int p = s.port;
  tserver_stop(&s);
  uv_run(loop, UV_RUN_NOWAIT);
  return p;
}

static void stop_loop(uv_timer_t *t) { uv_stop(t->loop); }

static void run_for(uv_loop_t *loop, int ms) {
  uv_timer_t t;
  uv_timer_init(loop, &t);
  uv_timer_start(&t, stop_loop, (uint64_t)ms, 0);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_close((uv_handle_t *)&t, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
}

/* Runs the loop in short slices until pred(ud) holds or max_ms pass, so the
 * tests wait as long as a loaded machine needs and no longer. */
static bool run_until(uv_loop_t *loop, bool (*pred)(void *), void *ud, int max_ms) {
  for (int waited = 0; waited < max_ms; waited += 20) {
    if (pred(ud)) return true;
    run_for(loop, 20);
  }
  return pred(ud);
}

static void drain(uv_loop_t *loop) {
  for (int i = 0; i < 10; i++) uv_run(loop, UV_RUN_NOWAIT);
}

static void close_walk(uv_handle_t *h, void *arg) {
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

static void loop_close(uv_loop_t *loop) {
  drain(loop);
  uv_walk(loop, close_walk, NULL);
  drain(loop);
  cr_assert_eq(uv_loop_close(loop), 0, "handles left open");
}

static const char VLLM[] = "# HELP vllm:num_requests_running Number of requests in model execution batches.\n"
                           "# TYPE vllm:num_requests_running gauge\n"
                           "vllm:num_requests_running{engine=\"0\",model_name=\"qwen3-0.6b\"} 3.0\n"
                           "# TYPE vllm:num_requests_waiting gauge\n"
                           "vllm:num_requests_waiting{engine=\"0\",model_name=\"qwen3-0.6b\"} 58.0\n"
                           "# TYPE vllm:prompt_tokens_total counter\n"
                           "vllm:prompt_tokens_total{engine=\"0\",model_name=\"qwen3-0.6b\"} 1234.0\n";

/* ---- scraper ------------------------------------------------------------------- */

static bool all_idle(void *ud) {
  for (mscrape_target **t = ud; *t; t++)
    if (mscrape_target_busy(*t) || msamples_scrapes(mscrape_target_samples(*t)) == 0) return false;
  return true;
}

Test(scraper, scrapes_and_says_what_failed) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  static const route routes[] = {{"/metrics", 200, VLLM},
                                 {"/hang", 0, NULL},
                                 {"/bad", 200, "ok 1\nbroken{x=1} 2\n"},
                                 {"/error", 503, "overloaded"}};
  tserver srv;
  tserver_start(&loop, &srv, routes, 4);
  int refused = closed_port(&loop);
  sw_clock clock;
  sw_clock_init_real(&clock, 1);
  mcurl *m = mcurl_new(&loop);
  mscraper_opts o = {.timeout = 0.3, .history = 10};
  mscraper *s = mscraper_new(m, &clock, &o);
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", srv.port);
  mscrape_target *ok = mscraper_set(s, "ok", url);
  cr_assert_str_eq(mscrape_target_error(ok), "not scraped yet");
  snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", refused);
  mscrape_target *ref = mscraper_set(s, "refused", url);
  snprintf(url, sizeof url, "http://127.0.0.1:%d/hang", srv.port);
  mscrape_target *hang = mscraper_set(s, "hang", url);
  snprintf(url, sizeof url, "http://127.0.0.1:%d/bad", srv.port);
  mscrape_target *bad = mscraper_set(s, "bad", url);
  snprintf(url, sizeof url, "http://127.0.0.1:%d/error", srv.port);
  mscrape_target *e503 = mscraper_set(s, "503", url);
  cr_assert_eq(mscraper_count(s), 5);
  mscraper_tick(s);
  cr_assert(mscrape_target_busy(hang));
  mscrape_target *all[] = {ok, ref, hang, bad, e503, NULL};
  cr_assert(run_until(&loop, all_idle, all, 10000), "scrapes did not finish");
  cr_assert_str_eq(mscrape_target_error(ok), "");
  cr_assert_eq(msamples_n_series(mscrape_target_samples(ok)), 3);
  double v;
  cr_assert(msamples_latest_sum(mscrape_target_samples(ok), "vllm:num_requests_waiting", &v));
  cr_assert_float_eq(v, 58, 0);
  cr_assert_str_eq(mscrape_target_error(ref), "connection refused");
  cr_assert_str_eq(mscrape_target_error(hang), "timed out after 300 ms");
  cr_assert_str_eq(mscrape_target_error(bad),
                   "parse error: line 2: expected '\"' to open the value of label \"x\", got '1} 2'");
  cr_assert_str_eq(mscrape_target_error(e503), "HTTP 503");
  cr_assert_not(msamples_last_ok(mscrape_target_samples(e503)));
  mscrape_stats st = mscraper_stats(s);
  cr_assert_eq(st.scrapes, 5);
  cr_assert_eq(st.failures, 4);
  cr_assert_eq(st.samples, 3);
  /* a second round reuses everything */
  mscraper_tick(s);
  cr_assert(run_until(&loop, all_idle, all, 10000), "scrapes did not finish");
  cr_assert_eq(msamples_scrapes(mscrape_target_samples(ok)), 2);
  cr_assert_eq(msamples_generation(mscrape_target_samples(ok)), 3);
  mscraper_remove(s, "ok");
  cr_assert_null(mscraper_get(s, "ok"));
  mscraper_free(s);
  mcurl_free(m);
  tserver_stop(&srv);
  loop_close(&loop);
}

/* ---- hub over a store ---------------------------------------------------------- */

static json_t *pod(const char *name, bool ready, const char *scrape, int container_port, int host_port,
                   bool terminating) {
  char port[16], host[16];
  snprintf(port, sizeof port, "%d", container_port);
  snprintf(host, sizeof host, "%d", host_port);
  json_t *p =
      json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:s}},s:{s:s},"
                "s:{s:s,s:s,s:[{s:s,s:s}],s:{s:i}}}",
                "apiVersion", "v1", "kind", "Pod", "metadata", "name", name, "namespace", "test", "labels",
                "app", "qwen3", "spillway.io/cluster", "c1", "annotations", "prometheus.io/scrape", scrape,
                "prometheus.io/port", port, "prometheus.io/path", "/metrics", "spec", "nodeName", "n1",
                "status", "phase", "Running", "podIP", "127.0.0.1", "conditions", "type", "Ready", "status",
                ready ? "True" : "False", "portMap", port, host_port);
  if (terminating)
    json_object_set_new(json_object_get(p, "metadata"), "deletionTimestamp",
                        json_string("2026-01-01T00:00:00Z"));
  return p;
}

static void put_pod(store_t *st, json_t *p) {
  sw_err err;
  json_t *status = json_incref(json_object_get(p, "status"));
  cr_assert_eq(store_apply(st, &p, 1, 0, NULL, &err), 0, "%s", err.msg);
  const json_t *md = json_object_get(p, "metadata");
  cr_assert_eq(
      store_update_status(st, "Pod", "test", json_string_value(json_object_get(md, "name")), status, &err), 0,
      "%s", err.msg);
  json_decref(status);
  json_decref(p);
}

Test(metrics_pod_scrape_url, table) {
  static const struct {
    const char *json;
    const char *url, *reason;
  } cases[] = {
      {"{\"metadata\":{\"annotations\":{\"prometheus.io/scrape\":\"true\",\"prometheus.io/port\":\"8000\"}},"
       "\"status\":{\"podIP\":\"127.0.0.1\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
       "\"portMap\":{\"8000\":40123}}}",
       "http://127.0.0.1:40123/metrics", NULL},
      {"{\"metadata\":{\"annotations\":{\"prometheus.io/scrape\":\"true\",\"prometheus.io/port\":\"9400\","
       "\"prometheus.io/path\":\"stats\"}},"
       "\"status\":{\"podIP\":\"10.0.0.5\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
       "http://10.0.0.5:9400/stats", NULL},
      {"{\"metadata\":{\"annotations\":{\"prometheus.io/"
       "scrape\":\"true\"}},\"spec\":{\"containers\":[{\"ports\":"
       "[{\"containerPort\":8080}]}]},"
       "\"status\":{\"podIP\":\"::1\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
       "http://[::1]:8080/metrics", NULL},
      {"{\"metadata\":{\"annotations\":{}},\"status\":{}}", NULL,
       "it is not annotated prometheus.io/scrape: \"true\""},
      {"{\"metadata\":{\"annotations\":{\"prometheus.io/scrape\":\"true\"},\"deletionTimestamp\":\"x\"}}",
       NULL, "it is terminating"},
      {"{\"metadata\":{\"annotations\":{\"prometheus.io/scrape\":\"true\"}},"
       "\"status\":{\"podIP\":\"1.2.3.4\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}}",
       NULL, "it is not Ready"},
      {"{\"metadata\":{\"annotations\":{\"prometheus.io/scrape\":\"true\"}},"
       "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
       NULL, "it has no status.podIP yet"},
      {"{\"metadata\":{\"annotations\":{\"prometheus.io/scrape\":\"true\",\"prometheus.io/port\":\"http\"}},"
       "\"status\":{\"podIP\":\"1.2.3.4\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
       NULL, "its prometheus.io/port annotation \"http\" is not a port number"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *p = json_loads(cases[i].json, 0, NULL);
    cr_assert_not_null(p, "case %zu json", i);
    char *url, *reason;
    int rc = metrics_pod_scrape_url(p, &url, &reason);
    if (cases[i].url) {
      cr_assert_eq(rc, 0, "case %zu: %s", i, reason);
      cr_assert_str_eq(url, cases[i].url, "case %zu", i);
    } else {
      cr_assert_eq(rc, SW_ENOENT, "case %zu", i);
      cr_assert_str_eq(reason, cases[i].reason, "case %zu", i);
    }
    free(url);
    free(reason);
    json_decref(p);
  }
}

typedef struct env {
  uv_loop_t loop;
  store_t *store;
  plane p;
  tserver srv;
  int refused;
} env;

static void env_init(env *e, const route *routes, size_t n) {
  uv_loop_init(&e->loop);
  sw_err err;
  cr_assert_eq(store_open(&e->store, ":memory:", &err), 0, "%s", err.msg);
  plane_init(&e->p, &e->loop, e->store, 1);
  tserver_start(&e->loop, &e->srv, routes, n);
  e->refused = closed_port(&e->loop);
}

static void env_fini(env *e, metrics_hub *h) {
  plane_fini(&e->p); /* stop the controllers first: the plane cannot unregister one */
  metrics_hub_free(h);
  tserver_stop(&e->srv);
  loop_close(&e->loop);
  store_close(e->store);
}

typedef struct waitfor {
  metrics_hub *h;
  const char *pod, *metric;
  const char *substring; /* NULL: wait for a value */
} waitfor;

/* Every condition of a NULL-terminated (pod) list holds. */
static bool metrics_state(void *ud) {
  for (waitfor *w = ud; w->pod; w++) {
    double v, ts, win;
    sw_err err = {0};
    int rc = metrics_hub_pod_metric(w->h, "test", w->pod, w->metric, NULL, &v, &ts, &win, &err);
    if (w->substring ? !strstr(err.msg, w->substring) : rc != 0) return false;
  }
  return true;
}

static void expect_metric(metrics_hub *h, const char *pod_name, const char *metric, double want) {
  double v = -1, ts = 0, w = -1;
  sw_err err = {0};
  int rc = metrics_hub_pod_metric(h, "test", pod_name, metric, NULL, &v, &ts, &w, &err);
  cr_assert_eq(rc, 0, "%s of %s: %s", metric, pod_name, err.msg);
  cr_assert_float_eq(v, want, 1e-9, "%s of %s", metric, pod_name);
  cr_assert_gt(ts, 0);
}

static void expect_error(metrics_hub *h, const char *pod_name, const char *metric, int code,
                         const char *msg) {
  double v, ts, w;
  sw_err err = {0};
  int rc = metrics_hub_pod_metric(h, "test", pod_name, metric, NULL, &v, &ts, &w, &err);
  cr_assert_eq(rc, code, "%s of %s: rc %d (%s)", metric, pod_name, rc, err.msg);
  cr_assert_str_eq(err.msg, msg);
}

Test(hub, scrapes_ready_pods_and_explains_the_others) {
  static const route routes[] = {{"/metrics", 200, VLLM}};
  env e;
  env_init(&e, routes, 1);
  put_pod(e.store, pod("qwen3-5d8f7c9b6d-aaaaa", true, "true", 8000, e.srv.port, false));
  put_pod(e.store, pod("qwen3-5d8f7c9b6d-bbbbb", false, "true", 8000, e.srv.port, false));
  put_pod(e.store, pod("qwen3-5d8f7c9b6d-ccccc", true, "true", 8000, e.refused, false));
  put_pod(e.store, pod("qwen3-5d8f7c9b6d-ddddd", true, "false", 8000, e.srv.port, false));
  metrics_hub_opts o = {.interval = 0.05, .timeout = 0.5};
  sw_err err;
  metrics_hub *h = metrics_hub_new(&e.p, &o, NULL, &err);
  cr_assert_not_null(h, "%s", err.msg);
  cr_assert_eq(e.p.metrics, h);
  /* a pod created after the hub is found through the store watch */
  put_pod(e.store, pod("qwen3-5d8f7c9b6d-eeeee", true, "true", 8000, e.srv.port, false));
  char url[128], msg[1024];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", e.srv.port);
  snprintf(msg, sizeof msg,
           "no metric \"num_requests_waiting\" for pod test/qwen3-5d8f7c9b6d-aaaaa: the first scrape of %s "
           "has not "
           "finished yet",
           url);
  expect_error(h, "qwen3-5d8f7c9b6d-aaaaa", "num_requests_waiting", SW_EUNAVAIL, msg);
  waitfor w1[] = {{h, "qwen3-5d8f7c9b6d-aaaaa", "num_requests_waiting", NULL},
                  {h, "qwen3-5d8f7c9b6d-eeeee", "num_requests_waiting", NULL},
                  {h, "qwen3-5d8f7c9b6d-ccccc", "num_requests_waiting", "connection refused"},
                  {h, "qwen3-5d8f7c9b6d-aaaaa", "prompt_tokens", NULL}, /* a rate: two scrapes */
                  {NULL, NULL, NULL, NULL}};
  cr_assert(run_until(&e.loop, metrics_state, w1, 10000), "the first scrapes did not finish");

  expect_metric(h, "qwen3-5d8f7c9b6d-aaaaa", "num_requests_waiting", 58);
  expect_metric(h, "qwen3-5d8f7c9b6d-aaaaa", "num_requests_running", 3);
  expect_metric(h, "qwen3-5d8f7c9b6d-eeeee", "vllm:num_requests_waiting", 58);
  expect_metric(h, "qwen3-5d8f7c9b6d-aaaaa", "prompt_tokens", 0); /* a constant counter: rate 0 */
  double v;
  cr_assert_eq(metrics_hub_pod_gauge(h, "test", "qwen3-5d8f7c9b6d-aaaaa", "vllm:num_requests_running", &v),
               0);
  cr_assert_float_eq(v, 3, 0);
  cr_assert_eq(metrics_hub_pod_gauge(h, "test", "qwen3-5d8f7c9b6d-bbbbb", "vllm:num_requests_running", &v),
               SW_ENOENT);
  expect_error(
      h, "qwen3-5d8f7c9b6d-bbbbb", "num_requests_waiting", SW_ENOENT,
      "no metric \"num_requests_waiting\" for pod test/qwen3-5d8f7c9b6d-bbbbb: the pod is not scraped (it is "
      "not Ready)");
  expect_error(
      h, "qwen3-5d8f7c9b6d-ddddd", "num_requests_waiting", SW_ENOENT,
      "no metric \"num_requests_waiting\" for pod test/qwen3-5d8f7c9b6d-ddddd: the pod is not scraped (it is "
      "not annotated prometheus.io/scrape: \"true\")");
  snprintf(msg, sizeof msg,
           "no metric \"num_requests_waiting\" for pod test/qwen3-5d8f7c9b6d-ccccc: the pod's last scrape of "
           "http://127.0.0.1:%d/metrics failed (connection refused)",
           e.refused);
  expect_error(h, "qwen3-5d8f7c9b6d-ccccc", "num_requests_waiting", SW_EUNAVAIL, msg);
  snprintf(
      msg, sizeof msg,
      "no metric \"kv_cache_usage_perc\" for pod test/qwen3-5d8f7c9b6d-aaaaa: scraped 3 series from %s, but "
      "no "
      "rule gives the name \"kv_cache_usage_perc\" to any of the 3 scraped series (rules tried: seriesQuery "
      "\"{__name__=~\"vllm:.+\"}\" as \"${1}\"; seriesQuery \"{__name__=~\".+\"}\" as \"${1}\"; seriesQuery "
      "\"{__name__=~\"vllm:.+_total\"}\" as \"${1}\"; seriesQuery \"{__name__=~\".+_total\"}\" as \"${1}\")",
      url);
  expect_error(h, "qwen3-5d8f7c9b6d-aaaaa", "kv_cache_usage_perc", SW_ENOENT, msg);
  expect_error(h, "nope", "num_requests_waiting", SW_ENOENT,
               "no metric \"num_requests_waiting\" for pod test/nope: there is no such pod");

  json_t *names = metrics_hub_metric_names(h);
  char *dump = json_dumps(names, JSON_COMPACT);
  cr_assert_str_eq(dump,
                   "[\"num_requests_running\",\"num_requests_waiting\",\"prompt_tokens\","
                   "\"prompt_tokens_total\",\"vllm:num_requests_running\",\"vllm:num_requests_waiting\","
                   "\"vllm:prompt_tokens\",\"vllm:prompt_tokens_total\"]");
  free(dump);
  json_decref(names);
  json_t *status = metrics_hub_status(h);
  cr_assert_eq(json_array_size(status), 5);
  json_t *a = json_array_get(status, 0);
  cr_assert(json_is_true(json_object_get(a, "scraped")));
  cr_assert_eq(json_integer_value(json_object_get(a, "series")), 3);
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(status, 2), "lastError")),
                   "connection refused");
  json_decref(status);

  /* the pod starts terminating, then goes away */
  put_pod(e.store, pod("qwen3-5d8f7c9b6d-aaaaa", true, "true", 8000, e.srv.port, true));
  expect_error(
      h, "qwen3-5d8f7c9b6d-aaaaa", "num_requests_waiting", SW_ENOENT,
      "no metric \"num_requests_waiting\" for pod test/qwen3-5d8f7c9b6d-aaaaa: the pod is not scraped (it is "
      "terminating)");
  cr_assert_eq(store_delete(e.store, "Pod", "test", "qwen3-5d8f7c9b6d-aaaaa", 0, &err), 0, "%s", err.msg);
  expect_error(
      h, "qwen3-5d8f7c9b6d-aaaaa", "num_requests_waiting", SW_ENOENT,
      "no metric \"num_requests_waiting\" for pod test/qwen3-5d8f7c9b6d-aaaaa: there is no such pod");
  env_fini(&e, h);
}

Test(hub, seed_rules_from_a_file_and_custom_metrics_api) {
  static const route routes[] = {{"/metrics", 200, VLLM}};
  env e;
  env_init(&e, routes, 1);
  put_pod(e.store, pod("qwen3-5d8f7c9b6d-aaaaa", true, "true", 8000, e.srv.port, false));
  put_pod(e.store, pod("qwen3-5d8f7c9b6d-bbbbb", true, "true", 8000, e.srv.port, false));
  metrics_hub_opts o = {.interval = 0.05,
                        .timeout = 0.5,
                        .rules_file = SPILLWAY_SOURCE_DIR "/tests/fuzz/corpus/adapter_rules/seed_rules.yaml"};
  sw_err err;
  metrics_hub *h = metrics_hub_new(&e.p, &o, NULL, &err);
  cr_assert_not_null(h, "%s", err.msg);
  waitfor w1[] = {{h, "qwen3-5d8f7c9b6d-aaaaa", "num_requests_waiting", NULL},
                  {h, "qwen3-5d8f7c9b6d-bbbbb", "num_requests_running", NULL},
                  {NULL, NULL, NULL, NULL}};
  cr_assert(run_until(&e.loop, metrics_state, w1, 10000), "the first scrapes did not finish");
  expect_metric(h, "qwen3-5d8f7c9b6d-aaaaa", "num_requests_waiting", 58);
  expect_metric(h, "qwen3-5d8f7c9b6d-aaaaa", "num_requests_running", 3);
  char msg[1024];
  snprintf(
      msg, sizeof msg,
      "no metric \"vllm:num_requests_waiting\" for pod test/qwen3-5d8f7c9b6d-aaaaa: scraped 3 series from "
      "http://127.0.0.1:%d/metrics, but no rule gives the name \"vllm:num_requests_waiting\" to any of the 3 "
      "scraped "
      "series (rules tried: seriesQuery \"vllm:num_requests_waiting\" as \"num_requests_waiting\"; "
      "seriesQuery "
      "\"vllm:num_requests_running\" as \"num_requests_running\")",
      e.srv.port);
  expect_error(h, "qwen3-5d8f7c9b6d-aaaaa", "vllm:num_requests_waiting", SW_ENOENT, msg);

  int code;
  json_t *r = metrics_custom_api(h, "/apis/custom.metrics.k8s.io/v1beta1", NULL, &code);
  cr_assert_eq(code, 200);
  char *dump = json_dumps(r, JSON_COMPACT);
  cr_assert_str_eq(
      dump, "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":"
            "\"custom.metrics.k8s.io/v1beta1\",\"resources\":[{\"name\":\"pods/num_requests_running\","
            "\"singularName\":\"\",\"namespaced\":true,\"kind\":\"MetricValueList\",\"verbs\":[\"get\"]},"
            "{\"name\":\"pods/num_requests_waiting\",\"singularName\":\"\",\"namespaced\":true,\"kind\":"
            "\"MetricValueList\",\"verbs\":[\"get\"]}]}");
  free(dump);
  json_decref(r);

  r = metrics_custom_api(h,
                         "/apis/custom.metrics.k8s.io/v1beta1/namespaces/test/pods/qwen3-5d8f7c9b6d-aaaaa/"
                         "num_requests_waiting",
                         NULL, &code);
  cr_assert_eq(code, 200);
  cr_assert_str_eq(json_string_value(json_object_get(r, "kind")), "MetricValueList");
  json_t *item = json_array_get(json_object_get(r, "items"), 0);
  cr_assert_str_eq(json_string_value(json_object_get(item, "value")), "58");
  cr_assert_str_eq(json_string_value(json_object_get(item, "metricName")), "num_requests_waiting");
  json_t *d = json_object_get(item, "describedObject");
  cr_assert_str_eq(json_string_value(json_object_get(d, "kind")), "Pod");
  cr_assert_str_eq(json_string_value(json_object_get(d, "name")), "qwen3-5d8f7c9b6d-aaaaa");
  cr_assert_str_eq(json_string_value(json_object_get(d, "apiVersion")), "/v1");
  json_decref(r);

  r = metrics_custom_api(h, "/apis/custom.metrics.k8s.io/v1beta2/namespaces/test/pods/*/num_requests_running",
                         "labelSelector=app%3Dqwen3", &code);
  cr_assert_eq(code, 200);
  cr_assert_eq(json_array_size(json_object_get(r, "items")), 2);
  item = json_array_get(json_object_get(r, "items"), 1);
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(item, "metric"), "name")),
                   "num_requests_running");
  cr_assert_str_eq(json_string_value(json_object_get(item, "value")), "3");
  json_decref(r);
  r = metrics_custom_api(h, "/apis/custom.metrics.k8s.io/v1beta1/namespaces/test/pods/*/num_requests_running",
                         "labelSelector=app+in+(other)", &code);
  cr_assert_eq(code, 200);
  cr_assert_eq(json_array_size(json_object_get(r, "items")), 0);
  json_decref(r);
  r = metrics_custom_api(h, "/apis/custom.metrics.k8s.io/v1beta1/namespaces/test/pods/*/num_requests_running",
                         "metricLabelSelector=model_name%3Dother", &code);
  cr_assert_eq(code, 404);
  cr_assert(strstr(json_string_value(json_object_get(r, "message")),
                   "gave no value for the pod: no series matches "
                   "vllm:num_requests_running{"),
            "%s", json_string_value(json_object_get(r, "message")));
  json_decref(r);

  r = metrics_custom_api(
      h, "/apis/custom.metrics.k8s.io/v1beta1/namespaces/test/pods/qwen3-x/num_requests_waiting", NULL,
      &code);
  cr_assert_eq(code, 404);
  cr_assert_str_eq(json_string_value(json_object_get(r, "kind")), "Status");
  cr_assert_str_eq(json_string_value(json_object_get(r, "reason")), "NotFound");
  cr_assert_str_eq(json_string_value(json_object_get(r, "message")),
                   "no metric \"num_requests_waiting\" for pod test/qwen3-x: there is no such pod");
  json_decref(r);
  r = metrics_custom_api(h, "/apis/custom.metrics.k8s.io", NULL, &code);
  cr_assert_eq(code, 200);
  cr_assert_str_eq(json_string_value(json_object_get(r, "kind")), "APIGroup");
  json_decref(r);
  r = metrics_custom_api(h, "/apis/custom.metrics.k8s.io/v2/foo", NULL, &code);
  cr_assert_eq(code, 404);
  json_decref(r);
  r = metrics_custom_api(h, "/apis/other", NULL, &code);
  cr_assert_eq(code, 404);
  json_decref(r);
  env_fini(&e, h);
}

Test(hub, quantity_format) {
  static const struct {
    double v;
    const char *want;
  } cases[] = {{58, "58"}, {0, "0"},    {1.5, "1500m"}, {58000, "58k"}, {0.25, "250m"},
               {-2, "-2"}, {1e6, "1M"}, {1500, "1500"}, {0.0004, "0"},  {123456.789, "123456789m"},
               {3e9, "3G"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char b[64];
    metrics_quantity(cases[i].v, b, sizeof b);
    cr_assert_str_eq(b, cases[i].want, "%g", cases[i].v);
  }
}

/* ---- Prometheus source ----------------------------------------------------------- */

static const char SERIES_JSON[] =
    "{\"status\":\"success\",\"data\":[{\"__name__\":\"vllm:num_requests_waiting\",\"kubernetes_namespace\":"
    "\"test\",\"kubernetes_pod_name\":\"qwen3-5d8f7c9b6d-aaaaa\"}]}";
static const char QUERY_JSON[] = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{"
                                 "\"metric\":{\"kubernetes_pod_name\":"
                                 "\"qwen3-5d8f7c9b6d-aaaaa\"},\"value\":[1700000000.5,\"7\"]}]}}";

Test(hub, prometheus_source) {
  static const route routes[] = {{"/api/v1/series?match[]=vllm%3Anum_requests_waiting", 200, SERIES_JSON},
                                 {"/api/v1/series", 200, "{\"status\":\"success\",\"data\":[]}"},
                                 {"/api/v1/query", 200, QUERY_JSON}};
  env e;
  env_init(&e, routes, 3);
  put_pod(e.store, pod("qwen3-5d8f7c9b6d-aaaaa", true, "true", 8000, e.refused, false));
  char purl[64];
  snprintf(purl, sizeof purl, "http://127.0.0.1:%d", e.srv.port);
  metrics_hub_opts o = {.interval = 0.05,
                        .timeout = 0.5,
                        .prometheus_url = purl,
                        .rules_file = SPILLWAY_SOURCE_DIR "/tests/fuzz/corpus/adapter_rules/seed_rules.yaml"};
  sw_err err;
  metrics_hub *h = metrics_hub_new(&e.p, &o, NULL, &err);
  cr_assert_not_null(h, "%s", err.msg);
  char msg[1024];
  snprintf(
      msg, sizeof msg,
      "no metric \"num_requests_waiting\" for pod test/qwen3-5d8f7c9b6d-aaaaa: the first series discovery at "
      "Prometheus %s has not finished yet",
      purl);
  expect_error(h, "qwen3-5d8f7c9b6d-aaaaa", "num_requests_waiting", SW_EUNAVAIL, msg);
  /* the first question after discovery creates the cached query */
  waitfor w1[] = {{h, "qwen3-5d8f7c9b6d-aaaaa", "num_requests_waiting", "has not answered yet"},
                  {NULL, NULL, NULL, NULL}};
  cr_assert(run_until(&e.loop, metrics_state, w1, 10000), "discovery did not finish");
  snprintf(msg, sizeof msg,
           "no metric \"num_requests_waiting\" for pod test/qwen3-5d8f7c9b6d-aaaaa: the query to Prometheus "
           "at %s has "
           "not answered yet",
           purl);
  expect_error(h, "qwen3-5d8f7c9b6d-aaaaa", "num_requests_waiting", SW_EUNAVAIL, msg);
  waitfor w2[] = {{h, "qwen3-5d8f7c9b6d-aaaaa", "num_requests_waiting", NULL}, {NULL, NULL, NULL, NULL}};
  cr_assert(run_until(&e.loop, metrics_state, w2, 10000), "the query was not answered");
  double v, ts, w;
  cr_assert_eq(metrics_hub_pod_metric(h, "test", "qwen3-5d8f7c9b6d-aaaaa", "num_requests_waiting", NULL, &v,
                                      &ts, &w, &err),
               0, "%s", err.msg);
  cr_assert_float_eq(v, 7, 0);
  cr_assert_float_eq(ts, 1700000000.5, 1e-6);
  cr_assert(strstr(e.srv.last_url,
                   "/api/v1/query?query=sum%28vllm%3Anum_requests_waiting%7Bkubernetes_namespace%3D%"
                   "22test%22%2Ckubernetes_pod_name%3D%22qwen3-5d8f7c9b6d-aaaaa%22%7D%29"),
            "%s", e.srv.last_url);
  snprintf(msg, sizeof msg,
           "no metric \"num_requests_running\" for pod test/qwen3-5d8f7c9b6d-aaaaa: Prometheus at %s has no "
           "series "
           "matching rule seriesQuery \"vllm:num_requests_running\" (" SPILLWAY_SOURCE_DIR
           "/tests/fuzz/corpus/adapter_rules/seed_rules.yaml:11)",
           purl);
  expect_error(h, "qwen3-5d8f7c9b6d-aaaaa", "num_requests_running", SW_ENOENT, msg);
  json_t *names = metrics_hub_metric_names(h);
  cr_assert_eq(json_array_size(names), 1);
  json_decref(names);
  env_fini(&e, h);
}

Test(hub, unreachable_prometheus) {
  env e;
  env_init(&e, NULL, 0);
  put_pod(e.store, pod("qwen3-5d8f7c9b6d-aaaaa", true, "true", 8000, e.refused, false));
  char purl[64];
  snprintf(purl, sizeof purl, "http://127.0.0.1:%d", e.refused);
  metrics_hub_opts o = {.interval = 0.05, .timeout = 0.5, .prometheus_url = purl};
  sw_err err;
  metrics_hub *h = metrics_hub_new(&e.p, &o, NULL, &err);
  waitfor w1[] = {{h, "qwen3-5d8f7c9b6d-aaaaa", "num_requests_waiting", "did not answer"},
                  {NULL, NULL, NULL, NULL}};
  cr_assert(run_until(&e.loop, metrics_state, w1, 10000), "discovery did not fail");
  char msg[1024];
  snprintf(msg, sizeof msg,
           "no metric \"num_requests_waiting\" for pod test/qwen3-5d8f7c9b6d-aaaaa: Prometheus at %s did not "
           "answer "
           "series query \"{__name__=~\"vllm:.+\"}\" (connection refused)",
           purl);
  expect_error(h, "qwen3-5d8f7c9b6d-aaaaa", "num_requests_waiting", SW_EUNAVAIL, msg);
  env_fini(&e, h);
}

Test(promclient, parse_answers) {
  static const struct {
    const char *body;
    long status;
    const char *error; /* NULL: ok */
    size_t n;
  } cases[] = {
      {QUERY_JSON, 200, NULL, 1},
      {"{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"NaN\"]}}", 200, NULL, 1},
      {"{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error at char 5\"}", 400,
       "HTTP 400: bad_data: parse error at char 5", 0},
      {"<html>oops</html>", 502,
       "HTTP 502, not a Prometheus API answer ('[' or '{' expected near '<' in \"<html>oops</html>\")", 0},
      {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}", 200,
       "expected an instant vector result, got resultType matrix", 0},
      {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,"
       "2]}]}}",
       200, "result[0]: expected {\"metric\": {...}, \"value\": [time, \"number\"]}", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *res;
    sw_err err = {0};
    int rc = promclient_parse_query(cases[i].body, strlen(cases[i].body), cases[i].status, &res, &err);
    if (!cases[i].error) {
      cr_assert_eq(rc, 0, "case %zu: %s", i, err.msg);
      cr_assert_eq(json_array_size(res), cases[i].n);
      json_decref(res);
    } else {
      cr_assert_neq(rc, 0, "case %zu", i);
      cr_assert_str_eq(err.msg, cases[i].error, "case %zu", i);
    }
  }
  json_t *d;
  sw_err err;
  cr_assert_eq(promclient_parse_series(SERIES_JSON, strlen(SERIES_JSON), 200, &d, &err), 0);
  cr_assert_eq(json_array_size(d), 1);
  json_decref(d);
}

Test(hub, nan_is_no_value) {
  static const route routes[] = {{"/metrics", 200,
                                  "# TYPE vllm:e2e_request_latency_seconds histogram\n"
                                  "vllm:e2e_request_latency_seconds_bucket{le=\"1\"} 0\n"
                                  "vllm:e2e_request_latency_seconds_bucket{le=\"+Inf\"} 0\n"
                                  "vllm:e2e_request_latency_seconds_count 0\n"}};
  env e;
  env_init(&e, routes, 1);
  put_pod(e.store, pod("qwen3-5d8f7c9b6d-aaaaa", true, "true", 8000, e.srv.port, false));
  char rules[] = "/tmp/spillway-test-rules-XXXXXX";
  int fd = mkstemp(rules);
  cr_assert_geq(fd, 0);
  static const char text[] =
      "rules:\n- seriesQuery: 'vllm:e2e_request_latency_seconds_bucket'\n"
      "  resources: {overrides: {namespace: {resource: namespace}, pod: {resource: pod}}}\n"
      "  name: {matches: '^vllm:(.*)_bucket$', as: '${1}_p90'}\n"
      "  metricsQuery: 'histogram_quantile(0.9, sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (le, "
      "<<.GroupBy>>))'\n";
  cr_assert_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
  close(fd);
  metrics_hub_opts o = {.interval = 0.05, .timeout = 0.5, .rules_file = rules};
  sw_err err;
  metrics_hub *h = metrics_hub_new(&e.p, &o, NULL, &err);
  unlink(rules);
  cr_assert_not_null(h, "%s", err.msg);
  waitfor w[] = {{h, "qwen3-5d8f7c9b6d-aaaaa", "e2e_request_latency_seconds_p90", "gave NaN"},
                 {NULL, NULL, NULL, NULL}};
  cr_assert(run_until(&e.loop, metrics_state, w, 10000), "no NaN answer");
  expect_error(
      h, "qwen3-5d8f7c9b6d-aaaaa", "e2e_request_latency_seconds_p90", SW_ENOENT,
      "no metric \"e2e_request_latency_seconds_p90\" for pod test/qwen3-5d8f7c9b6d-aaaaa: query "
      "\"histogram_quantile(0.9, sum(rate(vllm:e2e_request_latency_seconds_bucket{namespace=\"test\","
      "pod=\"qwen3-5d8f7c9b6d-aaaaa\"}[1m])) by (le, pod))\" gave NaN for the pod (for a "
      "histogram_quantile: no observations in the window)");
  env_fini(&e, h);
}
