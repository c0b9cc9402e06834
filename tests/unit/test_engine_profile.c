/* Unit tests for src/engine/profile.c, args.c and metrics.c: built-in
 * profiles equal profiles/NAME.json, KV sizing as vLLM does it, vLLM flag
 * parsing as the seeds write them, Prometheus number formatting and the
 * /metrics families. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "engine/args.h"
#include "engine/metrics.h"
#include "engine/profile.h"

Test(engine_profile, builtins_match_the_files_in_profiles) {
  cr_assert_geq(eng_builtin_profiles_count, 2);
  for (size_t i = 0; i < eng_builtin_profiles_count; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/profiles/%s.json", SPILLWAY_SOURCE_DIR, eng_builtin_profiles[i].name);
    json_t *file = json_load_file(path, 0, NULL);
    json_t *built = json_loads(eng_builtin_profiles[i].json, 0, NULL);
    cr_assert_not_null(file, "%s", path);
    cr_assert(json_equal(file, built), "%s differs from the built-in copy: run profiles/embed.py", path);
    json_decref(file);
    json_decref(built);
    eng_profile p;
    sw_err err;
    cr_assert_eq(eng_profile_load(eng_builtin_profiles[i].name, &p, &err), 0, "%s", err.msg);
    cr_assert_str_eq(p.name, eng_builtin_profiles[i].name);
    /* a calibrated profile cites the published points it reproduces; one
     * derived from hardware numbers alone says so with "calibrated": false */
    if (!json_is_false(json_object_get(p.json, "calibrated")))
      cr_assert_gt(json_array_size(json_object_get(p.json, "published")), 1, "%s cites published points", p.name);
    else
      cr_assert_eq(json_array_size(json_object_get(p.json, "published")), 0, "%s: derived, cites none", p.name);
    eng_profile_free(&p);
  }
}

Test(engine_profile, chosen_from_the_model_name) {
  struct {
    const char *model, *profile;
    bool matched;
  } cases[] = {
      {"Qwen/Qwen3-0.6B", "qwen3-0.6b-h100", true},
      {"/mnt/models/Qwen", "qwen3-0.6b-h100", true},
      {"meta-llama/Llama-3.1-8B-Instruct", "llama-3-8b-h100", true},
      {"Qwen/Qwen3-8B", "llama-3-8b-h100", true}, /* longest match wins over "qwen" */
      {"facebook/opt-125m", "qwen3-0.6b-h100", false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    eng_profile p;
    sw_err err;
    bool matched;
    cr_assert_eq(eng_profile_for_model(cases[i].model, &p, &matched, &err), 0);
    cr_assert_str_eq(p.name, cases[i].profile, "%s", cases[i].model);
    cr_assert_eq(matched, cases[i].matched, "%s", cases[i].model);
    eng_profile_free(&p);
  }
}

Test(engine_profile, kv_cache_sized_like_vllm) {
  eng_profile p;
  sw_err err;
  cr_assert_eq(eng_profile_load("qwen3-0.6b-h100", &p, &err), 0);
  eng_resolved r;
  /* the first seed: --max-model-len 2048 --gpu-memory-utilization 0.8 */
  eng_vllm_flags f = {.gpu_memory_utilization = 0.8, .max_model_len = 2048};
  cr_assert_eq(eng_profile_resolve(&p, &f, &r, &err), 0, "%s", err.msg);
  double want = (0.8 * 79.19 - 1.12 - 1.5) * 1073741824.0 / 114688;
  cr_assert(fabs((double)r.kv_cache_tokens - want) < 32, "%lld vs %.0f", (long long)r.kv_cache_tokens, want);
  cr_assert_eq(r.kv_cache_tokens % 16, 0);
  cr_assert_eq(r.max_model_len, 2048);
  cr_assert_eq(r.model.max_num_seqs, 1024);
  cr_assert_float_eq(r.model.step_base, 0.00175, 1e-12);
  /* quantization shrinks weights, so more KV; tensor parallelism splits the weight reads */
  eng_resolved q;
  eng_vllm_flags fq = {.gpu_memory_utilization = 0.8, .quantization = "gptq", .tensor_parallel_size = 2};
  cr_assert_eq(eng_profile_resolve(&p, &fq, &q, &err), 0);
  cr_assert_gt(q.kv_cache_tokens, 2 * r.kv_cache_tokens - 1000);
  cr_assert_lt(q.model.step_weights, r.model.step_weights / 2);
  /* --kv-cache-tokens overrides; too small for max_model_len fails as vLLM does */
  eng_vllm_flags fk = {.kv_cache_tokens = 1000, .max_model_len = 2048};
  cr_assert_neq(eng_profile_resolve(&p, &fk, &r, &err), 0);
  cr_assert(strstr(err.msg, "max seq len (2048)"), "%s", err.msg);
  eng_vllm_flags fs = {.kv_cache_tokens = 5000, .max_model_len = 2048, .max_num_seqs = 4};
  cr_assert_eq(eng_profile_resolve(&p, &fs, &r, &err), 0);
  cr_assert_eq(r.kv_cache_tokens, 4992);
  cr_assert_eq(r.model.max_num_seqs, 4);
  /* 8B at 0.2 utilisation: no room for the weights */
  eng_profile l;
  cr_assert_eq(eng_profile_load("llama-3-8b-h100", &l, &err), 0);
  eng_vllm_flags fl = {.gpu_memory_utilization = 0.2};
  cr_assert_neq(eng_profile_resolve(&l, &fl, &r, &err), 0);
  cr_assert(strstr(err.msg, "gpu_memory_utilization"), "%s", err.msg);
  eng_profile_free(&l);
  eng_profile_free(&p);
}

Test(engine_profile, bad_profiles_name_the_field) {
  struct {
    const char *json, *msg;
  } cases[] = {
      {"not json", "t.json:1:"},
      {"[]", "a profile is a JSON object"},
      {"{\"name\":\"x\"}", "model: missing"},
      {"{\"name\":\"x\",\"model\":\"m\",\"gpu\":{\"name\":\"g\",\"memory_gib\":\"80\"},\"defaults\":{},"
       "\"step_ms\":{},"
       "\"frontend_ms\":{},\"output_tokens\":{}}",
       "gpu.memory_gib: expected a number"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    eng_profile p;
    sw_err err;
    cr_assert_neq(eng_profile_parse(cases[i].json, strlen(cases[i].json), "t.json", &p, &err), 0);
    cr_assert(strstr(err.msg, cases[i].msg), "case %zu: %s", i, err.msg);
  }
  eng_profile p;
  sw_err err;
  cr_assert_eq(eng_profile_load("/nonexistent/p.json", &p, &err), SW_ENOENT);
  cr_assert(strstr(err.msg, "qwen3-0.6b-h100"), "lists the built-ins: %s", err.msg);
}

Test(engine_profile, output_length_distribution) {
  eng_profile p;
  sw_err err;
  cr_assert_eq(eng_profile_load("qwen3-0.6b-h100", &p, &err), 0);
  cr_assert_eq(eng_profile_sample_output(&p, 0.5, 0.25, 0), 900, "z = 0 gives the median");
  cr_assert_eq(eng_profile_sample_output(&p, 1e-9, 0.0, 100), 100, "capped by max_model_len - prompt");
  int lo = eng_profile_sample_output(&p, 1e-9, 0.5, 0);
  cr_assert(lo >= 1 && lo < 60, "far tail (z = -6, sigma 0.5): %d", lo);
  eng_profile_free(&p);
}

Test(engine_args, seed_command_lines) {
  /* The first seed, with `vllm serve` stripped by the cluster layer. */
  char *a1[] = {"engine",
                "Qwen/Qwen3-0.6B",
                "--served-model-name",
                "qwen3-0.6b",
                "--port",
                "8000",
                "--trust-remote-code",
                "--tensor_parallel_size=1",
                "--max-model-len",
                "2048",
                "--gpu-memory-utilization",
                "0.8"};
  eng_options o;
  sw_err err;
  cr_assert_eq(eng_args_parse(sizeof a1 / sizeof a1[0], a1, &o, &err), 0, "%s", err.msg);
  cr_assert_str_eq(o.model, "Qwen/Qwen3-0.6B");
  cr_assert_eq(o.n_served_names, 1);
  cr_assert_str_eq(o.served_names[0], "qwen3-0.6b");
  cr_assert_eq(o.port, 8000);
  cr_assert_eq(o.vllm.tensor_parallel_size, 1);
  cr_assert_eq(o.vllm.max_model_len, 2048);
  cr_assert_float_eq(o.vllm.gpu_memory_utilization, 0.8, 1e-12);
  /* The second seed's api_server arguments. */
  char *a2[] = {"engine",
                "--port",
                "8080",
                "--trust-remote-code",
                "--served-model-name",
                "qwen",
                "--model",
                "/mnt/models/Qwen",
                "--gpu-memory-utilization",
                "0.95",
                "--quantization",
                "gptq",
                "--max-model-len=6144"};
  cr_assert_eq(eng_args_parse(sizeof a2 / sizeof a2[0], a2, &o, &err), 0, "%s", err.msg);
  cr_assert_str_eq(o.model, "/mnt/models/Qwen");
  cr_assert_str_eq(o.vllm.quantization, "gptq");
  cr_assert_eq(o.vllm.max_model_len, 6144);
  cr_assert_eq(o.port, 8080);
  /* Unknown flags: warned, their values consumed; switches take none. */
  char *a3[] = {"engine",
                "serve",
                "m",
                "--dtype",
                "bfloat16",
                "--enforce-eager",
                "--swap-space=4",
                "--max_num_seqs",
                "64",
                "--time-scale",
                "50",
                "--served-model-name",
                "a",
                "b",
                "--enable-faults",
                "--max-model-len",
                "32k",
                "--seed",
                "7",
                "--kv-cache-tokens",
                "1M"};
  cr_assert_eq(eng_args_parse(sizeof a3 / sizeof a3[0], a3, &o, &err), 0, "%s", err.msg);
  cr_assert_str_eq(o.model, "m");
  cr_assert_eq(o.n_unknown, 3);
  cr_assert_eq(o.vllm.max_num_seqs, 64);
  cr_assert_float_eq(o.time_scale, 50, 1e-12);
  cr_assert_eq(o.n_served_names, 2);
  cr_assert_str_eq(o.served_names[1], "b");
  cr_assert(o.enable_faults);
  cr_assert_eq(o.vllm.max_model_len, 32000);
  cr_assert_eq(o.seed, 7);
  cr_assert_eq(o.vllm.kv_cache_tokens, 1048576);

  /* a repeated --served-model-name replaces the earlier one (argparse); more
   * names than the engine keeps is an error, not an overflow (fuzz finding) */
  char *a4[] = {"engine", "m", "--served-model-name=x", "--served-model-name", "y", "z"};
  cr_assert_eq(eng_args_parse(6, a4, &o, &err), 0, "%s", err.msg);
  cr_assert_eq(o.n_served_names, 2);
  cr_assert_str_eq(o.served_names[0], "y");
  char *a5[] = {"engine", "m", "--served-model-name", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  cr_assert_neq(eng_args_parse(12, a5, &o, &err), 0);
  cr_assert(strstr(err.msg, "--served-model-name 9: at most 8 names"), "%s", err.msg);
}

Test(engine_args, usage_errors_name_the_flag) {
  struct {
    char *argv[6];
    int argc;
    const char *msg;
  } cases[] = {
      {{"engine", "--port"}, 2, "--port: expected a value"},
      {{"engine", "--port", "http"}, 3, "--port http"},
      {{"engine", "--port", "70000"}, 3, "70000"},
      {{"engine", "--gpu-memory-utilization", "1.5"}, 3, "--gpu-memory-utilization 1.5"},
      {{"engine", "--time-scale", "0"}, 3, "--time-scale 0"},
      {{"engine", "a", "b"}, 3, "unexpected argument \"b\""},
      {{"engine", "a", "--model", "b"}, 4, "model given twice"},
      {{"engine", "--log-level", "loud"}, 3, "--log-level loud"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    eng_options o;
    sw_err err;
    cr_assert_eq(eng_args_parse(cases[i].argc, cases[i].argv, &o, &err), SW_EINVAL, "case %zu", i);
    cr_assert(strstr(err.msg, cases[i].msg), "case %zu: %s", i, err.msg);
  }
  int64_t v;
  cr_assert_eq(eng_parse_size("2K", &v), 0);
  cr_assert_eq(v, 2048);
  cr_assert_neq(eng_parse_size("2x", &v), 0);
  cr_assert_neq(eng_parse_size("1.5", &v), 0);
}

Test(engine_metrics, floats_as_prometheus_client_prints_them) {
  struct {
    double v;
    const char *s;
  } cases[] = {
      {0, "0.0"},
      {1, "1.0"},
      {0.001, "0.001"},
      {2560, "2560.0"},
      {0.25, "0.25"},
      {100000, "100000.0"},
      {1234567, "1.234567e+06"},
      {1e16, "1e+16"},
      {1e-05, "1e-05"},
      {INFINITY, "+Inf"},
      {1795424695.9973235, "1.7954246959973235e+09"},
      {0.1 + 0.2, "0.30000000000000004"},
      {-3.5, "-3.5"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char buf[48];
    eng_prom_float(cases[i].v, buf, sizeof buf);
    cr_assert_str_eq(buf, cases[i].s, "case %zu", i);
  }
}

Test(engine_metrics, families_buckets_and_labels) {
  eng_metrics m;
  eng_metrics_init(&m, "qwen3-0.6b", 2048, 8192, 1700000000.0);
  eng_hist_observe(&m.ttft, 0.03);
  eng_hist_observe(&m.ttft, 3000);
  eng_hist_observe(&m.itl, 0.002);
  m.success[ENG_FINISH_LENGTH] = 2;
  m.generation_tokens = 12;
  eng_gauges g = {.running = 3,
                  .waiting = 7,
                  .kv_usage = 0.5,
                  .gpu_util_pct = 61.4,
                  .block_size = 16,
                  .num_gpu_blocks = 100,
                  .gpu_memory_utilization = 0.8,
                  .gpu_name = "NVIDIA H100 80GB HBM3",
                  .gpu_uuid = "GPU-1",
                  .hostname = "h"};
  sw_buf b;
  sw_buf_init(&b);
  eng_metrics_render(&m, &g, &b);
  const char *want[] = {
      "# TYPE vllm:num_requests_running "
      "gauge\nvllm:num_requests_running{engine=\"0\",model_name=\"qwen3-0.6b\"} 3.0\n",
      "vllm:num_requests_waiting{engine=\"0\",model_name=\"qwen3-0.6b\"} 7.0\n",
      "vllm:kv_cache_usage_perc{engine=\"0\",model_name=\"qwen3-0.6b\"} 0.5\n",
      "vllm:gpu_cache_usage_perc{engine=\"0\",model_name=\"qwen3-0.6b\"} 0.5\n",
      "# TYPE vllm:num_preemptions_total counter\n",
      "vllm:generation_tokens_total{engine=\"0\",model_name=\"qwen3-0.6b\"} 12.0\n",
      "vllm:generation_tokens_created{engine=\"0\",model_name=\"qwen3-0.6b\"} 1.7e+09\n",
      "vllm:request_success_total{engine=\"0\",finished_reason=\"length\",model_name=\"qwen3-0.6b\"} 2.0\n",
      "vllm:request_success_total{engine=\"0\",finished_reason=\"stop\",model_name=\"qwen3-0.6b\"} 0.0\n",
      "# TYPE vllm:time_to_first_token_seconds histogram\n",
      "vllm:time_to_first_token_seconds_bucket{engine=\"0\",model_name=\"qwen3-0.6b\",le=\"0.001\"} 0.0\n",
      "vllm:time_to_first_token_seconds_bucket{engine=\"0\",model_name=\"qwen3-0.6b\",le=\"0.04\"} 1.0\n",
      "vllm:time_to_first_token_seconds_bucket{engine=\"0\",model_name=\"qwen3-0.6b\",le=\"2560.0\"} 1.0\n",
      "vllm:time_to_first_token_seconds_bucket{engine=\"0\",model_name=\"qwen3-0.6b\",le=\"+Inf\"} 2.0\n",
      "vllm:time_to_first_token_seconds_count{engine=\"0\",model_name=\"qwen3-0.6b\"} 2.0\n",
      "vllm:time_to_first_token_seconds_sum{engine=\"0\",model_name=\"qwen3-0.6b\"} 3000.03\n",
      "vllm:inter_token_latency_seconds_bucket{engine=\"0\",model_name=\"qwen3-0.6b\",le=\"0.01\"} 1.0\n",
      "vllm:inter_token_latency_seconds_bucket{engine=\"0\",model_name=\"qwen3-0.6b\",le=\"80.0\"} 1.0\n",
      "vllm:e2e_request_latency_seconds_bucket{engine=\"0\",model_name=\"qwen3-0.6b\",le=\"7680.0\"} 0.0\n",
      "vllm:request_queue_time_seconds_bucket{engine=\"0\",model_name=\"qwen3-0.6b\",le=\"0.3\"} 0.0\n",
      "vllm:request_prompt_tokens_bucket{engine=\"0\",model_name=\"qwen3-0.6b\",le=\"2000.0\"} 0.0\n",
      "vllm:iteration_tokens_total_bucket{engine=\"0\",model_name=\"qwen3-0.6b\",le=\"8192.0\"} 0.0\n",
      "num_gpu_blocks=\"100\"",
      "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"GPU-1\",device=\"nvidia0\",modelName=\"NVIDIA H100 80GB HBM3\","
      "Hostname=\"h\"} 61.0\n",
      "# TYPE DCGM_CUSTOM_PROCESS_SM_UTIL gauge\n",
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    cr_assert(strstr(b.data, want[i]), "missing: %s", want[i]);
  cr_assert_null(strstr(b.data, "le=\"5000.0\""), "token buckets stop at max_model_len");
  sw_buf_free(&b);
  eng_metrics_free(&m);
}
