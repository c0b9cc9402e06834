/*
 * profile.h — engine profiles: the calibrated numbers of one model on one GPU
 * (step-time terms, frontend cost, memory, defaults, output-length
 * distribution, cold start) and the published measurements they reproduce.
 *
 * Profiles are JSON (profiles/NAME.json in the tree; the same text is built into
 * the binary by profiles/embed.py). eng_profile_resolve() turns a profile plus
 * vLLM's flags (gpu-memory-utilization, max-model-len, tensor parallelism,
 * quantization, max-num-seqs) into the latency model's configuration, as vLLM
 * sizes its KV cache at startup. Pure apart from eng_profile_load reading a
 * file the user named.
 */
#ifndef ENGINE_PROFILE_H
#define ENGINE_PROFILE_H

#include <jansson.h>
#include <stdint.h>

#include "base/sw.h"
#include "engine/model.h"

typedef struct eng_builtin_profile {
  const char *name;
  const char *json;
} eng_builtin_profile;
extern const eng_builtin_profile eng_builtin_profiles[];
extern const size_t eng_builtin_profiles_count;

typedef struct eng_profile {
  char name[128];
  char model[256];
  char gpu_name[128];
  double gpu_memory_gib;
  int gpu_count;
  double weights_gib, activation_gib, kv_bytes_per_token;
  int max_model_len, max_num_seqs, max_num_batched_tokens, block_size;
  double gpu_memory_utilization;
  /* milliseconds, as in the file */
  double step_base_ms, step_weights_ms, step_per_token_ms, step_per_seq_ms, step_per_1k_context_ms;
  double fe_per_request_ms, fe_per_prompt_token_ms, fe_fixed_ms;
  double out_median, out_sigma;
  int out_max;
  double startup_seconds;
  json_t *json; /* the whole document (owned), e.g. for "published" */
} eng_profile;

/* Parses a profile document; err names the field that is missing or wrong. */
int eng_profile_parse(const char *text, size_t len, const char *origin, eng_profile *out, sw_err *err);
/* NAME of a built-in profile, or a path to a JSON file. */
int eng_profile_load(const char *name_or_file, eng_profile *out, sw_err *err);
/* The built-in profile whose "match" entry is the longest substring of
 * `model` (case-insensitive); the first seed's profile when none matches
 * (*matched set false). */
int eng_profile_for_model(const char *model, eng_profile *out, bool *matched, sw_err *err);
void eng_profile_free(eng_profile *p);

/* vLLM's flags that shape the engine; 0 / NULL = the profile's default. */
typedef struct eng_vllm_flags {
  double gpu_memory_utilization;
  int max_model_len;
  int max_num_seqs;
  int max_num_batched_tokens;
  int tensor_parallel_size;
  const char *quantization;
  int64_t kv_cache_tokens; /* spillway's override of the computed KV size */
} eng_vllm_flags;

typedef struct eng_resolved {
  eng_model_config model;
  int max_model_len;
  int64_t kv_cache_tokens;
  double kv_cache_gib;
  double quant_factor; /* weight bytes relative to bf16 */
} eng_resolved;

/* Sizes the KV cache as vLLM does (utilisation x GPU memory - weights -
 * activations) and fails, as vLLM does, when max_model_len does not fit. */
int eng_profile_resolve(const eng_profile *p, const eng_vllm_flags *f, eng_resolved *out, sw_err *err);

/* Output length when the request has no max_tokens: a log-normal draw with
 * the profile's median and sigma, clamped to [1, min(max, cap)]. `u1`, `u2`
 * are uniform in (0,1) (the caller owns the random source). */
int eng_profile_sample_output(const eng_profile *p, double u1, double u2, int cap);

#endif
