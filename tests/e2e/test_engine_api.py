"""`spillway engine` serves the OpenAI API as vLLM does: models, chat and
completions with usage and finish reasons, OpenAI-style errors for bad
input (and keeps serving), the seed's vLLM command line, cold start."""
import json
import socket
import subprocess
import time

from conftest import BIN
from test_engine_support import CHAT, Engine, metric

SEED_ARGS = ["Qwen/Qwen3-0.6B", "--served-model-name", "qwen3-0.6b", "--trust-remote-code",
             "--tensor_parallel_size=1", "--max-model-len", "2048", "--gpu-memory-utilization", "0.8"]


def curl(*args):
    p = subprocess.run(["curl", "-sS", "--max-time", "20", *args], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_models_chat_and_completions_with_curl():
    with Engine(*SEED_ARGS, time_scale=50) as e:
        base = f"http://127.0.0.1:{e.port}"
        models = json.loads(curl(f"{base}/v1/models"))
        assert [m["id"] for m in models["data"]] == ["qwen3-0.6b"]
        assert models["data"][0]["root"] == "Qwen/Qwen3-0.6B"
        assert models["data"][0]["max_model_len"] == 2048

        out = curl("-H", "Content-Type: application/json", "-H", "X-Request-Id: abc123",
                   "-d", json.dumps({**CHAT, "model": "qwen3-0.6b", "max_tokens": 7}),
                   "-D", "-", f"{base}/v1/chat/completions")
        head, _, body = out.replace("\r\n", "\n").partition("\n\n")
        assert "x-request-id: abc123" in head.lower()
        r = json.loads(body)
        assert r["id"] == "chatcmpl-abc123"
        assert r["object"] == "chat.completion"
        assert r["model"] == "qwen3-0.6b"
        choice = r["choices"][0]
        assert choice["finish_reason"] == "length"
        assert choice["message"]["role"] == "assistant"
        assert len(choice["message"]["content"].split()) == 7
        assert r["usage"] == {"prompt_tokens": 10, "completion_tokens": 7, "total_tokens": 17}

        # The seed's request has no model and no max_tokens: served by the only
        # model, length drawn from the profile, finished by "stop" or "length".
        r = json.loads(curl("-d", json.dumps(CHAT), f"{base}/v1/chat/completions"))
        assert r["choices"][0]["finish_reason"] in ("stop", "length")
        n = r["usage"]["completion_tokens"]
        assert 1 <= n <= 2048 - 10
        assert len(r["choices"][0]["message"]["content"].split()) == n

        r = json.loads(curl("-d", json.dumps({"prompt": "Say this is a test"}), f"{base}/v1/completions"))
        assert r["object"] == "text_completion"
        assert r["id"].startswith("cmpl-")
        assert r["usage"]["completion_tokens"] == 16  # vLLM's completions default
        assert r["choices"][0]["finish_reason"] == "length"

        m = e.metrics()
        assert metric(m, "vllm:request_success_total", finished_reason="length") + \
            metric(m, "vllm:request_success_total", finished_reason="stop") == 3
        assert metric(m, "vllm:prompt_tokens_total") == 10 + 10 + 5
        assert metric(m, "vllm:generation_tokens_total") == 7 + n + 16
        assert metric(m, "vllm:time_to_first_token_seconds_count") == 3
        assert metric(m, "vllm:num_requests_running") == 0
        assert e.stop() == 0


def test_errors_are_openai_json_and_the_server_keeps_serving():
    with Engine(*SEED_ARGS, "--max-body-bytes", "65536", time_scale=50) as e:
        def err(status, body, raw=None, path="/v1/chat/completions"):
            s, _, data = e.request("POST", path, raw if raw is not None else json.dumps(body))
            assert s == status, (s, data)
            j = json.loads(data)
            assert set(j["error"]) >= {"message", "type", "code"}, j
            assert j["error"]["code"] == status
            return j["error"]

        assert "JSON decode error" in err(400, None, raw='{"messages": [')["message"]
        assert err(400, None, raw="")["type"] == "BadRequestError"
        assert "messages" in err(400, {"model": "qwen3-0.6b"})["message"]
        e404 = err(404, {**CHAT, "model": "gpt-4"})
        assert e404["message"] == "The model `gpt-4` does not exist." and e404["type"] == "NotFoundError"
        long_prompt = {"messages": [{"role": "user", "content": "word " * 3000}]}
        assert "maximum context length is 2048 tokens" in err(400, long_prompt)["message"]
        assert "you requested 2050 tokens" in err(400, {**CHAT, "max_tokens": 2040})["message"]
        assert "max_tokens must be at least 1" in err(400, {**CHAT, "max_tokens": 0})["message"]
        big = err(413, None, raw=json.dumps({"messages": [{"role": "user", "content": "x" * 100000}]}))
        assert "too large" in big["message"]
        # Garbage on the wire: 400 from the HTTP layer, still OpenAI-shaped.
        with socket.create_connection(("127.0.0.1", e.port)) as s:
            s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
            reply = s.recv(65536).decode()
            assert reply.startswith("HTTP/1.1 400")
            assert '"error"' in reply
        s, _, data = e.request("GET", "/v1/chat/completions")
        assert s == 405 and json.loads(data) == {"detail": "Method Not Allowed"}
        s, _, data = e.request("GET", "/nope")
        assert s == 404 and json.loads(data) == {"detail": "Not Found"}
        # ...and it still serves.
        s, _, r = e.post("/v1/chat/completions", {**CHAT, "max_tokens": 3})
        assert s == 200 and r["usage"]["completion_tokens"] == 3
        assert e.stop() == 0


def test_cold_start_keeps_the_port_closed_until_loaded():
    with Engine(*SEED_ARGS, "--startup-seconds", "20", time_scale=20, wait=False) as e:
        t0 = time.monotonic()
        refused = 0
        while time.monotonic() - t0 < 0.6:
            try:
                socket.create_connection(("127.0.0.1", e.port), timeout=0.2).close()
                break
            except ConnectionRefusedError:
                refused += 1
                time.sleep(0.05)
        assert refused > 3, "the port must stay closed while the model loads"
        e.wait_ready()
        assert time.monotonic() - t0 >= 0.9  # 20 s / time-scale 20
        assert "loading Qwen/Qwen3-0.6B" in e.output()


def test_unknown_vllm_flags_are_accepted_with_a_warning():
    with Engine("/mnt/models/Qwen", "--served-model-name", "qwen", "--dtype", "bfloat16", "--enforce-eager",
                "--swap-space=4", "--quantization", "gptq", "--max-model-len=6144") as e:
        s, _, r = e.post("/v1/chat/completions", {"model": "qwen", **CHAT, "max_tokens": 2})
        assert s == 200
        out = e.output()
        assert "ignoring vLLM flag --dtype bfloat16" in out
        assert "ignoring vLLM flag --enforce-eager" in out
        assert "ignoring vLLM flag --swap-space 4" in out


def test_bad_usage_exits_2_and_impossible_config_exits_1():
    p = subprocess.run([BIN, "engine", "--port", "http"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and "--port http" in p.stderr
    p = subprocess.run([BIN, "engine", "meta-llama/Meta-Llama-3-8B-Instruct", "--gpu-memory-utilization", "0.2",
                        "--port", "0"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 1 and "gpu_memory_utilization" in p.stderr
    p = subprocess.run([BIN, "engine", "--help"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0 and "--time-scale" in p.stdout
