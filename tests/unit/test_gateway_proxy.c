/*
 * test_gateway_proxy.c — the gateway in process (gw_start on port 0) in front
 * of small upstream servers on threads, driven by a blocking client: routing,
 * the three retry cases, 503 pass-through, the no-capacity queue (served, and
 * expired), terminating replicas, streaming pass-through, draining at stop,
 * malformed requests. Everything runs under ASan/UBSan with leak checks.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gateway/gateway.h"

/* ---- tiny upstreams ------------------------------------------------------- */

typedef enum { B_OK, B_503, B_RESET, B_SLOW, B_STREAM, B_BIG } behaviour;

#define BIG_BYTES (24u << 20)

typedef struct upstream {
  int fd, port;
  behaviour b;
  const char *name;
  atomic_int requests;
  atomic_bool stop;
  pthread_t thread;
} upstream;

typedef struct conn_arg {
  upstream *u;
  int fd;
} conn_arg;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void send_all(int fd, const char *s, size_t n) {
  while (n) {
    ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
    if (k <= 0) return;
    s += k;
    n -= (size_t)k;
  }
}

/* Reads one request (head + Content-Length body); false on EOF. */
static bool read_request(int fd) {
  char buf[65536];
  size_t len = 0;
  for (;;) {
    ssize_t k = recv(fd, buf + len, sizeof buf - 1 - len, 0);
    if (k <= 0) return false;
    len += (size_t)k;
    buf[len] = 0;
    char *end = strstr(buf, "\r\n\r\n");
    if (!end) continue;
    size_t cl = 0;
    char *h = strcasestr(buf, "content-length:");
    if (h) cl = strtoul(h + 15, NULL, 10);
    size_t have = len - (size_t)(end + 4 - buf);
    while (have < cl) {
      k = recv(fd, buf, sizeof buf, 0);
      if (k <= 0) return false;
      have += (size_t)k;
    }
    return true;
  }
}

static void *conn_main(void *arg) {
  conn_arg *ca = arg;
  upstream *u = ca->u;
  int fd = ca->fd;
  free(ca);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  while (!atomic_load(&u->stop) && read_request(fd)) {
    atomic_fetch_add(&u->requests, 1);
    char body[128], resp[512];
    snprintf(body, sizeof body, "{\"server\":\"%s\"}", u->name);
    switch (u->b) {
    case B_RESET:
      close(fd);
      return NULL;
    case B_503:
      snprintf(resp, sizeof resp,
               "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
               "Content-Length: 2\r\n\r\n{}");
      send_all(fd, resp, strlen(resp));
      continue;
    case B_SLOW:
      sleep_ms(300);
      /* fall through */
    case B_OK:
      snprintf(resp, sizeof resp,
               "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
               strlen(body), body);
      send_all(fd, resp, strlen(resp));
      continue;
    case B_BIG: {
      snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n\r\n", BIG_BYTES);
      send_all(fd, resp, strlen(resp));
      static char piece[65536];
      for (unsigned off = 0; off < BIG_BYTES; off += sizeof piece) {
        for (size_t i = 0; i < sizeof piece; i++) piece[i] = (char)('a' + (off / sizeof piece + i) % 26);
        send_all(fd, piece, sizeof piece);
      }
      continue;
    }
    case B_STREAM: {
      const char *h =
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
      send_all(fd, h, strlen(h));
      const char *c1 = "d\r\ndata: first\n\n\r\n";
      send_all(fd, c1, strlen(c1));
      sleep_ms(400);
      const char *c2 = "e\r\ndata: second\n\n\r\n0\r\n\r\n";
      send_all(fd, c2, strlen(c2));
      continue;
    }
    }
  }
  close(fd);
  return NULL;
}

static void *upstream_main(void *arg) {
  upstream *u = arg;
  while (!atomic_load(&u->stop)) {
    struct pollfd p = {u->fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int c = accept(u->fd, NULL, NULL);
    if (c < 0) continue;
    conn_arg *ca = malloc(sizeof *ca);
    ca->u = u;
    ca->fd = c;
    pthread_t t;
    pthread_create(&t, NULL, conn_main, ca);
    pthread_detach(t);
  }
  return NULL;
}

static int listen_any(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(fd, (struct sockaddr *)&a, sizeof a);
  listen(fd, 128);
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  *port = ntohs(a.sin_port);
  return fd;
}

static upstream *up_start(behaviour b, const char *name) {
  upstream *u = calloc(1, sizeof *u);
  u->b = b;
  u->name = name;
  u->fd = listen_any(&u->port);
  pthread_create(&u->thread, NULL, upstream_main, u);
  return u;
}

static void up_stop(upstream *u) {
  atomic_store(&u->stop, true);
  pthread_join(u->thread, NULL);
  close(u->fd);
  sleep_ms(20); /* connection threads notice the stop flag on their next request */
  free(u);
}

/* A port nobody listens on. */
static int dead_port(void) {
  int port;
  int fd = listen_any(&port);
  close(fd);
  return port;
}

/* ---- a blocking client ------------------------------------------------------ */

typedef struct reply {
  int status;
  char head[2048];
  char body[8192];
  size_t body_len;
  double first_chunk_at; /* seconds after sending, for streams */
  bool closed;           /* the server closed after the reply */
} reply;

static int dial(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {
      .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "connect: %s", strerror(errno));
  struct timeval tv = {10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

/* Sends raw bytes and reads one response (Content-Length, chunked or to EOF). */
static void exchange(int fd, const char *raw, size_t rawlen, reply *r) {
  memset(r, 0, sizeof *r);
  double t0 = now_s();
  send_all(fd, raw, rawlen);
  char buf[32768];
  size_t len = 0;
  char *hend = NULL;
  while (!hend) {
    ssize_t k = recv(fd, buf + len, sizeof buf - 1 - len, 0);
    if (k <= 0) {
      r->status = -1;
      r->closed = true;
      return;
    }
    len += (size_t)k;
    buf[len] = 0;
    hend = strstr(buf, "\r\n\r\n");
  }
  size_t hl = (size_t)(hend + 4 - buf);
  memcpy(r->head, buf, hl < sizeof r->head - 1 ? hl : sizeof r->head - 1);
  sscanf(buf, "HTTP/1.%*d %d", &r->status);
  bool chunked = strcasestr(r->head, "transfer-encoding: chunked") != NULL;
  char *cl = strcasestr(r->head, "content-length:");
  size_t want = cl ? strtoul(cl + 15, NULL, 10) : SIZE_MAX;
  memmove(buf, buf + hl, len - hl);
  len -= hl;
  if (len) r->first_chunk_at = now_s() - t0;
  for (;;) {
    buf[len] = 0;
    if (!chunked && len >= want) break;
    if (chunked && strstr(buf, "\r\n0\r\n\r\n")) break;
    if (chunked && strncmp(buf, "0\r\n\r\n", 5) == 0) break;
    ssize_t k = recv(fd, buf + len, sizeof buf - 1 - len, 0);
    if (k <= 0) {
      r->closed = true;
      break;
    }
    if (!r->first_chunk_at) r->first_chunk_at = now_s() - t0;
    len += (size_t)k;
  }
  r->body_len = len < sizeof r->body - 1 ? len : sizeof r->body - 1;
  memcpy(r->body, buf, r->body_len);
  r->body[r->body_len] = 0;
  if (strcasestr(r->head, "connection: close")) r->closed = true;
}

static void post(int port, const char *path, const char *body, reply *r) {
  int fd = dial(port);
  char raw[4096];
  int n = snprintf(raw, sizeof raw,
                   "POST %s HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\n\r\n%s",
                   path, strlen(body), body);
  exchange(fd, raw, (size_t)n, r);
  close(fd);
}

static void get(int port, const char *path, reply *r) {
  int fd = dial(port);
  char raw[1024];
  int n = snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nHost: gw\r\n\r\n", path);
  exchange(fd, raw, (size_t)n, r);
  close(fd);
}

#define CHAT "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Test it\"}]}"

/* ---- gateway helpers ---------------------------------------------------------- */

static gw_gateway *start(gw_config *cfg) {
  cfg->listen_host = "127.0.0.1";
  cfg->listen_port = 0;
  cfg->metrics_port = 0;
  if (!cfg->workers) cfg->workers = 2;
  gw_gateway *g = NULL;
  sw_err err = {0};
  cr_assert_eq(gw_start(cfg, &g, &err), 0, "%s", err.msg);
  return g;
}

static gw_endpoint ep(const char *model, const char *cluster, int prio, int port) {
  return (gw_endpoint){.model = model,
                       .cluster = cluster,
                       .cluster_priority = prio,
                       .host = "127.0.0.1",
                       .port = port,
                       .ready = true,
                       .waiting = NAN,
                       .running = NAN,
                       .kv_usage = NAN};
}

static long metric(gw_gateway *g, const char *series) {
  reply r;
  get(gw_metrics_port(g), "/metrics", &r);
  cr_assert_eq(r.status, 200);
  char needle[512];
  snprintf(needle, sizeof needle, "\n%s", series); /* a sample line, not its # HELP */
  const char *p = strstr(r.body, needle);
  if (!p) return -1;
  return strtol(p + strlen(needle), NULL, 10);
}

/* ---- tests ------------------------------------------------------------------------ */

Test(gateway_proxy, routes_lists_models_and_rejects) {
  upstream *a = up_start(B_OK, "A"), *b = up_start(B_OK, "B");
  gw_config cfg;
  gw_config_defaults(&cfg);
  gw_gateway *g = start(&cfg);
  /* Idle replicas tie: the preferred cluster (priority 0) takes them all. */
  gw_endpoint eps[] = {ep("m", "c1", 0, a->port), ep("m", "c2", 1, b->port)};
  gw_update_endpoints(g, eps, 2);
  reply r;
  for (int i = 0; i < 10; i++) {
    post(gw_port(g), "/v1/chat/completions", CHAT, &r);
    cr_assert_eq(r.status, 200, "request %d: %s", i, r.body);
  }
  cr_assert_eq(atomic_load(&a->requests), 10);
  /* Same priority: ties rotate, both get requests. */
  eps[1].cluster_priority = 0;
  gw_update_endpoints(g, eps, 2);
  for (int i = 0; i < 10; i++) {
    post(gw_port(g), "/v1/chat/completions", CHAT, &r);
    cr_assert_eq(r.status, 200, "request %d: %s", i, r.body);
  }
  cr_assert_eq(atomic_load(&a->requests) + atomic_load(&b->requests), 20);
  cr_assert_gt(atomic_load(&b->requests), 0);
  /* no model field: the only model served */
  post(gw_port(g), "/v1/completions", "{\"prompt\":\"x\"}", &r);
  cr_assert_eq(r.status, 200);
  get(gw_port(g), "/v1/models", &r);
  cr_assert_eq(r.status, 200);
  cr_assert(strstr(r.body, "\"id\":\"m\""), "%s", r.body);
  post(gw_port(g), "/v1/chat/completions", "{\"model\":\"other\"}", &r);
  cr_assert_eq(r.status, 404);
  cr_assert(strstr(r.body, "\"code\":\"model_not_found\""), "%s", r.body);
  post(gw_port(g), "/v1/chat/completions", "{not json", &r);
  cr_assert_eq(r.status, 400);
  cr_assert(strstr(r.body, "\"error\""), "%s", r.body);
  get(gw_port(g), "/v1/chat/completions", &r);
  cr_assert_eq(r.status, 405);
  get(gw_port(g), "/nowhere", &r);
  cr_assert_eq(r.status, 404);
  cr_assert_eq(metric(g, "spillway_gateway_requests_total{model=\"m\",code=\"200\",cluster=\"c1\"} ") +
                   metric(g, "spillway_gateway_requests_total{model=\"m\",code=\"200\",cluster=\"c2\"} "),
               21);
  gw_stop(g);
  up_stop(a);
  up_stop(b);
}

static void retry_case(behaviour bad, int dead, const char *reason) {
  upstream *a = dead ? NULL : up_start(bad, "bad"), *b = up_start(B_OK, "B");
  gw_config cfg;
  gw_config_defaults(&cfg);
  gw_gateway *g = start(&cfg);
  gw_endpoint eps[] = {ep("m", "c1", 0, dead ? dead_port() : a->port), ep("m", "c2", 1, b->port)};
  gw_update_endpoints(g, eps, 2);
  reply r;
  for (int i = 0; i < 12; i++) {
    post(gw_port(g), "/v1/chat/completions", CHAT, &r);
    cr_assert_eq(r.status, 200, "%s: request %d: %d %s", reason, i, r.status, r.body);
    cr_assert(strstr(r.body, "\"server\":\"B\""));
  }
  char series[128];
  snprintf(series, sizeof series, "spillway_gateway_retries_total{reason=\"%s\"} ", reason);
  cr_assert_gt(metric(g, series), 0, "%s", reason);
  gw_stop(g);
  if (a) up_stop(a);
  up_stop(b);
}

Test(gateway_proxy, retry_on_refused) { retry_case(B_OK, 1, "refused"); }
Test(gateway_proxy, retry_on_503) { retry_case(B_503, 0, "503"); }
Test(gateway_proxy, retry_on_reset) { retry_case(B_RESET, 0, "reset"); }

Test(gateway_proxy, lone_503_passes_through_and_lone_dead_is_502) {
  upstream *a = up_start(B_503, "A");
  gw_config cfg;
  gw_config_defaults(&cfg);
  gw_gateway *g = start(&cfg);
  gw_endpoint eps[] = {ep("m", "c1", 0, a->port)};
  gw_update_endpoints(g, eps, 1);
  reply r;
  post(gw_port(g), "/v1/chat/completions", CHAT, &r);
  cr_assert_eq(r.status, 503);
  gw_endpoint eps2[] = {ep("m", "c1", 0, dead_port())};
  gw_update_endpoints(g, eps2, 1);
  post(gw_port(g), "/v1/chat/completions", CHAT, &r);
  cr_assert_eq(r.status, 502, "%s", r.body);
  cr_assert(strstr(r.body, "\"type\":\"server_error\""), "%s", r.body);
  gw_stop(g);
  up_stop(a);
}

typedef struct async_post {
  int port;
  reply r;
  pthread_t t;
} async_post;

static void *async_main(void *arg) {
  async_post *ap = arg;
  post(ap->port, "/v1/chat/completions", CHAT, &ap->r);
  return NULL;
}

Test(gateway_proxy, queue_until_ready_then_deadline) {
  upstream *a = up_start(B_OK, "A");
  gw_config cfg;
  gw_config_defaults(&cfg);
  cfg.queue_deadline = 1.0;
  cfg.retry_after = 7;
  gw_gateway *g = start(&cfg);
  gw_endpoint none = {.model = "m"}; /* the model exists; no replica yet (scale from zero) */
  gw_update_endpoints(g, &none, 1);
  async_post ap = {.port = gw_port(g)};
  pthread_create(&ap.t, NULL, async_main, &ap);
  sleep_ms(300);
  cr_assert_eq(metric(g, "spillway_gateway_queue_length "), 1);
  gw_endpoint eps[] = {ep("m", "c1", 0, a->port)};
  gw_update_endpoints(g, eps, 1);
  pthread_join(ap.t, NULL);
  cr_assert_eq(ap.r.status, 200, "%s", ap.r.body);
  /* again, but nothing becomes ready: 503 with Retry-After at the deadline */
  gw_endpoint starting = ep("m", "c1", 0, a->port);
  starting.ready = false;
  gw_update_endpoints(g, &starting, 1);
  double t0 = now_s();
  reply r;
  post(gw_port(g), "/v1/chat/completions", CHAT, &r);
  double waited = now_s() - t0;
  cr_assert_eq(r.status, 503);
  cr_assert(strcasestr(r.head, "Retry-After: 7"), "%s", r.head);
  cr_assert(waited >= 0.9 && waited < 3, "waited %.2f s", waited);
  cr_assert_eq(metric(g, "spillway_gateway_queue_timeouts_total "), 1);
  gw_stop(g);
  up_stop(a);
}

Test(gateway_proxy, terminating_replica_gets_no_new_request) {
  upstream *a = up_start(B_OK, "A"), *b = up_start(B_OK, "B");
  gw_config cfg;
  gw_config_defaults(&cfg);
  gw_gateway *g = start(&cfg);
  gw_endpoint eps[] = {ep("m", "c1", 0, a->port), ep("m", "c1", 0, b->port)};
  gw_update_endpoints(g, eps, 2);
  reply r;
  for (int i = 0; i < 6; i++) post(gw_port(g), "/v1/chat/completions", CHAT, &r);
  eps[0].terminating = true;
  gw_update_endpoints(g, eps, 2);
  int before = atomic_load(&a->requests);
  for (int i = 0; i < 30; i++) {
    post(gw_port(g), "/v1/chat/completions", CHAT, &r);
    cr_assert_eq(r.status, 200);
  }
  cr_assert_eq(atomic_load(&a->requests), before);
  gw_stop(g);
  up_stop(a);
  up_stop(b);
}

Test(gateway_proxy, stream_passes_through_chunk_by_chunk) {
  upstream *a = up_start(B_STREAM, "A");
  gw_config cfg;
  gw_config_defaults(&cfg);
  gw_gateway *g = start(&cfg);
  gw_endpoint e = ep("m", "c1", 0, a->port);
  gw_update_endpoints(g, &e, 1);
  reply r;
  post(gw_port(g), "/v1/chat/completions", "{\"model\":\"m\",\"stream\":true}", &r);
  cr_assert_eq(r.status, 200);
  cr_assert(strcasestr(r.head, "text/event-stream"));
  cr_assert(strstr(r.body, "data: first") && strstr(r.body, "data: second"), "%s", r.body);
  /* the first event arrived long before the second was even sent (400 ms later) */
  cr_assert_lt(r.first_chunk_at, 0.2, "first chunk after %.3f s", r.first_chunk_at);
  gw_stop(g);
  up_stop(a);
}

Test(gateway_proxy, stop_drains_requests_in_flight) {
  upstream *a = up_start(B_SLOW, "A");
  gw_config cfg;
  gw_config_defaults(&cfg);
  gw_gateway *g = start(&cfg);
  gw_endpoint e = ep("m", "c1", 0, a->port);
  gw_update_endpoints(g, &e, 1);
  async_post ap = {.port = gw_port(g)};
  pthread_create(&ap.t, NULL, async_main, &ap);
  sleep_ms(100);
  gw_stop(g); /* returns only once the slow request is answered */
  pthread_join(ap.t, NULL);
  cr_assert_eq(ap.r.status, 200, "%s", ap.r.body);
  up_stop(a);
}

Test(gateway_proxy, malformed_request_affects_only_its_connection) {
  upstream *a = up_start(B_OK, "A");
  gw_config cfg;
  gw_config_defaults(&cfg);
  cfg.max_body_bytes = 1024;
  gw_gateway *g = start(&cfg);
  gw_endpoint e = ep("m", "c1", 0, a->port);
  gw_update_endpoints(g, &e, 1);
  int keep = dial(gw_port(g)); /* a healthy keep-alive client, before and after */
  const char *ok = "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 13\r\n\r\n{\"model\":\"m\"}";
  reply r;
  exchange(keep, ok, strlen(ok), &r);
  cr_assert_eq(r.status, 200);
  static const struct {
    const char *raw;
    int status;
  } bad[] = {
      {"BLAH\r\n\r\n", 400},
      {"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", 413},
      {"GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int fd = dial(gw_port(g));
    exchange(fd, bad[i].raw, strlen(bad[i].raw), &r);
    cr_assert_eq(r.status, bad[i].status, "case %zu: %s", i, r.body);
    cr_assert(r.closed, "case %zu: the connection should close", i);
    close(fd);
  }
  exchange(keep, ok, strlen(ok), &r);
  cr_assert_eq(r.status, 200);
  close(keep);
  gw_stop(g);
  up_stop(a);
}

typedef struct load_arg {
  int port, n, ok;
} load_arg;

static void *load_main(void *arg) {
  load_arg *la = arg;
  for (int i = 0; i < la->n; i++) {
    reply r;
    post(la->port, "/v1/chat/completions", CHAT, &r);
    if (r.status == 200) la->ok++;
  }
  return NULL;
}

/* The RCU swap under traffic: hundreds of table updates (one replica or the
 * other terminating, never both) while requests flow; all succeed, and
 * ASan sees no use after free. */
Test(gateway_proxy, updates_under_load) {
  upstream *a = up_start(B_OK, "A"), *b = up_start(B_OK, "B");
  gw_config cfg;
  gw_config_defaults(&cfg);
  gw_gateway *g = start(&cfg);
  gw_endpoint eps[] = {ep("m", "c1", 0, a->port), ep("m", "c2", 0, b->port)};
  gw_update_endpoints(g, eps, 2);
  load_arg la[2] = {{gw_port(g), 150, 0}, {gw_port(g), 150, 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, load_main, &la[i]);
  for (int k = 0; k < 300; k++) {
    eps[0].terminating = k % 2 == 0;
    eps[1].terminating = !eps[0].terminating;
    eps[0].running = (double)k;
    gw_update_endpoints(g, eps, 2);
  }
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  cr_assert_eq(la[0].ok + la[1].ok, 300);
  gw_stop(g);
  up_stop(a);
  up_stop(b);
}

/* A client that gives up: the gateway closes the replica connection (the
 * replica stops generating), counts 499, and the in-flight count returns to 0. */
Test(gateway_proxy, client_abort_releases_replica) {
  upstream *a = up_start(B_SLOW, "A");
  gw_config cfg;
  gw_config_defaults(&cfg);
  gw_gateway *g = start(&cfg);
  gw_endpoint e = ep("m", "c1", 0, a->port);
  gw_update_endpoints(g, &e, 1);
  int fd = dial(gw_port(g));
  const char *req = "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 13\r\n\r\n{\"model\":\"m\"}";
  send_all(fd, req, strlen(req));
  sleep_ms(100);
  close(fd);
  sleep_ms(100);
  char series[256];
  snprintf(
      series, sizeof series,
      "spillway_gateway_inflight{model=\"m\",pod=\"127.0.0.1:%d\",cluster=\"c1\",replica=\"127.0.0.1:%d\"} ",
      a->port, a->port);
  cr_assert_eq(metric(g, series), 0);
  cr_assert_eq(metric(g, "spillway_gateway_requests_total{model=\"m\",code=\"499\",cluster=\"c1\"} "), 1);
  gw_stop(g);
  sleep_ms(300);
  up_stop(a);
}

/* Before the first endpoint update the gateway knows nothing: requests wait
 * for it (bounded by the queue deadline) instead of a wrong 404. */
Test(gateway_proxy, requests_before_first_update_wait) {
  upstream *a = up_start(B_OK, "A");
  gw_config cfg;
  gw_config_defaults(&cfg);
  gw_gateway *g = start(&cfg);
  async_post ap = {.port = gw_port(g)};
  pthread_create(&ap.t, NULL, async_main, &ap);
  sleep_ms(200);
  gw_endpoint e = ep("m", "c1", 0, a->port);
  gw_update_endpoints(g, &e, 1);
  pthread_join(ap.t, NULL);
  cr_assert_eq(ap.r.status, 200, "%s", ap.r.body);
  gw_stop(g);
  up_stop(a);
}

/* A big response to a client that does not read at first: the gateway's
 * queued writes reference the read blocks, reading from the replica pauses
 * (backpressure), and every byte arrives intact and in order. */
Test(gateway_proxy, big_response_slow_reader) {
  upstream *a = up_start(B_BIG, "A");
  gw_config cfg;
  gw_config_defaults(&cfg);
  gw_gateway *g = start(&cfg);
  gw_endpoint e = ep("m", "c1", 0, a->port);
  gw_update_endpoints(g, &e, 1);
  int fd = dial(gw_port(g));
  const char *req = "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 13\r\n\r\n{\"model\":\"m\"}";
  send_all(fd, req, strlen(req));
  sleep_ms(500); /* not reading: the replica keeps writing, the gateway must hold back */
  static char buf[1 << 16];
  size_t got = 0, body_at = 0, total = 0;
  bool head_done = false;
  char head[1024];
  size_t hl = 0;
  unsigned bad = 0;
  while (!head_done || total < BIG_BYTES) {
    ssize_t k = recv(fd, buf, sizeof buf, 0);
    cr_assert_gt(k, 0, "connection ended after %zu body bytes", total);
    size_t i = 0;
    if (!head_done) {
      for (; i < (size_t)k && !head_done; i++) {
        head[hl++ % sizeof head] = buf[i];
        if (hl >= 4 && memcmp(&head[(hl - 4) % sizeof head], "\r\n\r\n", 4) == 0) head_done = true;
      }
      body_at = got + i;
    }
    for (; i < (size_t)k; i++, total++) {
      unsigned off = (unsigned)total;
      char want = (char)('a' + (off / 65536 + off % 65536) % 26);
      if (buf[i] != want) bad++;
    }
    got += (size_t)k;
  }
  (void)body_at;
  cr_assert_eq(total, BIG_BYTES);
  cr_assert_eq(bad, 0, "%u bytes differ", bad);
  close(fd);
  gw_stop(g);
  up_stop(a);
}
