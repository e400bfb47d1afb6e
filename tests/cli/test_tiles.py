"""`saksi init` makes the log key; a data directory made before gets it on the first `saksi serve`, which signs
the checkpoints left unsigned; `saksi tiles export` beside the server writes exactly what /tlog/ serves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from tlog_scales.backend import HttpBackend
from tlog_scales.reader import TilesReader

from ledger.config import Settings
from ledger.core import merkle
from ledger.core.note import Note, Vkey, verify_note
from ledger.runtime import LOG_KEYSTORE, open_store
from tests.live import SaksiProcess
from tests.seeded_log import SeededLog, files

pytestmark = pytest.mark.chain
SAKSI = [sys.executable, "-m", "ledger.cli"]
PASSWORD = "tiles test password"


def saksi(*args: str, password: bool = False) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SAKSI_PASSWORD"}
    env["COLUMNS"] = "400"
    if password:
        env["SAKSI_PASSWORD"] = PASSWORD
    return subprocess.run(
        [*SAKSI, *args], env=env, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL
    )


def test_the_log_key_from_init_to_export(tmp_path):
    data, out = tmp_path / "data", tmp_path / "out"
    done = saksi("init", "--data-dir", str(data), password=True)
    assert done.returncode == 0, done.stderr
    settings = Settings.load(data)
    keystore = json.loads((data / LOG_KEYSTORE).read_text())
    assert Vkey.parse(keystore["vkey"]).name == settings.origin and keystore["kind"] == "c2sp-signed-note-ed25519"

    nothing = saksi("tiles", "export", "--data-dir", str(data), "--out", str(out))
    assert nothing.returncode == 3 and nothing.stdout == ""
    assert nothing.stderr == "saksi: no signed checkpoint yet\n"

    # a data directory from before the log had a key: its key is gone, its checkpoint unsigned
    (data / LOG_KEYSTORE).unlink()
    store = open_store(settings)
    try:
        log = SeededLog(store, settings.domain)
        log.grow(300)
        log.checkpoint(signer=None)
    finally:
        store.close()
    keyless = saksi("tiles", "export", "--data-dir", str(data), "--out", str(out))
    assert keyless.returncode == 3 and "has no log key yet" in keyless.stderr and keyless.stderr.count("\n") == 1

    with SaksiProcess(data, PASSWORD, tmp_path / "serve.log") as server:
        served_log = (tmp_path / "serve.log").read_text()
        assert "created the log's note-signing key" in served_log
        assert "signed 1 checkpoints made before the log had its key" in served_log
        vkey = Vkey.parse(httpx.get(server.url + "/v1/info").json()["logVkey"])
        assert vkey == Vkey.parse(json.loads((data / LOG_KEYSTORE).read_text())["vkey"])
        note = Note.parse(httpx.get(server.url + "/tlog/checkpoint").content)
        assert verify_note(note, [vkey]) and note.text.split("\n")[1] == "300"

        reader = TilesReader(HttpBackend(server.url + "/tlog"))  # tlog-scales against the real server
        assert reader.get_checkpoint().size == 300
        assert reader.calculate_root_hash() == reader.get_checkpoint().root_hash
        assert merkle.leaf_hash(reader.get_entry(299)) == reader.mth(299, 300)

        exported = saksi("tiles", "export", "--data-dir", str(data), "--out", str(out), "--json")
        assert exported.returncode == 0, exported.stderr
        assert json.loads(exported.stdout) == {"treeSize": 300, "previousSize": None, "written": 6, "removed": 0}
        written = files(out)
        assert sorted(written) == [
            "checkpoint",
            "tile/0/000",
            "tile/0/001.p/44",
            "tile/1/000.p/1",
            "tile/entries/000",
            "tile/entries/001.p/44",
        ]
        for name, content in written.items():
            assert httpx.get(f"{server.url}/tlog/{name}").content == content, name
        again = saksi("tiles", "export", "--data-dir", str(data), "--out", str(out))
        assert (
            again.returncode == 0
            and again.stdout == f"exported tree size 300 to {out}: 0 files written, 0 partial tiles removed\n"
        )
    assert Path(out / "checkpoint").read_bytes() == note.serialize().encode()
