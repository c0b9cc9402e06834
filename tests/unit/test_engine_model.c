/* Unit tests for src/engine/model.c, the continuous-batching latency model:
 * tables of small scenarios with hand-checked step sequences (chunked
 * prefill, max-num-seqs cap, KV admission, preemption by recompute, step-time
 * growth, the serial frontend, abort, busy time). Virtual time only. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "engine/model.h"

/* A simple config: every step costs 10 ms + 1 ms per sequence; no frontend. */
static eng_model_config cfg(int seqs, int budget, int kv_tokens) {
  return (eng_model_config){.max_num_seqs = seqs,
                            .max_num_batched_tokens = budget,
                            .kv_cache_tokens = kv_tokens,
                            .block_size = 16,
                            .step_base = 0.010,
                            .step_per_seq = 0.001};
}

typedef struct rec {
  int id;
  double arrival, queued, scheduled, first, last;
  int tokens;
  eng_finish finish;
  int preempted;
} rec;

typedef struct log_t {
  rec r[16];
  eng_step_info steps[512];
  int n_steps;
} log_t;

static void on_ev(void *ud, const eng_event *e) {
  rec *r = e->req_ud;
  (void)ud;
  switch (e->kind) {
  case ENG_EV_QUEUED:
    r->queued = e->time;
    break;
  case ENG_EV_SCHEDULED:
    r->scheduled = e->time;
    break;
  case ENG_EV_PREEMPTED:
    r->preempted++;
    break;
  case ENG_EV_TOKEN:
    if (e->generated == 1) r->first = e->time;
    cr_assert_eq(e->generated, r->tokens + 1, "tokens arrive one at a time, in order");
    r->tokens = e->generated;
    r->last = e->time;
    r->finish = e->finish;
    break;
  }
}

static void on_step(void *ud, const eng_step_info *st) {
  log_t *l = ud;
  if (l->n_steps < 512) l->steps[l->n_steps++] = *st;
}

/* Runs the model until idle, as a virtual-time driver does. */
static void run_all(eng_model *m, log_t *l) {
  double t = 0;
  for (int i = 0; i < 100000; i++) {
    double next = eng_model_run(m, t, on_ev, on_step, l);
    if (isinf(next)) return;
    t = next;
  }
  cr_assert_fail("model did not become idle");
}

Test(engine_model, chunked_prefill_then_decode) {
  eng_model_config c = cfg(8, 100, 4096);
  eng_model *m = eng_model_new(&c, NULL, 0);
  log_t l = {0};
  l.r[0].id = 0;
  eng_model_add(m, &l.r[0], 0, 250, 3, ENG_FINISH_LENGTH);
  run_all(m, &l);
  /* 250 prompt tokens in chunks of 100, 100, 50 (+ first token), then 2 decodes. */
  int want[] = {100, 100, 50, 1, 1};
  cr_assert_eq(l.n_steps, 5);
  for (int i = 0; i < 5; i++) cr_assert_eq(l.steps[i].batched_tokens, want[i], "step %d", i);
  cr_assert_eq(l.steps[0].prefill_tokens, 100);
  cr_assert_eq(l.steps[3].decode_tokens, 1);
  cr_assert_eq(l.r[0].tokens, 3);
  cr_assert_eq(l.r[0].finish, ENG_FINISH_LENGTH);
  cr_assert_float_eq(l.r[0].first, 3 * 0.011, 1e-9); /* first token at the end of the third step */
  cr_assert_float_eq(l.r[0].last, 5 * 0.011, 1e-9);
  eng_model_free(m);
}

Test(engine_model, token_budget_shared_by_decode_and_prefill) {
  eng_model_config c = cfg(8, 64, 4096);
  eng_model *m = eng_model_new(&c, NULL, 0);
  log_t l = {0};
  eng_model_add(m, &l.r[0], 0, 10, 20, ENG_FINISH_STOP);
  double t = eng_model_run(m, 0, on_ev, on_step, &l); /* step 1: prefill A */
  t = eng_model_run(m, t, on_ev, on_step, &l);        /* A decodes */
  eng_model_add(m, &l.r[1], t, 200, 5, ENG_FINISH_STOP);
  run_all(m, &l);
  /* With A decoding (1 token), B's prefill gets the remaining 63 tokens per step. */
  bool seen = false;
  for (int i = 0; i < l.n_steps; i++)
    if (l.steps[i].num_seqs == 2 && l.steps[i].prefill_tokens == 63 && l.steps[i].decode_tokens == 1)
      seen = true;
  cr_assert(seen, "a step shares the budget: 1 decode + 63 prefill");
  for (int i = 0; i < l.n_steps; i++) cr_assert_leq(l.steps[i].batched_tokens, 64);
  cr_assert_eq(l.r[0].tokens, 20);
  cr_assert_eq(l.r[1].tokens, 5);
  eng_model_free(m);
}

Test(engine_model, max_num_seqs_caps_running) {
  eng_model_config c = cfg(2, 1000, 100000);
  eng_model *m = eng_model_new(&c, NULL, 0);
  log_t l = {0};
  for (int i = 0; i < 3; i++) eng_model_add(m, &l.r[i], 0, 10, 5, ENG_FINISH_STOP);
  double t = eng_model_run(m, 0, on_ev, on_step, &l);
  cr_assert_eq(eng_model_running(m), 2);
  cr_assert_eq(eng_model_waiting(m), 1);
  (void)t;
  run_all(m, &l);
  for (int i = 0; i < l.n_steps; i++) cr_assert_leq(l.steps[i].num_seqs, 2);
  /* The third starts only when one of the first two has finished. */
  cr_assert_geq(l.r[2].scheduled, fmin(l.r[0].last, l.r[1].last) - 1e-12);
  cr_assert_eq(l.r[2].tokens, 5);
  eng_model_free(m);
}

Test(engine_model, kv_admission_waits_for_blocks) {
  /* 4 blocks of 16 tokens. A holds 3 blocks (prompt 40 + output 5 = 45). B
   * needs 2 blocks for its prompt: it waits until A finishes. */
  eng_model_config c = cfg(8, 1000, 64);
  eng_model *m = eng_model_new(&c, NULL, 0);
  log_t l = {0};
  eng_model_add(m, &l.r[0], 0, 40, 5, ENG_FINISH_STOP);
  eng_model_add(m, &l.r[1], 0, 30, 2, ENG_FINISH_STOP);
  eng_model_run(m, 0, on_ev, on_step, &l);
  cr_assert_eq(eng_model_running(m), 1);
  cr_assert_eq(eng_model_waiting(m), 1);
  cr_assert_float_eq(eng_model_kv_usage(m), 0.75, 1e-9);
  run_all(m, &l);
  cr_assert_geq(l.r[1].scheduled, l.r[0].last - 1e-12);
  cr_assert_eq(l.r[1].tokens, 2);
  cr_assert_float_eq(eng_model_kv_usage(m), 0, 1e-12, "every block is returned");
  eng_model_free(m);
}

Test(engine_model, preemption_by_recompute) {
  /* 4 blocks. A and B each start with 1 block (prompt 16); they grow by a
   * block every 16 tokens. When the cache is full the tail (B) is preempted,
   * recomputed later, and both still produce every token. */
  eng_model_config c = cfg(8, 1000, 64);
  eng_model *m = eng_model_new(&c, NULL, 0);
  log_t l = {0};
  eng_model_add(m, &l.r[0], 0, 16, 30, ENG_FINISH_STOP);
  eng_model_add(m, &l.r[1], 0, 16, 30, ENG_FINISH_STOP);
  run_all(m, &l);
  cr_assert_gt(eng_model_preemptions(m), 0);
  cr_assert_gt(l.r[1].preempted, 0, "the later request is the one preempted");
  cr_assert_eq(l.r[0].preempted, 0);
  cr_assert_eq(l.r[0].tokens, 30);
  cr_assert_eq(l.r[1].tokens, 30);
  /* Recompute: some step re-prefills B's prompt plus its generated tokens. */
  bool recompute = false;
  for (int i = 1; i < l.n_steps; i++)
    if (l.steps[i].prefill_tokens > 16) recompute = true;
  cr_assert(recompute);
  cr_assert_float_eq(eng_model_kv_usage(m), 0, 1e-12);
  eng_model_free(m);
}

Test(engine_model, step_time_grows_with_tokens_and_sequences) {
  eng_model_config c = {.step_base = 0.002,
                        .step_weights = 0.005,
                        .step_per_token = 0.00004,
                        .step_per_seq = 0.00001,
                        .step_per_kv_token = 1e-8};
  struct {
    int tokens, seqs;
    long ctx;
    double want;
  } cases[] = {
      {1, 1, 100, 0.002 + 0.005 + 0.00001 + 1e-6},           /* memory-bound floor */
      {100, 100, 0, 0.002 + 0.005 + 0.001},                  /* still under the floor */
      {1000, 1, 0, 0.002 + 0.04 + 0.00001},                  /* compute-bound */
      {8192, 64, 500000, 0.002 + 0.32768 + 0.00064 + 0.005}, /* big prefill + attention */
  };
  double prev = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    double t = eng_model_step_time(&c, 1.0, cases[i].tokens, cases[i].seqs, cases[i].ctx);
    cr_assert_float_eq(t, cases[i].want, 1e-12, "case %zu: %g", i, t);
    cr_assert_geq(t, prev);
    prev = t;
    cr_assert_float_eq(eng_model_step_time(&c, 3.0, cases[i].tokens, cases[i].seqs, cases[i].ctx), 3 * t,
                       1e-12);
  }
}

Test(engine_model, serial_frontend_and_fixed_latency) {
  eng_model_config c = cfg(8, 1000, 10000);
  c.fe_per_request = 0.010;
  c.fe_fixed = 0.005;
  eng_model *m = eng_model_new(&c, NULL, 0);
  log_t l = {0};
  for (int i = 0; i < 3; i++) eng_model_add(m, &l.r[i], 0, 10, 1, ENG_FINISH_LENGTH);
  double next = eng_model_run(m, 0, on_ev, on_step, &l);
  cr_assert_float_eq(next, 0.015, 1e-12, "nothing reaches the scheduler before the frontend is done");
  cr_assert_eq(eng_model_frontend(m), 3);
  run_all(m, &l);
  for (int i = 0; i < 3; i++)
    cr_assert_float_eq(l.r[i].queued, 0.010 * (i + 1) + 0.005, 1e-12, "request %d", i);
  eng_model_free(m);
}

Test(engine_model, abort_frees_blocks_and_stops_events) {
  eng_model_config c = cfg(8, 1000, 1024);
  eng_model *m = eng_model_new(&c, NULL, 0);
  log_t l = {0};
  eng_model_req *a = eng_model_add(m, &l.r[0], 0, 100, 50, ENG_FINISH_STOP);
  eng_model_add(m, &l.r[1], 0, 100, 5, ENG_FINISH_STOP);
  double t = eng_model_run(m, 0, on_ev, on_step, &l);
  t = eng_model_run(m, t, on_ev, on_step, &l);
  cr_assert_gt(eng_model_kv_usage(m), 0);
  int before = l.r[0].tokens;
  eng_model_abort(m, a, t);
  run_all(m, &l);
  cr_assert_eq(l.r[0].tokens, before, "no events after abort");
  cr_assert_eq(l.r[1].tokens, 5);
  cr_assert_float_eq(eng_model_kv_usage(m), 0, 1e-12);
  eng_model_free(m);
}

Test(engine_model, busy_seconds_and_idle_gaps) {
  eng_model_config c = cfg(8, 1000, 1024);
  eng_model *m = eng_model_new(&c, NULL, 0);
  log_t l = {0};
  eng_model_add(m, &l.r[0], 0, 10, 2, ENG_FINISH_STOP);
  run_all(m, &l); /* two steps of 11 ms */
  cr_assert_float_eq(eng_model_busy_seconds(m, 1.0), 0.022, 1e-12);
  eng_model_add(m, &l.r[1], 1.0, 10, 1, ENG_FINISH_STOP);
  double next = eng_model_run(m, 1.0, on_ev, on_step, &l);
  cr_assert_float_eq(next, 1.011, 1e-12, "an idle model starts a step at the arrival");
  cr_assert_float_eq(eng_model_busy_seconds(m, 1.005), 0.027, 1e-12, "a step in flight counts up to now");
  eng_model_free(m);
}

Test(engine_model, slowdown_multiplies_step_time) {
  eng_model_config c = cfg(8, 1000, 1024);
  eng_model *m = eng_model_new(&c, NULL, 0);
  eng_model_set_slowdown(m, 4);
  log_t l = {0};
  eng_model_add(m, &l.r[0], 0, 10, 1, ENG_FINISH_STOP);
  run_all(m, &l);
  cr_assert_float_eq(l.r[0].first, 0.044, 1e-12);
  eng_model_free(m);
}

Test(engine_model, config_validation) {
  struct {
    eng_model_config c;
    const char *why;
  } cases[] = {
      {{.max_num_seqs = 0,
        .max_num_batched_tokens = 1,
        .kv_cache_tokens = 16,
        .block_size = 16,
        .step_base = 1},
       "max_num_seqs"},
      {{.max_num_seqs = 1,
        .max_num_batched_tokens = 1,
        .kv_cache_tokens = 8,
        .block_size = 16,
        .step_base = 1},
       "KV cache"},
      {{.max_num_seqs = 1, .max_num_batched_tokens = 1, .kv_cache_tokens = 16, .block_size = 16},
       "some time"},
      {{.max_num_seqs = 1,
        .max_num_batched_tokens = 1,
        .kv_cache_tokens = 16,
        .block_size = 16,
        .step_base = -1},
       "negative"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[128] = "";
    cr_assert_null(eng_model_new(&cases[i].c, err, sizeof err), "case %zu", i);
    cr_assert(strstr(err, cases[i].why), "case %zu: %s", i, err);
  }
  cr_assert_str_eq(eng_finish_name(ENG_FINISH_LENGTH), "length");
}
