#!/usr/bin/env python3
"""Engine benchmark: calibration against published vLLM figures, and one
engine holding 2,000 concurrent streams.

For every built-in profile and every published point it claims (profiles/
NAME.json "published"), runs the point's workload against a real `spillway
engine` at --time-scale 1 and prints, side by side: the published figure,
the latency model's own prediction in virtual time (virtual.c, the baseline
run in the same invocation), and what a client measured against the engine,
with the error against the published figure (target: within 15 %).

Then 2,000 concurrent streaming requests against one engine: how many run
and wait (vLLM's max-num-seqs), the median error between the inter-token
gaps and the model's (target < 1 ms) -- measured on the engine's clock (each
chunk carries the model time of its token and the engine's clock when it was
written) and on the client's clock (adds the kernel and the client) -- and
the engine's CPU use (target < 0.5 core), as CPU seconds per 1,000 streamed
tokens.

    /usr/bin/python3 bench/engine/bench.py [--quick] [--only calibration|streams]

SPILLWAY_BIN selects the binary (default build-release/spillway; build it
with scripts/build.sh release). Needs cc, libuv, http-parser, jansson.
"""
import argparse
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("SPILLWAY_BIN", os.path.join(ROOT, "build-release", "spillway"))
HERE = os.path.dirname(os.path.abspath(__file__))


def build_tools():
    srcs = [os.path.join(HERE, "streamload.c"), os.path.join(HERE, "virtual.c")] + [
        os.path.join(ROOT, "src", p) for p in
        ("engine/model.c", "engine/profile.c", "engine/profiles_builtin.c", "base/base.c")]
    h = hashlib.sha1(b"".join(open(s, "rb").read() for s in srcs)).hexdigest()[:12]
    d = os.path.join(tempfile.gettempdir(), f"spillway-bench-engine-{h}")
    os.makedirs(d, exist_ok=True)
    load, virt = os.path.join(d, "streamload"), os.path.join(d, "virtual")
    if not os.path.exists(load):
        subprocess.run(["cc", "-O2", "-D_GNU_SOURCE", "-o", load, srcs[0], "-luv", "-lhttp_parser", "-ljansson", "-lm"],
                       check=True)
    if not os.path.exists(virt):
        subprocess.run(["cc", "-O2", "-D_GNU_SOURCE", "-I", os.path.join(ROOT, "src"), "-o", virt, srcs[1], *srcs[2:],
                        "-ljansson", "-lm"], check=True)
    return load, virt


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Engine:
    def __init__(self, *args):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="bench-engine-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([BIN, "engine", *args, "--port", str(self.port), "--host", "127.0.0.1",
                                      "--startup-seconds", "0", "--time-scale", "1", "--emit-token-times",
                                      "--log-level", "warn"], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1)
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        sys.exit(f"engine did not start: {' '.join(args)}\n" + open(self.log.name).read())

    def metrics(self):
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5).read().decode()
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                k, _, v = line.rpartition(" ")
                out[k.split("{")[0]] = out.get(k.split("{")[0], 0) + float(v) if "_bucket" not in k else 0
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        os.unlink(self.log.name)


def workload_args(w):
    args = [w["kind"] if w["kind"] != "closed" else "closed", "--requests", str(w["requests"]),
            "--prompt", str(w["prompt_tokens"]), "--output", str(w["output_tokens"])]
    if w["kind"] == "poisson":
        args += ["--rate", str(w["rate"])]
    if w["kind"] == "closed":
        args += ["--concurrency", str(w["concurrency"])]
    return args


def load_desc(w):
    shape = f'{w["prompt_tokens"]}/{w["output_tokens"]} tok'
    if w["kind"] == "poisson":
        return f'{w["rate"]:g} req/s x{w["requests"]}, {shape}'
    if w["kind"] == "closed":
        return f'concurrency {w["concurrency"]} x{w["requests"]}, {shape}'
    return f'burst x{w["requests"]}, {shape}'


def err_pct(measured, published):
    if published is None or measured is None:
        return ""
    return f"{(measured - published) / published * 100:+.1f}%"


def fmt(v, nd=1):
    return "-" if v is None else f"{v:.{nd}f}"


def calibration(load, virt, quick):
    rows = []
    names = [f[:-5] for f in sorted(os.listdir(os.path.join(ROOT, "profiles"))) if f.endswith(".json")]
    for name in names:
        prof = json.load(open(os.path.join(ROOT, "profiles", f"{name}.json")))
        for point in prof["published"]:
            w = dict(point["workload"])
            if quick:
                w["requests"] = max(20, w["requests"] // 5) if w["kind"] != "burst" else w["requests"]
            engine_args = point.get("engine_args", [])
            vflags = []
            for i in range(0, len(engine_args) - 1, 2):
                if engine_args[i] in ("--gpu-memory-utilization", "--max-model-len"):
                    vflags += [engine_args[i], engine_args[i + 1]]
            v = json.loads(subprocess.run([virt, name, *workload_args(w), *vflags], check=True,
                                          capture_output=True, text=True).stdout)
            e = Engine("--profile", name, *engine_args)
            cpu0 = cpu_seconds(e.proc.pid)
            p = subprocess.run([load, str(e.port), *workload_args(w)], capture_output=True, text=True)
            cpu = cpu_seconds(e.proc.pid) - cpu0
            e.stop()
            if p.returncode != 0:
                print(p.stdout, p.stderr, file=sys.stderr)
            r = json.loads(p.stdout)
            rows.append({
                "profile": name, "point": point["id"], "load": load_desc(w),
                "ttft_pub": point.get("ttft_ms"), "ttft_model": v["ttft_mean_ms"], "ttft_engine": r["ttft_mean_ms"],
                "tpot_pub": point.get("tpot_ms"), "tpot_model": v["tpot_mean_ms"], "tpot_engine": r["tpot_mean_ms"],
                "itl_err": r["engine_itl_err_median_ms"], "ok": f'{r["ok"]}/{r["requests"]}',
                "cpu_per_1k": cpu / max(1, r["tokens"]) * 1000,
            })
            print(f"  done: {name} {point['id']}", file=sys.stderr)
    print("\n== calibration at --time-scale 1 (published | model in virtual time | engine measured by a client)")
    hdr = (f'{"profile":<16} {"point":<9} {"load":<34} {"TTFT ms pub":>11} {"model":>8} {"engine":>8} {"err":>7}   '
           f'{"TPOT ms pub":>11} {"model":>7} {"engine":>7} {"err":>7}   {"ITL err med ms":>14} {"CPU s/1k tok":>12} '
           f'{"ok":>8}')
    print(hdr)
    print("-" * len(hdr))
    worst = 0
    for r in rows:
        for a, b in (("ttft_engine", "ttft_pub"), ("tpot_engine", "tpot_pub")):
            if r[b] is not None:
                worst = max(worst, abs(r[a] - r[b]) / r[b] * 100)
        print(f'{r["profile"]:<16} {r["point"]:<9} {r["load"]:<34} {fmt(r["ttft_pub"]):>11} {fmt(r["ttft_model"]):>8} '
              f'{fmt(r["ttft_engine"]):>8} {err_pct(r["ttft_engine"], r["ttft_pub"]):>7}   {fmt(r["tpot_pub"], 2):>11} '
              f'{fmt(r["tpot_model"], 2):>7} {fmt(r["tpot_engine"], 2):>7} {err_pct(r["tpot_engine"], r["tpot_pub"]):>7}'
              f'   {fmt(r["itl_err"], 3):>14} {r["cpu_per_1k"]:>12.4f} {r["ok"]:>8}')
    print(f"worst error against a published figure: {worst:.1f}% (target: within 15%)")
    print(f"load average: {' '.join(open('/proc/loadavg').read().split()[:3])} on {os.cpu_count()} CPUs")
    return worst


def streams(load, n, output, quick):
    print(f"\n== {n} concurrent streams against one engine (qwen3-0.6b-h100, --time-scale 1)")
    e = Engine("--profile", "qwen3-0.6b-h100")
    peak = {"running": 0, "waiting": 0}
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            try:
                m = e.metrics()
                if m.get("vllm:num_requests_running", 0) + m.get("vllm:num_requests_waiting", 0) > \
                        peak["running"] + peak["waiting"]:
                    peak["running"] = m.get("vllm:num_requests_running", 0)
                    peak["waiting"] = m.get("vllm:num_requests_waiting", 0)
            except OSError:
                pass
            stop.wait(0.5)

    t = threading.Thread(target=watch)
    t.start()
    cpu0, wall0 = cpu_seconds(e.proc.pid), time.monotonic()
    p = subprocess.run([load, str(e.port), "burst", "--requests", str(n), "--prompt", "128", "--output", str(output)],
                       capture_output=True, text=True)
    cpu, wall = cpu_seconds(e.proc.pid) - cpu0, time.monotonic() - wall0
    stop.set()
    t.join()
    e.stop()
    if p.returncode != 0:
        print(p.stdout, p.stderr, file=sys.stderr)
    r = json.loads(p.stdout)
    cores = cpu / wall
    per_1k = cpu / max(1, r["tokens"]) * 1000
    print(f'{"measure":<44} {"result":>12} {"target":>12} {"ratio":>8}')
    print(f'{"streams open at once (client)":<44} {r["peak_open"]:>12} {n:>12} {r["peak_open"] / n:>8.2f}')
    print(f'{"peak running (vllm:num_requests_running)":<44} {peak["running"]:>12.0f} {"1024":>12} '
          f'{peak["running"] / 1024:>8.2f}')
    print(f'{"   waiting at that moment":<44} {peak["waiting"]:>12.0f} {n - 1024:>12}')
    print(f'{"streams completed":<44} {r["ok"]:>12} {n:>12} {r["ok"] / n:>8.2f}')
    print(f'{"tokens streamed":<44} {r["tokens"]:>12} {n * output:>12} {r["tokens"] / (n * output):>8.2f}')
    print(f'{"median |inter-token error| ms, engine clock":<44} {r["engine_itl_err_median_ms"]:>12.3f} '
          f'{"< 1.000":>12} {r["engine_itl_err_median_ms"] / 1.0:>8.3f}')
    print(f'{"p99 |inter-token error| ms, engine clock":<44} {r["engine_itl_err_p99_ms"]:>12.3f}')
    print(f'{"median |inter-token error| ms, client clock":<44} {r["itl_err_median_ms"]:>12.3f} {"< 1.000":>12} '
          f'{r["itl_err_median_ms"] / 1.0:>8.3f}')
    print(f'{"p99 |inter-token error| ms, client clock":<44} {r["itl_err_p99_ms"]:>12.3f}')
    print(f'{"token written after its model time, median ms":<44} {r["engine_lateness_median_ms"]:>12.3f}')
    print(f'{"   p99 ms":<44} {r["engine_lateness_p99_ms"]:>12.3f}')
    print(f'{"mean inter-token latency ms (model)":<44} {r["itl_mean_ms"]:>12.3f}')
    print(f'{"engine CPU, cores (CPU s / wall s)":<44} {cores:>12.3f} {"< 0.500":>12} {cores / 0.5:>8.2f}')
    print(f'{"engine CPU s per 1,000 streamed tokens":<44} {per_1k:>12.4f}')
    print(f'{"wall time s":<44} {wall:>12.1f}')
    print(f"load average during the run (this machine is shared; other load inflates the errors): "
          f"{' '.join(open('/proc/loadavg').read().split()[:3])} on {os.cpu_count()} CPUs")
    return r, cores


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer requests per point (rough numbers)")
    ap.add_argument("--only", choices=["calibration", "streams"])
    ap.add_argument("--streams", type=int, default=2000)
    ap.add_argument("--stream-tokens", type=int, default=200)
    a = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} not found: build it with scripts/build.sh release or set SPILLWAY_BIN")
    load, virt = build_tools()
    print(f"binary: {BIN}")
    if a.only in (None, "calibration"):
        calibration(load, virt, a.quick)
    if a.only in (None, "streams"):
        streams(load, a.streams, a.stream_tokens, a.quick)


if __name__ == "__main__":
    main()
