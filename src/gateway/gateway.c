/*
 * gateway.c — gw_start / gw_update_endpoints / gw_stop: the gateway's
 * lifecycle and its shared routing state (the endpoint table).
 *
 * Owns the table and every gw_ep. Updates are serialised by update_mu (the
 * request path never takes it): a new immutable table is built, replicas
 * that persist keep their gw_ep (so in-flight counts and pools survive), the
 * pointer is swapped, and the old table is freed after every reader has left
 * it (gw_int.h). Only then does gw_update_endpoints return, which is what
 * makes "no new request to a terminating replica after the call" hold.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/gw_int.h"

static void *worker_main(void *arg);

void gw_config_defaults(gw_config *c) {
  memset(c, 0, sizeof *c);
  c->listen_host = "127.0.0.1";
  c->listen_port = 8000;
  c->metrics_port = 0;
  c->policy = "least-load";
  c->connect_timeout = 5;
  c->first_byte_timeout = 600;
  c->idle_timeout = 120;
  c->client_header_timeout = 10;
  c->client_body_timeout = 30;
  c->client_idle_timeout = 75;
  c->max_header_bytes = 16 * 1024;
  c->max_body_bytes = 8 * 1024 * 1024;
  c->queue_size = 1024;
  c->queue_deadline = 30;
  c->retry_after = 5;
  c->upstream_keepalive = 128;
  c->eject_seconds = 2;
}

const char *const *gw_policy_names(void) {
  static const char *const names[] = {"least-load", "round-robin", "least-inflight", NULL};
  return names;
}

/* ---- endpoints ------------------------------------------------------------ */

void gw_ep_ref(gw_ep *ep) { atomic_fetch_add_explicit(&ep->refs, 1, memory_order_relaxed); }

void gw_ep_unref(gw_ep *ep) {
  if (!ep || atomic_fetch_sub_explicit(&ep->refs, 1, memory_order_acq_rel) != 1) return;
  free(ep->key);
  free(ep->model);
  free(ep->pod);
  free(ep->cluster);
  free(ep->host);
  free(ep);
}

static char *ep_key(const gw_endpoint *e) {
  return sw_xasprintf("%s\x1f%s\x1f%s\x1f%s\x1f%d", e->model, e->pod ? e->pod : "",
                      e->cluster ? e->cluster : "", e->host, e->port);
}

static gw_ep *ep_new(gw_gateway *g, const gw_endpoint *e, char *key) {
  gw_ep *ep = sw_xcalloc(1, sizeof *ep + (size_t)g->nworkers * sizeof(gw_pool));
  atomic_init(&ep->refs, 1);
  ep->id = atomic_fetch_add(&g->next_ep_id, 1);
  ep->key = key;
  ep->model = sw_xstrdup(e->model);
  ep->host = sw_xstrdup(e->host);
  ep->port = e->port;
  ep->cluster = sw_xstrdup(e->cluster && *e->cluster ? e->cluster : "default");
  ep->nworkers = g->nworkers;
  if (strchr(e->host, ':')) {
    snprintf(ep->addr, sizeof ep->addr, "[%s]:%d", e->host, e->port);
    uv_ip6_addr(e->host, e->port, (struct sockaddr_in6 *)&ep->sa);
  } else {
    snprintf(ep->addr, sizeof ep->addr, "%s:%d", e->host, e->port);
    uv_ip4_addr(e->host, e->port, (struct sockaddr_in *)&ep->sa);
  }
  ep->pod = sw_xstrdup(e->pod && *e->pod ? e->pod : ep->addr);
  atomic_init(&ep->inflight, 0);
  atomic_init(&ep->down_until_ns, 0);
  atomic_init(&ep->retired, false);
  return ep;
}

static bool valid_host(const char *h) {
  if (!h || !*h) return false;
  struct in6_addr a6;
  struct in_addr a4;
  return inet_pton(AF_INET, h, &a4) == 1 || inet_pton(AF_INET6, h, &a6) == 1;
}

/* ---- the table ------------------------------------------------------------ */

static int model_cmp(const void *a, const void *b) {
  return strcmp(((const gw_model *)a)->name, ((const gw_model *)b)->name);
}

static int ep_cmp(const void *a, const void *b) {
  return strcmp((*(gw_ep *const *)a)->key, (*(gw_ep *const *)b)->key);
}

const gw_model *gw_table_model(const gw_table *t, const char *name) {
  size_t lo = 0, hi = t->n_models;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(t->models[mid].name, name);
    if (c == 0) return &t->models[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

static gw_ep *table_find_ep(const gw_table *t, const char *key) {
  size_t lo = 0, hi = t->n_eps;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(t->eps[mid]->key, key);
    if (c == 0) return t->eps[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

static void table_free(gw_table *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n_models; i++) {
    free(t->models[i].name);
    free(t->models[i].routable);
    free(t->models[i].ticket);
  }
  free(t->models);
  for (size_t i = 0; i < t->n_eps; i++) gw_ep_unref(t->eps[i]);
  free(t->eps);
  free(t);
}

/* Waits until no reader is inside a table older than the current one. */
static void rcu_synchronize(gw_gateway *g) {
  uint64_t gp = atomic_fetch_add(&g->rcu_gp, 1) + 1;
  for (int i = 0; i < g->n_rcu_slots; i++) {
    for (;;) {
      uint64_t v = atomic_load(g->rcu_slots[i]);
      if (v == 0 || v >= gp) break;
      sched_yield();
    }
  }
}

typedef struct pending_ep {
  const char *model;
  gw_ep *ep; /* NULL: a model declared with no replica */
  int priority;
  bool routable;
} pending_ep;

static int pending_cmp(const void *a, const void *b) {
  const pending_ep *x = a, *y = b;
  return strcmp(x->model, y->model);
}

void gw_update_endpoints(gw_gateway *g, const gw_endpoint *eps, size_t n) {
  pthread_mutex_lock(&g->update_mu);
  gw_table *old = atomic_load(&g->table);
  gw_table *t = sw_xcalloc(1, sizeof *t);
  t->gen = old ? old->gen + 1 : 1;
  t->known = true;
  pending_ep *pe = sw_xcalloc(n ? n : 1, sizeof *pe);
  size_t npe = 0;
  t->eps = sw_xcalloc(n ? n : 1, sizeof *t->eps);

  for (size_t i = 0; i < n; i++) {
    const gw_endpoint *e = &eps[i];
    if (!e->model || !*e->model) {
      SW_WARN("gateway", "endpoint %zu has no model name: ignored", i);
      continue;
    }
    if (!e->host || e->port <= 0) { /* the model exists, with no replica yet */
      pe[npe++] = (pending_ep){.model = e->model, .ep = NULL};
      continue;
    }
    if (!valid_host(e->host) || e->port > 65535) {
      SW_WARN("gateway", "endpoint %s of model %s: \"%s:%d\" is not a numeric address and port: ignored",
              e->pod ? e->pod : "?", e->model, e->host, e->port);
      continue;
    }
    char *key = ep_key(e);
    gw_ep *ep = NULL;
    for (size_t j = 0; j < t->n_eps; j++) /* duplicates in the input: first wins */
      if (strcmp(t->eps[j]->key, key) == 0) ep = t->eps[j];
    if (ep) {
      free(key);
      continue;
    }
    ep = old ? table_find_ep(old, key) : NULL;
    if (ep) {
      gw_ep_ref(ep);
      free(key);
    } else {
      ep = ep_new(g, e, key);
    }
    t->eps[t->n_eps++] = ep;
    atomic_store_explicit(&ep->waiting, e->waiting, memory_order_relaxed);
    atomic_store_explicit(&ep->running, e->running, memory_order_relaxed);
    atomic_store_explicit(&ep->kv, e->kv_usage, memory_order_relaxed);
    bool routable = e->ready && !e->terminating;
    /* Tells workers which pooled connections to close. */
    atomic_store(&ep->retired, !routable);
    pe[npe++] =
        (pending_ep){.model = ep->model, .ep = ep, .priority = e->cluster_priority, .routable = routable};
  }
  qsort(t->eps, t->n_eps, sizeof *t->eps, ep_cmp);

  /* Group by model (stable order inside a model does not matter: policies
   * sample or rotate). */
  qsort(pe, npe, sizeof *pe, pending_cmp);
  t->models = sw_xcalloc(npe ? npe : 1, sizeof *t->models);
  for (size_t i = 0; i < npe;) {
    size_t j = i;
    while (j < npe && strcmp(pe[j].model, pe[i].model) == 0) j++;
    gw_model *m = &t->models[t->n_models++];
    m->name = sw_xstrdup(pe[i].model);
    m->routable = sw_xcalloc(j - i, sizeof *m->routable);
    m->ticket = sw_xcalloc(1, sizeof *m->ticket);
    const gw_model *om = old ? gw_table_model(old, m->name) : NULL;
    atomic_init(m->ticket, om ? atomic_load(om->ticket) : 0);
    for (size_t k = i; k < j; k++) {
      if (!pe[k].ep) continue;
      m->n_all++;
      if (pe[k].routable) m->routable[m->n_routable++] = (gw_tentry){pe[k].ep, pe[k].priority};
    }
    i = j;
  }
  qsort(t->models, t->n_models, sizeof *t->models, model_cmp);

  if (old)
    for (size_t i = 0; i < old->n_eps; i++)
      if (!table_find_ep(t, old->eps[i]->key)) atomic_store(&old->eps[i]->retired, true);
  free(pe);

  atomic_store(&g->table, t);
  rcu_synchronize(g);
  table_free(old);
  /* Workers close their wake handle once stopping; gw_stop sets the flag
   * under this same lock, so no send can race with that close. */
  if (!atomic_load(&g->stopping))
    for (int i = 0; i < g->nworkers; i++) uv_async_send(&g->workers[i].wake);
  pthread_mutex_unlock(&g->update_mu);
}

/* ---- listeners ------------------------------------------------------------ */

static int make_listener(const struct sockaddr *sa, socklen_t salen, int *fd_out, sw_err *err,
                         const char *what) {
  int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return sw_err_set(err, SW_EIO, "%s: socket: %s", what, strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  /* One socket per worker on the same port: the kernel spreads accepted
   * connections across them (SO_REUSEPORT), so workers never share an accept queue lock. */
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (bind(fd, sa, salen) != 0 || listen(fd, 1024) != 0) {
    int e = errno;
    close(fd);
    return sw_err_set(err, SW_EIO, "%s: cannot listen: %s", what, strerror(e));
  }
  *fd_out = fd;
  return 0;
}

static int resolve(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0) {
    *len = sizeof(struct sockaddr_in);
    return 0;
  }
  if (uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss) == 0) {
    *len = sizeof(struct sockaddr_in6);
    return 0;
  }
  return -1;
}

static int bound_port(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return -1;
  if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
  return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* ---- lifecycle ------------------------------------------------------------ */

static void apply_defaults(gw_config *c) {
  gw_config d;
  gw_config_defaults(&d);
  if (!c->listen_host || !*c->listen_host) c->listen_host = d.listen_host;
  if (!c->metrics_host || !*c->metrics_host) c->metrics_host = c->listen_host;
  if (!c->policy || !*c->policy) c->policy = d.policy;
#define DEF(f)                                                                                               \
  if (c->f <= 0) c->f = d.f
  DEF(connect_timeout);
  DEF(first_byte_timeout);
  DEF(idle_timeout);
  DEF(client_header_timeout);
  DEF(client_body_timeout);
  DEF(client_idle_timeout);
  DEF(queue_deadline);
  DEF(retry_after);
  DEF(upstream_keepalive);
  DEF(eject_seconds);
#undef DEF
  if (c->max_header_bytes == 0) c->max_header_bytes = d.max_header_bytes;
  if (c->max_body_bytes == 0) c->max_body_bytes = d.max_body_bytes;
  if (c->queue_size < 0)
    c->queue_size = 0;
  else if (c->queue_size == 0)
    c->queue_size = d.queue_size;
  if (c->max_header_bytes < 256) c->max_header_bytes = 256;
}

static void gateway_free(gw_gateway *g) {
  for (int i = 0; i < g->nworkers; i++) {
    gw_worker *w = &g->workers[i];
    gw_metrics_free(&w->m);
    free(w->cands);
    free(w->cand_eps);
    sw_buf_free(&w->logline);
    while (w->free_reqs) {
      gw_req *r = w->free_reqs;
      w->free_reqs = r->q_next;
      gw_req_destroy(r);
    }
    while (w->free_blocks) {
      gw_block *b = w->free_blocks;
      w->free_blocks = b->next;
      free(b);
    }
  }
  free(g->workers);
  table_free(atomic_load(&g->table));
  if (g->policy && g->policy->state_free) g->policy->state_free(g->policy_state);
  free(g->listen_host);
  free(g->metrics_host);
  free(g->policy_name);
  free(g->default_model);
  pthread_mutex_destroy(&g->update_mu);
  free(g);
}

int gw_start(const gw_config *cfg_in, gw_gateway **out, sw_err *err) {
  *out = NULL;
  gw_gateway *g = sw_xcalloc(1, sizeof *g);
  g->cfg = *cfg_in;
  apply_defaults(&g->cfg);
  g->listen_host = sw_xstrdup(g->cfg.listen_host);
  g->metrics_host = sw_xstrdup(g->cfg.metrics_host);
  g->policy_name = sw_xstrdup(g->cfg.policy);
  g->default_model = g->cfg.default_model && *g->cfg.default_model ? sw_xstrdup(g->cfg.default_model) : NULL;
  g->cfg.listen_host = g->listen_host;
  g->cfg.metrics_host = g->metrics_host;
  g->cfg.policy = g->policy_name;
  g->cfg.default_model = g->default_model;
  pthread_mutex_init(&g->update_mu, NULL);
  atomic_init(&g->rcu_gp, 1);
  atomic_init(&g->queued, 0);
  atomic_init(&g->stopping, false);
  atomic_init(&g->next_ep_id, 1);
  g->port = g->metrics_port = -1;
  g->created = (long long)sw_wall_now();

  g->policy = gw_policy_find(g->cfg.policy);
  if (!g->policy) {
    sw_err_set(err, SW_EINVAL,
               "unknown routing policy \"%s\" (expected least-load, round-robin or least-inflight)",
               g->cfg.policy);
    gateway_free(g);
    return SW_EINVAL;
  }
  if (g->policy->state_new) g->policy_state = g->policy->state_new();

  int nw = g->cfg.workers;
  if (nw <= 0) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    nw = cores > 0 ? (int)cores : 1;
  }
  if (nw > 64) nw = 64;
  g->nworkers = nw;
  g->cfg.workers = nw;
  g->workers = sw_xcalloc((size_t)nw, sizeof *g->workers);

  struct sockaddr_storage ss;
  socklen_t sslen;
  if (resolve(g->cfg.listen_host, g->cfg.listen_port, &ss, &sslen) != 0) {
    sw_err_set(err, SW_EINVAL, "listen address \"%s\": expected a numeric IPv4 or IPv6 address",
               g->cfg.listen_host);
    gateway_free(g);
    return SW_EINVAL;
  }
  char what[128];
  snprintf(what, sizeof what, "gateway listener %s:%d", g->cfg.listen_host, g->cfg.listen_port);
  if (g->cfg.listen_port != 0) {
    /* SO_REUSEPORT would let us share the port with another process of the
     * same user (a second gateway started by mistake); a plain bind first
     * makes "address in use" an error as users expect. */
    int probe = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(probe, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int brc = probe >= 0 ? bind(probe, (struct sockaddr *)&ss, sslen) : -1;
    int e = errno;
    if (probe >= 0) close(probe);
    if (brc != 0) {
      sw_err_set(err, SW_EIO, "%s: cannot listen: %s", what, strerror(e));
      gateway_free(g);
      return SW_EIO;
    }
  }
  for (int i = 0; i < nw; i++) {
    gw_worker *w = &g->workers[i];
    w->g = g;
    w->id = i;
    w->listen_fd = -1;
    w->rng = 0x9E3779B97F4A7C15ull ^ ((uint64_t)(i + 1) * 0xBF58476D1CE4E5B9ull) ^ uv_hrtime();
    gw_metrics_init(&w->m);
    sw_buf_init(&w->logline);
    atomic_init(&w->rcu, 0);
    if (make_listener((struct sockaddr *)&ss, sslen, &w->listen_fd, err, what) != 0) {
      for (int k = 0; k <= i; k++)
        if (g->workers[k].listen_fd >= 0) close(g->workers[k].listen_fd);
      gateway_free(g);
      return SW_EIO;
    }
    if (i == 0) {
      g->port = bound_port(w->listen_fd);
      /* The others must bind the port the first one got (port 0 = any). */
      if (ss.ss_family == AF_INET)
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)g->port);
      else
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)g->port);
    }
    g->rcu_slots[g->n_rcu_slots++] = &w->rcu;
  }

  if (g->cfg.metrics_port >= 0) {
    if (gw_mserver_start(g, g->cfg.metrics_host, g->cfg.metrics_port, &g->ms, &g->metrics_port, err) != 0) {
      for (int k = 0; k < nw; k++) close(g->workers[k].listen_fd);
      gateway_free(g);
      return SW_EIO;
    }
  }

  gw_table *t = sw_xcalloc(1, sizeof *t);
  atomic_store(&g->table, t);

  for (int i = 0; i < nw; i++) {
    gw_worker *w = &g->workers[i];
    uv_loop_init(&w->loop);
    w->loop.data = w;
    uv_async_init(&w->loop, &w->wake, gw_worker_on_wake);
    w->wake.data = w;
    uv_timer_init(&w->loop, &w->tick);
    w->tick.data = w;
    uv_timer_init(&w->loop, &w->qtimer);
    w->qtimer.data = w;
    uv_tcp_init(&w->loop, &w->listener);
    w->listener.data = w;
    uv_tcp_open(&w->listener, w->listen_fd);
    w->listening = true;
  }
  for (int i = 0; i < nw; i++) pthread_create(&g->workers[i].thread, NULL, worker_main, &g->workers[i]);
  SW_INFO("gateway", "listening on %s:%d (%d workers, policy %s)%s", g->cfg.listen_host, g->port, nw,
          g->policy->name, g->ms ? "" : ", no metrics listener");
  *out = g;
  return 0;
}

static void *worker_main(void *arg) {
  gw_worker *w = arg;
  int rc = uv_listen((uv_stream_t *)&w->listener, 1024, gw_worker_on_connection);
  if (rc != 0) SW_ERROR("gateway", "worker %d: listen: %s", w->id, uv_strerror(rc));
  uv_timer_start(&w->tick, gw_worker_on_tick, 1000, 1000);
  /* A stop requested before this thread ran must still be seen. */
  if (atomic_load(&w->g->stopping)) uv_async_send(&w->wake);
  uv_run(&w->loop, UV_RUN_DEFAULT);
  return NULL;
}

void gw_stop(gw_gateway *g) {
  if (!g) return;
  pthread_mutex_lock(&g->update_mu);
  atomic_store(&g->stopping, true);
  pthread_mutex_unlock(&g->update_mu);
  for (int i = 0; i < g->nworkers; i++) uv_async_send(&g->workers[i].wake);
  for (int i = 0; i < g->nworkers; i++) {
    pthread_join(g->workers[i].thread, NULL);
    int rc = uv_loop_close(&g->workers[i].loop);
    if (rc != 0) SW_WARN("gateway", "worker %d: loop still had handles at exit", i);
  }
  if (g->ms) gw_mserver_stop(g->ms);
  SW_INFO("gateway", "stopped");
  gateway_free(g);
}

int gw_port(const gw_gateway *g) { return g ? g->port : -1; }
int gw_metrics_port(const gw_gateway *g) { return g && g->ms ? g->metrics_port : -1; }
