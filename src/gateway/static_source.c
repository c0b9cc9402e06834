/*
 * static_source.c — see static_source.h. The scraper uses libcurl's multi
 * interface on its own thread (curl_multi_poll), so every replica is scraped
 * concurrently and one slow replica delays nobody.
 */
#include "gateway/static_source.h"

#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/epfile.h"

#define MAX_SCRAPE_BYTES (8 << 20)

typedef struct target_state {
  char *key; /* host:port/path */
  gw_load load;
  bool healthy;
} target_state;

struct gw_static {
  gw_gateway *g;
  char *path;
  gw_static_opts o;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  _Atomic bool stop;
  gw_epfile file;
  target_state *st; /* parallel to file.items */
  pthread_t thread;
  bool has_thread;
  CURLM *multi;
};

static char *target_key(const gw_file_ep *fe) {
  return strchr(fe->host, ':') ? sw_xasprintf("[%s]:%d%s", fe->host, fe->port, fe->metrics_path)
                               : sw_xasprintf("%s:%d%s", fe->host, fe->port, fe->metrics_path);
}

static void free_states(target_state *st, size_t n) {
  for (size_t i = 0; i < n; i++) free(st[i].key);
  free(st);
}

/* Builds states for a new file, carrying over what was learnt about the same targets. */
static target_state *carry_states(const gw_epfile *nf, const gw_epfile *of, const target_state *ost) {
  target_state *st = sw_xcalloc(nf->n ? nf->n : 1, sizeof *st);
  for (size_t i = 0; i < nf->n; i++) {
    st[i].load = (gw_load){NAN, NAN, NAN};
    st[i].healthy = true;
    if (!nf->items[i].host) continue;
    st[i].key = target_key(&nf->items[i]);
    for (size_t j = 0; ost && j < of->n; j++)
      if (ost[j].key && strcmp(ost[j].key, st[i].key) == 0) {
        st[i].load = ost[j].load;
        st[i].healthy = ost[j].healthy;
        break;
      }
  }
  return st;
}

/* Under s->mu. */
static void push(gw_static *s) {
  size_t n = s->file.n;
  gw_endpoint *eps = sw_xcalloc(n ? n : 1, sizeof *eps);
  for (size_t i = 0; i < n; i++) {
    const gw_file_ep *fe = &s->file.items[i];
    eps[i] = (gw_endpoint){
        .model = fe->model,
        .pod = fe->pod,
        .cluster = fe->cluster,
        .cluster_priority = fe->priority,
        .host = fe->host,
        .port = fe->port,
        .ready = fe->ready && s->st[i].healthy,
        .terminating = fe->terminating,
        .waiting = s->st[i].load.waiting,
        .running = s->st[i].load.running,
        .kv_usage = s->st[i].load.kv,
    };
  }
  gw_update_endpoints(s->g, eps, n);
  free(eps);
}

/* ---- scraping ---------------------------------------------------------------- */

typedef struct scrape {
  char *key;
  char *url;
  sw_buf body;
  CURL *easy;
  bool done, ok, refused;
  gw_load load;
} scrape;

static size_t on_body(char *p, size_t sz, size_t n, void *ud) {
  scrape *sc = ud;
  if (sc->body.len + sz * n > MAX_SCRAPE_BYTES) return 0; /* aborts the transfer */
  sw_buf_append(&sc->body, p, sz * n);
  return sz * n;
}

static void scrape_round(gw_static *s) {
  pthread_mutex_lock(&s->mu);
  size_t n = 0;
  scrape *sc = sw_xcalloc(s->file.n ? s->file.n : 1, sizeof *sc);
  for (size_t i = 0; i < s->file.n; i++) {
    if (!s->st[i].key) continue;
    bool dup = false;
    for (size_t j = 0; j < n; j++) dup |= strcmp(sc[j].key, s->st[i].key) == 0;
    if (dup) continue;
    sc[n].key = sw_xstrdup(s->st[i].key);
    sc[n].url = sw_xasprintf("http://%s", s->st[i].key);
    n++;
  }
  pthread_mutex_unlock(&s->mu);

  long timeout_ms = (long)(s->o.scrape_timeout * 1000);
  for (size_t i = 0; i < n; i++) {
    sw_buf_init(&sc[i].body);
    CURL *e = curl_easy_init();
    sc[i].easy = e;
    curl_easy_setopt(e, CURLOPT_URL, sc[i].url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &sc[i]);
    curl_easy_setopt(e, CURLOPT_PRIVATE, &sc[i]);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_multi_add_handle(s->multi, e);
  }
  int running = 0;
  curl_multi_perform(s->multi, &running);
  while (running && !atomic_load(&s->stop)) {
    curl_multi_poll(s->multi, NULL, 0, 200, NULL);
    curl_multi_perform(s->multi, &running);
  }
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(s->multi, &left))) {
    if (msg->msg != CURLMSG_DONE) continue;
    scrape *x = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
    if (!x) continue;
    x->done = true;
    if (msg->data.result == CURLE_OK) {
      long code = 0;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
      x->ok = true; /* it answered: alive, even without vLLM metrics */
      if (code == 200) {
        sw_err err = {0};
        if (gw_prom_load(x->body.data ? x->body.data : "", x->body.len, &x->load, &err) != 0)
          SW_DEBUG("gateway", "replica %s: /metrics not readable: %s", x->url, err.msg);
      } else
        x->load = (gw_load){NAN, NAN, NAN};
    } else if (msg->data.result == CURLE_COULDNT_CONNECT) {
      x->refused = true;
    }
  }
  for (size_t i = 0; i < n; i++) {
    curl_multi_remove_handle(s->multi, sc[i].easy);
    curl_easy_cleanup(sc[i].easy);
  }

  pthread_mutex_lock(&s->mu);
  bool changed = false;
  for (size_t i = 0; i < s->file.n; i++) {
    if (!s->st[i].key) continue;
    for (size_t j = 0; j < n; j++) {
      if (strcmp(sc[j].key, s->st[i].key) != 0 || !sc[j].done) continue;
      if (sc[j].ok) {
        s->st[i].load = sc[j].load;
        s->st[i].healthy = true;
        changed = true;
      } else if (sc[j].refused) {
        if (s->st[i].healthy)
          SW_WARN("gateway", "replica %s refuses connections: not routable until it answers again",
                  sc[j].url);
        s->st[i].healthy = false;
        s->st[i].load = (gw_load){NAN, NAN, NAN};
        changed = true;
      }
    }
  }
  if (changed && !atomic_load(&s->stop)) push(s);
  pthread_mutex_unlock(&s->mu);
  for (size_t i = 0; i < n; i++) {
    free(sc[i].key);
    free(sc[i].url);
    sw_buf_free(&sc[i].body);
  }
  free(sc);
}

static void *scraper_main(void *arg) {
  gw_static *s = arg;
  while (!atomic_load(&s->stop)) {
    double t0 = sw_mono_now();
    scrape_round(s);
    double next = t0 + s->o.scrape_interval;
    pthread_mutex_lock(&s->mu);
    while (!atomic_load(&s->stop)) {
      double now = sw_mono_now();
      if (now >= next) break;
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      double wait = next - now;
      ts.tv_sec += (time_t)wait;
      ts.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
      if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
      }
      pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
  }
  return NULL;
}

/* ---- lifecycle ------------------------------------------------------------------ */

static void log_warnings(const gw_epfile *f) {
  for (size_t i = 0; i < f->n_warnings; i++) SW_WARN("gateway", "%s", f->warnings[i]);
}

int gw_static_start(gw_gateway *g, const char *path, const gw_static_opts *o, gw_static **out, sw_err *err) {
  *out = NULL;
  gw_epfile f;
  int rc = gw_epfile_load(path, &f, err);
  if (rc) return rc;
  log_warnings(&f);
  gw_static *s = sw_xcalloc(1, sizeof *s);
  s->g = g;
  s->path = sw_xstrdup(path);
  s->o = *o;
  if (s->o.scrape_timeout <= 0) s->o.scrape_timeout = 1;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  atomic_init(&s->stop, false);
  s->file = f;
  s->st = carry_states(&s->file, NULL, NULL);
  pthread_mutex_lock(&s->mu);
  push(s);
  pthread_mutex_unlock(&s->mu);
  SW_INFO("gateway", "%zu endpoints from %s", s->file.n, path);
  if (s->o.scrape_interval > 0) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    s->multi = curl_multi_init();
    pthread_create(&s->thread, NULL, scraper_main, s);
    s->has_thread = true;
  }
  *out = s;
  return 0;
}

int gw_static_reload(gw_static *s, sw_err *err) {
  gw_epfile f;
  int rc = gw_epfile_load(s->path, &f, err);
  if (rc) return rc;
  log_warnings(&f);
  pthread_mutex_lock(&s->mu);
  target_state *st = carry_states(&f, &s->file, s->st);
  free_states(s->st, s->file.n);
  gw_epfile_free(&s->file);
  s->file = f;
  s->st = st;
  push(s);
  pthread_mutex_unlock(&s->mu);
  SW_INFO("gateway", "reloaded %s: %zu endpoints", s->path, f.n);
  return 0;
}

void gw_static_stop(gw_static *s) {
  if (!s) return;
  atomic_store(&s->stop, true);
  pthread_mutex_lock(&s->mu);
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  if (s->has_thread) {
    curl_multi_wakeup(s->multi);
    pthread_join(s->thread, NULL);
    curl_multi_cleanup(s->multi);
  }
  free_states(s->st, s->file.n);
  gw_epfile_free(&s->file);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  free(s->path);
  free(s);
}
