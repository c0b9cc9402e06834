"""Helpers shared by the test_engine_*.py end-to-end tests (no tests here):
start `spillway engine` on a free port, wait for it to load, talk HTTP to it,
and always stop it."""
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import time

from conftest import BIN, free_port


class Engine:
    """One `spillway engine` process. Use as a context manager (or call
    stop()); the process is killed on exit whatever happens."""

    def __init__(self, *args, time_scale=20, startup=0, port=None, wait=True):
        self.port = port or free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="engine-", suffix=".log", delete=False)
        argv = [BIN, "engine", *args, "--port", str(self.port), "--host", "127.0.0.1"]
        if "--time-scale" not in args:
            argv += ["--time-scale", str(time_scale)]
        if "--startup-seconds" not in args:
            argv += ["--startup-seconds", str(startup)]
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"engine exited {self.proc.returncode}:\n{self.output()}")
            try:
                status, _, _ = self.request("GET", "/health", timeout=1)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise AssertionError(f"engine not ready in {timeout}s:\n{self.output()}")

    def output(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def request(self, method, path, body=None, headers=None, timeout=30):
        """One request on a fresh connection: (status, headers dict, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            conn.request(method, path, body=body, headers=headers or {"Content-Type": "application/json"})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def post(self, path, body, **kw):
        status, headers, data = self.request("POST", path, body, **kw)
        return status, headers, json.loads(data) if data else None

    def metrics(self):
        status, _, data = self.request("GET", "/metrics")
        assert status == 200
        return parse_metrics(data.decode())

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)


def parse_metrics(text):
    """Prometheus text -> {'name{labels}': value} plus {'name': value} for
    unlabelled lookups of single-series families (engine label dropped)."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        out[key] = float(value)
    return out


def metric(m, name, **labels):
    """Value of the series `name` whose labels include `labels`."""
    for key, value in m.items():
        base, _, rest = key.partition("{")
        if base != name:
            continue
        if all(f'{k}="{v}"' in rest for k, v in labels.items()):
            return value
    raise KeyError(f"{name}{labels} not in metrics")


CHAT = {"messages": [{"role": "user", "content": "Test it"}]}


def sse_events(sock_file):
    """Reads one chunked SSE reply from a raw socket file: yields (arrival
    time, event payload) for every `data:` event, checking HTTP chunk framing."""
    buf = b""
    while True:
        size_line = sock_file.readline()
        assert size_line.endswith(b"\r\n"), size_line
        size = int(size_line.strip(), 16)
        if size == 0:
            assert sock_file.readline() == b"\r\n"
            break
        data = sock_file.read(size)
        assert sock_file.read(2) == b"\r\n"
        now = time.monotonic()
        buf += data
        while b"\n\n" in buf:
            event, buf = buf.split(b"\n\n", 1)
            assert event.startswith(b"data: "), event
            yield now, event[len(b"data: "):].decode()
    assert buf == b"", f"trailing bytes outside an event: {buf!r}"


def open_stream(port, body, path="/v1/chat/completions"):
    """Sends a streaming request on a raw socket; returns (socket, file, head lines)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    payload = json.dumps(body).encode()
    s.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload)
    f = s.makefile("rb")
    head = []
    while True:
        line = f.readline()
        assert line, "connection closed before the head"
        if line == b"\r\n":
            break
        head.append(line.decode().strip())
    return s, f, head
