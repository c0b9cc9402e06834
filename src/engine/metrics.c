/*
 * metrics.c — vLLM's Prometheus families and DCGM's GPU gauges for the
 * engine (metrics.h). Text exposition format 0.0.4, written as Python's
 * prometheus_client writes it (counters keep `_total` in HELP/TYPE and have a
 * `_created` sample; histograms `_bucket{le}`, `_count`, `_sum`, `_created`;
 * labels in alphabetical order with `le` last, as real vLLM dumps show).
 */
#include "engine/metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Buckets from vllm/v1/metrics/loggers.py (0.10 line). */
static const double ttft_bounds[] = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,  0.25,  0.5,   0.75,
                                     1.0,   2.5,   5.0,  7.5,  10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};
static const double itl_bounds[] = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4, 0.5,
                                    0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0};
static const double req_bounds[] = {0.3,  0.5,  0.8,  1.0,  1.5,   2.0,   2.5,   5.0,   10.0,   15.0,  20.0,
                                    30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
static const double n_bounds[] = {1, 2, 5, 10, 20};

#define NB(a) ((int)(sizeof a / sizeof a[0]))

static void hist_init(eng_hist *h, const double *bounds, int n) {
  h->bounds = bounds;
  h->n = n;
  h->counts = calloc((size_t)n + 1, sizeof *h->counts);
  h->sum = 0;
  h->count = 0;
}

void eng_hist_observe(eng_hist *h, double v) {
  int i = 0;
  while (i < h->n && v > h->bounds[i]) i++;
  h->counts[i]++;
  h->sum += v;
  h->count++;
}

void eng_metrics_init(eng_metrics *m, const char *model_name, int max_model_len, int max_num_batched_tokens,
                      double created) {
  memset(m, 0, sizeof *m);
  snprintf(m->model_name, sizeof m->model_name, "%s", model_name);
  m->created = created;
  hist_init(&m->ttft, ttft_bounds, NB(ttft_bounds));
  hist_init(&m->itl, itl_bounds, NB(itl_bounds));
  hist_init(&m->tpot, itl_bounds, NB(itl_bounds));
  hist_init(&m->e2e, req_bounds, NB(req_bounds));
  hist_init(&m->queue, req_bounds, NB(req_bounds));
  hist_init(&m->inference, req_bounds, NB(req_bounds));
  hist_init(&m->prefill, req_bounds, NB(req_bounds));
  hist_init(&m->decode, req_bounds, NB(req_bounds));
  /* build_1_2_5_buckets(max_model_len) */
  m->token_bounds = calloc(64, sizeof *m->token_bounds);
  int nt = 0;
  for (double e = 1; nt < 60; e *= 10) {
    static const double mant[] = {1, 2, 5};
    bool stop = false;
    for (int k = 0; k < 3; k++) {
      double v = mant[k] * e;
      if (v > max_model_len) {
        stop = true;
        break;
      }
      m->token_bounds[nt++] = v;
    }
    if (stop) break;
  }
  hist_init(&m->prompt_tokens_h, m->token_bounds, nt);
  hist_init(&m->generation_tokens_h, m->token_bounds, nt);
  hist_init(&m->max_tokens_h, m->token_bounds, nt);
  hist_init(&m->max_gen_tokens_h, m->token_bounds, nt);
  hist_init(&m->n_h, n_bounds, NB(n_bounds));
  /* Cudagraph-style sizes up to the step budget, then the budget itself. */
  static const double iter[] = {1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384};
  m->iter_bounds = calloc(NB(iter) + 1, sizeof *m->iter_bounds);
  int ni = 0;
  for (int i = 0; i < NB(iter) && iter[i] < max_num_batched_tokens; i++) m->iter_bounds[ni++] = iter[i];
  m->iter_bounds[ni++] = max_num_batched_tokens;
  hist_init(&m->iteration_tokens, m->iter_bounds, ni);
}

void eng_metrics_free(eng_metrics *m) {
  eng_hist *all[] = {&m->ttft,
                     &m->itl,
                     &m->tpot,
                     &m->e2e,
                     &m->queue,
                     &m->inference,
                     &m->prefill,
                     &m->decode,
                     &m->iteration_tokens,
                     &m->prompt_tokens_h,
                     &m->generation_tokens_h,
                     &m->max_tokens_h,
                     &m->max_gen_tokens_h,
                     &m->n_h};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]->counts);
  free(m->token_bounds);
  free(m->iter_bounds);
}

/* ---- number formatting ---------------------------------------------------- */

void eng_prom_float(double d, char *buf, size_t n) {
  if (isinf(d)) {
    snprintf(buf, n, d > 0 ? "+Inf" : "-Inf");
    return;
  }
  if (isnan(d)) {
    snprintf(buf, n, "NaN");
    return;
  }
  if (d == 0) {
    snprintf(buf, n, signbit(d) ? "-0.0" : "0.0");
    return;
  }
  /* Shortest round-trip digits, as Python's repr. */
  char e[40];
  int prec = 1;
  for (; prec <= 17; prec++) {
    snprintf(e, sizeof e, "%.*e", prec - 1, d);
    if (strtod(e, NULL) == d) break;
  }
  /* e = "[-]D.DDDDe[+-]XX" */
  const char *p = e;
  bool neg = *p == '-';
  if (neg) p++;
  char digits[24];
  int nd = 0;
  for (; *p && *p != 'e'; p++)
    if (*p != '.') digits[nd++] = *p;
  digits[nd] = 0;
  int exp = atoi(p + 1);
  while (nd > 1 && digits[nd - 1] == '0') digits[--nd] = 0;
  char out[64];
  size_t o = 0;
  if (neg) out[o++] = '-';
  if (exp >= 16 || exp < -4) { /* Python repr: scientific */
    out[o++] = digits[0];
    if (nd > 1) {
      out[o++] = '.';
      for (int i = 1; i < nd; i++) out[o++] = digits[i];
    }
    o += (size_t)snprintf(out + o, sizeof out - o, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
    out[o] = 0;
    snprintf(buf, n, "%s", out);
    return;
  }
  if (exp < 0) {
    out[o++] = '0';
    out[o++] = '.';
    for (int i = -1; i > exp; i--) out[o++] = '0';
    for (int i = 0; i < nd; i++) out[o++] = digits[i];
  } else {
    for (int i = 0; i <= exp; i++) out[o++] = i < nd ? digits[i] : '0';
    out[o++] = '.';
    if (nd > exp + 1)
      for (int i = exp + 1; i < nd; i++) out[o++] = digits[i];
    else
      out[o++] = '0';
  }
  out[o] = 0;
  /* prometheus_client's floatToGoString: Go switches to exponents sooner. */
  char *dot = strchr(out, '.');
  int intdigits = dot ? (int)(dot - out) - (neg ? 1 : 0) : 0;
  if (!neg && dot && intdigits > 6) {
    char mant[64];
    size_t mo = 0;
    mant[mo++] = out[0];
    mant[mo++] = '.';
    for (char *q = out + 1; *q; q++)
      if (*q != '.') mant[mo++] = *q;
    mant[mo] = 0;
    while (mo > 0 && (mant[mo - 1] == '0' || mant[mo - 1] == '.')) mant[--mo] = 0;
    snprintf(buf, n, "%se+0%d", mant, intdigits - 1);
    return;
  }
  snprintf(buf, n, "%s", out);
}

/* ---- rendering ------------------------------------------------------------- */

static void esc(sw_buf *b, const char *s) {
  for (; *s; s++) {
    if (*s == '\\')
      sw_buf_puts(b, "\\\\");
    else if (*s == '"')
      sw_buf_puts(b, "\\\"");
    else if (*s == '\n')
      sw_buf_puts(b, "\\n");
    else
      sw_buf_append(b, s, 1);
  }
}

static void head(sw_buf *b, const char *name, const char *type, const char *help) {
  sw_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void labels(sw_buf *b, const eng_metrics *m, const char *extra) {
  sw_buf_puts(b, "{engine=\"0\",");
  if (extra) sw_buf_puts(b, extra);
  sw_buf_puts(b, "model_name=\"");
  esc(b, m->model_name);
  sw_buf_puts(b, "\"");
}

static void sample(sw_buf *b, const eng_metrics *m, const char *name, const char *extra, double v) {
  char f[48];
  eng_prom_float(v, f, sizeof f);
  sw_buf_puts(b, name);
  labels(b, m, extra);
  sw_buf_printf(b, "} %s\n", f);
}

static void gauge(sw_buf *b, const eng_metrics *m, const char *name, const char *help, double v) {
  head(b, name, "gauge", help);
  sample(b, m, name, NULL, v);
}

/* base is the name without _total. */
static void counter(sw_buf *b, const eng_metrics *m, const char *base, const char *help, double v) {
  char total[160], created[160];
  snprintf(total, sizeof total, "%s_total", base);
  snprintf(created, sizeof created, "%s_created", base);
  head(b, total, "counter", help);
  sample(b, m, total, NULL, v);
  sample(b, m, created, NULL, m->created);
}

static void histogram(sw_buf *b, const eng_metrics *m, const char *name, const char *help,
                      const eng_hist *h) {
  head(b, name, "histogram", help);
  uint64_t cum = 0;
  char f[48], bucket[160];
  snprintf(bucket, sizeof bucket, "%s_bucket", name);
  for (int i = 0; i <= h->n; i++) {
    cum += h->counts[i];
    eng_prom_float(i < h->n ? h->bounds[i] : INFINITY, f, sizeof f);
    sw_buf_puts(b, bucket);
    labels(b, m, NULL);
    sw_buf_printf(b, ",le=\"%s\"} ", f);
    eng_prom_float((double)cum, f, sizeof f);
    sw_buf_printf(b, "%s\n", f);
  }
  char nm[160];
  snprintf(nm, sizeof nm, "%s_count", name);
  sample(b, m, nm, NULL, (double)h->count);
  snprintf(nm, sizeof nm, "%s_sum", name);
  sample(b, m, nm, NULL, h->sum);
  snprintf(nm, sizeof nm, "%s_created", name);
  sample(b, m, nm, NULL, m->created);
}

static void dcgm(sw_buf *b, const eng_gauges *g, const char *name, const char *help, double v) {
  char f[48];
  eng_prom_float(v, f, sizeof f);
  sw_buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n%s{gpu=\"0\",UUID=\"", name, help, name, name);
  esc(b, g->gpu_uuid ? g->gpu_uuid : "");
  sw_buf_puts(b, "\",device=\"nvidia0\",modelName=\"");
  esc(b, g->gpu_name ? g->gpu_name : "");
  sw_buf_puts(b, "\",Hostname=\"");
  esc(b, g->hostname ? g->hostname : "");
  sw_buf_printf(b, "\"} %s\n", f);
}

void eng_metrics_render(const eng_metrics *m, const eng_gauges *g, sw_buf *b) {
  gauge(b, m, "vllm:num_requests_running", "Number of requests in model execution batches.", g->running);
  gauge(b, m, "vllm:num_requests_waiting", "Number of requests waiting to be processed.", g->waiting);
  gauge(b, m, "vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", g->kv_usage);
  gauge(b, m, "vllm:gpu_cache_usage_perc",
        "GPU KV-cache usage. 1 means 100 percent usage.DEPRECATED: Use vllm:kv_cache_usage_perc instead.",
        g->kv_usage);
  counter(b, m, "vllm:num_preemptions", "Cumulative number of preemption from the engine.", m->preemptions);
  counter(b, m, "vllm:prompt_tokens", "Number of prefill tokens processed.", m->prompt_tokens);
  counter(b, m, "vllm:generation_tokens", "Number of generation tokens processed.", m->generation_tokens);
  counter(b, m, "vllm:prefix_cache_queries", "Prefix cache queries, in terms of number of queried tokens.",
          m->prefix_queries);
  counter(b, m, "vllm:prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens.", 0);
  head(b, "vllm:request_success_total", "counter", "Count of successfully processed requests.");
  static const eng_finish reasons[] = {ENG_FINISH_ABORT, ENG_FINISH_LENGTH, ENG_FINISH_STOP};
  for (size_t i = 0; i < 3; i++) {
    char extra[64];
    snprintf(extra, sizeof extra, "finished_reason=\"%s\",", eng_finish_name(reasons[i]));
    sample(b, m, "vllm:request_success_total", extra, m->success[reasons[i]]);
  }
  for (size_t i = 0; i < 3; i++) {
    char extra[64];
    snprintf(extra, sizeof extra, "finished_reason=\"%s\",", eng_finish_name(reasons[i]));
    sample(b, m, "vllm:request_success_created", extra, m->created);
  }
  histogram(b, m, "vllm:request_prompt_tokens", "Number of prefill tokens processed.", &m->prompt_tokens_h);
  histogram(b, m, "vllm:request_generation_tokens", "Number of generation tokens processed.",
            &m->generation_tokens_h);
  histogram(b, m, "vllm:iteration_tokens_total", "Histogram of number of tokens per engine_step.",
            &m->iteration_tokens);
  histogram(b, m, "vllm:request_max_num_generation_tokens",
            "Histogram of maximum number of requested generation tokens.", &m->max_gen_tokens_h);
  histogram(b, m, "vllm:request_params_n", "Histogram of the n request parameter.", &m->n_h);
  histogram(b, m, "vllm:request_params_max_tokens", "Histogram of the max_tokens request parameter.",
            &m->max_tokens_h);
  histogram(b, m, "vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
            &m->ttft);
  histogram(b, m, "vllm:time_per_output_token_seconds",
            "Histogram of time per output token in seconds.DEPRECATED: Use vllm:inter_token_latency_seconds "
            "instead.",
            &m->tpot);
  histogram(b, m, "vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.",
            &m->itl);
  histogram(b, m, "vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.",
            &m->e2e);
  histogram(b, m, "vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.",
            &m->queue);
  histogram(b, m, "vllm:request_inference_time_seconds",
            "Histogram of time spent in RUNNING phase for request.", &m->inference);
  histogram(b, m, "vllm:request_prefill_time_seconds",
            "Histogram of time spent in PREFILL phase for request.", &m->prefill);
  histogram(b, m, "vllm:request_decode_time_seconds", "Histogram of time spent in DECODE phase for request.",
            &m->decode);
  /* Info metric, rendered as prometheus_client renders Info in 0.0.4 text. */
  char f[48];
  eng_prom_float(g->gpu_memory_utilization, f, sizeof f);
  head(b, "vllm:cache_config_info", "gauge", "Information of the LLMEngine CacheConfig");
  sw_buf_printf(
      b,
      "vllm:cache_config_info{block_size=\"%d\",cache_dtype=\"auto\",calculate_kv_scales=\"False\","
      "enable_prefix_caching=\"True\",engine=\"0\",gpu_memory_utilization=\"%s\",num_cpu_blocks=\"None\","
      "num_gpu_blocks=\"%lld\",prefix_caching_hash_algo=\"builtin\",swap_space=\"4\"} 1.0\n",
      g->block_size, f, (long long)g->num_gpu_blocks);
  /* DCGM exporter gauges: the simulated GPU's busy share of the last interval. */
  dcgm(b, g, "DCGM_FI_DEV_GPU_UTIL", "GPU utilization (in %).", round(g->gpu_util_pct));
  dcgm(b, g, "DCGM_CUSTOM_PROCESS_SM_UTIL", "SM utilization of the GPU processes (in %).",
       round(g->gpu_util_pct));
}
