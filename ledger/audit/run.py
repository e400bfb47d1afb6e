"""The audit's orchestration: :class:`Auditor` takes the store and the trust inputs, opens one snapshot,
runs :data:`ledger.audit.phases.PHASES` in order and feeds pages to a process pool.

Worker processes take whole pages: on an SQLite file they read the page themselves
(:func:`ledger.storage.audit_scan.read_own_page`, their own read-only snapshot), else this process reads
it for them; either way a worker runs the pure :func:`ledger.audit.page.audit_page` and returns only what
it found plus the page's right edge.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from ledger.audit.cosignatures import CosignatureReader, StoredSignatures
from ledger.audit.inputs import ChainEvidence
from ledger.audit.page import PageContext, PageResult, audit_page
from ledger.audit.phases import PHASES, AuditState, PageStream
from ledger.audit.report import AuditCursor, AuditReport, SignerWindow
from ledger.core.encoding import hex0x
from ledger.core.events import Domain
from ledger.core.policy import Policy
from ledger.storage.audit_scan import AuditScan, read_own_page, worker_database
from ledger.storage.sql import SqlStore

PAGE = 1 << 14  # leaves per page; a power of two so pages are perfect subtrees


def _page_of_file(
    ctx: PageContext, database: str, start: int, end: int, tree_end: int, sizes: Sequence[int]
) -> PageResult:
    """In a worker process: read the page from the SQLite file, then check it."""
    return audit_page(ctx, start, tree_end, sizes, read_own_page(database, start, end, tree_end, ctx.page_levels))


class _Inline(Executor):
    """Runs pages in this process (small ledgers, tests)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


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
        witness_policy: Policy | None = None,
        cosignatures: CosignatureReader | None = None,
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
        self.witness_policy = witness_policy
        # the server's stored signatures: given, or read from the storage (ledger.audit.cosignatures)
        self.cosignatures = cosignatures
        self.cosignatures_checked: int | None = None

    def run(self, resume: AuditCursor | None = None) -> AuditReport:
        """Audit everything, or (with `resume`) only what came after the cursor's page boundary."""
        report = AuditReport()
        start = 0 if resume is None else resume.boundary
        report.incremental_from = start
        with self.store.read() as reader:
            scan = AuditScan(reader.conn)
            report.tree_size = stored_size = reader.tree_size()
            if self.chain_inputs is not None:
                # read after the database's snapshot began: whatever it records as anchored is on chain by now
                self._use_chain(**self.chain_inputs())
            state = AuditState(
                scan, report, self._pages(scan), self.domain.separator, self.clock_ms, self.chain,
                self.chain_registry, self.origin, self.complaints_agency, self.verify_signatures,
                self.registry_tolerance_ms, self.page_size, self.max_unanchored_lag_s, self.progress, start,
                () if resume is None else resume.peaks, stored_size,
            )  # fmt: skip
            state.witness_policy = self.witness_policy
            state.cosignatures = self.cosignatures
            if state.cosignatures is None and self.witness_policy is not None and StoredSignatures.available(reader):
                log = None if self.origin is None else self.witness_policy.log_for(self.origin)
                state.cosignatures = StoredSignatures(reader, log)
            for _number, _name, phase in PHASES:
                report.discrepancies.extend(phase(state))
            witnessed = state.witness_policy is not None and state.cosignatures is not None
            self.cosignatures_checked = state.cosignatures_checked if witnessed else None
        report.scope = self._scope(start, state.committed_size)
        return report

    def _pages(self, scan: AuditScan) -> PageStream:
        """The page stream phase 3 consumes: pages checked in worker processes (in this one for one page or
        one worker), `workers + 1` in flight so every worker is busy while this process merges."""

        def pages(
            ctx: PageContext, ranges: Sequence[tuple[int, int]], sizes: Sequence[int]
        ) -> Generator[PageResult, None, None]:
            parallel = self.workers > 1 and len(ranges) > 1
            pool: Executor = ProcessPoolExecutor(self.workers) if parallel else _Inline()
            database = worker_database(self.store.engine) if parallel else None
            committed = ctx.committed_size

            def submit(page_range: tuple[int, int]) -> Future[PageResult]:
                a, b = page_range
                tree_end = min(b, committed)
                inside = [s for s in sizes if a < s <= tree_end]
                if database is not None and b <= committed:
                    # A worker reads the page itself, in its own snapshot: rows under the committed size
                    # never change (only a lawful erasure running during the audit could shred a payload
                    # whose erasure this snapshot does not see yet: reported missing, gone on a re-run).
                    return pool.submit(_page_of_file, ctx, database, a, b, tree_end, inside)
                return pool.submit(audit_page, ctx, a, tree_end, inside, scan.page(a, b, tree_end, ctx.page_levels))

            try:
                depth = self.workers + 1
                queue = [submit(r) for r in ranges[:depth]]
                for position in range(len(ranges)):
                    page = queue.pop(0).result()
                    if position + depth < len(ranges):
                        queue.append(submit(ranges[position + depth]))
                    yield page
            finally:
                if isinstance(pool, ProcessPoolExecutor):
                    pool.shutdown(wait=False, cancel_futures=True)

        return pages

    def _use_chain(
        self,
        root_at: Callable[[int], bytes | None] | None = None,
        chain_anchors: Iterable[Any] | None = None,
        chain_registry: Iterable[SignerWindow] | None = None,
        chain_id: int | None = None,
        contract: bytes | None = None,
        chain_head: int | None = None,
    ) -> None:
        """Trust inputs read from the chain (ledger.audit.inputs.chain_trust_inputs)."""
        self.root_at = root_at
        self.chain_registry = None if chain_registry is None else list(chain_registry)
        self.chain = ChainEvidence.of(chain_anchors, root_at, chain_id, contract, chain_head)

    def _scope(self, start: int, committed_size: int) -> dict[str, Any]:
        """What this audit checked, when, up to which size, and what it did not (FORMATS §15)."""
        chain = self.chain
        skipped: list[str] = []
        if chain is None:
            skipped.append("chain")
        if self.chain_registry is None:
            skipped.append("registry")
        if not self.verify_signatures:
            skipped.append("signatures")
        if start:
            skipped.append(f"leaves below {start}")
        if self.witness_policy is not None and self.cosignatures_checked is None:
            skipped.append("witnesses")  # a policy, but no stored signatures to read
        scope: dict[str, Any] = {
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
        if self.witness_policy is not None and self.cosignatures_checked is not None:
            scope["witnesses"] = {
                "policyWitnesses": len(self.witness_policy.witnesses),
                "signaturesChecked": self.cosignatures_checked,
            }
        return scope
