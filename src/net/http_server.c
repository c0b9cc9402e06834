/*
 * http_server.c — HTTP/1.1 server on libuv + http-parser (implements
 * http_server.h). Used by the engine, the API server and /metrics endpoints.
 *
 * Role in the data flow: bytes from a client socket -> one parsed request ->
 * the handler -> a reply (whole, or chunked stream) -> the socket. It owns the
 * listener, every accepted connection, its read buffer, the parsed request and
 * the write buffers in flight. It never interprets bodies and never blocks.
 *
 * Design:
 *  - One request at a time per connection. When http-parser completes a
 *    message the parser is paused (http_parser_pause) and the handler runs;
 *    bytes that arrive meanwhile (pipelined requests) stay in the read buffer
 *    and are parsed only after the reply is finished, so replies keep order.
 *  - Reads land directly in the connection's buffer (alloc_cb hands libuv the
 *    free tail of it); the leftover of a pipelined read is moved down once.
 *  - Every write is one malloc'd block (write request + bytes) that libuv owns
 *    until the write callback frees it: a reply is one uv_write, a stream chunk
 *    is one uv_write with its chunk framing in the same block.
 *  - A client that goes away (EOF, reset, write error) closes the connection;
 *    the handler's on_close callback then fires once, from the handle's close
 *    callback, never from inside a call the handler made (so the handler never
 *    sees its state freed under its feet). EOF counts as going away, as in
 *    Node's http server (allowHalfOpen=false) and nginx's client-abort check.
 *  - Timeouts, one timer per connection: header_timeout runs from the first
 *    byte of a request head (and from accept) and is not extended by progress,
 *    which cuts slowloris clients off; idle_timeout covers a keep-alive
 *    connection waiting for its next request, a body that stops arriving, and a
 *    reply the client stops reading. While the handler works there is no timer:
 *    an engine may legitimately queue a request for minutes, as vLLM does.
 */
#include "net/http_server.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <http_parser.h>

#define HS_LOG "http"
#define HS_READ_CHUNK 65536

typedef enum {
  HS_READ_HEAD, /* waiting for / reading a request head */
  HS_READ_BODY, /* head complete, reading the body */
  HS_HANDLING,  /* request given to the handler, reply not finished */
} hs_state;

typedef enum { HS_FAIL_NONE, HS_FAIL_HEADER, HS_FAIL_BODY } hs_fail;

typedef struct hs_conn hs_conn;

struct http_response {
  hs_conn *conn;
  sw_buf extra_headers; /* "Name: value\r\n" lines from http_response_header */
  bool started;         /* status line sent (stream) */
  bool finished;        /* reply complete from the handler's point of view */
  bool streaming;
  bool chunked; /* stream framing: chunked (1.1) or close-delimited (1.0) */
  void (*on_close)(void *);
  void *on_close_ud;
};

struct http_server {
  uv_loop_t *loop;
  uv_tcp_t listener;
  http_server_opts opts;
  http_handler handler;
  void *ud;
  hs_conn *conns; /* doubly linked list of open connections */
  size_t n_conns;
  bool closing;
  bool listener_closed;
  int port;
  http_error_format error_format;
  void *error_format_ud;
};

struct hs_conn {
  http_request req; /* first member: http_request_query recovers the conn from it */
  uv_tcp_t tcp;
  uv_timer_t timer;
  int open_handles; /* tcp + timer; freed when both closed */
  http_server *srv;
  hs_conn *prev, *next;
  http_parser parser;
  hs_state state;
  hs_fail fail;
  bool closing;
  bool keep_alive;   /* for the current request */
  bool is_head;      /* HEAD request: no body in the reply */
  bool head_started; /* first byte of the current request seen */
  bool in_process;   /* process_input is on the stack */
  bool reading;
  bool upgrade;            /* upgrade/CONNECT: reply, then close (we do not tunnel) */
  bool close_when_drained; /* reply finished on a non-keep-alive connection */
  size_t writes_pending;
  /* input */
  sw_buf in; /* received bytes; in.data[in_off..in.len) not yet parsed */
  size_t in_off;
  /* the request being assembled */
  sw_arena *arena;
  sw_buf url, field, value, body;
  bool last_was_value;
  size_t head_bytes;
  SW_VEC(http_header) headers;
  char remote[64];
  http_response res;
};

typedef struct hs_write {
  uv_write_t req;
  hs_conn *conn;
  size_t len;
  char data[];
} hs_write;

static void conn_close(hs_conn *c);
static void process_input(hs_conn *c);
static void conn_next_request(hs_conn *c);
static void conn_resume_reading(hs_conn *c);

/* ---- small helpers ------------------------------------------------------- */

static const char *status_text(int status) {
  switch (status) {
  case 100:
    return "Continue";
  case 200:
    return "OK";
  case 201:
    return "Created";
  case 202:
    return "Accepted";
  case 204:
    return "No Content";
  case 301:
    return "Moved Permanently";
  case 302:
    return "Found";
  case 304:
    return "Not Modified";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 408:
    return "Request Timeout";
  case 409:
    return "Conflict";
  case 410:
    return "Gone";
  case 411:
    return "Length Required";
  case 413:
    return "Payload Too Large";
  case 415:
    return "Unsupported Media Type";
  case 422:
    return "Unprocessable Entity";
  case 429:
    return "Too Many Requests";
  case 431:
    return "Request Header Fields Too Large";
  case 499:
    return "Client Closed Request";
  case 500:
    return "Internal Server Error";
  case 501:
    return "Not Implemented";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  default:
    return "Unknown";
  }
}

/* RFC 7231 IMF-fixdate, cached per second (every reply carries Date). */
static const char *date_header(void) {
  static time_t cached_at = (time_t)-1;
  static char buf[64];
  time_t now = time(NULL);
  if (now != cached_at) {
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_at = now;
  }
  return buf;
}

static int hexval(int ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* Percent-decodes s[0..n) into the arena; plus_space for query strings.
 * Malformed escapes and %00 are kept literally (never a NUL inside). */
static char *pct_decode(sw_arena *a, const char *s, size_t n, bool plus_space) {
  char *out = sw_arena_alloc(a, n + 1);
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%' && i + 2 < n) {
      int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
      if (h >= 0 && l >= 0 && (h | l) != 0) {
        out[j++] = (char)(h * 16 + l);
        i += 2;
        continue;
      }
    }
    out[j++] = (plus_space && s[i] == '+') ? ' ' : s[i];
  }
  out[j] = 0;
  return out;
}

/* ---- writing ------------------------------------------------------------- */

static void timer_arm(hs_conn *c, double seconds);

static void on_write(uv_write_t *wr, int status) {
  hs_write *w = (hs_write *)wr;
  hs_conn *c = w->conn;
  free(w);
  c->writes_pending--;
  if (c->closing) return;
  if (status < 0) {
    SW_DEBUG(HS_LOG, "%s: write failed: %s", c->remote, uv_strerror(status));
    conn_close(c);
    return;
  }
  if (c->close_when_drained && c->writes_pending == 0) {
    conn_close(c);
    return;
  }
  /* Progress on a reply the client is reading restarts the stall timer; once
   * everything is written the timer is the one of the current state. */
  if (c->writes_pending > 0 || c->state == HS_READ_BODY)
    timer_arm(c, c->srv->opts.idle_timeout);
  else if (c->state == HS_HANDLING)
    uv_timer_stop(&c->timer);
  else
    timer_arm(c, c->head_started ? c->srv->opts.header_timeout : c->srv->opts.idle_timeout);
}

/* Allocates a write block of `len` bytes; the caller fills w->data. */
static hs_write *write_new(hs_conn *c, size_t len) {
  hs_write *w = sw_xmalloc(sizeof *w + len);
  w->conn = c;
  w->len = len;
  return w;
}

static void write_send(hs_conn *c, hs_write *w) {
  if (c->closing) {
    free(w);
    return;
  }
  /* Fast path: nothing queued, so try the socket directly. A streamed token
   * usually leaves in this one syscall, with no write request, callback or
   * timer update; only a remainder the socket did not take is queued. */
  size_t off = 0;
  if (c->writes_pending == 0) {
    int n = uv_try_write((uv_stream_t *)&c->tcp, &(uv_buf_t){.base = w->data, .len = w->len}, 1);
    if (n > 0) off = (size_t)n;
    if (off == w->len) {
      free(w);
      if (c->close_when_drained) conn_close(c);
      return;
    }
    if (n < 0 && n != UV_EAGAIN) {
      free(w);
      SW_DEBUG(HS_LOG, "%s: write failed: %s", c->remote, uv_strerror(n));
      conn_close(c);
      return;
    }
  }
  uv_buf_t b = uv_buf_init(w->data + off, (unsigned)(w->len - off));
  c->writes_pending++;
  int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_write);
  if (rc < 0) {
    c->writes_pending--;
    free(w);
    SW_DEBUG(HS_LOG, "%s: write failed: %s", c->remote, uv_strerror(rc));
    conn_close(c);
    return;
  }
  timer_arm(c, c->srv->opts.idle_timeout);
}

/* Formats the status line and headers into b. */
static void build_head(hs_conn *c, sw_buf *b, int status, const char *content_type, long long content_length,
                       bool chunked) {
  sw_buf_printf(b, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status, status_text(status), date_header());
  if (content_type) sw_buf_printf(b, "Content-Type: %s\r\n", content_type);
  if (content_length >= 0) sw_buf_printf(b, "Content-Length: %lld\r\n", content_length);
  if (chunked) sw_buf_puts(b, "Transfer-Encoding: chunked\r\n");
  sw_buf_puts(b, c->keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
  if (c->res.extra_headers.len) sw_buf_append(b, c->res.extra_headers.data, c->res.extra_headers.len);
  sw_buf_puts(b, "\r\n");
}

/* A reply the server makes by itself (400/413/431): then close. */
static void send_error_and_close(hs_conn *c, int status, const char *msg) {
  c->keep_alive = false;
  sw_buf_reset(&c->res.extra_headers);
  sw_buf body, b;
  sw_buf_init(&body);
  sw_buf_init(&b);
  const char *ctype = "text/plain; charset=utf-8";
  if (c->srv->error_format) {
    /* The formatter gets the message without its trailing newline. */
    char m[256];
    snprintf(m, sizeof m, "%s", msg);
    size_t ml = strlen(m);
    while (ml && m[ml - 1] == '\n') m[--ml] = 0;
    ctype = c->srv->error_format(c->srv->error_format_ud, status, m, &body);
  } else {
    sw_buf_puts(&body, msg);
  }
  build_head(c, &b, status, ctype, (long long)body.len, false);
  if (body.len) sw_buf_append(&b, body.data, body.len);
  hs_write *w = write_new(c, b.len);
  memcpy(w->data, b.data, b.len);
  sw_buf_free(&b);
  sw_buf_free(&body);
  c->state = HS_HANDLING; /* no more parsing on this connection */
  c->res.finished = true;
  c->close_when_drained = true;
  write_send(c, w);
}

/* ---- timers -------------------------------------------------------------- */

static void on_timer(uv_timer_t *t) {
  hs_conn *c = t->data;
  if (c->closing) return;
  if (c->state == HS_READ_HEAD && c->head_started)
    SW_DEBUG(HS_LOG, "%s: request head not complete in time; closing", c->remote);
  else if (c->writes_pending)
    SW_DEBUG(HS_LOG, "%s: client stopped reading the reply; closing", c->remote);
  conn_close(c);
}

static void timer_arm(hs_conn *c, double seconds) {
  if (c->closing) return;
  uint64_t ms = seconds <= 0 ? 1 : (uint64_t)(seconds * 1000.0 + 0.5);
  uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* ---- http-parser callbacks ---------------------------------------------- */

static int head_bytes_add(hs_conn *c, size_t n) {
  c->head_bytes += n;
  if (c->head_bytes > c->srv->opts.max_header_bytes) {
    c->fail = HS_FAIL_HEADER;
    return -1;
  }
  return 0;
}

static int cb_message_begin(http_parser *p) {
  hs_conn *c = p->data;
  if (!c->head_started) {
    c->head_started = true;
    timer_arm(c, c->srv->opts.header_timeout);
  }
  return 0;
}

static int cb_url(http_parser *p, const char *at, size_t n) {
  hs_conn *c = p->data;
  if (head_bytes_add(c, n)) return -1;
  sw_buf_append(&c->url, at, n);
  return 0;
}

static void header_flush(hs_conn *c) {
  if (!c->last_was_value) return;
  http_header h = {sw_arena_strdup(c->arena, c->field.data ? c->field.data : ""),
                   sw_arena_strdup(c->arena, c->value.data ? c->value.data : "")};
  sw_vec_push(&c->headers, h);
  sw_buf_reset(&c->field);
  sw_buf_reset(&c->value);
  c->last_was_value = false;
}

static int cb_header_field(http_parser *p, const char *at, size_t n) {
  hs_conn *c = p->data;
  if (head_bytes_add(c, n + 4)) return -1; /* ": " and CRLF count toward the limit */
  header_flush(c);
  sw_buf_append(&c->field, at, n);
  return 0;
}

static int cb_header_value(http_parser *p, const char *at, size_t n) {
  hs_conn *c = p->data;
  if (head_bytes_add(c, n)) return -1;
  sw_buf_append(&c->value, at, n);
  c->last_was_value = true;
  return 0;
}

static int cb_headers_complete(http_parser *p) {
  hs_conn *c = p->data;
  header_flush(c);
  c->state = HS_READ_BODY;
  c->is_head = p->method == HTTP_HEAD;
  c->keep_alive = http_should_keep_alive(p) && !c->srv->closing;
  c->req.headers = c->headers.items;
  c->req.n_headers = c->headers.len;
  /* content_length is ULLONG_MAX when absent. */
  if ((p->flags & F_CONTENTLENGTH) && p->content_length > c->srv->opts.max_body_bytes) {
    c->fail = HS_FAIL_BODY;
    return -1;
  }
  if (p->flags & F_CONTENTLENGTH) sw_buf_reserve(&c->body, (size_t)p->content_length);
  timer_arm(c, c->srv->opts.idle_timeout);
  /* curl and others wait for "100 Continue" before a large body (RFC 7231 5.1.1). */
  const char *expect = http_request_header(&c->req, "Expect");
  if (expect && strcasecmp(expect, "100-continue") == 0 && p->http_minor >= 1) {
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    hs_write *w = write_new(c, sizeof cont - 1);
    memcpy(w->data, cont, sizeof cont - 1);
    write_send(c, w);
  }
  return 0;
}

static int cb_body(http_parser *p, const char *at, size_t n) {
  hs_conn *c = p->data;
  if (c->body.len + n > c->srv->opts.max_body_bytes) {
    c->fail = HS_FAIL_BODY;
    return -1;
  }
  sw_buf_append(&c->body, at, n);
  return 0;
}

static int cb_message_complete(http_parser *p) {
  hs_conn *c = p->data;
  c->state = HS_HANDLING;
  c->keep_alive = http_should_keep_alive(p) && !c->srv->closing;
  http_parser_pause(p, 1);
  return 0;
}

static const http_parser_settings parser_settings = {
    .on_message_begin = cb_message_begin,
    .on_url = cb_url,
    .on_header_field = cb_header_field,
    .on_header_value = cb_header_value,
    .on_headers_complete = cb_headers_complete,
    .on_body = cb_body,
    .on_message_complete = cb_message_complete,
};

/* ---- request dispatch ---------------------------------------------------- */

static void request_reset(hs_conn *c) {
  sw_arena_reset(c->arena);
  sw_buf_reset(&c->url);
  sw_buf_reset(&c->field);
  sw_buf_reset(&c->value);
  /* Do not keep a huge body buffer around on an idle keep-alive connection. */
  if (c->body.cap > (1u << 20))
    sw_buf_free(&c->body);
  else
    sw_buf_reset(&c->body);
  c->headers.len = 0;
  c->last_was_value = false;
  c->head_bytes = 0;
  c->head_started = false;
  c->fail = HS_FAIL_NONE;
  c->is_head = false;
  sw_buf_reset(&c->res.extra_headers);
  c->res.started = c->res.finished = c->res.streaming = c->res.chunked = false;
  c->res.on_close = NULL;
  c->res.on_close_ud = NULL;
  memset(&c->req, 0, sizeof c->req);
  c->req.remote_addr = c->remote;
  c->state = HS_READ_HEAD;
}

static void dispatch(hs_conn *c) {
  http_request *r = &c->req;
  r->method = http_method_str((enum http_method)c->parser.method);
  r->url = sw_arena_strdup(c->arena, c->url.data ? c->url.data : "");
  /* Absolute-form targets ("http://host/path?q", RFC 7230 5.3.2): keep the path. */
  const char *u = r->url;
  if (strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0) {
    const char *slash = strchr(strstr(u, "//") + 2, '/');
    u = slash ? slash : "/";
  }
  const char *q = strchr(u, '?');
  size_t plen = q ? (size_t)(q - u) : strlen(u);
  r->path = pct_decode(c->arena, u, plen, false);
  r->query = q ? q + 1 : "";
  r->headers = c->headers.items;
  r->n_headers = c->headers.len;
  if (!c->body.data) sw_buf_reserve(&c->body, 0), c->body.data[0] = 0;
  r->body = c->body.data;
  r->body_len = c->body.len;
  r->remote_addr = c->remote;
  uv_timer_stop(&c->timer);
  c->res.conn = c;
  c->srv->handler(c->srv->ud, r, &c->res);
}

/* Parses buffered input until a request is handed to the handler or the
 * buffer is empty. Never re-entered: replies given from inside the handler
 * just change state and the loop here continues. */
static void process_input(hs_conn *c) {
  if (c->in_process) return;
  c->in_process = true;
  while (!c->closing && c->state != HS_HANDLING && c->in_off < c->in.len) {
    size_t avail = c->in.len - c->in_off;
    size_t n = http_parser_execute(&c->parser, &parser_settings, c->in.data + c->in_off, avail);
    c->in_off += n;
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    if (e == HPE_PAUSED) {
      http_parser_pause(&c->parser, 0);
      if (c->parser.upgrade) c->upgrade = true;
      if (c->upgrade) c->keep_alive = false;
      dispatch(c);
      continue; /* if the handler replied synchronously, state is READ_HEAD again */
    }
    if (e != HPE_OK) {
      if (c->fail == HS_FAIL_HEADER || e == HPE_HEADER_OVERFLOW)
        send_error_and_close(c, 431, "request header fields too large\n");
      else if (c->fail == HS_FAIL_BODY)
        send_error_and_close(c, 413, "request body too large\n");
      else {
        char msg[160];
        snprintf(msg, sizeof msg, "bad request: %s\n", http_errno_description(e));
        send_error_and_close(c, 400, msg);
      }
      break;
    }
    if (n < avail && c->state != HS_HANDLING) {
      /* http-parser stopped without an error or a message: treat as malformed. */
      send_error_and_close(c, 400, "bad request\n");
      break;
    }
  }
  /* Drop parsed bytes; keep pipelined leftovers at the front. */
  if (c->in_off > 0) {
    size_t rest = c->in.len - c->in_off;
    if (rest) memmove(c->in.data, c->in.data + c->in_off, rest);
    c->in.len = rest;
    c->in.data[rest] = 0;
    c->in_off = 0;
  }
  c->in_process = false;
}

/* The reply is finished: on a keep-alive connection, go on with the next
 * (possibly already buffered) request; otherwise close once written. */
static void conn_next_request(hs_conn *c) {
  if (c->closing) return;
  if (!c->keep_alive || c->upgrade) {
    c->close_when_drained = true;
    if (c->writes_pending == 0) conn_close(c);
    return; /* state stays HANDLING: nothing more is parsed */
  }
  request_reset(c);
  if (!c->reading) conn_resume_reading(c);
  if (c->writes_pending == 0) timer_arm(c, c->srv->opts.idle_timeout);
  if (!c->in_process) process_input(c);
}

/* ---- connection lifecycle ----------------------------------------------- */

static void on_handle_closed(uv_handle_t *h) {
  hs_conn *c = h->data;
  if (--c->open_handles > 0) return;
  http_server *s = c->srv;
  /* The client went away before the reply was finished: tell the handler. */
  if (c->state == HS_HANDLING && !c->res.finished && c->res.on_close) c->res.on_close(c->res.on_close_ud);
  if (c->prev)
    c->prev->next = c->next;
  else
    s->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  s->n_conns--;
  sw_arena_free(c->arena);
  sw_buf_free(&c->in);
  sw_buf_free(&c->url);
  sw_buf_free(&c->field);
  sw_buf_free(&c->value);
  sw_buf_free(&c->body);
  sw_buf_free(&c->res.extra_headers);
  sw_vec_free(&c->headers);
  free(c);
  if (s->closing && s->listener_closed && s->n_conns == 0) free(s);
}

static void conn_close(hs_conn *c) {
  if (c->closing) return;
  c->closing = true;
  uv_timer_stop(&c->timer);
  uv_close((uv_handle_t *)&c->timer, on_handle_closed);
  uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  hs_conn *c = h->data;
  sw_buf_reserve(&c->in, HS_READ_CHUNK);
  buf->base = c->in.data + c->in.len;
  buf->len = c->in.cap - c->in.len - 1; /* keep room for the NUL */
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  hs_conn *c = st->data;
  if (nread == 0 || c->closing) return;
  if (nread < 0) {
    if (nread != UV_EOF) SW_DEBUG(HS_LOG, "%s: read: %s", c->remote, uv_strerror((int)nread));
    /* A client that half-closes after its last request still gets the reply
     * that is already written out; one whose reply is unfinished is gone. */
    if (nread == UV_EOF && (c->close_when_drained || (c->state == HS_READ_HEAD && !c->head_started))) {
      uv_read_stop(st);
      c->reading = false;
      c->close_when_drained = true;
      if (c->writes_pending == 0) conn_close(c);
      return;
    }
    conn_close(c);
    return;
  }
  c->in.len += (size_t)nread;
  c->in.data[c->in.len] = 0;
  if (c->state == HS_READ_BODY) timer_arm(c, c->srv->opts.idle_timeout); /* body progress */
  if (c->state == HS_HANDLING) {
    /* Pipelined bytes wait for the reply; bound what a client may queue. */
    if (c->in.len > c->srv->opts.max_header_bytes + c->srv->opts.max_body_bytes) {
      uv_read_stop(st);
      c->reading = false;
    }
    return;
  }
  process_input(c);
}

static void conn_resume_reading(hs_conn *c) {
  if (c->closing) return;
  c->reading = true;
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void peer_name(hs_conn *c) {
  struct sockaddr_storage ss;
  int len = sizeof ss;
  char ip[INET6_ADDRSTRLEN] = "";
  snprintf(c->remote, sizeof c->remote, "local");
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0) return;
  if (ss.ss_family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    uv_ip4_name(a, ip, sizeof ip);
    snprintf(c->remote, sizeof c->remote, "%s:%d", ip, ntohs(a->sin_port));
  } else if (ss.ss_family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    uv_ip6_name(a, ip, sizeof ip);
    snprintf(c->remote, sizeof c->remote, "[%s]:%d", ip, ntohs(a->sin6_port));
  }
}

static hs_conn *conn_new(http_server *s) {
  hs_conn *c = sw_xcalloc(1, sizeof *c);
  c->srv = s;
  uv_tcp_init(s->loop, &c->tcp);
  uv_timer_init(s->loop, &c->timer);
  c->tcp.data = c->timer.data = c;
  c->open_handles = 2;
  c->next = s->conns;
  if (s->conns) s->conns->prev = c;
  s->conns = c;
  s->n_conns++;
  c->arena = sw_arena_new(4096);
  return c;
}

static void conn_start(hs_conn *c) {
  /* Streamed tokens must leave at once, not wait for Nagle + delayed ACK. */
  uv_tcp_nodelay(&c->tcp, 1);
  peer_name(c);
  http_parser_init(&c->parser, HTTP_REQUEST);
  c->parser.data = c;
  request_reset(c);
  conn_resume_reading(c);
  timer_arm(c, c->srv->opts.header_timeout);
}

static void on_connection(uv_stream_t *ls, int status) {
  http_server *s = ls->data;
  if (status < 0) {
    SW_WARN(HS_LOG, "accept: %s", uv_strerror(status));
    return;
  }
  hs_conn *c = conn_new(s);
  if (uv_accept(ls, (uv_stream_t *)&c->tcp) < 0) {
    conn_close(c);
    return;
  }
  conn_start(c);
}

/* ---- public API ---------------------------------------------------------- */

static void on_listener_closed(uv_handle_t *h) {
  http_server *s = h->data;
  s->listener_closed = true;
  if (s->n_conns == 0) free(s);
}

int http_server_listen(uv_loop_t *loop, const char *host, int port, const http_server_opts *opts,
                       http_handler handler, void *ud, http_server **out, sw_err *err) {
  if (!host || !*host) host = "0.0.0.0";
  struct sockaddr_storage addr;
  int rc = strchr(host, ':') ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr)
                             : uv_ip4_addr(host, port, (struct sockaddr_in *)&addr);
  if (rc < 0)
    return sw_err_set(err, SW_EINVAL, "http_server_listen: host \"%s\" is not an IP address (%s)", host,
                      uv_strerror(rc));
  http_server *s = sw_xcalloc(1, sizeof *s);
  s->loop = loop;
  s->handler = handler;
  s->ud = ud;
  s->opts.max_header_bytes = opts && opts->max_header_bytes ? opts->max_header_bytes : 16 * 1024;
  s->opts.max_body_bytes = opts && opts->max_body_bytes ? opts->max_body_bytes : 8 * 1024 * 1024;
  s->opts.idle_timeout = opts && opts->idle_timeout > 0 ? opts->idle_timeout : 60;
  s->opts.header_timeout = opts && opts->header_timeout > 0 ? opts->header_timeout : 10;
  uv_tcp_init(loop, &s->listener);
  s->listener.data = s;
  if ((rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&addr, 0)) < 0 ||
      (rc = uv_listen((uv_stream_t *)&s->listener, 4096, on_connection)) < 0) {
    sw_err_set(err, SW_EIO, "http_server_listen: cannot listen on %s:%d: %s", host, port, uv_strerror(rc));
    s->closing = true;
    uv_close((uv_handle_t *)&s->listener, on_listener_closed); /* frees s */
    return SW_EIO;
  }
  struct sockaddr_storage bound;
  int blen = sizeof bound;
  uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &blen);
  s->port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                                        : ntohs(((struct sockaddr_in *)&bound)->sin_port);
  *out = s;
  return SW_OK;
}

int http_server_port(const http_server *s) { return s->port; }

int http_server_adopt(http_server *s, int fd, sw_err *err) {
  if (s->closing) return sw_err_set(err, SW_EINVAL, "http_server_adopt: server is closing");
  hs_conn *c = conn_new(s);
  int rc = uv_tcp_open(&c->tcp, (uv_os_sock_t)fd);
  if (rc < 0) {
    conn_close(c);
    return sw_err_set(err, SW_EIO, "http_server_adopt: fd %d: %s", fd, uv_strerror(rc));
  }
  conn_start(c);
  return SW_OK;
}

size_t http_server_connections(const http_server *s) { return s->n_conns; }

void http_server_set_error_format(http_server *s, http_error_format fn, void *ud) {
  s->error_format = fn;
  s->error_format_ud = ud;
}

/* Stops accepting; closes idle connections now; a connection with a request
 * in flight finishes its reply (sent with Connection: close) and then closes.
 * The server frees itself when the last connection is gone. */
void http_server_close(http_server *s) {
  if (!s || s->closing) return;
  s->closing = true;
  for (hs_conn *c = s->conns, *next; c; c = next) {
    next = c->next;
    if (c->state == HS_HANDLING)
      c->keep_alive = false;
    else
      conn_close(c);
  }
  uv_close((uv_handle_t *)&s->listener, on_listener_closed);
}

const char *http_request_header(const http_request *req, const char *name) {
  for (size_t i = 0; i < req->n_headers; i++)
    if (strcasecmp(req->headers[i].name, name) == 0) return req->headers[i].value;
  return NULL;
}

const char *http_request_query(const http_request *req, const char *name) {
  hs_conn *c = (hs_conn *)req; /* req is the first member of its connection */
  size_t nlen = strlen(name);
  const char *p = req->query ? req->query : "";
  while (*p) {
    const char *amp = strchr(p, '&');
    size_t seg = amp ? (size_t)(amp - p) : strlen(p);
    const char *eq = memchr(p, '=', seg);
    size_t klen = eq ? (size_t)(eq - p) : seg;
    const char *key = pct_decode(c->arena, p, klen, true);
    if (strlen(key) == nlen && memcmp(key, name, nlen) == 0)
      return eq ? pct_decode(c->arena, eq + 1, seg - klen - 1, true) : "";
    p += seg;
    if (*p == '&') p++;
  }
  return NULL;
}

void http_response_header(http_response *res, const char *name, const char *value) {
  if (res->started || res->finished) return;
  /* Header injection guard: a CR or LF in a name or value would split the reply. */
  if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n")) {
    SW_WARN(HS_LOG, "dropping response header with CR/LF: %s", name);
    return;
  }
  sw_buf_printf(&res->extra_headers, "%s: %s\r\n", name, value);
}

void http_respond(http_response *res, int status, const char *content_type, const char *body, size_t len) {
  hs_conn *c = res->conn;
  if (res->finished || res->started) return;
  res->finished = true;
  if (c->closing) return;
  sw_buf head;
  sw_buf_init(&head);
  build_head(c, &head, status, content_type, (long long)len, false);
  size_t blen = c->is_head ? 0 : len;
  hs_write *w = write_new(c, head.len + blen);
  memcpy(w->data, head.data, head.len);
  if (blen) memcpy(w->data + head.len, body, blen);
  sw_buf_free(&head);
  write_send(c, w);
  conn_next_request(c);
}

void http_stream_begin(http_response *res, int status, const char *content_type) {
  hs_conn *c = res->conn;
  if (res->finished || res->started) return;
  res->started = res->streaming = true;
  if (c->closing) return;
  /* HTTP/1.0 has no chunked coding: the body ends when the connection closes. */
  res->chunked = c->parser.http_major > 1 || (c->parser.http_major == 1 && c->parser.http_minor >= 1);
  if (!res->chunked) c->keep_alive = false;
  sw_buf head;
  sw_buf_init(&head);
  build_head(c, &head, status, content_type, -1, res->chunked);
  hs_write *w = write_new(c, head.len);
  memcpy(w->data, head.data, head.len);
  sw_buf_free(&head);
  write_send(c, w);
}

size_t http_stream_queued(const http_response *res) {
  hs_conn *c = res->conn;
  return c->closing ? 0 : uv_stream_get_write_queue_size((const uv_stream_t *)&c->tcp);
}

void http_stream_write(http_response *res, const char *data, size_t len) {
  hs_conn *c = res->conn;
  if (!res->started || res->finished || c->closing || len == 0 || c->is_head) return;
  if (!res->chunked) {
    hs_write *w = write_new(c, len);
    memcpy(w->data, data, len);
    write_send(c, w);
    return;
  }
  char pre[24];
  int pn = snprintf(pre, sizeof pre, "%zx\r\n", len);
  hs_write *w = write_new(c, (size_t)pn + len + 2);
  memcpy(w->data, pre, (size_t)pn);
  memcpy(w->data + pn, data, len);
  memcpy(w->data + pn + len, "\r\n", 2);
  write_send(c, w);
}

void http_stream_end(http_response *res) {
  hs_conn *c = res->conn;
  if (!res->started || res->finished) return;
  res->finished = true;
  if (c->closing) return;
  if (res->chunked && !c->is_head) {
    static const char term[] = "0\r\n\r\n";
    hs_write *w = write_new(c, sizeof term - 1);
    memcpy(w->data, term, sizeof term - 1);
    write_send(c, w);
  } else {
    c->keep_alive = false; /* close-delimited body (HTTP/1.0): the close ends it */
  }
  conn_next_request(c);
}

void http_response_on_close(http_response *res, void (*cb)(void *ud), void *ud) {
  res->on_close = cb;
  res->on_close_ud = ud;
}
