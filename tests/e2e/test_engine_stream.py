"""Streaming as vLLM does it: SSE `data:` events in HTTP chunks, a role chunk
first, one chunk per token with the model's timing, the finish reason on the
last token, the usage chunk, `data: [DONE]`; a client that leaves mid-stream
aborts its request and the engine keeps serving."""
import json
import statistics
import time

from test_engine_support import CHAT, Engine, metric, open_stream, sse_events


def test_sse_framing_token_by_token_with_model_timing():
    # time-scale 1 with the 8B profile: ~7 ms between tokens, easy to see.
    with Engine("meta-llama/Meta-Llama-3-8B-Instruct", "--emit-token-times", time_scale=1) as e:
        s, f, head = open_stream(e.port, {**CHAT, "max_tokens": 40, "stream": True,
                                          "stream_options": {"include_usage": True}})
        assert head[0] == "HTTP/1.1 200 OK"
        assert "Transfer-Encoding: chunked" in head
        assert any(h.startswith("Content-Type: text/event-stream") for h in head)
        events = list(sse_events(f))
        f.close()
        s.close()
        payloads = [p for _, p in events]
        assert payloads[-1] == "[DONE]"
        chunks = [json.loads(p) for p in payloads[:-1]]
        ids = {c["id"] for c in chunks}
        assert len(ids) == 1 and ids.pop().startswith("chatcmpl-")
        assert all(c["object"] == "chat.completion.chunk" for c in chunks)
        assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
        usage = chunks[-1]
        assert usage["choices"] == [] and usage["usage"] == {"prompt_tokens": 10, "completion_tokens": 40,
                                                             "total_tokens": 50}
        tokens = chunks[1:-1]
        assert len(tokens) == 40
        assert all(t["choices"][0]["finish_reason"] is None for t in tokens[:-1])
        assert tokens[-1]["choices"][0]["finish_reason"] == "length"
        text = "".join(t["choices"][0]["delta"]["content"] for t in tokens)
        assert len(text.split()) == 40
        # Token times from the model increase by a step each; the client sees
        # the same spacing (loose bound: this machine is shared).
        times = [t["spillway_token_time"] for t in tokens]
        model_gaps = [b - a for a, b in zip(times, times[1:])]
        assert all(0.005 < g < 0.02 for g in model_gaps), model_gaps
        arrivals = [a for a, p in events[1:-2]]
        client_gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
        errors = [abs(c - m) for c, m in zip(client_gaps, model_gaps)]
        assert statistics.median(errors) < 0.004, statistics.median(errors)
        assert e.stop() == 0


def test_completions_stream_and_keep_alive():
    with Engine(time_scale=50) as e:
        s, f, head = open_stream(e.port, {"prompt": "Once upon a time", "max_tokens": 5, "stream": True},
                                 path="/v1/completions")
        chunks = [json.loads(p) for _, p in sse_events(f) if p != "[DONE]"]
        assert len(chunks) == 5
        assert all(c["object"] == "text_completion" for c in chunks)
        assert chunks[-1]["choices"][0]["finish_reason"] == "length"
        assert "usage" not in chunks[-1]
        # Same connection, next request (keep-alive after a chunked reply).
        payload = json.dumps({**CHAT, "max_tokens": 2}).encode()
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + str(len(payload)).encode()
                  + b"\r\n\r\n" + payload)
        status = f.readline()
        assert status.startswith(b"HTTP/1.1 200")
        f.close()
        s.close()


def test_client_leaving_mid_stream_aborts_and_frees_the_slot():
    with Engine(time_scale=5) as e:
        s, f, _ = open_stream(e.port, {**CHAT, "max_tokens": 2000, "stream": True})
        events = sse_events(f)
        for _ in range(5):
            next(events)
        m = e.metrics()
        assert metric(m, "vllm:num_requests_running") == 1
        f.close()
        s.close()
        deadline = time.time() + 10
        while time.time() < deadline:
            m = e.metrics()
            if metric(m, "vllm:request_success_total", finished_reason="abort") == 1:
                break
            time.sleep(0.05)
        assert metric(m, "vllm:request_success_total", finished_reason="abort") == 1
        assert metric(m, "vllm:num_requests_running") == 0
        assert metric(m, "vllm:kv_cache_usage_perc") == 0
        st, _, r = e.post("/v1/chat/completions", {**CHAT, "max_tokens": 3})
        assert st == 200 and r["usage"]["completion_tokens"] == 3
        assert e.stop() == 0
