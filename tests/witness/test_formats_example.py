"""FORMATS 17.3 is what the witness does: the example request, answered by a witness with the same TEST key
at the same time, gives the example cosignature, and both appear in the document byte for byte."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ledger.core.note import Cosigner, public_key_of
from ledger.witness.admin import add_witnessed_log, init_witness
from ledger.witness.config import Layout
from ledger.witness.witness import Witness
from tests.witness.conftest import PASSWORD
from tests.witness.spec_client import Log, LogKey

FORMATS = (Path(__file__).resolve().parents[2] / "docs" / "FORMATS.md").read_text()
WITNESS_SEED = bytes([0x77]) * 32  # TEST seed


def test_the_formats_example_is_what_the_witness_answers(tmp_path):
    log = Log(LogKey("example.test/log", bytes(range(32))), [b"leaf %d" % i for i in range(8)])  # TEST seed
    data_dir = tmp_path / "w"
    init_witness(data_dir, "example.test/witness", PASSWORD, demo=True)
    # the example's witness key instead of the random one init made: the config names its vkey
    cosigner = Cosigner("example.test/witness", WITNESS_SEED)
    config = (data_dir / "witness.json").read_text()
    vkey_now = config.split('"vkey": "')[1].split('"')[0]
    (data_dir / "witness.json").write_text(config.replace(vkey_now, str(cosigner.vkey)))
    add_witnessed_log(data_dir, log.key.vkey)
    witness = Witness(Layout(data_dir), cosigner, clock=lambda: 1_800_000_000)
    witness.add_checkpoint(log.request(0, 3))
    request = log.request(3, 8).decode()
    answer = witness.add_checkpoint(request.encode())

    assert f"`{log.key.vkey}`" in FORMATS and f"`{cosigner.vkey}`" in FORMATS
    assert public_key_of(WITNESS_SEED) == cosigner.vkey.public_key
    assert f"```\n{request}```" in FORMATS
    assert f"```\n{answer}```" in FORMATS
    assert f"GET /{hashlib.sha256(b'example.test/log').hexdigest()}/checkpoint" in FORMATS
