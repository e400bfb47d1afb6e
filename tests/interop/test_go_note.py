"""Go's golang.org/x/mod/sumdb/note (the Go checksum database's notes) against Saksi's ledger.core.note.

The Go side is tests/interop/go/notecheck, built offline from Debian's packaged source
(golang-go, golang-golang-x-mod-dev) once per session. Skipped, saying why, when either is missing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ledger.core.note import Cosigner, Note, NoteSigner, Vkey, verify_note
from ledger.errors import InvalidField, VerificationFailed

GO_SOURCE = Path(__file__).resolve().parent / "go" / "notecheck" / "main.go"
GOPATH = Path("/usr/share/gocode")
NOTE_PACKAGE = GOPATH / "src" / "golang.org" / "x" / "mod" / "sumdb" / "note"

ORIGIN = "saksi/eip155:31337/0x5fbdb2315678afecb367f032d93f642f64180aa3"
CHECKPOINT = f"{ORIGIN}\n3\nWkAFHncav89iWu/6bq9a2j87Y3vUNTq5ZQICfIOUqmk=\n"  # FORMATS §9.4
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


def seed(n: int) -> bytes:
    """TEST SEED n = SHA-256("saksi test note seed n") (as in tests/vectors/notes.json): never for real use."""
    return hashlib.sha256(f"saksi test note seed {n}".encode()).digest()


LOG = NoteSigner(ORIGIN, seed(1))
WITNESS = Cosigner("ombudsman.go.id-test", seed(10))


@pytest.fixture(scope="session")
def notecheck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go = shutil.which("go")
    if go is None:
        pytest.skip("the go toolchain is not installed (Debian package golang-go)")
    if not NOTE_PACKAGE.is_dir():
        pytest.skip("golang.org/x/mod/sumdb/note is not installed (Debian package golang-golang-x-mod-dev)")
    work = tmp_path_factory.mktemp("go-notecheck")
    binary = work / "notecheck"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(work),
        "GOPATH": str(GOPATH),
        "GO111MODULE": "off",  # build from GOPATH: Debian's packaged source, no module download
        "GOPROXY": "off",
        "GOFLAGS": "",
        "GOCACHE": str(work / "cache"),
        "CGO_ENABLED": "0",
    }
    result = subprocess.run(
        [go, "build", "-o", str(binary), str(GO_SOURCE)], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, f"go build failed:\n{result.stderr}"
    return binary


def run(binary: Path, *args: str, stdin: str = "") -> tuple[int, dict[str, Any]]:
    result = subprocess.run([str(binary), *args], input=stdin.encode(), capture_output=True, timeout=60)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


# (a) Go verifies what Saksi signs ----------------------------------------------------------------


def test_go_verifies_a_saksi_signed_checkpoint(notecheck: Path) -> None:
    note = Note(CHECKPOINT, (LOG.sign(CHECKPOINT),))
    code, out = run(notecheck, "verify", str(LOG.vkey), stdin=note.serialize())
    assert code == 0, out
    assert out["text"] == CHECKPOINT
    line = note.signatures[0].line()
    assert out["verified"] == [{"name": ORIGIN, "keyHash": f"{LOG.vkey.key_id:08x}", "base64": line.split()[-1]}]
    assert out["unverifiedSigs"] == []


def test_go_verifies_a_cosigned_checkpoint_and_leaves_cosignatures_unverified(notecheck: Path) -> None:
    note = Note(CHECKPOINT, (LOG.sign(CHECKPOINT), WITNESS.cosign(CHECKPOINT, 1767513600)))
    code, out = run(notecheck, "verify", str(LOG.vkey), stdin=note.serialize())
    assert code == 0, out
    assert [s["name"] for s in out["verified"]] == [ORIGIN]
    assert out["unverifiedSigs"] == [
        {
            "name": WITNESS.vkey.name,
            "keyHash": f"{WITNESS.vkey.key_id:08x}",
            "base64": note.signatures[1].line().split()[-1],
        }
    ]


def test_go_refuses_a_tampered_saksi_checkpoint(notecheck: Path) -> None:
    note = Note(CHECKPOINT, (LOG.sign(CHECKPOINT),)).serialize().replace("\n3\n", "\n4\n")
    code, out = run(notecheck, "verify", str(LOG.vkey), stdin=note)
    assert code == 1
    assert out["error"] == f"invalid signature for key {ORIGIN}+{LOG.vkey.key_id:08x}"


def test_go_and_saksi_agree_on_the_spec_example(notecheck: Path) -> None:
    code, out = run(notecheck, "verify", SPEC_VKEY, stdin=SPEC_NOTE)
    assert code == 0 and out["text"] == "This is an example message.\n"
    assert verify_note(Note.parse(SPEC_NOTE), [Vkey.parse(SPEC_VKEY)])


@pytest.mark.parametrize(
    "note",
    [
        SPEC_NOTE.replace("\n\n", "\n"),  # no blank line
        SPEC_NOTE[:-1],  # no final newline
        SPEC_NOTE.replace("This", "Th\tis"),  # a control character
        SPEC_NOTE.replace("—", "-"),  # not an em dash
        "This is an example message.\n\n",  # no signature
        SPEC_NOTE + "— example.com/foo AQIDBA==\n",  # a signature of 4 bytes only
    ],
)
def test_go_and_saksi_both_refuse_malformed_notes(notecheck: Path, note: str) -> None:
    code, out = run(notecheck, "verify", SPEC_VKEY, stdin=note)
    assert (code, out) == (1, {"error": "malformed note"})
    with pytest.raises(InvalidField):
        Note.parse(note)


def test_saksi_is_stricter_than_go_on_base64() -> None:
    """The one known difference: Go's base64 decoder accepts non-zero padding bits, Saksi refuses them
    (one signature, one encoding)."""
    noncanonical = SPEC_NOTE.replace("yaQM=", "yaQN=")
    with pytest.raises(InvalidField, match="^note.signature\\[1\\]: must be canonical base64$"):
        Note.parse(noncanonical)


def test_go_accepts_non_canonical_base64(notecheck: Path) -> None:
    code, out = run(notecheck, "verify", SPEC_VKEY, stdin=SPEC_NOTE.replace("yaQM=", "yaQN="))
    assert code == 0, out


# (b) Saksi verifies what Go signs -----------------------------------------------------------------


def test_saksi_verifies_a_go_signed_note_and_signs_the_same_bytes(notecheck: Path) -> None:
    code, out = run(notecheck, "sign", "go.example/log", stdin=CHECKPOINT)
    assert code == 0, out
    vkey = Vkey.parse(out["vkey"])
    note = Note.parse(out["note"])
    assert verify_note(note, [vkey])[0].vkey == vkey
    assert note.serialize() == out["note"]
    # Go's signer key is PRIVATE+KEY+<name>+<id>+base64(0x01 ‖ seed): the same seed signs the same bytes here
    _, _, name, key_id, key = out["skey"].split("+", 4)
    raw = base64.b64decode(key)
    assert raw[0] == 0x01 and len(raw) == 33
    signer = NoteSigner(name, raw[1:])
    assert str(signer.vkey) == out["vkey"] and f"{signer.vkey.key_id:08x}" == key_id
    assert Note(CHECKPOINT, (signer.sign(CHECKPOINT),)).serialize() == out["note"]


def test_saksi_refuses_a_go_note_signed_for_other_text(notecheck: Path) -> None:
    code, out = run(notecheck, "sign", "go.example/log", stdin="one text\n")
    assert code == 0
    forged = out["note"].replace("one text", "another text")
    with pytest.raises(VerificationFailed, match=r"^signature by go.example/log\+.* does not verify$"):
        verify_note(Note.parse(forged), [Vkey.parse(out["vkey"])])


# (c) Go parses Saksi's vkeys ----------------------------------------------------------------------


def test_go_parses_the_saksi_log_vkey(notecheck: Path) -> None:
    assert run(notecheck, "vkey", str(LOG.vkey)) == (0, {"name": ORIGIN, "keyHash": f"{LOG.vkey.key_id:08x}"})


def test_go_knows_only_ed25519_note_keys(notecheck: Path) -> None:
    """x/mod's note package has no cosignature type (0x04): it refuses a witness vkey, as documented."""
    assert run(notecheck, "vkey", str(WITNESS.vkey)) == (1, {"error": "unknown verifier algorithm"})


def test_go_accepts_a_forgery_from_a_small_order_key_that_saksi_refuses(notecheck: Path) -> None:
    """Why Vkey refuses small-order keys: with the identity point as key, R = identity and S = 0 pass
    Go's (and OpenSSL's) Ed25519 check for any text."""
    identity = bytes([1]) + bytes(31)
    name = "evil.example/witness"
    key_id = int.from_bytes(hashlib.sha256(name.encode() + b"\n\x01" + identity).digest()[:4], "big")
    vkey = f"{name}+{key_id:08x}+{base64.b64encode(bytes([1]) + identity).decode()}"
    signature = base64.b64encode(key_id.to_bytes(4, "big") + identity + bytes(32)).decode()
    forged = f"{CHECKPOINT}\n— {name} {signature}\n"
    code, out = run(notecheck, "verify", vkey, stdin=forged)
    assert code == 0 and [s["name"] for s in out["verified"]] == [name]
    with pytest.raises(InvalidField, match="^vkey.publicKey: must not be a point of small order$"):
        Vkey.parse(vkey)
