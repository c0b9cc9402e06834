#!/usr/bin/env python3
"""Writes a vLLM-sized /metrics body (what vLLM 0.10 serves for one model:
gauges, counters with _created, a dozen histograms with their real bucket
bounds, Python process metrics), about 330 series and 45 KB, to stdout."""
import random

MODEL = 'engine="0",model_name="qwen3-0.6b"'
rnd = random.Random(7)
out = []


def family(name, typ, help_text):
    out.append(f"# HELP {name} {help_text}")
    out.append(f"# TYPE {name} {typ}")


def histogram(name, bounds, help_text):
    family(name, "histogram", help_text)
    count = 0
    for b in bounds + ["+Inf"]:
        count += rnd.randint(0, 50)
        out.append(f'{name}_bucket{{{MODEL},le="{b}"}} {float(count)}')
    out.append(f"{name}_count{{{MODEL}}} {float(count)}")
    out.append(f"{name}_sum{{{MODEL}}} {rnd.random() * count * 3:.6f}")
    family(f"{name}_created", "gauge", help_text)
    out.append(f"{name}_created{{{MODEL}}} 1.7568e+09")


for i, (k, v) in enumerate([("python_gc_objects_collected_total", 'generation="0"'),
                            ("python_gc_objects_collected_total", 'generation="1"'),
                            ("python_gc_objects_collected_total", 'generation="2"')]):
    if i == 0:
        family("python_gc_objects_collected_total", "counter", "Objects collected during gc")
    out.append(f"{k}{{{v}}} {rnd.randint(100, 100000)}.0")
family("python_info", "gauge", "Python platform information")
out.append('python_info{implementation="CPython",major="3",minor="12",patchlevel="11",version="3.12.11"} 1.0')
for name, typ in [("process_virtual_memory_bytes", "gauge"), ("process_resident_memory_bytes", "gauge"),
                  ("process_start_time_seconds", "gauge"), ("process_cpu_seconds_total", "counter"),
                  ("process_open_fds", "gauge"), ("process_max_fds", "gauge")]:
    family(name, typ, name.replace("_", " "))
    out.append(f"{name} {rnd.random() * 1e9:.1f}")

for g in ["num_requests_running", "num_requests_waiting", "kv_cache_usage_perc", "gpu_cache_usage_perc",
          "num_requests_swapped"]:
    family(f"vllm:{g}", "gauge", g.replace("_", " "))
    out.append(f"vllm:{g}{{{MODEL}}} {rnd.randint(0, 60)}.0")
family("vllm:cache_config_info", "gauge", "Information of the LLMEngine CacheConfig")
out.append('vllm:cache_config_info{block_size="16",cache_dtype="auto",enable_prefix_caching="True",'
           'gpu_memory_utilization="0.8",num_cpu_blocks="0",num_gpu_blocks="9437",swap_space="4"} 1.0')
for c in ["num_preemptions", "prompt_tokens", "generation_tokens", "prefix_cache_queries", "prefix_cache_hits"]:
    family(f"vllm:{c}_total", "counter", c.replace("_", " "))
    out.append(f"vllm:{c}_total{{{MODEL}}} {rnd.randint(0, 10**7)}.0")
    family(f"vllm:{c}_created", "gauge", c.replace("_", " "))
    out.append(f"vllm:{c}_created{{{MODEL}}} 1.7568e+09")
family("vllm:request_success_total", "counter", "Count of successfully processed requests.")
for r in ["stop", "length", "abort"]:
    out.append(f'vllm:request_success_total{{{MODEL},finished_reason="{r}"}} {rnd.randint(0, 10**5)}.0')

TTFT = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0,
        80.0, 160.0, 640.0, 2560.0]
ITL = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0]
REQ = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0,
       960.0, 1920.0, 7680.0]
TOK = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000]
histogram("vllm:time_to_first_token_seconds", TTFT, "Histogram of time to first token in seconds.")
histogram("vllm:inter_token_latency_seconds", ITL, "Histogram of inter-token latency in seconds.")
histogram("vllm:time_per_output_token_seconds", ITL, "Histogram of time per output token in seconds.")
for h in ["e2e_request_latency", "request_queue_time", "request_inference_time", "request_prefill_time",
          "request_decode_time"]:
    histogram(f"vllm:{h}_seconds", REQ, f"Histogram of {h.replace('_', ' ')} in seconds.")
for h in ["iteration_tokens_total", "request_prompt_tokens", "request_generation_tokens",
          "request_params_max_tokens", "request_params_n"]:
    histogram(f"vllm:{h}", TOK, f"Histogram of {h.replace('_', ' ')}.")
print("\n".join(out))
