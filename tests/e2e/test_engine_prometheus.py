"""A real Prometheus server (Debian's `prometheus`) scrapes the engine every
second and answers a PromQL query on vllm:num_requests_running with the
number of requests the engine is running, then with 0 once they finish."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import pytest

from conftest import free_port
from test_engine_support import CHAT, Engine, open_stream

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


def query(port, promql):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=5) as r:
        body = json.load(r)
    assert body["status"] == "success", body
    return body["data"]["result"]


@pytest.fixture
def prometheus_for():
    procs = []
    dirs = []

    def start(target_port):
        d = tempfile.mkdtemp(prefix="prom-")
        dirs.append(d)
        cfg = os.path.join(d, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: engine\n    scrape_interval: 1s\n"
                    f"    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n")
        port = free_port()
        log = open(os.path.join(d, "log"), "w")
        p = subprocess.Popen([PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={d}/data",
                              f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                             stdout=log, stderr=subprocess.STDOUT)
        procs.append(p)
        deadline = time.time() + 30
        while time.time() < deadline:
            assert p.poll() is None, open(os.path.join(d, "log")).read()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=1)
                return port
            except OSError:
                time.sleep(0.1)
        raise AssertionError("prometheus did not become ready")

    yield start
    for p in procs:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.skipif(not os.path.exists(PROMETHEUS), reason="prometheus is not installed")
def test_prometheus_scrapes_num_requests_running(prometheus_for):
    with Engine(time_scale=1) as e:
        prom = prometheus_for(e.port)
        # Prometheus applies new targets a few seconds after it starts: wait
        # for its first scrape of the engine before loading it.
        deadline = time.time() + 30
        while time.time() < deadline and not query(prom, 'up{job="engine"} == 1'):
            time.sleep(0.2)
        assert query(prom, 'up{job="engine"} == 1'), "prometheus never scraped the engine"
        # 12 long streams (10000 tokens at a few ms each: longer than the
        # test); they are closed as soon as Prometheus has seen them.
        socks = [open_stream(e.port, {**CHAT, "max_tokens": 10000, "stream": True}) for _ in range(12)]
        value = None
        deadline = time.time() + 20
        while time.time() < deadline:
            res = query(prom, 'vllm:num_requests_running{model_name="Qwen/Qwen3-0.6B"}')
            if res and float(res[0]["value"][1]) == 12:
                value = res[0]
                break
            time.sleep(0.3)
        assert value is not None, query(prom, "vllm:num_requests_running")
        assert value["metric"]["engine"] == "0"
        assert value["metric"]["job"] == "engine"
        for s, f, _ in socks:
            f.close()
            s.close()
        deadline = time.time() + 20
        while time.time() < deadline:
            res = query(prom, "vllm:num_requests_running")
            if res and float(res[0]["value"][1]) == 0:
                break
            time.sleep(0.3)
        assert float(res[0]["value"][1]) == 0
        # A histogram and a DCGM gauge made it into the TSDB too.
        assert query(prom, "vllm:time_to_first_token_seconds_count")
        assert query(prom, "DCGM_FI_DEV_GPU_UTIL")
        assert e.stop() == 0
