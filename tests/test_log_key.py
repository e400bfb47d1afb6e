"""The log's note-signing key: an Ed25519 seed in a Web3 Secret Storage keystore marked by its kind, with its
public vkey in the clear; created by `saksi init`, or on first use for a data directory made before."""

from __future__ import annotations

import json
import logging
import stat

import pytest

from ledger.config import Settings
from ledger.core.encoding import hex0x
from ledger.core.note import SIG_ED25519, Vkey, verify_note
from ledger.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound
from ledger.keys import (
    DEMO_SCRYPT_N,
    NOTE_KEY_KIND,
    SCRYPT_N,
    new_note_keystore,
    note_keystore_vkey,
    read_keystore,
    read_note_keystore,
    write_keystore,
)
from ledger.runtime import LOG_KEYSTORE, OPERATOR_KEYSTORE, log_signer, log_vkey
from tests import factories
from tests.factories import TEST_CHAIN_ID, TEST_CONTRACT

NAME = "saksi/eip155:31337/0x5fbdb2315678afecb367f032d93f642f64180aa3"


def test_a_note_keystore_is_marked_carries_its_vkey_and_no_address(tmp_path):
    path = tmp_path / "keys" / "log.json"
    signer = new_note_keystore(path, NAME, "pw", demo=True)
    data = json.loads(path.read_text())
    assert data["kind"] == NOTE_KEY_KIND and "address" not in data
    assert data["vkey"] == str(signer.vkey) and data["crypto"]["kdfparams"]["n"] == DEMO_SCRYPT_N
    assert "DEMO KEY" in data["saksi"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert note_keystore_vkey(path) == signer.vkey == Vkey.parse(data["vkey"])
    assert signer.vkey.name == NAME and signer.vkey.sig_type == SIG_ED25519
    again = read_note_keystore(path, "pw")
    assert again.vkey == signer.vkey and again.sign("a\n") == signer.sign("a\n")
    with pytest.raises(AuthenticationFailed, match="wrong password"):
        read_note_keystore(path, "other")
    with pytest.raises(Conflict, match="refusing to overwrite"):
        new_note_keystore(path, NAME, "pw")
    with pytest.raises(InvalidInput, match="empty keystore password"):
        new_note_keystore(tmp_path / "empty.json", NAME, "")


def test_kinds_are_not_mixed_up(tmp_path):
    note = tmp_path / "log.json"
    new_note_keystore(note, NAME, "pw", demo=True)
    with pytest.raises(InvalidInput, match="not an Ethereum key"):
        read_keystore(note, "pw")
    operator = tmp_path / "operator.json"
    write_keystore(operator, factories.test_key("operator"), "pw", demo=True)
    with pytest.raises(InvalidInput, match="not a note-signing keystore"):
        read_note_keystore(operator, "pw")
    with pytest.raises(NotFound):
        note_keystore_vkey(tmp_path / "missing.json")


def test_a_vkey_that_is_not_the_encrypted_key_is_refused(tmp_path):
    path = tmp_path / "log.json"
    new_note_keystore(path, NAME, "pw", demo=True)
    other = new_note_keystore(tmp_path / "other.json", NAME, "pw", demo=True)
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "vkey": str(other.vkey)}))
    with pytest.raises(InvalidInput, match="not the one its vkey names"):
        read_note_keystore(path, "pw")
    path.write_text(json.dumps({**data, "vkey": "nonsense"}))
    with pytest.raises(InvalidInput, match="its vkey is malformed"):
        note_keystore_vkey(path)


def _settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, chain_id=TEST_CHAIN_ID, contract=hex0x(TEST_CONTRACT))


def test_a_data_directory_without_a_log_key_gets_one_on_first_use(tmp_path, caplog):
    settings = _settings(tmp_path)
    write_keystore(tmp_path / OPERATOR_KEYSTORE, factories.test_key("operator"), "pw", demo=True)
    assert log_vkey(settings) is None
    with caplog.at_level(logging.INFO, logger="ledger.runtime"):
        signer = log_signer(settings, "pw")
    assert f"created the log's note-signing key {tmp_path / LOG_KEYSTORE}: vkey {signer.vkey}" in caplog.text
    assert signer.vkey.name == settings.origin and log_vkey(settings) == signer.vkey
    data = json.loads((tmp_path / LOG_KEYSTORE).read_text())
    assert data["crypto"]["kdfparams"]["n"] == DEMO_SCRYPT_N  # a demo operator key: a demo log key
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="ledger.runtime"):
        assert log_signer(settings, "pw").vkey == signer.vkey  # read, not made again
    assert "created" not in caplog.text


def test_a_real_data_directory_gets_the_full_kdf(tmp_path, monkeypatch):
    import ledger.keys

    monkeypatch.setattr(ledger.keys, "SCRYPT_N", 1 << 11)  # the real strength takes a second; its path is the same
    settings = _settings(tmp_path)
    write_keystore(tmp_path / OPERATOR_KEYSTORE, factories.test_key("operator"), "pw", demo=True)
    (tmp_path / OPERATOR_KEYSTORE).write_text(
        json.dumps({k: v for k, v in json.loads((tmp_path / OPERATOR_KEYSTORE).read_text()).items() if k != "saksi"})
    )
    log_signer(settings, "pw")
    data = json.loads((tmp_path / LOG_KEYSTORE).read_text())
    assert data["crypto"]["kdfparams"]["n"] == 1 << 11 != SCRYPT_N and "saksi" not in data


def test_a_log_key_named_for_another_origin_is_refused(tmp_path):
    settings = _settings(tmp_path)
    new_note_keystore(tmp_path / LOG_KEYSTORE, "saksi/eip155:1/0x" + "00" * 20, "pw", demo=True)
    with pytest.raises(InvalidInput, match="but this ledger's checkpoint origin is"):
        log_signer(settings, "pw")


def test_the_signature_verifies_with_the_published_vkey(tmp_path):
    signer = new_note_keystore(tmp_path / "log.json", NAME, "pw", demo=True)
    from ledger.core.note import Note

    text = f"{NAME}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    note = Note(text, (signer.sign(text),))
    assert verify_note(Note.parse(note.serialize()), [note_keystore_vkey(tmp_path / "log.json")])
