/*
 * gw_int.h — the gateway's internal types, shared by its .c files only (never
 * included outside src/gateway/ and its tests).
 *
 * Threading model. N workers, each a thread with its own uv loop and its own
 * SO_REUSEPORT listening socket (the kernel spreads connections). A client
 * connection, its request and the upstream connection serving it live on one
 * worker and are touched by that worker only. What workers share:
 *   - the endpoint table (gw_table), immutable once published, swapped with
 *     an atomic pointer and reclaimed after a grace period (a small RCU:
 *     each reader slot holds the grace-period counter it entered with, 0 when
 *     outside); readers never take a lock;
 *   - per-replica state (gw_ep), reference counted, whose load fields and
 *     in-flight count are atomics; its per-worker pools are touched by their
 *     worker only;
 *   - the queue length, an atomic.
 * Metrics are per worker behind a per-worker mutex that only the metrics
 * thread ever contends for.
 */
#ifndef GW_INT_H
#define GW_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <uv.h>

#include "gateway/gateway.h"
#include "gateway/http1.h"
#include "gateway/policy.h"

#define GW_BLOCK_SIZE (64 * 1024)
#define GW_HIGH_WATER (1024 * 1024) /* client write queue that pauses upstream reads */
#define GW_LOW_WATER (256 * 1024)
#define GW_POOL_IDLE_MS 60000 /* idle upstream connections closed after this */

typedef struct gw_worker gw_worker;
typedef struct gw_conn gw_conn;
typedef struct gw_req gw_req;
typedef struct gw_up gw_up;

/* ---- buffers ------------------------------------------------------------ */
/* Read buffers: a read lands in a block; slices of it are written to the
 * other side without copying, each pending write holding a reference. */
typedef struct gw_block {
  struct gw_block *next;
  int refs;
  char data[GW_BLOCK_SIZE];
} gw_block;

gw_block *gw_block_get(gw_worker *w);
void gw_block_put(gw_worker *w, gw_block *b);

/* Writes bufs to s: synchronously when the socket takes it all (the common
 * case), else queues the rest, referencing blk for bytes inside it and
 * copying anything else. cb(ud, status) runs when a queued write finishes
 * (not for a synchronous one). Returns 0 or a negative uv error. */
typedef void (*gw_write_done)(void *ud, int status);
int gw_write(gw_worker *w, uv_stream_t *s, const uv_buf_t *bufs, unsigned n, gw_block *blk, gw_write_done cb,
             void *ud);

/* ---- endpoints ---------------------------------------------------------- */
typedef struct gw_pool {
  gw_up *idle; /* LIFO of idle connections (warmest first) */
  int n_idle;
  struct gw_pool *next, *prev; /* in the worker's list of pools holding idle connections */
  bool listed;
} gw_pool;

typedef struct gw_ep {
  _Atomic int refs;
  uint64_t id;
  char *key; /* model \x1f pod \x1f cluster \x1f host \x1f port */
  char *model, *pod, *cluster, *host;
  int port;
  char addr[80]; /* host:port, IPv6 bracketed */
  struct sockaddr_storage sa;
  _Atomic int inflight;
  _Atomic double waiting, running, kv;
  _Atomic uint64_t down_until_ns; /* refused a connection: skipped until then (uv_hrtime) */
  _Atomic bool retired;           /* not routable in the current table */
  int nworkers;
  gw_pool pools[]; /* one per worker */
} gw_ep;

void gw_ep_ref(gw_ep *ep);
void gw_ep_unref(gw_ep *ep);

typedef struct gw_tentry {
  gw_ep *ep;
  int priority;
} gw_tentry;

typedef struct gw_model {
  char *name;
  gw_tentry *routable; /* ready and not terminating */
  size_t n_routable;
  size_t n_all;
  _Atomic uint64_t *ticket; /* owned by the table */
} gw_model;

typedef struct gw_table {
  uint64_t gen;
  bool known;       /* false until the first gw_update_endpoints: requests wait rather than 404 */
  gw_model *models; /* sorted by name */
  size_t n_models;
  gw_ep **eps; /* every endpoint, sorted by key; the table holds a reference to each */
  size_t n_eps;
} gw_table;

const gw_model *gw_table_model(const gw_table *t, const char *name);

/* ---- metrics ------------------------------------------------------------ */
#define GW_NBUCKETS 19
extern const double gw_buckets[GW_NBUCKETS];

enum { GW_RETRY_REFUSED, GW_RETRY_RESET, GW_RETRY_503, GW_RETRY_TIMEOUT, GW_RETRY_STALE, GW_RETRY_N };
extern const char *const gw_retry_names[GW_RETRY_N];

typedef struct gw_mcount {
  char *model, *cluster;
  int code;
  uint64_t n;
} gw_mcount;

typedef struct gw_hist {
  char *model;
  uint64_t ttfb[GW_NBUCKETS + 1], dur[GW_NBUCKETS + 1];
  double ttfb_sum, dur_sum;
  uint64_t ttfb_n, dur_n;
} gw_hist;

typedef struct gw_wmetrics {
  pthread_mutex_t mu;
  SW_VEC(gw_mcount) counts;
  SW_VEC(gw_hist) hists;
  uint64_t retries[GW_RETRY_N];
  /* Written by the worker without the lock, read by the metrics thread. */
  _Atomic uint64_t conns_accepted, up_connects, up_reused, client_errors, queued_total, queue_timeouts;
} gw_wmetrics;

void gw_metrics_init(gw_wmetrics *m);
void gw_metrics_free(gw_wmetrics *m);
/* ttfb < 0: none (local answer). Called on the worker. */
void gw_metrics_request(gw_wmetrics *m, const char *model, const char *cluster, int code, double ttfb,
                        double dur);
void gw_metrics_retry(gw_wmetrics *m, int reason);

typedef struct gw_mserver gw_mserver;
int gw_mserver_start(gw_gateway *g, const char *host, int port, gw_mserver **out, int *bound, sw_err *err);
void gw_mserver_stop(gw_mserver *ms);
/* The Prometheus text of every gateway metric. */
void gw_metrics_render(gw_gateway *g, _Atomic uint64_t *rcu_slot, sw_buf *out);

/* ---- gateway and workers ------------------------------------------------ */
struct gw_gateway {
  gw_config cfg; /* strings below are our copies */
  char *listen_host, *metrics_host, *policy_name, *default_model;
  const gw_policy *policy;
  void *policy_state;
  int nworkers;
  gw_worker *workers;
  _Atomic(gw_table *) table;
  _Atomic uint64_t rcu_gp;
  _Atomic uint64_t *rcu_slots[65];
  int n_rcu_slots;
  pthread_mutex_t update_mu;
  _Atomic int queued;
  _Atomic bool stopping;
  _Atomic uint64_t next_ep_id;
  int port, metrics_port;
  gw_mserver *ms;
  long long created; /* epoch seconds, for /v1/models */
};

struct gw_worker {
  gw_gateway *g;
  int id;
  pthread_t thread;
  uv_loop_t loop;
  uv_tcp_t listener;
  int listen_fd;
  bool listening;
  uv_async_t wake;
  uv_timer_t tick;
  uv_timer_t qtimer;
  _Atomic uint64_t rcu;
  uint64_t seen_gen;
  gw_conn *conns; /* doubly linked */
  size_t n_conns;
  gw_req *q_head, *q_tail; /* the no-capacity queue, FIFO (deadlines in order) */
  size_t q_len;
  gw_block *free_blocks;
  int n_free_blocks;
  gw_pool *pools; /* pools holding idle connections */
  uint64_t rng;
  bool stopping, closed;
  gw_cand *cands;
  gw_ep **cand_eps;
  size_t cand_cap;
  gw_wmetrics m;
  sw_buf logline;
  gw_req *free_reqs; /* recycled requests (linked by q_next) */
  int n_free_reqs;
};

/* RCU read side (see the top of this file). */
static inline void gw_rcu_enter(gw_gateway *g, _Atomic uint64_t *slot) {
  atomic_store(slot, atomic_load(&g->rcu_gp));
}
static inline void gw_rcu_exit(_Atomic uint64_t *slot) {
  atomic_store_explicit(slot, 0, memory_order_release);
}

/* Deadline timers that touch libuv's timer heap only when they must: set
 * records the deadline and restarts the timer only if it would fire too
 * late; a timer that fires early re-arms itself (gw_deadline_due returns
 * false). A cleared deadline never fires an action. Per request this turns
 * several heap operations into stores. */
void gw_deadline_set(uv_timer_t *t, uint64_t *deadline, uint64_t ms, uv_timer_cb cb);
void gw_deadline_clear(uint64_t *deadline);
bool gw_deadline_due(uv_timer_t *t, uint64_t deadline, uv_timer_cb cb);

uint64_t gw_rand(gw_worker *w);
void gw_worker_on_wake(uv_async_t *a);
void gw_worker_on_tick(uv_timer_t *t);
void gw_worker_on_connection(uv_stream_t *s, int status);
void gw_queue_on_timer(uv_timer_t *t);
void gw_worker_maybe_exit(gw_worker *w);

/* ---- client connections (client.c) -------------------------------------- */
enum { C_IDLE, C_HEAD, C_BODY, C_WAIT };

struct gw_conn {
  uv_tcp_t tcp;
  uv_timer_t timer;
  gw_worker *w;
  gw_conn *next, *prev;
  gw_reqp rp;
  sw_buf pending; /* bytes after a complete request, parsed once it is answered */
  size_t pending_off;
  int phase;
  uint64_t deadline; /* loop ms; see gw_deadline_set */
  gw_req *req;
  uv_shutdown_t sreq;
  bool reading, closing, shutting, close_after, continue_sent, in_process;
  unsigned served;
  int open_handles;
  char remote[64];
};

void gw_client_accept(gw_worker *w);
/* Answers with a complete local response (body copied); finishes c->req. */
void gw_client_respond(gw_conn *c, int status, const char *extra_headers, const char *ctype, const char *body,
                       size_t len);
void gw_client_error(gw_conn *c, int status, const char *type, const char *param, const char *code,
                     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* The current response is complete (everything handed to the socket):
 * go on with the next request or close. */
void gw_client_response_done(gw_conn *c, bool keep_alive);
void gw_client_close(gw_conn *c);
/* Called after a queued client write finishes (flow control). */
void gw_client_wrote(gw_conn *c);
/* gw_write callback for client writes (ud = the gw_conn). */
void gw_client_write_done(void *ud, int status);
void gw_worker_drain_conns(gw_worker *w);

/* ---- requests and the upstream side (proxy.c) ---------------------------- */
struct gw_req {
  gw_conn *c;
  gw_worker *w;
  gw_body_info bi;
  char model[256]; /* resolved model name */
  char cluster[64];
  char replica[96];
  gw_ep *ep;       /* current replica (reference + in-flight count held) */
  gw_ep *excluded; /* the replica that failed (reference held) */
  gw_up *up;
  bool retried, fresh_retry_used, head_sent, dechunk, keep_alive, model_known;
  int status;
  uint64_t t_start, t_first; /* uv_hrtime */
  uint64_t bytes_out;
  sw_buf up_head;
  sw_buf out_head;
  uv_buf_t *iov; /* scratch for de-chunked pieces */
  unsigned n_iov, cap_iov;
  gw_block *cur_block;
  /* queue */
  gw_req *q_next, *q_prev;
  uint64_t q_deadline_ms;
  bool queued;
  bool finished;
};

gw_req *gw_req_new(gw_conn *c);
/* Takes over a parsed request on c (c->rp): routes and forwards it. */
void gw_proxy_request(gw_conn *c, const gw_body_info *bi);
/* The client's write queue drained: resume reading the replica if paused. */
void gw_proxy_client_drained(gw_req *r);
/* The client went away: abandon the request (closing its upstream connection). */
void gw_req_abort(gw_req *r);
/* Records metrics and the access log line; idempotent. */
void gw_req_finish(gw_req *r, int status);
void gw_req_free(gw_req *r);    /* back to the worker's free list */
void gw_req_destroy(gw_req *r); /* really frees */
/* The endpoint table changed or time passed: retry queued requests. */
void gw_queue_kick(gw_worker *w);
void gw_queue_expire(gw_worker *w);
void gw_queue_fail_all(gw_worker *w);
/* Closes idle upstream connections of retired replicas (all when stopping). */
void gw_pools_sweep(gw_worker *w, bool all);
/* Answers GET /v1/models from the current table. */
void gw_models_reply(gw_conn *c);

/* ---- OpenAI-style bodies (oai.c) ------------------------------------------ */
/* Returns a malloc'd JSON error object text. */
char *gw_oai_error(const char *message, const char *type, const char *param, const char *code);

#endif
