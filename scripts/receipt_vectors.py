"""Golden vectors of self-proving receipts (FORMATS 16.6): tests/vectors/receipts.json.

Built from the witnessed case bundle of bundles.json (TEST keys: its events, inclusion proofs and the
checkpoint note cosigned by two of the TEST policy's three witnesses): the receipt of its newest step,
then receipts broken one way each. Each vector names the error its decoding or verification raises.
`containerHex` is normative; `encoded` is the raw DEFLATE of it as zlib level 9 writes it (any DEFLATE
encoder's output decodes to the same container).
"""

from __future__ import annotations

import base64
import dataclasses
import zlib
from typing import Any

from ledger.core.encoding import parse_hex
from ledger.core.events import ServiceEvent
from ledger.core.note import Note, NoteSignature
from ledger.core.policy import Policy
from ledger.core.receipt_proof import ReceiptProof, verify_receipt
from ledger.errors import SaksiError


def _raw(container: bytes) -> str:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.urlsafe_b64encode(compressor.compress(container) + compressor.flush()).rstrip(b"=").decode()


def _outcome(encoded: str, policy: Policy) -> tuple[str | None, str | None]:
    try:
        verify_receipt(ReceiptProof.decode(encoded), policy)
    except SaksiError as exc:
        return type(exc).__name__, exc.evidence.get("field")
    return None, None


def build_receipts(bundles: dict[str, Any]) -> dict[str, Any]:
    source = next(v for v in bundles["vectors"] if v["description"].startswith("witnessed: the checkpoint's note"))
    bundle, policy_text = source["bundle"], source["policy"]
    policy = Policy.parse(policy_text)
    last = max(bundle["events"], key=lambda e: e["event"]["caseSeq"])
    receipt = ReceiptProof(
        ServiceEvent.from_json(last["event"]),
        parse_hex("signature", last["signature"], 65),
        last["receivedAt"],
        last["leafIndex"],
        tuple(parse_hex("proof", h, 32) for h in last["inclusionProof"]),
        Note.parse(bundle["checkpoint"]["note"]),
    )
    checked = verify_receipt(receipt, policy)
    container = receipt.to_bytes()
    vectors: list[dict[str, Any]] = [
        {
            "description": "the receipt of the case's newest step, its checkpoint cosigned by 2 of the policy's 3 witnesses",
            "valid": True,
            "encoded": receipt.encode(),
            "containerHex": container.hex(),
            "event": last["event"],
            "signer": "0x" + checked.signer.hex(),
            "leafIndex": last["leafIndex"],
            "treeSize": checked.checked.checkpoint.tree_size,
            "cosignedBy": [c.witness for c in checked.checked.cosigned_by],
            "quorumMet": checked.checked.quorum_met,
        }
    ]

    def broken(description: str, data: bytes | None = None, encoded: str | None = None) -> None:
        text = encoded if encoded is not None else _raw(data if data is not None else container)
        error, field = _outcome(text, policy)
        assert error is not None, description
        vectors.append(
            {
                "description": description,
                "valid": False,
                "encoded": text,
                "containerHex": None if data is None else data.hex(),
                "error": error,
                "field": field,
            }
        )

    text_start = container.index(b'{"agency"')
    edited = container.replace(last["event"]["summary"].encode(), b"Permohonan ditolak", 1)
    broken("a step whose summary was changed: its leaf is no longer the one the checkpoint holds", edited)
    signature = bytearray(container)
    signature[97 + 10] ^= 1
    broken("a signature with one bit flipped", bytes(signature))
    proof = bytearray(container)
    proof[179 + 5] ^= 1
    broken("an inclusion hash with one bit flipped", bytes(proof))
    *earlier, last_sig = receipt.checkpoint.signatures  # the last cosignature, one bit of it flipped
    flipped = NoteSignature(
        last_sig.name, last_sig.key_id, last_sig.signature[:-1] + bytes([last_sig.signature[-1] ^ 1])
    )
    forged = dataclasses.replace(receipt, checkpoint=Note(receipt.checkpoint.text, (*earlier, flipped)))
    broken("a cosignature that does not verify", forged.to_bytes())
    broken("version 2", b"\x02" + container[1:])
    broken("fewer inclusion hashes than it says", container[:179] + container[179 : 179 + 64])
    spaced = container[:text_start] + container[text_start:].replace(b'","', b'", "', 1)
    broken("event fields that are not canonical JSON", spaced)
    broken("not base64url", encoded=receipt.encode()[:-4] + "+/==")
    broken("not raw DEFLATE", encoded=base64.urlsafe_b64encode(b"\xff" * 40).rstrip(b"=").decode())
    return {
        "description": __doc__.splitlines()[0],
        "policy": policy_text,
        "vectors": vectors,
    }
