"""Fleet behaviour through `spillway up` with the first seed's example:
a member cluster that stops answering has its replicas re-placed on the
other tier after its grace and toleration, and they come back when it
returns; and the seeds' FAQ diagnostics (a FederatedHPA whose target does
not exist; a metric that cannot be fetched)."""
import json
import os
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import walkthrough as w  # noqa: E402


@pytest.fixture
def fleet():
    f = w.Fleet(20, "seed1")
    yield f
    f.stop()


def cluster_ready(f, name):
    conds = f.json("get", "cluster", name).get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conds)


def apply_yaml(f, text):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as t:
        t.write(text)
    try:
        return f.sw("apply", "-f", t.name)
    finally:
        os.unlink(t.name)


def set_paused(f, name, paused):
    c = f.json("get", "cluster", name)
    ann = c["metadata"].setdefault("annotations", {})
    if paused:
        ann["spillway.io/paused"] = "true"
    else:
        ann.pop("spillway.io/paused", None)
    # a short grace and toleration so the test runs in seconds (documented
    # defaults: 40 s and 300 s)
    c["spec"]["healthGraceSeconds"] = 10
    c["spec"]["tolerationSeconds"] = 30
    for k in ("uid", "resourceVersion", "generation", "creationTimestamp"):
        c["metadata"].pop(k, None)
    c.pop("status", None)
    apply_yaml(f, json.dumps(c))


def test_failed_cluster_replicas_move_to_the_next_tier_and_come_back(fleet):
    f = fleet
    f.wait(lambda: w.pods_by_cluster(f, "test", ready_only=True) == {"cluster1": 1}, 200, "qwen3 Ready in cluster1")
    set_paused(f, "cluster1", True)
    f.wait(lambda: not cluster_ready(f, "cluster1"), 60, "cluster1 marked not ready")
    # re-placed on the low-priority tier after the toleration, and serving there
    f.wait(lambda: w.pods_by_cluster(f, "test", ready_only=True).get("cluster2") == 1, 300,
           "the replica re-placed and Ready in cluster2")
    # the gateway sends to it: one request answered
    out = w.subprocess.run(["curl", "-s", "-m", "60", f"{f.gateway}/v1/chat/completions", "-H",
                            "Content-Type: application/json", "-d",
                            '{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}'],
                           capture_output=True, text=True, timeout=90).stdout
    assert json.loads(out)["object"] == "chat.completion", out
    set_paused(f, "cluster1", False)
    f.wait(lambda: cluster_ready(f, "cluster1"), 60, "cluster1 ready again")
    # the surplus leaves the lowest tier: back to cluster1 only
    f.wait(lambda: w.pods_by_cluster(f, "test") == {"cluster1": 1}
           and w.pods_by_cluster(f, "test", ready_only=True) == {"cluster1": 1}, 400,
           "the replica back in cluster1 and gone from cluster2")


def test_faq_missing_target_and_unfetchable_metric(fleet):
    f = fleet
    # FAQ 1: a FederatedHPA whose scaleTargetRef names no Deployment
    apply_yaml(f, """apiVersion: autoscaling.one.alibabacloud.com/v1alpha1
kind: FederatedHPA
metadata: {name: wrong-target, namespace: test}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: qwen4}
  minReplicas: 1
  maxReplicas: 10
  metrics:
  - type: Pods
    pods: {metric: {name: num_requests_running}, target: {type: AverageValue, averageValue: "20"}}
""")

    def conditions(name):
        return {c["type"]: c for c in f.json("get", "fhpa", name, "-n", "test").get("status", {}).get("conditions", [])}
    c = f.wait(lambda: conditions("wrong-target").get("AbleToScale"), 60, "wrong-target's conditions")
    assert c["status"] == "False" and c["reason"] == "FailedGetScale", c
    assert "qwen4" in c["message"], c
    row = [l for l in f.sw("get", "fhpa", "-n", "test").splitlines() if l.startswith("wrong-target")][0]
    # NAME REFERENCE MINPODS MAXPODS REPLICAS AGE: REPLICAS is empty
    cols = row.split()
    assert cols[:4] == ["wrong-target", "Deployment/qwen4", "1", "10"] and len(cols) == 5, row
    # FAQ 2: a metric no pod exposes (the seed's own FederatedHPA goes first:
    # two autoscalers on one Deployment would be reported as ambiguous)
    f.sw("delete", "fhpa", "vllm-fhpa", "-n", "test")
    apply_yaml(f, """apiVersion: autoscaling.one.alibabacloud.com/v1alpha1
kind: FederatedHPA
metadata: {name: no-such-metric, namespace: test}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: qwen3}
  minReplicas: 1
  maxReplicas: 10
  metrics:
  - type: Pods
    pods: {metric: {name: num_requests_swapped}, target: {type: AverageValue, averageValue: "1"}}
""")
    f.wait(lambda: w.pods_by_cluster(f, "test", ready_only=True), 200, "a Ready qwen3 pod")
    c = f.wait(lambda: (lambda c: c if c and c["status"] == "False" else None)(conditions("no-such-metric").get("ScalingActive")),
               60, "ScalingActive False")
    assert c["reason"] == "FailedGetPodsMetric", c
    assert "num_requests_swapped" in c["message"] and "qwen3-" in c["message"], c
    desc = f.sw("describe", "fhpa", "-n", "test", "no-such-metric")
    assert "FailedGetPodsMetric" in desc and "ScalingActive" in desc, desc


def test_top_pods_shows_what_the_autoscaler_reads(fleet):
    """`spillway top pods`: each replica's queue, KV-cache and GPU load, from the
    custom metrics API the FederatedHPA reads; "-" until the pod is scraped."""
    import subprocess
    f = fleet
    f.wait(lambda: w.pods_by_cluster(f, "test", ready_only=True) == {"cluster1": 1}, 200, "qwen3 Ready in cluster1")
    out = f.sw("top", "pods", "-n", "test")
    header = out.splitlines()[0].split()
    assert header == ["NAME", "CLUSTER", "STATUS", "WAITING", "RUNNING", "KV-CACHE", "GPU-UTIL"], out
    load = subprocess.Popen(["hey", "-z", "20s", "-c", "40", "-m", "POST", "-H", "Content-Type: application/json",
                             "-d", '{"messages": [{"role": "user", "content": "Test it"}], "max_tokens": 2000}',
                             f"{f.gateway}/v1/chat/completions"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        def busy():
            rows = [line.split() for line in f.sw("top", "pods", "-n", "test", "--no-headers").splitlines()]
            row = next((r for r in rows if r[1] == "cluster1" and r[2] == "Ready"), None)
            return row if row and row[4] != "-" and int(row[4]) > 0 else None
        row = f.wait(busy, 2000, "top pods to show running requests on the cluster1 replica")
        assert row[5].endswith("%") and row[6].endswith("%"), row
    finally:
        load.terminate()
        load.wait()
    all_ns = f.sw("top", "pods", "-A").splitlines()
    assert all_ns[0].split()[0] == "NAMESPACE" and any(line.startswith("test ") for line in all_ns[1:]), all_ns
    p = subprocess.run([w.BIN, "top", "nodes"], capture_output=True, text=True, env=f.env)
    assert p.returncode == 2 and 'unknown resource "nodes"' in p.stderr
    p = subprocess.run([w.BIN, "top", "pods", "nope", "-n", "test"], capture_output=True, text=True, env=f.env)
    assert p.returncode == 1 and 'pods "nope" not found' in p.stderr


def test_logs_follow_streams_until_the_pod_is_gone(fleet):
    """`spillway logs -f`: what the replica logged, then each new line as it is
    written, and the stream ends (exit 0) when the pod is deleted."""
    import subprocess
    import time
    f = fleet
    f.wait(lambda: w.pods_by_cluster(f, "test", ready_only=True) == {"cluster1": 1}, 200, "qwen3 Ready in cluster1")
    pod = [p for p in f.items("pods", "test") if w.ready(p)][0]
    name, log_path = pod["metadata"]["name"], pod["metadata"]["annotations"]["spillway.io/log-path"]
    out_path = os.path.join(f.dir, "follow.out")
    with open(out_path, "wb") as out:
        follower = subprocess.Popen([w.BIN, "logs", "-n", "test", name, "-f"], stdout=out, stderr=subprocess.STDOUT,
                                    env=f.env)
    try:
        def text():
            with open(out_path, errors="replace") as fh:
                return fh.read()
        f.wait(lambda: "engine: serving" in text(), 100, "the log so far")
        with open(log_path, "a") as fh:
            fh.write("a line written after the follow began\n")
        deadline = time.time() + 10
        while "after the follow began" not in text() and time.time() < deadline:
            time.sleep(0.05)
        assert "after the follow began" in text(), text()
        f.sw("delete", "pod", "-n", "test", name)
        assert follower.wait(timeout=60) == 0, text()
        p = subprocess.run([w.BIN, "logs", "-f", "-n", "test", "nope"], capture_output=True, text=True, env=f.env,
                           timeout=30)
        assert p.returncode == 1 and 'pods "nope" not found' in p.stderr, p.stderr
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()


def test_deployment_status_aggregates_member_pods(fleet):
    """The Deployment's status counts its pods in every member cluster, as a
    Karmada-propagated Deployment's does: `get deploy` shows READY 1/1."""
    f = fleet
    f.wait(lambda: w.pods_by_cluster(f, "test", ready_only=True) == {"cluster1": 1}, 200, "qwen3 Ready in cluster1")
    st = f.wait(lambda: (lambda s: s if s.get("readyReplicas") == 1 else None)(
        f.json("get", "deploy", "-n", "test", "qwen3").get("status", {})), 30, "status.readyReplicas 1")
    assert st["replicas"] == 1 and st["updatedReplicas"] == 1 and st["availableReplicas"] == 1, st
    assert any(c["type"] == "Available" and c["status"] == "True" for c in st["conditions"]), st
    row = f.sw("get", "deploy", "-n", "test", "qwen3").splitlines()[1].split()
    assert row[:4] == ["qwen3", "1/1", "1", "1"], row


def test_rollout_restart_replaces_the_replica_and_status_waits_for_it(fleet):
    """`rollout restart` stamps the template (a new pod-template-hash): the
    member cluster starts a new replica and stops the old one once the new
    one is ready; `rollout status` follows until it is done."""
    import subprocess
    f = fleet
    f.wait(lambda: w.pods_by_cluster(f, "test", ready_only=True) == {"cluster1": 1}, 200, "qwen3 Ready in cluster1")
    before = [p["metadata"]["name"] for p in f.items("pods", "test")]
    assert f.sw("rollout", "restart", "deployment/qwen3", "-n", "test").strip() == "deployment.apps/qwen3 restarted"
    dep = f.json("get", "deploy", "-n", "test", "qwen3")
    assert "kubectl.kubernetes.io/restartedAt" in dep["spec"]["template"]["metadata"]["annotations"], dep
    p = subprocess.run([w.BIN, "rollout", "status", "deployment/qwen3", "-n", "test", "--timeout", "120s"],
                       capture_output=True, text=True, env=f.env, timeout=180)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.strip().splitlines()[-1] == 'deployment "qwen3" successfully rolled out', p.stdout
    f.wait(lambda: [x["metadata"]["name"] for x in f.items("pods", "test")] != before
           and w.pods_by_cluster(f, "test", ready_only=True) == {"cluster1": 1}
           and len(f.items("pods", "test")) == 1, 200, "the old replica replaced by one new one")
    p = subprocess.run([w.BIN, "rollout", "undo", "deployment/qwen3"], capture_output=True, text=True, env=f.env)
    assert p.returncode == 2 and 'unknown subcommand "undo"' in p.stderr, p.stderr
    p = subprocess.run([w.BIN, "rollout", "status", "fhpa/vllm-fhpa", "-n", "test"], capture_output=True, text=True,
                       env=f.env)
    assert p.returncode == 2 and "only Deployments are" in p.stderr, p.stderr
