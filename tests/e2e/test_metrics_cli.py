"""`spillway metrics scrape` and `spillway metrics query` against real servers
on 127.0.0.1: a vLLM-like /metrics endpoint served from this process, and
Debian's real Prometheus (/usr/bin/prometheus) scraping it with the
kubernetes_namespace / kubernetes_pod_name target labels the seed's
prometheus-adapter rules expect."""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import ROOT, free_port, run

SEED_RULES = os.path.join(ROOT, "tests", "fuzz", "corpus", "adapter_rules", "seed_rules.yaml")
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
POD = "qwen3-5d8f7c9b6d-abcde"

VLLM_METRICS = """# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="qwen3-0.6b"} 3.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="qwen3-0.6b"} 58.0
# HELP vllm:generation_tokens_total Number of generation tokens processed.
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{engine="0",model_name="qwen3-0.6b"} %d
# HELP vllm:e2e_request_latency_seconds Histogram of e2e request latency in seconds.
# TYPE vllm:e2e_request_latency_seconds histogram
vllm:e2e_request_latency_seconds_bucket{engine="0",le="0.3",model_name="qwen3-0.6b"} 1.0
vllm:e2e_request_latency_seconds_bucket{engine="0",le="+Inf",model_name="qwen3-0.6b"} 4.0
vllm:e2e_request_latency_seconds_count{engine="0",model_name="qwen3-0.6b"} 4.0
vllm:e2e_request_latency_seconds_sum{engine="0",model_name="qwen3-0.6b"} 2.5
# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %%).
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-1"} 73
"""


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        srv = self.server
        srv.hits += 1
        if self.path.startswith("/broken"):
            body = b'ok 1\nbroken{model_name "x"} 2\n'
        else:
            # a counter growing by 100 per scrape, so a rate exists
            body = (VLLM_METRICS % (1000 + 100 * srv.hits)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def vllm_server():
    srv = ThreadingHTTPServer(("127.0.0.1", free_port()), _Handler)
    srv.hits = 0
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def _url(srv, path="/metrics"):
    return f"http://127.0.0.1:{srv.server_address[1]}{path}"


def test_scrape_prints_families_and_resolved_metrics(vllm_server):
    p = run("metrics", "scrape", _url(vllm_server), "--count", "2", "--interval", "0.3",
            "--namespace", "test", "--pod", POD)
    out = json.loads(p.stdout)
    assert out["scrapes"] == 2
    fams = {f["name"]: f for f in out["families"]}
    assert fams["vllm:num_requests_waiting"]["type"] == "gauge"
    assert fams["vllm:e2e_request_latency_seconds"]["type"] == "histogram"
    assert len(fams["vllm:e2e_request_latency_seconds"]["samples"]) == 4
    inf = [s for s in fams["vllm:e2e_request_latency_seconds"]["samples"] if s["labels"].get("le") == "+Inf"]
    assert inf and inf[0]["value"] == 4.0
    m = out["metrics"]
    assert m["num_requests_waiting"]["value"] == 58.0
    assert m["num_requests_waiting"]["series"] == "vllm:num_requests_waiting"
    assert m["vllm:num_requests_running"]["value"] == 3.0
    assert m["DCGM_FI_DEV_GPU_UTIL"]["value"] == 73.0
    # the counter grew by 100 between two scrapes 0.3 s apart: a positive rate over [1m]
    assert m["generation_tokens"]["value"] > 0
    assert "rate(vllm:generation_tokens_total" in m["generation_tokens"]["query"]


def test_scrape_with_seed_rules_resolves_only_what_they_name(vllm_server):
    p = run("metrics", "scrape", _url(vllm_server), "--rules", SEED_RULES, "--namespace", "test", "--pod", POD)
    out = json.loads(p.stdout)
    assert sorted(out["metrics"]) == ["num_requests_running", "num_requests_waiting"]
    assert out["metrics"]["num_requests_running"]["value"] == 3.0
    assert out["metrics"]["num_requests_waiting"]["query"] == (
        'sum(vllm:num_requests_waiting{kubernetes_namespace="test",kubernetes_pod_name="%s"}) '
        "by (kubernetes_pod_name)" % POD)


def test_scrape_errors_say_what_failed(vllm_server):
    port = free_port()
    p = run("metrics", "scrape", f"http://127.0.0.1:{port}/metrics", check=False)
    assert p.returncode == 1
    assert f"http://127.0.0.1:{port}/metrics: connection refused" in p.stderr
    p = run("metrics", "scrape", _url(vllm_server, "/broken"), check=False)
    assert p.returncode == 1
    assert "line 2: expected '=' after label name \"model_name\"" in p.stderr


def test_rules_check_and_defaults(tmp_path):
    p = run("metrics", "rules", "--rules", SEED_RULES)
    assert "seriesQuery vllm:num_requests_waiting -> name num_requests_waiting, pod label kubernetes_pod_name" \
        in p.stdout
    p = run("metrics", "rules")
    assert "seriesQuery: '{__name__=~\"vllm:.+\"}'" in p.stdout
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n- seriesQuery: 'vllm:x'\n  name: {matches: '(a'}\n  metricsQuery: 'x'\n")
    p = run("metrics", "rules", "--rules", str(bad), check=False)
    assert p.returncode == 1
    assert f"{bad}:3: rules[0].name: matches: regular expression \"(a\"" in p.stderr


@pytest.fixture
def prometheus(vllm_server):
    if not os.path.exists(PROMETHEUS):
        pytest.skip("Debian's prometheus is not installed (scripts/deps.sh installs it)")
    tmp = tempfile.mkdtemp(prefix="spillway-prom-")
    port = free_port()
    cfg = os.path.join(tmp, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
scrape_configs:
- job_name: vllm
  static_configs:
  - targets: ['127.0.0.1:{vllm_server.server_address[1]}']
    labels:
      kubernetes_namespace: test
      kubernetes_pod_name: {POD}
""")
    log = open(os.path.join(tmp, "prometheus.log"), "w")
    proc = subprocess.Popen([PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={tmp}/data",
                             f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            assert proc.poll() is None, open(os.path.join(tmp, "prometheus.log")).read()
            try:
                q = urllib.request.urlopen(url + "/api/v1/query?query=vllm:num_requests_waiting", timeout=1)
                if json.load(q)["data"]["result"]:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        else:
            raise AssertionError("prometheus never scraped the target:\n" +
                                 open(os.path.join(tmp, "prometheus.log")).read())
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


def test_query_through_real_prometheus_with_seed_rules(prometheus):
    p = run("metrics", "query", "--prometheus", prometheus, "--rules", SEED_RULES,
            "--namespace", "test", "--pod", POD, "num_requests_waiting")
    assert p.stdout.strip() == "58"
    p = run("metrics", "query", "--prometheus", prometheus, "--rules", SEED_RULES,
            "--namespace", "test", "--pod", POD, "num_requests_running",
            "--selector", '{"matchLabels": {"model_name": "qwen3-0.6b"}}')
    assert p.stdout.strip() == "3"


def test_query_errors_name_metric_pod_and_what_was_tried(prometheus):
    p = run("metrics", "query", "--prometheus", prometheus, "--rules", SEED_RULES,
            "--namespace", "test", "--pod", "qwen3-5d8f7c9b6d-zzzzz", "num_requests_waiting", check=False)
    assert p.returncode == 1
    assert ('no metric "num_requests_waiting" for pod test/qwen3-5d8f7c9b6d-zzzzz: Prometheus at %s answered '
            'query "sum(vllm:num_requests_waiting{kubernetes_namespace="test",kubernetes_pod_name='
            '"qwen3-5d8f7c9b6d-zzzzz"}) by (kubernetes_pod_name)" with no sample whose kubernetes_pod_name is '
            '"qwen3-5d8f7c9b6d-zzzzz"' % prometheus) in p.stderr
    p = run("metrics", "query", "--prometheus", prometheus, "--rules", SEED_RULES,
            "--namespace", "test", "--pod", POD, "kv_cache_usage_perc", check=False)
    assert p.returncode == 1
    assert 'no rule gives the name "kv_cache_usage_perc" to a series at Prometheus' in p.stderr
    # a rule whose series Prometheus does not have
    p = run("metrics", "query", "--prometheus", prometheus, "--rules", SEED_RULES,
            "--namespace", "test", "--pod", POD, "num_requests_running", "--selector",
            '{"matchLabels": {"model_name": "other"}}', check=False)
    assert p.returncode == 1
    assert "with no sample whose kubernetes_pod_name is" in p.stderr


def test_query_unreachable_prometheus():
    port = free_port()
    p = run("metrics", "query", "--prometheus", f"http://127.0.0.1:{port}", "--rules", SEED_RULES,
            "--namespace", "test", "--pod", POD, "num_requests_waiting", "--timeout", "2", check=False)
    assert p.returncode == 1
    assert (f'no metric "num_requests_waiting" for pod test/{POD}: Prometheus at http://127.0.0.1:{port} did not '
            f'answer series query "vllm:num_requests_waiting" (connection refused)') in p.stderr


def test_usage_errors():
    p = run("metrics", check=False)
    assert p.returncode == 2
    p = run("metrics", "query", "num_requests_waiting", check=False)
    assert p.returncode == 2
    assert "needs --prometheus URL" in p.stderr
    p = run("metrics", "frob", check=False)
    assert p.returncode == 2
    assert 'unknown subcommand "frob"' in p.stderr
