"""The witness's parts on their own: the trust boundary, evidence bounds, logs, hostile bytes, state files."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.errors import SaksiError
from ledger.witness.admin import add_witnessed_log
from ledger.witness.evidence import EvidenceStore
from ledger.witness.state import StateUnreadable
from tests.witness.conftest import CLOCK, leaves
from tests.witness.spec_client import Log, LogKey, body, checkpoint_text, consistency_proof, verify_cosignature_line

ROOT = Path(__file__).resolve().parents[2]


def test_the_witness_loads_none_of_the_server():
    """In a fresh interpreter: the witness and its CLI module load no service, storage, runtime, chain or SQL."""
    code = (
        "import sys, ledger.witness.admin, ledger.witness.app\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[:2] in (['ledger', 'services'], ['ledger', 'storage'],"
        " ['ledger', 'runtime'], ['ledger', 'chain'], ['ledger', 'checker'])"
        " or m.split('.')[0] in ('api', 'sqlalchemy', 'sqlite3', '_sqlite3', 'alembic', 'web3'))\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_evidence_is_kept_once_per_body_and_within_its_caps(tmp_path):
    store = EvidenceStore(lambda origin: tmp_path / origin, max_files=3, max_bytes=100, clock=lambda: CLOCK + 0.25)
    digest, path = store.keep("o", b"first")
    assert path is not None and path.name == f"20270115T080000.250000Z-{digest}.txt"
    assert path.read_bytes() == b"first"
    assert store.keep("o", b"first") == (digest, path)  # the same body: the same file
    store.keep("o", b"second")
    store.keep("o", b"third")
    assert store.keep("o", b"fourth")[1] is None  # past the file cap: only logged
    assert len(list((tmp_path / "o").iterdir())) == 3
    assert store.keep("p", b"x" * 101)[1] is None  # past the byte cap
    assert store.keep("p", b"x" * 100)[1] is not None


def test_a_fork_is_logged_loudly_as_one_json_line(served, caplog):
    served.post(served.log.request(0, 10))
    fork = Log(served.log.key, leaves(10)[:6] + leaves(20, b"fork")[6:])
    with caplog.at_level(logging.INFO, logger="saksi.witness"):
        assert served.post(fork.request(10, 20)).status_code == 422
    records = [r for r in caplog.records if r.name == "saksi.witness" and r.levelno == logging.CRITICAL]
    assert len(records) == 1
    line = json.loads(records[0].getMessage())
    assert line["event"] == "log-inconsistent" and line["level"] == "critical"
    assert (line["origin"], line["latest_size"], line["size"]) == (served.log.key.name, 10, 20)
    assert line["evidence"].startswith("evidence/") and line["reason"].startswith("consistency proof: ")


def test_logs_added_while_serving_are_witnessed_without_a_restart(served):
    other = Log(LogKey("test.example/late", bytes([4]) * 32), leaves(3))  # TEST seed
    assert served.post(other.request(0, 3)).status_code == 404
    add_witnessed_log(served.data_dir, other.key.vkey)
    assert served.post(other.request(0, 3)).status_code == 200
    (served.data_dir / "logs.json").write_text("{broken")  # a broken edit: the logs read before stay
    assert served.post(other.request(3, 3)).status_code == 200


def test_an_unreadable_state_file_is_a_500_without_detail_and_is_not_replaced(served):
    served.post(served.log.request(0, 4))
    state = next((served.data_dir / "state").iterdir()) / "checkpoint"
    state.write_bytes(b"garbage")
    response = served.post(served.log.request(4, 6))
    assert (response.status_code, response.text) == (500, "internal error\n")
    assert state.read_bytes() == b"garbage"
    with pytest.raises(StateUnreadable):
        served.witness.store.latest(served.log.key.name)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_bytes_are_refused_as_the_client_s_fault(served, data):
    """Any mutation of a valid body is refused with a SaksiError (a 4xx), never a crash (a 500)."""
    good = bytearray(served.log.request(0, 7))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(good) - 1))
        action = data.draw(st.sampled_from(["flip", "delete", "insert"]))
        if action == "flip":
            good[position] ^= 1 << data.draw(st.integers(0, 7))
        elif action == "delete":
            del good[position]
        else:
            good[position:position] = data.draw(st.binary(min_size=1, max_size=8))
    with contextlib.suppress(SaksiError):  # anything else fails the test
        served.witness.add_checkpoint(bytes(good))


def test_a_clock_set_back_never_dates_a_cosignature_before_the_last_one(served):
    served.post(served.log.request(0, 4))
    served.witness._clock = lambda: CLOCK - 3600
    line = served.post(served.log.request(4, 9)).text
    text = checkpoint_text(served.log.key.name, 9, served.log.root(9))
    assert verify_cosignature_line(line, str(served.witness.config.vkey), text) == CLOCK
    served.witness._clock = lambda: CLOCK + 5
    line = served.post(served.log.request(9, 9)).text
    assert verify_cosignature_line(line, str(served.witness.config.vkey), text) == CLOCK + 5


def test_an_origin_may_have_two_keys_for_rotation(served):
    rotated = LogKey(served.log.key.name, bytes([8]) * 32)  # TEST seed: the same name, a new key
    assert served.post(Log(rotated, served.log.leaves).request(0, 4)).status_code == 403
    add_witnessed_log(served.data_dir, rotated.vkey)
    assert served.post(Log(rotated, served.log.leaves).request(0, 4)).status_code == 200
    assert served.post(served.log.request(4, 6)).status_code == 200  # the old key still counts
    text = checkpoint_text(served.log.key.name, 9, served.log.root(9))
    both = Log(rotated, served.log.leaves).note(9) + served.log.key.signature_line(text)
    response = served.post(body(6, consistency_proof(6, served.log.leaves[:9]), both))
    assert response.status_code == 200
    stored = served.witness.store.latest(served.log.key.name)
    assert stored is not None and len(stored.note.signatures) == 3  # both log signatures, then the cosignature


def test_temporary_files_a_crash_left_are_removed_under_the_lock(served):
    hashed = hashlib.sha256(served.log.key.name.encode()).hexdigest()
    state, evidence = served.data_dir / "state" / hashed, served.data_dir / "evidence" / hashed
    for directory in (state, evidence):
        directory.mkdir(parents=True)
        (directory / ".checkpoint.999999.1.tmp").write_bytes(b"half a checkpoint")
    assert served.post(served.log.request(0, 3)).status_code == 200
    assert sorted(p.name for p in state.iterdir()) == ["checkpoint", "lock"]
    assert list(evidence.iterdir()) == []
