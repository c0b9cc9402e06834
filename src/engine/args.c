/*
 * args.c — `spillway engine` flag parsing (args.h). Pure apart from warning
 * about unknown flags through the log.
 */
#include "engine/args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* vLLM store_true switches: an unknown flag in this list never takes a value. */
static const char *const vllm_switches[] = {
    "trust-remote-code",
    "enforce-eager",
    "enable-prefix-caching",
    "no-enable-prefix-caching",
    "enable-chunked-prefill",
    "no-enable-chunked-prefill",
    "disable-log-stats",
    "disable-log-requests",
    "enable-log-requests",
    "enable-lora",
    "enable-auto-tool-choice",
    "disable-custom-all-reduce",
    "enable-reasoning",
    "disable-frontend-multiprocessing",
    "enable-request-id-headers",
    "disable-fastapi-docs",
    "enable-sleep-mode",
    "enable-expert-parallel",
    "skip-tokenizer-init",
    "headless",
    "disable-sliding-window",
    "use-v2-block-manager",
    "enable-prompt-tokens-details",
    "enable-server-load-tracking",
    "disable-uvicorn-access-log",
    "enable-force-include-usage",
    "return-tokens-as-token-ids",
    "enable-tokenizer-info-endpoint",
    "async-scheduling",
    "disable-async-output-proc",
    "enable-chunked-prefill",
    "no-enable-log-requests",
    "enable-log-outputs",
    "kv-cache-memory-bytes-auto",
    "disable-cascade-attn",
    "enable-eplb",
    "enable-dbo",
    "calculate-kv-scales",
    "allow-credentials",
    "enable-ssl-refresh",
    "disable-mm-preprocessor-cache",
    "enable-lora-bias",
};

static bool is_switch(const char *name) {
  for (size_t i = 0; i < sizeof vllm_switches / sizeof vllm_switches[0]; i++)
    if (strcmp(vllm_switches[i], name) == 0) return true;
  return false;
}

int eng_parse_size(const char *s, int64_t *out) {
  if (!s || !*s) return -1;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || v < 0) return -1;
  double mul = 1;
  if (*end == 'k')
    mul = 1e3, end++;
  else if (*end == 'K')
    mul = 1024, end++;
  else if (*end == 'm')
    mul = 1e6, end++;
  else if (*end == 'M')
    mul = 1024.0 * 1024, end++;
  else if (*end == 'g')
    mul = 1e9, end++;
  else if (*end == 'G')
    mul = 1024.0 * 1024 * 1024, end++;
  if (*end) return -1;
  v *= mul;
  if (v != floor(v) || v > 9e15) return -1;
  *out = (int64_t)v;
  return 0;
}

static int want_int(const char *flag, const char *v, int min, int *out, sw_err *err) {
  int64_t x;
  if (eng_parse_size(v, &x) || x < min || x > 2147483647)
    return sw_err_set(err, SW_EINVAL, "%s %s: expected an integer >= %d", flag, v ? v : "(missing)", min);
  *out = (int)x;
  return 0;
}

static int want_double(const char *flag, const char *v, double min, double max, double *out, sw_err *err) {
  char *end;
  errno = 0;
  double x = v ? strtod(v, &end) : NAN;
  if (!v || errno || end == v || *end || !(x >= min && x <= max))
    return sw_err_set(err, SW_EINVAL, "%s %s: expected a number in [%g, %g]", flag, v ? v : "(missing)", min,
                      max);
  *out = x;
  return 0;
}

void eng_args_usage(FILE *f) {
  fprintf(f,
          "usage: spillway engine [MODEL] [vLLM flags] [engine flags]\n"
          "\n"
          "A simulated vLLM: the OpenAI API and vLLM's /metrics, with latency from a\n"
          "continuous-batching model calibrated to published vLLM measurements.\n"
          "\n"
          "vLLM flags (as `vllm serve` takes them; `--a_b` = `--a-b`, `--f=v` = `--f v`):\n"
          "  MODEL | --model M              model path or name (picks the profile)\n"
          "  --served-model-name N [N...]   names clients use (default: MODEL)\n"
          "  --host H  --port P             listen address (default 0.0.0.0:8000)\n"
          "  --max-model-len N              context length (2048, 2k, 32K)\n"
          "  --gpu-memory-utilization F     share of GPU memory for weights + KV cache (0.9)\n"
          "  --tensor-parallel-size N       GPUs per replica (-tp)\n"
          "  --quantization Q               gptq, awq, fp8, ... (smaller weights, bigger KV cache)\n"
          "  --max-num-seqs N               running sequences per step (profile: 1024 on H100)\n"
          "  --max-num-batched-tokens N     token budget per step (profile: 8192)\n"
          "  --trust-remote-code, ...       accepted; other vLLM flags are accepted with a warning\n"
          "\n"
          "engine flags:\n"
          "  --profile NAME|FILE            latency profile (built in: qwen3-0.6b-h100, llama-3-8b-h100)\n"
          "  --startup-seconds S            cold start before the port opens (profile's)\n"
          "  --time-scale X                 divide every latency and the startup by X (1)\n"
          "  --seed N                       output lengths and text (0)\n"
          "  --kv-cache-tokens N            KV cache size in tokens instead of the computed one\n"
          "  --max-waiting N                answer 429 when N requests wait (default: no limit, as vLLM)\n"
          "  --enable-faults                serve POST /admin/fault (crash, hang, slowdown, error_rate)\n"
          "  --emit-token-times             add \"spillway_token_time\" (model seconds) to streamed chunks\n"
          "  --shutdown-grace S             model seconds to finish in-flight requests on SIGTERM (30)\n"
          "  --max-body-bytes N             larger request bodies get 413 (16M)\n"
          "  --log-level debug|info|warn|error\n");
}

int eng_args_parse(int argc, char **argv, eng_options *o, sw_err *err) {
  memset(o, 0, sizeof *o);
  o->host = "0.0.0.0";
  o->port = 8000;
  o->startup_seconds = -1;
  o->time_scale = 1;
  o->max_waiting = -1;
  o->shutdown_grace = 30;
  o->max_body_bytes = 16 * 1024 * 1024;
  o->vllm.tensor_parallel_size = 1;
  const char *positional = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || strcmp(a, "-") == 0) {
      /* `vllm serve MODEL`: tolerate the subcommand word if it is left in. */
      if (!positional && strcmp(a, "serve") == 0 && i + 1 < argc && argv[i + 1][0] != '-') continue;
      if (positional)
        return sw_err_set(err, SW_EINVAL, "unexpected argument \"%s\" (the model is already \"%s\")", a,
                          positional);
      positional = a;
      continue;
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      o->help = true;
      continue;
    }
    /* Normalise: strip dashes, split "=value", underscores to dashes. */
    char name[128];
    const char *p = a + (a[1] == '-' ? 2 : 1);
    const char *eq = strchr(p, '=');
    size_t nl = eq ? (size_t)(eq - p) : strlen(p);
    if (nl >= sizeof name) nl = sizeof name - 1;
    memcpy(name, p, nl);
    name[nl] = 0;
    for (char *c = name; *c; c++)
      if (*c == '_') *c = '-';
    if (strcmp(name, "tp") == 0) strcpy(name, "tensor-parallel-size");
    if (strcmp(name, "q") == 0) strcpy(name, "quantization");
    const char *val = eq ? eq + 1 : NULL;
    bool has_next = i + 1 < argc && (argv[i + 1][0] != '-' || argv[i + 1][1] == 0 ||
                                     (argv[i + 1][1] >= '0' && argv[i + 1][1] <= '9'));
#define VALUE()                                                                                              \
  do {                                                                                                       \
    if (!val) {                                                                                              \
      if (!has_next) return sw_err_set(err, SW_EINVAL, "--%s: expected a value", name);                      \
      val = argv[++i];                                                                                       \
    }                                                                                                        \
  } while (0)
    int rc = 0;
    if (strcmp(name, "model") == 0) {
      VALUE();
      o->model = val;
    } else if (strcmp(name, "served-model-name") == 0) {
      /* nargs='+': every following word that is not a flag. */
      o->n_served_names = 0; /* argparse: a repeated flag replaces the earlier one */
      for (const char *w = val; w || (i + 1 < argc && argv[i + 1][0] != '-'); w = NULL) {
        if (!w) w = argv[++i];
        if (o->n_served_names == ENG_MAX_SERVED_NAMES)
          return sw_err_set(err, SW_EINVAL, "--served-model-name %s: at most %d names", w, ENG_MAX_SERVED_NAMES);
        o->served_names[o->n_served_names++] = w;
      }
      if (o->n_served_names == 0) return sw_err_set(err, SW_EINVAL, "--served-model-name: expected a name");
    } else if (strcmp(name, "host") == 0) {
      VALUE();
      o->host = val;
    } else if (strcmp(name, "port") == 0) {
      VALUE();
      rc = want_int("--port", val, 0, &o->port, err);
      if (!rc && o->port > 65535) rc = sw_err_set(err, SW_EINVAL, "--port %s: expected 0..65535", val);
    } else if (strcmp(name, "max-model-len") == 0) {
      VALUE();
      rc = want_int("--max-model-len", val, 1, &o->vllm.max_model_len, err);
    } else if (strcmp(name, "gpu-memory-utilization") == 0) {
      VALUE();
      rc = want_double("--gpu-memory-utilization", val, 0.01, 1.0, &o->vllm.gpu_memory_utilization, err);
    } else if (strcmp(name, "tensor-parallel-size") == 0) {
      VALUE();
      rc = want_int("--tensor-parallel-size", val, 1, &o->vllm.tensor_parallel_size, err);
    } else if (strcmp(name, "quantization") == 0) {
      VALUE();
      o->vllm.quantization = val;
    } else if (strcmp(name, "max-num-seqs") == 0) {
      VALUE();
      rc = want_int("--max-num-seqs", val, 1, &o->vllm.max_num_seqs, err);
    } else if (strcmp(name, "max-num-batched-tokens") == 0) {
      VALUE();
      rc = want_int("--max-num-batched-tokens", val, 1, &o->vllm.max_num_batched_tokens, err);
    } else if (strcmp(name, "trust-remote-code") == 0) {
      /* accepted: nothing to trust here */
    } else if (strcmp(name, "profile") == 0) {
      VALUE();
      o->profile = val;
    } else if (strcmp(name, "startup-seconds") == 0) {
      VALUE();
      rc = want_double("--startup-seconds", val, 0, 86400, &o->startup_seconds, err);
    } else if (strcmp(name, "time-scale") == 0) {
      VALUE();
      rc = want_double("--time-scale", val, 1e-3, 1e6, &o->time_scale, err);
    } else if (strcmp(name, "seed") == 0) {
      VALUE();
      int64_t s;
      if (eng_parse_size(val, &s))
        rc = sw_err_set(err, SW_EINVAL, "--seed %s: expected a non-negative integer", val);
      else
        o->seed = (uint64_t)s;
    } else if (strcmp(name, "kv-cache-tokens") == 0) {
      VALUE();
      if (eng_parse_size(val, &o->vllm.kv_cache_tokens) || o->vllm.kv_cache_tokens < 1)
        rc = sw_err_set(err, SW_EINVAL, "--kv-cache-tokens %s: expected a positive integer", val);
    } else if (strcmp(name, "max-waiting") == 0) {
      VALUE();
      rc = want_int("--max-waiting", val, 0, &o->max_waiting, err);
    } else if (strcmp(name, "enable-faults") == 0) {
      o->enable_faults = true;
    } else if (strcmp(name, "emit-token-times") == 0) {
      o->emit_token_times = true;
    } else if (strcmp(name, "shutdown-grace") == 0) {
      VALUE();
      rc = want_double("--shutdown-grace", val, 0, 86400, &o->shutdown_grace, err);
    } else if (strcmp(name, "max-body-bytes") == 0) {
      VALUE();
      if (eng_parse_size(val, &o->max_body_bytes) || o->max_body_bytes < 1)
        rc = sw_err_set(err, SW_EINVAL, "--max-body-bytes %s: expected a positive size", val);
    } else if (strcmp(name, "log-level") == 0) {
      VALUE();
      if (sw_log_parse_level(val) < 0)
        rc = sw_err_set(err, SW_EINVAL, "--log-level %s: expected debug, info, warn or error", val);
      o->log_level = val;
    } else {
      /* One of vLLM's hundreds of other flags: accept, warn, consume its value. */
      o->n_unknown++;
      if (!val && !is_switch(name) && has_next) val = argv[++i];
      if (val)
        SW_WARN("engine", "ignoring vLLM flag --%s %s (not simulated)", name, val);
      else
        SW_WARN("engine", "ignoring vLLM flag --%s (not simulated)", name);
    }
#undef VALUE
    if (rc) return rc;
  }
  if (positional && o->model && strcmp(positional, o->model) != 0)
    return sw_err_set(err, SW_EINVAL, "model given twice: positional \"%s\" and --model \"%s\"", positional,
                      o->model);
  if (!o->model) o->model = positional;
  return 0;
}
