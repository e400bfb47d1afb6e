"""The integrity audit: recompute the whole ledger from its rows and compare it with itself and the chain.

Streams events in leaf order (keyset pages of PAGE leaves, each a perfect subtree). Worker processes
take whole pages: on an SQLite file they read the page themselves (rows, payloads, stored nodes),
recompute every hashStruct, digest, leaf and (optionally) signature, check each row, the case chains
inside the page and the page's stored nodes, and return only what they found plus the page's right
edge; this process links case chains across pages, merges the right edges into the tree and compares
what spans pages. Each discrepancy is reported once, attributed to the most specific record that
explains it:

- a row whose content no longer matches its signature → ``event-field-edited`` (or
  ``signature-replaced`` when the signature recovers to another registered key);
- a row intact but its stored leaf hash changed → ``leaf-hash-mismatch``;
- leaves intact but in the wrong place (reordered) → ``leaf-order``; a stored node that alone
  disagrees → ``tree-node-mismatch`` (the parent node decides which side is genuine);
- missing leaf indexes → ``leaf-missing``; rows beyond the committed tree size → ``forged-event``;
- checkpoints, anchors and the chain; the registry mirror against the chain; case chains and heads;
  payload digests, with lawful erasure recognised; events left unanchored too long.

Exit codes (CLI): 0 clean, 1 discrepancies, 2 could not run.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from coincurve import PublicKey
from sqlalchemy import func, select

from ledger.core import merkle
from ledger.core.checkpoint import Checkpoint
from ledger.core.encoding import ZERO32, hex0x, keccak256
from ledger.core.events import SERVICE_EVENT_TYPEHASH, Domain
from ledger.core.merkle import NodeId
from ledger.core.signatures import HALF_N
from ledger.errors import SaksiError
from ledger.services.audit_checks import (
    ChainEvidence,
    check_anchors,
    check_case_heads,
    check_checkpoints,
    check_complaints,
    check_erasures,
)
from ledger.storage.schema import anchors, checkpoints, erasures, events, tree_nodes
from ledger.storage.sql import SqlStore

PAGE = 1 << 14  # leaves per page; a power of two so pages are perfect subtrees
ROW_COLUMNS = (
    "leaf_index", "agency", "event_id", "case_commitment", "case_seq", "prev_event_hash", "event_type",
    "summary", "occurred_at", "payload_digest", "signature", "signer", "received_at", "leaf_hash",
)  # fmt: skip
KINDS = (
    "event-field-edited",
    "signature-replaced",
    "signature-invalid",
    "signer-not-authorised",
    "leaf-hash-mismatch",
    "leaf-missing",
    "leaf-order",
    "forged-event",
    "tree-node-mismatch",
    "checkpoint-root-mismatch",
    "anchor-mismatch",
    "anchor-missing",
    "registry-mirror-mismatch",
    "case-chain-broken",
    "case-head-mismatch",
    "payload-digest-mismatch",
    "payload-missing",
    "unanchored-lag",
    "anchor-record-mismatch",
    "checkpoint-origin-mismatch",
    "payload-not-erased",
    "erasure-record-mismatch",
    "complaint-missing",
    "complaint-mismatch",
    "tree-size-mismatch",
)


@dataclass(frozen=True)
class Discrepancy:
    kind: str
    detail: str
    leaf_index: int | None = None
    agency: str | None = None
    event_id: str | None = None
    tree_size: int | None = None
    node: NodeId | None = None  # a stored tree node (level >= 1): its level and index, not a tree size

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "leafIndex": self.leaf_index,
            "agency": self.agency,
            "eventId": self.event_id,
            "treeSize": self.tree_size,
            "node": None if self.node is None else {"level": self.node.level, "index": self.node.index},
            "detail": self.detail,
        }


@dataclass(frozen=True)
class AuditCursor:
    """Where an incremental audit resumes: a page boundary a clean audit vouched for, and the tree's
    right edge there."""

    boundary: int
    peaks: tuple[tuple[int, bytes], ...]

    def to_json(self) -> dict[str, Any]:
        return {"boundary": self.boundary, "peaks": [[level, hex0x(value)] for level, value in self.peaks]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuditCursor:
        return cls(
            int(data["boundary"]), tuple((int(level), bytes.fromhex(value[2:])) for level, value in data["peaks"])
        )


@dataclass
class AuditReport:
    tree_size: int = 0
    events_checked: int = 0
    signatures_checked: int = 0
    checkpoints_checked: int = 0
    anchors_checked: int = 0
    lawful_erasures: int = 0
    incremental_from: int = 0
    discrepancies: list[Discrepancy] = field(default_factory=list)
    cursor: AuditCursor | None = None
    scope: dict[str, Any] = field(default_factory=dict)  # what was checked, when, and what was not

    @property
    def clean(self) -> bool:
        return not self.discrepancies

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for d in self.discrepancies:
            out[d.kind] += 1
        return dict(sorted(out.items()))

    def to_json(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "treeSize": self.tree_size,
            "incrementalFrom": self.incremental_from,
            "eventsChecked": self.events_checked,
            "signaturesChecked": self.signatures_checked,
            "checkpointsChecked": self.checkpoints_checked,
            "anchorsChecked": self.anchors_checked,
            "lawfulErasures": self.lawful_erasures,
            "scope": self.scope,
            "discrepancyCounts": self.counts(),
            "discrepancies": [d.to_json() for d in self.discrepancies],
        }


@dataclass(frozen=True)
class SignerWindow:
    agency: str
    signer: bytes
    valid_from: int
    valid_until: int | None

    def covers(self, at_ms: int, tolerance_ms: int = 0) -> bool:
        """Registry times are block timestamps, which run ahead of or behind the ledger's clock by
        seconds (and the service learns of a change only when its mirror syncs): allow that much."""
        return self.valid_from - tolerance_ms <= at_ms and (
            self.valid_until is None or at_ms < self.valid_until + tolerance_ms
        )


# --- one page: recomputed and checked row by row (in worker processes) ---------------------

PLACEHOLDER = b"\xff" * 32  # a missing leaf: unknown, so every node above it is too

_STRING_CACHE: dict[str, bytes] = {}
_PUBLIC_KEYS: dict[bytes, PublicKey] = {}  # signer address -> its public key, learnt from a recovery
_CONNECTIONS: dict[str, sqlite3.Connection] = {}


def _khash(text: str) -> bytes:
    cached = _STRING_CACHE.get(text)
    if cached is None:
        cached = keccak256(text.encode())
        if len(_STRING_CACHE) < 100_000:
            _STRING_CACHE[text] = cached
    return cached


def _der(signature: bytes) -> bytes:
    """r ‖ s as a DER ECDSA signature (what libsecp256k1's verify takes)."""
    parts = b""
    for value in (signature[:32], signature[32:64]):
        value = value.lstrip(b"\x00")
        if not value or value[0] & 0x80:
            value = b"\x00" + value
        parts += b"\x02" + bytes([len(value)]) + value
    return b"\x30" + bytes([len(parts)]) + parts


def check_signature(digest: bytes, signature: bytes, signer: bytes) -> tuple[bytes | None, str | None]:
    """(the address the signature recovers to, or a problem).

    Once a signer's public key is known, a signature by it is checked with ECDSA verify (10-20 %
    cheaper than recovery here); recovery runs only for a new signer or a signature that fails.
    (The recovery byte v is then not rechecked, but it is part of the leaf, so an edited v still
    shows as a leaf that is not the one appended.)"""
    s = int.from_bytes(signature[32:64], "big")
    if not 0 < s <= HALF_N or signature[64] not in (27, 28):
        return None, "signature is not canonical (high-s or bad v)"
    key = _PUBLIC_KEYS.get(signer)
    if key is not None:
        try:
            if key.verify(_der(signature), digest, hasher=None):
                return signer, None
        except ValueError:
            pass
    try:
        key = PublicKey.from_signature_and_message(signature[:64] + bytes([signature[64] - 27]), digest, hasher=None)
    except ValueError:
        return None, "signature does not recover to any public key"
    recovered = keccak256(key.format(compressed=False)[1:])[12:]
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
    database: str | None = None  # an SQLite file that worker processes read themselves


@dataclass
class PageInputs:
    rows: list[tuple]
    payloads: dict[int, tuple[bytes, bytes]]
    nodes: dict[int, list[tuple[int, bytes]]]  # level -> stored (idx, hash) inside the page, by idx


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
    firsts: list[tuple]  # first event of each case in the page: (commitment, index, agency, event_id, seq, prev)
    # links broken inside the page: (index, agency, event_id, seq, expected seq, predecessor's leaf)
    breaks: list[tuple]
    lasts: dict[bytes, tuple[int, bytes, int]]  # case -> (seq, struct hash, leaf index) of its last event here
    unpaid: list[tuple[int, bytes, str]]  # (index, case, agency): a payloadDigest but no payload stored
    # erasure.* and complaint.filed events, whose signed payload other tables must agree with
    signed_records: dict[int, SignedRecord]
    peaks: list[tuple[NodeId, bytes]]  # the page's part of the tree: decompose(start, tree_end)
    roots: dict[int, list[bytes]]  # size -> hashes of decompose(start, size), for checkpoints inside the page
    node_mismatches: dict[NodeId, bytes | None]  # recomputed != stored (the stored value, None if missing)


def read_page(cursor: Any, qmark: bool, start: int, end: int, tree_end: int, page_levels: int) -> PageInputs:
    """Rows, payloads and stored nodes of one page through a DB-API cursor (one snapshot)."""

    def query(sql: str, params: tuple) -> list[tuple]:
        cursor.execute(sql if qmark else sql.replace("?", "%s"), params)
        return cursor.fetchall()

    rows = query(
        f"SELECT {', '.join(ROW_COLUMNS)} FROM events WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index",
        (start, end),
    )
    stored_payloads = {
        i: (bytes(salt), bytes(body))
        for i, salt, body in query(
            "SELECT leaf_index, salt, payload FROM payloads WHERE leaf_index >= ? AND leaf_index < ?", (start, end)
        )
    }
    nodes: dict[int, list[tuple[int, bytes]]] = {}
    for level in range(1, page_levels + 1):
        if (tree_end >> level) <= (start >> level):
            break
        nodes[level] = [
            (idx, bytes(value))
            for idx, value in query(
                "SELECT idx, hash FROM tree_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
                (level, start >> level, tree_end >> level),
            )
        ]
    return PageInputs(rows, stored_payloads, nodes)


def _read_own_page(database: str, start: int, end: int, tree_end: int, page_levels: int) -> PageInputs:
    conn = _CONNECTIONS.get(database)
    if conn is None:
        uri = "file:" + quote(os.path.abspath(database)) + "?mode=ro"  # a worker only reads
        conn = _CONNECTIONS[database] = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
        conn.execute("PRAGMA query_only = ON")
    cursor = conn.cursor()
    cursor.execute("BEGIN")
    try:
        return read_page(cursor, True, start, end, tree_end, page_levels)
    finally:
        cursor.execute("COMMIT")
        cursor.close()


def audit_page(
    ctx: PageContext, start: int, tree_end: int, sizes: Sequence[int], inputs: PageInputs | tuple[int, int]
) -> PageResult:
    """Recompute and check every row of a page (`start` is page-aligned), the page's subtrees and its
    stored nodes. `inputs` is the page's data, or the row range for a worker to read itself."""
    if not isinstance(inputs, PageInputs):
        inputs = _read_own_page(ctx.database or "", inputs[0], inputs[1], tree_end, ctx.page_levels)
    found: list[Discrepancy] = []
    flagged: dict[int, tuple[str, bytes]] = {}
    firsts: list[tuple] = []
    breaks: list[tuple] = []
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
    sha256, keccak, khash = hashlib.sha256, keccak256, _khash
    checked = signatures = 0
    for row in inputs.rows:
        index, agency, event_id, commitment, seq, prev, event_type, summary, occurred, digest_p, sig, signer, received, leaf_hash = row  # fmt: skip
        commitment, prev, digest_p, sig = bytes(commitment), bytes(prev), bytes(digest_p), bytes(sig)
        signer, leaf_hash = bytes(signer), bytes(leaf_hash)
        struct = keccak(
            SERVICE_EVENT_TYPEHASH + keccak(event_id.encode()) + khash(agency) + commitment
            + seq.to_bytes(32, "big") + prev + khash(event_type) + khash(summary)
            + occurred.to_bytes(32, "big") + digest_p
        )  # fmt: skip
        digest = keccak(b"\x19\x01" + separator + struct)
        leaf = sha256(b"\x00\x01" + digest + sig + received.to_bytes(8, "big")).digest()
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
                            f"the stored signer {hex0x(signer)} is not the key that signed, {hex0x(recovered)}",
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
            if sha256(salt + body).digest() == digest_p:
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
        built = [sha256(b"\x01" + below[i] + below[i + 1]).digest() for i in range(0, len(below) - 1, 2)]
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


def _raw(conn, sql: str, params: tuple) -> list[tuple]:
    """A query on the driver's own cursor (plain tuples, no per-row processing); `?` placeholders."""
    if conn.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


class _Inline(Executor):
    """Runs pages in this process (small ledgers, tests)."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        from concurrent.futures import Future

        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


# --- the auditor -------------------------------------------------------------------------------


class Auditor:
    """Audits `store` against itself and the given trust inputs (chain reads, the chain's registry)."""

    def __init__(
        self,
        store: SqlStore,
        domain: Domain,
        clock_ms: Callable[[], int],
        *,
        root_at: Callable[[int], bytes | None] | None = None,
        chain_checkpoints: Iterable[tuple[int, bytes]] | None = None,
        chain_registry: Iterable[SignerWindow] | None = None,
        chain_anchors: Iterable[Any] | None = None,
        chain_id: int | None = None,
        contract: bytes | None = None,
        chain_head: int | None = None,
        origin: str | None = None,
        complaints_agency: str | None = None,
        chain_inputs: Callable[[], dict[str, Any]] | None = None,
        verify_signatures: bool = True,
        max_unanchored_lag_s: float = 3600.0,
        registry_tolerance_ms: int = 300_000,
        workers: int | None = None,
        progress: Callable[[int, int], None] | None = None,
        page_size: int = PAGE,
    ) -> None:
        if page_size <= 0 or page_size & (page_size - 1):
            raise ValueError("page_size must be a power of two")
        self.page_size = page_size
        self.store = store
        self.domain = domain
        self.clock_ms = clock_ms
        self.root_at = root_at
        self.chain_checkpoints = None if chain_checkpoints is None else dict(chain_checkpoints)
        # chain_anchors (the CheckpointAnchored logs) supersede chain_checkpoints (roots only)
        self.chain = ChainEvidence.of(
            chain_anchors if chain_anchors is not None else self.chain_checkpoints, root_at, chain_id, contract,
            chain_head,
        )  # fmt: skip
        self.origin = origin
        self.complaints_agency = complaints_agency
        self.chain_inputs = chain_inputs
        self.chain_registry = None if chain_registry is None else list(chain_registry)
        self.verify_signatures = verify_signatures
        self.max_unanchored_lag_s = max_unanchored_lag_s
        self.registry_tolerance_ms = registry_tolerance_ms
        self.workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        self.progress = progress

    def run(self, resume: AuditCursor | None = None) -> AuditReport:
        """Audit everything, or (with `resume`) only what came after the cursor's page boundary."""
        report = AuditReport()
        start = 0 if resume is None else resume.boundary
        report.incremental_from = start
        found = report.discrepancies
        with self.store.read() as reader:
            conn = reader.conn
            committed_size = reader.tree_size()
            report.tree_size = committed_size
            if self.chain_inputs is not None:
                # read after the database's snapshot began: whatever it records as anchored is on chain by now
                self._use_chain(**self.chain_inputs())
            committed_size = self._committed_size(committed_size, found)
            report.tree_size = committed_size
            windows = self._registry(conn, found)
            stored_checkpoints = {
                r.tree_size: (bytes(r.root_hash), r.origin) for r in conn.execute(select(checkpoints))
            }
            anchor_rows = {r.tree_size: r for r in conn.execute(select(anchors))}
            last_row = conn.execute(select(func.max(events.c.leaf_index))).scalar_one()
            span = max(committed_size, 0 if last_row is None else last_row + 1)

            if start % self.page_size or start > committed_size:
                raise SaksiError(f"cannot resume at {start}: not a page boundary within the tree")
            peaks: list[tuple[int, bytes]] = [] if resume is None else list(resume.peaks)
            recomputed_nodes: dict[NodeId, bytes] = {}
            mismatched_nodes: set[NodeId] = set()
            roots_at: dict[int, bytes] = {}
            sizes = sorted(set(stored_checkpoints) | set(anchor_rows) | set(self.chain.anchors if self.chain else ()))
            # leaf index -> (state, stored leaf hash): "sig" (reported at the row), "missing",
            # "leaf-or-row" (undecided until the tree shows which), "row" (the row's content changed)
            flagged: dict[int, tuple[str, bytes]] = {}
            heads: dict[bytes, tuple[int, bytes, int]] = {}  # case -> (seq, struct hash, leaf index)
            erasure_of: dict[int, tuple[int, str]] = {
                r.leaf_index: (r.erasure_leaf_index, r.legal_basis) for r in conn.execute(select(erasures))
            }
            signed_records: dict[int, SignedRecord] = {}
            unpaid: list[tuple[int, bytes, str]] = []
            missing_reported = 0
            ranges = [(a, min(a + self.page_size, span)) for a in range(start, span, self.page_size)]
            parallel = self.workers > 1 and len(ranges) > 1
            pool: Executor = ProcessPoolExecutor(self.workers) if parallel else _Inline()
            database = self._database_file() if parallel else None
            ctx = PageContext(
                self.domain.separator, self.verify_signatures, committed_size, tuple(windows),
                self.registry_tolerance_ms, self.page_size.bit_length() - 1, database,
            )  # fmt: skip
            qmark = conn.dialect.paramstyle == "qmark"

            def submit(page_range):
                a, b = page_range
                tree_end = min(b, committed_size)
                inside = [s for s in sizes if a < s <= tree_end]
                if database is not None and b <= committed_size:
                    # A worker reads the page itself, in its own snapshot: rows under the committed size
                    # never change (only a lawful erasure running during the audit could shred a payload
                    # whose erasure this snapshot does not see yet: reported missing, gone on a re-run).
                    return pool.submit(audit_page, ctx, a, tree_end, inside, (a, b))
                cursor = conn.connection.cursor()
                try:
                    inputs = read_page(cursor, qmark, a, b, tree_end, ctx.page_levels)
                finally:
                    cursor.close()
                return pool.submit(audit_page, ctx, a, tree_end, inside, inputs)

            try:
                depth = self.workers + 1  # pages in flight: every worker busy while this process merges
                queue = [submit(r) for r in ranges[:depth]]
                for position, (a, _) in enumerate(ranges):
                    page = queue.pop(0).result()
                    if position + depth < len(ranges):
                        queue.append(submit(ranges[position + depth]))
                    if not flagged and not found and a <= committed_size:
                        report.cursor = AuditCursor(a, tuple(peaks))  # everything before `a` checked clean
                    report.events_checked += page.events_checked
                    report.signatures_checked += page.signatures_checked
                    found.extend(page.found)
                    flagged.update(page.flagged)
                    for missing in page.missing:
                        flagged[missing] = ("missing", b"")
                        if missing_reported < 100:
                            missing_reported += 1
                            found.append(Discrepancy("leaf-missing", f"no event at leaf {missing}", leaf_index=missing))
                    # each case's first event in this page links to its head in earlier pages
                    if start:
                        self._resume_heads(conn, [f[0] for f in page.firsts], start, heads)
                    breaks = list(page.breaks)
                    for commitment, index, agency, event_id, seq, prev in page.firsts:
                        head = heads.get(commitment)
                        want_seq, want_prev = (1, ZERO32) if head is None else (head[0] + 1, head[1])
                        if seq != want_seq or prev != want_prev:
                            breaks.append((index, agency, event_id, seq, want_seq, None if head is None else head[2]))
                    self._case_breaks(sorted(breaks), flagged, found)
                    heads.update(page.lasts)
                    unpaid += page.unpaid
                    signed_records.update(page.signed_records)
                    # the tree: roots at interesting sizes inside this page, then push the page's peaks
                    for size, hashes in page.roots.items():
                        roots_at[size] = merkle.fold([h for _, h in peaks] + hashes)
                    for node, value in page.peaks:
                        self._push(peaks, node.level, value, node.end, recomputed_nodes)
                    if self.progress:
                        self.progress(report.events_checked, span)
                    self._compare_nodes(conn, recomputed_nodes, mismatched_nodes, flagged, found, page.node_mismatches)
            finally:
                if isinstance(pool, ProcessPoolExecutor):
                    pool.shutdown(wait=False, cancel_futures=True)

            self._classify_leaves(flagged, found)
            misplaced = [d.leaf_index for d in found if d.kind == "leaf-order" and d.leaf_index is not None]
            explained_from = min(
                [i for i, (state, _) in flagged.items() if state != "leaf-or-row"] + misplaced, default=None
            )
            self._nodes_beyond(conn, committed_size, found)
            check_erasures(conn, unpaid, erasure_of, signed_records, start, report)
            check_complaints(conn, signed_records, self.complaints_agency, start, report)
            check_checkpoints(stored_checkpoints, roots_at, committed_size, start, explained_from, self.origin, report)
            check_anchors(anchor_rows, stored_checkpoints, roots_at, self.chain, start, explained_from, report)
            check_case_heads(conn, heads, flagged, start, report)
            # unanchored lag
            anchored = max((s for s, r in anchor_rows.items() if r.status in ("mined", "confirmed")), default=0)
            if anchored < committed_size:
                oldest = conn.execute(
                    select(func.min(events.c.received_at)).where(events.c.leaf_index >= anchored)
                ).scalar_one()
                if oldest is not None and (self.clock_ms() - oldest) / 1000 > self.max_unanchored_lag_s:
                    found.append(
                        Discrepancy(
                            "unanchored-lag",
                            f"{committed_size - anchored} events unanchored, the oldest received {int((self.clock_ms() - oldest) / 1000)} s ago",
                            leaf_index=anchored,
                        )
                    )
        report.scope = self._scope(start, committed_size)
        return report

    def _committed_size(self, stored: int, found: list[Discrepancy]) -> int:
        """The tree size row against the chain: the contract only accepts a larger tree consistent with the
        last one, so a size the chain anchored is a size the log had. Below it, the row was lowered (its rows
        would all look forged): report it once and audit up to the anchored size."""
        anchored = max(self.chain.anchors, default=0) if self.chain is not None else 0
        if anchored <= stored:
            return stored
        found.append(
            Discrepancy(
                "tree-size-mismatch",
                f"the committed tree size is {stored}, but the chain anchored size {anchored}",
                tree_size=stored,
            )
        )
        return anchored

    def _use_chain(
        self,
        root_at=None,
        chain_anchors=None,
        chain_registry=None,
        chain_id=None,
        contract=None,
        chain_head=None,
    ) -> None:
        """Trust inputs read from the chain (ledger.services.audit_inputs.chain_trust_inputs)."""
        self.root_at = root_at
        self.chain_registry = None if chain_registry is None else list(chain_registry)
        self.chain = ChainEvidence.of(chain_anchors, root_at, chain_id, contract, chain_head)

    def _scope(self, start: int, committed_size: int) -> dict[str, Any]:
        """What this audit checked, when, up to which size, and what it did not (FORMATS §15)."""
        chain = self.chain
        skipped = []
        if chain is None:
            skipped.append("chain")
        if self.chain_registry is None:
            skipped.append("registry")
        if not self.verify_signatures:
            skipped.append("signatures")
        if start:
            skipped.append(f"leaves below {start}")
        return {
            "auditedAt": self.clock_ms(),
            "treeSize": committed_size,
            "fromLeaf": start,
            "signatures": self.verify_signatures,
            "chain": None
            if chain is None
            else {
                "chainId": chain.chain_id,
                "contract": None if chain.contract is None else hex0x(chain.contract),
                "headBlock": chain.head_block,
                "anchorsOnChain": len(chain.anchors),
            },
            "registry": "chain" if self.chain_registry is not None else "mirror",
            "notChecked": skipped,
        }

    def _database_file(self) -> str | None:
        """The SQLite file worker processes may read themselves (None: this process reads for them)."""
        url = self.store.engine.url
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        if url.database.startswith("file:"):
            return None
        return url.database

    @staticmethod
    def _resume_heads(
        conn, commitments: Sequence[bytes], start: int, heads: dict[bytes, tuple[int, bytes, int]]
    ) -> None:
        """Each continuing case's last event before `start`, as the previous audit saw it."""
        from ledger.core.events import ServiceEvent

        wanted = sorted(set(commitments) - set(heads))
        for chunk_start in range(0, len(wanted), 500):
            chunk = wanted[chunk_start : chunk_start + 500]
            found = conn.execute(
                select(events)
                .where(events.c.case_commitment.in_(chunk), events.c.leaf_index < start)
                .order_by(events.c.leaf_index)
            )
            for r in found:
                event = ServiceEvent(
                    r.event_id, r.agency, bytes(r.case_commitment), r.case_seq, bytes(r.prev_event_hash),
                    r.event_type, r.summary, r.occurred_at, bytes(r.payload_digest),
                )  # fmt: skip
                heads[bytes(r.case_commitment)] = (r.case_seq, event.hash_struct(), r.leaf_index)

    @staticmethod
    def _case_breaks(breaks: Sequence[tuple], flagged: dict[int, tuple[str, bytes]], found: list[Discrepancy]) -> None:
        """Report the broken case links that no finding explains: a link through an edited or missing
        event (the event itself, its predecessor, or one between them) is that event's finding."""
        unreliable = sorted(flagged)
        for index, agency, event_id, seq, want_seq, head_leaf in breaks:
            low = -1 if head_leaf is None else head_leaf
            position = bisect.bisect_left(unreliable, low)
            if position < len(unreliable) and unreliable[position] <= index:
                continue
            found.append(
                Discrepancy(
                    "case-chain-broken",
                    f"caseSeq {seq} follows caseSeq {want_seq - 1}; expected caseSeq {want_seq} linked to its predecessor",
                    leaf_index=index,
                    agency=agency,
                    event_id=event_id,
                )
            )

    @staticmethod
    def _push(peaks: list[tuple[int, bytes]], level: int, value: bytes, end: int, nodes: dict[NodeId, bytes]) -> None:
        """Add a perfect subtree ending at leaf `end` to the right edge, merging equal levels."""
        while peaks and peaks[-1][0] == level:
            value = merkle.node_hash(peaks.pop()[1], value)
            level += 1
            nodes[NodeId(level, (end >> level) - 1)] = value
        peaks.append((level, value))

    def _registry(self, conn, found: list[Discrepancy]) -> list[SignerWindow]:
        from ledger.storage.schema import agency_signers

        mirror = [
            SignerWindow(r.agency, bytes(r.signer), r.valid_from, r.valid_until)
            for r in conn.execute(select(agency_signers).order_by(agency_signers.c.agency, agency_signers.c.valid_from))
        ]
        if self.chain_registry is None:
            return mirror
        key = lambda w: (w.agency, w.signer, w.valid_from, w.valid_until)  # noqa: E731
        on_chain, mirrored = {key(w) for w in self.chain_registry}, {key(m) for m in mirror}
        extra = [w for w in mirror if key(w) not in on_chain]
        lacking = [w for w in self.chain_registry if key(w) not in mirrored]

        def shown(w: SignerWindow) -> str:
            return f"{hex0x(w.signer)} for {w.agency} from {w.valid_from} until {w.valid_until}"

        # one edited mirror row is one finding: pair it with the chain's window it replaced
        for w in extra:
            twin = next((c for c in lacking if c.agency == w.agency), None) or next(
                (c for c in lacking if (c.signer, c.valid_from) == (w.signer, w.valid_from)), None
            )
            if twin is not None:
                lacking.remove(twin)
                detail = f"the mirror's signer window {shown(w)} is, on the chain's registry, {shown(twin)}"
            else:
                detail = f"the mirror says {shown(w)}; the chain's registry does not"
            found.append(Discrepancy("registry-mirror-mismatch", detail, agency=w.agency))
        for w in lacking:
            found.append(
                Discrepancy(
                    "registry-mirror-mismatch", f"the chain registers {shown(w)}; the mirror lacks it", agency=w.agency
                )
            )
        self._agencies(conn, found)
        return self.chain_registry

    def _agencies(self, conn, found: list[Discrepancy]) -> None:
        """The mirror's agencies and their status (what the inbox and submissions check) are the chain's:
        an agency is active while it has an open signer window there, revoked once it has none."""
        from ledger.storage.schema import agencies

        on_chain: dict[str, str] = {}
        for w in self.chain_registry or ():
            if w.valid_until is None or w.agency not in on_chain:
                on_chain[w.agency] = "active" if w.valid_until is None else "revoked"
        mirror = {r.code: r.status for r in conn.execute(select(agencies.c.code, agencies.c.status))}
        for code in sorted(set(on_chain) | set(mirror)):
            if on_chain.get(code) != mirror.get(code):
                found.append(
                    Discrepancy(
                        "registry-mirror-mismatch",
                        f"the mirror lists agency {code} as {mirror.get(code) or 'absent'}; "
                        f"the chain's registry as {on_chain.get(code) or 'absent'}",
                        agency=code,
                    )
                )

    def _compare_nodes(
        self, conn, recomputed: dict[NodeId, bytes], mismatched_all: set[NodeId], flagged, found,
        page_mismatches: dict[NodeId, bytes | None] | None = None,
    ) -> None:  # fmt: skip
        """Compare the nodes completed so far with the stored ones (a page's own nodes were compared
        where the page was recomputed: `page_mismatches`) and attribute every difference."""
        page_mismatches = page_mismatches or {}
        if not recomputed and not page_mismatches:
            return
        by_level: dict[int, list[int]] = defaultdict(list)
        for node in recomputed:
            by_level[node.level].append(node.index)
        stored: dict[NodeId, bytes] = {}
        for level, indexes in by_level.items():
            rows = _raw(
                conn,
                "SELECT idx, hash FROM tree_nodes WHERE level = ? AND idx >= ? AND idx <= ?",
                (level, min(indexes), max(indexes)),
            )
            for idx, value in rows:
                stored[NodeId(level, idx)] = bytes(value)
        mismatched = {n for n, v in recomputed.items() if stored.get(n) != v} | set(page_mismatches)
        stored.update({n: v for n, v in page_mismatches.items() if v is not None})
        mismatched_all |= mismatched
        for node in sorted(mismatched):
            child_mismatch = node.level > 1 and (
                NodeId(node.level - 1, node.index * 2) in mismatched_all
                or NodeId(node.level - 1, node.index * 2 + 1) in mismatched_all
            )
            if child_mismatch:
                continue  # explained lower down
            leaves = range(node.begin, node.end)
            if any(i in flagged for i in leaves):
                for i in leaves:
                    if i in flagged and flagged[i][0] == "leaf-or-row":
                        flagged[i] = ("row", flagged[i][1])  # the recomputed leaf changed the tree: the row was edited
                continue
            parent = NodeId(node.level + 1, node.index // 2)
            sibling = NodeId(node.level, node.index ^ 1)
            stored_parent = stored.get(parent) or self._stored_node(conn, parent)
            stored_sibling = stored.get(sibling) or self._stored_node(conn, sibling)
            genuine_stored = False
            if stored_parent is not None and stored_sibling is not None and node in stored:
                pair = (stored[node], stored_sibling) if node.index % 2 == 0 else (stored_sibling, stored[node])
                genuine_stored = merkle.node_hash(*pair) == stored_parent
            if genuine_stored or node not in stored:
                if node not in stored:
                    found.append(
                        Discrepancy(
                            "tree-node-mismatch",
                            f"tree node {node} (leaves {node.begin}-{node.end - 1}) is missing",
                            node=node,
                        )
                    )
                else:
                    found.append(
                        Discrepancy(
                            "leaf-order",
                            f"leaves {node.begin}-{node.end - 1} are not the leaves that were appended there (reordered or replaced)",
                            leaf_index=node.begin,
                            node=node,
                        )
                    )
            else:
                found.append(
                    Discrepancy(
                        "tree-node-mismatch",
                        f"stored tree node {node} (leaves {node.begin}-{node.end - 1}) differs from the recomputed one",
                        node=node,
                    )
                )
        recomputed.clear()

    @staticmethod
    def _nodes_beyond(conn, committed_size: int, found: list[Discrepancy]) -> None:
        """Stored nodes of subtrees the committed tree does not have yet (a proof beyond it would use them)."""
        for level in range(1, 64):
            rows = _raw(
                conn, "SELECT idx FROM tree_nodes WHERE level = ? AND idx >= ? ORDER BY idx LIMIT 100",
                (level, committed_size >> level),
            )  # fmt: skip
            for (idx,) in rows:
                found.append(
                    Discrepancy(
                        "tree-node-mismatch",
                        f"stored tree node {NodeId(level, idx)} lies beyond the committed tree size {committed_size}",
                        node=NodeId(level, idx),
                    )
                )

    @staticmethod
    def _stored_node(conn, node: NodeId) -> bytes | None:
        value = conn.execute(
            select(tree_nodes.c.hash).where(tree_nodes.c.level == node.level, tree_nodes.c.idx == node.index)
        ).scalar_one_or_none()
        return None if value is None else bytes(value)

    @staticmethod
    def _classify_leaves(flagged: dict[int, tuple[str, bytes]], found: list[Discrepancy]) -> None:
        for index, (state, stored) in sorted(flagged.items()):
            if state == "leaf-or-row":
                # Content, signature and tree agree; only the stored leaf hash differs.
                found.append(
                    Discrepancy(
                        "leaf-hash-mismatch",
                        f"stored leaf hash {hex0x(stored)} differs from the leaf recomputed from the event",
                        leaf_index=index,
                    )
                )
            elif state == "row":
                # The signature still holds, so the signed fields are intact: receivedAt was changed.
                found.append(
                    Discrepancy(
                        "event-field-edited",
                        "receivedAt (or the leaf's unsigned part) differs from what was appended",
                        leaf_index=index,
                    )
                )


def checkpoint_of(size: int, root: bytes, origin: str) -> Checkpoint:
    return Checkpoint(origin, size, root)
