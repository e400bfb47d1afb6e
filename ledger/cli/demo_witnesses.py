"""The demo's three witnesses: each its own `saksi witness serve` process, data directory and key, clearly
marked DEMO, and the 2-of-3 C2SP tlog-policy the demo log collects cosignatures for.

In a real deployment each oversight body runs its witness on its own host (README, "Run a witness");
here they run beside the demo so that `make demo` shows a case witnessed end to end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from ledger.config import Settings
from ledger.core.note import Vkey
from ledger.errors import SaksiError
from ledger.witness.admin import add_witnessed_log, init_witness, list_logs

POLICY_FILE = "witness-policy.txt"
WITNESSES_DIR = "demo-witnesses"


@dataclass(frozen=True)
class DemoWitness:
    name: str  # the witness's name in the policy
    key_name: str  # its signed-note key name
    display_name: str  # the name citizens read
    port_offset: int


DEMO_WITNESSES = (
    DemoWitness("ombudsman", "ombudsman.go.id-demo", "Ombudsman RI (demo)", 11),
    DemoWitness("bpk", "bpk.go.id-demo", "BPK (demo)", 12),
    DemoWitness("ui", "ui.ac.id-demo", "Universitas Indonesia (demo)", 13),
)


def _dir(settings: Settings, w: DemoWitness) -> Path:
    return Path(settings.data_dir) / WITNESSES_DIR / w.name


def prepare(settings: Settings, log_vkey: Vkey, password: str, host: str, port: int) -> Settings:
    """Create the witnesses that do not exist yet (keys, the log they witness) and write the policy with
    their URLs for this run's port; returns the settings naming the policy."""
    lines = [
        "# Saksi demo witness policy (c2sp.org/tlog-policy): DEMO WITNESSES, for the local demo only.",
        "# A checkpoint counts once two of the three have cosigned it.",
        f"log {log_vkey}",
        "",
    ]
    for w in DEMO_WITNESSES:
        data_dir = _dir(settings, w)
        if (data_dir / "witness.json").exists():
            config, logs = list_logs(data_dir)
            vkey = config.vkey
            if not any(row.origin == log_vkey.name for row in logs):
                add_witnessed_log(data_dir, str(log_vkey))
        else:
            vkey = init_witness(data_dir, w.key_name, password, demo=True)
            add_witnessed_log(data_dir, str(log_vkey))
        lines += [f"# name: {w.display_name}", f"witness {w.name} {vkey} http://{host}:{port + w.port_offset}"]
    lines += ["", "group demo-oversight 2 " + " ".join(w.name for w in DEMO_WITNESSES), "quorum demo-oversight", ""]
    path = Path(settings.data_dir) / POLICY_FILE
    text = "\n".join(lines)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    if settings.witness_policy != POLICY_FILE:
        settings = settings.with_(witness_policy=POLICY_FILE)
        settings.save()
    return settings


class Witnesses:
    """The three `saksi witness serve` processes of the demo (stopped when the demo stops)."""

    def __init__(self, settings: Settings, password: str, host: str, port: int) -> None:
        self.settings = settings
        self.password = password
        self.host = host
        self.port = port
        self.processes: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Witnesses:
        from ledger.cli.serve import ensure_port_free

        env = {**os.environ, "SAKSI_WITNESS_PASSWORD": self.password}
        try:
            for w in DEMO_WITNESSES:
                port = self.port + w.port_offset
                ensure_port_free(self.host, port)
                log = (_dir(self.settings, w) / "serve.log").open("ab")
                command = [sys.executable, "-m", "ledger.cli", "witness", "serve"]
                command += ["--data-dir", str(_dir(self.settings, w)), "--host", self.host, "--port", str(port)]
                self.processes.append(subprocess.Popen(command, env=env, stdout=log, stderr=log))
                log.close()
            for w in DEMO_WITNESSES:
                self._wait(w)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait(self, w: DemoWitness, timeout_s: float = 60.0) -> None:
        url = f"http://{self.host}:{self.port + w.port_offset}/healthz"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise SaksiError(
                        f"a demo witness exited ({process.returncode}): see {_dir(self.settings, w)}/serve.log"
                    )
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SaksiError(f"demo witness {w.name} did not answer on {url} within {timeout_s:.0f} s")

    def __exit__(self, *_exc: object) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes = []
