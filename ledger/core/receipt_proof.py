"""Self-proving receipts (FORMATS 16.6): one step of a case and its offline proof, small enough for the QR
code of a printed receipt, checkable with no network against a witness policy.

A receipt proof is the event's fields, its signature and `receivedAt` (so the leaf can be recomputed),
and a c2sp.org/tlog-proof of that leaf (its index, inclusion hashes and the cosigned checkpoint note),
packed into the container below, compressed with raw DEFLATE (RFC 1951) and written in base64url
without padding. The container (big-endian):

| offset | length | content |
|---|---|---|
| 0 | 1 | version, `0x01` |
| 1 | 32 | caseCommitment |
| 33 | 32 | prevEventHash |
| 65 | 32 | payloadDigest |
| 97 | 65 | signature (FORMATS 4) |
| 162 | 8 | receivedAt, unix ms |
| 170 | 8 | leaf index |
| 178 | 1 | n, the number of inclusion hashes (0-63) |
| 179 | 32 n | the inclusion proof, leaf side first |
| 179 + 32 n | 1 | s, the number of the checkpoint note's signatures (1-16) |
| … | per signature | its key name's length (1 byte) and UTF-8 bytes, then the length (1 byte) and bytes of its key ID ‖ signature (what the line's base64 holds) |
| … | rest | UTF-8: the other event fields as canonical JSON (keys sorted, no spaces), `\\n`, then the checkpoint note's text (its three lines) |

The note is the text and its signature lines in that order (`— <name> <base64>`), parsed as any signed note.

The EIP-712 domain is the one the checkpoint's origin names (`saksi/eip155:<chainId>/<contract>`,
FORMATS 9.1), so a receipt always verifies in the domain of the log that holds it. Nothing in the
container is trusted as such: the leaf is recomputed from the event, and only the inclusion proof under
a checkpoint the policy's log signed (and its quorum cosigned) makes it a step of that log.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.core import merkle
from ledger.core.checkpoint import Checkpoint
from ledger.core.encoding import b64encode, parse_address
from ledger.core.events import Domain, ServiceEvent, eip712_digest, leaf_bytes
from ledger.core.note import Note, NoteSignature
from ledger.core.policy import CheckedCheckpoint, Policy
from ledger.core.signatures import recover_signer
from ledger.core.tlog_proof import MAX_INCLUSION_HASHES, TlogProof, verify_tlog_proof
from ledger.errors import InvalidField, TooLarge

VERSION = 1
#: The decompressed container never needs more (a note is at most 64 KiB, but a receipt's is a few hundred bytes).
MAX_CONTAINER_BYTES = 16 * 1024
#: A QR code a phone reads from paper; the encoded text of a receipt is refused past this.
MAX_ENCODED_CHARS = 4096
TEXT_FIELDS = ("agency", "caseSeq", "eventId", "eventType", "occurredAt", "summary")
_HEAD = 179
MAX_SIGNATURES = 16
_ORIGIN = re.compile(r"saksi/eip155:([1-9][0-9]{0,77})/(0x[0-9a-f]{40})")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def domain_of_origin(origin: str) -> Domain:
    """The EIP-712 domain a Saksi checkpoint origin names (InvalidField for any other origin)."""
    found = _ORIGIN.fullmatch(origin)
    if not found:
        raise InvalidField("receipt.origin", "must be saksi/eip155:<chainId>/<lower-case contract address>")
    return Domain(int(found.group(1)), parse_address("contract", found.group(2)))


def _signature_bytes(sig: NoteSignature) -> bytes:
    name, raw = sig.name.encode(), sig.key_id.to_bytes(4, "big") + sig.signature
    if len(name) > 255 or len(raw) > 255:
        raise InvalidField("receipt.note", "a signature's key name and bytes must each fit in 255 bytes")
    return bytes([len(name)]) + name + bytes([len(raw)]) + raw


def _signature_lines(data: bytes, at: int) -> tuple[list[str], int]:
    """The note's signature lines from the container at `at`, and where the text after them starts."""
    if at >= len(data) or not 1 <= data[at] <= MAX_SIGNATURES:
        raise InvalidField("receipt.note", f"must have 1 to {MAX_SIGNATURES} signatures")
    count, at, lines = data[at], at + 1, []
    for _ in range(count):
        parts = []
        for _part in ("name", "signature"):
            if at >= len(data) or at + 1 + data[at] > len(data):
                raise InvalidField("receipt.note", "a signature is truncated")
            length = data[at]
            parts.append(data[at + 1 : at + 1 + length])
            at += 1 + length
        try:
            name = parts[0].decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidField("receipt.note", "a key name must be UTF-8") from None
        lines.append(f"— {name} {b64encode(parts[1])}\n")
    return lines, at


@dataclass(frozen=True, slots=True)
class ReceiptProof:
    event: ServiceEvent
    signature: bytes
    received_at: int
    index: int
    inclusion: tuple[bytes, ...]
    checkpoint: Note

    # --- building ---

    @classmethod
    def from_tlog_proof(cls, event: ServiceEvent, proof: TlogProof) -> ReceiptProof:
        """The receipt of `event` from its tlog-proof file (whose extra line holds its leaf bytes)."""
        leaf = proof.leaf()
        return cls(event, leaf.signature, leaf.received_at_ms, proof.index, proof.inclusion, proof.checkpoint)

    def to_bytes(self) -> bytes:
        event = self.event.to_json()
        text = orjson.dumps({k: event[k] for k in TEXT_FIELDS}, option=orjson.OPT_SORT_KEYS)
        return b"".join(
            [
                bytes([VERSION]),
                self.event.case_commitment,
                self.event.prev_event_hash,
                self.event.payload_digest,
                self.signature,
                self.received_at.to_bytes(8, "big"),
                self.index.to_bytes(8, "big"),
                bytes([len(self.inclusion)]),
                *self.inclusion,
                bytes([len(self.checkpoint.signatures)]),
                *(_signature_bytes(sig) for sig in self.checkpoint.signatures),
                text,
                b"\n",
                self.checkpoint.text.encode(),
            ]
        )

    def encode(self) -> str:
        """base64url (no padding) of the raw-DEFLATE-compressed container: what a QR code carries."""
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        data = compressor.compress(self.to_bytes()) + compressor.flush()
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    # --- reading ---

    @classmethod
    def decode(cls, text: Any) -> ReceiptProof:
        if not isinstance(text, str):
            raise InvalidField("receipt", "must be a string")
        if len(text) > MAX_ENCODED_CHARS:
            raise TooLarge(f"receipt: must be at most {MAX_ENCODED_CHARS} characters", field="receipt")
        if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
            raise InvalidField("receipt", "must be base64url without padding")
        try:
            data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise InvalidField("receipt", "must be base64url without padding") from None
        inflater = zlib.decompressobj(-15)
        try:
            container = inflater.decompress(data, MAX_CONTAINER_BYTES + 1)
        except zlib.error:
            raise InvalidField("receipt", "is not raw DEFLATE data") from None
        if len(container) > MAX_CONTAINER_BYTES:
            raise TooLarge(f"receipt: must unpack to at most {MAX_CONTAINER_BYTES} bytes", field="receipt")
        if not inflater.eof or inflater.unused_data:
            raise InvalidField("receipt", "the DEFLATE data is truncated or followed by more")
        return cls.from_bytes(container)

    @classmethod
    def from_bytes(cls, data: bytes) -> ReceiptProof:
        if len(data) < _HEAD or data[0] != VERSION:
            raise InvalidField("receipt", f"must start with version {VERSION} and its fixed fields")
        count = data[178]
        if count > MAX_INCLUSION_HASHES:
            raise InvalidField("receipt.inclusion", f"must have at most {MAX_INCLUSION_HASHES} hashes")
        start = _HEAD + 32 * count
        if len(data) < start:
            raise InvalidField("receipt.inclusion", "is truncated")
        inclusion = tuple(data[_HEAD + 32 * i : _HEAD + 32 * (i + 1)] for i in range(count))
        lines, start = _signature_lines(data, start)
        try:
            rest = data[start:].decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidField("receipt", "the event fields and the note must be UTF-8") from None
        line, newline, note_text = rest.partition("\n")
        if not newline:
            raise InvalidField("receipt", "must have the event fields, a line break, then the checkpoint's text")
        try:
            fields = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise InvalidField("receipt.event", "must be a JSON object") from None
        if not isinstance(fields, dict) or sorted(fields) != sorted(TEXT_FIELDS):
            raise InvalidField("receipt.event", f"must have exactly the fields {', '.join(TEXT_FIELDS)}")
        if orjson.dumps(fields, option=orjson.OPT_SORT_KEYS) != line.encode():
            raise InvalidField("receipt.event", "must be canonical JSON (keys sorted, no spaces)")
        event = ServiceEvent.from_json(
            {
                **fields,
                "caseCommitment": "0x" + data[1:33].hex(),
                "prevEventHash": "0x" + data[33:65].hex(),
                "payloadDigest": "0x" + data[65:97].hex(),
            }
        )
        receipt = cls(
            event,
            data[97:162],
            int.from_bytes(data[162:170], "big"),
            int.from_bytes(data[170:178], "big"),
            inclusion,
            Note.parse(note_text + "\n" + "".join(lines)),
        )
        if receipt.index >= 1 << 63:
            raise InvalidField("receipt.index", "must be below 2^63")
        return receipt

    # --- meaning ---

    @property
    def tree(self) -> Checkpoint:
        return Checkpoint.from_text(self.checkpoint.text)

    @property
    def domain(self) -> Domain:
        return domain_of_origin(self.tree.origin)

    def leaf(self) -> bytes:
        """The leaf (FORMATS 5) recomputed from the event in the origin's domain."""
        return leaf_bytes(eip712_digest(self.domain, self.event.hash_struct()), self.signature, self.received_at)

    def tlog_proof(self) -> TlogProof:
        """The c2sp.org/tlog-proof file of this step, its extra line the recomputed leaf."""
        return TlogProof(self.index, self.inclusion, self.checkpoint, self.leaf())


@dataclass(frozen=True, slots=True)
class CheckedReceipt:
    receipt: ReceiptProof
    signer: bytes  # the address that signed the event (whether it is the agency's: the registry says)
    checked: CheckedCheckpoint  # the log's signature, who cosigned, whether the quorum met


def verify_receipt(receipt: ReceiptProof, policy: Policy) -> CheckedReceipt:
    """Recompute the leaf and verify its tlog-proof against `policy` (VerificationFailed,
    InclusionProofInvalid or InvalidField on any failure); recover the signer."""
    digest = eip712_digest(receipt.domain, receipt.event.hash_struct())
    signer = recover_signer(digest, receipt.signature)
    checked = verify_tlog_proof(receipt.tlog_proof(), merkle.leaf_hash(receipt.leaf()), policy)
    return CheckedReceipt(receipt, signer, checked)
