"""Self-proving receipts (ledger/core/receipt_proof.py) against tests/vectors/receipts.json, and their
limits: a receipt round-trips through its container and its encoding; nothing past the size caps is
inflated; the domain is the one the checkpoint's origin names."""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path

import pytest

from ledger.core.policy import Policy
from ledger.core.receipt_proof import MAX_CONTAINER_BYTES, ReceiptProof, domain_of_origin, verify_receipt
from ledger.errors import InvalidField, SaksiError, TooLarge

DOC = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "receipts.json").read_text(encoding="utf-8"))
POLICY = Policy.parse(DOC["policy"])


@pytest.mark.parametrize("vector", DOC["vectors"], ids=[v["description"][:60] for v in DOC["vectors"]])
def test_vectors(vector):
    if vector["valid"]:
        receipt = ReceiptProof.decode(vector["encoded"])
        assert receipt.to_bytes().hex() == vector["containerHex"]
        assert receipt.event.to_json() == vector["event"]
        checked = verify_receipt(receipt, POLICY)
        assert "0x" + checked.signer.hex() == vector["signer"]
        assert [c.witness for c in checked.checked.cosigned_by] == vector["cosignedBy"]
        assert checked.checked.quorum_met is vector["quorumMet"]
        assert ReceiptProof.decode(receipt.encode()) == receipt
        return
    with pytest.raises(SaksiError) as caught:
        verify_receipt(ReceiptProof.decode(vector["encoded"]), POLICY)
    assert type(caught.value).__name__ == vector["error"], caught.value
    if vector["field"]:
        assert caught.value.evidence.get("field") == vector["field"]


def test_the_leaf_and_tlog_proof_are_recomputed_from_the_event():
    receipt = ReceiptProof.decode(DOC["vectors"][0]["encoded"])
    proof = receipt.tlog_proof()
    assert proof.extra == receipt.leaf() and len(proof.extra) == 106
    assert ReceiptProof.from_tlog_proof(receipt.event, proof) == receipt


def test_a_deflate_bomb_is_refused_before_it_is_inflated_whole():
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = compressor.compress(b"\x01" + b"\x00" * (10 * MAX_CONTAINER_BYTES)) + compressor.flush()
    with pytest.raises(TooLarge):
        ReceiptProof.decode(base64.urlsafe_b64encode(bomb).rstrip(b"=").decode())
    with pytest.raises(TooLarge):
        ReceiptProof.decode("A" * 5000)


def test_only_a_saksi_origin_names_a_domain():
    domain = domain_of_origin("saksi/eip155:31337/0x5fbdb2315678afecb367f032d93f642f64180aa3")
    assert domain.chain_id == 31337 and domain.verifying_contract.hex() == "5fbdb2315678afecb367f032d93f642f64180aa3"
    for origin in ("example.com/log", "saksi/eip155:0/0x" + "00" * 20, "saksi/eip155:1/0x" + "AB" * 20):
        with pytest.raises(InvalidField):
            domain_of_origin(origin)
