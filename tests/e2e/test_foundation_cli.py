"""End-to-end tests of the foundation: `spillway up` (store + API server) and
the client commands apply/get/describe/delete/scale/logs, against the real
binary on 127.0.0.1. Every test starts its own control plane on a free port
with a temporary state directory and stops it at the end."""
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from conftest import BIN, ROOT, free_port, run

HERE = os.path.dirname(os.path.abspath(__file__))
SETS = ["--set", "cluster1_id=cluster1", "--set", "cluster2_id=cluster2",
        "--set", "waiting_size=5", "--set", "running_size=10"]


def seed1_dir():
    """The seed's manifests: examples/seed1 when helper A's copies are there,
    else this suite's own copies."""
    ex = os.path.join(ROOT, "examples", "seed1")
    need = ("deployment.yaml", "propagationpolicy.yaml", "federatedhpa.yaml")
    if all(os.path.exists(os.path.join(ex, f)) for f in need):
        return ex
    return os.path.join(HERE, "data", "seed1")


class ControlPlane:
    """One `spillway up` process with its own state directory."""

    def __init__(self, state_dir, port=None):
        self.state_dir = state_dir
        self.port = port or free_port()
        self.proc = None
        self.log_path = os.path.join(os.path.dirname(state_dir), "up.log")
        self.env = dict(os.environ, SPILLWAY_STATE_DIR=state_dir)
        self.env.pop("SPILLWAY_SERVER", None)
        self.env.pop("SPILLWAY_TOKEN", None)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=20):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [BIN, "up", "--state-dir", self.state_dir, "--listen", f"127.0.0.1:{self.port}",
             "--time-scale", "10", "--example", "none",
             # the foundation alone: store and API server, no controller writing
             "--controllers", "none", "--gateway", "off"], stdout=log, stderr=log)
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"spillway up exited {self.proc.returncode}:\n{self.log()}")
            try:
                if self.http("GET", "/healthz")[0] == 200:
                    return self
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.05)
        raise AssertionError(f"spillway up did not answer within {timeout}s:\n{self.log()}")

    def token(self):
        with open(os.path.join(self.state_dir, "token")) as f:
            return f.read().strip()

    def http(self, method, path, body=None, token=True, ctype="application/json"):
        req = urllib.request.Request(self.url + path, method=method,
                                     data=body.encode() if isinstance(body, str) else body)
        if token:
            req.add_header("Authorization", f"Bearer {self.token() if token is True else token}")
        if body is not None:
            req.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def revision(self):
        """The store's revision (every list carries it): unchanged means
        nothing at all was written."""
        st, body = self.http("GET", "/api/v1/events")
        assert st == 200, body
        return int(json.loads(body)["metadata"]["resourceVersion"])

    def sw(self, *args, check=True, input=None, timeout=120):
        return run(*args, check=check, input=input, env=self.env, timeout=timeout)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"spillway up did not stop on {sig}:\n{self.log()}")
        return self.proc.returncode if self.proc else None

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()[-4000:]
        except OSError:
            return ""


@pytest.fixture
def tmpdir_():
    d = tempfile.mkdtemp(prefix="sw-foundation-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def cp(tmpdir_):
    c = ControlPlane(os.path.join(tmpdir_, "state"))
    c.start()
    try:
        yield c
    finally:
        if c.proc and c.proc.poll() is None:
            c.proc.kill()
            c.proc.wait()


def apply_seed(cp):
    return cp.sw("apply", "-f", seed1_dir(), *SETS)


def snapshot(cp):
    """What `get -A` shows for the user kinds, plus the store revision."""
    out = []
    for kind in ("deploy", "svc", "pp", "fhpa", "hpa"):
        out.append(cp.sw("get", kind, "-A", "-o", "name").stdout)
    return out, cp.revision()


# ---- apply / get / describe ------------------------------------------------------------

def test_apply_seed_get_describe(cp):
    p = apply_seed(cp)
    lines = p.stdout.splitlines()
    for want in ("deployment.apps/qwen3 created",
                 "propagationpolicy.policy.one.alibabacloud.com/vllm-deploy-pp created",
                 "federatedhpa.autoscaling.one.alibabacloud.com/vllm-fhpa created"):
        assert want in lines, p.stdout
    assert all(l.endswith(" created") for l in lines), p.stdout
    p = apply_seed(cp)
    assert all(l.endswith(" unchanged") for l in p.stdout.splitlines()), p.stdout

    # the seed's `kubectl get fhpa -n test` header and row
    p = cp.sw("get", "fhpa", "-n", "test")
    header, row = p.stdout.splitlines()[0].split(), p.stdout.splitlines()[1].split()
    assert header == ["NAME", "REFERENCE", "MINPODS", "MAXPODS", "REPLICAS", "AGE"], p.stdout
    assert row[:4] == ["vllm-fhpa", "Deployment/qwen3", "1", "10"], p.stdout

    p = cp.sw("get", "deployments", "-n", "test")
    assert p.stdout.splitlines()[0].split()[0] == "NAME"
    assert p.stdout.splitlines()[1].split()[0] == "qwen3"
    p = cp.sw("get", "deploy/qwen3", "-n", "test", "-o", "name")
    assert p.stdout == "deployment.apps/qwen3\n"
    p = cp.sw("get", "pp", "-A", "-o", "json")
    items = json.loads(p.stdout)["items"]
    assert [i["metadata"]["name"] for i in items] == ["vllm-deploy-pp"]
    assert items[0]["spec"]["placement"]["clusterAffinities"][0]["clusterNames"] == ["cluster1"]

    # nothing in another namespace
    p = cp.sw("get", "deploy")
    assert p.stdout == ""
    assert "No resources found in default namespace." in p.stderr

    p = cp.sw("describe", "fhpa", "vllm-fhpa", "-n", "test")
    assert "vllm-fhpa" in p.stdout and "qwen3" in p.stdout, p.stdout
    p = cp.sw("describe", "deployment", "qwen3", "-n", "test")
    assert "qwen3" in p.stdout, p.stdout
    p = cp.sw("describe", "deployment", "nope", "-n", "test", check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == 'spillway: Error from server (NotFound): deployments.apps "nope" not found'

    p = cp.sw("get", "--raw", "/apis/apps/v1/namespaces/test/deployments/qwen3")
    assert json.loads(p.stdout)["metadata"]["name"] == "qwen3"
    p = cp.sw("get", "frobnicators", check=False)
    assert p.returncode == 2 or p.returncode == 1
    assert 'resource type "frobnicators"' in p.stderr


def test_get_yaml_round_trip(cp, tmpdir_):
    apply_seed(cp)
    before = json.loads(cp.sw("get", "deploy", "qwen3", "-n", "test", "-o", "json").stdout)
    y = cp.sw("get", "deploy", "qwen3", "-n", "test", "-o", "yaml").stdout
    assert "name: qwen3" in y
    path = os.path.join(tmpdir_, "qwen3.yaml")
    with open(path, "w") as f:
        f.write(y)
    rev = cp.revision()
    p = cp.sw("apply", "-f", path)
    assert p.stdout == "deployment.apps/qwen3 unchanged\n", p.stdout + p.stderr
    assert cp.revision() == rev
    after = json.loads(cp.sw("get", "deploy", "qwen3", "-n", "test", "-o", "json").stdout)
    assert after == before
    # and JSON output applies the same way
    path = os.path.join(tmpdir_, "qwen3.json")
    with open(path, "w") as f:
        f.write(cp.sw("get", "deploy", "qwen3", "-n", "test", "-o", "json").stdout)
    assert cp.sw("apply", "-f", path).stdout == "deployment.apps/qwen3 unchanged\n"
    # a changed copy is "configured" and bumps generation
    with open(path, "w") as f:
        f.write(y.replace("replicas: 1", "replicas: 2", 1))
    assert cp.sw("apply", "-f", path).stdout == "deployment.apps/qwen3 configured\n"
    d = json.loads(cp.sw("get", "deploy", "qwen3", "-n", "test", "-o", "json").stdout)
    assert d["spec"]["replicas"] == 2 and d["metadata"]["generation"] == 2
    assert d["metadata"]["uid"] == before["metadata"]["uid"]


BAD = {
    "malformed_yaml": ("bad.yaml",
                       "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n  labels: {a: [}\n",
                       [], ["bad.yaml:5"]),
    "wrong_type": ("wrong.yaml",
                   "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n  namespace: test\n"
                   "spec:\n  replicas: two\n  selector:\n    matchLabels: {app: x}\n"
                   "  template:\n    metadata:\n      labels: {app: x}\n"
                   "    spec:\n      containers:\n      - name: c\n        image: i\n",
                   [], ["wrong.yaml:7: spec.replicas: expected an integer >= 0", "two"]),
    "min_gt_max": ("fhpa.yaml",
                   "apiVersion: autoscaling.one.alibabacloud.com/v1alpha1\nkind: FederatedHPA\n"
                   "metadata:\n  name: f\n  namespace: test\nspec:\n  scaleTargetRef:\n"
                   "    apiVersion: apps/v1\n    kind: Deployment\n    name: qwen3\n"
                   "  minReplicas: 5\n  maxReplicas: 2\n",
                   [], ["fhpa.yaml:11: spec.minReplicas", "maxReplicas"]),
    "unknown_kind": ("unknown.yaml",
                     "apiVersion: example.com/v1\nkind: Frobnicator\nmetadata:\n  name: f\n",
                     [], ["unknown.yaml:2: kind", "Frobnicator"]),
    "unfilled_placeholder": ("pp.yaml", None, ["--set", "cluster1_id=cluster1"],
                             ["pp.yaml:", "clusterNames[0]", "${cluster2_id}"]),
    "second_document_bad": ("two.yaml",
                            "apiVersion: v1\nkind: Service\nmetadata:\n  name: ok\n  namespace: test\n"
                            "spec:\n  ports:\n  - port: 80\n---\n"
                            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n  namespace: test\n"
                            "spec:\n  replicas: -3\n",
                            [], ["two.yaml:16", "spec.replicas"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_manifests_print_precise_error_and_change_nothing(cp, tmpdir_, case):
    apply_seed(cp)
    name, text, extra, wants = BAD[case]
    if text is None:  # the seed's PropagationPolicy with one placeholder left unfilled
        with open(os.path.join(seed1_dir(), "propagationpolicy.yaml")) as f:
            text = f.read()
    path = os.path.join(tmpdir_, name)
    with open(path, "w") as f:
        f.write(text)
    before = snapshot(cp)
    p = cp.sw("apply", "-f", path, *extra, check=False)
    assert p.returncode == 1, p.stdout + p.stderr
    assert p.stdout == ""
    err = p.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("spillway: "), p.stderr
    for w in wants:
        assert w in err[0], f"{w!r} not in {err[0]!r}"
    assert snapshot(cp) == before


def test_bad_request_bodies_change_nothing(cp):
    apply_seed(cp)
    rev = cp.revision()
    st, body = cp.http("POST", "/apis/apps/v1/namespaces/test/deployments", "{\"kind\": ")
    assert st == 400
    s = json.loads(body)
    assert s["kind"] == "Status" and s["reason"] == "BadRequest" and s["code"] == 400
    assert "not valid JSON" in s["message"]
    st, body = cp.http("PATCH", "/apis/apps/v1/namespaces/test/deployments/qwen3",
                       '{"spec":{"replicas":"many"}}', ctype="application/merge-patch+json")
    assert st == 422 and json.loads(body)["reason"] == "Invalid", body
    st, body = cp.http("POST", "/apis/spillway.io/v1alpha1/apply", "[{\"kind\":\"Deployment\"}]")
    assert st in (400, 422), body
    assert cp.revision() == rev


# ---- scale / delete ---------------------------------------------------------------------

def test_scale_and_delete(cp):
    apply_seed(cp)
    p = cp.sw("scale", "deployment", "qwen3", "-n", "test", "--replicas=2")
    assert p.stdout == "deployment.apps/qwen3 scaled\n"
    d = json.loads(cp.sw("get", "deploy", "qwen3", "-n", "test", "-o", "json").stdout)
    assert d["spec"]["replicas"] == 2
    st, body = cp.http("GET", "/apis/apps/v1/namespaces/test/deployments/qwen3/scale")
    assert st == 200 and json.loads(body)["spec"]["replicas"] == 2
    p = cp.sw("scale", "deploy/qwen3", "-n", "test", "--replicas", "3")
    assert p.returncode == 0
    assert json.loads(cp.sw("get", "deploy", "qwen3", "-n", "test", "-o", "json").stdout)["spec"]["replicas"] == 3
    p = cp.sw("scale", "deployment", "qwen3", "-n", "test", "--replicas=-1", check=False)
    assert p.returncode == 2 and "--replicas" in p.stderr
    p = cp.sw("scale", "deployment", "nope", "-n", "test", "--replicas=1", check=False)
    assert p.returncode == 1 and 'deployments.apps "nope" not found' in p.stderr

    p = cp.sw("delete", "fhpa", "vllm-fhpa", "-n", "test")
    # the kind's canonical group names it (ACK One's and Karmada's are aliases)
    assert re.fullmatch(r'federatedhpa\.autoscaling\.[a-z.]+ "vllm-fhpa" deleted\n', p.stdout), p.stdout
    p = cp.sw("get", "fhpa", "vllm-fhpa", "-n", "test", check=False)
    assert p.returncode == 1 and "NotFound" in p.stderr
    p = cp.sw("delete", "fhpa", "vllm-fhpa", "-n", "test", check=False)
    assert p.returncode == 1
    assert cp.sw("delete", "fhpa", "vllm-fhpa", "-n", "test", "--ignore-not-found").returncode == 0
    # delete -f removes what the files name
    p = cp.sw("delete", "-f", os.path.join(seed1_dir(), "propagationpolicy.yaml"), *SETS)
    assert re.fullmatch(r'propagationpolicy\.policy\.[a-z.]+ "vllm-deploy-pp" deleted\n', p.stdout), p.stdout
    assert cp.sw("get", "pp", "-A", "-o", "name").stdout == ""


def test_watch_prints_changes(cp):
    apply_seed(cp)
    w = subprocess.Popen([BIN, "get", "deploy", "-n", "test", "-w", "-o", "name"], env=cp.env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert w.stdout.readline() == "deployment.apps/qwen3\n"  # the list
        cp.sw("scale", "deployment", "qwen3", "-n", "test", "--replicas=4")
        assert w.stdout.readline() == "deployment.apps/qwen3\n"  # the change
    finally:
        w.kill()
        w.wait()


def test_watch_stream_events(cp):
    """The raw watch: newline-delimited {"type","object"} in commit order."""
    apply_seed(cp)
    rev = cp.revision()
    req = urllib.request.Request(
        cp.url + f"/apis/apps/v1/namespaces/test/deployments?watch=true&resourceVersion={rev}",
        headers={"Authorization": f"Bearer {cp.token()}"})
    with urllib.request.urlopen(req, timeout=30) as stream:
        assert stream.status == 200
        cp.sw("scale", "deployment", "qwen3", "-n", "test", "--replicas=2")
        cp.sw("delete", "deployment", "qwen3", "-n", "test")
        cp.sw("apply", "-f", os.path.join(seed1_dir(), "deployment.yaml"))
        events = [json.loads(stream.readline()) for _ in range(3)]
    assert [e["type"] for e in events] == ["MODIFIED", "DELETED", "ADDED"]
    assert events[0]["object"]["spec"]["replicas"] == 2
    assert events[1]["object"]["metadata"]["name"] == "qwen3"
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs) and rvs[0] == rev + 1
    assert events[2]["object"]["metadata"]["uid"] != events[0]["object"]["metadata"]["uid"]


def test_logs(cp, tmpdir_):
    log = os.path.join(tmpdir_, "pod.log")
    with open(log, "w") as f:
        f.write("".join(f"line {i}\n" for i in range(1, 6)))
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "qwen3-5d9c7b8f6d-abcde", "namespace": "test",
                        "annotations": {"spillway.io/log-path": log, "spillway.io/owner": "qwen3"}},
           "spec": {"containers": [{"name": "vllm", "image": "vllm"}]},
           "status": {"phase": "Running"}}
    st, body = cp.http("POST", "/api/v1/namespaces/test/pods", json.dumps(pod))
    assert st == 201, body
    p = cp.sw("logs", "qwen3-5d9c7b8f6d-abcde", "-n", "test")
    assert p.stdout == "line 1\nline 2\nline 3\nline 4\nline 5\n"
    p = cp.sw("logs", "qwen3-5d9c7b8f6d-abcde", "-n", "test", "--tail", "2")
    assert p.stdout == "line 4\nline 5\n"
    p = cp.sw("logs", "nope", "-n", "test", check=False)
    assert p.returncode == 1 and 'pods "nope" not found' in p.stderr


# ---- auth, no server --------------------------------------------------------------------

def test_401_without_token(cp):
    st, body = cp.http("GET", "/apis/apps/v1/deployments", token=False)
    assert st == 401
    s = json.loads(body)
    assert s["kind"] == "Status" and s["reason"] == "Unauthorized" and s["code"] == 401
    st, _ = cp.http("GET", "/apis/apps/v1/deployments", token="not-the-token")
    assert st == 401
    p = cp.sw("get", "deploy", "--token", "wrong", check=False)
    assert p.returncode == 1
    assert "401 Unauthorized" in p.stderr and p.stderr.count("\n") == 1
    # the state files: token 0600 in a 0700 directory
    assert stat.S_IMODE(os.stat(cp.state_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(cp.state_dir, "token")).st_mode) == 0o600
    assert len(cp.token()) == 64


def test_cli_message_when_no_server_runs(tmpdir_):
    port = free_port()
    env = dict(os.environ, SPILLWAY_STATE_DIR=os.path.join(tmpdir_, "none"),
               SPILLWAY_SERVER=f"http://127.0.0.1:{port}")
    for args in (["get", "deploy"], ["apply", "-f", seed1_dir(), *SETS], ["scale", "deploy", "x", "--replicas=1"],
                 ["logs", "p"], ["describe", "deploy", "x"], ["delete", "deploy", "x"]):
        p = run(*args, check=False, env=env)
        assert p.returncode == 1, args
        assert p.stderr == (f"spillway: the control plane at http://127.0.0.1:{port} is not answering "
                            "(connection refused); start it with `spillway up`\n"), (args, p.stderr)


def test_up_usage_errors_and_single_instance(cp):
    p = run("up", "--listen", "nonsense", check=False)
    assert p.returncode == 2 and "--listen" in p.stderr
    p = run("up", "--time-scale", "0", check=False)
    assert p.returncode == 2 and "--time-scale" in p.stderr
    p = run("up", "--state-dir", cp.state_dir, "--listen", f"127.0.0.1:{free_port()}", check=False, timeout=20)
    assert p.returncode == 1 and "another `spillway up`" in p.stderr


# ---- restarts and crashes -----------------------------------------------------------------

def test_restart_finds_everything(cp):
    apply_seed(cp)
    cp.sw("scale", "deployment", "qwen3", "-n", "test", "--replicas=3")
    before = [cp.sw("get", k, "-A", "-o", "json").stdout for k in ("deploy", "pp", "fhpa")]
    rev = cp.revision()
    assert cp.stop() == 0, cp.log()  # SIGTERM: a clean exit (and no leaks under ASan)
    cp.start()
    after = [cp.sw("get", k, "-A", "-o", "json").stdout for k in ("deploy", "pp", "fhpa")]
    assert after == before
    assert cp.revision() == rev
    p = cp.sw("apply", "-f", seed1_dir(), *SETS)
    assert "deployment.apps/qwen3 configured" in p.stdout  # replicas 3 -> 1 from the file
    assert cp.revision() == rev + 1


def big_manifest(path, n=2000):
    with open(path, "w") as f:
        for i in range(n):
            f.write(f"apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i:05d}\n  namespace: big\n"
                    f"  labels:\n    app: big\nspec:\n  selector:\n    app: big\n  ports:\n  - port: {1000 + i % 60000}\n"
                    "---\n")


def count_big(cp):
    st, body = cp.http("GET", "/api/v1/namespaces/big/services")
    assert st == 200, body
    return len(json.loads(body)["items"])


def wait_busy(cp, client, deadline=120):
    """Polls /healthz until the single-threaded server stops answering (it is
    handling the big apply); returns that moment, or None if the client ended
    first."""
    end = time.time() + deadline
    while client.poll() is None and time.time() < end:
        t = time.time()
        req = urllib.request.Request(cp.url + "/healthz", headers={"Authorization": f"Bearer {cp.token()}"})
        try:
            urllib.request.urlopen(req, timeout=0.05).read()
        except (OSError, urllib.error.URLError):
            return t
        time.sleep(0.002)
    return None


def wait_idle(cp, deadline=120):
    end = time.time() + deadline
    while time.time() < end:
        try:
            if cp.http("GET", "/healthz")[0] == 200:
                return time.time()
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.002)
    raise AssertionError("the server stayed busy")


def test_kill9_mid_apply_is_all_or_nothing(cp, tmpdir_):
    path = os.path.join(tmpdir_, "big.yaml")
    big_manifest(path)
    apply_seed(cp)
    # calibrate: how long is the server busy with the whole apply (parse,
    # validate 2,000 objects, one transaction, the reply)?
    client = subprocess.Popen([BIN, "apply", "-f", path], env=cp.env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        busy_from = wait_busy(cp, client)
        assert busy_from is not None, "never saw the server busy with the apply"
        busy = wait_idle(cp) - busy_from
        assert client.wait(timeout=120) == 0, client.stderr.read()
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
    assert count_big(cp) == 2000
    outcomes = []
    # the later fractions make sure some round lets the commit finish even when
    # a loaded machine made the calibration run short
    for frac in (0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0, 1.5, 3.0):
        # each round starts from an empty store
        cp.stop(signal.SIGKILL)
        shutil.rmtree(cp.state_dir)
        cp.start()
        apply_seed(cp)
        rev = cp.revision()
        client = subprocess.Popen([BIN, "apply", "-f", path], env=cp.env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            t = wait_busy(cp, client)
            if t is not None:
                time.sleep(max(0.0, t + busy * frac - time.time()))
            cp.proc.send_signal(signal.SIGKILL)
            cp.proc.wait()
            client.wait(timeout=60)
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
        cp.start()
        n = count_big(cp)
        assert n in (0, 2000), f"kill at {frac:.1f} x {busy:.2f}s left {n} of 2000 objects"
        assert cp.revision() == (rev + 2000 if n else rev)
        # what was there before the batch is intact
        assert cp.sw("get", "deploy", "qwen3", "-n", "test", "-o", "name").stdout == "deployment.apps/qwen3\n"
        outcomes.append(n)
    print("kill -9 outcomes:", outcomes, "server busy for", round(busy, 2), "s")
    assert 0 in outcomes, "no kill landed before the commit; the test did not test anything"
    assert 2000 in outcomes, "no round let the commit finish"


def test_a_watcher_that_does_not_read_is_closed(cp):
    """A watch client that stops reading is cut off once 16 MiB of events wait
    for it (as kube-apiserver closes an unresponsive watcher), so the server's
    memory stays bounded; everyone else is served throughout."""
    import socket
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", int(cp.url.rsplit(":", 1)[1])))
    s.sendall((f"GET /api/v1/namespaces/test/services?watch=true HTTP/1.1\r\nHost: x\r\n"
               f"Authorization: Bearer {cp.token()}\r\n\r\n").encode())
    big = "x" * 60000
    for batch in range(12):  # 12 x 30 services x 60 KB: ~21 MB of events, never read
        items = [{"apiVersion": "v1", "kind": "Service",
                  "metadata": {"name": f"s{batch}-{i}", "namespace": "test", "annotations": {"pad": big}},
                  "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}]}} for i in range(30)]
        st, body = cp.http("POST", "/apis/spillway.io/v1alpha1/apply?namespace=test", json.dumps(items))
        assert st == 200, body[:500]
        assert cp.http("GET", "/healthz")[0] == 200
    deadline = time.time() + 30
    while "closing a watch whose client does not read" not in cp.log() and time.time() < deadline:
        time.sleep(0.1)
    assert "closing a watch whose client does not read" in cp.log(), cp.log()
    s.close()
    assert cp.http("GET", "/healthz")[0] == 200
