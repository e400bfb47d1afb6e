#!/usr/bin/env python3
"""Generate Saksi's golden vectors in tests/vectors/ (STYLE.md item 4).

    python scripts/gen_vectors.py            # (re)write tests/vectors/*.json
    python scripts/gen_vectors.py --check    # regenerate in memory; exit 1 on any difference (CI)

Every file is ``{"description": str, "vectors": [...]}`` and every vector carries
``description``, ``valid`` and ``error``: null, or the name of the ``ledger.errors``
class that a conforming implementation must raise (``field`` names the field when
the error is ``InvalidField``). The Python tests (tests/core/test_vectors.py) and
the contract tests replay the same files, so no two verifiers can drift apart.

Deterministic by construction: no clock, no randomness. Private keys are TEST KEYS,
``keccak256("saksi test key N")``, public by definition: never use them for anything
real. ECDSA signatures are RFC 6979 deterministic (libsecp256k1), so they are stable.
The expected error of every negative vector is written here by hand; the generator
only checks its own choice of mutations where a mutation could legitimately verify
(for instance a wrong tree size that gives the same audit path shape).
"""

from __future__ import annotations

import argparse
import difflib
import functools
import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from note_vectors import build_notes  # scripts/note_vectors.py
from receipt_vectors import build_receipts  # scripts/receipt_vectors.py

from ledger.core import merkle
from ledger.core.bundle import BUNDLE_FORMAT
from ledger.core.checkpoint import Checkpoint, default_origin
from ledger.core.commitment import (
    canonical_json,
    case_commitment,
    derive_event_id,
    format_access_code,
    payload_digest,
)
from ledger.core.encoding import UINT32_MAX, UINT64_MAX, ZERO32, b64encode, keccak256
from ledger.core.events import (
    EIP712_DOMAIN_TYPE,
    EIP712_DOMAIN_TYPEHASH,
    SERVICE_EVENT_TYPE,
    SERVICE_EVENT_TYPEHASH,
    Domain,
    ServiceEvent,
    SignedEvent,
    leaf_bytes,
)
from ledger.core.note import Cosigner, Note, NoteSigner
from ledger.core.signatures import SECP256K1_N, address_of_key, sign_digest
from ledger.core.witnessing import Cosigned, WitnessReport
from ledger.errors import SaksiError

VECTORS_DIR = Path(__file__).resolve().parent.parent / "tests" / "vectors"

TEST_KEY_NOTE = 'TEST KEYS ONLY: every private key here is keccak256("saksi test key N"), public, never for real use.'


# --- small helpers ------------------------------------------------------------------------


def hx(value: bytes) -> str:
    """The JSON form of every hash, signature and address: 0x lower-case hex."""
    return "0x" + bytes(value).hex()


def sha(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def flip_bit(value: bytes, bit: int) -> bytes:
    """Flip bit `bit` (0 = most significant bit of byte 0)."""
    out = bytearray(value)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


def element_bit(i: int) -> int:
    """Which bit the mutation of proof element i flips: varied, so no byte is special."""
    return (37 * i + 3) % 256


def good(description: str, **data: Any) -> dict[str, Any]:
    return {"description": description, "valid": True, "error": None, **data}


def bad(description: str, error: str, field: str | None = None, **data: Any) -> dict[str, Any]:
    vector = {"description": description, "valid": False, "error": error, **data}
    if field is not None:
        vector["field"] = field
    return vector


def outcome(action: Callable[[], Any]) -> str | None:
    """The name of the SaksiError that `action` raises, or None."""
    try:
        action()
    except SaksiError as exc:
        return type(exc).__name__
    return None


def saksi_test_key(n: int) -> bytes:
    """TEST KEY n = keccak256("saksi test key n")."""
    return keccak256(f"saksi test key {n}".encode())


def saksi_test_case_key(n: int) -> bytes:
    """TEST case key n = keccak256("saksi test case key n") (a citizen's access code)."""
    return keccak256(f"saksi test case key {n}".encode())


def saksi_test_salt(n: int) -> bytes:
    return sha(f"saksi test salt {n}")[:16]


# --- Merkle: the Certificate Transparency known-answer tree -------------------------------

CT_LEAVES = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]


def build_merkle_ct() -> dict[str, Any]:
    entries = [bytes.fromhex(x) for x in CT_LEAVES]
    hashes = [merkle.leaf_hash(e) for e in entries]
    tree = merkle.MemoryTree(hashes)
    vectors: list[dict[str, Any]] = []
    for i, (entry, lh) in enumerate(zip(entries, hashes, strict=True)):
        vectors.append(good(f"leaf hash of CT leaf {i}", kind="leafHash", leaf=hx(entry), leafHash=hx(lh)))
    for n in range(0, len(entries) + 1):
        vectors.append(
            good(
                f"root of the first {n} CT leaves"
                + (" (the empty tree: SHA-256 of the empty string)" if n == 0 else ""),
                kind="root",
                treeSize=n,
                leaves=[hx(e) for e in entries[:n]],
                rootHash=hx(tree.root(n)),
            )
        )
    for n in range(1, len(entries) + 1):
        for i in range(n):
            vectors.append(
                good(
                    f"inclusion proof of leaf {i} in the tree of size {n}",
                    kind="inclusion",
                    leafIndex=i,
                    treeSize=n,
                    leafHash=hx(hashes[i]),
                    rootHash=hx(tree.root(n)),
                    proof=[hx(p) for p in tree.inclusion_proof(i, n)],
                )
            )
    for n in range(1, len(entries) + 1):
        for m in range(1, n + 1):
            vectors.append(
                good(
                    f"consistency proof from size {m} to size {n}",
                    kind="consistency",
                    oldSize=m,
                    newSize=n,
                    oldRoot=hx(tree.root(m)),
                    newRoot=hx(tree.root(n)),
                    proof=[hx(p) for p in tree.consistency_proof(m, n)],
                )
            )
    return {
        "description": (
            "RFC 9162 known-answer vectors over the Certificate Transparency test leaves "
            "(RFC 6962 test data, transparency-dev/merkle testonly/constants.go): leaf hashes, the root "
            "at every size 0-8, the inclusion proof of every (leafIndex, treeSize) and the consistency "
            "proof of every (oldSize, newSize) with 1 <= oldSize <= newSize <= 8. Each vector has a `kind`."
        ),
        "vectors": vectors,
    }


# --- Merkle: inclusion and consistency proofs, valid and tampered ---------------------------

BIG_SIZE = 1000


def _vector_tree() -> merkle.MemoryTree:
    return merkle.MemoryTree(merkle.leaf_hash(f"saksi vector leaf {i}".encode()) for i in range(BIG_SIZE))


def _inclusion(i: int, n: int, lh: bytes, root: bytes, proof: Sequence[bytes]) -> dict[str, Any]:
    return {"leafIndex": i, "treeSize": n, "leafHash": hx(lh), "rootHash": hx(root), "proof": [hx(p) for p in proof]}


def build_inclusion(tree: merkle.MemoryTree) -> dict[str, Any]:
    leaf = tree.get(merkle.NodeId(0, i) for i in range(tree.size))
    lh = [leaf[merkle.NodeId(0, i)] for i in range(tree.size)]
    vectors: list[dict[str, Any]] = []
    cases = [(i, n) for n in range(1, 10) for i in range(n)]
    cases += [(i, BIG_SIZE) for i in (0, 1, 511, 512, 666, 998, 999)]
    for i, n in cases:
        proof = tree.inclusion_proof(i, n)
        vectors.append(good(f"leaf {i} of {n}", **_inclusion(i, n, lh[i], tree.root(n), proof)))

    def fails(i: int, n: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes) -> bool:
        return outcome(lambda: merkle.verify_inclusion(i, n, leaf_hash, proof, root)) == "InclusionProofInvalid"

    error = "InclusionProofInvalid"
    for i, n in ((0, 1), (2, 3), (6, 8), (5, 9), (666, BIG_SIZE)):
        root, proof = tree.root(n), tree.inclusion_proof(i, n)
        base = f"leaf {i} of {n}"
        for k, element in enumerate(proof):
            bit = element_bit(k)
            mutated = list(proof)
            mutated[k] = flip_bit(element, bit)
            vectors.append(
                bad(f"{base}: proof[{k}] with bit {bit} flipped", error, **_inclusion(i, n, lh[i], root, mutated))
            )
        if proof:
            vectors.append(
                bad(
                    f"{base}: proof truncated (last element removed)",
                    error,
                    **_inclusion(i, n, lh[i], root, proof[:-1]),
                )
            )
            vectors.append(
                bad(
                    f"{base}: proof truncated (first element removed)",
                    error,
                    **_inclusion(i, n, lh[i], root, proof[1:]),
                )
            )
        vectors.append(
            bad(
                f"{base}: proof extended with an extra hash",
                error,
                **_inclusion(i, n, lh[i], root, [*proof, sha("extra")]),
            )
        )
        vectors.append(
            bad(
                f"{base}: proof extended with the root in front", error, **_inclusion(i, n, lh[i], root, [root, *proof])
            )
        )
        seen = {i}
        for wrong_index, how in (
            (i + 1, "index + 1"),
            (i - 1, "index - 1"),
            (i ^ 2, "index ^ 2"),
            (n, "index = treeSize"),
        ):
            if wrong_index < 0 or wrong_index in seen or wrong_index > n:
                continue
            seen.add(wrong_index)
            assert fails(wrong_index, n, lh[i], proof, root), (base, how)
            vectors.append(
                bad(
                    f"{base}: wrong leaf index ({how} = {wrong_index})",
                    error,
                    **_inclusion(wrong_index, n, lh[i], root, proof),
                )
            )
        for wrong_size, how in ((n + 1, "size + 1"), (n - 1, "size - 1"), (2 * n, "size * 2"), (n // 2, "size / 2")):
            if wrong_size == n or wrong_size < 1 or not fails(i, wrong_size, lh[i], proof, root):
                continue  # a size whose audit path has the same shape proves the same root: no evidence of error
            vectors.append(
                bad(
                    f"{base}: wrong tree size ({how} = {wrong_size})",
                    error,
                    **_inclusion(i, wrong_size, lh[i], root, proof),
                )
            )
        vectors.append(
            bad(f"{base}: wrong root (another hash)", error, **_inclusion(i, n, lh[i], sha("wrong root"), proof))
        )
        other_size = n + 1 if n < BIG_SIZE else n - 1
        vectors.append(
            bad(
                f"{base}: wrong root (size {other_size}'s)",
                error,
                **_inclusion(i, n, lh[i], tree.root(other_size), proof),
            )
        )
        vectors.append(
            bad(f"{base}: wrong root (the empty tree's)", error, **_inclusion(i, n, lh[i], merkle.EMPTY_ROOT, proof))
        )
        other = lh[(i + 1) % BIG_SIZE]
        vectors.append(bad(f"{base}: wrong leaf hash (another leaf's)", error, **_inclusion(i, n, other, root, proof)))
        vectors.append(
            bad(
                f"{base}: wrong leaf hash (the raw leaf hashed without the 0x00 prefix)",
                error,
                **_inclusion(i, n, sha(f"saksi vector leaf {i}"), root, proof),
            )
        )

    i, n = 5, 9
    root, proof = tree.root(n), tree.inclusion_proof(i, n)
    vectors += [
        bad("leafHash of 31 bytes", "InvalidField", "leafHash", **_inclusion(i, n, lh[i][:31], root, proof)),
        bad("rootHash of 33 bytes", "InvalidField", "rootHash", **_inclusion(i, n, lh[i], root + b"\x00", proof)),
        bad(
            "proof[1] of 31 bytes",
            "InvalidField",
            "proof[1]",
            **_inclusion(i, n, lh[i], root, [proof[0], proof[1][:31], *proof[2:]]),
        ),
        bad("proof[0] empty", "InvalidField", "proof[0]", **_inclusion(i, n, lh[i], root, [b"", *proof[1:]])),
        bad("negative leafIndex", "InvalidField", "leafIndex", **_inclusion(-1, n, lh[i], root, proof)),
        bad("negative treeSize", "InvalidField", "treeSize", **_inclusion(i, -9, lh[i], root, proof)),
        bad("treeSize of 2^63", "InvalidField", "treeSize", **_inclusion(i, 1 << 63, lh[i], root, proof)),
        bad("the empty tree includes nothing", error, **_inclusion(0, 0, lh[0], merkle.EMPTY_ROOT, [])),
    ]
    return {
        "description": (
            "RFC 9162 §2.1.3 inclusion proofs. Leaf i of these trees is the entry "
            '"saksi vector leaf <i>" (ASCII), so leafHash = SHA-256(0x00 || entry); each tree of size n '
            "holds leaves 0..n-1. Check: verify_inclusion(leafIndex, treeSize, leafHash, proof, rootHash). "
            "Negatives: every proof element with one bit flipped, truncated and extended proofs, wrong "
            "index, size, root and leaf hash, malformed hashes and sizes. A wrong size whose audit path has "
            "the same shape proves the same root and is therefore not a negative."
        ),
        "vectors": vectors,
    }


def _consistency(m: int, n: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> dict[str, Any]:
    return {
        "oldSize": m,
        "newSize": n,
        "oldRoot": hx(old_root),
        "newRoot": hx(new_root),
        "proof": [hx(p) for p in proof],
    }


def build_consistency(tree: merkle.MemoryTree) -> dict[str, Any]:
    vectors: list[dict[str, Any]] = []
    valid = [
        (1, 1, "equal sizes: empty proof"),
        (7, 7, "equal sizes: empty proof"),
        (BIG_SIZE, BIG_SIZE, "equal sizes: empty proof"),
        (0, 5, "from the empty tree: empty proof"),
        (1, 2, "oldSize 1"),
        (1, 8, "oldSize 1"),
        (1, BIG_SIZE, "oldSize 1"),
        (2, 3, "power-of-two oldSize"),
        (4, 7, "power-of-two oldSize"),
        (8, 9, "power-of-two oldSize"),
        (8, BIG_SIZE, "power-of-two oldSize"),
        (512, BIG_SIZE, "power-of-two oldSize"),
        (3, 7, "odd oldSize"),
        (6, 8, "to a power-of-two newSize"),
        (5, 9, ""),
        (7, 8, ""),
        (300, BIG_SIZE, ""),
        (999, BIG_SIZE, "one leaf appended"),
    ]
    for m, n, note in valid:
        proof = tree.consistency_proof(m, n)
        vectors.append(
            good(
                f"{m} -> {n}" + (f" ({note})" if note else ""), **_consistency(m, n, tree.root(m), tree.root(n), proof)
            )
        )

    def fails(m: int, n: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
        return outcome(lambda: merkle.verify_consistency(m, n, old_root, new_root, proof)) == "ConsistencyProofInvalid"

    error = "ConsistencyProofInvalid"
    for m, n in ((3, 7), (4, 7), (6, 8), (1, 9), (300, BIG_SIZE)):
        old, new, proof = tree.root(m), tree.root(n), tree.consistency_proof(m, n)
        base = f"{m} -> {n}"
        for k, element in enumerate(proof):
            bit = element_bit(k)
            mutated = list(proof)
            mutated[k] = flip_bit(element, bit)
            vectors.append(
                bad(f"{base}: proof[{k}] with bit {bit} flipped", error, **_consistency(m, n, old, new, mutated))
            )
        vectors.append(
            bad(f"{base}: proof truncated (last element removed)", error, **_consistency(m, n, old, new, proof[:-1]))
        )
        vectors.append(
            bad(f"{base}: proof truncated (first element removed)", error, **_consistency(m, n, old, new, proof[1:]))
        )
        vectors.append(bad(f"{base}: empty proof", error, **_consistency(m, n, old, new, [])))
        vectors.append(
            bad(
                f"{base}: proof extended with an extra hash",
                error,
                **_consistency(m, n, old, new, [*proof, sha("extra")]),
            )
        )
        vectors.append(
            bad(
                f"{base}: proof extended with the old root in front",
                error,
                **_consistency(m, n, old, new, [old, *proof]),
            )
        )
        vectors.append(bad(f"{base}: wrong old root", error, **_consistency(m, n, sha("wrong root"), new, proof)))
        vectors.append(bad(f"{base}: wrong new root", error, **_consistency(m, n, old, sha("wrong root"), proof)))
        vectors.append(bad(f"{base}: roots swapped", error, **_consistency(m, n, new, old, proof)))
        vectors.append(
            bad(f"{base}: sizes swapped (the log would shrink)", error, **_consistency(n, m, new, old, proof))
        )
        for wm, wn, how in (
            (m + 1, n, "oldSize + 1"),
            (m - 1, n, "oldSize - 1"),
            (m, n + 1, "newSize + 1"),
            (m, n - 1, "newSize - 1"),
        ):
            if wm < 1 or wm >= wn or not fails(wm, wn, old, new, proof):
                continue  # sizes whose proof has the same shape prove the same roots: no evidence of error
            vectors.append(bad(f"{base}: wrong sizes ({how})", error, **_consistency(wm, wn, old, new, proof)))
    old, new = tree.root(8), tree.root(9)
    vectors += [
        bad("shrinking: 9 -> 8 with an empty proof", error, **_consistency(9, 8, new, old, [])),
        bad(
            "shrinking: 9 -> 8 with the proof of 8 -> 9",
            error,
            **_consistency(9, 8, new, old, tree.consistency_proof(8, 9)),
        ),
        bad("equal sizes with different roots", error, **_consistency(8, 8, old, new, [])),
        bad("equal sizes with a non-empty proof", error, **_consistency(8, 8, old, old, [old])),
        bad("from the empty tree with a non-empty proof", error, **_consistency(0, 9, merkle.EMPTY_ROOT, new, [new])),
        bad(
            "oldRoot of 31 bytes",
            "InvalidField",
            "oldRoot",
            **_consistency(8, 9, old[:31], new, tree.consistency_proof(8, 9)),
        ),
        bad("newRoot empty", "InvalidField", "newRoot", **_consistency(8, 9, old, b"", tree.consistency_proof(8, 9))),
        bad(
            "proof[0] of 33 bytes",
            "InvalidField",
            "proof[0]",
            **_consistency(8, 9, old, new, [tree.consistency_proof(8, 9)[0] + b"\x00"]),
        ),
        bad("negative oldSize", "InvalidField", "from", **_consistency(-1, 9, old, new, [])),
        bad("newSize of 2^63", "InvalidField", "to", **_consistency(8, 1 << 63, old, new, [])),
    ]
    return {
        "description": (
            "RFC 9162 §2.1.4 consistency proofs over the same trees as inclusion.json (leaf i is the entry "
            '"saksi vector leaf <i>"). Check: verify_consistency(oldSize, newSize, oldRoot, newRoot, proof). '
            "Valid: equal sizes, from the empty tree, oldSize 1, power-of-two oldSize, others. Negatives: every "
            "element with one bit flipped, truncated, extended and empty proofs, wrong and swapped roots, swapped, "
            "wrong and shrinking sizes, malformed hashes and sizes. The contract's anchor() must refuse the same."
        ),
        "vectors": vectors,
    }


# --- service events (EIP-712) --------------------------------------------------------------

ANVIL_CONTRACT = bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3")
DOMAIN = Domain(31337, ANVIL_CONTRACT)
OTHER_CHAIN_DOMAIN = Domain(1, ANVIL_CONTRACT)
OTHER_CONTRACT_DOMAIN = Domain(31337, bytes.fromhex("e7f1725e7734ce288f8367e1bb143e90bb3f0512"))
BASE_TIME_S = 1_767_225_600  # 2026-01-01T00:00:00Z
AGENCY_KEYS = {"dukcapil.jaksel": 1, "polri.sim.bdg": 2, "imigrasi.sby": 3, "pengaduan.kota-mdn": 4}
ROGUE_KEY = 5  # signs what it should not


def agency_key(agency: str) -> bytes:
    return saksi_test_key(AGENCY_KEYS[agency])


class Case:
    """A citizen's case: its reference, TEST case key, and head (to chain events)."""

    def __init__(self, ref: str, key_n: int, agency: str) -> None:
        self.ref, self.key, self.agency = ref, saksi_test_case_key(key_n), agency
        self.commitment = case_commitment(self.key, ref)
        self.seq, self.head = 0, ZERO32

    def next(
        self,
        event_type: str,
        summary: str,
        *,
        payload_digest_: bytes = ZERO32,
        hours: int = 0,
        prev: bytes | None = None,
    ) -> ServiceEvent:
        self.seq += 1
        prev_hash = self.head if prev is None else prev
        occurred_at = BASE_TIME_S + hours * 3600
        event = ServiceEvent.from_json(
            {
                # FORMATS 7.6: an id only the case key links to the case, never "<caseRef>-<seq>"
                "eventId": derive_event_id(self.key, self.ref, self.seq, prev_hash, event_type, summary, occurred_at),
                "agency": self.agency,
                "caseCommitment": hx(self.commitment),
                "caseSeq": self.seq,
                "prevEventHash": hx(prev_hash),
                "eventType": event_type,
                "summary": summary,
                "occurredAt": occurred_at,
                "payloadDigest": hx(payload_digest_),
            }
        )
        self.head = event.hash_struct()
        return event


KTP_PAYLOAD = {
    "jenisLayanan": "KTP-el baru",
    "nama": "Siti Rahayu (contoh)",
    "nik": "3171000000000001",
    "alamat": {"jalan": "Jl. Melati No. 5", "kecamatan": "Kebayoran Baru", "kota": "Jakarta Selatan"},
    "dokumen": ["kartu-keluarga.pdf", "akta-kelahiran.pdf"],
}


def _sample_events() -> list[tuple[str, ServiceEvent]]:
    ktp = Case("KTP-JKS-2026-000001", 1, "dukcapil.jaksel")
    sim = Case("SIM-BDG-2026-000042", 2, "polri.sim.bdg")
    paspor = Case("PAS-SBY-2026-000777", 3, "imigrasi.sby")
    aduan = Case("ADU-MDN-2026-000005", 4, "pengaduan.kota-mdn")
    summary_280 = (
        "Ringkasan terpanjang yang diizinkan: 280 karakter (titik kode Unicode), termasuk emoji 📄 dan huruf é. "
    )
    summary_280 = (summary_280 * 4)[:279] + "✓"
    return [
        (
            "KTP case, caseSeq 1, with a payload digest",
            ktp.next(
                "application.submitted",
                "Permohonan KTP-el diterima di Kecamatan Kebayoran Baru.",
                payload_digest_=payload_digest(saksi_test_salt(1), KTP_PAYLOAD),
            ),
        ),
        (
            "KTP case, caseSeq 2, linked to caseSeq 1",
            ktp.next(
                "documents.verified", "Dokumen persyaratan (KK, akta kelahiran) sudah diverifikasi petugas.", hours=20
            ),
        ),
        (
            "KTP case, caseSeq 3",
            ktp.next("document.issued", "KTP-el sudah dicetak dan siap diambil di loket 3.", hours=70),
        ),
        (
            "SIM application",
            sim.next(
                "application.submitted",
                "Pendaftaran SIM A diterima; ujian teori dijadwalkan Senin pukul 08.00 WIB.",
                hours=3,
            ),
        ),
        (
            "passport approval, non-ASCII summary",
            paspor.next(
                "application.approved",
                "Permohonan paspor elektronik disetujui ✓ — silakan ambil di Kantor Imigrasi Surabaya.",
                hours=5,
            ),
        ),
        (
            "complaint filed, emoji in the summary",
            aduan.next("complaint.filed", "Pengaduan: antrean di loket terlalu lama (lebih dari 3 jam) 😞", hours=6),
        ),
        (
            "complaint resolved",
            aduan.next(
                "complaint.resolved", "Pengaduan ditindaklanjuti: loket tambahan dibuka mulai pekan depan 🙏", hours=30
            ),
        ),
        (
            "summary of exactly 280 code points, some outside the BMP",
            paspor.next("application.updated", summary_280, hours=8),
        ),
    ]


def _edge_event() -> ServiceEvent:
    """Every integer field at its maximum, eventId at 64 characters."""
    return ServiceEvent.from_json(
        {
            "eventId": ("imigrasi:SBY.2026_" * 4)[:63].replace("_", "-") + "Z",
            "agency": "a" * 32,
            "caseCommitment": hx(b"\xff" * 32),
            "caseSeq": UINT32_MAX,
            "prevEventHash": hx(b"\xee" * 32),
            "eventType": "a.b",
            "summary": "x",
            "occurredAt": UINT64_MAX,
            "payloadDigest": hx(b"\xdd" * 32),
        }
    )


def _signed(domain: Domain, event: ServiceEvent, key: bytes) -> bytes:
    return sign_digest(event.digest(domain), key)


def _high_s(signature: bytes) -> bytes:
    s = int.from_bytes(signature[32:64], "big")
    v = signature[64]
    return signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])


def build_events() -> dict[str, Any]:
    vectors: list[dict[str, Any]] = []
    for n in (*sorted(AGENCY_KEYS.values()), ROGUE_KEY):
        vectors.append(
            good(
                f'TEST KEY {n} = keccak256("saksi test key {n}")',
                kind="testKey",
                label=f"saksi test key {n}",
                testPrivateKey=hx(saksi_test_key(n)),
                address=hx(address_of_key(saksi_test_key(n))),
            )
        )
    for domain, note in (
        (DOMAIN, "anvil's chain id and first contract address"),
        (OTHER_CHAIN_DOMAIN, "chain id 1"),
        (OTHER_CONTRACT_DOMAIN, "another contract"),
    ):
        vectors.append(
            good(
                f"EIP-712 domain: {note}",
                kind="domain",
                domain=domain.to_json(),
                domainSeparator=hx(domain.separator),
                domainType=EIP712_DOMAIN_TYPE,
                domainTypeHash=hx(EIP712_DOMAIN_TYPEHASH),
                eventType=SERVICE_EVENT_TYPE,
                eventTypeHash=hx(SERVICE_EVENT_TYPEHASH),
            )
        )

    samples = [
        *_sample_events(),
        ("every integer at its maximum, 64-character eventId, 32-character agency", _edge_event()),
    ]
    received = BASE_TIME_S * 1000 + 1234
    for k, (description, event) in enumerate(samples):
        agency = event.agency if event.agency in AGENCY_KEYS else "imigrasi.sby"
        key = agency_key(agency)
        signature = _signed(DOMAIN, event, key)
        digest = event.digest(DOMAIN)
        received_at = UINT64_MAX if k == len(samples) - 1 else received + k * 61_000
        leaf = leaf_bytes(digest, signature, received_at)
        vectors.append(
            good(
                description,
                kind="signedEvent",
                domain=DOMAIN.to_json(),
                event=event.to_json(),
                hashStruct=hx(event.hash_struct()),
                digest=hx(digest),
                testPrivateKey=hx(key),
                signature=hx(signature),
                signer=hx(address_of_key(key)),
                receivedAt=received_at,
                leafBytes=hx(leaf),
                leafHash=hx(merkle.leaf_hash(leaf)),
            )
        )

    # Signatures: one event, its signature in every shape.
    _, event = samples[0]
    key = agency_key(event.agency)
    expect = address_of_key(key)
    signature = _signed(DOMAIN, event, key)
    sig = {"domain": DOMAIN.to_json(), "event": event.to_json(), "expectSigner": hx(expect)}

    def recovers(domain: Domain, signature_: bytes) -> str:
        return hx(SignedEvent.create(event, signature_, domain).signer)

    raw_v = signature[:64] + bytes([signature[64] - 27])
    vectors += [
        good(
            "canonical signature (v = 27/28, low s)",
            kind="signature",
            **sig,
            signature=hx(signature),
            normalizedSignature=hx(signature),
            recovered=hx(expect),
        ),
        good(
            "raw recovery id v = 0/1 is accepted and normalised to 27/28",
            kind="signature",
            **sig,
            signature=hx(raw_v),
            normalizedSignature=hx(signature),
            recovered=hx(expect),
        ),
        bad(
            "high-s form of the same signature (s' = n - s, v flipped): refused, EIP-2",
            "InvalidField",
            "signature",
            kind="signature",
            **sig,
            signature=hx(_high_s(signature)),
            recovered=None,
        ),
        bad(
            "v = 29",
            "InvalidField",
            "signature",
            kind="signature",
            **sig,
            signature=hx(signature[:64] + b"\x1d"),
            recovered=None,
        ),
        bad(
            "r = 0",
            "InvalidField",
            "signature",
            kind="signature",
            **sig,
            signature=hx(bytes(32) + signature[32:]),
            recovered=None,
        ),
        bad(
            "r = n",
            "InvalidField",
            "signature",
            kind="signature",
            **sig,
            signature=hx(SECP256K1_N.to_bytes(32, "big") + signature[32:]),
            recovered=None,
        ),
        bad(
            "s = 0",
            "InvalidField",
            "signature",
            kind="signature",
            **sig,
            signature=hx(signature[:32] + bytes(32) + signature[64:]),
            recovered=None,
        ),
        bad(
            "64 bytes (v missing)",
            "InvalidField",
            "signature",
            kind="signature",
            **sig,
            signature=hx(signature[:64]),
            recovered=None,
        ),
        bad(
            "r = 5 is not the x coordinate of any curve point: recovers to no key",
            "AuthenticationFailed",
            kind="signature",
            **sig,
            signature=hx((5).to_bytes(32, "big") + (1).to_bytes(32, "big") + b"\x1b"),
            recovered=None,
        ),
    ]
    for domain, what in (
        (OTHER_CHAIN_DOMAIN, "chain id 1 instead of 31337"),
        (OTHER_CONTRACT_DOMAIN, "another verifyingContract"),
    ):
        vectors.append(
            bad(
                f"signed for the anvil domain, checked under {what}: recovers to another address",
                "SignatureMismatch",
                kind="signature",
                domain=domain.to_json(),
                event=event.to_json(),
                expectSigner=hx(expect),
                signature=hx(signature),
                recovered=recovers(domain, signature),
            )
        )
    rogue = _signed(DOMAIN, event, saksi_test_key(ROGUE_KEY))
    vectors.append(
        bad(
            "signed by TEST KEY 5, not the agency's key",
            "SignatureMismatch",
            kind="signature",
            **sig,
            signature=hx(rogue),
            recovered=recovers(DOMAIN, rogue),
        )
    )
    edited = {**event.to_json(), "summary": event.summary + "!"}
    edited_event = ServiceEvent.from_json(edited)
    vectors.append(
        bad(
            "summary edited after signing",
            "SignatureMismatch",
            kind="signature",
            domain=DOMAIN.to_json(),
            event=edited,
            expectSigner=hx(expect),
            signature=hx(signature),
            recovered=hx(SignedEvent.create(edited_event, signature, DOMAIN).signer),
        )
    )

    vectors += _malformed_events(samples[1][1].to_json())
    vectors += _malformed_domains()
    vectors += _leaves(samples[0][1], signature)
    return {
        "description": (
            "Service events as EIP-712 typed data (docs/FORMATS.md). " + TEST_KEY_NOTE + " Kinds: testKey; domain "
            "(separator and type hashes); signedEvent (hashStruct, digest = keccak256(0x1901 || domainSeparator || "
            "hashStruct), the RFC 6979 signature by the TEST KEY, its signer, leafBytes = 0x01 || digest || r || s || v "
            "|| receivedAt (uint64 big-endian ms) and leafHash = SHA-256(0x00 || leafBytes)); signature (recover the "
            "signer of `event` under `domain`: malformed signatures raise the named error; a signer other than "
            "`expectSigner` is SignatureMismatch); eventJson and domainJson (parsing: InvalidField naming `field`); "
            "leaf (parsing leaf bytes). Summary lengths count Unicode code points, not UTF-16 units."
        ),
        "vectors": vectors,
    }


def _malformed_events(base: dict[str, Any]) -> list[dict[str, Any]]:
    """The sample event (caseSeq 2) with one field broken at a time."""
    out: list[dict[str, Any]] = [good("the unbroken event these negatives start from", kind="eventJson", event=base)]

    def broken(description: str, field: str, **changes: Any) -> None:
        out.append(bad(description, "InvalidField", field, kind="eventJson", event={**base, **changes}))

    h31 = "0x" + "ab" * 31
    broken("eventId empty", "eventId", eventId="")
    broken("eventId of 65 characters", "eventId", eventId="E" * 65)
    broken("eventId with a space", "eventId", eventId="KTP 1")
    broken("eventId with a slash", "eventId", eventId="KTP/1")
    broken("eventId with a non-ASCII letter", "eventId", eventId="KTP-É")
    broken("eventId with a trailing newline", "eventId", eventId="KTP-1\n")
    broken("eventId not a string", "eventId", eventId=12345)
    broken("agency in upper case", "agency", agency="Dukcapil.jaksel")
    broken("agency empty", "agency", agency="")
    broken("agency of 33 characters", "agency", agency="d" * 33)
    broken("agency with an underscore", "agency", agency="dukcapil_jaksel")
    broken("caseCommitment of 31 bytes", "caseCommitment", caseCommitment=h31)
    broken("caseCommitment without 0x", "caseCommitment", caseCommitment=base["caseCommitment"][2:])
    broken(
        "caseCommitment with a non-hex digit", "caseCommitment", caseCommitment="0x" + "zz" + base["caseCommitment"][4:]
    )
    broken("caseCommitment with an odd number of digits", "caseCommitment", caseCommitment=base["caseCommitment"][:-1])
    broken("caseCommitment zero", "caseCommitment", caseCommitment=hx(ZERO32))
    broken("caseCommitment not a string", "caseCommitment", caseCommitment=None)
    broken("caseSeq 0", "caseSeq", caseSeq=0)
    broken("caseSeq negative", "caseSeq", caseSeq=-1)
    broken("caseSeq of 2^32 (uint32 overflows)", "caseSeq", caseSeq=1 << 32)
    broken("caseSeq as a string", "caseSeq", caseSeq="2")
    broken("caseSeq as a JSON fraction", "caseSeq", caseSeq=2.5)
    broken("caseSeq as a boolean", "caseSeq", caseSeq=True)
    broken("prevEventHash non-zero at caseSeq 1", "prevEventHash", caseSeq=1)
    broken("prevEventHash zero at caseSeq 2", "prevEventHash", prevEventHash=hx(ZERO32))
    broken("prevEventHash of 31 bytes", "prevEventHash", prevEventHash=h31)
    broken("prevEventHash with a non-hex digit", "prevEventHash", prevEventHash="0x" + "g" * 64)
    broken("eventType in upper case", "eventType", eventType="Documents.Verified")
    broken("eventType without a dot", "eventType", eventType="verified")
    broken("eventType with an empty segment", "eventType", eventType="documents..verified")
    broken("eventType with a trailing space", "eventType", eventType="documents.verified ")
    broken("eventType of 65 characters", "eventType", eventType="a." + "b" * 63)
    broken("summary empty", "summary", summary="")
    broken("summary of 281 code points", "summary", summary="é" * 281)
    broken("summary with a control character (BEL)", "summary", summary="Dokumen \u0007 diverifikasi")
    broken("summary with a line feed", "summary", summary="Dokumen\ndiverifikasi")
    broken("summary with a noncharacter (U+FFFF, category Cn)", "summary", summary="Dokumen \uffff")
    broken("summary not a string", "summary", summary=["Dokumen"])
    broken("occurredAt 0", "occurredAt", occurredAt=0)
    broken("occurredAt of 2^64", "occurredAt", occurredAt=1 << 64)
    broken("occurredAt as a string", "occurredAt", occurredAt=str(BASE_TIME_S))
    broken("occurredAt as a JSON fraction", "occurredAt", occurredAt=BASE_TIME_S + 0.5)
    broken("payloadDigest of 33 bytes", "payloadDigest", payloadDigest="0x" + "cd" * 33)
    broken("payloadDigest with 0X and a bad digit", "payloadDigest", payloadDigest="0X" + "q" * 64)
    broken("an unknown field", "event.caseRef", caseRef="KTP-JKS-2026-000001")
    missing = {k: v for k, v in base.items() if k != "summary"}
    out.append(bad("a missing field", "InvalidField", "event.summary", kind="eventJson", event=missing))
    out.append(bad("not an object", "InvalidField", "event", kind="eventJson", event=[base]))
    return out


def _malformed_domains() -> list[dict[str, Any]]:
    base = DOMAIN.to_json()
    out = [good("the anvil domain", kind="domainJson", domain=base, domainSeparator=hx(DOMAIN.separator))]
    for description, field, changes in (
        ('name "saksi" (case matters)', "eip712Domain", {"name": "saksi"}),
        ('version "2"', "eip712Domain", {"version": "2"}),
        ("chainId 0", "eip712Domain.chainId", {"chainId": 0}),
        ("chainId as a string", "eip712Domain.chainId", {"chainId": "31337"}),
        (
            "verifyingContract of 19 bytes",
            "eip712Domain.verifyingContract",
            {"verifyingContract": base["verifyingContract"][:-2]},
        ),
        ("verifyingContract missing", "eip712Domain.verifyingContract", {"verifyingContract": None}),
    ):
        domain = {k: v for k, v in {**base, **changes}.items() if v is not None}
        out.append(bad(description, "InvalidField", field, kind="domainJson", domain=domain))
    return out


def _leaves(event: ServiceEvent, signature: bytes) -> list[dict[str, Any]]:
    digest = event.digest(DOMAIN)
    leaf = leaf_bytes(digest, signature, BASE_TIME_S * 1000)
    return [
        good(
            "a version 1 leaf",
            kind="leaf",
            leafBytes=hx(leaf),
            digest=hx(digest),
            signature=hx(signature),
            receivedAt=BASE_TIME_S * 1000,
        ),
        bad("version byte 2", "InvalidField", "leaf", kind="leaf", leafBytes=hx(b"\x02" + leaf[1:])),
        bad("one byte short", "InvalidField", "leaf", kind="leaf", leafBytes=hx(leaf[:-1])),
        bad("one byte too many", "InvalidField", "leaf", kind="leaf", leafBytes=hx(leaf + b"\x00")),
        bad("empty", "InvalidField", "leaf", kind="leaf", leafBytes="0x"),
    ]


# --- case commitments, access codes, payload digests -----------------------------------------


PAYLOAD_TEXTS = [
    ("a KTP application payload", json.dumps(KTP_PAYLOAD, ensure_ascii=False)),
    (
        "key ordering by UTF-16 code units: U+1F600 (surrogates D83D DE00) sorts before U+FB33",
        '{"b": 1, "a": 2, "aa": 3, "A": 4, "\u00e9": 5, "\U0001f600": 6, "\ufb33": 7, "": 8}',
    ),
    (
        "nested objects are sorted too; arrays keep their order",
        '{"z": {"y": [3, 1, 2], "x": {"b": null, "a": true}}, "a": []}',
    ),
    (
        "numbers in ECMAScript form: 1e21, 0.1, -0, 1e-7, exponents, trailing zeros, the largest safe integer",
        "[1e21, 0.1, -0, -0.0, 0.0, 1e-7, 0.000001, 123456789.125, -1.5e-10, 9007199254740991, 9007199254740991.0, 1E+2, 2.50, 5e-324, 1.7976931348623157e308]",
    ),
    (
        "strings: non-ASCII stays UTF-8, controls are escaped, U+2028 is not",
        '["Jl. Melati \u2014 No. 5", "\u20ac", "\U0001f600", "\\u0007", "\\"", "\\\\", "\u2028", "\\/"]',
    ),
    ("literals and empty containers", "[true, false, null, {}, []]"),
    ("a bare string", '"teks"'),
    ("an empty object", "{}"),
]


def build_commitments() -> dict[str, Any]:
    vectors: list[dict[str, Any]] = []
    refs = ("KTP-JKS-2026-000001", "SIM-BDG-2026-000042", "PAS-SBY-2026-000777", "A", "0" * 64)
    for n, ref in enumerate(refs, start=1):
        key = saksi_test_case_key(n)
        vectors.append(
            good(
                f"case {ref[:24]}",
                kind="caseCommitment",
                caseRef=ref,
                caseKey=hx(key),
                accessCode=format_access_code(key),
                commitment=hx(case_commitment(key, ref)),
            )
        )
    key = saksi_test_case_key(1)
    vectors.append(
        good(
            "caseRef is upper-cased and trimmed before hashing",
            kind="caseCommitment",
            caseRef="  ktp-jks-2026-000001 ",
            caseKey=hx(key),
            accessCode=format_access_code(key),
            commitment=hx(case_commitment(key, "KTP-JKS-2026-000001")),
        )
    )
    for description, ref in (
        ("caseRef empty", ""),
        ("caseRef starting with a dash", "-KTP-1"),
        ("caseRef ending with a dash", "KTP-1-"),
        ("caseRef with an underscore", "KTP_1"),
        ("caseRef with a space inside", "KTP 1"),
        ("caseRef with a non-ASCII letter", "KTP-É"),
        ("caseRef of 65 characters", "K" * 65),
    ):
        vectors.append(bad(description, "InvalidField", "caseRef", kind="caseCommitment", caseRef=ref, caseKey=hx(key)))
    vectors.append(
        bad(
            "caseKey of 31 bytes",
            "InvalidField",
            "caseKey",
            kind="caseCommitment",
            caseRef=refs[0],
            caseKey=hx(key[:31]),
        )
    )

    code = format_access_code(key)
    old_code = code.replace("-", "")[:52]  # printed before the check character (FORMATS 7.3): still accepted
    for description, typed in (
        ("as printed", code),
        ("lower case", code.lower()),
        ("spaces instead of dashes", code.replace("-", " ")),
        ("no separators", code.replace("-", "")),
        ("surrounding whitespace", f"  {code}\n"),
        ("in the old form, without the check character", old_code),
        ("in the old form, grouped by four", "-".join(old_code[i : i + 4] for i in range(0, 52, 4))),
    ):
        vectors.append(good(f"access code typed {description}", kind="accessCode", accessCode=typed, caseKey=hx(key)))
    plain = code.replace("-", "")
    alphabet32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    key_part, check = plain[:52], plain[52]
    other_last = alphabet32[alphabet32.index(key_part[-1]) | 1]  # 52 characters carry 260 bits: the last 4 must be zero
    other_check = alphabet32[(alphabet32.index(check) + 1) % 32]
    typo = key_part[:9] + alphabet32[(alphabet32.index(key_part[9]) + 5) % 32] + key_part[10:] + check
    swapped = next(
        plain[:i] + plain[i + 1] + plain[i] + plain[i + 2 :]
        for i in range(52)
        if plain[i] != plain[i + 1] and {plain[i], plain[i + 1]} != {"A", "7"}
    )
    for description, typed in (
        ("one character short of the old form", key_part[:-1]),
        ("one character too many", plain + "A"),
        ("the digit 1 (not in RFC 4648 base32)", "1" + plain[1:]),
        ("the digit 0", "0" + plain[1:]),
        ("the digit 8", "8" + plain[1:]),
        ("base32 padding", key_part + "===="),
        ("non-zero padding bits in the last character (old form)", key_part[:-1] + other_last),
        ("a wrong check character", key_part + other_check),
        ("one key character mistyped (the check character catches it)", typo),
        ("two neighbouring characters swapped (the check character catches it)", swapped),
    ):
        vectors.append(
            bad(f"access code with {description}", "InvalidField", "accessCode", kind="accessCode", accessCode=typed)
        )

    for n, (description, text) in enumerate(PAYLOAD_TEXTS, start=1):
        payload = json.loads(text)
        salt = saksi_test_salt(n)
        jcs = canonical_json(payload)
        vectors.append(
            good(
                description,
                kind="payloadDigest",
                payloadText=text,
                payload=payload,
                salt=hx(salt),
                jcs=jcs.decode("utf-8"),
                digest=hx(hashlib.sha256(salt + jcs).digest()),
            )
        )
    vectors.append(
        bad(
            "salt of 15 bytes",
            "InvalidField",
            "payloadSalt",
            kind="payloadDigest",
            payloadText="{}",
            salt=hx(saksi_test_salt(1)[:15]),
        )
    )
    vectors.append(
        bad(
            "an integer beyond 2^53 - 1 cannot be canonicalised (I-JSON)",
            "InvalidField",
            "payload",
            kind="payloadDigest",
            payloadText='{"nik": 9007199254740993}',
            salt=hx(saksi_test_salt(1)),
        )
    )
    vectors.append(
        bad(
            "a double that JCS prints as an integer beyond 2^53 - 1 (1e16 -> 10000000000000000) is refused",
            "InvalidField",
            "payload",
            kind="payloadDigest",
            payloadText='{"jumlah": 1e16}',
            salt=hx(saksi_test_salt(1)),
        )
    )

    digest = payload_digest(saksi_test_salt(1), KTP_PAYLOAD)
    check = {"kind": "checkPayload"}
    vectors += [
        good("zero digest, no payload, no salt", **check, payloadDigest=hx(ZERO32), payload=None, salt=None),
        good(
            "digest reproduced by payload and salt",
            **check,
            payloadDigest=hx(digest),
            payload=KTP_PAYLOAD,
            salt=hx(saksi_test_salt(1)),
        ),
        bad(
            "zero digest but a payload",
            "InvalidField",
            "payload",
            **check,
            payloadDigest=hx(ZERO32),
            payload=KTP_PAYLOAD,
            salt=hx(saksi_test_salt(1)),
        ),
        bad(
            "a digest but no payload (erased payloads are checked elsewhere)",
            "InvalidField",
            "payload",
            **check,
            payloadDigest=hx(digest),
            payload=None,
            salt=None,
        ),
        bad(
            "a digest and the wrong salt",
            "InvalidField",
            "payloadDigest",
            **check,
            payloadDigest=hx(digest),
            payload=KTP_PAYLOAD,
            salt=hx(saksi_test_salt(2)),
        ),
        bad(
            "a digest and an edited payload",
            "InvalidField",
            "payloadDigest",
            **check,
            payloadDigest=hx(digest),
            payload={**KTP_PAYLOAD, "nama": "Siti Rahayu"},
            salt=hx(saksi_test_salt(1)),
        ),
    ]
    return {
        "description": (
            'Case commitments = HMAC-SHA256(key = caseKey, msg = "saksi/case/v1:" || caseRef) after caseRef is trimmed and '
            "upper-cased; access codes = RFC 4648 base32 of the 32-byte caseKey without padding and a Luhn mod 32 check "
            "character, in groups of four joined by '-' (parsing ignores case, spaces and dashes, and still accepts the 52 "
            "characters of codes printed before the check character); payloadDigest = SHA-256(salt || JCS(payload)) with RFC 8785 JCS "
            "(`payloadText` is the JSON as received, `jcs` the canonical bytes as UTF-8 text). Case keys and salts are TEST "
            'values: keccak256("saksi test case key N"), SHA-256("saksi test salt N")[:16].'
        ),
        "vectors": vectors,
    }


# --- checkpoints ------------------------------------------------------------------------------


def build_checkpoints(bundle_root: bytes, bundle_size: int) -> dict[str, Any]:
    origin = default_origin(DOMAIN.chain_id, DOMAIN.verifying_contract)
    root = bundle_root
    vectors: list[dict[str, Any]] = []

    def text_ok(description: str, origin_: str, size: int, root_: bytes) -> None:
        text = f"{origin_}\n{size}\n{b64encode(root_)}\n"
        vectors.append(good(description, kind="text", text=text, origin=origin_, treeSize=size, rootHash=hx(root_)))

    text_ok("the default origin, the bundle's tree", origin, bundle_size, root)
    text_ok("the empty tree", origin, 0, merkle.EMPTY_ROOT)
    text_ok("a one-leaf tree", origin, 1, merkle.leaf_hash(b""))
    text_ok("the largest tree size, 2^63 - 1", origin, (1 << 63) - 1, sha("max"))
    text_ok("another origin (C2SP style)", "example.com/behind-the-sofa", 42, sha("sofa"))
    text_ok("an origin with spaces and non-ASCII letters", "Saksi uji coba — Jakarta", 7, sha("jakarta"))
    good_text = f"{origin}\n{bundle_size}\n{b64encode(root)}\n"
    b64 = b64encode(root)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    # 32 bytes leave 2 unused bits in the 43rd character: canonical base64 keeps them zero.
    non_canonical = b64[:-2] + alphabet[alphabet.index(b64[-2]) | 1] + "="
    plus_slash = bytes([0xFB, 0xEF, 0xBF]) * 10 + b"\xfb\xef"  # encodes to '+' and '/' characters
    b64url = b64encode(plus_slash).replace("+", "-").replace("/", "_")
    long_root = b64encode(root + b"\x00")
    for description, field, text in (
        ("no final newline", "checkpoint", good_text[:-1]),
        ("an extension line (4 lines)", "checkpoint", good_text + "— saksi extension\n"),
        ("a blank line at the end", "checkpoint", good_text + "\n"),
        ("two lines", "checkpoint", f"{origin}\n{bundle_size}\n"),
        ("empty text", "checkpoint", ""),
        ("leading zeros in the tree size", "checkpoint.treeSize", f"{origin}\n0{bundle_size}\n{b64}\n"),
        ("a plus sign in the tree size", "checkpoint.treeSize", f"{origin}\n+{bundle_size}\n{b64}\n"),
        ("a negative tree size", "checkpoint.treeSize", f"{origin}\n-1\n{b64}\n"),
        ("a tree size in exponent form", "checkpoint.treeSize", f"{origin}\n1e3\n{b64}\n"),
        ("a space before the tree size", "checkpoint.treeSize", f"{origin}\n {bundle_size}\n{b64}\n"),
        ("an empty tree size", "checkpoint.treeSize", f"{origin}\n\n{b64}\n"),
        ("a tree size of 2^63", "checkpoint.treeSize", f"{origin}\n{1 << 63}\n{b64}\n"),
        ("CRLF line endings", "checkpoint.treeSize", good_text.replace("\n", "\r\n")),
        ("a root hash that is not base64", "checkpoint.rootHash", f"{origin}\n{bundle_size}\nnot base64!\n"),
        ("a root hash in base64url", "checkpoint.rootHash", f"{origin}\n{bundle_size}\n{b64url}\n"),
        ("a root hash without its padding", "checkpoint.rootHash", f"{origin}\n{bundle_size}\n{b64.rstrip('=')}\n"),
        (
            "a root hash with non-zero padding bits (non-canonical base64)",
            "checkpoint.rootHash",
            f"{origin}\n{bundle_size}\n{non_canonical}\n",
        ),
        ("a root hash of 31 bytes", "checkpoint.rootHash", f"{origin}\n{bundle_size}\n{b64encode(root[:31])}\n"),
        ("a root hash of 33 bytes", "checkpoint.rootHash", f"{origin}\n{bundle_size}\n{long_root}\n"),
        ("an empty origin", "checkpoint.origin", f"\n{bundle_size}\n{b64}\n"),
        ("an origin with a tab", "checkpoint.origin", f"saksi\t{origin}\n{bundle_size}\n{b64}\n"),
    ):
        vectors.append(bad(description, "InvalidField", field, kind="text", text=text))

    api = Checkpoint(origin, bundle_size, root).to_json()
    one = Checkpoint(origin, 1, merkle.leaf_hash(b"")).to_json()
    vectors.append(good("the API object: treeSize and rootHash agree with the text", kind="json", checkpoint=api))
    for description, field, value in (
        ("treeSize differs from the text", "checkpoint.treeSize", {**api, "treeSize": bundle_size + 1}),
        ("treeSize missing", "checkpoint.treeSize", {k: v for k, v in api.items() if k != "treeSize"}),
        ("treeSize as a boolean (true is not 1)", "checkpoint.treeSize", {**one, "treeSize": True}),
        ("treeSize as a JSON fraction", "checkpoint.treeSize", {**api, "treeSize": bundle_size + 0.0}),
        ("rootHash differs from the text", "checkpoint.rootHash", {**api, "rootHash": hx(sha("other"))}),
        ("rootHash not hex", "checkpoint.rootHash", {**api, "rootHash": "0x" + "zz" * 32}),
        ("the text missing", "checkpoint", {k: v for k, v in api.items() if k != "checkpoint"}),
        ("not an object", "checkpoint", [api]),
    ):
        vectors.append(bad(description, "InvalidField", field, kind="json", checkpoint=value))
    return {
        "description": (
            "C2SP tlog-checkpoint bodies: `<origin>\\n<tree size>\\n<base64 root hash>\\n`, exactly three lines, decimal "
            "size without leading zeros below 2^63, canonical standard base64 of 32 bytes. Kind `text`: "
            "Checkpoint.from_text, then to_text must give back `text`; kind `json`: the API object "
            "{treeSize, rootHash, checkpoint} whose three parts must agree."
        ),
        "vectors": vectors,
    }


# --- proof bundles ----------------------------------------------------------------------------

TX_HASH = keccak256(b"saksi test anchor transaction 1")


def _bundle_log(case_events: Sequence[ServiceEvent]) -> tuple[list[dict[str, Any]], merkle.MemoryTree]:
    """An 11-leaf log: the three case events at leaves 2, 5 and 9 among other agencies' events."""
    sim = Case("SIM-BDG-2026-000100", 20, "polri.sim.bdg")
    paspor = Case("PAS-SBY-2026-000200", 21, "imigrasi.sby")
    aduan = Case("ADU-MDN-2026-000300", 22, "pengaduan.kota-mdn")
    sim2 = Case("SIM-BDG-2026-000101", 23, "polri.sim.bdg")
    others = iter(
        [
            sim.next("application.submitted", "Pendaftaran SIM C diterima."),
            paspor.next("application.submitted", "Permohonan paspor diterima.", hours=1),
            sim.next("exam.passed", "Ujian praktik SIM C lulus.", hours=26),
            aduan.next("complaint.filed", "Pengaduan: lampu jalan mati di Jl. Merdeka.", hours=2),
            paspor.next("interview.completed", "Wawancara paspor selesai.", hours=28),
            sim2.next("application.submitted", "Pendaftaran perpanjangan SIM A diterima.", hours=30),
            aduan.next("complaint.resolved", "Lampu jalan sudah diperbaiki 💡", hours=50),
            sim2.next("document.issued", "SIM A sudah terbit.", hours=75),
        ]
    )
    case = iter(case_events)
    log: list[dict[str, Any]] = []
    for index in range(11):
        event = next(case) if index in (2, 5, 9) else next(others)
        signature = _signed(DOMAIN, event, agency_key(event.agency))
        received_at = (BASE_TIME_S + 80 * 3600) * 1000 + index * 1_500  # one upload after the last event
        leaf = leaf_bytes(event.digest(DOMAIN), signature, received_at)
        log.append(
            {"event": event, "signature": signature, "receivedAt": received_at, "leafHash": merkle.leaf_hash(leaf)}
        )
    return log, merkle.MemoryTree(entry["leafHash"] for entry in log)


def _bundle_leaf_bytes() -> list[bytes]:
    """The leaf bytes of the bundles' 11-leaf log (the tlog-proof vectors of notes.json prove them)."""
    log, _ = _bundle_log(_case_events()[1])
    return [leaf_bytes(e["event"].digest(DOMAIN), e["signature"], e["receivedAt"]) for e in log]


def _bundle(
    log: list[dict[str, Any]], tree: merkle.MemoryTree, indexes: Sequence[int], commitment: bytes | None
) -> dict[str, Any]:
    checkpoint = Checkpoint(default_origin(DOMAIN.chain_id, DOMAIN.verifying_contract), tree.size, tree.root())
    return {
        "format": BUNDLE_FORMAT,
        "eip712Domain": DOMAIN.to_json(),
        "checkpoint": checkpoint.to_json(),
        "anchor": {
            "chainId": DOMAIN.chain_id,
            "contract": hx(DOMAIN.verifying_contract),
            "txHash": hx(TX_HASH),
            "blockNumber": 42,
        },
        "caseCommitment": None if commitment is None else hx(commitment),
        "events": [
            {
                "event": log[i]["event"].to_json(),
                "signature": hx(log[i]["signature"]),
                "signer": hx(address_of_key(agency_key(log[i]["event"].agency))),
                "leafIndex": i,
                "leafHash": hx(log[i]["leafHash"]),
                "receivedAt": log[i]["receivedAt"],
                "inclusionProof": [hx(p) for p in tree.inclusion_proof(i)],
            }
            for i in indexes
        ],
    }


def _case_events(third_prev: bytes | None = None) -> tuple[Case, list[ServiceEvent]]:
    ktp = Case("KTP-JKS-2026-000123", 10, "dukcapil.jaksel")
    events = [
        ktp.next("application.submitted", "Permohonan KTP-el diterima di Kecamatan Tebet.", hours=1),
        ktp.next("documents.verified", "Dokumen persyaratan sudah diverifikasi.", hours=27),
        ktp.next("document.issued", "KTP-el sudah dicetak dan siap diambil.", hours=74, prev=third_prev),
    ]
    return ktp, events


# TEST KEYS: the log's and the witnesses' Ed25519 seeds are SHA-256 of public strings, never for real use.
LOG_SEED = hashlib.sha256(b"saksi test log key").digest()
OTHER_LOG_SEED = hashlib.sha256(b"saksi test rogue log key").digest()
TEST_WITNESSES = (  # (policy name, display name, key name, seed label)
    ("ombudsman", "Ombudsman RI", "ombudsman.go.id-test", "saksi test witness key 1"),
    ("bpk", "BPK", "bpk.go.id-test", "saksi test witness key 2"),
    ("ui", "Universitas Indonesia", "ui.ac.id-test", "saksi test witness key 3"),
)
ROGUE_WITNESS_SEED = hashlib.sha256(b"saksi test witness key 4").digest()
COSIGNED_AT = BASE_TIME_S + 80 * 3600 + 60  # a minute after the upload of _bundle_log


def test_cosigners() -> list[Cosigner]:
    return [Cosigner(key_name, hashlib.sha256(label.encode()).digest()) for _, _, key_name, label in TEST_WITNESSES]


def test_policy(log_vkey: str, quorum: str = "group witnesses 2 ombudsman bpk ui\nquorum witnesses\n") -> str:
    """A 2-of-3 C2SP tlog-policy of TEST keys, with Saksi's `# name:` display names."""
    lines = [
        "# Saksi TEST policy: every key here is a TEST key (Ed25519 seeds SHA-256 of public strings).",
        f"log {log_vkey}",
        "",
    ]
    for (name, display, _, _), cosigner in zip(TEST_WITNESSES, test_cosigners(), strict=True):
        lines += [f"# name: {display}", f"witness {name} {cosigner.vkey}"]
    return "\n".join(lines) + "\n" + quorum


def signed_note(
    text: str, cosigners: Sequence[int] = (0, 1), seed: bytes = LOG_SEED, origin: str | None = None
) -> Note:
    """The checkpoint `text` signed by the TEST log key and cosigned by the TEST witnesses at `cosigners`."""
    name = origin or text.split("\n")[0]
    signatures = [NoteSigner(name, seed).sign(text)]
    witnesses = test_cosigners()
    signatures += [witnesses[i].cosign(text, COSIGNED_AT + 7 * i) for i in cosigners]
    return Note(text, tuple(signatures))


def build_bundles() -> tuple[dict[str, Any], bytes, int]:
    ktp, events = _case_events()
    log, tree = _bundle_log(events)
    good_bundle = _bundle(log, tree, (2, 5, 9), ktp.commitment)
    signers = {agency: [hx(address_of_key(saksi_test_key(n)))] for agency, n in AGENCY_KEYS.items()}
    vectors: list[dict[str, Any]] = [
        good(
            "a case bundle: three events of one KTP case (leaves 2, 5, 9 of 11), anchored on anvil",
            kind="bundle",
            bundle=good_bundle,
        ),
        good(
            "the same bundle checked against the chain and the agency registry",
            kind="bundle",
            bundle=good_bundle,
            anchoredRoot=hx(tree.root()),
            authorisedSigners=signers,
        ),
    ]

    def tampered(
        description: str, error: str, edit: Callable[[dict[str, Any]], None], field: str | None = None, **extra: Any
    ) -> None:
        bundle = json.loads(json.dumps(good_bundle))
        edit(bundle)
        vectors.append(bad(description, error, field, kind="bundle", bundle=bundle, **extra))

    def reordered(b: dict[str, Any]) -> None:
        b["events"] = [b["events"][2], b["events"][0], b["events"][1]]

    bundle = json.loads(json.dumps(good_bundle))
    reordered(bundle)
    vectors.append(
        good("events listed out of order: the case chain is checked by caseSeq", kind="bundle", bundle=bundle)
    )
    vectors.append(
        good(
            "an event bundle (no caseCommitment): one event, its proof and the checkpoint",
            kind="bundle",
            bundle=_bundle(log, tree, (4,), None),
        )
    )

    def set_(path: Sequence[Any], value: Any) -> Callable[[dict[str, Any]], None]:
        def edit(b: dict[str, Any]) -> None:
            target: Any = b
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value

        return edit

    def swap_signatures(b: dict[str, Any]) -> None:
        e = b["events"]
        e[0]["signature"], e[1]["signature"] = e[1]["signature"], e[0]["signature"]

    def flip_proof(b: dict[str, Any]) -> None:
        proof = b["events"][1]["inclusionProof"]
        proof[0] = hx(flip_bit(bytes.fromhex(proof[0][2:]), element_bit(0)))

    def drop_second(b: dict[str, Any]) -> None:
        del b["events"][1]

    def drop_case_seq(b: dict[str, Any]) -> None:
        del b["events"][1]["event"]["caseSeq"]

    def wrong_origin(b: dict[str, Any]) -> None:
        cp = Checkpoint(default_origin(1, DOMAIN.verifying_contract), tree.size, tree.root())
        b["checkpoint"] = cp.to_json()

    def other_root(b: dict[str, Any]) -> None:
        b["checkpoint"] = Checkpoint(b["checkpoint"]["checkpoint"].split("\n")[0], tree.size, tree.root(10)).to_json()

    def other_case_event(b: dict[str, Any]) -> None:
        b["events"].append(_bundle(log, tree, (4,), None)["events"][0])

    def duplicate(b: dict[str, Any]) -> None:
        b["events"].append(json.loads(json.dumps(b["events"][1])))

    sig0 = bytes.fromhex(good_bundle["events"][0]["signature"][2:])
    tampered(
        "summary edited after signing", "SignatureMismatch", set_(("events", 1, "event", "summary"), "Dokumen ditolak.")
    )
    tampered("signatures of events 0 and 1 swapped", "SignatureMismatch", swap_signatures)
    tampered(
        "the stated signer is another address",
        "SignatureMismatch",
        set_(("events", 0, "signer"), hx(address_of_key(saksi_test_key(ROGUE_KEY)))),
    )
    tampered("the high-s form of a signature", "SignatureMismatch", set_(("events", 0, "signature"), hx(_high_s(sig0))))
    tampered(
        "a signature with v = 0/1: bundles carry the canonical form",
        "SignatureMismatch",
        set_(("events", 0, "signature"), hx(sig0[:64] + bytes([sig0[64] - 27]))),
    )
    tampered(
        "prevEventHash edited without re-signing",
        "SignatureMismatch",
        set_(("events", 2, "event", "prevEventHash"), hx(sha("x"))),
    )
    tampered(
        "receivedAt edited: the leaf hash no longer matches",
        "RootMismatch",
        set_(("events", 0, "receivedAt"), good_bundle["events"][0]["receivedAt"] + 1),
    )
    tampered(
        "leafHash replaced by another leaf's", "RootMismatch", set_(("events", 0, "leafHash"), hx(log[3]["leafHash"]))
    )
    tampered("inclusion proof with one bit flipped", "InclusionProofInvalid", flip_proof)
    tampered(
        "inclusion proof truncated",
        "InclusionProofInvalid",
        set_(("events", 0, "inclusionProof"), good_bundle["events"][0]["inclusionProof"][:-1]),
    )
    tampered("wrong leafIndex", "InclusionProofInvalid", set_(("events", 0, "leafIndex"), 3))
    tampered("checkpoint replaced by one with another root (size 10's)", "InclusionProofInvalid", other_root)
    tampered("checkpoint origin names chain id 1, not the domain's 31337", "VerificationFailed", wrong_origin)
    tampered("anchor on another chain than the domain", "VerificationFailed", set_(("anchor", "chainId"), 1))
    tampered("caseSeq 2 missing from the case bundle", "VerificationFailed", drop_second)
    tampered("an event of another case in the case bundle", "VerificationFailed", other_case_event)
    tampered("the same event twice", "VerificationFailed", duplicate)
    tampered("caseSeq field missing from an event", "InvalidField", drop_case_seq, field="event.caseSeq")
    tampered(
        "checkpoint treeSize disagrees with its text",
        "InvalidField",
        set_(("checkpoint", "treeSize"), 12),
        field="checkpoint.treeSize",
    )
    tampered("unknown bundle format", "InvalidField", set_(("format",), "saksi.proof-bundle/v2"), field="format")
    tampered("events empty", "InvalidField", set_(("events",), []), field="events")
    tampered(
        "the chain anchors another root at this size",
        "RootMismatch",
        lambda b: None,
        anchoredRoot=hx(tree.root(10)),
        authorisedSigners=signers,
    )
    tampered(
        "the signer was not the agency's registered signer",
        "SignatureMismatch",
        lambda b: None,
        anchoredRoot=hx(tree.root()),
        authorisedSigners={**signers, "dukcapil.jaksel": [hx(address_of_key(saksi_test_key(ROGUE_KEY)))]},
    )

    # The agency itself signed an event that does not extend the case head: everything verifies but the chain.
    forked, forked_events = _case_events(third_prev=sha("not the previous event"))
    flog, ftree = _bundle_log(forked_events)
    vectors.append(
        bad(
            "broken prevEventHash link: caseSeq 3, signed by the agency and logged, does not point at caseSeq 2",
            "VerificationFailed",
            kind="bundle",
            bundle=_bundle(flog, ftree, (2, 5, 9), forked.commitment),
        )
    )
    vectors += _witnessed_bundles(good_bundle, tree, signers)
    doc = {
        "description": (
            "Proof bundles (format saksi.proof-bundle/v1) and the error verify_bundle must raise for each tampering. "
            + TEST_KEY_NOTE
            + " `anchoredRoot`, when present, is what the chain returns for the checkpoint's tree size "
            "(root_at); `authorisedSigners`, when present, lists each agency's registered signers (signer_authorised). "
            "`policy` (a C2SP tlog-policy text) and `logVkey`, when present, are the trust inputs of step 2; "
            "`witnesses` is the outcome step 2 must report for a valid bundle (status pass or warn, why it warns, "
            'who cosigned and when). The log and witness keys are TEST keys: Ed25519 seeds SHA-256("saksi test log '
            'key") and SHA-256("saksi test witness key N"). '
            "Parsing errors (InvalidField) come from ProofBundle.from_json before verification."
        ),
        "vectors": vectors,
    }
    return doc, tree.root(), tree.size


def _witnessed_bundles(
    good_bundle: dict[str, Any], tree: merkle.MemoryTree, signers: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """Step 2 (FORMATS 10.3): bundles whose checkpoint carries its signed note, checked against a TEST policy."""
    text = good_bundle["checkpoint"]["checkpoint"]
    origin = text.split("\n")[0]
    log_vkey = str(NoteSigner(origin, LOG_SEED).vkey)
    policy = test_policy(log_vkey)
    vectors: list[dict[str, Any]] = []

    def with_note(note: Note | str | None) -> dict[str, Any]:
        bundle = json.loads(json.dumps(good_bundle))
        if note is not None:
            bundle["checkpoint"]["note"] = note if isinstance(note, str) else note.serialize()
        return bundle

    def outcome(status: str, reason: str | None, cosigned: Sequence[int], required: int = 2) -> dict[str, Any]:
        return {
            "status": status,
            "reason": reason,
            "logKey": None if reason in ("no-note", "no-policy") else log_vkey,
            "cosigned": [
                {"witness": TEST_WITNESSES[i][0], "displayName": TEST_WITNESSES[i][1], "timestamp": COSIGNED_AT + 7 * i}
                for i in cosigned
            ],
            "policyWitnesses": 3 if reason not in ("no-note", "no-policy") else 0,
            "required": required if reason not in ("no-note", "no-policy") else 0,
        }

    witnessed = with_note(signed_note(text))
    vectors.append(
        good(
            "witnessed: the checkpoint's note is signed by the log and cosigned by 2 of the policy's 3 witnesses",
            kind="bundle",
            bundle=witnessed,
            policy=policy,
            witnesses=outcome("pass", None, (0, 1)),
        )
    )
    vectors.append(
        good(
            "witnessed, and checked against the chain and the agency registry too: every step passes",
            kind="bundle",
            bundle=witnessed,
            policy=policy,
            logVkey=log_vkey,
            anchoredRoot=hx(tree.root()),
            authorisedSigners=signers,
            witnesses=outcome("pass", None, (0, 1)),
        )
    )
    vectors.append(
        good(
            "all three witnesses cosigned",
            kind="bundle",
            bundle=with_note(signed_note(text, (0, 1, 2))),
            policy=policy,
            witnesses=outcome("pass", None, (0, 1, 2)),
        )
    )
    vectors.append(
        good(
            "only one witness cosigned so far: the quorum (2) is not met, a warning, not a failure",
            kind="bundle",
            bundle=with_note(signed_note(text, (1,))),
            policy=policy,
            witnesses=outcome("warn", "quorum-not-met", (1,)),
        )
    )
    vectors.append(
        good(
            "signed by the log, no cosignature yet",
            kind="bundle",
            bundle=with_note(signed_note(text, ())),
            policy=policy,
            witnesses=outcome("warn", "quorum-not-met", ()),
        )
    )
    rogue = Cosigner("rogue.example-test", ROGUE_WITNESS_SEED).cosign(text, COSIGNED_AT)
    vectors.append(
        good(
            "a cosignature by a witness the policy does not name is ignored (it does not count)",
            kind="bundle",
            bundle=with_note(signed_note(text, (0,)).with_signatures([rogue])),
            policy=policy,
            witnesses=outcome("warn", "quorum-not-met", (0,)),
        )
    )
    vectors.append(
        good(
            "a note and the server's logVkey but no policy: the log's signature is checked, the witnesses are not",
            kind="bundle",
            bundle=witnessed,
            logVkey=log_vkey,
            witnesses={**outcome("warn", "no-policy", ()), "logKey": log_vkey},
        )
    )
    vectors.append(
        good(
            "a note but no trust input for it: nothing to check it against, a warning",
            kind="bundle",
            bundle=witnessed,
            witnesses={**outcome("warn", "no-policy", ()), "logKey": None},
        )
    )
    vectors.append(
        good(
            "a bundle made before witnessing (no note) checked with a policy: a warning, never a failure",
            kind="bundle",
            bundle=good_bundle,
            policy=policy,
            witnesses=outcome("warn", "no-note", ()),
        )
    )
    vectors.append(
        good(
            "quorum none: the policy requires no witness",
            kind="bundle",
            bundle=with_note(signed_note(text, ())),
            policy=test_policy(log_vkey, "quorum none\n"),
            witnesses=outcome("warn", "no-witness-required", (), required=0),
        )
    )

    def broken(description: str, error: str, bundle: dict[str, Any], field: str | None = None, **trust: Any) -> None:
        inputs = {key: value for key, value in ({"policy": policy} | trust).items() if value is not None}
        vectors.append(bad(description, error, field, kind="bundle", bundle=bundle, **inputs))

    note = signed_note(text)
    tampered_sig = bytearray(note.signatures[2].signature)
    tampered_sig[20] ^= 0x01
    forged = Note(text, (*note.signatures[:2], replace_signature(note.signatures[2], bytes(tampered_sig))))
    broken("a witness's cosignature with one bit flipped", "VerificationFailed", with_note(forged))
    later = bytearray(note.signatures[1].signature)
    later[7] ^= 0x01  # the timestamp is signed: another time breaks the cosignature
    broken(
        "a cosignature whose timestamp was changed",
        "VerificationFailed",
        with_note(
            Note(text, (note.signatures[0], replace_signature(note.signatures[1], bytes(later)), note.signatures[2]))
        ),
    )
    log_sig = bytearray(note.signatures[0].signature)
    log_sig[0] ^= 0x80
    broken(
        "the log's signature with one bit flipped",
        "VerificationFailed",
        with_note(Note(text, (replace_signature(note.signatures[0], bytes(log_sig)), *note.signatures[1:]))),
    )
    broken(
        "no signature by the log, only cosignatures",
        "VerificationFailed",
        with_note(Note(text, note.signatures[1:])),
    )
    broken(
        "signed by another key under the log's name (a rogue log key)",
        "VerificationFailed",
        with_note(signed_note(text, (0, 1), seed=OTHER_LOG_SEED)),
        logVkey=log_vkey,
    )
    other_text = Checkpoint(origin, tree.size - 1, tree.root(tree.size - 1)).to_text()
    broken(
        "the note signs another checkpoint (size 10) than the bundle's: text mismatch",
        "VerificationFailed",
        with_note(signed_note(other_text)),
    )
    broken(
        "the server's logVkey is not the policy's log key",
        "VerificationFailed",
        witnessed,
        logVkey=str(NoteSigner(origin, OTHER_LOG_SEED).vkey),
    )
    broken(
        "the policy names no log for this origin",
        "VerificationFailed",
        witnessed,
        policy=test_policy(str(NoteSigner("saksi/eip155:1/" + hx(DOMAIN.verifying_contract), LOG_SEED).vkey)),
    )
    broken(
        "a logVkey not named after the origin",
        "VerificationFailed",
        witnessed,
        policy=None,
        logVkey=str(NoteSigner("example.com/other-log", LOG_SEED).vkey),
    )
    broken(
        "a note with no signature line",
        "InvalidField",
        with_note(text + "\n"),
        field="checkpoint.note",
    )
    broken(
        "a note that is not a string",
        "InvalidField",
        {**witnessed, "checkpoint": {**witnessed["checkpoint"], "note": ["not", "a", "note"]}},
        field="checkpoint.note",
    )
    broken(
        "a note whose log signature has lost its base64 padding",
        "InvalidField",
        with_note(
            text
            + "\n"
            + note.signatures[0].line().replace("=\n", "\n")
            + "".join(s.line() for s in note.signatures[1:])
        ),
        field="checkpoint.note",
    )
    for vector in vectors:
        if "witnesses" in vector:
            vector["witnesses"]["summary"] = _summary(vector["witnesses"])
    return vectors


def _summary(w: dict[str, Any]) -> str:
    """The plain-English line step 2 reports (the JavaScript verifier must word it the same)."""
    cosigned = tuple(Cosigned(c["witness"], c["displayName"], c["timestamp"]) for c in w["cosigned"])
    report = WitnessReport(w["status"], w["reason"], w["logKey"], cosigned, w["policyWitnesses"], w["required"])
    return report.summary()


def replace_signature(sig: Any, signature: bytes) -> Any:
    return type(sig)(sig.name, sig.key_id, signature)


# --- writing and checking ---------------------------------------------------------------------


def _unhex(value: str) -> bytes:
    return bytes.fromhex(value[2:])


def _assert_outcomes(doc: dict[str, Any], replay: Callable[[dict[str, Any]], Any]) -> None:
    """Refuse to write a Merkle vector whose hand-written expectation the core does not meet."""
    for vector in doc["vectors"]:
        got = outcome(functools.partial(replay, vector))
        if got != vector["error"]:
            raise AssertionError(f"{vector['description']!r}: the core gives {got}, the vector says {vector['error']}")


def _replay_inclusion(v: dict[str, Any]) -> None:
    proof = [_unhex(p) for p in v["proof"]]
    merkle.verify_inclusion(v["leafIndex"], v["treeSize"], _unhex(v["leafHash"]), proof, _unhex(v["rootHash"]))


def _replay_consistency(v: dict[str, Any]) -> None:
    proof = [_unhex(p) for p in v["proof"]]
    merkle.verify_consistency(v["oldSize"], v["newSize"], _unhex(v["oldRoot"]), _unhex(v["newRoot"]), proof)


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generate() -> dict[str, str]:
    """File name -> exact text of every vector file."""
    tree = _vector_tree()
    bundles, bundle_root, bundle_size = build_bundles()
    docs = {
        "merkle_ct.json": build_merkle_ct(),
        "inclusion.json": build_inclusion(tree),
        "consistency.json": build_consistency(tree),
        "events.json": build_events(),
        "commitments.json": build_commitments(),
        "checkpoints.json": build_checkpoints(bundle_root, bundle_size),
        "bundles.json": bundles,
        "notes.json": build_notes(_bundle_leaf_bytes()),
        "receipts.json": build_receipts(bundles),
    }
    _assert_outcomes(docs["inclusion.json"], _replay_inclusion)
    _assert_outcomes(docs["consistency.json"], _replay_consistency)
    return {name: render(doc) for name, doc in docs.items()}


def check(out_dir: Path, files: dict[str, str]) -> list[str]:
    """One line (plus a short diff) per file that differs from what the generator makes."""
    problems: list[str] = []
    for name, text in files.items():
        path = out_dir / name
        if not path.exists():
            problems.append(f"{name}: missing")
            continue
        current = path.read_text(encoding="utf-8")
        if current != text:
            diff = list(
                difflib.unified_diff(
                    current.splitlines(),
                    text.splitlines(),
                    f"{name} (on disk)",
                    f"{name} (generated)",
                    lineterm="",
                    n=1,
                )
            )
            shown = "\n".join(diff[:40]) + ("\n  ..." if len(diff) > 40 else "")
            changed = sum(1 for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---")))
            problems.append(f"{name}: differs ({changed} lines)\n{shown}")
    for path in sorted(out_dir.glob("*.json")):
        if path.name not in files:
            problems.append(f"{path.name}: not made by the generator (remove it or add it to scripts/gen_vectors.py)")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files on disk; exit 1 on any difference")
    parser.add_argument("--out", type=Path, default=VECTORS_DIR, help=f"vector directory (default {VECTORS_DIR})")
    args = parser.parse_args(argv)
    files = generate()
    if args.check:
        problems = check(args.out, files)
        if problems:
            print(
                f"golden vectors are stale: run `python scripts/gen_vectors.py` and commit ({len(problems)} files)",
                file=sys.stderr,
            )
            for problem in problems:
                print(problem, file=sys.stderr)
            return 1
        print(f"golden vectors up to date ({len(files)} files)")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.out / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
