"""Shared fixtures for end-to-end tests: they start the real spillway binary
(SPILLWAY_BIN, the sanitized build by default) as processes on 127.0.0.1."""
import os
import socket
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("SPILLWAY_BIN", os.path.join(ROOT, "build-asan", "spillway"))
# Tests that judge a latency budget run the build users run: sanitizers
# multiply the cost of every byte handled, which is not what they measure.
# scripts/test.sh points this at build-release; by default it is BIN.
TIMING_BIN = os.environ.get("SPILLWAY_TIMING_BIN", BIN)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*args, check=True, input=None, env=None, timeout=60):
    """Runs `spillway ARGS...` and returns the CompletedProcess."""
    p = subprocess.run([BIN, *args], capture_output=True, text=True, input=input,
                       env=env, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"spillway {' '.join(args)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
    return p


@pytest.fixture
def spillway_bin():
    return BIN
