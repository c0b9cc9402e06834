/*
 * args.h — `spillway engine` command line: vLLM's own flags (so a cluster
 * can run `vllm serve ...`'s arguments unchanged) plus the engine's flags.
 * Pure: argv in, options out; warnings go to the log.
 *
 * vLLM flags accept `--flag value` and `--flag=value`, and underscores for
 * dashes (`--tensor_parallel_size=1`), as vLLM's FlexibleArgumentParser does.
 * Unknown flags are accepted with a warning; an unknown flag followed by a
 * word that does not start with '-' takes that word as its value, unless the
 * flag is one of vLLM's known boolean switches.
 */
#ifndef ENGINE_ARGS_H
#define ENGINE_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/sw.h"
#include "engine/profile.h"

#define ENG_MAX_SERVED_NAMES 8

typedef struct eng_options {
  const char *model; /* positional MODEL or --model; borrowed from argv */
  const char *served_names[ENG_MAX_SERVED_NAMES];
  int n_served_names;
  const char *host; /* default 0.0.0.0 */
  int port;         /* default 8000 */
  eng_vllm_flags vllm;
  const char *profile;    /* NULL: chosen from the model name */
  double startup_seconds; /* < 0: the profile's */
  double time_scale;      /* default 1 */
  uint64_t seed;          /* default 0 */
  int max_waiting;        /* < 0: unlimited (vLLM's behaviour) */
  bool enable_faults;     /* POST /admin/fault */
  bool emit_token_times;  /* model time of each streamed token in its chunk */
  double shutdown_grace;  /* model seconds to finish in-flight work on SIGTERM (30) */
  int64_t max_body_bytes; /* request bodies above this get 413 (16 MiB) */
  const char *log_level;
  bool help;
  int n_unknown; /* unknown flags seen (warned) */
} eng_options;

/* Returns 0 or SW_EINVAL with a message naming the flag and what it expects. */
int eng_args_parse(int argc, char **argv, eng_options *out, sw_err *err);
void eng_args_usage(FILE *f);

/* "2048", "2k" (x1000), "2K" (x1024), "1m"/"1M": vLLM's human-readable ints. */
int eng_parse_size(const char *s, int64_t *out);

#endif
