"""Under load: the first seed's exact `hey` command against one engine, vLLM's
queueing (running capped by max-num-seqs, the rest waiting, no 429 unless
--max-waiting), graceful SIGTERM that finishes every stream in flight, and
the fault-injection endpoint."""
import concurrent.futures
import json
import re
import signal
import socket
import subprocess
import threading
import time

from test_engine_support import CHAT, Engine, metric, open_stream, sse_events

SEED_ARGS = ["Qwen/Qwen3-0.6B", "--served-model-name", "qwen3-0.6b", "--trust-remote-code",
             "--tensor_parallel_size=1", "--max-model-len", "2048", "--gpu-memory-utilization", "0.8"]


def test_seed_hey_command_all_200():
    with Engine(*SEED_ARGS, time_scale=200) as e:
        p = subprocess.run(["hey", "-n", "600", "-c", "60", "-m", "POST", "-H", "Content-Type: application/json",
                            "-d", '{"messages": [{"role": "user", "content": "Test it"}]}',
                            f"http://127.0.0.1:{e.port}/v1/chat/completions"],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        dist = re.search(r"Status code distribution:\s*\n((?:\s+\[\d+\].*\n)+)", p.stdout)
        assert dist, p.stdout
        codes = dict(re.findall(r"\[(\d+)\]\s+(\d+) responses", dist.group(1)))
        assert codes == {"200": "600"}, p.stdout
        m = e.metrics()
        assert metric(m, "vllm:request_success_total", finished_reason="stop") + \
            metric(m, "vllm:request_success_total", finished_reason="length") == 600
        assert metric(m, "vllm:e2e_request_latency_seconds_count") == 600
        assert metric(m, "vllm:num_requests_running") == 0
        assert metric(m, "vllm:num_requests_waiting") == 0
        assert metric(m, "vllm:prompt_tokens_total") == 600 * 10
        assert e.stop() == 0


def _start_streams(port, n, max_tokens):
    socks = []
    for _ in range(n):
        s, f, head = open_stream(port, {**CHAT, "max_tokens": max_tokens, "stream": True})
        assert head[0] == "HTTP/1.1 200 OK"
        socks.append((s, f))
    return socks


def test_running_capped_by_max_num_seqs_rest_waiting_no_429():
    with Engine("--max-num-seqs", "8", time_scale=2) as e:
        socks = _start_streams(e.port, 30, 400)
        deadline = time.time() + 10
        while time.time() < deadline:
            m = e.metrics()
            if metric(m, "vllm:num_requests_running") == 8 and metric(m, "vllm:num_requests_waiting") == 22:
                break
            time.sleep(0.05)
        assert metric(m, "vllm:num_requests_running") == 8
        assert metric(m, "vllm:num_requests_waiting") == 22
        assert metric(m, "vllm:kv_cache_usage_perc") > 0
        assert metric(m, "DCGM_FI_DEV_GPU_UTIL") > 50
        for s, f in socks:
            f.close()
            s.close()


def test_max_waiting_answers_429():
    with Engine("--max-num-seqs", "2", "--max-waiting", "3", time_scale=2) as e:
        socks = _start_streams(e.port, 5, 400)
        deadline = time.time() + 10
        while time.time() < deadline and metric(e.metrics(), "vllm:num_requests_waiting") < 3:
            time.sleep(0.05)
        status, headers, body = e.post("/v1/chat/completions", {**CHAT, "max_tokens": 1})
        assert status == 429
        assert headers.get("retry-after") == "1"
        assert body["error"]["code"] == 429
        for s, f in socks:
            f.close()
            s.close()


def test_sigterm_finishes_every_stream_in_flight_then_exits_0():
    with Engine("--max-num-seqs", "4", time_scale=10) as e:
        socks = _start_streams(e.port, 12, 60)  # 4 running, 8 waiting
        results = [None] * len(socks)

        def read(i):
            _, f = socks[i]
            payloads = [p for _, p in sse_events(f)]
            results[i] = payloads

        threads = [threading.Thread(target=read, args=(i,)) for i in range(len(socks))]
        for t in threads:
            t.start()
        time.sleep(0.3)
        e.signal(signal.SIGTERM)
        time.sleep(0.2)
        try:
            socket.create_connection(("127.0.0.1", e.port), timeout=1).close()
            refused = False
        except ConnectionRefusedError:
            refused = True
        assert refused, "no new connections after SIGTERM"
        for t in threads:
            t.join(timeout=30)
        assert e.proc.wait(timeout=30) == 0
        for payloads in results:
            assert payloads is not None and payloads[-1] == "[DONE]"
            assert json.loads(payloads[-2])["choices"][0]["finish_reason"] == "length"
            assert len(payloads) == 1 + 60 + 1  # role chunk, 60 tokens, [DONE]
        assert "drained" in e.output()
        for s, f in socks:
            f.close()
            s.close()


def test_faults_slowdown_error_rate_hang_crash():
    with Engine("--enable-faults", time_scale=20) as e:
        def fault(body):
            st, _, r = e.post("/admin/fault", body)
            assert st == 200, r
            return r

        def timed_request():
            t0 = time.monotonic()
            st, _, r = e.post("/v1/chat/completions", {**CHAT, "max_tokens": 100})
            assert st == 200
            return time.monotonic() - t0

        base = timed_request()
        assert fault({"slowdown": 4})["slowdown"] == 4
        slow = timed_request()
        assert slow > 2.5 * base, (base, slow)
        fault({"clear": True, "error_rate": 1.0})
        st, _, r = e.post("/v1/chat/completions", {**CHAT, "max_tokens": 1})
        assert st == 500 and r["error"]["type"] == "InternalServerError"
        fault({"error_rate": 0.5})
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            codes = list(ex.map(lambda _: e.post("/v1/chat/completions", {**CHAT, "max_tokens": 1})[0], range(60)))
        assert 10 < codes.count(500) < 50 and codes.count(200) + codes.count(500) == 60
        fault({"clear": True, "hang": True})
        try:
            e.request("GET", "/health", timeout=0.5)
            hung = False
        except socket.timeout:
            hung = True
        assert hung, "/health must not answer while hung"
        assert e.metrics() is not None  # /metrics still answers, as vLLM's API server does
        fault({"hang": False})
        assert e.request("GET", "/health")[0] == 200
        fault({"crash": True})
        assert e.proc.wait(timeout=10) == -signal.SIGKILL
        # Without --enable-faults there is no admin endpoint.
    with Engine() as e:
        assert e.request("POST", "/admin/fault", {"crash": True})[0] == 404
        assert e.stop() == 0
