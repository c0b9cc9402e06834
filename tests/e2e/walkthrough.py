"""The seeds' walkthroughs, step by step, as a newcomer runs them.

One script serves two masters:
  * tests/e2e/test_walkthroughs.py runs every step (time-scaled) and checks
    the outcomes the seeds state;
  * `python3 tests/e2e/walkthrough.py seed1|seed2 --doc docs/walkthrough-seed1.md`
    runs the same steps and writes the walkthrough with the real output each
    command printed.
Every step is a command a user types; checks read the same command output
(or `-o json`) a user would look at.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("SPILLWAY_BIN", os.path.join(ROOT, "build-asan", "spillway"))

SEED1_HEY = ['hey', '-n', '600', '-c', '60', '-m', 'POST', '-H', 'Content-Type: application/json',
             '-d', '{"messages": [{"role": "user", "content": "Test it"}]}']
SEED2_HEY = ['hey', '-z', '2m', '-c', '5', '-m', 'POST', '-host', 'qwen-chat-default.example.com',
             '-H', 'Content-Type: application/json',
             '-d', '{"model": "qwen", "messages": [{"role": "user", "content": "Test"}], "max_tokens": 10, '
                   '"temperature": 0.7, "top_p": 0.9, "seed": 10}']


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Doc:
    """Collects prose and command transcripts; None-safe no-op when not writing."""

    def __init__(self):
        self.parts = []

    def text(self, s):
        self.parts.append(s.strip("\n") + "\n")

    def shell(self, cmd, out):
        self.parts.append("```console\n$ " + cmd + "\n" + out.rstrip("\n") + "\n```\n")

    def write(self, path):
        with open(path, "w") as f:
            f.write("\n".join(self.parts))


class Fleet:
    """`spillway up` in a temporary state directory, and the CLI against it."""

    def __init__(self, time_scale, example, gateway_port=None, extra=()):
        self.dir = tempfile.mkdtemp(prefix="spillway-walk-")
        self.state = os.path.join(self.dir, "state")
        self.port = free_port()
        self.gw_port = gateway_port or free_port()
        self.time_scale = time_scale
        self.env = dict(os.environ, SPILLWAY_STATE_DIR=self.state)
        self.log_path = os.path.join(self.dir, "up.log")
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [BIN, "up", "--state-dir", self.state, "--listen", f"127.0.0.1:{self.port}",
             "--gateway", f"127.0.0.1:{self.gw_port}", "--gateway-metrics", "0",
             "--time-scale", str(time_scale), "--example", example, "--no-summary", *extra],
            stdout=log, stderr=log)
        log.close()
        self.wait(lambda: os.path.exists(os.path.join(self.state, "server")), 30, "the control plane")

    @property
    def gateway(self):
        return f"http://127.0.0.1:{self.gw_port}"

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()[-6000:]

    def sw(self, *args, check=True, timeout=60):
        p = subprocess.run([BIN, *args], capture_output=True, text=True, env=self.env, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"spillway {' '.join(args)} exited {p.returncode}:\n{p.stdout}{p.stderr}")
        return p.stdout

    def json(self, *args):
        return json.loads(self.sw(*args, "-o", "json"))

    def items(self, kind, ns=None):
        return self.json("get", kind, *(["-n", ns] if ns else ["-A"]))["items"]

    def wait(self, fn, model_seconds, what):
        """Waits for fn() to be true for at most model_seconds of clock time."""
        deadline = time.time() + max(5.0, model_seconds / getattr(self, "time_scale", 1))
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"spillway up exited {self.proc.returncode} waiting for {what}:\n{self.log()}")
            v = fn()
            if v:
                return v
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}:\n{self.log()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def ready(pod):
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in pod.get("status", {}).get("conditions", []))


def pods_by_cluster(f, ns, ready_only=False):
    out = {}
    for p in f.items("pods", ns):
        if p["metadata"].get("deletionTimestamp"):
            continue
        if ready_only and not ready(p):
            continue
        c = p["metadata"]["labels"].get("spillway.io/cluster")
        out[c] = out.get(c, 0) + 1
    return out


def binding(f, ns, name):
    rb = [b for b in f.items("rb", ns) if b["spec"]["resource"]["name"] == name]
    if not rb:
        return {}
    return {c["name"]: c["replicas"] for c in rb[0]["spec"].get("clusters", []) if c["replicas"]}


def fhpa_replicas(f, ns, name):
    st = f.json("get", "fhpa", name, "-n", ns).get("status", {})
    return st.get("currentReplicas"), st.get("desiredReplicas")


def show(f, doc, *args, note=None):
    out = f.sw(*args)
    if doc:
        if note:
            doc.text(note)
        doc.shell("spillway " + " ".join(a if " " not in a else repr(a) for a in args), out)
    return out


def hey(f, base_args, url_path, duration_hint):
    """Starts the seed's hey command against the gateway; returns the Popen."""
    return subprocess.Popen(base_args + [f"{f.gateway}{url_path}"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def hey_codes(output):
    """{status: count} from hey's 'Status code distribution' block."""
    codes, on = {}, False
    for line in output.splitlines():
        if line.startswith("Status code distribution"):
            on = True
            continue
        if on:
            line = line.strip()
            if not line.startswith("["):
                if codes:
                    break
                continue
            code, n = line.split("]", 1)
            codes[int(code[1:])] = int(n.split()[0])
    return codes


# ---------------------------------------------------------------- seed 1 ----

def seed1(f, doc=None):
    """The first seed: cluster1 (high priority, 1 GPU) and cluster2 (low
    priority, 1 GPU + elastic pool), qwen3 Deployment, PropagationPolicy with
    two affinity tiers and ecsProvision, FederatedHPA on vLLM queue metrics."""
    if doc:
        doc.text(f"""# Walkthrough: the first seed — one fleet, two clusters, FederatedHPA

This is the first seed's tutorial (ACK One fleet, PropagationPolicy with
prioritised cluster groups, FederatedHPA on vLLM's `num_requests_waiting` /
`num_requests_running`) run with spillway on one machine without GPUs. Every
output below was printed by the command above it, in one real run
(`python3 tests/e2e/walkthrough.py seed1 --doc docs/walkthrough-seed1.md`,
clock x{f.time_scale:g}: times in the output are the control plane's clock).
The replicas are `spillway engine` processes: a simulated vLLM that serves the
OpenAI API and vLLM's /metrics.

## Step 0: start the fleet

`scripts/run.sh` (or `spillway up`) starts the control plane, two member
clusters and the gateway, and applies the seed's three manifests from
`examples/seed1/` with the placeholders filled (`cluster1_id=cluster1`,
`cluster2_id=cluster2`, `waiting_size=10`, `running_size=20`).
""")
    show(f, doc, "get", "clusters", note="The two clusters: cluster1 has one on-prem GPU node; cluster2 one GPU node and an elastic pool of up to four more.")
    f.wait(lambda: pods_by_cluster(f, "test", ready_only=True).get("cluster1") == 1, 120, "qwen3's first replica in cluster1")
    show(f, doc, "get", "deploy,pp,fhpa", "-n", "test",
         note="## Step 2–4: the Deployment, the PropagationPolicy and the FederatedHPA\n\nThey were applied at start; `spillway apply -f examples/seed1/ --set ...` applies them on a fleet of your own.")
    show(f, doc, "get", "pods", "-n", "test", "-o", "wide",
         note="The first replica runs in cluster1, the high-priority group:")
    pod = [p for p in f.items("pods", "test") if ready(p)][0]["metadata"]["name"]
    for metric in ("num_requests_waiting", "num_requests_running"):
        out = f.wait(lambda: f.sw("get", "--raw", f"/apis/custom.metrics.k8s.io/v1beta1/namespaces/test/pods/{pod}/{metric}", check=False), 30, f"custom metric {metric}")
        v = json.loads(out)
        assert v["items"][0]["metricName"] == metric, out
    if doc:
        doc.text("## Step 1: the custom metrics\n\nThe adapter rules map vLLM's `vllm:num_requests_waiting` and `vllm:num_requests_running` to the names the FederatedHPA asks for, exactly as the seed's Prometheus-adapter rules do:")
        doc.shell(f"spillway get --raw /apis/custom.metrics.k8s.io/v1beta1/namespaces/test/pods/{pod}/num_requests_running",
                  json.dumps(json.loads(f.sw("get", "--raw", f"/apis/custom.metrics.k8s.io/v1beta1/namespaces/test/pods/{pod}/num_requests_running")), indent=2))

    # -- priority-based scheduling: the second replica goes to cluster2
    out = f.sw("scale", "deployment", "-n", "test", "qwen3", "--replicas=2")
    if doc:
        doc.text("## Verify priority-based scheduling\n\nScale out by hand. cluster1 has one GPU, so the second replica goes to cluster2, the low-priority group:")
        doc.shell("spillway scale deployment -n test qwen3 --replicas=2", out)
    # The FederatedHPA sees no load and takes a manual scale back at its next
    # sync (its recommendations are all 1), so the placement is read from the
    # scheduler's events, which keep it.
    def spilled():
        return [e for e in f.items("events", "test")
                if e.get("reason") == "ScheduleBindingSucceed" and "cluster1=1, cluster2=1" in e.get("message", "")]
    ev = f.wait(spilled, 60, "the second replica placed in cluster2")
    assert "tier low-priority" in ev[0]["message"], ev[0]
    f.wait(lambda: [e for e in f.items("events", "test") if e.get("reason") == "SuccessfulCreate"
                    and "(cluster cluster2)" in e.get("message", "")], 60, "a replica created in cluster2")
    if doc:
        evs = f.sw("get", "events", "-n", "test")
        doc.shell("spillway get events -n test | grep deployment/qwen3",
                  "\n".join(l for l in evs.splitlines() if "deployment/qwen3" in l or l.startswith("LAST")))
    # the FederatedHPA sees no load and takes the manual scale back within its
    # 30 s scale-down window; scale-in removes the low-priority replica first
    f.wait(lambda: binding(f, "test", "qwen3") == {"cluster1": 1}, 120, "scale-in from cluster2 back to cluster1 only")
    f.wait(lambda: pods_by_cluster(f, "test") == {"cluster1": 1}, 120, "cluster2's replica to stop")
    if doc:
        doc.text("With no load, the FederatedHPA brings the Deployment back to its minimum (its recommendations were all 1 during its 30 s scale-down window), and scale-in removes the replica from the lowest tier, cluster2, first:")
        doc.shell("spillway get pods -n test -o wide", f.sw("get", "pods", "-n", "test", "-o", "wide"))

    # -- FederatedHPA under the seed's load, through the gateway
    load = hey(f, SEED1_HEY, "/v1/chat/completions", 0)
    if doc:
        doc.text(f"""## Verify FederatedHPA

The gateway (spillway's multi-cluster load balancer, in place of the seed's
multi-cluster ALB) serves every replica of `qwen3-0.6b` on one address. Run
the seed's load test against it:

```console
$ hey -n 600 -c 60 -m POST -H "Content-Type: application/json" \\
    -d '{{"messages": [{{"role": "user", "content": "Test it"}}]}}' \\
    http://127.0.0.1:8000/v1/chat/completions
```
""")
    up3 = f.wait(lambda: (lambda r: r if (r[0] or 0) >= 3 or (r[1] or 0) >= 3 else None)(fhpa_replicas(f, "test", "vllm-fhpa")), 300, "the FederatedHPA to scale out to 3")
    desc = f.sw("describe", "fhpa", "-n", "test", "vllm-fhpa")
    top = f.sw("top", "pods", "-n", "test")
    if doc:
        doc.text("`num_requests_running` rises and the FederatedHPA scales out:")
        doc.shell("spillway describe fhpa -n test vllm-fhpa", desc)
        doc.text("`spillway top pods` shows, per replica, the values the FederatedHPA reads (the custom metrics API):")
        doc.shell("spillway top pods -n test", top)
    b = f.wait(lambda: (lambda b: b if sum(b.values()) >= 3 else None)(binding(f, "test", "qwen3")), 60, "three replicas placed")
    assert b.get("cluster1") == 1 and b.get("cluster2", 0) >= 2, b
    # inventory-aware scheduling: cluster2 had one GPU; the third replica gets
    # an elastic node provisioned for it
    f.wait(lambda: any(n["metadata"]["name"].startswith("cluster2-elastic") for n in f.items("nodes")), 120, "an elastic node in cluster2")
    # "the new replica starts successfully": scheduled on the provisioned
    # elastic node and its container started. (Whether it also turns Ready
    # before the FederatedHPA scales in depends on how long the seed's fixed
    # 600 requests last against its 30 s readiness delay, so it is not asserted.)
    def started_on_elastic():
        evs = f.items("events", "test")
        on_elastic = {e["involvedObject"]["name"] for e in evs if e.get("reason") == "Scheduled"
                      and "to cluster2-elastic" in e.get("message", "")}
        return sorted(e["involvedObject"]["name"] for e in evs
                      if e.get("reason") == "Started" and e["involvedObject"]["name"] in on_elastic)
    started = f.wait(started_on_elastic, 200, "a replica started on cluster2's elastic node")
    if doc:
        doc.text("## Verify inventory-aware scheduling\n\ncluster1 and cluster2 had two GPUs between them; the third replica starts anyway, on a node cluster2's elastic pool provisioned for it:")
        doc.shell("spillway get rb -n test", f.sw("get", "rb", "-n", "test"))
        doc.shell("spillway get nodes -o wide", f.sw("get", "nodes", "-o", "wide"))
        doc.shell("spillway get pods -n test -o wide", f.sw("get", "pods", "-n", "test", "-o", "wide"))
    out, _ = load.communicate(timeout=900)
    codes = hey_codes(out)
    assert codes == {200: 600}, out
    if doc:
        doc.text("hey finishes with every request answered:")
        doc.shell("hey ... (summary)", "\n".join(l for l in out.splitlines() if l.strip().startswith(("Total:", "Requests/sec", "[200]", "Status code"))))
    # back to the minimum once the load is gone
    f.wait(lambda: fhpa_replicas(f, "test", "vllm-fhpa") == (1, 1), 400, "the FederatedHPA back to 1")
    f.wait(lambda: pods_by_cluster(f, "test") == {"cluster1": 1}, 200, "only cluster1's replica left")
    if doc:
        doc.text("After the load test ends, the 30 s scale-down window passes and the FederatedHPA returns to its minimum; the replicas leave cluster2 first, and cluster1's stays:")
        doc.shell("spillway get fhpa -n test vllm-fhpa", f.sw("get", "fhpa", "-n", "test", "vllm-fhpa"))
        doc.shell("spillway get pods -n test -o wide", f.sw("get", "pods", "-n", "test", "-o", "wide"))
    return {"scaled_to": up3, "started_on_elastic": started, "codes": codes}


# ---------------------------------------------------------------- seed 2 ----

def seed2(f, doc=None):
    """The second seed: one ACK Edge cluster with an on-prem GPU pool and an
    elastic cloud pool, a ResourcePolicy preferring on-prem, a KServe
    InferenceService autoscaled on GPU utilisation (50 %, 1..3)."""
    ex = os.path.join(ROOT, "examples", "seed2")
    if doc:
        doc.text(f"""# Walkthrough: the second seed — burst from on-prem GPUs to cloud GPUs

The second seed's tutorial (ACK Edge cluster, ResourcePolicy preferring the
on-premises pool, KServe InferenceService autoscaled on GPU utilisation,
cluster-autoscaler provisioning cloud GPU nodes) run with spillway on one
machine without GPUs. Every output below was printed by the command above
it, in one real run (`python3 tests/e2e/walkthrough.py seed2 --doc
docs/walkthrough-seed2.md`, clock x{f.time_scale:g}).

Start spillway without the first seed's example, then add the cluster of
`examples/seed2/cluster.yaml`: one on-prem pool `npxxxxxx` (one GPU) and an
elastic pool `npxxxxxy` (up to two cloud GPU nodes, 60 s to provision).

```console
$ spillway up --example none
```
""")
    out = f.sw("apply", "-f", os.path.join(ex, "cluster.yaml"))
    if doc:
        doc.shell("spillway apply -f examples/seed2/cluster.yaml", out)
    f.wait(lambda: any(c.get("type") == "Ready" and c.get("status") == "True" for c in f.json("get", "cluster", "edge").get("status", {}).get("conditions", [])), 60, "cluster edge Ready")
    show(f, doc, "get", "nodes", "-o", "wide")
    out = f.sw("apply", "-f", os.path.join(ex, "resourcepolicy.yaml"))
    if doc:
        doc.text("## Step 2: resource scheduling priority\n\nThe seed's ResourcePolicy, verbatim: pods labelled `app: isvc.qwen-predictor` go to the on-prem pool first, then to the elastic pool.")
        doc.shell("spillway apply -f examples/seed2/resourcepolicy.yaml", out)
    serve = ["serve", "kserve", "--name=qwen-chat",
             "--image=kube-ai-registry.cn-shanghai.cr.aliyuncs.com/kube-ai/vllm:0.4.1",
             "--scale-metric=DCGM_CUSTOM_PROCESS_SM_UTIL", "--scale-target=50",
             "--min-replicas=1", "--max-replicas=3", "--gpus=1", "--cpu=4", "--memory=12Gi",
             "--data=llm-model:/mnt/models/Qwen", "--label=app=isvc.qwen-predictor",
             "python3 -m vllm.entrypoints.openai.api_server --port 8080 --trust-remote-code --served-model-name qwen --model /mnt/models/Qwen --gpu-memory-utilization 0.95 --quantization gptq --max-model-len=6144"]
    out = f.sw(*serve)
    if doc:
        doc.text("## Step 3: deploy the inference service\n\n`spillway serve kserve` takes arena's flags and creates the same KServe InferenceService (the seed's `arena serve kserve` command, plus `--label` for the ResourcePolicy's selector):")
        doc.shell("spillway " + " ".join(a if " " not in a else repr(a) for a in serve), out)
    f.wait(lambda: sum(pods_by_cluster(f, "default", ready_only=True).values()) == 1, 200, "the first predictor replica Ready")
    show(f, doc, "get", "isvc,hpa", note="The InferenceService, and the HorizontalPodAutoscaler it created (GPU utilisation, target 50, 1..3):")
    show(f, doc, "get", "pods", "-o", "wide", note="The first replica runs on the on-prem node:")
    pods = [p for p in f.items("pods", "default") if ready(p)]
    assert pods[0]["metadata"]["annotations"].get("spillway.io/pool") == "npxxxxxx", pods[0]["metadata"]

    # step 4: one request through the gateway, as the seed's curl
    body = '{"model": "qwen", "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 512, "temperature": 0.7, "top_p": 0.9, "seed": 10, "stop":["<|endoftext|>", "<|im_end|>", "<|im_start|>"]}'
    cp = subprocess.run(["curl", "-s", "-H", "Host: qwen-chat-default.example.com", "-H", "Content-Type: application/json",
                         f"{f.gateway}/v1/chat/completions", "-X", "POST", "-d", body], capture_output=True, text=True, timeout=120)
    resp = json.loads(cp.stdout)
    assert resp.get("object") == "chat.completion" and resp.get("model") == "qwen", cp.stdout + f.log()
    if doc:
        short = dict(resp)
        short["choices"] = [dict(resp["choices"][0], message=dict(resp["choices"][0]["message"], content=resp["choices"][0]["message"]["content"][:80] + "…"))]
        doc.text("## Step 4: verify the inference service\n\nThe seed's request, through spillway's gateway (its port stands in for the seed's ingress address; the content is cut here):")
        doc.shell(f"curl -H \"Host: qwen-chat-default.example.com\" -H \"Content-Type: application/json\" http://127.0.0.1:8000/v1/chat/completions -X POST -d '{body}'", json.dumps(short, indent=2))

    # step 5: burst
    load = hey(f, SEED2_HEY, "/v1/chat/completions", 120)
    if doc:
        doc.text("""## Step 5: test burst-to-cloud scaling

```console
$ hey -z 2m -c 5 -m POST -host qwen-chat-default.example.com \\
    -H "Content-Type: application/json" \\
    -d '{"model": "qwen", "messages": [{"role": "user", "content": "Test"}], "max_tokens": 10, "temperature": 0.7, "top_p": 0.9, "seed": 10}' \\
    http://127.0.0.1:8000/v1/chat/completions
```
""")
    f.wait(lambda: (f.json("get", "hpa", "qwen-chat-predictor").get("status", {}).get("desiredReplicas") or 0) >= 2, 300, "the HPA to scale out")
    pending = f.wait(lambda: [p for p in f.items("pods", "default") if p.get("status", {}).get("phase") == "Pending"], 120, "a Pending replica")
    if doc:
        doc.text("GPU utilisation passes 50 % and the HPA scales the predictor out. The on-prem pool has one GPU, so the new pod is Pending:")
        doc.shell("spillway describe hpa qwen-chat-predictor", f.sw("describe", "hpa", "qwen-chat-predictor"))
        doc.shell("spillway get pods -o wide", f.sw("get", "pods", "-o", "wide"))
    f.wait(lambda: sum(pods_by_cluster(f, "default", ready_only=True).values()) == 3, 900, "three Ready replicas")
    nodes = [n for n in f.items("nodes") if n["metadata"]["labels"].get("alibabacloud.com/nodepool-id") == "npxxxxxy"]
    assert len(nodes) == 2, [n["metadata"]["name"] for n in nodes]
    pools = sorted(p["metadata"]["annotations"].get("spillway.io/pool") for p in f.items("pods", "default") if ready(p))
    assert pools == ["npxxxxxx", "npxxxxxy", "npxxxxxy"], pools
    if doc:
        doc.text("The Kubernetes algorithm counts a replica that reports no metric yet as idle while scaling up, so the HPA goes 1 → 2 and, once the second replica serves, 2 → 3. Each new pod waits Pending while the cluster autoscaler provisions a cloud GPU node for it in the elastic pool; then it becomes Ready there:")
        doc.shell("spillway get nodes -o wide", f.sw("get", "nodes", "-o", "wide"))
        doc.shell("spillway get pods -o wide", f.sw("get", "pods", "-o", "wide"))
        ev = f.sw("get", "events")
        doc.shell("spillway get events | grep -iE 'scale|schedul'", "\n".join(l for l in ev.splitlines() if "cale" in l or "chedul" in l or l.startswith("LAST")))
    # The seed's hey runs for two minutes of wall time; once the outcome is
    # there, stop it early (it still prints its summary) when the clock runs
    # faster than wall time.
    if f.time_scale > 1 and load.poll() is None:
        load.send_signal(signal.SIGINT)
    out, _ = load.communicate(timeout=900)
    codes = hey_codes(out)
    assert set(codes) == {200}, out
    # and back: the HPA's default 300 s scale-down window, then the elastic
    # pods go first and the idle cloud nodes are removed after 600 s
    f.wait(lambda: (f.json("get", "hpa", "qwen-chat-predictor").get("status", {}).get("currentReplicas")) == 1, 900, "the HPA back to 1")
    f.wait(lambda: [p["metadata"]["annotations"].get("spillway.io/pool") for p in f.items("pods", "default") if not p["metadata"].get("deletionTimestamp")] == ["npxxxxxx"], 200, "only the on-prem replica left")
    f.wait(lambda: not [n for n in f.items("nodes") if n["metadata"]["labels"].get("alibabacloud.com/nodepool-id") == "npxxxxxy"], 1200, "the idle elastic nodes removed")
    if doc:
        doc.text("When the burst is over, the HPA scales back to 1 after its default 5-minute window; the cloud pods go first, and the idle cloud nodes are removed after `scaleDownUnneededSeconds` (600 s):")
        doc.shell("spillway get pods -o wide", f.sw("get", "pods", "-o", "wide"))
        doc.shell("spillway get nodes -o wide", f.sw("get", "nodes", "-o", "wide"))
    return {"codes": codes}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("seed", choices=["seed1", "seed2"])
    ap.add_argument("--doc", help="write the walkthrough document here")
    ap.add_argument("--time-scale", type=float, default=1.0)
    a = ap.parse_args()
    f = Fleet(a.time_scale, "seed1" if a.seed == "seed1" else "none", gateway_port=None)
    doc = Doc() if a.doc else None
    try:
        result = (seed1 if a.seed == "seed1" else seed2)(f, doc)
        print(json.dumps(result, indent=2))
    finally:
        f.stop()
    if doc:
        doc.write(a.doc)


if __name__ == "__main__":
    sys.exit(main())
