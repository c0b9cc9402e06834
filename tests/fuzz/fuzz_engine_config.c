/* libFuzzer target for `spillway engine`'s configuration: the hardware
 * profile file (--profile FILE, JSON) and the command line (vLLM's flags).
 * The first byte picks which; for the command line the rest is split at NUL
 * bytes into argv words. Either parse succeeds or fails with a message; no
 * crash, no leak, no read past the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/args.h"
#include "engine/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  sw_err err;
  err.msg[0] = 0;
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  if (data[0] & 1) {
    eng_profile p;
    if (eng_profile_parse(text, len, "fuzz.json", &p, &err) != 0) {
      if (!err.msg[0]) abort();
      return 0;
    }
    /* what a parsed profile's numbers feed: KV-cache sizing and the step model */
    eng_resolved r;
    eng_vllm_flags dflt = {0};
    eng_vllm_flags seed = {.gpu_memory_utilization = 0.8, .max_model_len = 2048, .tensor_parallel_size = 2,
                           .quantization = "gptq", .max_num_seqs = 4};
    (void)eng_profile_resolve(&p, &dflt, &r, &err);
    (void)eng_profile_resolve(&p, &seed, &r, &err);
    eng_profile_free(&p);
    return 0;
  }
  /* argv: "engine" then the NUL-separated words (the copy ends in a NUL) */
  char *copy = malloc(len + 1);
  memcpy(copy, text, len);
  copy[len] = 0;
  int argc = 1;
  for (size_t i = 0; i < len; i++)
    if (copy[i] == 0) argc++;
  char **argv = malloc(sizeof *argv * (size_t)(argc + 2));
  argv[0] = "engine";
  int n = 1;
  for (char *w = copy; w <= copy + len && n <= argc; w += strlen(w) + 1) argv[n++] = w;
  argv[n] = NULL;
  eng_options o;
  if (eng_args_parse(n, argv, &o, &err) != 0 && !err.msg[0]) abort();
  int64_t sz;
  (void)eng_parse_size(argv[1], &sz);
  free(argv);
  free(copy);
  return 0;
}
