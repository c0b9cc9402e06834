/*
 * proxy.c — the request path from routing to the last byte: pick a replica
 * (policy over the endpoint table), take a kept-alive connection from the
 * replica's pool or open one, send the request, pass the response through
 * as it arrives, retry where that is safe, and hold requests in the
 * no-capacity queue while a model has no ready replica.
 *
 * Owns gw_req and gw_up. Pass-through is zero-copy: the replica's bytes are
 * read into a block and the same bytes are written to the client (only our
 * rebuilt response head is new). Streaming is therefore chunk by chunk, and
 * a slow client pauses reading from the replica instead of growing memory.
 *
 * Retries (as the issue decides): connection refused, reset before the
 * first byte, or a 503 head -> once, on another replica; never after a byte
 * reached the client. A pooled connection the replica closed just as we
 * reused it (the keep-alive race every proxy has) is retried once on a fresh
 * connection to the same replica without counting as the retry.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_int.h"

enum { UP_CONNECTING, UP_ACTIVE, UP_IDLE, UP_CLOSING };
enum { F_CONNECT, F_CONNECT_TIMEOUT, F_RESET, F_PROTO, F_FIRST_BYTE_TIMEOUT, F_IDLE_TIMEOUT };
enum { R_ROUTED, R_UNKNOWN, R_NO_CAPACITY, R_NO_OTHER, R_NO_MODEL };

struct gw_up {
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_connect_t creq;
  gw_worker *w;
  gw_ep *ep; /* reference held */
  gw_req *req;
  gw_respp rp;
  int state;
  bool reused, got_bytes, paused, reading;
  int open_handles;
  uint64_t deadline; /* loop ms; see gw_deadline_set */
  gw_up *pnext, *pprev;
};

static void attempt(gw_req *r, gw_ep *ep, bool fresh);
static void up_close(gw_up *up);
static void up_fail(gw_up *up, int kind, int err);
static void on_up_timer(uv_timer_t *t);

static const char *fail_text(int kind) {
  switch (kind) {
  case F_CONNECT:
    return "connection failed";
  case F_CONNECT_TIMEOUT:
    return "connect timed out";
  case F_RESET:
    return "connection closed before a response";
  case F_PROTO:
    return "malformed response";
  case F_FIRST_BYTE_TIMEOUT:
    return "no response within the first-byte timeout";
  default:
    return "response stalled (idle timeout)";
  }
}

/* ---- requests ------------------------------------------------------------------ */

/* Requests are recycled per worker with their buffers, so the steady state
 * allocates nothing per request. */
gw_req *gw_req_new(gw_conn *c) {
  gw_worker *w = c->w;
  gw_req *r = w->free_reqs;
  if (r) {
    w->free_reqs = r->q_next;
    w->n_free_reqs--;
    sw_buf up = r->up_head, out = r->out_head;
    uv_buf_t *iov = r->iov;
    unsigned cap = r->cap_iov;
    memset(r, 0, sizeof *r);
    r->up_head = up;
    r->out_head = out;
    r->iov = iov;
    r->cap_iov = cap;
    sw_buf_reset(&r->up_head);
    sw_buf_reset(&r->out_head);
  } else {
    r = sw_xcalloc(1, sizeof *r);
    sw_buf_init(&r->up_head);
    sw_buf_init(&r->out_head);
  }
  r->c = c;
  r->w = w;
  r->t_start = uv_hrtime();
  return r;
}

void gw_req_free(gw_req *r) {
  if (!r) return;
  gw_ep_unref(r->excluded);
  r->excluded = NULL;
  gw_worker *w = r->w;
  if (w->n_free_reqs < 256 && r->up_head.cap <= 16384 && r->out_head.cap <= 16384) {
    r->q_next = w->free_reqs;
    w->free_reqs = r;
    w->n_free_reqs++;
    return;
  }
  gw_req_destroy(r);
}

void gw_req_destroy(gw_req *r) {
  sw_buf_free(&r->up_head);
  sw_buf_free(&r->out_head);
  free(r->iov);
  free(r);
}

static void release_ep(gw_req *r) {
  if (!r->ep) return;
  atomic_fetch_sub_explicit(&r->ep->inflight, 1, memory_order_relaxed);
  gw_ep_unref(r->ep);
  r->ep = NULL;
}

static void access_log(gw_req *r, int status, double ttfb, double dur) {
  gw_worker *w = r->w;
  gw_conn *c = r->c;
  char ts[32];
  sw_time_format(sw_wall_now(), ts, sizeof ts);
  sw_buf *b = &w->logline;
  sw_buf_reset(b);
  sw_buf_printf(b,
                "%s %s \"%s %s\" %d %" PRIu64 " model=%s replica=%s cluster=%s retries=%d ttfb_ms=%.3f "
                "duration_ms=%.3f stream=%s\n",
                ts, c->remote[0] ? c->remote : "-", c->rp.headers_done ? gw_reqp_method(&c->rp) : "-",
                c->rp.headers_done ? gw_reqp_url(&c->rp) : "-", status, r->bytes_out,
                r->model[0] ? r->model : "-", r->replica[0] ? r->replica : "-",
                r->cluster[0] ? r->cluster : "-", r->retried ? 1 : 0, ttfb >= 0 ? ttfb * 1000 : 0.0,
                dur * 1000, r->bi.stream ? "true" : "false");
  FILE *f = w->g->cfg.access_log_file ? w->g->cfg.access_log_file : stderr;
  fwrite(b->data, 1, b->len, f); /* one call: stdio's lock keeps lines whole across workers */
  fflush(f);
}

void gw_req_finish(gw_req *r, int status) {
  if (r->finished) return;
  r->finished = true;
  r->status = status;
  uint64_t now = uv_hrtime();
  double dur = (double)(now - r->t_start) / 1e9;
  double ttfb = r->t_first ? (double)(r->t_first - r->t_start) / 1e9 : -1;
  /* Unknown model names are the client's choice: keep them out of label values. */
  gw_metrics_request(&r->w->m, r->model_known ? r->model : "", r->cluster, status, ttfb, dur);
  if (r->w->g->cfg.access_log) access_log(r, status, ttfb, dur);
}

/* ---- routing ---------------------------------------------------------------------- */

static int route(gw_req *r, gw_ep *exclude, gw_ep **out) {
  gw_worker *w = r->w;
  gw_gateway *g = w->g;
  int res;
  gw_rcu_enter(g, &w->rcu);
  gw_table *t = atomic_load(&g->table);
  if (!t->known) { /* just started: nobody has told us the endpoints yet, so wait */
    res = R_NO_CAPACITY;
    goto out;
  }
  if (!r->model[0]) {
    const char *name = r->bi.has_model    ? r->bi.model
                       : g->default_model ? g->default_model
                       : t->n_models == 1 ? t->models[0].name
                                          : NULL;
    if (!name) {
      res = R_NO_MODEL;
      goto out;
    }
    sw_strlcpy(r->model, name, sizeof r->model);
  }
  const gw_model *m = gw_table_model(t, r->model);
  if (!m) {
    res = R_UNKNOWN;
    goto out;
  }
  r->model_known = true;
  if (m->n_routable == 0) {
    res = R_NO_CAPACITY;
    goto out;
  }
  if (w->cand_cap < m->n_routable) {
    w->cand_cap = m->n_routable * 2;
    w->cands = sw_xrealloc(w->cands, w->cand_cap * sizeof *w->cands);
    w->cand_eps = sw_xrealloc(w->cand_eps, w->cand_cap * sizeof *w->cand_eps);
  }
  uint64_t now = uv_hrtime();
  size_t n = 0;
  /* Replicas that just refused a connection sit out their ejection, unless
   * nothing else is left. */
  for (int pass = 0; pass < 2 && n == 0; pass++) {
    for (size_t i = 0; i < m->n_routable; i++) {
      gw_ep *ep = m->routable[i].ep;
      if (ep == exclude) continue;
      if (pass == 0 && atomic_load_explicit(&ep->down_until_ns, memory_order_relaxed) > now) continue;
      w->cand_eps[n] = ep;
      w->cands[n] = (gw_cand){
          .waiting = atomic_load_explicit(&ep->waiting, memory_order_relaxed),
          .running = atomic_load_explicit(&ep->running, memory_order_relaxed),
          .kv = atomic_load_explicit(&ep->kv, memory_order_relaxed),
          .inflight = atomic_load_explicit(&ep->inflight, memory_order_relaxed),
          .priority = m->routable[i].priority,
      };
      n++;
    }
  }
  if (n == 0) {
    res = R_NO_OTHER;
    goto out;
  }
  gw_route_ctx ctx = {
      .model = r->model,
      .body = r->c->rp.body.data,
      .body_len = r->c->rp.body.len,
      .ticket = atomic_fetch_add_explicit(m->ticket, 1, memory_order_relaxed),
      .rnd = gw_rand(w),
  };
  size_t idx = g->policy->pick(g->policy_state, &ctx, w->cands, n);
  if (idx >= n) idx = 0;
  gw_ep *ep = w->cand_eps[idx];
  gw_ep_ref(ep);
  atomic_fetch_add_explicit(&ep->inflight, 1, memory_order_relaxed);
  *out = ep;
  res = R_ROUTED;
out:
  gw_rcu_exit(&w->rcu);
  return res;
}

/* ---- the no-capacity queue ----------------------------------------------------------- */

static void dequeue(gw_req *r) {
  gw_worker *w = r->w;
  if (!r->queued) return;
  if (r->q_prev)
    r->q_prev->q_next = r->q_next;
  else
    w->q_head = r->q_next;
  if (r->q_next)
    r->q_next->q_prev = r->q_prev;
  else
    w->q_tail = r->q_prev;
  r->q_next = r->q_prev = NULL;
  r->queued = false;
  w->q_len--;
  atomic_fetch_sub(&w->g->queued, 1);
}

static void arm_queue_timer(gw_worker *w) {
  if (!w->q_head) {
    uv_timer_stop(&w->qtimer);
    return;
  }
  uint64_t now = uv_now(&w->loop);
  uint64_t d = w->q_head->q_deadline_ms > now ? w->q_head->q_deadline_ms - now : 0;
  uv_timer_start(&w->qtimer, gw_queue_on_timer, d, 0);
}

static void no_capacity(gw_req *r, const char *why) {
  const char *model = r->model[0] ? r->model : r->bi.has_model ? r->bi.model : "(default)";
  gw_client_error(r->c, 503, "server_error", NULL, "no_capacity", "No replica of model `%s` is ready %s.",
                  model, why);
}

static void enqueue(gw_req *r) {
  gw_worker *w = r->w;
  gw_gateway *g = w->g;
  if (w->stopping) {
    no_capacity(r, "and the gateway is shutting down");
    return;
  }
  if (atomic_fetch_add(&g->queued, 1) >= g->cfg.queue_size) {
    atomic_fetch_sub(&g->queued, 1);
    no_capacity(r, "and the wait queue is full; retry later");
    return;
  }
  r->queued = true;
  r->q_deadline_ms = uv_now(&w->loop) + (uint64_t)(g->cfg.queue_deadline * 1000);
  r->q_prev = w->q_tail;
  r->q_next = NULL;
  if (w->q_tail)
    w->q_tail->q_next = r;
  else
    w->q_head = r;
  w->q_tail = r;
  w->q_len++;
  w->m.queued_total++;
  if (w->q_len == 1) arm_queue_timer(w);
}

void gw_queue_expire(gw_worker *w) {
  uint64_t now = uv_now(&w->loop);
  while (w->q_head && w->q_head->q_deadline_ms <= now) {
    gw_req *r = w->q_head;
    dequeue(r);
    w->m.queue_timeouts++;
    char why[96];
    snprintf(why, sizeof why, "(none became ready within %g s); retry later", w->g->cfg.queue_deadline);
    no_capacity(r, why);
  }
  arm_queue_timer(w);
}

void gw_queue_on_timer(uv_timer_t *t) { gw_queue_expire(t->data); }

static void proceed(gw_req *r, int res, gw_ep *ep) {
  switch (res) {
  case R_ROUTED:
    attempt(r, ep, false);
    break;
  case R_UNKNOWN:
    gw_client_error(r->c, 404, "invalid_request_error", "model", "model_not_found",
                    "The model `%s` does not exist.", r->model);
    break;
  case R_NO_MODEL:
    gw_client_error(r->c, 400, "invalid_request_error", "model", NULL,
                    "You must provide a model parameter (this gateway serves several models).");
    break;
  default:
    enqueue(r);
    break;
  }
}

void gw_queue_kick(gw_worker *w) {
  for (gw_req *r = w->q_head, *next; r; r = next) {
    next = r->q_next;
    gw_ep *ep = NULL;
    int res = route(r, NULL, &ep);
    if (res == R_NO_CAPACITY || res == R_NO_OTHER) continue;
    dequeue(r);
    proceed(r, res, ep);
  }
  arm_queue_timer(w);
}

void gw_queue_fail_all(gw_worker *w) {
  while (w->q_head) {
    gw_req *r = w->q_head;
    dequeue(r);
    no_capacity(r, "and the gateway is shutting down");
  }
  arm_queue_timer(w);
}

void gw_proxy_request(gw_conn *c, const gw_body_info *bi) {
  gw_req *r = c->req;
  r->bi = *bi;
  gw_ep *ep = NULL;
  int res = route(r, NULL, &ep);
  proceed(r, res, ep);
}

/* ---- upstream connections and their pools ----------------------------------------------- */

static void on_up_closed(uv_handle_t *h) {
  gw_up *up = h->data;
  if (--up->open_handles > 0) return;
  gw_respp_free(&up->rp);
  gw_ep_unref(up->ep);
  free(up);
}

static void pool_unlink(gw_up *up) {
  gw_worker *w = up->w;
  gw_pool *p = &up->ep->pools[w->id];
  if (up->pprev)
    up->pprev->pnext = up->pnext;
  else
    p->idle = up->pnext;
  if (up->pnext) up->pnext->pprev = up->pprev;
  up->pnext = up->pprev = NULL;
  p->n_idle--;
  if (p->n_idle == 0 && p->listed) {
    if (p->prev)
      p->prev->next = p->next;
    else
      w->pools = p->next;
    if (p->next) p->next->prev = p->prev;
    p->next = p->prev = NULL;
    p->listed = false;
  }
}

static void up_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  gw_up *up = h->data;
  gw_block *b = gw_block_get(up->w);
  *buf = uv_buf_init(b->data, GW_BLOCK_SIZE);
}

static void up_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void up_start_reading(gw_up *up) {
  if (up->reading || up->state == UP_CLOSING) return;
  if (uv_read_start((uv_stream_t *)&up->tcp, up_alloc, up_on_read) == 0) up->reading = true;
}

static void pool_push(gw_up *up) {
  gw_worker *w = up->w;
  gw_pool *p = &up->ep->pools[w->id];
  up->state = UP_IDLE;
  up->req = NULL;
  up->paused = false;
  up->pprev = NULL;
  up->pnext = p->idle;
  if (p->idle) p->idle->pprev = up;
  p->idle = up;
  p->n_idle++;
  if (!p->listed) {
    p->listed = true;
    p->prev = NULL;
    p->next = w->pools;
    if (w->pools) w->pools->prev = p;
    w->pools = p;
  }
  gw_deadline_set(&up->timer, &up->deadline, GW_POOL_IDLE_MS, on_up_timer);
  up_start_reading(up); /* an idle connection is read to notice the replica closing it */
}

static gw_up *pool_pop(gw_worker *w, gw_ep *ep) {
  gw_up *up = ep->pools[w->id].idle;
  if (!up) return NULL;
  pool_unlink(up);
  up->state = UP_ACTIVE;
  return up;
}

void gw_pools_sweep(gw_worker *w, bool all) {
  for (gw_pool *p = w->pools, *next; p; p = next) {
    next = p->next;
    if (all || atomic_load(&p->idle->ep->retired))
      while (p->listed && p->idle) up_close(p->idle);
  }
}

static void up_close(gw_up *up) {
  if (up->state == UP_CLOSING) return;
  if (up->state == UP_IDLE) pool_unlink(up);
  if (up->req) {
    up->req->up = NULL;
    up->req = NULL;
  }
  up->state = UP_CLOSING;
  uv_close((uv_handle_t *)&up->tcp, on_up_closed);
  uv_close((uv_handle_t *)&up->timer, on_up_closed);
}

static void up_write_done(void *ud, int status) {
  gw_up *up = ud;
  if (status < 0 && status != UV_ECANCELED && up->state != UP_CLOSING) {
    if (up->req)
      up_fail(up, F_RESET, status);
    else
      up_close(up);
  }
}

static void send_request(gw_up *up) {
  gw_req *r = up->req;
  gw_worker *w = up->w;
  gw_conn *c = r->c;
  sw_buf_reset(&r->up_head);
  gw_build_upstream_head(&c->rp, up->ep->addr, &r->up_head);
  uv_buf_t b[2] = {uv_buf_init(r->up_head.data, (unsigned)r->up_head.len),
                   uv_buf_init(c->rp.body.data, (unsigned)c->rp.body.len)};
  up->state = UP_ACTIVE;
  up->got_bytes = false;
  up_start_reading(up);
  int rc = gw_write(w, (uv_stream_t *)&up->tcp, b, c->rp.body.len ? 2 : 1, NULL, up_write_done, up);
  if (rc < 0) {
    up_fail(up, F_RESET, rc);
    return;
  }
  gw_deadline_set(&up->timer, &up->deadline, (uint64_t)(w->g->cfg.first_byte_timeout * 1000), on_up_timer);
}

static void on_up_connect(uv_connect_t *creq, int status) {
  gw_up *up = creq->handle->data;
  if (status == UV_ECANCELED || up->state == UP_CLOSING) return;
  if (status < 0) {
    up_fail(up, F_CONNECT, status);
    return;
  }
  uv_tcp_nodelay(&up->tcp, 1);
  send_request(up);
}

static void up_connect(gw_req *r, gw_ep *ep) {
  gw_worker *w = r->w;
  gw_up *up = sw_xcalloc(1, sizeof *up);
  up->w = w;
  up->ep = ep;
  gw_ep_ref(ep);
  uv_tcp_init(&w->loop, &up->tcp);
  up->tcp.data = up;
  uv_timer_init(&w->loop, &up->timer);
  up->timer.data = up;
  up->open_handles = 2;
  gw_respp_init(&up->rp, 64 * 1024);
  up->state = UP_CONNECTING;
  up->req = r;
  r->up = up;
  w->m.up_connects++;
  gw_deadline_set(&up->timer, &up->deadline, (uint64_t)(w->g->cfg.connect_timeout * 1000), on_up_timer);
  int rc = uv_tcp_connect(&up->creq, &up->tcp, (const struct sockaddr *)&ep->sa, on_up_connect);
  if (rc != 0) up_fail(up, F_CONNECT, rc);
}

static void attempt(gw_req *r, gw_ep *ep, bool fresh) {
  gw_worker *w = r->w;
  r->ep = ep;
  sw_strlcpy(r->cluster, ep->cluster, sizeof r->cluster);
  sw_strlcpy(r->replica, ep->addr, sizeof r->replica);
  gw_up *up = fresh ? NULL : pool_pop(w, ep);
  if (up) {
    w->m.up_reused++;
    up->req = r;
    r->up = up;
    up->reused = true;
    send_request(up);
    return;
  }
  up_connect(r, ep);
}

/* ---- failures and retries ----------------------------------------------------------------- */

static int retry_reason(int kind) {
  switch (kind) {
  case F_CONNECT:
    return GW_RETRY_REFUSED;
  case F_CONNECT_TIMEOUT:
    return GW_RETRY_TIMEOUT;
  default:
    return GW_RETRY_RESET;
  }
}

/* Moves the request off its replica (keeping a reference to exclude it) and
 * onto another; false when there is no other. */
static bool retry_elsewhere(gw_req *r, int reason) {
  gw_ep *ep2 = NULL;
  if (r->retried || route(r, r->ep, &ep2) != R_ROUTED) return false;
  r->retried = true;
  gw_metrics_retry(&r->w->m, reason);
  if (r->up) up_close(r->up);
  gw_ep *old = r->ep;
  atomic_fetch_sub_explicit(&old->inflight, 1, memory_order_relaxed);
  gw_ep_unref(r->excluded);
  r->excluded = old; /* the reference moves */
  r->ep = NULL;
  attempt(r, ep2, false);
  return true;
}

static void up_fail(gw_up *up, int kind, int err) {
  gw_req *r = up->req;
  gw_worker *w = up->w;
  gw_ep *ep = up->ep;
  bool reused = up->reused, got = up->got_bytes;
  if (kind == F_CONNECT || kind == F_CONNECT_TIMEOUT)
    atomic_store(&ep->down_until_ns, uv_hrtime() + (uint64_t)(w->g->cfg.eject_seconds * 1e9));
  up_close(up);
  if (!r) return;
  if (r->head_sent) {
    /* Bytes reached the client: no retry. Closing the connection is the only
     * way HTTP/1.1 has to tell it the response is incomplete. */
    SW_DEBUG("gateway", "replica %s failed mid-response: %s", r->replica, fail_text(kind));
    gw_client_close(r->c);
    return;
  }
  if (reused && !got && kind == F_RESET && !r->fresh_retry_used) {
    r->fresh_retry_used = true;
    gw_metrics_retry(&w->m, GW_RETRY_STALE);
    attempt(r, r->ep, true);
    return;
  }
  if (kind != F_FIRST_BYTE_TIMEOUT && retry_elsewhere(r, retry_reason(kind))) return;
  char what[160];
  if (err)
    snprintf(what, sizeof what, "%s (%s)", fail_text(kind), uv_strerror(err));
  else
    snprintf(what, sizeof what, "%s", fail_text(kind));
  release_ep(r);
  gw_client_error(r->c, kind == F_FIRST_BYTE_TIMEOUT ? 504 : 502, "server_error", NULL,
                  kind == F_FIRST_BYTE_TIMEOUT ? "upstream_timeout" : "upstream_error",
                  "The replica %s of model `%s` failed: %s.", r->replica, r->model, what);
}

static void on_up_timer(uv_timer_t *t) {
  gw_up *up = t->data;
  if (up->state == UP_CLOSING || !gw_deadline_due(t, up->deadline, on_up_timer)) return;
  switch (up->state) {
  case UP_CONNECTING:
    up_fail(up, F_CONNECT_TIMEOUT, UV_ETIMEDOUT);
    break;
  case UP_ACTIVE:
    up_fail(up, up->got_bytes ? F_IDLE_TIMEOUT : F_FIRST_BYTE_TIMEOUT, 0);
    break;
  case UP_IDLE:
    up_close(up);
    break;
  default:
    break;
  }
}

/* ---- the response ------------------------------------------------------------------------- */

static void push_iov(gw_req *r, const char *p, size_t n) {
  if (!n) return;
  if (r->n_iov == r->cap_iov) {
    r->cap_iov = r->cap_iov ? r->cap_iov * 2 : 8;
    r->iov = sw_xrealloc(r->iov, r->cap_iov * sizeof *r->iov);
  }
  r->iov[r->n_iov++] = uv_buf_init((char *)p, (unsigned)n);
  r->bytes_out += n;
}

static void dechunk_piece(void *ud, const char *at, size_t n) { push_iov(ud, at, n); }

/* Writes what this read produced for the client; false if the client is gone
 * (the request has then been aborted and freed). */
static bool flush(gw_req *r, gw_block *blk) {
  if (!r->n_iov) return true;
  gw_conn *c = r->c;
  int rc = gw_write(r->w, (uv_stream_t *)&c->tcp, r->iov, r->n_iov, blk, gw_client_write_done, c);
  r->n_iov = 0;
  if (rc < 0) {
    gw_client_close(c);
    return false;
  }
  gw_up *up = r->up;
  if (up && !up->paused && uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > GW_HIGH_WATER) {
    uv_read_stop((uv_stream_t *)&up->tcp); /* backpressure: let TCP slow the replica down */
    up->reading = false;
    up->paused = true;
  }
  return true;
}

void gw_proxy_client_drained(gw_req *r) {
  gw_up *up = r->up;
  if (!up || !up->paused) return;
  if (uv_stream_get_write_queue_size((uv_stream_t *)&r->c->tcp) > GW_LOW_WATER) return;
  up->paused = false;
  up_start_reading(up);
}

/* The response head arrived. Returns false when the request moved elsewhere. */
static bool on_head(gw_up *up) {
  gw_req *r = up->req;
  gw_worker *w = up->w;
  gw_conn *c = r->c;
  /* A 503 is a replica saying "not me, not now" (draining, overloaded): the
   * one error worth another replica's try. Without another, pass it on. */
  if (up->rp.status == 503 && retry_elsewhere(r, GW_RETRY_503)) return false;
  r->status = up->rp.status;
  r->t_first = uv_hrtime();
  int minor = c->rp.parser.http_minor;
  r->dechunk = c->rp.parser.http_major == 1 && minor == 0 && up->rp.chunked;
  bool framed = up->rp.chunked || (up->rp.parser.flags & F_CONTENT_LENGTH) || up->rp.done;
  r->keep_alive = framed && !r->dechunk && !c->close_after && !w->stopping && gw_reqp_keep_alive(&c->rp);
  sw_buf_reset(&r->out_head);
  gw_respp_build_head(&up->rp, &r->out_head, minor, r->keep_alive, r->dechunk);
  push_iov(r, r->out_head.data, r->out_head.len);
  r->bytes_out -= r->out_head.len; /* count body bytes only */
  if (r->dechunk) {
    up->rp.on_body = dechunk_piece;
    up->rp.ud = r;
  }
  r->head_sent = true;
  return true;
}

static void complete(gw_up *up, bool clean) {
  gw_req *r = up->req;
  gw_worker *w = up->w;
  bool reuse = clean && gw_respp_keep_alive(&up->rp) && !atomic_load(&up->ep->retired) && !w->stopping &&
               uv_stream_get_write_queue_size((uv_stream_t *)&up->tcp) == 0 &&
               up->ep->pools[w->id].n_idle < w->g->cfg.upstream_keepalive;
  up->req = NULL;
  r->up = NULL;
  if (reuse) {
    gw_respp_reset(&up->rp);
    pool_push(up);
  } else {
    up_close(up);
  }
  release_ep(r);
  gw_req_finish(r, r->status);
  gw_conn *c = r->c;
  bool keep = r->keep_alive;
  c->req = NULL;
  gw_req_free(r);
  gw_client_response_done(c, keep);
}

static void up_data(gw_up *up, char *data, size_t len, gw_block *blk) {
  gw_req *r = up->req;
  if (!r) { /* bytes on an idle connection: nothing asked for them */
    up_close(up);
    return;
  }
  gw_worker *w = up->w;
  up->got_bytes = true;
  gw_deadline_set(&up->timer, &up->deadline, (uint64_t)(w->g->cfg.idle_timeout * 1000), on_up_timer);
  r->n_iov = 0;
  size_t off = 0, fwd = r->head_sent && !r->dechunk ? 0 : SIZE_MAX;
  while (off < len) {
    size_t used = 0;
    gw_respp_state st = gw_respp_feed(&up->rp, data + off, len - off, &used);
    if (st == GW_RESPP_ERROR) {
      if (fwd != SIZE_MAX && off > fwd) push_iov(r, data + fwd, off - fwd);
      if (!flush(r, blk)) return;
      up_fail(up, F_PROTO, 0);
      return;
    }
    off += used;
    if (st == GW_RESPP_HEAD) {
      if (up->rp.status < 200) { /* interim (1xx): not forwarded */
        if (up->rp.done) gw_respp_reset(&up->rp);
        continue;
      }
      if (!on_head(up)) return;
      fwd = r->dechunk ? SIZE_MAX : off;
      if (!up->rp.done) continue;
      st = GW_RESPP_DONE;
    }
    if (st == GW_RESPP_DONE) {
      if (fwd != SIZE_MAX && off > fwd) push_iov(r, data + fwd, off - fwd);
      /* The replica is done with it: count it out before the client can see
       * the end and send its next request (maybe to another worker). */
      release_ep(r);
      gw_req_finish(r, r->status); /* counted before the client can see the end */
      if (!flush(r, blk)) return;
      complete(up, off == len);
      return;
    }
    if (used == 0) {
      up_fail(up, F_PROTO, 0);
      return;
    }
  }
  if (fwd != SIZE_MAX && off > fwd) push_iov(r, data + fwd, off - fwd);
  flush(r, blk);
}

static void up_eof(gw_up *up, int err) {
  gw_req *r = up->req;
  if (!r) {
    up_close(up);
    return;
  }
  if (err == UV_EOF && r->head_sent && gw_respp_eof(&up->rp) == GW_RESPP_DONE) { /* close-delimited body */
    r->n_iov = 0;
    complete(up, false);
    return;
  }
  up_fail(up, up->got_bytes && !r->head_sent ? F_PROTO : F_RESET, err == UV_EOF ? 0 : err);
}

static void up_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  gw_up *up = s->data;
  gw_block *b = buf->base ? (gw_block *)(buf->base - offsetof(gw_block, data)) : NULL;
  if (nread > 0)
    up_data(up, buf->base, (size_t)nread, b);
  else if (nread < 0)
    up_eof(up, (int)nread);
  gw_block_put(up->w, b);
}

void gw_req_abort(gw_req *r) {
  dequeue(r);
  if (r->up) up_close(r->up); /* the replica sees the close and stops generating */
  release_ep(r);
  gw_req_finish(r, r->head_sent ? r->status : 499);
  gw_req_free(r);
}

/* ---- /v1/models --------------------------------------------------------------------------- */

void gw_models_reply(gw_conn *c) {
  gw_worker *w = c->w;
  json_t *data = json_array();
  gw_rcu_enter(w->g, &w->rcu);
  gw_table *t = atomic_load(&w->g->table);
  for (size_t i = 0; i < t->n_models; i++)
    json_array_append_new(data, json_pack("{s:s, s:s, s:I, s:s}", "id", t->models[i].name, "object", "model",
                                          "created", (json_int_t)w->g->created, "owned_by", "spillway"));
  gw_rcu_exit(&w->rcu);
  json_t *root = json_pack("{s:s, s:o}", "object", "list", "data", data);
  char *s = json_dumps(root, JSON_COMPACT);
  json_decref(root);
  gw_client_respond(c, 200, NULL, "application/json", s, strlen(s));
  free(s);
}
