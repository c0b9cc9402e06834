"""`spillway autoscale explain` end to end: the real binary reads a state file
(or stdin), runs one reconcile of the HPA algorithm and prints JSON. The
states reproduce the first seed's FederatedHPA (scale-out from 2 to 3 at 58
running requests per pod, scale back to 1 after the 30 s window) and the
failure the seed's FAQ describes (a pod whose metric cannot be obtained)."""
import json

import pytest

from conftest import run

FHPA = {
    "apiVersion": "autoscaling.one.alibabacloud.com/v1alpha1",
    "kind": "FederatedHPA",
    "metadata": {"name": "vllm-fhpa", "namespace": "test"},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "qwen3"},
        "minReplicas": 1,
        "maxReplicas": 10,
        "behavior": {"scaleDown": {"stabilizationWindowSeconds": 30},
                     "scaleUp": {"stabilizationWindowSeconds": 10}},
        "metrics": [
            {"type": "Pods", "pods": {"metric": {"name": "num_requests_waiting"},
                                      "target": {"type": "AverageValue", "averageValue": 5}}},
            {"type": "Pods", "pods": {"metric": {"name": "num_requests_running"},
                                      "target": {"type": "AverageValue", "averageValue": 40}}},
        ],
    },
}


def pod(name, waiting, running):
    return {"name": name, "phase": "Running", "ready": True,
            "metrics": {"num_requests_waiting": str(waiting), "num_requests_running": str(running)}}


def explain(tmp_path, state, check=True):
    f = tmp_path / "state.json"
    f.write_text(json.dumps(state))
    p = run("autoscale", "explain", "-f", str(f), check=check)
    return p


def cond(out, t):
    return next(c for c in out["conditions"] if c["type"] == t)


def test_seed_scale_out(tmp_path):
    state = {"now": "2026-11-23T08:44:33Z", "autoscaler": FHPA, "currentReplicas": 2,
             "pods": [pod("qwen3-5d8f9c7b6a-aaaaa", 0, 58), pod("qwen3-5d8f9c7b6a-bbbbb", 0, 58)],
             "recommendations": [{"time": "2026-11-23T08:44:13Z", "replicas": 2}]}
    out = json.loads(explain(tmp_path, state).stdout)
    assert out["desiredReplicas"] == 3
    assert out["rescale"] is True
    assert out["reason"] == "pods metric num_requests_running above target"
    running = out["metrics"][1]
    assert (running["name"], running["current"], running["proposedReplicas"]) == ("num_requests_running", "58", 3)
    assert out["metrics"][0]["current"] == "0"
    assert cond(out, "ScalingActive")["reason"] == "ValidMetricFound"
    assert cond(out, "AbleToScale")["reason"] == "SucceededRescale"
    assert {"type": "Normal", "reason": "SuccessfulRescale",
            "message": "New size: 3; reason: pods metric num_requests_running above target"} in out["events"]


def test_seed_scale_back_from_stdin(tmp_path):
    # The load is over; the last recommendation of 3 is 35 s old, outside the 30 s window.
    state = {"now": "2026-11-23T08:50:00Z", "autoscaler": FHPA, "currentReplicas": 3,
             "pods": [pod(f"qwen3-5d8f9c7b6a-{c * 5}", 0, 0) for c in "abc"],
             "recommendations": [{"time": "2026-11-23T08:49:25Z", "replicas": 3}]}
    p = run("autoscale", "explain", "-f", "-", input=json.dumps(state))
    out = json.loads(p.stdout)
    assert out["desiredReplicas"] == 1
    assert cond(out, "ScalingLimited") == {
        "type": "ScalingLimited", "status": "True", "reason": "TooFewReplicas",
        "message": "the desired replica count is less than the minimum replica count"}
    # 20 s later instead: still inside the window, held at 3
    state["recommendations"][0]["time"] = "2026-11-23T08:49:40Z"
    out = json.loads(run("autoscale", "explain", "-f", "-", input=json.dumps(state)).stdout)
    assert out["desiredReplicas"] == 3
    assert cond(out, "AbleToScale")["reason"] == "ScaleDownStabilized"
    assert out["limitedBy"] == "ScaleDownStabilized"


def test_pod_without_metric_leaves_replicas(tmp_path):
    state = {"now": "2026-11-23T08:44:33Z", "autoscaler": FHPA, "currentReplicas": 1,
             "pods": [{"name": "qwen3-5d8f9c7b6a-aaaaa"}]}
    out = json.loads(explain(tmp_path, state).stdout)
    assert out["desiredReplicas"] == 1
    assert out["rescale"] is False
    active = cond(out, "ScalingActive")
    assert active["status"] == "False"
    assert active["reason"] == "FailedGetPodsMetric"
    assert "num_requests_waiting" in active["message"]
    assert "qwen3-5d8f9c7b6a-aaaaa" in active["message"]
    assert active["message"].startswith("the HPA was unable to compute the replica count: unable to get metric")


def test_bad_input_names_the_path(tmp_path):
    state = {"now": "2026-11-23T08:44:33Z", "autoscaler": FHPA, "currentReplicas": 2,
             "pods": [{"name": "a", "metrics": {"num_requests_running": "many"}}]}
    p = explain(tmp_path, state, check=False)
    assert p.returncode == 1
    assert 'pods[0].metrics.num_requests_running: expected a quantity such as "58", "500m" or "12Gi", got "many"' \
        in p.stderr
    (tmp_path / "broken.json").write_text('{"now": ')
    p = run("autoscale", "explain", "-f", str(tmp_path / "broken.json"), check=False)
    assert p.returncode == 1
    assert "broken.json:1:" in p.stderr


@pytest.mark.parametrize("args", [["autoscale"], ["autoscale", "explain"], ["autoscale", "frob"],
                                  ["autoscale", "explain", "-f"]])
def test_usage_errors(args):
    p = run(*args, check=False)
    assert p.returncode == 2
    assert "explain" in p.stderr


def test_missing_file():
    p = run("autoscale", "explain", "-f", "/nonexistent/state.json", check=False)
    assert p.returncode == 1
    assert "/nonexistent/state.json" in p.stderr
