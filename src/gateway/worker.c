/*
 * worker.c — one gateway worker: its loop's housekeeping (wake-ups from
 * other threads, the 1 s tick, accepting, draining at stop), its read-buffer
 * blocks, and the write helper every socket write goes through.
 *
 * Everything here runs on the worker's own thread; nothing blocks.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_int.h"

/* ---- blocks --------------------------------------------------------------- */

gw_block *gw_block_get(gw_worker *w) {
  gw_block *b = w->free_blocks;
  if (b) {
    w->free_blocks = b->next;
    w->n_free_blocks--;
  } else {
    b = sw_xmalloc(sizeof *b);
  }
  b->next = NULL;
  b->refs = 1;
  return b;
}

void gw_block_put(gw_worker *w, gw_block *b) {
  if (!b || --b->refs > 0) return;
  if (w->n_free_blocks >= 64) {
    free(b);
    return;
  }
  b->next = w->free_blocks;
  w->free_blocks = b;
  w->n_free_blocks++;
}

/* ---- writes ---------------------------------------------------------------- */

typedef struct gw_wreq {
  uv_write_t req;
  gw_worker *w;
  gw_block *blk;
  gw_write_done cb;
  void *ud;
  char copy[]; /* bytes that were not inside blk */
} gw_wreq;

static void on_written(uv_write_t *req, int status) {
  gw_wreq *wr = (gw_wreq *)req;
  gw_block_put(wr->w, wr->blk);
  gw_write_done cb = wr->cb;
  void *ud = wr->ud;
  free(wr);
  if (cb) cb(ud, status);
}

int gw_write(gw_worker *w, uv_stream_t *s, const uv_buf_t *bufs, unsigned n, gw_block *blk, gw_write_done cb,
             void *ud) {
  size_t total = 0;
  for (unsigned i = 0; i < n; i++) total += bufs[i].len;
  if (total == 0) return 0;
  int r = uv_try_write(s, bufs, n);
  if (r == UV_EAGAIN || r == UV_ENOSYS) r = 0;
  if (r < 0) return r;
  if ((size_t)r == total) return 0;

  /* Queue what the socket did not take: slices of blk by reference, the rest
   * (small heads we built) copied so the caller may reuse its buffers. */
  size_t skip = (size_t)r, copy_len = 0;
  const char *lo = blk ? blk->data : NULL, *hi = blk ? blk->data + GW_BLOCK_SIZE : NULL;
  for (unsigned i = 0; i < n; i++) {
    size_t off = skip < bufs[i].len ? skip : bufs[i].len;
    skip -= off;
    const char *p = bufs[i].base + off;
    size_t len = bufs[i].len - off;
    if (len && !(blk && p >= lo && p < hi)) copy_len += len;
  }
  gw_wreq *wr = sw_xmalloc(sizeof *wr + copy_len);
  wr->w = w;
  wr->blk = NULL;
  wr->cb = cb;
  wr->ud = ud;
  uv_buf_t stack_bufs[16];
  uv_buf_t *out = n <= 16 ? stack_bufs : sw_xmalloc(n * sizeof *out);
  unsigned m = 0;
  size_t cpos = 0;
  bool uses_blk = false;
  skip = (size_t)r;
  for (unsigned i = 0; i < n; i++) {
    size_t off = skip < bufs[i].len ? skip : bufs[i].len;
    skip -= off;
    const char *p = bufs[i].base + off;
    size_t len = bufs[i].len - off;
    if (!len) continue;
    if (blk && p >= lo && p < hi) {
      out[m++] = uv_buf_init((char *)p, (unsigned)len);
      uses_blk = true;
    } else {
      memcpy(wr->copy + cpos, p, len);
      out[m++] = uv_buf_init(wr->copy + cpos, (unsigned)len);
      cpos += len;
    }
  }
  if (uses_blk) {
    blk->refs++;
    wr->blk = blk;
  }
  int rc = uv_write(&wr->req, s, out, m, on_written); /* libuv copies the uv_buf_t array */
  if (out != stack_bufs) free(out);
  if (rc != 0) {
    gw_block_put(w, wr->blk);
    free(wr);
    return rc;
  }
  return 0;
}

/* ---- deadlines ------------------------------------------------------------- */

void gw_deadline_set(uv_timer_t *t, uint64_t *deadline, uint64_t ms, uv_timer_cb cb) {
  *deadline = uv_now(t->loop) + ms;
  if (uv_is_active((uv_handle_t *)t) && uv_timer_get_due_in(t) <= ms) return;
  uv_timer_start(t, cb, ms, 0);
}

void gw_deadline_clear(uint64_t *deadline) { *deadline = UINT64_MAX; }

bool gw_deadline_due(uv_timer_t *t, uint64_t deadline, uv_timer_cb cb) {
  if (deadline == UINT64_MAX) return false;
  uint64_t now = uv_now(t->loop);
  if (now >= deadline) return true;
  uv_timer_start(t, cb, deadline - now, 0);
  return false;
}

/* ---- randomness (xorshift64*, per worker: no shared state) ----------------- */

uint64_t gw_rand(gw_worker *w) {
  uint64_t x = w->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  w->rng = x;
  return x * 0x2545F4914F6CDD1Dull;
}

/* ---- loop housekeeping ------------------------------------------------------ */

void gw_worker_on_connection(uv_stream_t *s, int status) {
  gw_worker *w = s->data;
  if (status < 0) {
    SW_WARN("gateway", "worker %d: accept: %s", w->id, uv_strerror(status));
    return;
  }
  gw_client_accept(w);
}

static void on_handle_closed(uv_handle_t *h) { (void)h; }

void gw_worker_maybe_exit(gw_worker *w) {
  if (!w->stopping || w->closed || w->n_conns > 0) return;
  w->closed = true;
  gw_pools_sweep(w, true);
  uv_close((uv_handle_t *)&w->wake, on_handle_closed);
  uv_close((uv_handle_t *)&w->tick, on_handle_closed);
  uv_close((uv_handle_t *)&w->qtimer, on_handle_closed);
}

static void begin_drain(gw_worker *w) {
  w->stopping = true;
  if (w->listening) {
    w->listening = false;
    uv_close((uv_handle_t *)&w->listener, on_handle_closed);
  }
  gw_queue_fail_all(w);
  gw_worker_drain_conns(w);
  gw_worker_maybe_exit(w);
}

void gw_worker_on_wake(uv_async_t *a) {
  gw_worker *w = a->data;
  if (atomic_load(&w->g->stopping) && !w->stopping) {
    begin_drain(w);
    return;
  }
  if (w->stopping) return;
  /* The table may have changed: close pooled connections to replicas that
   * left it and give queued requests their chance. */
  gw_pools_sweep(w, false);
  gw_queue_kick(w);
}

void gw_worker_on_tick(uv_timer_t *t) {
  gw_worker *w = t->data;
  /* Ejections expire with time, not with table updates. */
  if (w->q_len && !w->stopping) gw_queue_kick(w);
}
