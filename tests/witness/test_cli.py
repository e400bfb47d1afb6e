"""`saksi witness init|add-log|list` as a user runs them, and the witness's files on disk."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import subprocess
import sys

import pytest

from ledger.core.note import Vkey
from ledger.errors import AuthenticationFailed
from ledger.witness.admin import init_witness, open_witness
from ledger.witness.keystore import DEMO_MARK, read_key
from tests.witness.conftest import PASSWORD
from tests.witness.spec_client import LogKey


def saksi(*args: str, password: str | None = PASSWORD) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SAKSI_WITNESS_PASSWORD"}
    if password is not None:
        env["SAKSI_WITNESS_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "ledger.cli", "witness", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_init_add_log_list(tmp_path):
    data_dir = tmp_path / "ombudsman"
    out = saksi("init", "--data-dir", str(data_dir), "--name", "ombudsman.test/witness", "--demo")
    assert out.returncode == 0, out.stderr
    vkey = Vkey.parse(out.stdout.strip())
    assert (vkey.name, vkey.sig_type) == ("ombudsman.test/witness", 0x04)
    assert out.stdout == f"{vkey}\n"
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for name in ("witness.json", "witness-key.json"):
        assert stat.S_IMODE((data_dir / name).stat().st_mode) == 0o600
    key_file = json.loads((data_dir / "witness-key.json").read_text())
    assert key_file["saksi"] == DEMO_MARK and key_file["vkey"] == str(vkey)
    assert PASSWORD not in (data_dir / "witness-key.json").read_text()
    assert json.loads((data_dir / "witness.json").read_text()) == {
        "format": "saksi-witness/v1",
        "name": "ombudsman.test/witness",
        "vkey": str(vkey),
        "demo": True,
    }

    again = saksi("init", "--data-dir", str(data_dir), "--name", "other.test/w", "--demo")
    assert (again.returncode, again.stderr) == (
        4,
        f"saksi: {data_dir} already holds a witness; refusing to overwrite it\n",
    )

    log = LogKey("log.test/saksi", bytes([5]) * 32)  # TEST seed
    added = saksi("add-log", "--data-dir", str(data_dir), log.vkey)
    assert (added.returncode, added.stdout) == (0, "witnessing log.test/saksi\n")
    other = saksi("add-log", "--data-dir", str(data_dir), log.vkey, "--origin", "saksi/eip155:1/0xabc")
    assert other.returncode == 0, other.stderr
    twice = saksi("add-log", "--data-dir", str(data_dir), log.vkey)
    assert (twice.returncode, twice.stderr) == (4, "saksi: already witnessing log.test/saksi with this key\n")
    cosigner = saksi("add-log", "--data-dir", str(data_dir), str(vkey))
    assert cosigner.returncode == 2
    assert cosigner.stderr == "saksi: VKEY: a log's checkpoint key must be an Ed25519 note key (type 0x01)\n"
    garbage = saksi("add-log", "--data-dir", str(data_dir), "not a vkey")
    assert garbage.returncode == 2 and garbage.stderr.startswith("saksi: vkey")

    listed = saksi("list", "--data-dir", str(data_dir), "--json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert data["witness"] == str(vkey) and data["demo"] is True
    assert data["logs"] == [
        {"origin": o, "originHash": hashlib.sha256(o.encode()).hexdigest(), "vkey": log.vkey, "cosignedSize": None}
        for o in ("log.test/saksi", "saksi/eip155:1/0xabc")
    ]


def test_init_refuses_bad_names_and_non_empty_directories(tmp_path):
    bad = saksi("init", "--data-dir", str(tmp_path / "a"), "--name", "has space", "--demo")
    assert bad.returncode == 2 and bad.stderr == "saksi: --name: vkey.name: must not contain spaces\n"
    assert not (tmp_path / "a").exists()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "something").write_text("x")
    busy = saksi("init", "--data-dir", str(tmp_path / "b"), "--name", "w.test/w", "--demo")
    assert busy.returncode == 4 and "is not empty" in busy.stderr
    nopass = saksi("init", "--data-dir", str(tmp_path / "c"), "--name", "w.test/w", "--demo", password=None)
    assert nopass.returncode == 1
    assert nopass.stderr == "saksi: no password: set SAKSI_WITNESS_PASSWORD or run in a terminal\n"
    assert not (tmp_path / "c").exists()


def test_the_key_opens_only_with_its_password_and_its_vkey(tmp_path):
    data_dir = tmp_path / "w"
    vkey = init_witness(data_dir, "w.test/w", PASSWORD, demo=True)
    seed, stored = read_key(data_dir / "witness-key.json", PASSWORD)
    assert len(seed) == 32 and stored == str(vkey)
    with pytest.raises(AuthenticationFailed):
        open_witness(data_dir, "wrong")
    data = json.loads((data_dir / "witness-key.json").read_text())
    data["vkey"] = data["vkey"][:-2] + "AA"  # the vkey is authenticated data: an edited one does not open
    (data_dir / "witness-key.json").write_text(json.dumps(data))
    with pytest.raises(AuthenticationFailed):
        read_key(data_dir / "witness-key.json", PASSWORD)


def test_serve_needs_a_port_and_a_witness(tmp_path):
    out = saksi("serve", "--data-dir", str(tmp_path / "none"), "--port", "9301")
    assert (
        out.returncode == 3
        and out.stderr == f"saksi: no witness in {tmp_path / 'none'}: run saksi witness init first\n"
    )


def test_serve_refuses_a_port_in_use(tmp_path):
    init_witness(tmp_path / "w", "w.test/w", PASSWORD, demo=True)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = saksi("serve", "--data-dir", str(tmp_path / "w"), "--port", str(port))
    assert (out.returncode, out.stderr) == (4, f"saksi: cannot listen on 127.0.0.1:{port}: Address already in use\n")
