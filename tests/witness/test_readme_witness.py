"""The README's "Run a witness" block, run as written: each command in bash, `…` filled with TEST values,
the port swapped for a free one; then a spec client gets a cosignature from the served witness."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.live import free_port, wait_for
from tests.witness.spec_client import Log, LogKey, checkpoint_text, verify_cosignature_line

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Run a witness\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the README's witness section has no ```sh block"
    return [line.split("  #", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_witness_commands_run_as_written(tmp_path):
    commands = readme_commands()
    assert [c.split()[:3] for c in commands[1:]] == [["saksi", "witness", cmd] for cmd in ("init", "add-log", "serve")]
    log = Log(
        LogKey("saksi/eip155:31337/0x00000000000000000000000000000000000000aa", bytes([1]) * 32), [b"e"] * 5
    )  # TEST
    port = free_port()
    export, init, add_log, serve = commands
    assert export.startswith("export SAKSI_WITNESS_PASSWORD=")
    env = {
        **os.environ,
        "SAKSI_WITNESS_PASSWORD": "TEST-readme-password",
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    add_log = re.sub(r"'[^']*…[^']*'", shlex.quote(log.key.vkey), add_log)
    serve = serve.replace("--port 9380", f"--port {port}")
    for command in (init, add_log):
        out = subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, (command, out.stderr)
        if command == init:
            witness_vkey = out.stdout.strip()
    server = subprocess.Popen(
        ["bash", "-c", f"exec {serve}"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(url), timeout=60, what="saksi witness serve")
        response = httpx.post(url + "/add-checkpoint", content=log.request(0, 5), timeout=10)
        assert response.status_code == 200, response.text
        text = checkpoint_text(log.key.name, 5, log.root(5))
        assert verify_cosignature_line(response.text, witness_vkey, text) > 0
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=20)
    assert server.returncode == 0, stderr
    assert b'"event": "cosigned"' in stderr


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
