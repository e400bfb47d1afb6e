"""Audit benchmark at scale: full audit of N events (signatures rechecked or not) and an incremental
audit of the events that came after it, on SQLite.

The ledger is built without the append path but exactly as the append path would leave it, so
the audit has something real to recheck: every event carries a REAL EIP-712 signature by its
office's TEST key, cases of four events form hash chains (prevEventHash = hashStruct of the
predecessor), the first event of every case has a salted payload, case heads, every tree node,
checkpoints and their (confirmed) anchors are stored, and the "chain" (roots and registry) is
given to the auditor as trust inputs. Events are generated and signed in worker processes
(≈50 µs per signature), then bulk-inserted; a 1,000,000-event ledger builds in 1-1.5 minutes on
2 cores (≈550 MB of SQLite). Timings are figures to read, never assertions.

    .venv/bin/python benchmarks/bench_audit.py --events 1000000 --incremental 10000
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from coincurve import PrivateKey  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from ledger.core import merkle  # noqa: E402
from ledger.core.commitment import canonical_json  # noqa: E402
from ledger.core.encoding import ZERO32, keccak256  # noqa: E402
from ledger.core.events import SERVICE_EVENT_TYPEHASH, ServiceEvent  # noqa: E402
from ledger.storage.schema import anchors  # noqa: E402
from ledger.storage.sql import CaseHead, event_row  # noqa: E402
from tests.factories import TEST_DOMAIN, AgencyKey, FakeClock  # noqa: E402

OFFICES = tuple(
    AgencyKey(code)
    for code in (
        "dukcapil.jaksel",
        "dukcapil.jaktim",
        "dukcapil.bandung",
        "polri.satpas-bandung",
        "polri.satpas-surabaya",
        "imigrasi.surabaya",
        "imigrasi.medan",
        "pemkot.makassar",
    )
)
STEPS = (
    ("application.submitted", "Permohonan diterima di kantor layanan"),
    ("documents.verified", "Dokumen persyaratan diverifikasi"),
    ("application.approved", "Permohonan disetujui"),
    ("document.issued", "Dokumen diterbitkan dan siap diambil"),
)
CASE_LENGTH = len(STEPS)
BASE_S = 1_764_000_000
BASE_MS = BASE_S * 1000
CHUNK = 20_000  # events per worker task


def _office(case: int) -> AgencyKey:
    return OFFICES[case % len(OFFICES)]


def _commitment(case: int) -> bytes:
    return hashlib.sha256(b"bench case %d" % case).digest()


def _payload(case: int) -> tuple[bytes, bytes]:
    salt = hashlib.sha256(b"bench salt %d" % case).digest()[:16]
    body = canonical_json({"nama": f"Warga {case}", "nik": f"{3174000000000000 + case}", "kantor": _office(case).code})
    return salt, body


def _struct(number: int, prev: bytes, digest_p: bytes) -> bytes:
    case, step = divmod(number, CASE_LENGTH)
    event_type, summary = STEPS[step]
    return keccak256(
        SERVICE_EVENT_TYPEHASH
        + keccak256(b"ev-%d" % number)
        + keccak256(_office(case).code.encode())
        + _commitment(case)
        + (step + 1).to_bytes(32, "big")
        + prev
        + keccak256(event_type.encode())
        + keccak256(summary.encode())
        + (BASE_S + number).to_bytes(32, "big")
        + digest_p
    )


def _digest_p(number: int) -> bytes:
    if number % CASE_LENGTH:
        return ZERO32
    salt, body = _payload(number // CASE_LENGTH)
    return hashlib.sha256(salt + body).digest()


def generate(start: int, end: int) -> tuple[list[tuple], list[tuple], dict[bytes, tuple]]:
    """Signed event rows for event numbers [start, end) (= leaf indexes), their payloads and case heads."""
    keys = {o.code: (PrivateKey(o.key), o.address) for o in OFFICES}
    separator = TEST_DOMAIN.separator
    sha256 = hashlib.sha256
    # the hashStruct of the event before `start` in its case (recomputed, it is deterministic)
    prev = ZERO32
    for number in range(start - start % CASE_LENGTH, start):
        prev = _struct(number, prev, _digest_p(number))
    rows, payload_rows, heads = [], [], {}
    for number in range(start, end):
        case, step = divmod(number, CASE_LENGTH)
        if step == 0:
            prev = ZERO32
        office = _office(case)
        digest_p = _digest_p(number)
        struct = _struct(number, prev, digest_p)
        digest = keccak256(b"\x19\x01" + separator + struct)
        key, address = keys[office.code]
        raw = key.sign_recoverable(digest, hasher=None)
        signature = raw[:64] + bytes([raw[64] + 27])
        received = BASE_MS + number * 10
        leaf = sha256(b"\x00\x01" + digest + signature + received.to_bytes(8, "big")).digest()
        event_type, summary = STEPS[step]
        commitment = _commitment(case)
        event = ServiceEvent(
            event_id=f"ev-{number}",
            agency=office.code,
            case_commitment=commitment,
            case_seq=step + 1,
            prev_event_hash=prev,
            event_type=event_type,
            summary=summary,
            occurred_at=BASE_S + number,
            payload_digest=digest_p,
        )
        rows.append(event_row(number, event, signature, address, received, leaf))
        if digest_p != ZERO32:
            payload_rows.append((number, *_payload(case)))
        heads[commitment] = (step + 1, struct, number)
        prev = struct
    return rows, payload_rows, heads


class BenchLedger:
    """A SQLite ledger grown in bulk, with the chain's view of it kept beside (roots and registry)."""

    def __init__(self, directory: str, workers: int = 2) -> None:
        from ledger.storage.engine import DatabaseSettings, create_database_engine, upgrade
        from ledger.storage.sql import SqlStore

        engine = create_database_engine(
            DatabaseSettings(f"sqlite:///{directory}/audit.db", sqlite_synchronous="NORMAL")
        )
        upgrade(engine)
        self.store = SqlStore(engine)
        self.workers = workers
        self.size = 0
        self.compact = merkle.CompactRange()
        self.chain_roots: dict[int, bytes] = {}
        with self.store.write() as tx:
            for office in OFFICES:
                tx.register_agency(office.code, office.code, office.address, at=0)

    def grow(self, count: int, checkpoints: int = 4) -> None:
        """Append `count` events, with `checkpoints` evenly spread checkpoints, each anchored."""
        start, end = self.size, self.size + count
        marks = sorted({start + count * (k + 1) // checkpoints for k in range(checkpoints)})
        chunks = [(a, min(a + CHUNK, end)) for a in range(start, end, CHUNK)]
        with ProcessPoolExecutor(self.workers) as pool:
            for rows, payload_rows, heads in pool.map(generate, *zip(*chunks, strict=True)):
                with self.store.write() as tx:
                    tx.insert_events(rows)
                    tx.insert_payloads([{"leaf_index": i, "salt": s, "payload": p} for i, s, p in payload_rows])
                    tx.upsert_case_heads(CaseHead(c, seq, h, i) for c, (seq, h, i) in heads.items())
                    nodes = []
                    for row in rows:
                        nodes += self.compact.append(row["leaf_hash"])
                        if self.compact.size in marks:
                            self._checkpoint(tx)
                    tx.insert_nodes(nodes)
                    tx.set_tree_size(self.compact.size)
        self.size = end

    def _checkpoint(self, tx) -> None:
        size, root = self.compact.size, self.compact.root()
        tx.add_checkpoint(size, root, "saksi/bench", BASE_MS)
        tx.conn.execute(
            insert(anchors).values(
                tree_size=size, chain_id=TEST_DOMAIN.chain_id, contract=TEST_DOMAIN.verifying_contract,
                tx_hash=size.to_bytes(32, "big"), nonce=len(self.chain_roots), block_number=len(self.chain_roots) + 1,
                status="confirmed", created_at=BASE_MS, updated_at=BASE_MS,
            )
        )  # fmt: skip
        self.chain_roots[size] = root

    def auditor(self, verify_signatures: bool = True):
        from ledger.audit.report import SignerWindow
        from ledger.audit.run import Auditor

        registry = [SignerWindow(o.code, o.address, 0, None) for o in OFFICES]
        clock = FakeClock(BASE_MS + self.size * 10 + 60_000)
        return Auditor(
            self.store,
            TEST_DOMAIN,
            clock,
            root_at=self.chain_roots.get,
            chain_checkpoints=dict(self.chain_roots),
            chain_registry=registry,
            verify_signatures=verify_signatures,
        )


def bench_audit(n_events: int, incremental_new: int = 10_000, workers: int = 2) -> list[dict]:
    """Figures (name, value, unit, goal, note): build, full audit with and without the signature
    recheck, incremental audit of `incremental_new` new events after a clean full audit."""
    figures: list[dict] = []
    per_million = 1_000_000 / n_events
    with tempfile.TemporaryDirectory() as directory:
        ledger = BenchLedger(directory, workers)
        started = time.perf_counter()
        ledger.grow(n_events)
        built = time.perf_counter() - started
        figures.append(
            {
                "name": f"build a {n_events:,}-event ledger (real signatures, bulk insert)",
                "value": built,
                "unit": "s",
                "goal": "",
                "note": f"{workers} worker processes sign",
            }
        )
        cursor = None
        for verify in (True, False):
            started = time.perf_counter()
            report = ledger.auditor(verify).run()
            elapsed = time.perf_counter() - started
            assert report.clean and report.events_checked == n_events, report.counts()
            assert report.signatures_checked == (n_events if verify else 0)
            cursor = cursor or report.cursor
            figures.append(
                {
                    "name": f"full audit of {n_events:,} events, signatures {'rechecked' if verify else 'not rechecked'}",
                    "value": elapsed,
                    "unit": "s",
                    "goal": "<= 60 s / 1M" if verify else "<= 15 s / 1M",
                    "note": f"{elapsed * per_million:.1f} s per 1,000,000 events (linear); "
                    f"{report.checkpoints_checked} checkpoints, {report.anchors_checked} anchors",
                }
            )
        if incremental_new:
            ledger.grow(incremental_new, checkpoints=1)
            started = time.perf_counter()
            report = ledger.auditor(True).run(cursor)
            elapsed = time.perf_counter() - started
            assert report.clean, report.counts()
            figures.append(
                {
                    "name": f"incremental audit of {incremental_new:,} new events, signatures rechecked",
                    "value": elapsed,
                    "unit": "s",
                    "goal": "<= 2 s",
                    "note": f"resumes at leaf {cursor.boundary:,}; {report.events_checked:,} events read from "
                    "that page boundary",
                }
            )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--incremental", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    for fig in bench_audit(args.events, args.incremental, args.workers):
        print(f"{fig['name']:<72} {fig['value']:>10,.2f} {fig['unit']:<3} {fig['goal']:<14} {fig['note']}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
