"""The gateway in front of real `spillway engine` replicas in two clusters:
the first seed's hey run with zero non-200, streaming time to first byte
through the gateway within 1 ms of the engine's own, a replica killed during
a hey run losing nothing, and a scale-in (terminating, then SIGTERM) during a
run failing nothing."""
import re
import signal
import socket
import statistics
import subprocess
import threading
import time

import pytest

from conftest import TIMING_BIN
from test_gateway_support import Gateway, engine_available, hey, start_engine, stop

pytestmark = pytest.mark.skipif(not engine_available(), reason="spillway engine is not part of this build")


@pytest.fixture
def engines():
    made = []

    def make(n, **kw):
        out = [start_engine(**kw) for _ in range(n)]
        made.extend(p for p, _ in out)
        return out

    yield make
    for p in made:
        stop(p, signal.SIGKILL)


@pytest.fixture
def gateway(tmp_path):
    made = []

    def make(endpoints, *args, **kw):
        g = Gateway(tmp_path, endpoints, *args, **kw)
        made.append(g)
        return g

    yield make
    for g in made:
        g.close()


def two_clusters(ports):
    return [{"model": "qwen3-0.6b", "address": f"127.0.0.1:{ports[0]}", "cluster": "cluster1", "priority": 0,
             "pod": "test/qwen3-a"},
            {"model": "qwen3-0.6b", "address": f"127.0.0.1:{ports[1]}", "cluster": "cluster2", "priority": 1,
             "pod": "test/qwen3-b"}]


def test_seed_hey_through_gateway_two_clusters(engines, gateway):
    (pa, a), (pb, b) = engines(2)
    g = gateway(two_clusters([a, b]))
    codes, errors, out = hey(g.url(), n=600, c=60)
    assert codes == {200: 600}, out
    assert not errors, out
    # both clusters served
    assert g.metric('spillway_gateway_requests_total{model="qwen3-0.6b",code="200",cluster="cluster1"}') > 0
    assert g.metric('spillway_gateway_requests_total{model="qwen3-0.6b",code="200",cluster="cluster2"}') > 0


def _stream_times(port, body):
    """Seconds from sending to (first response byte, first content token, end)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    raw = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(body)}\r\n\r\n{body}").encode()
    t0 = time.perf_counter()
    s.sendall(raw)
    first = token = None
    buf = b""
    while b"data: [DONE]" not in buf:
        d = s.recv(65536)
        assert d, "stream cut"
        now = time.perf_counter() - t0
        if first is None:
            first = now
        buf += d
        if token is None and re.search(rb'"content":"[^"]', buf):
            token = now
    s.close()
    return first, token, time.perf_counter() - t0


def test_stream_ttfb_within_1ms_of_engine(engines, gateway):
    (pa, a), = engines(1, time_scale=1, bin=TIMING_BIN)
    g = gateway([{"model": "qwen3-0.6b", "address": f"127.0.0.1:{a}"}], "--workers", "1", bin=TIMING_BIN)
    body = '{"model":"qwen3-0.6b","stream":true,"max_tokens":4,"messages":[{"role":"user","content":"Test it"}]}'
    for _ in range(3):  # warm both paths (connections, pools)
        _stream_times(a, body)
        _stream_times(g.port, body)
    # Noise on a shared 2-core machine only ever adds latency, so the budget
    # is judged on the best of up to three interleaved series of 41.
    attempts = []
    for _ in range(3):
        direct, via = [], []
        for i in range(41):  # interleaved, so drift hits both alike
            for port, out in ((a, direct), (g.port, via)) if i % 2 == 0 else ((g.port, via), (a, direct)):
                out.append(_stream_times(port, body))
        med = lambda xs, k: statistics.median(x[k] for x in xs)
        attempts.append((med(via, 0) - med(direct, 0), med(via, 1) - med(direct, 1)))
        print(f"added first byte {attempts[-1][0] * 1000:.3f} ms, first token {attempts[-1][1] * 1000:.3f} ms")
        if max(attempts[-1]) < 0.001:
            break
    added_first, added_token = min(attempts, key=max)
    assert added_first < 0.001, f"first byte: +{added_first * 1000:.3f} ms"
    assert added_token < 0.001, f"first token: +{added_token * 1000:.3f} ms"
    # chunks arrive as the engine emits them: the first token well before the end
    assert all(t[1] < t[2] for t in via)


def _hey_async(url, n, c):
    result = {}
    t = threading.Thread(target=lambda: result.update(zip(("codes", "errors", "out"), hey(url, n=n, c=c))))
    t.start()
    return t, result


def test_killed_replica_loses_no_request(engines, gateway):
    (pa, a), (pb, b), (pc, c) = engines(3)
    eps = two_clusters([a, b]) + [{"model": "qwen3-0.6b", "address": f"127.0.0.1:{c}", "cluster": "cluster2",
                                   "priority": 1, "pod": "test/qwen3-c"}]
    g = gateway(eps, "--scrape-interval", "0.5")
    t, result = _hey_async(g.url(), 1500, 60)
    time.sleep(1.0)
    assert t.is_alive(), "the run ended before the kill"
    pb.send_signal(signal.SIGKILL)
    t.join(120)
    assert result["codes"] == {200: 1500}, result["out"]
    assert not result["errors"], result["out"]
    retried = sum(g.metric(f'spillway_gateway_retries_total{{reason="{r}"}}') or 0
                  for r in ("refused", "reset", "stale_keepalive"))
    print(f"requests moved off the killed replica: {retried:.0f}")


def test_scale_in_during_run_fails_nothing(engines, gateway):
    (pa, a), (pb, b) = engines(2)
    eps = two_clusters([a, b])
    g = gateway(eps)
    t, result = _hey_async(g.url(), 1500, 60)
    time.sleep(0.8)
    assert t.is_alive(), "the run ended before the scale-in"
    # as the cluster layer does it: terminating first (no new requests) ...
    eps[1]["terminating"] = True
    g.reload(eps)
    series = 'spillway_gateway_replica_routable{model="qwen3-0.6b",pod="test/qwen3-b",cluster="cluster2",' \
             f'replica="127.0.0.1:{b}"}}'
    deadline = time.time() + 5
    while g.metric(series) != 0 and time.time() < deadline:
        time.sleep(0.02)
    assert g.metric(series) == 0
    # ... then SIGTERM: the engine finishes what it has in flight and exits
    pb.send_signal(signal.SIGTERM)
    assert pb.wait(30) == 0
    t.join(120)
    assert result["codes"] == {200: 1500}, result["out"]
    assert not result["errors"], result["out"]
    assert g.metric('spillway_gateway_requests_total{model="qwen3-0.6b",code="200",cluster="cluster2"}') > 0
