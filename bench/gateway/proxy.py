#!/usr/bin/python3
"""bench/gateway/proxy.py — spillway's gateway against nginx, same machine,
same backend, same clients, in one run.

Backend: two nginx `return 200 '<chat.completion JSON>'` upstreams (the pure
proxy cost; see /work/shared/notes/nginx-baseline.md), or with --engines two
`spillway engine` replicas. Baseline: nginx with least_conn, keep-alive to the
upstreams, proxy_buffering off, access_log off, worker_processes = the
gateway's --workers. Load: `wrk -t1 -c64 --latency` with a Lua script POSTing
a chat body, and the first seed's `hey` request (-c 64), alternating nginx and
spillway round by round; then both at a fixed rate (hey -q) next to the
backend hit directly, to show the latency each proxy adds. The ratio is
printed last.

The machine is shared by the clients, both proxies and the upstreams, and a
single round swings by +-15 %, so every figure compared is the median over
--rounds interleaved rounds, and the throughput ratio is the median of the
per-round ratios (each round runs nginx and spillway back to back, so slow
phases of the machine hit both).

    bench/gateway/proxy.py [--workers 1] [--duration 6] [--rounds 5] [--engines]

SPILLWAY_BIN selects the binary (default: build-release/spillway; build it
with scripts/build.sh release)."""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import BIN, free_port, spawn, stop_all, wait_port  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
BODY = '{"model":"qwen3-0.6b","messages":[{"role":"user","content":"Test it"}]}'
SEED_BODY = '{"messages": [{"role": "user", "content": "Test it"}]}'
ANSWER = ('{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"qwen3-0.6b","choices":[{"index":0,'
          '"message":{"role":"assistant","content":"Hello! How can I help you today?"},"finish_reason":"stop"}],'
          '"usage":{"prompt_tokens":10,"completion_tokens":9,"total_tokens":19}}')


def measured(proc, fn, *args):
    """Runs fn(*args) and adds the CPU the proxy process spent per request (us)."""
    c0 = cpu_seconds(proc.pid) if proc else 0
    res = fn(*args)
    if proc:
        res["cpu_us"] = (cpu_seconds(proc.pid) - c0) / max(1, res["rps"] * res.get("secs", 1)) * 1e6
    return res


def nginx_conf(tmp, name, http_body, workers):
    path = os.path.join(tmp, name + ".conf")
    with open(path, "w") as f:
        f.write(f"""worker_processes {workers};
daemon off;
pid {tmp}/{name}.pid;
error_log {tmp}/{name}.err;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp};
  uwsgi_temp_path {tmp}; scgi_temp_path {tmp};
{http_body}
}}
""")
    return path


def cpu_seconds(pid):
    """utime + stime of a process and its children processes (nginx workers), all threads."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            pids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url, duration, conns, script):
    out = subprocess.run(["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--latency", "-s", script, url],
                         capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {p: ms(v, u) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: (.*)", out)
    secs = float(re.search(r"requests in ([\d.]+)(ms|s|m)", out).group(1))
    unit = re.search(r"requests in [\d.]+(ms|s|m)", out).group(1)
    secs = secs / 1000 if unit == "ms" else secs * 60 if unit == "m" else secs
    return {"rps": rps, "p50": lat.get("50"), "p99": lat.get("99"), "non2xx": int(bad.group(1)) if bad else 0,
            "errors": errs.group(1) if errs else "", "secs": secs}


def run_hey(url, args, body):
    out = subprocess.run(["hey", *args, "-m", "POST", "-H", "Content-Type: application/json", "-d", body, url],
                         capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {p: float(v) * 1000 for p, v in re.findall(r"(50|99)% in ([\d.]+) secs", out)}
    codes = {int(c): int(n) for c, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", out)}
    secs = float(re.search(r"Total:\s+([\d.]+) secs", out).group(1))
    return {"rps": rps, "p50": lat.get("50"), "p99": lat.get("99"),
            "non2xx": sum(n for c, n in codes.items() if c != 200), "errors": "Error distribution" in out,
            "secs": secs}


def med(xs):
    xs = sorted(xs)
    k = len(xs) // 2
    return xs[k] if len(xs) % 2 else (xs[k - 1] + xs[k]) / 2


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--duration", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--rate", type=int, default=2000, help="fixed request rate for the added-latency runs")
    ap.add_argument("--engines", action="store_true", help="spillway engine replicas instead of nginx return 200")
    ap.add_argument("--only", choices=("throughput", "latency"), help="run one half of the benchmark")
    a = ap.parse_args()
    if not os.access(BIN, os.X_OK):
        sys.exit(f"{BIN}: not built (scripts/build.sh release, or set SPILLWAY_BIN)")
    tmp = tempfile.mkdtemp(prefix="bench-gateway-")
    log = open(os.path.join(tmp, "bench.log"), "w")
    try:
        up = [free_port(), free_port()]
        if a.engines:
            for p in up:
                spawn([BIN, "engine", "--host", "127.0.0.1", "--port", str(p), "--served-model-name", "qwen3-0.6b",
                       "--time-scale", "1000", "--startup-seconds", "0"], log)
        else:
            servers = "\n".join(
                f"  server {{ listen 127.0.0.1:{p}; keepalive_requests 1000000;\n"
                f"    location / {{ default_type application/json; return 200 '{ANSWER}'; }} }}" for p in up)
            conf = nginx_conf(tmp, "upstreams", servers, 1)
            spawn([NGINX, "-p", tmp, "-c", conf], log)
        for p in up:
            wait_port(p)

        nginx_port, gw_port, gw_metrics = free_port(), free_port(), free_port()
        lb = nginx_conf(tmp, "baseline", f"""  upstream engines {{ least_conn; server 127.0.0.1:{up[0]}; server 127.0.0.1:{up[1]}; keepalive 128; }}
  server {{
    listen 127.0.0.1:{nginx_port}; keepalive_requests 1000000;
    location / {{
      proxy_pass http://engines; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_buffering off;
    }}
  }}""", a.workers)
        nginx_proc = spawn([NGINX, "-p", tmp, "-c", lb], log)
        eps = os.path.join(tmp, "endpoints.yaml")
        with open(eps, "w") as f:
            json.dump({"endpoints": [{"model": "qwen3-0.6b", "address": f"127.0.0.1:{p}", "cluster": f"c{i}"}
                                     for i, p in enumerate(up)]}, f)
        gw_proc = spawn([BIN, "gateway", "--listen", f"127.0.0.1:{gw_port}", "--endpoints", eps, "--workers", str(a.workers),
               "--metrics-listen", f"127.0.0.1:{gw_metrics}"], log)
        wait_port(nginx_port)
        wait_port(gw_port)
        script = os.path.join(tmp, "post.lua")
        with open(script, "w") as f:
            f.write(f"wrk.method = \"POST\"\nwrk.body = '{BODY}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n")

        targets = {"direct": up[0], "nginx": nginx_port, "spillway": gw_port}
        owner = {"direct": None, "nginx": nginx_proc, "spillway": gw_proc}
        url = lambda name: f"http://127.0.0.1:{targets[name]}/v1/chat/completions"
        for name in ("nginx", "spillway"):  # warm up: connections, pools, caches
            run_wrk(url(name), 2, a.connections, script)

        print(f"# backend: {'2 spillway engines' if a.engines else '2 nginx return-200 upstreams'}; "
              f"proxies with {a.workers} worker(s); {os.cpu_count()} cores shared by everything")
        rows = []
        by = {}  # (client, target) -> results per round, in round order
        for client in ("wrk", "hey") if a.only != "latency" else ():
            for r in range(a.rounds):
                for name in ("nginx", "spillway"):
                    if client == "wrk":
                        res = measured(owner[name], run_wrk, url(name), a.duration, a.connections, script)
                    else:
                        res = measured(owner[name], run_hey, url(name),
                                       ["-n", str(20000 if not a.engines else 5000), "-c", str(a.connections)],
                                       SEED_BODY)
                    rows.append((client, name, r + 1, res))
                    by.setdefault((client, name), []).append(res)
        per_worker = max(1, a.rate // 4)
        runs = {"direct": [], "nginx": [], "spillway": []}
        for r in range(max(3, a.rounds) if a.only != "throughput" else 0):  # interleaved: medians damp the noise
            for name in runs:
                res = run_hey(url(name), ["-z", f"{max(3, a.duration // 2)}s", "-c", "4", "-q", str(per_worker)],
                              SEED_BODY)
                runs[name].append(res)
                rows.append((f"hey@{per_worker * 4}/s", name, r + 1, res))
        fixed = {n: {"p50": med([x["p50"] for x in v]), "p99": med([x["p99"] for x in v])}
                 for n, v in runs.items() if v}

        print(f"{'client':<12} {'target':<9} {'round':>5} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'non-200':>8} "
              f"{'proxy CPU us/req':>17}")
        for client, name, r, res in rows:
            cpu = f"{res['cpu_us']:>17.1f}" if "cpu_us" in res else f"{'':>17}"
            print(f"{client:<12} {name:<9} {r:>5} {res['rps']:>10.0f} {res['p50']:>8.3f} {res['p99']:>8.3f} "
                  f"{res['non2xx']:>8} {cpu}{'  errors: ' + str(res['errors']) if res['errors'] else ''}")
        print()
        ratio = {}
        for client in ("wrk", "hey") if by else ():
            n, sp = by[(client, "nginx")], by[(client, "spillway")]
            ratio[client] = med([b["rps"] / x["rps"] for x, b in zip(n, sp)])
            print(f"median {client:<4} nginx {med([x['rps'] for x in n]):>8.0f} req/s p99 "
                  f"{med([x['p99'] for x in n]):.3f} ms | spillway {med([x['rps'] for x in sp]):>8.0f} req/s p99 "
                  f"{med([x['p99'] for x in sp]):.3f} ms | per-round ratios "
                  + " ".join(f"{b['rps'] / x['rps']:.2f}" for x, b in zip(n, sp)))
        if by:
            cpu = {n: med([x["cpu_us"] for x in by[("wrk", n)]]) for n in ("nginx", "spillway")}
            print(f"proxy CPU per request (wrk, median of rounds): nginx {cpu['nginx']:.1f} us, "
                  f"spillway {cpu['spillway']:.1f} us")
        added = {}
        if runs["direct"]:
            d = fixed["direct"]
            for name in ("nginx", "spillway"):
                f = fixed[name]
                added[name] = f["p99"] - d["p99"]
                print(f"added latency at {per_worker * 4} req/s (median of rounds), {name:<8}: "
                      f"p50 {f['p50'] - d['p50']:+.3f} ms, p99 {added[name]:+.3f} ms")
        parts = []
        if by:
            parts.append(f"throughput wrk {ratio['wrk']:.2f}x, hey {ratio['hey']:.2f}x, "
                         f"CPU per request {cpu['spillway'] / cpu['nginx']:.2f}x")
        if added:
            parts.append(f"p99 added spillway {added['spillway']:.3f} ms vs nginx {added['nginx']:.3f} ms")
        print("ratio spillway/nginx: " + "; ".join(parts) + " (target: throughput >= 1.00x, added p99 < 0.5 ms)")
    finally:
        stop_all()
        log.close()
        if os.environ.get("KEEP_TMP"):
            print(f"(kept {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
