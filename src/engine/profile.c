/*
 * profile.c — loading, validating and resolving engine profiles (profile.h).
 * Owns the parsed profile; reads a file only when the user names one.
 */
#include "engine/profile.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GIB (1024.0 * 1024.0 * 1024.0)

static int get_num(json_t *obj, const char *path, const char *key, double *out, bool required,
                   const char *origin, sw_err *err) {
  json_t *v = json_object_get(obj, key);
  if (!v) {
    if (!required) return 0;
    return sw_err_set(err, SW_EINVAL, "%s: %s%s: missing (expected a number)", origin, path, key);
  }
  if (!json_is_number(v)) return sw_err_set(err, SW_EINVAL, "%s: %s%s: expected a number", origin, path, key);
  *out = json_number_value(v);
  return 0;
}

static int get_int(json_t *obj, const char *path, const char *key, int *out, bool required,
                   const char *origin, sw_err *err) {
  double d = *out;
  int rc = get_num(obj, path, key, &d, required, origin, err);
  if (rc) return rc;
  if (d != floor(d) || d < 0 || d > 1e9)
    return sw_err_set(err, SW_EINVAL, "%s: %s%s: expected a non-negative integer", origin, path, key);
  *out = (int)d;
  return 0;
}

static int get_str(json_t *obj, const char *key, char *out, size_t n, bool required, const char *origin,
                   sw_err *err) {
  json_t *v = json_object_get(obj, key);
  if (!v)
    return required ? sw_err_set(err, SW_EINVAL, "%s: %s: missing (expected a string)", origin, key) : 0;
  if (!json_is_string(v)) return sw_err_set(err, SW_EINVAL, "%s: %s: expected a string", origin, key);
  snprintf(out, n, "%s", json_string_value(v));
  return 0;
}

static json_t *get_obj(json_t *obj, const char *key, const char *origin, sw_err *err) {
  json_t *v = json_object_get(obj, key);
  if (!json_is_object(v)) {
    sw_err_set(err, SW_EINVAL, "%s: %s: missing or not an object", origin, key);
    return NULL;
  }
  return v;
}

int eng_profile_parse(const char *text, size_t len, const char *origin, eng_profile *out, sw_err *err) {
  memset(out, 0, sizeof *out);
  json_error_t je;
  json_t *root = json_loadb(text, len, 0, &je);
  if (!root) return sw_err_set(err, SW_EINVAL, "%s:%d:%d: %s", origin, je.line, je.column, je.text);
  out->json = root;
  if (!json_is_object(root)) {
    eng_profile_free(out);
    return sw_err_set(err, SW_EINVAL, "%s: a profile is a JSON object", origin);
  }
  json_t *gpu, *defs, *step, *fe, *outd;
  int rc = 0;
  out->gpu_count = 1;
  if ((rc = get_str(root, "name", out->name, sizeof out->name, true, origin, err)) ||
      (rc = get_str(root, "model", out->model, sizeof out->model, true, origin, err)))
    goto fail;
  if (!(gpu = get_obj(root, "gpu", origin, err)) || !(defs = get_obj(root, "defaults", origin, err)) ||
      !(step = get_obj(root, "step_ms", origin, err)) || !(fe = get_obj(root, "frontend_ms", origin, err)) ||
      !(outd = get_obj(root, "output_tokens", origin, err))) {
    rc = SW_EINVAL;
    goto fail;
  }
  out->gpu_memory_utilization = 0.9;
  out->block_size = 16;
  if ((rc = get_str(gpu, "name", out->gpu_name, sizeof out->gpu_name, true, origin, err)) ||
      (rc = get_num(gpu, "gpu.", "memory_gib", &out->gpu_memory_gib, true, origin, err)) ||
      (rc = get_int(gpu, "gpu.", "count", &out->gpu_count, false, origin, err)) ||
      (rc = get_num(root, "", "weights_gib", &out->weights_gib, true, origin, err)) ||
      (rc = get_num(root, "", "activation_gib", &out->activation_gib, true, origin, err)) ||
      (rc = get_num(root, "", "kv_bytes_per_token", &out->kv_bytes_per_token, true, origin, err)) ||
      (rc = get_int(defs, "defaults.", "max_model_len", &out->max_model_len, true, origin, err)) ||
      (rc = get_int(defs, "defaults.", "max_num_seqs", &out->max_num_seqs, true, origin, err)) ||
      (rc = get_int(defs, "defaults.", "max_num_batched_tokens", &out->max_num_batched_tokens, true, origin,
                    err)) ||
      (rc = get_int(defs, "defaults.", "block_size", &out->block_size, false, origin, err)) ||
      (rc = get_num(defs, "defaults.", "gpu_memory_utilization", &out->gpu_memory_utilization, false, origin,
                    err)) ||
      (rc = get_num(step, "step_ms.", "base", &out->step_base_ms, true, origin, err)) ||
      (rc = get_num(step, "step_ms.", "weights", &out->step_weights_ms, true, origin, err)) ||
      (rc = get_num(step, "step_ms.", "per_token", &out->step_per_token_ms, true, origin, err)) ||
      (rc = get_num(step, "step_ms.", "per_seq", &out->step_per_seq_ms, true, origin, err)) ||
      (rc = get_num(step, "step_ms.", "per_1k_context_tokens", &out->step_per_1k_context_ms, true, origin,
                    err)) ||
      (rc = get_num(fe, "frontend_ms.", "per_request", &out->fe_per_request_ms, true, origin, err)) ||
      (rc = get_num(fe, "frontend_ms.", "per_prompt_token", &out->fe_per_prompt_token_ms, false, origin,
                    err)) ||
      (rc = get_num(fe, "frontend_ms.", "fixed", &out->fe_fixed_ms, true, origin, err)) ||
      (rc = get_num(outd, "output_tokens.", "median", &out->out_median, true, origin, err)) ||
      (rc = get_num(outd, "output_tokens.", "sigma", &out->out_sigma, true, origin, err)) ||
      (rc = get_int(outd, "output_tokens.", "max", &out->out_max, true, origin, err)) ||
      (rc = get_num(root, "", "startup_seconds", &out->startup_seconds, true, origin, err)))
    goto fail;
  const char *bad = NULL;
  if (out->gpu_memory_gib <= 0)
    bad = "gpu.memory_gib must be positive";
  else if (out->gpu_count < 1)
    bad = "gpu.count must be at least 1";
  else if (out->kv_bytes_per_token <= 0)
    bad = "kv_bytes_per_token must be positive";
  else if (out->weights_gib < 0 || out->activation_gib < 0)
    bad = "weights_gib and activation_gib must not be negative";
  else if (out->max_model_len < 1 || out->max_num_seqs < 1 || out->max_num_batched_tokens < 1 ||
           out->block_size < 1)
    bad = "defaults: max_model_len, max_num_seqs, max_num_batched_tokens and block_size must be at least 1";
  else if (out->gpu_memory_utilization <= 0 || out->gpu_memory_utilization > 1)
    bad = "defaults.gpu_memory_utilization must be in (0, 1]";
  else if (out->step_base_ms < 0 || out->step_weights_ms < 0 || out->step_per_token_ms < 0 ||
           out->step_per_seq_ms < 0 || out->step_per_1k_context_ms < 0 || out->fe_per_request_ms < 0 ||
           out->fe_fixed_ms < 0 || out->fe_per_prompt_token_ms < 0)
    bad = "step_ms and frontend_ms terms must not be negative";
  else if (out->out_median < 1 || out->out_sigma < 0 || out->out_max < 1)
    bad = "output_tokens: median and max must be at least 1, sigma not negative";
  else if (out->startup_seconds < 0)
    bad = "startup_seconds must not be negative";
  if (bad) {
    rc = sw_err_set(err, SW_EINVAL, "%s: %s", origin, bad);
    goto fail;
  }
  return 0;
fail:
  eng_profile_free(out);
  return rc ? rc : SW_EINVAL;
}

void eng_profile_free(eng_profile *p) {
  if (p->json) json_decref(p->json);
  p->json = NULL;
}

int eng_profile_load(const char *name_or_file, eng_profile *out, sw_err *err) {
  for (size_t i = 0; i < eng_builtin_profiles_count; i++)
    if (strcmp(eng_builtin_profiles[i].name, name_or_file) == 0)
      return eng_profile_parse(eng_builtin_profiles[i].json, strlen(eng_builtin_profiles[i].json),
                               eng_builtin_profiles[i].name, out, err);
  size_t len;
  sw_err ferr;
  char *text = sw_read_file(name_or_file, &len, &ferr);
  if (!text) {
    sw_buf names;
    sw_buf_init(&names);
    for (size_t i = 0; i < eng_builtin_profiles_count; i++)
      sw_buf_printf(&names, "%s%s", i ? ", " : "", eng_builtin_profiles[i].name);
    sw_err_set(err, SW_ENOENT, "--profile %s: not a built-in profile (%s) and not a readable file (%s)",
               name_or_file, names.data, ferr.msg);
    sw_buf_free(&names);
    return SW_ENOENT;
  }
  int rc = eng_profile_parse(text, len, name_or_file, out, err);
  free(text);
  return rc;
}

static bool icontains(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  if (n == 0) return false;
  for (const char *p = hay; *p; p++)
    if (strncasecmp(p, needle, n) == 0) return true;
  return false;
}

int eng_profile_for_model(const char *model, eng_profile *out, bool *matched, sw_err *err) {
  size_t best = 0, best_len = 0;
  bool found = false;
  for (size_t i = 0; model && i < eng_builtin_profiles_count; i++) {
    json_t *root = json_loads(eng_builtin_profiles[i].json, 0, NULL);
    json_t *m = json_object_get(root, "match"), *v;
    size_t k;
    json_array_foreach(m, k, v) {
      const char *s = json_string_value(v);
      if (s && icontains(model, s) && strlen(s) > best_len) {
        best = i;
        best_len = strlen(s);
        found = true;
      }
    }
    json_decref(root);
  }
  if (!found) /* the first seed's model is the default */
    for (size_t i = 0; i < eng_builtin_profiles_count; i++)
      if (strcmp(eng_builtin_profiles[i].name, "qwen3-0.6b-h100") == 0) best = i;
  if (matched) *matched = found;
  return eng_profile_parse(eng_builtin_profiles[best].json, strlen(eng_builtin_profiles[best].json),
                           eng_builtin_profiles[best].name, out, err);
}

/* Weight bytes relative to bf16 for vLLM's --quantization methods. */
static double quant_factor(const char *q, bool *known) {
  *known = true;
  if (!q || !*q || strcasecmp(q, "none") == 0) return 1.0;
  static const char *const int4[] = {"gptq",       "awq",        "gptq_marlin",
                                     "awq_marlin", "marlin",     "bitsandbytes",
                                     "gguf",       "squeezellm", "compressed-tensors-w4a16",
                                     "hqq"};
  static const char *const int8[] = {"fp8",  "fbgemm_fp8",   "modelopt", "int8",
                                     "w8a8", "experts_int8", "ptpc_fp8", "compressed-tensors"};
  for (size_t i = 0; i < sizeof int4 / sizeof int4[0]; i++)
    if (strcasecmp(q, int4[i]) == 0) return 0.28; /* 4-bit weights + scales */
  for (size_t i = 0; i < sizeof int8 / sizeof int8[0]; i++)
    if (strcasecmp(q, int8[i]) == 0) return 0.5;
  *known = false;
  return 1.0;
}

int eng_profile_resolve(const eng_profile *p, const eng_vllm_flags *f, eng_resolved *out, sw_err *err) {
  memset(out, 0, sizeof *out);
  double util = f->gpu_memory_utilization > 0 ? f->gpu_memory_utilization : p->gpu_memory_utilization;
  if (util <= 0 || util > 1)
    return sw_err_set(err, SW_EINVAL, "--gpu-memory-utilization %g: expected a fraction in (0, 1]", util);
  int tp = f->tensor_parallel_size > 0 ? f->tensor_parallel_size : 1;
  bool known;
  double q = quant_factor(f->quantization, &known);
  if (!known) SW_WARN("engine", "--quantization %s: unknown method; weights sized as bf16", f->quantization);
  out->quant_factor = q;
  out->max_model_len = f->max_model_len > 0 ? f->max_model_len : p->max_model_len;
  int gpus = tp * p->gpu_count;
  double weights = p->weights_gib * q;
  double kv_gib = util * p->gpu_memory_gib * gpus - weights - p->activation_gib * gpus;
  out->kv_cache_gib = kv_gib;
  if (f->kv_cache_tokens > 0) {
    out->kv_cache_tokens = f->kv_cache_tokens;
  } else {
    if (kv_gib <= 0)
      return sw_err_set(
          err, SW_EINVAL,
          "No available memory for the cache blocks: %.2f GiB x %.2f utilisation leaves nothing after "
          "%.2f GiB of weights and %.2f GiB of activations. Try increasing `gpu_memory_utilization`",
          p->gpu_memory_gib * gpus, util, weights, p->activation_gib * gpus);
    out->kv_cache_tokens = (int64_t)(kv_gib * GIB / p->kv_bytes_per_token);
  }
  int bs = p->block_size;
  out->kv_cache_tokens = out->kv_cache_tokens / bs * bs;
  /* vLLM refuses to start when one max-length request cannot fit (check_enough_kv_cache_memory). */
  if (out->kv_cache_tokens < out->max_model_len)
    return sw_err_set(
        err, SW_EINVAL,
        "To serve at least one request with the models's max seq len (%d), KV cache for %d tokens is "
        "needed, which is larger than the available KV cache (%lld tokens). Based on the available "
        "memory, the estimated maximum model length is %lld. Try increasing `gpu_memory_utilization` or "
        "decreasing `max_model_len` when initializing the engine.",
        out->max_model_len, out->max_model_len, (long long)out->kv_cache_tokens,
        (long long)out->kv_cache_tokens);
  eng_model_config *c = &out->model;
  c->max_num_seqs = f->max_num_seqs > 0 ? f->max_num_seqs : p->max_num_seqs;
  c->max_num_batched_tokens =
      f->max_num_batched_tokens > 0 ? f->max_num_batched_tokens : p->max_num_batched_tokens;
  /* vLLM raises the budget to max_model_len when chunked prefill is off; it
   * is on by default in V1, so the budget stays as configured. */
  c->kv_cache_tokens = out->kv_cache_tokens;
  c->block_size = bs;
  /* Tensor parallelism splits weight reads and FLOPs across GPUs and adds an
   * all-reduce per layer (~10% of the fixed step cost per extra GPU). */
  c->step_base = p->step_base_ms / 1000.0 * (1.0 + 0.1 * (tp - 1));
  c->step_weights = p->step_weights_ms / 1000.0 * q / tp;
  c->step_per_token = p->step_per_token_ms / 1000.0 / tp;
  c->step_per_seq = p->step_per_seq_ms / 1000.0;
  c->step_per_kv_token = p->step_per_1k_context_ms / 1000.0 / 1000.0 / tp;
  c->fe_per_request = p->fe_per_request_ms / 1000.0;
  c->fe_per_prompt_token = p->fe_per_prompt_token_ms / 1000.0;
  c->fe_fixed = p->fe_fixed_ms / 1000.0;
  return 0;
}

int eng_profile_sample_output(const eng_profile *p, double u1, double u2, int cap) {
  if (u1 <= 0) u1 = 1e-12;
  double z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
  double v = p->out_median * exp(p->out_sigma * z);
  int max = p->out_max;
  if (cap > 0 && cap < max) max = cap;
  if (max < 1) max = 1;
  if (!(v >= 1)) v = 1;
  if (v > max) v = max;
  return (int)lround(v);
}
