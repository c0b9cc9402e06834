/*
 * model.c — continuous-batching latency model (see model.h). Pure: no I/O,
 * no clock, no globals; all times are model seconds handed in by the caller.
 *
 * The scheduling loop follows vLLM V1's Scheduler.schedule() (FCFS): running
 * requests first, each asking for (prompt + generated - computed) tokens
 * capped by the remaining budget; when the KV cache cannot hold a running
 * request's new tokens, the tail of the running list is preempted (recompute)
 * until it fits or the request itself is the one preempted; waiting requests
 * are admitted only when nothing was preempted in this step. At the end of a
 * step every request whose known tokens are all computed samples one token.
 */
#include "engine/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sw.h"

typedef enum { RQ_FRONTEND, RQ_WAITING, RQ_RUNNING } rq_where;

struct eng_model_req {
  void *ud;
  double arrival, ready_at;
  int prompt, target;
  eng_finish finish;
  int generated;
  int64_t computed; /* tokens whose KV is computed */
  int64_t blocks;   /* KV blocks held */
  int scheduled;    /* tokens scheduled in the step in flight */
  bool ever_scheduled;
  bool done; /* finished in the current step; compacted away */
  rq_where where;
  eng_model_req *prev, *next; /* frontend / waiting list links */
};

typedef struct rq_list {
  eng_model_req *head, *tail;
  int n;
} rq_list;

struct eng_model {
  eng_model_config cfg;
  int64_t total_blocks, free_blocks;
  double slowdown;
  double now;     /* time of the last processed event */
  double fe_free; /* when the serial frontend is free */
  rq_list frontend, waiting;
  eng_model_req **running;
  int n_running, cap_running;
  bool busy;
  eng_step_info step;
  double busy_total;
  uint64_t preemptions;
};

const char *eng_finish_name(eng_finish f) {
  switch (f) {
  case ENG_FINISH_STOP:
    return "stop";
  case ENG_FINISH_LENGTH:
    return "length";
  case ENG_FINISH_ABORT:
    return "abort";
  default:
    return "";
  }
}

/* ---- lists ---------------------------------------------------------------- */

static void list_push_back(rq_list *l, eng_model_req *r) {
  r->next = NULL;
  r->prev = l->tail;
  if (l->tail)
    l->tail->next = r;
  else
    l->head = r;
  l->tail = r;
  l->n++;
}

static void list_push_front(rq_list *l, eng_model_req *r) {
  r->prev = NULL;
  r->next = l->head;
  if (l->head)
    l->head->prev = r;
  else
    l->tail = r;
  l->head = r;
  l->n++;
}

static void list_remove(rq_list *l, eng_model_req *r) {
  if (r->prev)
    r->prev->next = r->next;
  else
    l->head = r->next;
  if (r->next)
    r->next->prev = r->prev;
  else
    l->tail = r->prev;
  r->prev = r->next = NULL;
  l->n--;
}

static void running_push(eng_model *m, eng_model_req *r) {
  if (m->n_running == m->cap_running) {
    m->cap_running = m->cap_running ? m->cap_running * 2 : 64;
    m->running = sw_xrealloc(m->running, (size_t)m->cap_running * sizeof *m->running);
  }
  m->running[m->n_running++] = r;
  r->where = RQ_RUNNING;
}

static void running_remove_at(eng_model *m, int i) {
  memmove(&m->running[i], &m->running[i + 1], (size_t)(m->n_running - i - 1) * sizeof *m->running);
  m->n_running--;
}

/* ---- KV blocks ------------------------------------------------------------ */

static int64_t blocks_for(const eng_model *m, int64_t tokens) {
  return (tokens + m->cfg.block_size - 1) / m->cfg.block_size;
}

/* vLLM KVCacheManager.allocate_slots: room for computed + n tokens, or no. */
static bool allocate(eng_model *m, eng_model_req *r, int n) {
  int64_t need = blocks_for(m, r->computed + n) - r->blocks;
  if (need <= 0) return true;
  if (need > m->free_blocks) return false;
  m->free_blocks -= need;
  r->blocks += need;
  return true;
}

static void release(eng_model *m, eng_model_req *r) {
  m->free_blocks += r->blocks;
  r->blocks = 0;
}

/* ---- public --------------------------------------------------------------- */

eng_model *eng_model_new(const eng_model_config *cfg, char *err, size_t errlen) {
  const char *why = NULL;
  if (cfg->max_num_seqs < 1)
    why = "max_num_seqs must be at least 1";
  else if (cfg->max_num_batched_tokens < 1)
    why = "max_num_batched_tokens must be at least 1";
  else if (cfg->block_size < 1)
    why = "block_size must be at least 1";
  else if (cfg->kv_cache_tokens < cfg->block_size)
    why = "the KV cache holds no block (kv_cache_tokens < block_size)";
  else if (cfg->step_base < 0 || cfg->step_weights < 0 || cfg->step_per_token < 0 || cfg->step_per_seq < 0 ||
           cfg->step_per_kv_token < 0 || cfg->fe_fixed < 0 || cfg->fe_per_request < 0 ||
           cfg->fe_per_prompt_token < 0)
    why = "step and frontend times must not be negative";
  else if (cfg->step_base + cfg->step_weights + cfg->step_per_token + cfg->step_per_seq <= 0)
    why = "a step must take some time (all step terms are zero)";
  if (why) {
    if (err && errlen) snprintf(err, errlen, "%s", why);
    return NULL;
  }
  eng_model *m = sw_xcalloc(1, sizeof *m);
  m->cfg = *cfg;
  m->total_blocks = m->free_blocks = cfg->kv_cache_tokens / cfg->block_size;
  m->slowdown = 1.0;
  return m;
}

static void req_free_list(rq_list *l) {
  for (eng_model_req *r = l->head, *n; r; r = n) {
    n = r->next;
    free(r);
  }
}

void eng_model_free(eng_model *m) {
  if (!m) return;
  req_free_list(&m->frontend);
  req_free_list(&m->waiting);
  for (int i = 0; i < m->n_running; i++) free(m->running[i]);
  free(m->running);
  free(m);
}

eng_model_req *eng_model_add(eng_model *m, void *req_ud, double arrival, int prompt_tokens, int output_tokens,
                             eng_finish finish) {
  eng_model_req *r = sw_xcalloc(1, sizeof *r);
  r->ud = req_ud;
  r->arrival = arrival;
  r->prompt = prompt_tokens < 1 ? 1 : prompt_tokens;
  r->target = output_tokens < 1 ? 1 : output_tokens;
  r->finish = finish == ENG_FINISH_LENGTH ? ENG_FINISH_LENGTH : ENG_FINISH_STOP;
  /* The API server handles requests one at a time (tokenisation, IPC to the
   * engine core); then a fixed hop before the scheduler sees it. */
  double start = arrival > m->fe_free ? arrival : m->fe_free;
  m->fe_free = start + m->cfg.fe_per_request + m->cfg.fe_per_prompt_token * r->prompt;
  r->ready_at = m->fe_free + m->cfg.fe_fixed;
  r->where = RQ_FRONTEND;
  list_push_back(&m->frontend, r);
  return r;
}

void eng_model_abort(eng_model *m, eng_model_req *r, double now) {
  (void)now;
  switch (r->where) {
  case RQ_FRONTEND:
    list_remove(&m->frontend, r);
    break;
  case RQ_WAITING:
    list_remove(&m->waiting, r);
    break;
  case RQ_RUNNING:
    for (int i = 0; i < m->n_running; i++)
      if (m->running[i] == r) {
        running_remove_at(m, i);
        break;
      }
    break;
  }
  release(m, r);
  free(r);
}

void eng_model_set_slowdown(eng_model *m, double factor) { m->slowdown = factor > 0 ? factor : 1.0; }

double eng_model_step_time(const eng_model_config *c, double slowdown, int batched_tokens, int num_seqs,
                           int64_t context_tokens) {
  double compute = c->step_per_token * batched_tokens;
  double floor = compute > c->step_weights ? compute : c->step_weights;
  return slowdown *
         (c->step_base + floor + c->step_per_seq * num_seqs + c->step_per_kv_token * (double)context_tokens);
}

/* Forms the next batch at m->now. Returns false when there is nothing to run. */
static bool schedule_step(eng_model *m, eng_event_fn fn, void *ud) {
  int budget = m->cfg.max_num_batched_tokens;
  int scheduled_seqs = 0, prefill = 0, decode = 0, preempted = 0;
  int64_t context = 0;
  for (int i = 0; i < m->n_running && budget > 0; i++) {
    eng_model_req *r = m->running[i];
    int64_t want = (int64_t)r->prompt + r->generated - r->computed;
    int n = want > budget ? budget : (int)want;
    if (n <= 0) continue;
    bool ok = false;
    while (!ok) {
      if (allocate(m, r, n)) {
        ok = true;
        break;
      }
      /* Preempt the lowest-priority running request: the tail (FCFS). */
      eng_model_req *victim = m->running[m->n_running - 1];
      m->n_running--;
      release(m, victim);
      victim->computed = 0;
      victim->scheduled = 0;
      victim->where = RQ_WAITING;
      list_push_front(&m->waiting, victim);
      m->preemptions++;
      preempted++;
      if (fn) fn(ud, &(eng_event){.kind = ENG_EV_PREEMPTED, .req_ud = victim->ud, .time = m->now});
      if (victim == r) break;
    }
    if (!ok) break;
    r->scheduled = n;
    budget -= n;
    scheduled_seqs++;
    context += r->computed + n;
    if (r->computed + n <= r->prompt)
      prefill += n;
    else if (r->computed >= r->prompt)
      decode += n;
    else {
      prefill += (int)(r->prompt - r->computed);
      decode += n - (int)(r->prompt - r->computed);
    }
  }
  /* Waiting requests, FCFS, only if nothing was preempted in this step. */
  if (!preempted) {
    while (m->waiting.head && budget > 0 && m->n_running < m->cfg.max_num_seqs) {
      eng_model_req *r = m->waiting.head;
      int64_t want = (int64_t)r->prompt + r->generated - r->computed;
      int n = want > budget ? budget : (int)want;
      if (!allocate(m, r, n)) break; /* does not fit in the KV cache: it waits */
      list_remove(&m->waiting, r);
      running_push(m, r);
      r->scheduled = n;
      budget -= n;
      scheduled_seqs++;
      prefill += n;
      context += r->computed + n;
      if (!r->ever_scheduled) {
        r->ever_scheduled = true;
        if (fn) fn(ud, &(eng_event){.kind = ENG_EV_SCHEDULED, .req_ud = r->ud, .time = m->now});
      }
    }
  }
  if (scheduled_seqs == 0) return false;
  int batched = m->cfg.max_num_batched_tokens - budget;
  double dur = eng_model_step_time(&m->cfg, m->slowdown, batched, scheduled_seqs, context);
  m->busy = true;
  m->step = (eng_step_info){.start = m->now,
                            .end = m->now + dur,
                            .batched_tokens = batched,
                            .prefill_tokens = prefill,
                            .decode_tokens = decode,
                            .num_seqs = scheduled_seqs,
                            .preempted = preempted};
  return true;
}

/* The step in flight ends at m->now: update computed tokens, sample tokens. */
static void finish_step(eng_model *m, eng_event_fn fn, eng_step_fn step_fn, void *ud) {
  m->busy = false;
  m->busy_total += m->step.end - m->step.start;
  if (step_fn) step_fn(ud, &m->step);
  int finished = 0;
  for (int i = 0; i < m->n_running; i++) {
    eng_model_req *r = m->running[i];
    if (r->scheduled == 0) continue;
    r->computed += r->scheduled;
    r->scheduled = 0;
    if (r->computed < (int64_t)r->prompt + r->generated) continue; /* mid-prefill chunk */
    r->generated++;
    bool last = r->generated >= r->target;
    if (last) {
      r->done = true;
      finished++;
    }
    if (fn)
      fn(ud, &(eng_event){.kind = ENG_EV_TOKEN,
                          .req_ud = r->ud,
                          .time = m->now,
                          .generated = r->generated,
                          .finish = last ? r->finish : ENG_FINISH_NONE});
  }
  if (!finished) return;
  int j = 0;
  for (int i = 0; i < m->n_running; i++) {
    eng_model_req *r = m->running[i];
    if (r->done) {
      release(m, r);
      free(r);
    } else {
      m->running[j++] = r;
    }
  }
  m->n_running = j;
}

double eng_model_run(eng_model *m, double until, eng_event_fn fn, eng_step_fn step_fn, void *ud) {
  for (;;) {
    if (m->busy) {
      if (m->step.end > until) return m->step.end;
      m->now = m->step.end;
      finish_step(m, fn, step_fn, ud);
    }
    /* The GPU is idle at m->now: admit what crossed the frontend, then run. */
    while (m->frontend.head && m->frontend.head->ready_at <= m->now) {
      eng_model_req *r = m->frontend.head;
      list_remove(&m->frontend, r);
      r->where = RQ_WAITING;
      list_push_back(&m->waiting, r);
      if (fn) fn(ud, &(eng_event){.kind = ENG_EV_QUEUED, .req_ud = r->ud, .time = r->ready_at});
    }
    if (schedule_step(m, fn, ud)) continue;
    double next = m->frontend.head ? m->frontend.head->ready_at : INFINITY;
    if (next > until) {
      if (until > m->now) m->now = until;
      return next;
    }
    m->now = next;
  }
}

int eng_model_running(const eng_model *m) { return m->n_running; }
int eng_model_waiting(const eng_model *m) { return m->waiting.n; }
int eng_model_frontend(const eng_model *m) { return m->frontend.n; }
double eng_model_kv_usage(const eng_model *m) {
  return m->total_blocks ? (double)(m->total_blocks - m->free_blocks) / (double)m->total_blocks : 0;
}
int64_t eng_model_kv_blocks(const eng_model *m) { return m->total_blocks; }
uint64_t eng_model_preemptions(const eng_model *m) { return m->preemptions; }

double eng_model_busy_seconds(const eng_model *m, double now) {
  double b = m->busy_total;
  if (m->busy && now > m->step.start) b += (now < m->step.end ? now : m->step.end) - m->step.start;
  return b;
}
