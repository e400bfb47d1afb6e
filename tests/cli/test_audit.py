"""`saksi audit` as an auditor runs it: no password, no terminal; what it could not read is one plain line
that says what to do (exit 2), and the text output states the audit's scope."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.chain
SAKSI = [sys.executable, "-m", "ledger.cli"]


def _audit(data, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SAKSI_PASSWORD"}
    env["COLUMNS"] = "400"  # one line stays one line
    return subprocess.run(
        [*SAKSI, "audit", "--data-dir", str(data), *args],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    data = tmp_path_factory.mktemp("audit") / "data"
    subprocess.run(
        [*SAKSI, "init", "--data-dir", str(data)], env={**os.environ, "SAKSI_PASSWORD": "x"}, check=True,
        capture_output=True, timeout=120,
    )  # fmt: skip
    return data


def test_without_a_password_the_text_output_states_its_scope(data):
    done = _audit(data)
    assert done.returncode == 0, done.stderr
    assert "clean" in done.stdout and "scope: leaves 0-0 of 0, chain 1337 contract 0x" in done.stdout
    skipped = _audit(data, "--no-chain")
    assert (
        skipped.returncode == 0
        and "chain skipped" in skipped.stdout
        and "not checked: chain, registry" in skipped.stdout
    )


def test_an_unreachable_node_is_one_line_saying_what_to_do(data):
    done = _audit(data, "--rpc", "http://127.0.0.1:9")
    assert done.returncode == 2 and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("saksi: audit could not run: chain node http://127.0.0.1:9 did not answer")
    assert line.endswith("read another node with --rpc URL, or audit the database alone with --no-chain")


def test_a_missing_embedded_chain_is_one_line_saying_what_to_do(data, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(data, copy)
    shutil.rmtree(copy / "chain")
    done = _audit(copy)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "no embedded chain in" in line and line.endswith(
        "audit the database alone with --no-chain, or read another node with --rpc URL"
    )
