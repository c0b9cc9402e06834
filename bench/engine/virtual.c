/*
 * virtual.c — the engine benchmark's virtual-time predictor (built by
 * bench.py with cc against src/engine/model.c and profile.c; not part of
 * spillway). Runs the same workload as streamload.c through the latency
 * model in virtual time, the way `spillway sim` will, and prints the same
 * summary: what the model itself predicts, with no network, client or timer
 * effects. bench.py prints it beside the real engine and the published
 * figure.
 *
 *   virtual PROFILE closed|poisson|burst [--concurrency C] [--rate R]
 *           [--requests N] [--prompt P] [--output M] [--seed S]
 *           [--gpu-memory-utilization F] [--max-model-len N]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/model.h"
#include "engine/profile.h"

typedef struct vreq {
  double arrival, first, last;
  int n;
} vreq;

static uint64_t rng = 42;
static double urand(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static int finished;
static void on_ev(void *ud, const eng_event *e) {
  vreq *r = e->req_ud;
  (void)ud;
  if (e->kind != ENG_EV_TOKEN) return;
  if (e->generated == 1) r->first = e->time;
  r->last = e->time;
  r->n = e->generated;
  if (e->finish != ENG_FINISH_NONE) finished++;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: virtual PROFILE closed|poisson|burst [options]\n");
    return 2;
  }
  const char *mode = argv[2];
  int n = 100, conc = 1, prompt = 128, output = 128;
  double rate = 1;
  eng_vllm_flags f = {0};
  for (int i = 3; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--concurrency"))
      conc = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--rate"))
      rate = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--requests"))
      n = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--prompt"))
      prompt = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--output"))
      output = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--seed"))
      rng = (uint64_t)atoll(argv[i + 1]) * 2654435761u + 1;
    else if (!strcmp(argv[i], "--gpu-memory-utilization"))
      f.gpu_memory_utilization = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--max-model-len"))
      f.max_model_len = atoi(argv[i + 1]);
  }
  eng_profile p;
  sw_err err;
  eng_resolved res;
  if (eng_profile_load(argv[1], &p, &err) || eng_profile_resolve(&p, &f, &res, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  char why[200];
  eng_model *m = eng_model_new(&res.model, why, sizeof why);
  vreq *r = calloc((size_t)n, sizeof *r);
  int added = 0;
  double t = 0, next_arrival = 0;
  if (!strcmp(mode, "burst"))
    while (added < n) eng_model_add(m, &r[added], 0, prompt, output, ENG_FINISH_LENGTH), added++;
  while (finished < n) {
    if (!strcmp(mode, "closed"))
      while (added < n && added - finished < conc) {
        r[added].arrival = t;
        eng_model_add(m, &r[added], t, prompt, output, ENG_FINISH_LENGTH);
        added++;
      }
    if (!strcmp(mode, "poisson") && added < n && next_arrival <= t) {
      r[added].arrival = t;
      eng_model_add(m, &r[added], t, prompt, output, ENG_FINISH_LENGTH);
      added++;
      next_arrival = t - log(urand()) / rate;
    }
    double next = eng_model_run(m, t, on_ev, NULL, NULL);
    if (!strcmp(mode, "poisson") && added < n && next_arrival < next) next = next_arrival;
    if (!strcmp(mode, "closed") && added < n && added - finished < conc) next = t;
    if (isinf(next)) break;
    t = next;
  }
  double ttft = 0, tpot = 0, end = 0;
  for (int i = 0; i < n; i++) {
    ttft += r[i].first - r[i].arrival;
    tpot += r[i].n > 1 ? (r[i].last - r[i].first) / (r[i].n - 1) : 0;
    if (r[i].last > end) end = r[i].last;
  }
  printf("{\"requests\": %d, \"ttft_mean_ms\": %.3f, \"tpot_mean_ms\": %.4f, \"throughput_rps\": %.3f, "
         "\"duration_s\": %.3f}\n",
         n, ttft / n * 1000, tpot / n * 1000, n / end, end);
  eng_model_free(m);
  eng_profile_free(&p);
  free(r);
  return 0;
}
