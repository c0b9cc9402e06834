#!/usr/bin/env python3
"""Scrape cost for N pods at a 1 s interval, spillway beside Prometheus.

Serves a vLLM-sized /metrics body (gen_vllm_metrics.py) from one nginx
(worker_processes 1, keep-alive) under N URLs spread over 4 ports, then, one
after another on the same targets:
  spillway scraper  `spillway metrics bench`: libcurl multi on libuv, parse,
                    sample store (the hub's scrape path without the store)
  spillway hub      `spillway metrics bench --pods`: the whole hub, N Pod
                    objects in an in-memory store, scraped as `up` does
  prometheus        Debian's prometheus scraping the same N targets every 1 s
                    (scrape, parse, TSDB append), the baseline
and prints CPU seconds per wall second of each (user+system, measured after a
warm-up) and the ratio to Prometheus. nginx's own CPU is the same for all
and not counted. Every process started here is stopped here."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    spillway = sys.argv[1]
    pods = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    duration = float(sys.argv[3]) if len(sys.argv) > 3 else 20
    warmup = 5.0
    tmp = tempfile.mkdtemp(prefix="spillway-bench-metrics-")
    procs = []
    try:
        body = subprocess.run([sys.executable, os.path.join(HERE, "gen_vllm_metrics.py")], check=True,
                              capture_output=True, text=True).stdout
        os.makedirs(f"{tmp}/www")
        with open(f"{tmp}/www/metrics.txt", "w") as f:
            f.write(body)
        ports = [free_port() for _ in range(4)]
        listens = "\n".join(f"    listen 127.0.0.1:{p};" for p in ports)
        with open(f"{tmp}/nginx.conf", "w") as f:
            f.write(f"""daemon off; master_process off; worker_processes 1;
pid {tmp}/nginx.pid; error_log {tmp}/nginx-error.log;
events {{ worker_connections 8192; }}
http {{
  access_log off; keepalive_requests 1000000; keepalive_timeout 300s;
  client_body_temp_path {tmp}/t1; proxy_temp_path {tmp}/t2; fastcgi_temp_path {tmp}/t3;
  uwsgi_temp_path {tmp}/t4; scgi_temp_path {tmp}/t5;
  server {{
{listens}
    location /pod/ {{ root {tmp}/www; default_type text/plain; try_files /metrics.txt =404; }}
  }}
}}
""")
        nginx = subprocess.Popen(["nginx", "-p", tmp, "-c", f"{tmp}/nginx.conf", "-e", f"{tmp}/nginx-error.log"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(nginx)
        targets = [(ports[i % 4], f"/pod/{i}/metrics") for i in range(pods)]
        with open(f"{tmp}/targets.txt", "w") as f:
            for port, path in targets:
                f.write(f"http://127.0.0.1:{port}{path}\n")
        for _ in range(50):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/pod/0/metrics", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        results = []
        for mode, extra in (("spillway scraper", []), ("spillway hub", ["--pods"])):
            p = subprocess.run([spillway, "metrics", "bench", "--targets", f"{tmp}/targets.txt", "--duration",
                                str(duration), "--warmup", str(warmup), "--interval", "1", "--timeout", "1", *extra],
                               capture_output=True, text=True, timeout=duration + warmup + 60)
            if p.returncode != 0:
                raise SystemExit(f"{mode} failed: {p.stderr}")
            r = json.loads(p.stdout.strip().splitlines()[-1])
            if not r["scrapes"]:
                raise SystemExit(f"{mode}: nothing was scraped: {p.stdout}")
            if "failures" in r:
                note = f"{r['scrapes'] / r['wall_seconds']:.0f} scrapes/s, {1 - r['failures'] / r['scrapes']:.1%} ok"
            else:
                note = f"{r['scrapes'] / r['wall_seconds']:.0f} scrapes/s, {r['pods_ok_at_end']} pods ok at the end"
            results.append((mode, r["cpu_per_wall_second"], r["max_rss_kb"], note))
        # the baseline: Prometheus on the same targets
        cfg = [f"global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n- job_name: pods\n"
               f"  static_configs:\n"]
        for i, (port, path) in enumerate(targets):
            cfg.append(f"  - targets: ['127.0.0.1:{port}']\n    labels: {{__metrics_path__: '{path}', "
                       f"kubernetes_namespace: bench, kubernetes_pod_name: pod-{i:05d}}}\n")
        with open(f"{tmp}/prometheus.yml", "w") as f:
            f.write("".join(cfg))
        pport = free_port()
        plog = open(f"{tmp}/prometheus.log", "w")
        prom = subprocess.Popen(["prometheus", f"--config.file={tmp}/prometheus.yml",
                                 f"--storage.tsdb.path={tmp}/data", f"--web.listen-address=127.0.0.1:{pport}"],
                                stdout=plog, stderr=subprocess.STDOUT)
        procs.append(prom)
        time.sleep(warmup + 5)  # start-up, then the first scrapes create every series
        c0, t0 = cpu_of(prom.pid), time.monotonic()
        time.sleep(duration)
        c1, t1 = cpu_of(prom.pid), time.monotonic()
        win = int(duration)
        q = urllib.parse.quote(f"sum(count_over_time(up[{win}s]))/{win}, sum(sum_over_time(up[{win}s]))"
                               f"/sum(count_over_time(up[{win}s]))")
        rate_q, ok_q = q.split("%2C%20")
        rate = json.load(urllib.request.urlopen(f"http://127.0.0.1:{pport}/api/v1/query?query={rate_q}", timeout=10))
        okr = json.load(urllib.request.urlopen(f"http://127.0.0.1:{pport}/api/v1/query?query={ok_q}", timeout=10))
        val = lambda a: float(a["data"]["result"][0]["value"][1]) if a["data"]["result"] else 0.0  # noqa: E731
        results.append(("prometheus (baseline)", (c1 - c0) / (t1 - t0), rss_kb(prom.pid),
                        f"{val(rate):.0f} scrapes/s, {val(okr):.1%} ok"))
        base = results[-1][1]
        print(f"scrape cost: {pods} pods, vLLM-sized /metrics ({len(body)} bytes, "
              f"{sum(1 for l in body.splitlines() if l and l[0] != '#')} series), every 1 s, "
              f"measured over {duration:g} s")
        print(f"{'':24}{'CPU s / wall s':>16}{'RSS MiB':>10}{'vs prometheus':>15}  check")
        for name, cpu, rss, note in results:
            print(f"{name:24}{cpu:16.3f}{rss / 1024:10.0f}{cpu / base if base else 0:14.2f}x  {note}")
    finally:
        for p in reversed(procs):
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
