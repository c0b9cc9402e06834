/*
 * mcurl.c — libcurl multi on libuv (see mcurl.h).
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
 * call it back (CURLMOPT_TIMERFUNCTION); libuv watches them and we hand the
 * events to curl_multi_socket_action, then collect finished transfers with
 * curl_multi_info_read. A poll handle is stopped at once when curl removes
 * its socket (so a new socket reusing the fd number can be watched right
 * away) and closed asynchronously.
 */
#include "metrics/mcurl.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sw.h"

struct mcurl_req {
  mcurl *m;
  CURL *easy;
  sw_buf body;
  size_t max_body;
  bool too_big;
  long timeout_ms;
  mcurl_cb cb;
  void *ud;
  struct curl_slist *headers;
  char errbuf[CURL_ERROR_SIZE];
  struct mcurl_req *prev, *next;
};

struct mcurl {
  uv_loop_t *loop;
  CURLM *multi;
  uv_timer_t timer;
  size_t open_handles; /* uv handles not yet closed (timer + polls) */
  bool closing;
  SW_VEC(CURL *) idle;
  SW_VEC(sw_buf) bufs; /* body buffers kept for the next requests (no realloc churn per scrape) */
  mcurl_req *reqs;     /* in flight */
  size_t in_flight;
};

typedef struct sock_ctx {
  uv_poll_t poll;
  mcurl *m;
  curl_socket_t fd;
} sock_ctx;

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static void global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static void maybe_release(mcurl *m) {
  if (m->closing && m->open_handles == 0) free(m);
}

static void on_handle_closed(uv_handle_t *h) {
  mcurl *m = h->data;
  m->open_handles--;
  maybe_release(m);
}

static void on_sock_closed(uv_handle_t *h) {
  sock_ctx *sc = h->data;
  mcurl *m = sc->m;
  free(sc);
  m->open_handles--;
  maybe_release(m);
}

static void req_unlink(mcurl_req *r) {
  mcurl *m = r->m;
  if (r->prev)
    r->prev->next = r->next;
  else
    m->reqs = r->next;
  if (r->next) r->next->prev = r->prev;
  r->prev = r->next = NULL;
  m->in_flight--;
}

static void req_release(mcurl_req *r, bool recycle) {
  mcurl *m = r->m;
  curl_multi_remove_handle(m->multi, r->easy);
  if (recycle && !m->closing && m->idle.len < 64) {
    curl_easy_reset(r->easy);
    sw_vec_push(&m->idle, r->easy);
  } else {
    curl_easy_cleanup(r->easy);
  }
  curl_slist_free_all(r->headers);
  if (recycle && !m->closing && m->bufs.len < 64 && r->body.cap && r->body.cap <= (1u << 20)) {
    sw_buf_reset(&r->body);
    sw_vec_push(&m->bufs, r->body);
  } else {
    sw_buf_free(&r->body);
  }
  free(r);
}

static const char *describe_failure(mcurl_req *r, CURLcode rc, char *buf, size_t n) {
  long oserr = 0;
  curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &oserr);
  switch (rc) {
  case CURLE_COULDNT_CONNECT:
    if (oserr == ECONNREFUSED) return "connection refused";
    if (oserr) return snprintf(buf, n, "could not connect (%s)", strerror((int)oserr)), buf;
    break;
  case CURLE_OPERATION_TIMEDOUT:
    snprintf(buf, n, "timed out after %ld ms", r->timeout_ms);
    return buf;
  case CURLE_WRITE_ERROR:
    if (r->too_big) {
      snprintf(buf, n, "response larger than %zu bytes", r->max_body);
      return buf;
    }
    break;
  case CURLE_GOT_NOTHING:
    return "the server closed the connection without answering";
  default:
    break;
  }
  snprintf(buf, n, "%s", r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
  return buf;
}

static void check_done(mcurl *m) {
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(m->multi, &left))) {
    if (msg->msg != CURLMSG_DONE) continue;
    mcurl_req *r = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
    if (!r) continue;
    CURLcode rc = msg->data.result;
    mcurl_result res = {0};
    char ebuf[CURL_ERROR_SIZE + 64];
    curl_easy_getinfo(r->easy, CURLINFO_TOTAL_TIME, &res.seconds);
    if (rc == CURLE_OK) {
      res.ok = true;
      curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.http_status);
    } else {
      res.error = describe_failure(r, rc, ebuf, sizeof ebuf);
    }
    if (!r->body.data) sw_buf_puts(&r->body, "");
    res.body = r->body.data;
    res.len = r->body.len;
    req_unlink(r);
    r->cb(r->ud, &res);
    req_release(r, true);
    if (m->closing) return;
  }
}

static void on_poll(uv_poll_t *h, int status, int events) {
  sock_ctx *sc = h->data;
  mcurl *m = sc->m;
  int flags = 0;
  if (status < 0) flags = CURL_CSELECT_ERR;
  if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  int running;
  curl_multi_socket_action(m->multi, sc->fd, flags, &running);
  check_done(m);
}

static void on_timer(uv_timer_t *t) {
  mcurl *m = t->data;
  int running;
  curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_done(m);
}

static int on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp) {
  mcurl *m = userp;
  sock_ctx *sc = socketp;
  if (what == CURL_POLL_REMOVE) {
    if (sc) {
      uv_poll_stop(&sc->poll);
      curl_multi_assign(m->multi, s, NULL);
      uv_close((uv_handle_t *)&sc->poll, on_sock_closed);
    }
    return 0;
  }
  if (!sc) {
    sc = sw_xcalloc(1, sizeof *sc);
    sc->m = m;
    sc->fd = s;
    if (uv_poll_init_socket(m->loop, &sc->poll, s) != 0) {
      free(sc);
      return -1;
    }
    sc->poll.data = sc;
    m->open_handles++;
    curl_multi_assign(m->multi, s, sc);
  }
  int events = 0;
  if (what & CURL_POLL_IN) events |= UV_READABLE;
  if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
  uv_poll_start(&sc->poll, events, on_poll);
  return 0;
}

static int on_timer_request(CURLM *multi, long timeout_ms, void *userp) {
  mcurl *m = userp;
  if (timeout_ms < 0)
    uv_timer_stop(&m->timer);
  else
    uv_timer_start(&m->timer, on_timer, (uint64_t)timeout_ms, 0);
  return 0;
}

mcurl *mcurl_new(uv_loop_t *loop) {
  pthread_once(&global_once, global_init);
  mcurl *m = sw_xcalloc(1, sizeof *m);
  m->loop = loop;
  m->multi = curl_multi_init();
  curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
  curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, on_timer_request);
  curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
  uv_timer_init(loop, &m->timer);
  m->timer.data = m;
  m->open_handles = 1;
  return m;
}

void mcurl_free(mcurl *m) {
  if (!m) return;
  m->closing = true;
  while (m->reqs) {
    mcurl_req *r = m->reqs;
    req_unlink(r);
    req_release(r, false);
  }
  for (size_t i = 0; i < m->idle.len; i++) curl_easy_cleanup(m->idle.items[i]);
  sw_vec_free(&m->idle);
  for (size_t i = 0; i < m->bufs.len; i++) sw_buf_free(&m->bufs.items[i]);
  sw_vec_free(&m->bufs);
  curl_multi_cleanup(m->multi); /* may still report sockets to remove */
  m->multi = NULL;
  uv_timer_stop(&m->timer);
  uv_close((uv_handle_t *)&m->timer, on_handle_closed);
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud) {
  mcurl_req *r = ud;
  size_t n = size * nmemb;
  if (r->body.len + n > r->max_body) {
    r->too_big = true;
    return 0;
  }
  sw_buf_append(&r->body, data, n);
  return n;
}

mcurl_req *mcurl_get(mcurl *m, const char *url, const mcurl_opts *o, mcurl_cb cb, void *ud) {
  mcurl_req *r = sw_xcalloc(1, sizeof *r);
  r->m = m;
  r->cb = cb;
  r->ud = ud;
  r->timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms : 1000;
  r->max_body = o && o->max_body ? o->max_body : 16u << 20;
  if (m->bufs.len)
    r->body = m->bufs.items[--m->bufs.len];
  else
    sw_buf_init(&r->body);
  if (m->idle.len)
    r->easy = m->idle.items[--m->idle.len];
  else
    r->easy = curl_easy_init();
  CURL *e = r->easy;
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_PRIVATE, r);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "spillway/" SPILLWAY_VERSION);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  if (o && o->accept) {
    char h[256];
    snprintf(h, sizeof h, "Accept: %s", o->accept);
    r->headers = curl_slist_append(NULL, h);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
  }
  r->next = m->reqs;
  if (m->reqs) m->reqs->prev = r;
  m->reqs = r;
  m->in_flight++;
  curl_multi_add_handle(m->multi, e); /* the timer callback starts it on the next loop turn */
  return r;
}

void mcurl_cancel(mcurl_req *r) {
  if (!r) return;
  req_unlink(r);
  req_release(r, true);
}

size_t mcurl_in_flight(const mcurl *m) { return m->in_flight; }

void mcurl_escape(const char *s, char **out) {
  char *e = curl_easy_escape(NULL, s, 0);
  *out = sw_xstrdup(e ? e : "");
  curl_free(e);
}
