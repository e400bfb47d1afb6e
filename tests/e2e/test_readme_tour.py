"""The README's "A short tour", run as written on the embedded defaults, so that it cannot drift.

The commands are read from the README's block, not copied here. Each line runs in bash in a fresh
directory (with this checkout's .venv linked in, as after `make setup`), in order, and must exit 0:
a line ending in `&` runs in the background (the server: waited for until it answers), `kill %N`
stops the N-th of those (and the server must then exit 0), `curl` lines are retried until they
succeed (the README says the first checkpoint takes up to 30 s), and a `…` stands for a value an
earlier command printed (`SAKSI_ACCESS_CODE=…`: the access code; `/cases/…/`: the commitment).
The README's port is swapped for a free one. The events file the tour submits is the repository's
if it has one by that name, else one written for the case `saksi case new` printed.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
from pathlib import Path

import httpx
import orjson
import pytest

from ledger.core.commitment import case_commitment, parse_access_code
from ledger.core.encoding import hex0x
from tests.live import free_port

pytestmark = [pytest.mark.slow, pytest.mark.chain]
ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDERS = (
    (re.compile(r"SAKSI_ACCESS_CODE=…"), "SAKSI_ACCESS_CODE={accessCode}"),
    (re.compile(r"/cases/…/"), "/cases/{caseCommitment}/"),
)


def tour_lines() -> list[str]:
    """The commands of the README's tour block, continuation lines joined, comments dropped."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## A short tour") :]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the README's tour has no ```sh block"
    lines = re.sub(r"\\\n\s*", " ", block.group(1)).splitlines()
    commands = [re.split(r"\s+#\s", " " + line, maxsplit=1)[0].strip() for line in lines]
    return [c for c in commands if c]


def _run(command: str, cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _events_for(printed: dict[str, str], path: Path) -> None:
    """An events file for the tour's case: the first event carries a payload, for the erasure of leaf 0."""
    steps = [
        ("application.submitted", "Permohonan KTP-el diterima", {"nik": "3174000000000001"}),
        ("documents.verified", "Dokumen diverifikasi", None),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"\n".join(
            orjson.dumps(
                {
                    "caseRef": printed["caseRef"],
                    "accessCode": printed["accessCode"],
                    "eventType": event_type,
                    "summary": summary,
                    "occurredAt": 1_764_547_200 + i * 86_400,
                    **({"payload": payload} if payload else {}),
                }
            )
            for i, (event_type, summary, payload) in enumerate(steps)
        )
        + b"\n"
    )


def _the_case_of(path: Path, printed: dict[str, str]) -> None:
    """The repository's own events file names its case: the later placeholders are that case's."""
    first = orjson.loads(path.read_bytes().splitlines()[0])
    printed["caseRef"], printed["accessCode"] = first["caseRef"], first["accessCode"]
    printed["caseCommitment"] = hex0x(case_commitment(parse_access_code(first["accessCode"]), first["caseRef"]))


def _wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def _log(tmp_path: Path, job: int) -> str:
    return (tmp_path / f"job-{job}.log").read_text(errors="replace")[-4000:]


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_readme_tour_runs_as_written(tmp_path):
    lines = tour_lines()
    words = " ".join(lines)
    for step in ("saksi init", "saksi agency add", "saksi serve", "saksi case new", "saksi submit", "curl",
                 "saksi verify", "saksi audit", "saksi monitor", "saksi erase"):  # fmt: skip
        assert step in words, f"the tour lost its {step!r} step"
    (port_text,) = {m for line in lines if "saksi serve" in line for m in re.findall(r"--port (\d+)", line)}
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("SAKSI_DATA_DIR", "SAKSI_API", "VIRTUAL_ENV")}
    env["SAKSI_PASSWORD"] = "readme-tour-test-password"  # TEST PASSWORD
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")

    prelude: list[str] = []
    printed: dict[str, str] = {}
    jobs: list[subprocess.Popen] = []
    try:
        for line in lines:
            command = re.sub(rf"(?<=:){port_text}\b|(?<=--port ){port_text}\b", str(port), line)
            for pattern, template in PLACEHOLDERS:
                if pattern.search(command):
                    command = pattern.sub(template.format(**printed), command)
            assert "…" not in command, f"a placeholder this test cannot fill: {line}"
            if command.startswith((". ", "source ", "export ")):
                prelude.append(command)
                assert _run(" && ".join(prelude), tmp_path, env).returncode == 0, command
                continue
            script = " && ".join([*prelude, command.removesuffix("&").strip()])
            if command.endswith("&"):
                # exec: the signal of `kill %N` reaches the command itself, and its exit code is the job's
                background = " && ".join([*prelude, "exec " + command.removesuffix("&").strip()])
                with open(tmp_path / f"job-{len(jobs) + 1}.log", "wb") as log:  # a pipe would fill and stall it
                    jobs.append(subprocess.Popen(["bash", "-c", background], cwd=tmp_path, env=env, stdout=log, stderr=log))  # fmt: skip
                _wait_until(
                    lambda: _answers(f"http://127.0.0.1:{port}/healthz") or jobs[-1].poll() is not None, 90, line
                )
                assert jobs[-1].poll() is None, f"{line} exited: {_log(tmp_path, len(jobs))}"
                continue
            if match := re.fullmatch(r"kill %(\d+)", command):
                job = jobs[int(match.group(1)) - 1]
                job.send_signal(signal.SIGTERM)
                assert job.wait(timeout=60) == 0, f"{line}: not a clean exit: {_log(tmp_path, int(match.group(1)))}"
                continue
            words = shlex.split(command)
            if words[:2] == ["saksi", "submit"]:
                events = words[2]
                if (ROOT / events).is_file():
                    (tmp_path / events).parent.mkdir(parents=True, exist_ok=True)
                    (tmp_path / events).write_bytes((ROOT / events).read_bytes())
                    _the_case_of(tmp_path / events, printed)
                else:
                    _events_for(printed, tmp_path / events)
            result = _run(script, tmp_path, env)
            deadline = time.monotonic() + 120
            while command.startswith("curl") and result.returncode != 0 and time.monotonic() < deadline:
                time.sleep(1)  # the first checkpoint can take 30 s: retried, as the README says
                result = _run(script, tmp_path, env)
            assert result.returncode == 0, f"{line}\nexit {result.returncode}\n{result.stdout}\n{result.stderr}"
            printed.update(re.findall(r"^(\w+):\s+(\S+)", result.stdout, re.M))
            if words[:2] == ["saksi", "verify"]:
                assert "✓ 8. every signer" in result.stdout and "only as independent as that server" in result.stderr
    finally:
        for job in jobs:
            if job.poll() is None:
                job.kill()
                job.wait()
