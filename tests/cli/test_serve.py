"""`saksi serve`, `saksi demo` and `saksi init` as a new user meets them: a taken port is refused
before anything is printed for it, an initialised directory is said to be so before a password
prompt, and SIGTERM shuts the server down cleanly with exit 0."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.live import free_port

SAKSI = [sys.executable, "-m", "ledger.cli"]
ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SAKSI_PASSWORD"}
    return {**env, **extra}


def test_demo_refuses_a_taken_port_before_preparing_or_printing_anything(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*SAKSI, "demo", "--data-dir", str(tmp_path / "demo"), "--port", str(port)],
            env=_env(), capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert result.returncode == 4, result.stderr
    assert result.stdout == "" and result.stderr.count("\n") == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr and "make demo PORT=" in result.stderr
    assert not (tmp_path / "demo").exists()


def test_make_demo_takes_a_port():
    result = subprocess.run(
        ["make", "-n", "demo", "PORT=8090", "DATA_DIR=./demo-data"], cwd=ROOT, capture_output=True, text=True
    )
    assert "saksi demo --data-dir ./demo-data --port 8090" in result.stdout, result.stdout + result.stderr


def test_init_on_an_initialised_directory_says_so_before_asking_for_a_password(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    result = subprocess.run(
        [*SAKSI, "init", "--data-dir", str(tmp_path)], env=_env(), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 4 and "already initialised" in result.stderr and "password" not in result.stderr


@pytest.mark.chain
def test_serve_shuts_down_cleanly_on_sigterm(tmp_path):
    env = _env(SAKSI_PASSWORD="serve-test-password")
    data = str(tmp_path / "data")
    subprocess.run([*SAKSI, "init", "--data-dir", data], env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    server = subprocess.Popen(
        [*SAKSI, "serve", "--data-dir", data, "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "saksi serve did not start"
            time.sleep(0.2)
        # the same port again: refused in one line before the password or the chain is touched
        again = subprocess.run(
            [*SAKSI, "serve", "--data-dir", data, "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert again.returncode == 4 and "already in use" in again.stderr
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0, server.stderr.read() if server.stderr else ""
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


@pytest.mark.slow
def test_installing_the_package_prints_no_setuptools_deprecation():
    """`make setup` (and so `make demo`) printed setuptools' project.license deprecation 3-4 times."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "-e", str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "project.license" not in output and "SetuptoolsDeprecationWarning" not in output, output
