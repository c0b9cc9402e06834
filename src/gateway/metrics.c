/*
 * metrics.c — what the gateway counts and the /metrics listener that shows it
 * (Prometheus text format 0.0.4), on its own port and its own thread so a
 * saturated data plane still answers scrapes.
 *
 * Workers count into their own gw_wmetrics under their own mutex (only the
 * metrics thread ever contends for it); per-replica in-flight counts are read
 * from the endpoint table (an RCU reader slot of its own). Label values are
 * escaped as the exposition format requires.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_int.h"

const double gw_buckets[GW_NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                        1,      2.5,   5,      10,    20,   40,    80,   160, 320};
const char *const gw_retry_names[GW_RETRY_N] = {"refused", "reset", "503", "connect_timeout",
                                                "stale_keepalive"};

void gw_metrics_init(gw_wmetrics *m) {
  memset(m, 0, sizeof *m);
  pthread_mutex_init(&m->mu, NULL);
}

void gw_metrics_free(gw_wmetrics *m) {
  for (size_t i = 0; i < m->counts.len; i++) {
    free(m->counts.items[i].model);
    free(m->counts.items[i].cluster);
  }
  for (size_t i = 0; i < m->hists.len; i++) free(m->hists.items[i].model);
  sw_vec_free(&m->counts);
  sw_vec_free(&m->hists);
  pthread_mutex_destroy(&m->mu);
}

static int bucket_of(double v) {
  for (int i = 0; i < GW_NBUCKETS; i++)
    if (v <= gw_buckets[i]) return i;
  return GW_NBUCKETS;
}

void gw_metrics_request(gw_wmetrics *m, const char *model, const char *cluster, int code, double ttfb,
                        double dur) {
  if (!model) model = "";
  if (!cluster) cluster = "";
  pthread_mutex_lock(&m->mu);
  gw_mcount *mc = NULL;
  for (size_t i = 0; i < m->counts.len; i++) {
    gw_mcount *x = &m->counts.items[i];
    if (x->code == code && strcmp(x->model, model) == 0 && strcmp(x->cluster, cluster) == 0) {
      mc = x;
      break;
    }
  }
  if (!mc) {
    gw_mcount n = {.model = sw_xstrdup(model), .cluster = sw_xstrdup(cluster), .code = code};
    sw_vec_push(&m->counts, n);
    mc = &m->counts.items[m->counts.len - 1];
  }
  mc->n++;
  gw_hist *h = NULL;
  for (size_t i = 0; i < m->hists.len; i++)
    if (strcmp(m->hists.items[i].model, model) == 0) {
      h = &m->hists.items[i];
      break;
    }
  if (!h) {
    gw_hist n = {.model = sw_xstrdup(model)};
    sw_vec_push(&m->hists, n);
    h = &m->hists.items[m->hists.len - 1];
  }
  if (ttfb >= 0) {
    h->ttfb[bucket_of(ttfb)]++;
    h->ttfb_sum += ttfb;
    h->ttfb_n++;
  }
  h->dur[bucket_of(dur)]++;
  h->dur_sum += dur;
  h->dur_n++;
  pthread_mutex_unlock(&m->mu);
}

void gw_metrics_retry(gw_wmetrics *m, int reason) {
  pthread_mutex_lock(&m->mu);
  m->retries[reason]++;
  pthread_mutex_unlock(&m->mu);
}

/* ---- rendering -------------------------------------------------------------- */

static void label(sw_buf *b, const char *name, const char *v, bool first) {
  sw_buf_printf(b, "%s%s=\"", first ? "" : ",", name);
  for (const char *p = v; *p; p++) {
    if (*p == '\\')
      sw_buf_puts(b, "\\\\");
    else if (*p == '"')
      sw_buf_puts(b, "\\\"");
    else if (*p == '\n')
      sw_buf_puts(b, "\\n");
    else
      sw_buf_append(b, p, 1);
  }
  sw_buf_puts(b, "\"");
}

static void num(sw_buf *b, double v) {
  if (isnan(v))
    sw_buf_puts(b, "NaN");
  else if (isinf(v))
    sw_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
  else
    sw_buf_printf(b, "%.17g", v);
}

static void head(sw_buf *b, const char *name, const char *type, const char *help) {
  sw_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

typedef struct agg {
  SW_VEC(gw_mcount) counts;
  SW_VEC(gw_hist) hists;
  uint64_t retries[GW_RETRY_N];
  uint64_t conns_accepted, up_connects, up_reused, client_errors, queued_total, queue_timeouts;
} agg;

static void aggregate(gw_gateway *g, agg *a) {
  memset(a, 0, sizeof *a);
  for (int wi = 0; wi < g->nworkers; wi++) {
    gw_wmetrics *m = &g->workers[wi].m;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->counts.len; i++) {
      gw_mcount *x = &m->counts.items[i], *y = NULL;
      for (size_t j = 0; j < a->counts.len; j++)
        if (a->counts.items[j].code == x->code && strcmp(a->counts.items[j].model, x->model) == 0 &&
            strcmp(a->counts.items[j].cluster, x->cluster) == 0)
          y = &a->counts.items[j];
      if (y)
        y->n += x->n;
      else {
        gw_mcount n = {
            .model = sw_xstrdup(x->model), .cluster = sw_xstrdup(x->cluster), .code = x->code, .n = x->n};
        sw_vec_push(&a->counts, n);
      }
    }
    for (size_t i = 0; i < m->hists.len; i++) {
      gw_hist *x = &m->hists.items[i], *y = NULL;
      for (size_t j = 0; j < a->hists.len; j++)
        if (strcmp(a->hists.items[j].model, x->model) == 0) y = &a->hists.items[j];
      if (!y) {
        gw_hist n = {.model = sw_xstrdup(x->model)};
        sw_vec_push(&a->hists, n);
        y = &a->hists.items[a->hists.len - 1];
      }
      for (int k = 0; k <= GW_NBUCKETS; k++) {
        y->ttfb[k] += x->ttfb[k];
        y->dur[k] += x->dur[k];
      }
      y->ttfb_sum += x->ttfb_sum;
      y->dur_sum += x->dur_sum;
      y->ttfb_n += x->ttfb_n;
      y->dur_n += x->dur_n;
    }
    for (int k = 0; k < GW_RETRY_N; k++) a->retries[k] += m->retries[k];
    /* Atomics written by the worker without the lock. */
    a->conns_accepted += m->conns_accepted;
    a->up_connects += m->up_connects;
    a->up_reused += m->up_reused;
    a->client_errors += m->client_errors;
    a->queued_total += m->queued_total;
    a->queue_timeouts += m->queue_timeouts;
    pthread_mutex_unlock(&m->mu);
  }
}

static void hist_out(sw_buf *b, const char *name, const char *model, const uint64_t *bk, double sum,
                     uint64_t n) {
  uint64_t cum = 0;
  for (int k = 0; k <= GW_NBUCKETS; k++) {
    cum += bk[k];
    sw_buf_printf(b, "%s_bucket{", name);
    label(b, "model", model, true);
    if (k < GW_NBUCKETS)
      sw_buf_printf(b, ",le=\"%g\"} %llu\n", gw_buckets[k], (unsigned long long)cum);
    else
      sw_buf_printf(b, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
  }
  sw_buf_printf(b, "%s_sum{", name);
  label(b, "model", model, true);
  sw_buf_puts(b, "} ");
  num(b, sum);
  sw_buf_printf(b, "\n%s_count{", name);
  label(b, "model", model, true);
  sw_buf_printf(b, "} %llu\n", (unsigned long long)n);
}

void gw_metrics_render(gw_gateway *g, _Atomic uint64_t *rcu_slot, sw_buf *b) {
  agg a;
  aggregate(g, &a);
  head(b, "spillway_gateway_requests_total", "counter",
       "Requests answered, by model, HTTP status and the cluster of the replica that answered.");
  for (size_t i = 0; i < a.counts.len; i++) {
    gw_mcount *x = &a.counts.items[i];
    sw_buf_puts(b, "spillway_gateway_requests_total{");
    label(b, "model", x->model, true);
    sw_buf_printf(b, ",code=\"%d\"", x->code);
    label(b, "cluster", x->cluster, false);
    sw_buf_printf(b, "} %llu\n", (unsigned long long)x->n);
  }
  head(b, "spillway_gateway_ttfb_seconds", "histogram",
       "Time from the request's arrival to the first byte of the replica's response.");
  for (size_t i = 0; i < a.hists.len; i++)
    hist_out(b, "spillway_gateway_ttfb_seconds", a.hists.items[i].model, a.hists.items[i].ttfb,
             a.hists.items[i].ttfb_sum, a.hists.items[i].ttfb_n);
  head(b, "spillway_gateway_request_duration_seconds", "histogram",
       "Time from the request's arrival to the last byte of the response.");
  for (size_t i = 0; i < a.hists.len; i++)
    hist_out(b, "spillway_gateway_request_duration_seconds", a.hists.items[i].model, a.hists.items[i].dur,
             a.hists.items[i].dur_sum, a.hists.items[i].dur_n);
  head(b, "spillway_gateway_retries_total", "counter", "Requests sent again, by the reason.");
  for (int k = 0; k < GW_RETRY_N; k++)
    sw_buf_printf(b, "spillway_gateway_retries_total{reason=\"%s\"} %llu\n", gw_retry_names[k],
                  (unsigned long long)a.retries[k]);
  head(b, "spillway_gateway_queue_length", "gauge",
       "Requests held because their model has no ready replica.");
  sw_buf_printf(b, "spillway_gateway_queue_length %d\n", atomic_load(&g->queued));
  head(b, "spillway_gateway_queued_total", "counter", "Requests that entered the no-capacity queue.");
  sw_buf_printf(b, "spillway_gateway_queued_total %llu\n", (unsigned long long)a.queued_total);
  head(b, "spillway_gateway_queue_timeouts_total", "counter",
       "Queued requests answered 503 at their deadline.");
  sw_buf_printf(b, "spillway_gateway_queue_timeouts_total %llu\n", (unsigned long long)a.queue_timeouts);
  head(b, "spillway_gateway_client_errors_total", "counter",
       "Requests refused before routing: malformed, too large, too slow.");
  sw_buf_printf(b, "spillway_gateway_client_errors_total %llu\n", (unsigned long long)a.client_errors);
  head(b, "spillway_gateway_connections_accepted_total", "counter", "Client connections accepted.");
  sw_buf_printf(b, "spillway_gateway_connections_accepted_total %llu\n",
                (unsigned long long)a.conns_accepted);
  head(b, "spillway_gateway_upstream_connects_total", "counter", "Connections opened to replicas.");
  sw_buf_printf(b, "spillway_gateway_upstream_connects_total %llu\n", (unsigned long long)a.up_connects);
  head(b, "spillway_gateway_upstream_reuses_total", "counter",
       "Requests sent on a kept-alive replica connection.");
  sw_buf_printf(b, "spillway_gateway_upstream_reuses_total %llu\n", (unsigned long long)a.up_reused);

  head(b, "spillway_gateway_inflight", "gauge", "Requests in flight to each replica from this gateway.");
  sw_buf tail;
  sw_buf_init(&tail);
  head(&tail, "spillway_gateway_replica_routable", "gauge",
       "1 when the replica receives new requests (ready, not terminating).");
  gw_rcu_enter(g, rcu_slot);
  gw_table *t = atomic_load(&g->table);
  for (size_t i = 0; i < t->n_eps; i++) {
    gw_ep *ep = t->eps[i];
    for (int pass = 0; pass < 2; pass++) {
      sw_buf *o = pass ? &tail : b;
      sw_buf_puts(o, pass ? "spillway_gateway_replica_routable{" : "spillway_gateway_inflight{");
      label(o, "model", ep->model, true);
      label(o, "pod", ep->pod, false);
      label(o, "cluster", ep->cluster, false);
      label(o, "replica", ep->addr, false);
      if (pass)
        sw_buf_printf(o, "} %d\n", atomic_load(&ep->retired) ? 0 : 1);
      else
        sw_buf_printf(o, "} %d\n", atomic_load(&ep->inflight));
    }
  }
  gw_rcu_exit(rcu_slot);
  sw_buf_append(b, tail.data, tail.len);
  sw_buf_free(&tail);

  for (size_t i = 0; i < a.counts.len; i++) {
    free(a.counts.items[i].model);
    free(a.counts.items[i].cluster);
  }
  for (size_t i = 0; i < a.hists.len; i++) free(a.hists.items[i].model);
  sw_vec_free(&a.counts);
  sw_vec_free(&a.hists);
}

/* ---- the /metrics listener ---------------------------------------------------- */

struct gw_mserver {
  gw_gateway *g;
  pthread_t thread;
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_async_t stop;
  _Atomic uint64_t rcu;
  struct mconn *conns;
};

typedef struct mconn {
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_write_t wreq;
  gw_mserver *ms;
  gw_reqp rp;
  char rbuf[4096];
  sw_buf out;
  int open;
  bool closing;
  struct mconn *next, *prev;
} mconn;

static void m_closed(uv_handle_t *h) {
  mconn *c = h->data;
  if (--c->open > 0) return;
  gw_reqp_free(&c->rp);
  sw_buf_free(&c->out);
  free(c);
}

static void m_close(mconn *c) {
  if (c->closing) return;
  c->closing = true;
  if (c->prev)
    c->prev->next = c->next;
  else
    c->ms->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  uv_close((uv_handle_t *)&c->tcp, m_closed);
  uv_close((uv_handle_t *)&c->timer, m_closed);
}

static void m_written(uv_write_t *w, int status) {
  (void)status;
  m_close(w->data);
}

static void m_reply(mconn *c, int status, const char *ctype, const char *body, size_t len) {
  sw_buf_printf(&c->out,
                "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                status, gw_status_text(status), ctype, len);
  sw_buf_append(&c->out, body, len);
  uv_read_stop((uv_stream_t *)&c->tcp);
  uv_buf_t b = uv_buf_init(c->out.data, (unsigned)c->out.len);
  c->wreq.data = c;
  if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, m_written) != 0) m_close(c);
}

static void m_alloc(uv_handle_t *h, size_t s, uv_buf_t *buf) {
  (void)s;
  mconn *c = h->data;
  *buf = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void m_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  mconn *c = s->data;
  if (n < 0) {
    m_close(c);
    return;
  }
  if (n == 0) return;
  size_t used;
  gw_reqp_state st = gw_reqp_feed(&c->rp, buf->base, (size_t)n, &used);
  if (st == GW_REQP_ERROR) {
    static const char msg[] = "bad request\n";
    m_reply(c, c->rp.error_status ? c->rp.error_status : 400, "text/plain", msg, sizeof msg - 1);
    return;
  }
  if (st != GW_REQP_DONE) return;
  char path[256];
  if (gw_reqp_path(&c->rp, path, sizeof path) && strcmp(path, "/metrics") == 0 &&
      (c->rp.parser.method == HTTP_GET || c->rp.parser.method == HTTP_HEAD)) {
    sw_buf body;
    sw_buf_init(&body);
    gw_metrics_render(c->ms->g, &c->ms->rcu, &body);
    m_reply(c, 200, "text/plain; version=0.0.4; charset=utf-8", body.data, body.len);
    sw_buf_free(&body);
    return;
  }
  static const char nf[] = "not found: the gateway's metrics are at /metrics\n";
  m_reply(c, 404, "text/plain", nf, sizeof nf - 1);
}

static void m_timeout(uv_timer_t *t) { m_close(t->data); }

static void m_accept(uv_stream_t *s, int status) {
  gw_mserver *ms = s->data;
  if (status < 0) return;
  mconn *c = sw_xcalloc(1, sizeof *c);
  c->ms = ms;
  uv_tcp_init(&ms->loop, &c->tcp);
  c->tcp.data = c;
  uv_timer_init(&ms->loop, &c->timer);
  c->timer.data = c;
  c->open = 2;
  gw_reqp_init(&c->rp, 8192, 0);
  sw_buf_init(&c->out);
  c->next = ms->conns;
  if (ms->conns) ms->conns->prev = c;
  ms->conns = c;
  if (uv_accept(s, (uv_stream_t *)&c->tcp) != 0) {
    m_close(c);
    return;
  }
  uv_timer_start(&c->timer, m_timeout, 10000, 0);
  uv_read_start((uv_stream_t *)&c->tcp, m_alloc, m_read);
}

static void m_nop_close(uv_handle_t *h) { (void)h; }

static void m_stop(uv_async_t *a) {
  gw_mserver *ms = a->data;
  while (ms->conns) m_close(ms->conns);
  uv_close((uv_handle_t *)&ms->listener, m_nop_close);
  uv_close((uv_handle_t *)&ms->stop, m_nop_close);
}

static void *m_main(void *arg) {
  gw_mserver *ms = arg;
  uv_run(&ms->loop, UV_RUN_DEFAULT);
  return NULL;
}

int gw_mserver_start(gw_gateway *g, const char *host, int port, gw_mserver **out, int *bound, sw_err *err) {
  gw_mserver *ms = sw_xcalloc(1, sizeof *ms);
  ms->g = g;
  atomic_init(&ms->rcu, 0);
  uv_loop_init(&ms->loop);
  uv_tcp_init(&ms->loop, &ms->listener);
  ms->listener.data = ms;
  struct sockaddr_storage ss;
  int rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
  if (rc != 0) rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss);
  if (rc == 0) rc = uv_tcp_bind(&ms->listener, (struct sockaddr *)&ss, 0);
  if (rc == 0) rc = uv_listen((uv_stream_t *)&ms->listener, 128, m_accept);
  if (rc != 0) {
    sw_err_set(err, SW_EIO, "metrics listener %s:%d: %s", host, port, uv_strerror(rc));
    uv_close((uv_handle_t *)&ms->listener, NULL);
    uv_run(&ms->loop, UV_RUN_DEFAULT);
    uv_loop_close(&ms->loop);
    free(ms);
    return SW_EIO;
  }
  struct sockaddr_storage name;
  int len = sizeof name;
  uv_tcp_getsockname(&ms->listener, (struct sockaddr *)&name, &len);
  *bound = name.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&name)->sin6_port)
                                      : ntohs(((struct sockaddr_in *)&name)->sin_port);
  uv_async_init(&ms->loop, &ms->stop, m_stop);
  ms->stop.data = ms;
  g->rcu_slots[g->n_rcu_slots++] = &ms->rcu;
  pthread_create(&ms->thread, NULL, m_main, ms);
  *out = ms;
  return 0;
}

void gw_mserver_stop(gw_mserver *ms) {
  uv_async_send(&ms->stop);
  pthread_join(ms->thread, NULL);
  uv_loop_close(&ms->loop);
  free(ms);
}
