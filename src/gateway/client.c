/*
 * client.c — the client side of the gateway: accepting connections, reading
 * and parsing requests (size limits, slow-client timeouts), dispatching them
 * by path, local answers (errors, /v1/models, /health), keep-alive and
 * pipelining, graceful close.
 *
 * Owns gw_conn. A connection carries at most one request at a time; bytes
 * that arrive behind it wait in `pending` until it is answered (so pipelined
 * requests are answered in order). A bad request is answered and its
 * connection closed; other connections never notice.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_int.h"

#define LINGER_MS 2000

static void conn_process(gw_conn *c, const char *data, size_t len);

static void on_conn_closed(uv_handle_t *h) {
  gw_conn *c = h->data;
  if (--c->open_handles > 0) return;
  gw_worker *w = c->w;
  gw_reqp_free(&c->rp);
  sw_buf_free(&c->pending);
  free(c);
  gw_worker_maybe_exit(w);
}

void gw_client_close(gw_conn *c) {
  if (c->closing) return;
  c->closing = true;
  if (c->req) {
    gw_req *r = c->req;
    c->req = NULL;
    gw_req_abort(r);
  }
  gw_worker *w = c->w;
  if (c->prev)
    c->prev->next = c->next;
  else
    w->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  w->n_conns--;
  uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
  uv_close((uv_handle_t *)&c->timer, on_conn_closed);
}

static void on_conn_timer(uv_timer_t *t);

static void arm_ms(gw_conn *c, uint64_t ms) { gw_deadline_set(&c->timer, &c->deadline, ms, on_conn_timer); }

static void set_phase(gw_conn *c, int phase) {
  const gw_config *cfg = &c->w->g->cfg;
  int from = c->phase;
  c->phase = phase;
  switch (phase) {
  case C_IDLE:
    arm_ms(c, (uint64_t)((c->served ? cfg->client_idle_timeout : cfg->client_header_timeout) * 1000));
    break;
  case C_HEAD:
    /* The first request's clock started at accept: a client that connects
     * and dawdles does not get a second allowance. */
    if (!(from == C_IDLE && c->served == 0)) arm_ms(c, (uint64_t)(cfg->client_header_timeout * 1000));
    break;
  case C_BODY:
    arm_ms(c, (uint64_t)(cfg->client_body_timeout * 1000));
    break;
  case C_WAIT:
    gw_deadline_clear(&c->deadline); /* the replica's timeouts govern now */
    break;
  }
}

void gw_client_write_done(void *ud, int status) {
  gw_conn *c = ud;
  if (c->closing) return;
  if (status < 0) {
    gw_client_close(c);
    return;
  }
  gw_client_wrote(c);
}

void gw_client_wrote(gw_conn *c) {
  if (c->closing || !c->req) return;
  gw_proxy_client_drained(c->req);
}

/* ---- local responses ------------------------------------------------------- */

void gw_client_respond(gw_conn *c, int status, const char *extra_headers, const char *ctype, const char *body,
                       size_t len) {
  if (c->closing) return;
  gw_worker *w = c->w;
  if (!c->req) c->req = gw_req_new(c);
  gw_req *r = c->req;
  bool keep = !c->close_after && !w->stopping && c->rp.headers_done && gw_reqp_keep_alive(&c->rp);
  sw_buf b;
  sw_buf_init(&b);
  sw_buf_printf(&b, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: %s\r\n\r\n",
                status, gw_status_text(status), ctype, len,
                extra_headers ? extra_headers : "", keep ? "keep-alive" : "close");
  sw_buf_append(&b, body, len);
  r->bytes_out = len;
  gw_req_finish(r, status); /* counted (and logged) before the client can see the answer */
  uv_buf_t ub = uv_buf_init(b.data, (unsigned)b.len);
  int rc = gw_write(w, (uv_stream_t *)&c->tcp, &ub, 1, NULL, gw_client_write_done, c);
  sw_buf_free(&b);
  c->req = NULL;
  gw_req_free(r);
  if (rc < 0) {
    gw_client_close(c);
    return;
  }
  gw_client_response_done(c, keep);
}

static void client_error_x(gw_conn *c, int status, const char *extra, const char *type, const char *param,
                           const char *code, const char *msg) {
  char *body = gw_oai_error(msg, type, param, code);
  char ra[64];
  if (status == 503 && !extra) {
    snprintf(ra, sizeof ra, "Retry-After: %d\r\n", c->w->g->cfg.retry_after);
    extra = ra;
  }
  gw_client_respond(c, status, extra, "application/json", body, strlen(body));
  free(body);
}

void gw_client_error(gw_conn *c, int status, const char *type, const char *param, const char *code,
                     const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  client_error_x(c, status, NULL, type, param, code, msg);
}

/* ---- connection lifecycle ---------------------------------------------------- */

static void on_shutdown(uv_shutdown_t *req, int status) {
  gw_conn *c = req->handle->data;
  if (c->closing) return;
  if (status < 0) {
    gw_client_close(c);
    return;
  }
  /* Lingering close (as nginx's lingering_close): keep reading and discarding
   * for a moment, so an early answer (413, 400) is not destroyed by a TCP
   * reset because the client was still sending. */
  arm_ms(c, LINGER_MS);
}

/* Close after everything queued has been written. */
static void conn_finish(gw_conn *c) {
  if (c->shutting || c->closing) return;
  c->shutting = true;
  gw_deadline_clear(&c->deadline);
  if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
    gw_client_close(c);
    return;
  }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  gw_conn *c = h->data;
  gw_block *b = gw_block_get(c->w);
  *buf = uv_buf_init(b->data, GW_BLOCK_SIZE);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  gw_conn *c = s->data;
  gw_block *b = buf->base ? (gw_block *)(buf->base - offsetof(gw_block, data)) : NULL;
  if (nread > 0) {
    if (!c->shutting) conn_process(c, buf->base, (size_t)nread);
  } else if (nread < 0) {
    /* EOF while a request is in flight: the client gave up (nginx logs 499
     * and stops the upstream request; so do we — the replica stops generating). */
    gw_client_close(c);
  }
  gw_block_put(c->w, b);
}

static void start_reading(gw_conn *c) {
  if (c->reading || c->closing) return;
  if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0) c->reading = true;
}

void gw_client_response_done(gw_conn *c, bool keep_alive) {
  if (c->closing) return;
  if (!keep_alive || c->close_after || c->w->stopping) {
    conn_finish(c);
    return;
  }
  gw_reqp_next(&c->rp);
  c->continue_sent = false;
  c->served++;
  set_phase(c, C_IDLE);
  if (!c->in_process && c->pending.len > c->pending_off) {
    sw_buf tmp = c->pending;
    size_t off = c->pending_off;
    sw_buf_init(&c->pending);
    c->pending_off = 0;
    conn_process(c, tmp.data + off, tmp.len - off);
    sw_buf_free(&tmp);
  }
  if (!c->shutting) start_reading(c);
}

static void on_conn_timer(uv_timer_t *t) {
  gw_conn *c = t->data;
  if (c->closing || !gw_deadline_due(t, c->deadline, on_conn_timer)) return;
  if (c->shutting) { /* lingering close over */
    gw_client_close(c);
    return;
  }
  switch (c->phase) {
  case C_IDLE:
    gw_client_close(c); /* idle keep-alive, or connected and never spoke */
    break;
  case C_HEAD:
  case C_BODY:
    /* Slow client (slowloris): cut off, whatever it was still sending. */
    c->close_after = true;
    c->w->m.client_errors++;
    gw_client_error(c, 408, "invalid_request_error", NULL, "request_timeout",
                    "The client did not send a complete request in time.");
    break;
  default:
    break;
  }
}

void gw_client_accept(gw_worker *w) {
  gw_conn *c = sw_xcalloc(1, sizeof *c);
  c->w = w;
  uv_tcp_init(&w->loop, &c->tcp);
  c->tcp.data = c;
  if (uv_accept((uv_stream_t *)&w->listener, (uv_stream_t *)&c->tcp) != 0) {
    c->open_handles = 1;
    c->closing = true;
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
    return;
  }
  uv_timer_init(&w->loop, &c->timer);
  c->timer.data = c;
  c->open_handles = 2;
  uv_tcp_nodelay(&c->tcp, 1);
  gw_reqp_init(&c->rp, w->g->cfg.max_header_bytes, w->g->cfg.max_body_bytes);
  sw_buf_init(&c->pending);
  struct sockaddr_storage ss;
  int len = sizeof ss;
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
    char ip[48] = "?";
    int port = 0;
    if (ss.ss_family == AF_INET6) {
      uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof ip);
      port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    } else {
      uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof ip);
      port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
    snprintf(c->remote, sizeof c->remote, "%s:%d", ip, port);
  }
  c->next = w->conns;
  if (w->conns) w->conns->prev = c;
  w->conns = c;
  w->n_conns++;
  w->m.conns_accepted++;
  if (w->stopping) {
    gw_client_close(c);
    return;
  }
  set_phase(c, C_IDLE);
  start_reading(c);
}

void gw_worker_drain_conns(gw_worker *w) {
  for (gw_conn *c = w->conns, *next; c; c = next) {
    next = c->next;
    if (!c->req && !c->shutting)
      gw_client_close(c); /* nothing in flight on it */
    else
      c->close_after = true;
  }
}

/* ---- requests ------------------------------------------------------------------ */

static bool is_proxied_path(const char *p) {
  return strcmp(p, "/v1/chat/completions") == 0 || strcmp(p, "/v1/completions") == 0 ||
         strcmp(p, "/v1/embeddings") == 0;
}

static void dispatch(gw_conn *c) {
  c->req = gw_req_new(c);
  char path[2048];
  if (!gw_reqp_path(&c->rp, path, sizeof path)) {
    gw_client_error(c, 400, "invalid_request_error", NULL, NULL, "The request URL could not be parsed.");
    return;
  }
  llhttp_method_t m = (llhttp_method_t)c->rp.parser.method;
  if (is_proxied_path(path)) {
    if (m != HTTP_POST) {
      client_error_x(c, 405, "Allow: POST\r\n", "invalid_request_error", NULL, "method_not_allowed",
                     "Only POST is allowed on this endpoint.");
      return;
    }
    gw_body_info bi;
    char msg[512];
    const char *param;
    if (gw_body_parse(c->rp.body.data ? c->rp.body.data : "", c->rp.body.len, &bi, msg, sizeof msg, &param) !=
        0) {
      c->w->m.client_errors++;
      gw_client_error(c, 400, "invalid_request_error", *param ? param : NULL, NULL, "%s", msg);
      return;
    }
    gw_proxy_request(c, &bi);
    return;
  }
  if (strcmp(path, "/v1/models") == 0) {
    if (m != HTTP_GET) {
      client_error_x(c, 405, "Allow: GET\r\n", "invalid_request_error", NULL, "method_not_allowed",
                     "Only GET is allowed on this endpoint.");
      return;
    }
    gw_models_reply(c);
    return;
  }
  if (strcmp(path, "/health") == 0 && m == HTTP_GET) {
    static const char ok[] = "{\"status\":\"ok\"}";
    gw_client_respond(c, 200, NULL, "application/json", ok, sizeof ok - 1);
    return;
  }
  gw_client_error(c, 404, "invalid_request_error", NULL, "unknown_url", "Invalid URL (%s %s)",
                  gw_reqp_method(&c->rp), path);
}

static void stash(gw_conn *c, const char *data, size_t len) {
  sw_buf_append(&c->pending, data, len);
  const gw_config *cfg = &c->w->g->cfg;
  /* A client that pipelines without bound is throttled by TCP, not by our memory. */
  if (c->pending.len - c->pending_off > cfg->max_header_bytes + cfg->max_body_bytes && c->reading) {
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = false;
  }
}

static void conn_process(gw_conn *c, const char *data, size_t len) {
  c->in_process = true;
  while (len > 0 && !c->closing && !c->shutting) {
    if (c->phase == C_WAIT) {
      stash(c, data, len);
      break;
    }
    if (c->phase == C_IDLE) set_phase(c, C_HEAD);
    size_t used = 0;
    gw_reqp_state st = gw_reqp_feed(&c->rp, data, len, &used);
    data += used;
    len -= used;
    if (st == GW_REQP_ERROR) {
      c->close_after = true;
      c->w->m.client_errors++;
      int status = c->rp.error_status ? c->rp.error_status : 400;
      gw_client_error(c, status, "invalid_request_error", NULL, NULL, "Bad request: %s.",
                      c->rp.error_msg ? c->rp.error_msg : "malformed HTTP");
      break;
    }
    if (c->rp.headers_done && c->phase == C_HEAD) {
      set_phase(c, C_BODY);
      if (c->rp.expect_continue && !c->continue_sent && st != GW_REQP_DONE) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        uv_buf_t ub = uv_buf_init((char *)cont, sizeof cont - 1);
        c->continue_sent = true;
        if (gw_write(c->w, (uv_stream_t *)&c->tcp, &ub, 1, NULL, gw_client_write_done, c) < 0) {
          gw_client_close(c);
          break;
        }
      }
    }
    if (st == GW_REQP_DONE) {
      set_phase(c, C_WAIT);
      dispatch(c);
      continue;
    }
    if (used == 0) break;
  }
  c->in_process = false;
}
