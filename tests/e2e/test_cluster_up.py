"""End-to-end tests of the member-cluster layer inside `spillway up`: a local
Cluster runs a Deployment's replicas as processes; get clusters / nodes /
pods -o wide and logs show them; kill -9 of the control plane leaves no
orphaned replica once it restarts (replicas are cleaned, not adopted); a
graceful stop leaves no replica either.

Every test starts its own `spillway up` (time-scaled) on a free port with a
temporary state directory, and kills everything it started at the end."""
import glob
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from conftest import BIN, free_port

PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"

MANIFEST = f"""
apiVersion: spillway.io/v1alpha1
kind: Cluster
metadata:
  name: local1
spec:
  driver: local
  runtime: process
  nodePools:
  - name: gpu
    type: static
    nodes: 1
    gpusPerNode: 2
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: web
        image: python:3
        command: ["sh", "-c", "echo hello-from-$SPILLWAY_POD_NAME; exec {PY} -m http.server 8000 --bind 127.0.0.1"]
        ports:
        - containerPort: 8000
        readinessProbe:
          tcpSocket:
            port: 8000
          periodSeconds: 2
        resources:
          limits:
            nvidia.com/gpu: "1"
---
apiVersion: work.spillway.io/v1alpha1
kind: ResourceBinding
metadata:
  name: web-deployment
  namespace: default
spec:
  resource: {{apiVersion: apps/v1, kind: Deployment, namespace: default, name: web}}
  replicas: 2
  clusters:
  - name: local1
    replicas: 2
"""


class Up:
    """One `spillway up` process on a state directory."""

    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.port = free_port()
        self.proc = None
        self.log_path = os.path.join(os.path.dirname(state_dir), "up.log")
        self.env = dict(os.environ, SPILLWAY_STATE_DIR=state_dir)
        self.env.pop("SPILLWAY_SERVER", None)
        self.env.pop("SPILLWAY_TOKEN", None)

    def start(self, timeout=20):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [BIN, "up", "--state-dir", self.state_dir, "--listen", f"127.0.0.1:{self.port}",
             "--time-scale", "20", "--example", "none",
             "--gateway", "127.0.0.1:0", "--gateway-metrics", "0"], stdout=log, stderr=log)
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert self.proc.poll() is None, f"spillway up exited {self.proc.returncode}:\n{self.log()}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except urllib.error.HTTPError:
                return self  # it answers (the API wants a token): it is up
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.05)
        raise AssertionError(f"spillway up did not answer within {timeout}s:\n{self.log()}")

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def cli(self, *args, input=None, check=True):
        p = subprocess.run([BIN, *args], capture_output=True, text=True, input=input, env=self.env, timeout=30)
        if check and p.returncode != 0:
            raise AssertionError(f"spillway {' '.join(args)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}\n"
                                 f"--- up log ---\n{self.log()}")
        return p

    def pods(self):
        out = self.cli("get", "pods", "-A", "-o", "json").stdout
        doc = json.loads(out) if out.strip() else {"items": []}
        return doc.get("items", doc if isinstance(doc, list) else [])

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                raise AssertionError(f"spillway up did not stop within {timeout}s:\n{self.log()}")


def ready(pod):
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in pod.get("status", {}).get("conditions", []))


def wait_for(fn, timeout, what, up=None):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}" + (f"\n--- up log ---\n{up.log()}" if up else ""))


def replica_groups(state_dir):
    """Process groups of the replicas, from the local driver's pid records."""
    groups = {}
    for path in glob.glob(os.path.join(state_dir, "clusters", "*", "pids", "*.pid")):
        try:
            with open(path) as f:
                groups[int(json.load(f)["pid"])] = path
        except (OSError, ValueError, KeyError):
            pass
    return groups


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="sw-cluster-e2e-")
    ups = []
    seen_groups = set()
    yield d, ups, seen_groups
    for up in ups:
        up.kill9()
    for pgid in list(seen_groups) + list(replica_groups(os.path.join(d, "state"))):
        if group_alive(pgid):
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                pass
    shutil.rmtree(d, ignore_errors=True)


def two_ready(up):
    pods = up.pods()
    return pods if len(pods) == 2 and all(ready(p) for p in pods) else None


def test_cli_shows_clusters_nodes_pods_and_logs(workdir):
    d, ups, seen = workdir
    up = Up(os.path.join(d, "state"))
    ups.append(up)  # registered before it starts, so the fixture kills it whatever happens
    up.start()
    up.cli("apply", "-f", "-", input=MANIFEST)
    pods = wait_for(lambda: two_ready(up), 30, "two Ready replicas", up)
    seen.update(replica_groups(up.state_dir))
    for p in pods:
        assert p["metadata"]["labels"]["spillway.io/cluster"] == "local1"
        assert p["spec"]["nodeName"] == "local1-gpu-0"
        port = p["status"]["portMap"]["8000"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert r.status == 200

    out = up.cli("get", "clusters").stdout
    assert "local1" in out and "True" in out, out
    out = up.cli("get", "nodes", "-o", "wide").stdout
    assert "local1-gpu-0" in out and "local1" in out, out
    out = up.cli("get", "pods", "-o", "wide").stdout
    for p in pods:
        assert p["metadata"]["name"] in out, out
    assert "gpu" in out and "127.0.0.1:" in out, out
    name = pods[0]["metadata"]["name"]
    logs = wait_for(lambda: (lambda o: o if f"hello-from-{name}" in o else None)(up.cli("logs", name).stdout),
                    10, "the replica's log line", up)
    assert f"hello-from-{name}" in logs
    out = up.cli("get", "events", "-A").stdout
    assert "Scheduled" in out and "Started" in out, out

    # a graceful stop stops every replica and removes its records
    up.stop()
    for pgid in seen:
        wait_for(lambda: not group_alive(pgid), 10, f"replica group {pgid} to stop")
    assert replica_groups(up.state_dir) == {}


def test_kill9_of_control_plane_leaves_no_orphans(workdir):
    d, ups, seen = workdir
    state = os.path.join(d, "state")
    up = Up(state)
    ups.append(up)
    up.start()
    up.cli("apply", "-f", "-", input=MANIFEST)
    old = wait_for(lambda: two_ready(up), 30, "two Ready replicas", up)
    old_names = {p["metadata"]["name"] for p in old}
    groups = replica_groups(state)
    assert len(groups) == 2, groups
    seen.update(groups)
    for pgid in groups:
        assert group_alive(pgid)

    up.kill9()

    # restart on the same state directory: the old replicas are cleaned
    up2 = Up(state)
    ups.append(up2)
    up2.start()
    for pgid in groups:
        wait_for(lambda: not group_alive(pgid), 10, f"orphan replica group {pgid} to be cleaned", up2)
    # and the workload runs again with new pods
    new = wait_for(lambda: (lambda ps: ps if ps and not ({p["metadata"]["name"] for p in ps} & old_names) else None)(
        two_ready(up2)), 30, "two new Ready replicas", up2)
    assert len(new) == 2
    seen.update(replica_groups(state))
    up2.stop()
    for pgid in seen:
        wait_for(lambda: not group_alive(pgid), 10, f"replica group {pgid} to stop")
