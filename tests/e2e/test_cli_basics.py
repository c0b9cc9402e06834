"""The spillway binary answers --version and rejects unknown commands with
one clear line and exit code 2."""
from conftest import run


def test_version():
    p = run("--version")
    assert p.stdout.startswith("spillway ")


def test_unknown_command_is_usage_error():
    p = run("frobnicate", check=False)
    assert p.returncode == 2
    assert 'unknown command "frobnicate"' in p.stderr
