/*
 * metrics.h — the engine's /metrics: vLLM V1's Prometheus families (names,
 * HELP text, types, labels, histogram buckets as vllm/v1/metrics/loggers.py
 * defines them) plus the DCGM exporter's GPU utilisation gauges.
 *
 * Owns counters and histograms; rendering is a pure function of them and the
 * gauges handed in. Values are model time (unscaled by --time-scale), so they
 * read as a real vLLM's would. Numbers are printed as Python's
 * prometheus_client prints them (repr of a float, Go-style exponents).
 */
#ifndef ENGINE_METRICS_H
#define ENGINE_METRICS_H

#include <stdint.h>

#include "base/sw.h"
#include "engine/model.h"

typedef struct eng_hist {
  const double *bounds;
  int n;            /* number of finite bounds */
  uint64_t *counts; /* n + 1 (last is +Inf), not cumulative */
  double sum;
  uint64_t count;
} eng_hist;

typedef struct eng_metrics {
  char model_name[256];
  double created; /* epoch seconds, for the _created samples */
  double prompt_tokens, generation_tokens, preemptions;
  double success[4]; /* indexed by eng_finish: stop, length, abort */
  double prefix_queries;
  eng_hist ttft, itl, tpot, e2e, queue, inference, prefill, decode;
  eng_hist iteration_tokens, prompt_tokens_h, generation_tokens_h, max_tokens_h, max_gen_tokens_h, n_h;
  double *token_bounds; /* 1-2-5 buckets up to max_model_len (owned) */
  double *iter_bounds;  /* owned */
} eng_metrics;

void eng_metrics_init(eng_metrics *m, const char *model_name, int max_model_len, int max_num_batched_tokens,
                      double created);
void eng_metrics_free(eng_metrics *m);
void eng_hist_observe(eng_hist *h, double v);

/* The instantaneous state rendered beside the counters. */
typedef struct eng_gauges {
  int running, waiting;
  double kv_usage;     /* 0..1 */
  double gpu_util_pct; /* 0..100, busy share of the last interval */
  int block_size;
  int64_t num_gpu_blocks;
  double gpu_memory_utilization;
  const char *gpu_name, *gpu_uuid, *hostname;
} eng_gauges;

void eng_metrics_render(const eng_metrics *m, const eng_gauges *g, sw_buf *out);

/* A float as prometheus_client prints it: Python repr, Go-style exponent
 * past 6 integer digits ("1.234567e+06"), "+Inf". buf holds 40 bytes. */
void eng_prom_float(double v, char *buf, size_t n);

#endif
