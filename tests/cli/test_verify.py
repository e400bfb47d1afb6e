"""`saksi verify` and `saksi monitor` on the embedded default, through the server's POST /chain-rpc:
all eight steps (step 2, the witnesses, warns: no policy is given here), step 8 against the contract's
registry history, and no chain = no pass."""

from __future__ import annotations

import hashlib
import json
import sys

import httpx
import orjson
import pytest

from ledger.checker.client import CaseState
from ledger.cli import app
from ledger.cli.app import run
from ledger.core.note import NoteSigner
from tests.embedded_site import AGENCY, embedded_site
from tests.factories import AgencyKey

pytestmark = pytest.mark.chain


@pytest.fixture
def site(tmp_path):
    with embedded_site(tmp_path) as site:
        site.register()
        yield site


def saksi(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run one command in this process as the `saksi` entry point does: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["saksi", *args])
    code = run(app)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_good_bundle_passes_every_step_through_the_servers_window(site, tmp_path, monkeypatch, capsys):
    case = CaseState.new("KTP-JKS-2026-000123")
    site.submit(case, "application.submitted", "Permohonan KTP-el diterima")
    site.submit(case, "documents.verified", "Dokumen diverifikasi")
    site.anchor()
    bundle = site.bundle(case, tmp_path / "bundle.json")

    code, out, err = saksi(monkeypatch, capsys, "verify", str(bundle), "--rpc", f"{site.url}/chain-rpc", "--json")
    assert code == 0, err
    report = orjson.loads(out)
    assert report["ok"] and not report["partial"]
    # without a witness policy step 2 is a warning, never a failure (tests/cli/test_verify_witnesses.py)
    assert [step[:3] for step in report["skipped"]] == ["2. "] and report["witnesses"]["status"] == "warn"
    assert [step[:2] for step in report["checked"]] == ["1.", "3.", "4.", "5.", "6.", "7.", "8."]
    assert report["chain"] == {"rpc": f"{site.url}/chain-rpc", "independent": False}

    code, out, err = saksi(monkeypatch, capsys, "verify", str(bundle), "--rpc", f"{site.url}/chain-rpc")
    assert code == 0 and "✓ 8. every signer" in out and "(no registry given)" not in out
    assert "server's own window" in err and "only as independent as that server" in err


@pytest.mark.parametrize("change", ["revoked", "rotated"])
def test_a_signer_revoked_or_rotated_before_receipt_fails_step_8(site, change, tmp_path, monkeypatch, capsys):
    """The chain's registry, not the server's mirror of it: here the mirror never heard of the change
    (a lagging or lying operator) and the ledger accepted the event; the registry history refuses it."""
    case = CaseState.new("KTP-JKS-2026-000124")
    site.submit(case, "application.submitted", "Permohonan KTP-el diterima")
    if change == "revoked":
        site.runtime.chain.revoke_agency(AGENCY.code)
    else:
        site.runtime.chain.rotate_agency_signer(AGENCY.code, AgencyKey("dukcapil.jaksel", key=b"\x07" * 32).address)
    site.clock.advance(3_600_000)  # received an hour after the change: far beyond any clock tolerance
    site.submit(case, "documents.verified", "Dokumen diverifikasi")
    site.anchor()
    bundle = site.bundle(case, tmp_path / "bundle.json")

    code, out, err = saksi(monkeypatch, capsys, "verify", str(bundle), "--rpc", f"{site.url}/chain-rpc")
    assert code == 1, out + err
    assert err.startswith("saksi: 8. every signer") and err.count("\n") == 1
    events = orjson.loads(bundle.read_bytes())["events"]
    before, after = (e["event"]["eventId"] for e in events)
    assert after in err and before not in err  # the event received after the change, not the one before it


def test_without_a_chain_it_says_so_and_fails_unless_partial_is_allowed(site, tmp_path, monkeypatch, capsys):
    case = CaseState.new("KTP-JKS-2026-000125")
    site.submit(case, "application.submitted", "Permohonan KTP-el diterima")
    site.anchor()
    bundle = site.bundle(case, tmp_path / "bundle.json")

    code, out, err = saksi(monkeypatch, capsys, "verify", str(bundle))
    assert code == 1 and out.startswith("PARTIAL")
    assert "internal consistency only" in err and "--allow-partial" in err and "most important" in err

    code, out, err = saksi(monkeypatch, capsys, "verify", str(bundle), "--allow-partial", "--json")
    assert code == 0 and orjson.loads(out)["partial"] and not orjson.loads(out)["ok"]

    # the embedded chain of a data directory is only readable through its server: one line saying how
    code, out, err = saksi(monkeypatch, capsys, "verify", str(bundle), "--data-dir", str(tmp_path / "saksi-data"))
    assert code == 2 and "--rpc http://HOST:PORT/chain-rpc" in err and err.count("\n") == 1


def test_monitor_witnesses_the_embedded_chain_through_the_window(site, tmp_path, monkeypatch, capsys):
    case = CaseState.new("KTP-JKS-2026-000126")
    site.submit(case, "application.submitted", "Permohonan KTP-el diterima")
    site.anchor()
    site.submit(case, "documents.verified", "Dokumen diverifikasi")
    site.anchor()
    args = (
        "monitor",
        "--api",
        site.url,
        "--rpc",
        f"{site.url}/chain-rpc",
        "--once",
        "--state",
        str(tmp_path / "w.json"),
    )

    code, out, err = saksi(monkeypatch, capsys, *args)
    assert code == 0, err
    # the server publishes its log key: the monitor checks the signed checkpoint too, and says whose word it is
    assert out.strip() == "witnessed up to tree size 2: consistent with the chain; signed checkpoint of size 2 verified"
    assert "server's own window" in err and "HTTP Request" not in err  # no httpx INFO line per request
    assert "read from the server (GET /v1/info)" in err

    # no chain: the signed log alone, against the log key given
    log_key = httpx.get(f"{site.url}/v1/info", timeout=10).json()["logVkey"]
    only_log = ("monitor", "--api", site.url, "--log-key", log_key, "--once", "--state", str(tmp_path / "l.json"))
    code, out, err = saksi(monkeypatch, capsys, *only_log)
    assert code == 0, err
    assert out.strip() == "signed checkpoint of size 2 verified" and "GET /v1/info" not in err

    # a log key that did not sign it: exit 1 and the alert
    other = str(NoteSigner(log_key.split("+")[0], hashlib.sha256(b"another TEST log key").digest()).vkey)
    wrong = ("monitor", "--api", site.url, "--log-key", other, "--once", "--state", str(tmp_path / "x.json"), "--json")
    code, out, err = saksi(monkeypatch, capsys, *wrong)
    assert code == 1 and [a["kind"] for a in json.loads(out)["alerts"]] == ["log-signature-invalid"]

    code, out, err = saksi(monkeypatch, capsys, "monitor", "--api", site.url, "--policy", str(tmp_path / "no.txt"))
    assert code == 3 and "cannot read" in err and err.count("\n") == 1  # NotFound
