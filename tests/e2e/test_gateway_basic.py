"""`spillway gateway` against small Python replicas: the OpenAI endpoints,
routing by model, errors as OpenAI JSON, the no-capacity queue, a suite of
malformed requests and slow clients that must not disturb anyone else,
SIGHUP reloads, metrics, the access log, and the command line's own errors."""
import json
import os
import socket
import time

import pytest

from conftest import run
from test_gateway_support import Gateway, Upstream, exchange, post_json


@pytest.fixture
def upstreams():
    made = []

    def make(*a, **kw):
        u = Upstream(*a, **kw)
        made.append(u)
        return u

    yield make
    for u in made:
        u.close()


@pytest.fixture
def gateway(tmp_path):
    made = []

    def make(endpoints, *args, **kw):
        g = Gateway(tmp_path, endpoints, "--workers", "2", "--scrape-interval", "0.2", *args, **kw)
        made.append(g)
        return g

    yield make
    for g in made:
        g.close()


def test_routes_by_model_and_lists_models(upstreams, gateway):
    a, b, c = upstreams("a"), upstreams("b"), upstreams("c")
    g = gateway([
        {"model": "qwen3-0.6b", "address": a.address, "cluster": "cluster1", "priority": 0},
        {"model": "qwen3-0.6b", "address": b.address, "cluster": "cluster2", "priority": 1},
        {"model": "llama", "address": c.address},
    ])
    for _ in range(10):
        status, _, body = post_json(g.port, {"model": "llama", "messages": []})
        assert status == 200 and json.loads(body)["server"] == "c"
    for path in ("/v1/chat/completions", "/v1/completions", "/v1/embeddings"):
        status, _, body = post_json(g.port, {"model": "qwen3-0.6b", "input": "x"}, path=path)
        assert status == 200 and json.loads(body)["server"] in ("a", "b")
    status, headers, body = exchange(g.port, b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")[:3]
    assert status == 200 and headers["content-type"] == "application/json"
    models = json.loads(body)
    assert models["object"] == "list"
    assert sorted(m["id"] for m in models["data"]) == ["llama", "qwen3-0.6b"]
    # Two models: a request naming none is ambiguous.
    status, _, body = post_json(g.port, {"messages": []})
    assert status == 400 and json.loads(body)["error"]["param"] == "model"


def test_default_model_and_unknown_model(upstreams, gateway):
    a = upstreams("a")
    g = gateway([{"model": "qwen3-0.6b", "address": a.address}])
    status, _, body = post_json(g.port, '{"messages": [{"role": "user", "content": "Test it"}]}')
    assert status == 200 and json.loads(body)["server"] == "a"
    t0 = time.time()
    status, _, body = post_json(g.port, {"model": "gpt-9"})
    assert status == 404 and time.time() - t0 < 1  # never queued
    err = json.loads(body)["error"]
    assert err["code"] == "model_not_found" and "gpt-9" in err["message"] and err["type"] == "invalid_request_error"


def test_no_capacity_queue_then_503_with_retry_after(upstreams, gateway, tmp_path):
    a = upstreams("a")
    # The model exists but has no replica yet (scaled to zero).
    g = gateway([{"model": "qwen3-0.6b"}], "--queue-deadline", "1", "--retry-after", "3")
    t0 = time.time()
    status, headers, body = post_json(g.port, {"model": "qwen3-0.6b"})
    waited = time.time() - t0
    assert status == 503 and headers["retry-after"] == "3"
    assert 0.9 <= waited < 5
    assert json.loads(body)["error"]["code"] == "no_capacity"
    # A request held in the queue is served as soon as a replica is ready.
    import threading
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("r", post_json(g.port, {"model": "qwen3-0.6b"})))
    t.start()
    time.sleep(0.3)
    assert g.metric("spillway_gateway_queue_length") == 1
    g.reload([{"model": "qwen3-0.6b", "address": a.address}])
    t.join(10)
    assert result["r"][0] == 200


@pytest.mark.parametrize("failure", ["refused", "503"])
def test_retry_on_another_replica(upstreams, gateway, failure):
    good = upstreams("good")
    if failure == "503":
        bad = upstreams("busy", status=503).address
    else:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            bad = f"127.0.0.1:{s.getsockname()[1]}"  # closed when the block ends: connection refused
    g = gateway([{"model": "m", "address": bad}, {"model": "m", "address": good.address}], "--scrape-interval", "0")
    for _ in range(20):
        status, _, body = post_json(g.port, {"model": "m"})
        assert status == 200, body
        assert json.loads(body)["server"] == "good"
    assert g.metric(f'spillway_gateway_retries_total{{reason="{failure}"}}') >= 1


def _post(body, extra=b""):
    return b"POST /v1/chat/completions HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s" % (extra, len(body), body)


MALFORMED = [
    (b"hello\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    (b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
    (b"POST /v1/chat/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    (_post(b"{bad}"), 400),
    (_post(b"[1,2]"), 400),
    (_post(b'{"model":42}'), 400),
    (_post(b'{"stream":"yes"}'), 400),
    (_post(b'{"model":"m"'), 400),
    (_post(b"\xff\xfe"), 400),
    (b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 413),
    (b"GET /v1/models HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", 431),
    (b"GET /v1/models HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(150)) + b"\r\n", 431),
    (b"GET /v1/models HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", 400),
    (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),
    (b"GET /v1/chat/completions HTTP/1.1\r\n\r\n", 405),
    (b"DELETE /v1/models HTTP/1.1\r\n\r\n", 405),
    (b"GET /admin HTTP/1.1\r\n\r\n", 404),
    (_post(b"{}", b"Expect: tea\r\n"), 417),
]


def test_malformed_requests_answered_and_others_unaffected(upstreams, gateway):
    a = upstreams("a")
    g = gateway([{"model": "m", "address": a.address}], "--max-body-bytes", "1048576")
    healthy = socket.create_connection(("127.0.0.1", g.port))
    ok = b'POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 13\r\n\r\n{"model":"m"}'
    assert exchange(g.port, ok, sock=healthy)[0] == 200
    for raw, want in MALFORMED:
        status, headers, body, closed = exchange(g.port, raw)
        assert status == want, (raw[:60], status, body)
        err = json.loads(body)["error"]
        assert err["message"] and err["type"]
        # the healthy keep-alive client keeps being served between the bad ones
        assert exchange(g.port, ok, sock=healthy)[0] == 200
    healthy.close()
    assert g.metric("spillway_gateway_client_errors_total") >= 10


def test_slow_clients_cut_off(upstreams, gateway):
    a = upstreams("a")
    g = gateway([{"model": "m", "address": a.address}], "--client-header-timeout", "1", "--client-body-timeout", "1")
    loris = socket.create_connection(("127.0.0.1", g.port))
    loris.sendall(b"POST /v1/chat/completions HTTP/1.1\r\n")
    slow_body = socket.create_connection(("127.0.0.1", g.port))
    slow_body.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
    t0 = time.time()
    # meanwhile, everyone else is served
    for _ in range(5):
        assert post_json(g.port, {"model": "m"})[0] == 200
    for s in (loris, slow_body):
        s.settimeout(5)
        try:
            while True:  # one header byte per 0.2 s for the first; nothing more for the second
                if s is loris:
                    s.sendall(b"X")
                data = s.recv(65536)
                if not data or b" 408 " in data:
                    break
                time.sleep(0.2)
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.close()
    assert time.time() - t0 < 4


def test_sighup_reload_and_terminating(upstreams, gateway):
    a, b = upstreams("a"), upstreams("b")
    g = gateway([{"model": "m", "address": a.address}])
    assert json.loads(post_json(g.port, {"model": "m"})[2])["server"] == "a"
    g.reload([{"model": "m", "address": a.address, "terminating": True}, {"model": "m", "address": b.address}])
    deadline = time.time() + 5
    while time.time() < deadline and "reloaded" not in g.output():
        time.sleep(0.05)
    before = a.requests
    for _ in range(10):
        status, _, body = post_json(g.port, {"model": "m"})
        assert status == 200 and json.loads(body)["server"] == "b"
    assert a.requests == before
    # a broken file keeps the previous endpoints
    g.reload("endpoints:\n- model: m\n  address: nowhere\n")
    deadline = time.time() + 5
    while time.time() < deadline and "reload failed" not in g.output():
        time.sleep(0.05)
    assert "endpoints.yaml:3: endpoints[0]: field \"address\"" in g.output()
    assert post_json(g.port, {"model": "m"})[0] == 200


def test_streaming_passes_through(upstreams, gateway):
    a = upstreams("a", stream_gap=0.3)
    g = gateway([{"model": "m", "address": a.address}])
    s = socket.create_connection(("127.0.0.1", g.port), timeout=10)
    body = b'{"model":"m","stream":true}'
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    t0 = time.time()
    arrivals, buf = [], b""
    while not buf.endswith(b"0\r\n\r\n"):
        d = s.recv(65536)
        assert d
        buf += d
        if b"data:" in d:
            arrivals.append(time.time() - t0)
    s.close()
    assert b"text/event-stream" in buf and buf.count(b"data:") == 3
    # chunks arrive as emitted (0.3 s apart), not all at the end
    assert arrivals[0] < 0.25 and len(arrivals) >= 3 and arrivals[-1] - arrivals[0] > 0.45


def test_metrics_and_access_log(upstreams, gateway, tmp_path):
    a = upstreams("a")
    log = tmp_path / "access.log"
    g = gateway([{"model": "m", "address": a.address, "cluster": "c1", "pod": "test/m-1"}],
                "--access-log-file", str(log))
    for _ in range(3):
        post_json(g.port, {"model": "m"})
    post_json(g.port, {"model": "zzz"})
    text = g.metrics()
    assert g.metric('spillway_gateway_requests_total{model="m",code="200",cluster="c1"}') == 3
    assert g.metric('spillway_gateway_requests_total{model="",code="404",cluster=""}') == 1
    assert 'spillway_gateway_ttfb_seconds_bucket{model="m",le="+Inf"} 3' in text
    assert 'spillway_gateway_request_duration_seconds_count{model="m"} 3' in text
    assert g.metric('spillway_gateway_inflight{model="m",pod="test/m-1",cluster="c1",replica="%s"}' % a.address) == 0
    assert g.metric("spillway_gateway_queue_length") == 0
    lines = log.read_text().splitlines()
    assert len(lines) == 4
    assert '"POST /v1/chat/completions" 200' in lines[0] and "model=m" in lines[0] and "cluster=c1" in lines[0]
    assert " 404 " in lines[3]


def test_no_access_log_by_default(upstreams, gateway):
    a = upstreams("a")
    g = gateway([{"model": "m", "address": a.address}])
    post_json(g.port, {"model": "m"})
    assert "/v1/chat/completions" not in g.output()


def test_command_line_errors(tmp_path):
    p = run("gateway", check=False)
    assert p.returncode == 2 and "--endpoints FILE is required" in p.stderr
    p = run("gateway", "--endpoints", "x", "--policy", "fastest", check=False)
    assert p.returncode == 2 and 'unknown policy "fastest"' in p.stderr
    p = run("gateway", "--endpoints", "x", "--workers", "zero", check=False)
    assert p.returncode == 2 and "--workers" in p.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("endpoints:\n- model: m\n  address: 127.0.0.1:99999\n")
    p = run("gateway", "--endpoints", str(bad), check=False)
    assert p.returncode == 1
    assert f"{bad}:3: endpoints[0]: field \"address\": expected host:port" in p.stderr
    p = run("gateway", "--endpoints", str(tmp_path / "missing.yaml"), check=False)
    assert p.returncode == 1 and "missing.yaml" in p.stderr
    assert "--policy NAME" in run("gateway", "--help").stdout


def test_listen_conflict_reported(upstreams, tmp_path):
    a = upstreams("a")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        f = tmp_path / "e.yaml"
        f.write_text(f"endpoints:\n- model: m\n  address: {a.address}\n")
        p = run("gateway", "--listen", f"127.0.0.1:{port}", "--endpoints", str(f), "--metrics-listen", "off",
                check=False)
        assert p.returncode == 1 and "cannot listen" in p.stderr
