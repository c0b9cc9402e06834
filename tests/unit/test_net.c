/* Unit tests for src/net/http_server.c: a real server on 127.0.0.1 (its own
 * loop in a thread) driven by a plain blocking client socket, so the bytes on
 * the wire are exactly what is checked: keep-alive, pipelining order, limits
 * (400/413/431), timeouts, async and chunked replies, on_close, shutdown. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/http_server.h"

typedef struct srv_thread {
  pthread_t th;
  uv_loop_t loop;
  uv_async_t stop;
  http_server *srv;
  http_server_opts opts;
  atomic_int port;
  atomic_int closes;      /* on_close calls */
  atomic_int handled;     /* requests handled */
  atomic_int stream_done; /* streams ended normally */
} srv_thread;

typedef struct pending {
  uv_timer_t timer;
  http_response *res;
  srv_thread *st;
  int left;
  bool gone;
  bool forever;
} pending;

static void pending_free(uv_handle_t *h) { free(h->data); }

static void on_client_gone(void *ud) {
  pending *p = ud;
  atomic_fetch_add(&p->st->closes, 1);
  p->gone = true;
  uv_timer_stop(&p->timer);
  uv_close((uv_handle_t *)&p->timer, pending_free);
}

static void async_reply(uv_timer_t *t) {
  pending *p = t->data;
  http_respond(p->res, 200, "text/plain", "late", 4);
  uv_close((uv_handle_t *)&p->timer, pending_free);
}

static void stream_tick(uv_timer_t *t) {
  pending *p = t->data;
  char chunk[32];
  int n = snprintf(chunk, sizeof chunk, "tick %d\n", p->left);
  http_stream_write(p->res, chunk, (size_t)n);
  if (!p->forever && --p->left == 0) {
    http_stream_end(p->res);
    atomic_fetch_add(&p->st->stream_done, 1);
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, pending_free);
  }
}

static pending *pending_new(srv_thread *st, http_response *res) {
  pending *p = calloc(1, sizeof *p);
  p->res = res;
  p->st = st;
  uv_timer_init(&st->loop, &p->timer);
  p->timer.data = p;
  http_response_on_close(res, on_client_gone, p);
  return p;
}

static void handler(void *ud, const http_request *req, http_response *res) {
  srv_thread *st = ud;
  atomic_fetch_add(&st->handled, 1);
  if (strcmp(req->path, "/hello") == 0) {
    http_response_header(res, "X-Test", "yes");
    http_respond(res, 200, "text/plain", "hello", 5);
  } else if (strcmp(req->path, "/echo") == 0) {
    char out[4096];
    const char *a = http_request_query(req, "a"), *b = http_request_query(req, "b");
    const char *ct = http_request_header(req, "content-type"), *e = http_request_header(req, "X-Empty");
    int n =
        snprintf(out, sizeof out, "%s|%s|a=%s|b=%s|ct=%s|empty=[%s]|len=%zu|body=%s", req->method, req->path,
                 a ? a : "-", b ? b : "-", ct ? ct : "-", e ? e : "-", req->body_len, req->body);
    http_respond(res, 200, "text/plain", out, (size_t)n);
  } else if (strcmp(req->path, "/async") == 0) {
    pending *p = pending_new(st, res);
    uv_timer_start(&p->timer, async_reply, 100, 0);
  } else if (strcmp(req->path, "/stream") == 0) {
    const char *n = http_request_query(req, "n");
    pending *p = pending_new(st, res);
    p->left = n ? atoi(n) : 3;
    p->forever = n == NULL;
    http_stream_begin(res, 200, "text/event-stream");
    uv_timer_start(&p->timer, stream_tick, 10, 10);
  } else {
    http_respond(res, 404, "text/plain", "no\n", 3);
  }
}

static void on_stop(uv_async_t *a) {
  srv_thread *st = a->data;
  if (st->srv) http_server_close(st->srv);
  st->srv = NULL;
  uv_close((uv_handle_t *)a, NULL);
}

static void *srv_main(void *arg) {
  srv_thread *st = arg;
  sw_err err;
  cr_assert_eq(http_server_listen(&st->loop, "127.0.0.1", 0, &st->opts, handler, st, &st->srv, &err), 0, "%s",
               err.msg);
  atomic_store(&st->port, http_server_port(st->srv));
  uv_run(&st->loop, UV_RUN_DEFAULT);
  return NULL;
}

static srv_thread *srv_start(const http_server_opts *opts) {
  srv_thread *st = calloc(1, sizeof *st);
  if (opts) st->opts = *opts;
  uv_loop_init(&st->loop);
  uv_async_init(&st->loop, &st->stop, on_stop);
  st->stop.data = st;
  pthread_create(&st->th, NULL, srv_main, st);
  while (atomic_load(&st->port) == 0) usleep(1000);
  return st;
}

/* Asks the server to close; the loop ends when every connection is gone. */
static void srv_stop(srv_thread *st) {
  uv_async_send(&st->stop);
  pthread_join(st->th, NULL);
  cr_assert_eq(uv_loop_close(&st->loop), 0, "handles left open on the loop");
  free(st);
}

static int client(srv_thread *st) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atomic_load(&st->port))};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  struct timeval tv = {.tv_sec = 5};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

static void send_all(int fd, const char *s, size_t n) {
  while (n) {
    ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}
static void sends(int fd, const char *s) { send_all(fd, s, strlen(s)); }

typedef struct reply {
  int status;
  char head[8192];
  char body[65536];
  size_t body_len;
  bool chunked;
} reply;

/* Buffered reader so pipelined replies are split correctly. */
typedef struct rd {
  int fd;
  char buf[262144];
  size_t len;
} rd;

static bool rd_fill(rd *r) {
  if (r->len >= sizeof r->buf) return false;
  ssize_t n = recv(r->fd, r->buf + r->len, sizeof r->buf - r->len, 0);
  if (n <= 0) return false;
  r->len += (size_t)n;
  return true;
}
static void rd_take(rd *r, char *out, size_t n) {
  if (out) memcpy(out, r->buf, n);
  memmove(r->buf, r->buf + n, r->len - n);
  r->len -= n;
}
static bool rd_line(rd *r, char *out, size_t cap) {
  for (;;) {
    char *nl = memmem(r->buf, r->len, "\r\n", 2);
    if (nl) {
      size_t n = (size_t)(nl - r->buf);
      cr_assert_lt(n, cap);
      rd_take(r, out, n);
      out[n] = 0;
      rd_take(r, NULL, 2);
      return true;
    }
    if (!rd_fill(r)) return false;
  }
}
static bool rd_n(rd *r, char *out, size_t n) {
  while (r->len < n)
    if (!rd_fill(r)) return false;
  rd_take(r, out, n);
  return true;
}

/* Reads one reply; false when the connection closed first. */
static bool read_reply(rd *r, reply *rep, bool head_only) {
  memset(rep, 0, sizeof *rep);
  char line[8192];
  if (!rd_line(r, line, sizeof line)) return false;
  cr_assert(sscanf(line, "HTTP/1.1 %d", &rep->status) == 1, "status line: %s", line);
  long clen = -1;
  for (;;) {
    cr_assert(rd_line(r, line, sizeof line));
    if (!*line) break;
    strcat(rep->head, line);
    strcat(rep->head, "\n");
    if (strncasecmp(line, "Content-Length:", 15) == 0) clen = atol(line + 15);
    if (strcasecmp(line, "Transfer-Encoding: chunked") == 0) rep->chunked = true;
  }
  if (head_only) return true;
  if (rep->chunked) {
    for (;;) {
      cr_assert(rd_line(r, line, sizeof line));
      size_t n = strtoul(line, NULL, 16);
      if (n == 0) {
        cr_assert(rd_line(r, line, sizeof line));
        cr_assert_str_eq(line, "");
        break;
      }
      cr_assert(rd_n(r, rep->body + rep->body_len, n));
      rep->body_len += n;
      cr_assert(rd_line(r, line, sizeof line));
      cr_assert_str_eq(line, "");
    }
  } else if (clen >= 0) {
    cr_assert(rd_n(r, rep->body, (size_t)clen));
    rep->body_len = (size_t)clen;
  } else {
    while (rd_fill(r)) {
    }
    memcpy(rep->body, r->buf, r->len);
    rep->body_len = r->len;
    r->len = 0;
  }
  rep->body[rep->body_len] = 0;
  return true;
}

static bool closed_by_peer(int fd) {
  char c;
  return recv(fd, &c, 1, 0) == 0;
}

Test(net, keep_alive_two_requests_one_connection) {
  srv_thread *st = srv_start(NULL);
  rd r = {.fd = client(st)};
  reply rep;
  for (int i = 0; i < 2; i++) {
    sends(r.fd, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    cr_assert(read_reply(&r, &rep, false));
    cr_assert_eq(rep.status, 200);
    cr_assert_str_eq(rep.body, "hello");
    cr_assert(strstr(rep.head, "Connection: keep-alive"), "%s", rep.head);
    cr_assert(strstr(rep.head, "X-Test: yes"));
    cr_assert(strstr(rep.head, "Date: "));
  }
  close(r.fd);
  srv_stop(st);
}

Test(net, pipelined_requests_answered_in_order) {
  srv_thread *st = srv_start(NULL);
  rd r = {.fd = client(st)};
  /* The first request is answered late (async); the others must wait. */
  sends(r.fd, "GET /async HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
              "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  reply rep;
  cr_assert(read_reply(&r, &rep, false));
  cr_assert_str_eq(rep.body, "late");
  cr_assert(read_reply(&r, &rep, false));
  cr_assert_str_eq(rep.body, "hello");
  cr_assert(read_reply(&r, &rep, false));
  cr_assert(strstr(rep.body, "body=abc"), "%s", rep.body);
  close(r.fd);
  srv_stop(st);
}

Test(net, http10_and_connection_close) {
  srv_thread *st = srv_start(NULL);
  reply rep;
  rd r = {.fd = client(st)};
  sends(r.fd, "GET /hello HTTP/1.0\r\n\r\n");
  cr_assert(read_reply(&r, &rep, false));
  cr_assert(strstr(rep.head, "Connection: close"));
  cr_assert(closed_by_peer(r.fd));
  close(r.fd);

  r = (rd){.fd = client(st)};
  sends(r.fd, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  cr_assert(read_reply(&r, &rep, false));
  cr_assert(strstr(rep.head, "Connection: keep-alive"));
  sends(r.fd, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  cr_assert(read_reply(&r, &rep, false));
  cr_assert_str_eq(rep.body, "hello");
  close(r.fd);

  r = (rd){.fd = client(st)};
  sends(r.fd, "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n");
  cr_assert(read_reply(&r, &rep, false));
  cr_assert(strstr(rep.head, "Connection: close"));
  cr_assert(closed_by_peer(r.fd));
  close(r.fd);
  srv_stop(st);
}

Test(net, query_headers_body_and_chunked_request) {
  srv_thread *st = srv_start(NULL);
  rd r = {.fd = client(st)};
  reply rep;
  sends(r.fd, "POST /ec%68o?a=1&b=hello%20wor+ld HTTP/1.1\r\nContent-Type: application/json\r\nX-Empty:\r\n"
              "Content-Length: 7\r\n\r\n{\"x\":1}");
  cr_assert(read_reply(&r, &rep, false));
  cr_assert_str_eq(rep.body,
                   "POST|/echo|a=1|b=hello wor ld|ct=application/json|empty=[]|len=7|body={\"x\":1}");
  sends(r.fd, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  cr_assert(read_reply(&r, &rep, false));
  cr_assert(strstr(rep.body, "len=5|body=abcde"), "%s", rep.body);
  sends(r.fd, "GET /nope HTTP/1.1\r\n\r\n");
  cr_assert(read_reply(&r, &rep, false));
  cr_assert_eq(rep.status, 404);
  close(r.fd);
  srv_stop(st);
}

Test(net, head_request_has_no_body) {
  srv_thread *st = srv_start(NULL);
  rd r = {.fd = client(st)};
  reply rep;
  sends(r.fd, "HEAD /hello HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n");
  cr_assert(read_reply(&r, &rep, true));
  cr_assert(strstr(rep.head, "Content-Length: 5"));
  cr_assert(read_reply(&r, &rep, false)); /* the next reply follows directly */
  cr_assert_str_eq(rep.body, "hello");
  close(r.fd);
  srv_stop(st);
}

Test(net, expect_100_continue) {
  srv_thread *st = srv_start(NULL);
  rd r = {.fd = client(st)};
  reply rep;
  sends(r.fd, "POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  char line[256];
  cr_assert(rd_line(&r, line, sizeof line));
  cr_assert_str_eq(line, "HTTP/1.1 100 Continue");
  cr_assert(rd_line(&r, line, sizeof line));
  sends(r.fd, "hi");
  cr_assert(read_reply(&r, &rep, false));
  cr_assert(strstr(rep.body, "body=hi"));
  close(r.fd);
  srv_stop(st);
}

Test(net, limits_and_parse_errors) {
  http_server_opts o = {.max_header_bytes = 1024, .max_body_bytes = 100};
  srv_thread *st = srv_start(&o);
  reply rep;
  struct {
    const char *req;
    int status;
  } cases[] = {
      {"GET /hello HTTP/1.1\r\nX-Big: %s\r\n\r\n", 431},
      {"POST /echo HTTP/1.1\r\nContent-Length: 101\r\n\r\n", 413},
      {"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n%.64s\r\n40\r\n%.64s\r\n0\r\n\r\n",
       413},
      {"GARBAGE\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400},
      {"GET / HTTP/9.9.9\r\n\r\n", 400},
  };
  char big[2048];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char req[8192];
    snprintf(req, sizeof req, cases[i].req, big, big);
    rd r = {.fd = client(st)};
    sends(r.fd, req);
    cr_assert(read_reply(&r, &rep, false), "case %zu", i);
    cr_assert_eq(rep.status, cases[i].status, "case %zu: %d", i, rep.status);
    cr_assert(strstr(rep.head, "Connection: close"));
    cr_assert(closed_by_peer(r.fd), "case %zu", i);
    close(r.fd);
  }
  /* Other clients are unaffected. */
  rd r = {.fd = client(st)};
  sends(r.fd, "GET /hello HTTP/1.1\r\n\r\n");
  cr_assert(read_reply(&r, &rep, false));
  cr_assert_eq(rep.status, 200);
  close(r.fd);
  srv_stop(st);
}

Test(net, slowloris_and_idle_timeouts) {
  http_server_opts o = {.header_timeout = 0.3, .idle_timeout = 0.4};
  srv_thread *st = srv_start(&o);
  /* Slowloris: a byte every 50 ms never completes the head; cut off in time. */
  int fd = client(st);
  const char *req =
      "GET /hello HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  double t0 = sw_mono_now();
  bool cut = false;
  for (size_t i = 0; i < strlen(req); i++) {
    if (send(fd, req + i, 1, MSG_NOSIGNAL) <= 0) {
      cut = true;
      break;
    }
    usleep(50000);
    char c;
    if (recv(fd, &c, 1, MSG_DONTWAIT) == 0) {
      cut = true;
      break;
    }
  }
  double took = sw_mono_now() - t0;
  cr_assert(cut, "slow client was not cut off");
  cr_assert_lt(took, 1.0, "cut after %.2fs", took);
  close(fd);
  /* Idle keep-alive connection closes after idle_timeout. */
  rd r = {.fd = client(st)};
  reply rep;
  sends(r.fd, "GET /hello HTTP/1.1\r\n\r\n");
  cr_assert(read_reply(&r, &rep, false));
  t0 = sw_mono_now();
  cr_assert(closed_by_peer(r.fd));
  took = sw_mono_now() - t0;
  cr_assert(took > 0.3 && took < 1.5, "idle close after %.2fs", took);
  close(r.fd);
  srv_stop(st);
}

Test(net, chunked_stream_and_http10_stream) {
  srv_thread *st = srv_start(NULL);
  rd r = {.fd = client(st)};
  reply rep;
  sends(r.fd, "GET /stream?n=3 HTTP/1.1\r\n\r\n");
  cr_assert(read_reply(&r, &rep, false));
  cr_assert(rep.chunked);
  cr_assert_str_eq(rep.body, "tick 3\ntick 2\ntick 1\n");
  sends(r.fd, "GET /hello HTTP/1.1\r\n\r\n"); /* still keep-alive after a stream */
  cr_assert(read_reply(&r, &rep, false));
  cr_assert_str_eq(rep.body, "hello");
  close(r.fd);
  r = (rd){.fd = client(st)};
  sends(r.fd, "GET /stream?n=2 HTTP/1.0\r\n\r\n");
  cr_assert(read_reply(&r, &rep, false));
  cr_assert(!rep.chunked);
  cr_assert_str_eq(rep.body, "tick 2\ntick 1\n");
  close(r.fd);
  srv_stop(st);
  /* stream_done is read after the loop thread is joined. */
}

Test(net, on_close_fires_once_when_client_leaves_mid_reply) {
  srv_thread *st = srv_start(NULL);
  rd r = {.fd = client(st)};
  reply rep;
  sends(r.fd, "GET /stream HTTP/1.1\r\n\r\n");
  cr_assert(read_reply(&r, &rep, true));
  char line[64];
  cr_assert(rd_line(&r, line, sizeof line)); /* first chunk size */
  close(r.fd);
  int fd = client(st);
  sends(fd, "GET /async HTTP/1.1\r\n\r\n");
  usleep(20000);
  close(fd);
  for (int i = 0; i < 200 && atomic_load(&st->closes) < 2; i++) usleep(5000);
  usleep(50000);
  cr_assert_eq(atomic_load(&st->closes), 2);
  srv_stop(st);
}

Test(net, close_finishes_in_flight_then_stops) {
  srv_thread *st = srv_start(NULL);
  rd busy = {.fd = client(st)};
  int idle = client(st);
  reply rep;
  sends(busy.fd, "GET /stream?n=20 HTTP/1.1\r\n\r\n");
  cr_assert(read_reply(&busy, &rep, true));
  int port = atomic_load(&st->port);
  uv_async_send(&st->stop);
  /* The idle keep-alive connection is closed at once. */
  cr_assert(closed_by_peer(idle));
  close(idle);
  /* New connections are refused. */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  usleep(20000);
  cr_assert_neq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  close(fd);
  /* The stream in flight runs to its end, then the connection closes. */
  char line[64];
  int ticks = 0;
  for (;;) {
    cr_assert(rd_line(&busy, line, sizeof line));
    if (strcmp(line, "0") == 0) break;
    char data[64];
    cr_assert(rd_line(&busy, data, sizeof data));
    ticks++;
  }
  cr_assert_eq(ticks, 20);
  cr_assert(rd_line(&busy, line, sizeof line));
  cr_assert(closed_by_peer(busy.fd));
  close(busy.fd);
  pthread_join(st->th, NULL);
  cr_assert_eq(atomic_load(&st->stream_done), 1);
  cr_assert_eq(uv_loop_close(&st->loop), 0);
  free(st);
}

Test(net, adopt_socketpair) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  srv_thread st = {0};
  uv_loop_init(&st.loop);
  http_server *s;
  sw_err err;
  cr_assert_eq(http_server_listen(&loop, "127.0.0.1", 0, NULL, handler, &st, &s, &err), 0);
  int sv[2];
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  cr_assert_eq(http_server_adopt(s, sv[0], &err), 0, "%s", err.msg);
  sends(sv[1], "GET /hello HTTP/1.1\r\n\r\n");
  shutdown(sv[1], SHUT_WR);
  for (int i = 0; i < 100 && http_server_connections(s) > 0; i++) uv_run(&loop, UV_RUN_NOWAIT);
  rd r = {.fd = sv[1]};
  reply rep;
  cr_assert(read_reply(&r, &rep, false));
  cr_assert_str_eq(rep.body, "hello");
  close(sv[1]);
  http_server_close(s);
  uv_run(&loop, UV_RUN_DEFAULT);
  cr_assert_eq(uv_loop_close(&loop), 0);
  uv_loop_close(&st.loop);
}

Test(net, listen_errors) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  http_server *s, *s2;
  sw_err err;
  cr_assert_eq(http_server_listen(&loop, "not-an-ip", 0, NULL, handler, NULL, &s, &err), SW_EINVAL);
  cr_assert(strstr(err.msg, "not-an-ip"));
  cr_assert_eq(http_server_listen(&loop, "127.0.0.1", 0, NULL, handler, NULL, &s, &err), 0);
  cr_assert_eq(http_server_listen(&loop, "127.0.0.1", http_server_port(s), NULL, handler, NULL, &s2, &err),
               SW_EIO);
  cr_assert(strstr(err.msg, "cannot listen"), "%s", err.msg);
  http_server_close(s);
  uv_run(&loop, UV_RUN_DEFAULT);
  cr_assert_eq(uv_loop_close(&loop), 0);
}

static const char *json_errors(void *ud, int status, const char *message, sw_buf *body) {
  (void)ud;
  sw_buf_printf(body, "{\"status\":%d,\"message\":\"%s\"}", status, message);
  return "application/json";
}

Test(net, error_format_hook_writes_the_server_made_replies) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  http_server_opts o = {.max_body_bytes = 10};
  http_server *s;
  sw_err err;
  cr_assert_eq(http_server_listen(&loop, "127.0.0.1", 0, &o, handler, NULL, &s, &err), 0);
  http_server_set_error_format(s, json_errors, NULL);
  int sv[2];
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  cr_assert_eq(http_server_adopt(s, sv[0], &err), 0);
  sends(sv[1], "POST /echo HTTP/1.1\r\nContent-Length: 11\r\n\r\n");
  for (int i = 0; i < 100 && http_server_connections(s) > 0; i++) uv_run(&loop, UV_RUN_NOWAIT);
  rd r = {.fd = sv[1]};
  reply rep;
  cr_assert(read_reply(&r, &rep, false));
  cr_assert_eq(rep.status, 413);
  cr_assert(strstr(rep.head, "Content-Type: application/json"), "%s", rep.head);
  cr_assert_str_eq(rep.body, "{\"status\":413,\"message\":\"request body too large\"}");
  close(sv[1]);
  http_server_close(s);
  uv_run(&loop, UV_RUN_DEFAULT);
  cr_assert_eq(uv_loop_close(&loop), 0);
}
