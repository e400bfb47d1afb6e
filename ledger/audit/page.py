"""One page of the log, checked: pure, on the page's bytes (worker processes run it).

Every row is recomputed with the ``ledger.core`` functions append uses (hashStruct, the EIP-712 digest,
the leaf hash; held to the golden vectors in tests/vectors/events.json), its signature checked against the
signer windows, its case link inside the page and its payload digest checked; then the page's perfect
subtrees are built and compared with its stored nodes. A page returns only what it found and its right
edge; :mod:`ledger.audit.phases` links what spans pages.

:func:`audit_page` is the audit's inner loop, one function over local names a row at a time: its cost is
what benchmarks/bench_audit.py measures.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from coincurve import PublicKey

from ledger.audit.report import Discrepancy, SignerWindow
from ledger.core import events, merkle
from ledger.core.commitment import stored_payload_digest
from ledger.core.encoding import ZERO32, hex0x, keccak256
from ledger.core.merkle import NodeId, node_hash
from ledger.core.signatures import HALF_N, address_of, der_signature

PLACEHOLDER = b"\xff" * 32  # a missing leaf: unknown, so every node above it is too

_STRING_CACHE: dict[str, bytes] = {}
_PUBLIC_KEYS: dict[bytes, PublicKey] = {}  # signer address -> its public key, learnt from a recovery


def _khash(text: str) -> bytes:
    cached = _STRING_CACHE.get(text)
    if cached is None:
        cached = keccak256(text.encode())
        if len(_STRING_CACHE) < 100_000:
            _STRING_CACHE[text] = cached
    return cached


def check_signature(digest: bytes, signature: bytes, signer: bytes) -> tuple[bytes | None, str | None]:
    """(the address the signature recovers to, or a problem).

    Once a signer's public key is known, a signature by it is checked with ECDSA verify (cheaper than
    recovery: benchmarks/bench_audit.py, signatures rechecked); recovery runs only for a new signer or a
    signature that fails.
    (The recovery byte v is then not rechecked, but it is part of the leaf, so an edited v still
    shows as a leaf that is not the one appended.)"""
    s = int.from_bytes(signature[32:64], "big")
    if not 0 < s <= HALF_N or signature[64] not in (27, 28):
        return None, "signature is not canonical (high-s or bad v)"
    key = _PUBLIC_KEYS.get(signer)
    if key is not None:
        try:
            if key.verify(der_signature(signature), digest, hasher=None):
                return signer, None
        except ValueError:
            pass
    try:
        key = PublicKey.from_signature_and_message(signature[:64] + bytes([signature[64] - 27]), digest, hasher=None)
    except ValueError:
        return None, "signature does not recover to any public key"
    recovered = address_of(key)
    if recovered == signer and len(_PUBLIC_KEYS) < 10_000:
        _PUBLIC_KEYS[signer] = key
    return recovered, None


@dataclass(frozen=True)
class PageContext:
    """What every page needs to know about the whole audit."""

    separator: bytes
    verify_signatures: bool
    committed_size: int
    windows: tuple[SignerWindow, ...]
    tolerance_ms: int
    page_levels: int  # log2(page size): stored nodes of these levels lie inside one page


class PageInputs(Protocol):
    """One page as stored (ledger.storage.audit_scan.PageRows): event rows in EVENT_COLUMNS order, payloads
    (leaf -> (salt, payload)) and stored nodes (level -> (idx, hash) inside the page, by idx)."""

    rows: list[tuple[Any, ...]]
    payloads: dict[int, tuple[bytes, bytes]]
    nodes: dict[int, list[tuple[int, bytes]]]


@dataclass(frozen=True)
class SignedRecord:
    """An event whose signed payload another table restates (erasures, complaints), as the page saw it."""

    event_type: str
    case_commitment: bytes
    agency: str
    event_id: str
    received_at: int
    summary: str
    body: bytes | None  # the payload, only if it reproduces the signed payloadDigest
    body_edited: bool  # a payload is stored but does not reproduce it (reported at the event)


@dataclass
class PageResult:
    found: list[Discrepancy]
    flagged: dict[int, tuple[str, bytes]]
    missing: list[int]
    events_checked: int
    signatures_checked: int
    firsts: list[
        tuple[Any, ...]
    ]  # first event of each case in the page: (commitment, index, agency, event_id, seq, prev)
    # links broken inside the page: (index, agency, event_id, seq, expected seq, predecessor's leaf)
    breaks: list[tuple[Any, ...]]
    lasts: dict[bytes, tuple[int, bytes, int]]  # case -> (seq, struct hash, leaf index) of its last event here
    unpaid: list[tuple[int, bytes, str]]  # (index, case, agency): a payloadDigest but no payload stored
    # erasure.* and complaint.filed events, whose signed payload other tables must agree with
    signed_records: dict[int, SignedRecord]
    peaks: list[tuple[NodeId, bytes]]  # the page's part of the tree: decompose(start, tree_end)
    roots: dict[int, list[bytes]]  # size -> hashes of decompose(start, size), for checkpoints inside the page
    node_mismatches: dict[NodeId, bytes | None]  # recomputed != stored (the stored value, None if missing)


def audit_page(ctx: PageContext, start: int, tree_end: int, sizes: Sequence[int], inputs: PageInputs) -> PageResult:
    """Recompute and check every row of a page (`start` is page-aligned), the page's subtrees and its
    stored nodes: pure, on the page's bytes."""
    found: list[Discrepancy] = []
    flagged: dict[int, tuple[str, bytes]] = {}
    firsts: list[tuple[Any, ...]] = []
    breaks: list[tuple[Any, ...]] = []
    heads: dict[bytes, tuple[int, bytes, int]] = {}
    unpaid: list[tuple[int, bytes, str]] = []
    signed_records: dict[int, SignedRecord] = {}
    leaves = [PLACEHOLDER] * max(0, tree_end - start)
    known_signers = {w.signer for w in ctx.windows}
    by_agency: dict[str, list[SignerWindow]] = defaultdict(list)
    for w in ctx.windows:
        by_agency[w.agency].append(w)
    payload_rows = inputs.payloads
    separator, verify, committed = ctx.separator, ctx.verify_signatures, ctx.committed_size
    tolerance = ctx.tolerance_ms
    khash = _khash
    struct_hash, typed_data_digest, event_leaf_hash = (
        events.struct_hash,
        events.typed_data_digest,
        events.event_leaf_hash,
    )
    checked = signatures = 0
    for row in inputs.rows:
        index, agency, event_id, commitment, seq, prev, event_type, summary, occurred, digest_p, sig, signer, received, leaf_hash = row  # fmt: skip
        commitment, prev, digest_p, sig = bytes(commitment), bytes(prev), bytes(digest_p), bytes(sig)
        signer, leaf_hash = bytes(signer), bytes(leaf_hash)
        struct = struct_hash(event_id, agency, commitment, seq, prev, event_type, summary, occurred, digest_p, khash)
        digest = typed_data_digest(separator, struct)
        leaf = event_leaf_hash(digest, sig, received)
        if index >= committed:
            found.append(
                Discrepancy(
                    "forged-event",
                    f"row at leaf {index} is beyond the committed tree size {committed}",
                    index,
                    agency,
                    event_id,
                )
            )
            continue
        if index < tree_end:
            leaves[index - start] = leaf
        checked += 1
        sig_fine = True
        if verify:
            signatures += 1
            recovered, problem = check_signature(digest, sig, signer)
            if problem is not None:
                found.append(Discrepancy("signature-invalid", problem, index, agency, event_id))
                sig_fine = False
            elif recovered != signer:
                sig_fine = False
                if leaf == leaf_hash and any(
                    w.signer == recovered and w.covers(received, tolerance) for w in by_agency.get(agency, ())
                ):
                    # the event, its signature and leaf are as appended and signed by the agency's key:
                    # only the stored signer column (not part of the leaf) was changed
                    sig_fine = True
                    found.append(
                        Discrepancy(
                            "event-field-edited",
                            f"the stored signer {hex0x(signer)} is not the key that signed, {hex0x(recovered or b'')}",
                            index,
                            agency,
                            event_id,
                        )
                    )
                elif recovered in known_signers:
                    found.append(
                        Discrepancy(
                            "signature-replaced",
                            f"signature recovers to {hex0x(recovered)}, another registered key, not the stored signer {hex0x(signer)}",
                            index,
                            agency,
                            event_id,
                        )
                    )
                else:
                    found.append(
                        Discrepancy(
                            "event-field-edited",
                            "the event's content no longer matches its signature (it recovers to an unknown key)",
                            index,
                            agency,
                            event_id,
                        )
                    )
            elif not any(w.signer == signer and w.covers(received, tolerance) for w in by_agency.get(agency, ())):
                found.append(
                    Discrepancy(
                        "signer-not-authorised",
                        f"{hex0x(signer)} was not {agency}'s registered signer at receivedAt {received}",
                        index,
                        agency,
                        event_id,
                    )
                )
        if not sig_fine:
            flagged[index] = ("sig", leaf_hash)
        elif leaf != leaf_hash:
            flagged[index] = ("leaf-or-row", leaf_hash)
        # case hash chain inside the page; each case's first event here is linked by the caller
        head = heads.get(commitment)
        if head is None:
            firsts.append((commitment, index, agency, event_id, seq, prev))
        elif seq != head[0] + 1 or prev != head[1]:
            breaks.append((index, agency, event_id, seq, head[0] + 1, head[2]))
        heads[commitment] = (seq, struct, index)
        # payload digest, or (decided by the caller, who holds the erasure records) a lawful erasure
        stored_payload = payload_rows.get(index)
        signed_body = None  # the stored payload, when it reproduces the signed payloadDigest
        if not sig_fine:
            pass  # the signed fields are unknown (reported above), so is the digest a payload must match
        elif digest_p == ZERO32:
            if stored_payload is not None:
                found.append(
                    Discrepancy(
                        "payload-digest-mismatch",
                        "a payload is stored for an event without payload",
                        index,
                        agency,
                        event_id,
                    )
                )
        elif stored_payload is not None:
            salt, body = stored_payload
            if stored_payload_digest(salt, body) == digest_p:
                signed_body = body
            else:
                found.append(
                    Discrepancy(
                        "payload-digest-mismatch",
                        "stored payload and salt do not reproduce payloadDigest",
                        index,
                        agency,
                        event_id,
                    )
                )
        else:
            unpaid.append((index, commitment, agency))
        if event_type.startswith("erasure.") or event_type == "complaint.filed":
            signed_records[index] = SignedRecord(
                event_type, commitment, agency, event_id, received, summary, signed_body,
                stored_payload is not None and signed_body is None,
            )  # fmt: skip
    present = {row[0] for row in inputs.rows}
    missing = [i for i in range(start, tree_end) if i not in present]
    # the page's perfect subtrees, level by level, compared with the stored ones
    levels = [leaves]
    node_mismatches: dict[NodeId, bytes | None] = {}
    for level in range(1, ctx.page_levels + 1):
        below = levels[-1]
        if len(below) < 2:
            break
        built = [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        levels.append(built)
        base = start >> level
        stored = inputs.nodes.get(level, [])
        if len(stored) == len(built) and (not stored or stored[0][0] == base) and [h for _, h in stored] == built:
            continue  # the common case: every stored node of this level as recomputed
        by_index = dict(stored)
        for offset, value in enumerate(built):
            if by_index.get(base + offset) != value:
                node_mismatches[NodeId(level, base + offset)] = by_index.get(base + offset)

    def value_of(node: NodeId) -> bytes:
        return levels[node.level][node.index - (start >> node.level)]

    peaks = [(n, value_of(n)) for n in merkle.decompose(start, tree_end)] if tree_end > start else []
    roots = {size: [value_of(n) for n in merkle.decompose(start, size)] for size in sizes}
    return PageResult(
        found, flagged, missing, checked, signatures, firsts, breaks, heads, unpaid, signed_records, peaks, roots,
        node_mismatches,
    )  # fmt: skip
