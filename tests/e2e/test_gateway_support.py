"""Helpers for the gateway's end-to-end tests (no tests here): start the real
`spillway gateway` and `spillway engine` processes, small Python upstreams
with chosen behaviours, raw HTTP/1.1 exchanges, and `hey` runs.

Every process started here is returned to a fixture that kills it."""
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request

from conftest import BIN, TIMING_BIN, free_port


def wait_port(port, timeout=10.0, proc=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port} after {timeout}s")


def stop(proc, sig=signal.SIGTERM, timeout=20):
    """Stops a process we started; returns its exit code."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


class Gateway:
    """`spillway gateway` on free ports with an endpoints file it owns."""

    def __init__(self, tmp_path, endpoints, *args, metrics=True, bin=BIN):
        self.port = free_port()
        self.metrics_port = free_port() if metrics else None
        self.file = os.path.join(str(tmp_path), "endpoints.yaml")
        self.log_path = os.path.join(str(tmp_path), "gateway.log")
        self.write(endpoints)
        cmd = [bin, "gateway", "--listen", f"127.0.0.1:{self.port}", "--endpoints", self.file,
               "--metrics-listen", f"127.0.0.1:{self.metrics_port}" if metrics else "off", *args]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.port, proc=self.proc)

    def write(self, endpoints):
        text = endpoints if isinstance(endpoints, str) else json.dumps({"endpoints": endpoints})
        tmp = self.file + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.file)

    def reload(self, endpoints):
        self.write(endpoints)
        self.proc.send_signal(signal.SIGHUP)

    def url(self, path="/v1/chat/completions"):
        return f"http://127.0.0.1:{self.port}{path}"

    def metrics(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as r:
            return r.read().decode()

    def metric(self, series):
        """The value of one sample line, e.g. 'spillway_gateway_queue_length'; None if absent."""
        for line in self.metrics().splitlines():
            if line.startswith(series + " "):
                return float(line.rsplit(" ", 1)[1])
        return None

    def output(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def close(self):
        code = stop(self.proc)
        self.log.close()
        return code


class Upstream:
    """A small OpenAI-ish replica: answers with its name; behaviour per path."""

    def __init__(self, name, status=200, delay=0.0, stream_gap=0.0):
        self.name, self.status, self.delay, self.stream_gap = name, status, delay, stream_gap
        self.requests = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(n) or b"{}")
                with outer.lock:
                    outer.requests += 1
                if outer.delay:
                    time.sleep(outer.delay)
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for i in range(3):
                        chunk = f"data: {json.dumps({'server': outer.name, 'i': i})}\n\n".encode()
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                        time.sleep(outer.stream_gap)
                    self.wfile.write(b"0\r\n\r\n")
                    return
                out = json.dumps({"server": outer.name, "model": body.get("model"),
                                  "object": "chat.completion"}).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def do_GET(self):
                out = b"# no vllm metrics here\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def start_engine(model="qwen3-0.6b", time_scale=10, extra=(), bin=BIN):
    """`spillway engine` on a free port, ready; returns (proc, port)."""
    port = free_port()
    proc = subprocess.Popen([bin, "engine", "--port", str(port), "--host", "127.0.0.1",
                             "--served-model-name", model, "--time-scale", str(time_scale),
                             "--startup-seconds", "0", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc=proc)
    return proc, port


def engine_available():
    p = subprocess.run([BIN, "engine", "--help"], capture_output=True, text=True)
    return p.returncode == 0


def exchange(port, raw, timeout=10.0, sock=None):
    """Sends raw bytes, reads one response. Returns (status, headers dict, body bytes, closed)."""
    own = sock is None
    s = sock or socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.settimeout(timeout)
    try:
        s.sendall(raw)
        buf = b""
        while b"\r\n\r\n" not in buf:
            d = s.recv(65536)
            if not d:
                return None, {}, b"", True
            buf += d
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
        closed = False
        if "content-length" in headers:
            n = int(headers["content-length"])
            while len(rest) < n:
                d = s.recv(65536)
                if not d:
                    closed = True
                    break
                rest += d
            body = rest[:n]
        elif headers.get("transfer-encoding") == "chunked":
            while not rest.endswith(b"0\r\n\r\n"):
                d = s.recv(65536)
                if not d:
                    closed = True
                    break
                rest += d
            body = rest
        else:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                rest += d
            body, closed = rest, True
        if headers.get("connection", "").lower() == "close":
            closed = True
        return status, headers, body, closed
    finally:
        if own:
            s.close()


def post_json(port, body, path="/v1/chat/completions", timeout=30):
    data = json.dumps(body).encode() if not isinstance(body, (bytes, str)) else (
        body.encode() if isinstance(body, str) else body)
    raw = (f"POST {path} HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(data)}\r\n\r\n").encode() + data
    status, headers, body_out, _ = exchange(port, raw, timeout=timeout)
    return status, headers, body_out


SEED_BODY = '{"messages": [{"role": "user", "content": "Test it"}]}'


def hey(url, n=600, c=60, body=SEED_BODY, timeout=120):
    """The first seed's load test. Returns ({status: count}, error lines)."""
    p = subprocess.run(["hey", "-n", str(n), "-c", str(c), "-m", "POST", "-H", "Content-Type: application/json",
                        "-d", body, url], capture_output=True, text=True, timeout=timeout)
    codes = {int(m.group(1)): int(m.group(2)) for m in re.finditer(r"\[(\d+)\]\s+(\d+) responses", p.stdout)}
    errors = []
    if "Error distribution:" in p.stdout:
        errors = [l.strip() for l in p.stdout.split("Error distribution:")[1].splitlines() if l.strip()]
    return codes, errors, p.stdout
