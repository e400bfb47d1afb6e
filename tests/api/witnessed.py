"""An app whose log signs its checkpoints and has a 2-of-3 witness policy, with checkpoints cosigned the
way the witnessing worker stores them (the cosignatures made by TEST cosigner keys here; the worker
against real witnesses is tests/witness/test_log_and_witnesses.py). TEST KEYS ONLY."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from ledger.core.note import Cosigner, NoteSigner
from ledger.core.policy import Policy
from ledger.services.ledger import Ledger
from ledger.services.proofs import make_checkpoint
from ledger.services.witnessing import policy_hash
from tests.factories import AgencyKey, CaseBuilder

COSIGNERS = {
    name: Cosigner(f"{name}.example/witness-test", hashlib.sha256(f"saksi test cosigner {name}".encode()).digest())
    for name in ("ombudsman", "bpk", "ui")
}
DISPLAY = {"ombudsman": "Ombudsman RI", "bpk": "BPK", "ui": "Universitas Indonesia"}


@dataclass
class Witnessed:
    client: TestClient
    ledger: Ledger
    log: NoteSigner
    policy_text: str
    agency: AgencyKey

    @property
    def log_vkey(self) -> str:
        return str(self.log.vkey)

    @property
    def witness_names(self) -> list[str]:
        return [c.vkey.name for c in COSIGNERS.values()]

    def append_unwitnessed(self, count: int, case: CaseBuilder | None = None) -> list[dict[str, Any]]:
        case = case or CaseBuilder(self.agency)
        items = [case.next_item(summary=f"Langkah {case.seq + 1}") for _ in range(count)]
        response = self.client.post("/v1/events", json={"events": items})
        assert response.status_code in (200, 201), response.text
        return response.json()["receipts"]

    def seed(self, count: int, case: CaseBuilder | None = None, cosigners: int = 3) -> list[dict[str, Any]]:
        """Append ``count`` events, checkpoint, and store cosignatures of the first ``cosigners`` witnesses."""
        results = self.append_unwitnessed(count, case)
        checkpoint = make_checkpoint(self.ledger.store, self.ledger.origin, self.ledger.clock_ms, self.log)
        now = self.ledger.clock_ms()
        with self.ledger.store.write() as tx:
            for cosigner in list(COSIGNERS.values())[:cosigners]:
                line = cosigner.cosign(checkpoint.to_text(), now // 1000)
                tx.witnessing.add_cosignature(checkpoint.tree_size, line.name, line.key_id, line.signature, now)
            if cosigners >= 2:
                tx.witnessing.mark_witnessed(checkpoint.tree_size, policy_hash(self.policy_text), now)
        return results


def policy_text(log: NoteSigner) -> str:
    lines = [f"log {log.vkey}"]
    for name, cosigner in COSIGNERS.items():
        lines += [f"# name: {DISPLAY[name]}", f"witness {name} {cosigner.vkey}"]
    return "\n".join([*lines, "group oversight 2 ombudsman bpk ui", "quorum oversight", ""])


def build_witnessed(settings, store, clock, agencies: list[AgencyKey], desk: AgencyKey) -> Witnessed:
    """The app (tests/api/conftest.py's `witnessed_app`): checkpoints count once witnessed (no chain here)."""
    settings = settings.with_(database_url=str(store.engine.url), checkpoint_counts_when=("witnessed",))
    with store.write() as tx:
        for agency in agencies:
            tx.register_agency(agency.code, agency.name, agency.address, at=0)
    log = NoteSigner(settings.origin, hashlib.sha256(b"saksi test log key (api)").digest())
    text = policy_text(log)
    ledger = Ledger(
        settings, store, clock, complaints_key=desk.key, log_vkey=log.vkey, witness_policy=(Policy.parse(text), text)
    )
    return Witnessed(TestClient(create_app(settings, ledger=ledger)), ledger, log, text, agencies[0])
