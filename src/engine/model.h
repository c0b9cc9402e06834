/*
 * model.h — the engine's latency model: continuous batching as vLLM's V1
 * scheduler does it, as a pure library (no I/O, no clock, no globals).
 *
 * The caller adds requests with their arrival time (model seconds) and calls
 * eng_model_run(m, until, ...) to process everything up to `until`; the model
 * reports, through a callback, when each request is first scheduled and each
 * output token as it is produced at the end of a step, and returns the time
 * of its next event. `spillway engine` drives it in real time (a timer per
 * returned time, scaled by --time-scale); `spillway sim` can drive it in
 * virtual time by calling eng_model_run with the times it chooses.
 *
 * What it reproduces (vllm/v1/core/sched/scheduler.py, FCFS policy):
 *  - a serial frontend (one API server process: tokenisation, IPC) that each
 *    request crosses before the scheduler sees it, plus a fixed latency;
 *  - every step, running requests first (one decode token each, or the next
 *    prefill chunk), then waiting requests FCFS while fewer than
 *    max_num_seqs run and the token budget (max_num_batched_tokens) lasts;
 *    prompts are chunked when the budget runs short (chunked prefill);
 *  - a KV cache of kv_cache_tokens in blocks of block_size: a waiting request
 *    that does not fit waits; a running request that cannot grow preempts the
 *    most recently admitted running request (recompute: its blocks are freed
 *    and it goes back to the head of the queue with nothing computed);
 *  - step time = slowdown * (base + max(weights, per_token*T) + per_seq*S +
 *    per_kv_token*C) for T batched tokens, S scheduled sequences, C context
 *    tokens attended: a memory-bound floor (reading the weights) that becomes
 *    compute-bound past a few hundred batched tokens, plus per-sequence and
 *    attention (KV read) costs.
 *
 * Ownership: the model owns its requests; a handle returned by
 * eng_model_add stays valid until its final token event or eng_model_abort.
 */
#ifndef ENGINE_MODEL_H
#define ENGINE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct eng_model eng_model;
typedef struct eng_model_req eng_model_req;

typedef enum {
  ENG_FINISH_NONE = 0,
  ENG_FINISH_STOP,   /* the model "emitted EOS": output length drawn from the profile */
  ENG_FINISH_LENGTH, /* max_tokens reached */
  ENG_FINISH_ABORT,  /* client went away */
} eng_finish;

const char *eng_finish_name(eng_finish f); /* "stop", "length", "abort", "" */

typedef struct eng_model_config {
  int max_num_seqs;           /* vLLM --max-num-seqs */
  int max_num_batched_tokens; /* token budget per step */
  int64_t kv_cache_tokens;    /* KV capacity in tokens (rounded down to blocks) */
  int block_size;             /* tokens per KV block (vLLM: 16) */
  /* step time terms, model seconds */
  double step_base, step_weights, step_per_token, step_per_seq, step_per_kv_token;
  /* frontend: serial time per request plus per prompt token (one API server
   * process tokenising), then a fixed latency (IPC, detokenising) */
  double fe_per_request, fe_per_prompt_token, fe_fixed;
} eng_model_config;

typedef enum {
  ENG_EV_QUEUED,    /* crossed the frontend; entered the scheduler's waiting queue */
  ENG_EV_SCHEDULED, /* first admission to the running batch (ends vLLM's queue time) */
  ENG_EV_TOKEN,     /* one output token produced at `time` */
  ENG_EV_PREEMPTED, /* evicted for recompute */
} eng_event_kind;

typedef struct eng_event {
  eng_event_kind kind;
  void *req_ud;      /* the caller's pointer given to eng_model_add */
  double time;       /* model seconds */
  int generated;     /* output tokens so far, this one included (TOKEN) */
  eng_finish finish; /* set on the last token; the handle is freed after the callback */
} eng_event;

typedef void (*eng_event_fn)(void *ud, const eng_event *ev);

/* Per-step statistics, for vllm:iteration_tokens_total and GPU utilisation. */
typedef struct eng_step_info {
  double start, end;
  int batched_tokens, prefill_tokens, decode_tokens, num_seqs, preempted;
} eng_step_info;
typedef void (*eng_step_fn)(void *ud, const eng_step_info *st);

/* Returns NULL and writes a reason into err (size errlen) when the config is
 * unusable (e.g. no KV block fits, max_num_seqs < 1). */
eng_model *eng_model_new(const eng_model_config *cfg, char *err, size_t errlen);
void eng_model_free(eng_model *m);

/* Adds a request arriving at `arrival` with prompt_tokens (>= 1) that will
 * produce output_tokens (>= 1) tokens and then finish with `finish`
 * (STOP or LENGTH). The caller checks max-model-len beforehand. */
eng_model_req *eng_model_add(eng_model *m, void *req_ud, double arrival, int prompt_tokens, int output_tokens,
                             eng_finish finish);
/* Drops a request (client gone) at `now`: frees its KV blocks at once. No
 * event is reported for it afterwards. */
void eng_model_abort(eng_model *m, eng_model_req *r, double now);

/* Processes every event up to model time `until` (steps that end by then,
 * frontend admissions, new steps starting); returns the time of the next
 * event, or INFINITY when there is nothing to do until a request is added.
 * step_fn may be NULL. Callbacks must not call back into the model. */
double eng_model_run(eng_model *m, double until, eng_event_fn fn, eng_step_fn step_fn, void *ud);

/* Multiplies every step time from the next step on (fault injection). */
void eng_model_set_slowdown(eng_model *m, double factor);

/* Observed state, as vLLM's gauges report it. */
int eng_model_running(const eng_model *m);
int eng_model_waiting(const eng_model *m);     /* in the scheduler's queue */
int eng_model_frontend(const eng_model *m);    /* still crossing the frontend */
double eng_model_kv_usage(const eng_model *m); /* fraction of KV blocks in use, 0..1 */
int64_t eng_model_kv_blocks(const eng_model *m);
uint64_t eng_model_preemptions(const eng_model *m);
/* Seconds the simulated GPU has been busy (executing steps) up to `now`. */
double eng_model_busy_seconds(const eng_model *m, double now);
/* The pure step-time formula, exposed for tests and for profile reports. */
double eng_model_step_time(const eng_model_config *cfg, double slowdown, int batched_tokens, int num_seqs,
                           int64_t context_tokens);

#endif
