"""`saksi verify --policy FILE` and `--api URL`: step 2 (the checkpoint's log signature and witness quorum)
in plain words, on the golden bundles of tests/vectors/bundles.json (TEST keys). No chain: --allow-partial."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest

from ledger.cli import app
from ledger.cli.app import run

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "bundles.json").read_text(encoding="utf-8"))


def vector(start: str) -> dict[str, Any]:
    return next(v for v in VECTORS["vectors"] if v["description"].startswith(start))


def saksi(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["saksi", *args])
    code = run(app)
    out = capsys.readouterr()
    return code, out.out, out.err


def files(tmp_path: Path, v: dict[str, Any], policy: str | None = None) -> list[str]:
    (tmp_path / "bundle.json").write_text(json.dumps(v["bundle"]), encoding="utf-8")
    args = [str(tmp_path / "bundle.json"), "--allow-partial"]
    text = policy if policy is not None else v.get("policy")
    if text is not None:
        (tmp_path / "policy.txt").write_text(text, encoding="utf-8")
        args += ["--policy", str(tmp_path / "policy.txt")]
    return args


def test_names_who_witnessed_and_when(tmp_path, monkeypatch, capsys):
    v = vector("witnessed: the checkpoint's note")
    code, out, err = saksi(monkeypatch, capsys, "verify", *files(tmp_path, v))
    assert code == 0, err
    assert "✓ 2. the log signed the checkpoint" in out
    assert (
        "✓ Witnessed by Ombudsman RI (cosigned 2026-01-04 08:01:00 UTC), BPK (cosigned 2026-01-04 08:01:07 UTC) "
        "(2 of the 3 witnesses the policy names; 2 required)"
    ) in out


def test_json_carries_the_witnesses(tmp_path, monkeypatch, capsys):
    v = vector("witnessed: the checkpoint's note")
    code, out, err = saksi(monkeypatch, capsys, "verify", *files(tmp_path, v), "--json")
    assert code == 0, err
    report = orjson.loads(out)
    assert report["witnesses"] == {**v["witnesses"], "summary": report["witnesses"]["summary"]}
    assert v["witnesses"]["summary"].startswith("witnessed by Ombudsman RI, BPK (2 of the 3")
    assert report["witnesses"]["summary"].startswith("Witnessed by Ombudsman RI (cosigned ")


def test_quorum_not_met_warns_but_passes(tmp_path, monkeypatch, capsys):
    v = vector("only one witness cosigned so far")
    code, out, err = saksi(monkeypatch, capsys, "verify", *files(tmp_path, v))
    assert code == 0, err
    assert "! Not yet witnessed by enough: only BPK (cosigned 2026-01-04 08:01:07 UTC) (1 of the 3" in out
    assert "– 2. the log signed the checkpoint" in out


def test_no_policy_says_no_independent_witness_was_checked(tmp_path, monkeypatch, capsys):
    v = vector("a bundle made before witnessing")
    code, out, err = saksi(monkeypatch, capsys, "verify", *files(tmp_path, v))
    assert code == 0, err
    assert "! No independent witness has checked this yet: the bundle carries no signed checkpoint" in out


@pytest.mark.parametrize(
    "start",
    [
        "a witness's cosignature with one bit flipped",
        "the log's signature with one bit flipped",
        "the note signs another checkpoint",
        "the policy names no log for this origin",
    ],
)
def test_a_bad_signature_fails_with_one_line_naming_step_2(start, tmp_path, monkeypatch, capsys):
    v = vector(start)
    code, out, err = saksi(monkeypatch, capsys, "verify", *files(tmp_path, v))
    assert code == 1
    assert err.startswith("saksi: 2. the log signed the checkpoint and the policy's quorum of witnesses cosigned it: ")
    assert err.strip().count("\n") == 0, err


def test_a_tampered_cosignature_names_the_witness(tmp_path, monkeypatch, capsys):
    v = vector("a witness's cosignature with one bit flipped")
    _, _, err = saksi(monkeypatch, capsys, "verify", *files(tmp_path, v))
    assert ": the cosignature of BPK: signature by bpk.go.id-test+" in err and err.endswith("does not verify\n"), err


def test_a_malformed_policy_file_is_one_line_naming_the_line(tmp_path, monkeypatch, capsys):
    v = vector("witnessed: the checkpoint's note")
    code, _, err = saksi(monkeypatch, capsys, "verify", *files(tmp_path, v, policy="log not-a-vkey\nquorum none\n"))
    assert code == 2
    assert "policy.txt: policy line 1: vkey: must be <name>+<key id>+<base64 key>" in err
    assert err.strip().count("\n") == 0, err


@contextmanager
def info_server(info: Any) -> Iterator[str]:
    body = json.dumps(info).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            found = self.path == "/v1/info"
            self.send_response(200 if found else 404)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body if found else b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_reads_the_servers_policy_and_log_key_with_api(tmp_path, monkeypatch, capsys):
    v = vector("witnessed, and checked against the chain")
    with info_server({"logVkey": v["logVkey"], "witnessPolicy": v["policy"]}) as api:
        args = files(tmp_path, {"bundle": v["bundle"]})
        code, out, err = saksi(monkeypatch, capsys, "verify", *args, "--api", api)
    assert code == 0, err
    assert "✓ Witnessed by Ombudsman RI" in out
    assert "the witness policy was read from the server" in err and "--policy FILE" in err


def test_the_servers_log_key_must_be_the_policys(tmp_path, monkeypatch, capsys):
    v = vector("witnessed: the checkpoint's note")
    other = vector("the server's logVkey is not the policy's log key")["logVkey"]
    with info_server({"logVkey": other, "witnessPolicy": None}) as api:
        code, _, err = saksi(monkeypatch, capsys, "verify", *files(tmp_path, v), "--api", api)
    assert code == 1
    assert "is not the policy's key" in err and err.strip().count("\n") == 0, err


def test_a_server_that_publishes_a_bad_policy_is_refused(tmp_path, monkeypatch, capsys):
    v = vector("witnessed: the checkpoint's note")
    with info_server({"logVkey": None, "witnessPolicy": 42}) as api:
        code, _, err = saksi(monkeypatch, capsys, "verify", *files(tmp_path, {"bundle": v["bundle"]}), "--api", api)
    assert code == 2
    assert "witnessPolicy must be a C2SP tlog-policy text or null" in err


# --- c2sp.org/tlog-proof@v1 files (tests/vectors/notes.json) ------------------------------------------

NOTES = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "notes.json").read_text(encoding="utf-8"))


def proof(start: str) -> dict[str, Any]:
    return next(v for v in NOTES["vectors"] if v["kind"] == "tlogProof" and v["description"].startswith(start))


def proof_files(tmp_path: Path, v: dict[str, Any], with_policy: bool = True) -> list[str]:
    (tmp_path / "event.tlog-proof").write_text(v["proof"], encoding="utf-8")
    args = [str(tmp_path / "event.tlog-proof")]
    if with_policy:
        (tmp_path / "policy.txt").write_text(v["policy"], encoding="utf-8")
        args += ["--policy", str(tmp_path / "policy.txt")]
    return args


def test_a_tlog_proof_is_verified_against_the_policy(tmp_path, monkeypatch, capsys):
    v = proof("leaf 5 of an 11-leaf log, cosigned by 2 of 3")
    code, out, err = saksi(monkeypatch, capsys, "verify", *proof_files(tmp_path, v))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "OK leaf 5 in tree of size 11 (saksi/eip155:31337/0x5fbdb2315678afecb367f032d93f642f64180aa3)"
    assert "  ✓ the inclusion proof leads to the checkpoint's root" in lines
    assert lines[-1].startswith("✓ Witnessed by Ombudsman RI (TEST) (cosigned 2026-01-04 08:00:00 UTC), BPK (TEST)")
    code, out, err = saksi(monkeypatch, capsys, "verify", *proof_files(tmp_path, v), "--json")
    report = orjson.loads(out)
    assert (report["ok"], report["leafIndex"], report["treeSize"], report["leafHash"]) == (True, 5, 11, v["leafHash"])
    assert [c["witness"] for c in report["witnesses"]["cosigned"]] == ["w1", "w2"]


def test_a_tlog_proof_short_of_its_quorum_warns(tmp_path, monkeypatch, capsys):
    v = proof("leaf 2 of an 11-leaf log, cosigned by 1 of 3")
    code, out, err = saksi(monkeypatch, capsys, "verify", *proof_files(tmp_path, v))
    assert code == 0, err
    assert (
        "! Not yet witnessed by enough: only " in out and "(1 of the 3 witnesses the policy names; 2 required)" in out
    )


def test_a_tlog_proof_without_a_policy_is_partial(tmp_path, monkeypatch, capsys):
    v = proof("leaf 5 of an 11-leaf log")
    code, out, err = saksi(monkeypatch, capsys, "verify", *proof_files(tmp_path, v, with_policy=False))
    assert code == 1 and out.startswith("PARTIAL leaf 5")
    assert err.startswith("saksi: nothing authenticates this proof's checkpoint") and err.count("\n") == 1
    code, out, err = saksi(
        monkeypatch, capsys, "verify", *proof_files(tmp_path, v, with_policy=False), "--allow-partial", "--json"
    )
    assert code == 0 and orjson.loads(out)["partial"] is True


@pytest.mark.parametrize(
    ("start", "code", "says"),
    [
        ("extra holds another leaf", 1, "saksi: 5. every inclusion proof leads to the checkpoint's root: leaf 5: "),
        ("an inclusion hash with one bit flipped", 1, "saksi: 5. every inclusion proof leads"),
        ("a checkpoint signed by another key", 1, "saksi: 2. the log signed the checkpoint"),
        ("an index with a leading zero", 2, "saksi: tlogProof.index: must be 'index <n>'"),
        ("extra that is not a version 1 leaf", 2, "saksi: leaf: "),
    ],
)
def test_a_bad_tlog_proof_fails_in_one_line(start, code, says, tmp_path, monkeypatch, capsys):
    v = proof(start)
    got, _, err = saksi(monkeypatch, capsys, "verify", *proof_files(tmp_path, v))
    assert got == code and err.startswith(says) and err.count("\n") == 1, err
