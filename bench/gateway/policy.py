#!/usr/bin/python3
"""bench/gateway/policy.py — what load-aware routing buys when replicas are
not alike: p99 time to first token through the gateway with each routing
policy, same replicas, same arrival schedule, in one run.

Two `spillway engine` replicas of one model; the second is made SLOWDOWN times
slower (the engine's fault admin: a hotter GPU, a noisy neighbour, a smaller
card). Both have a small --max-num-seqs so that an overloaded replica queues
(vLLM's num_requests_waiting) instead of only slowing down. The fast one's
throughput is measured first; then an open-loop Poisson load at LOAD x the
pair's combined capacity is replayed through the gateway once per policy
(least-load, least-inflight, round-robin), streaming, measuring the time to
the first content token. The ratio round-robin / least-load is printed last.

    bench/gateway/policy.py [--slowdown 4] [--load 0.7] [--duration 15] [--time-scale 2]

SPILLWAY_BIN selects the binary (default: build-release/spillway)."""
import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import BIN, free_port, spawn, stop_all, wait_port  # noqa: E402

MODEL = "qwen3-0.6b"


def http(url, body=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read().decode()


def engine_load(port):
    text = http(f"http://127.0.0.1:{port}/metrics")
    total = 0.0
    for name in ("vllm:num_requests_running", "vllm:num_requests_waiting"):
        m = re.search(rf"^{re.escape(name)}{{[^}}]*}} ([\d.e+-]+)", text, re.M)
        total += float(m.group(1)) if m else 0
    return total


async def stream_one(port, body, out):
    raw = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}").encode()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    ttft = None
    status = 0
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(raw)
        buf = b""
        while True:
            d = await reader.read(65536)
            if not d:
                break
            buf += d
            if not status and b"\r\n" in buf:
                status = int(buf.split(b" ", 2)[1])
            if ttft is None and re.search(rb'"content":"[^"]', buf):
                ttft = loop.time() - t0
            if b"data: [DONE]" in buf:
                break
        writer.close()
    except OSError:
        pass
    out.append((status, ttft, loop.time() - t0))


async def open_loop(port, body, arrivals):
    out = []
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks = []
    for at in arrivals:
        delay = at - (loop.time() - start)
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(stream_one(port, body, out)))
    await asyncio.gather(*tasks)
    return out


async def closed_loop(port, body, concurrency, seconds):
    out = []
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds

    async def worker():
        while loop.time() < end:
            await stream_one(port, body, out)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(out) / seconds


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slowdown", type=float, default=4)
    ap.add_argument("--load", type=float, default=0.7, help="offered load / combined capacity")
    ap.add_argument("--duration", type=float, default=15)
    ap.add_argument("--time-scale", type=float, default=2)
    ap.add_argument("--max-num-seqs", type=int, default=4)
    ap.add_argument("--max-tokens", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if not os.access(BIN, os.X_OK):
        sys.exit(f"{BIN}: not built (scripts/build.sh release, or set SPILLWAY_BIN)")
    tmp = tempfile.mkdtemp(prefix="bench-policy-")
    log = open(os.path.join(tmp, "bench.log"), "w")
    body = json.dumps({"model": MODEL, "stream": True, "max_tokens": a.max_tokens,
                       "messages": [{"role": "user", "content": "Test it"}]})
    try:
        fast, slow = free_port(), free_port()
        for p in (fast, slow):
            spawn([BIN, "engine", "--host", "127.0.0.1", "--port", str(p), "--served-model-name", MODEL,
                   "--time-scale", str(a.time_scale), "--startup-seconds", "0", "--max-num-seqs",
                   str(a.max_num_seqs), "--enable-faults", "--seed", "7"], log)
        for p in (fast, slow):
            wait_port(p)
        http(f"http://127.0.0.1:{slow}/admin/fault", {"slowdown": a.slowdown})

        cap_fast = asyncio.run(closed_loop(fast, body, a.max_num_seqs, 4))
        cap_slow = cap_fast / a.slowdown
        rate = a.load * (cap_fast + cap_slow)
        rng = random.Random(a.seed)
        arrivals, t = [], 0.0
        while True:
            t += rng.expovariate(rate)
            if t >= a.duration:
                break
            arrivals.append(t)
        print(f"# fast replica ~{cap_fast:.0f} req/s, slow one {a.slowdown:g}x slower (~{cap_slow:.0f} req/s); "
              f"offered {rate:.0f} req/s ({a.load:.0%} of both), {len(arrivals)} streaming requests, "
              f"max_tokens {a.max_tokens}, --max-num-seqs {a.max_num_seqs}, --time-scale {a.time_scale:g}")

        eps = os.path.join(tmp, "endpoints.yaml")
        with open(eps, "w") as f:
            json.dump({"endpoints": [{"model": MODEL, "address": f"127.0.0.1:{fast}", "cluster": "fast"},
                                     {"model": MODEL, "address": f"127.0.0.1:{slow}", "cluster": "slow"}]}, f)
        results = {}
        for policy in ("least-load", "least-inflight", "round-robin"):
            gw, gm = free_port(), free_port()
            g = spawn([BIN, "gateway", "--listen", f"127.0.0.1:{gw}", "--endpoints", eps, "--policy", policy,
                       "--metrics-listen", f"127.0.0.1:{gm}", "--scrape-interval", "0.25", "--workers", "1"], log)
            wait_port(gw)
            time.sleep(0.6)  # a first scrape of both replicas
            out = asyncio.run(open_loop(gw, body, arrivals))
            metrics = http(f"http://127.0.0.1:{gm}/metrics")
            counts = {c: float(n) for c, n in re.findall(
                r'^spillway_gateway_requests_total\{model="[^"]*",code="200",cluster="(\w+)"\} (\d+)', metrics, re.M)}
            g.send_signal(signal.SIGTERM)
            g.wait(30)
            deadline = time.time() + 120  # let both replicas drain before the next policy
            while time.time() < deadline and engine_load(fast) + engine_load(slow) > 0:
                time.sleep(0.2)
            ok = [r for r in out if r[0] == 200 and r[1] is not None]
            results[policy] = {
                "n": len(out), "ok": len(ok),
                "ttft50": pct([r[1] for r in ok], 50), "ttft99": pct([r[1] for r in ok], 99),
                "e2e99": pct([r[2] for r in ok], 99),
                "slow_share": counts.get("slow", 0) / max(1, sum(counts.values())),
            }
        print(f"{'policy':<16} {'requests':>8} {'ok':>6} {'TTFT p50 ms':>12} {'TTFT p99 ms':>12} {'e2e p99 ms':>11} "
              f"{'to slow':>8}")
        for policy, r in results.items():
            print(f"{policy:<16} {r['n']:>8} {r['ok']:>6} {r['ttft50'] * 1000:>12.1f} {r['ttft99'] * 1000:>12.1f} "
                  f"{r['e2e99'] * 1000:>11.1f} {r['slow_share']:>8.0%}")
        ll, rr, li = results["least-load"], results["round-robin"], results["least-inflight"]
        print(f"ratio p99 TTFT round-robin / least-load: {rr['ttft99'] / ll['ttft99']:.1f}x "
              f"(least-inflight / least-load: {li['ttft99'] / ll['ttft99']:.1f}x)")
    finally:
        stop_all()
        log.close()
        if os.environ.get("KEEP_TMP"):
            print(f"(kept {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
