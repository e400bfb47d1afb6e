"""Bulk submission from JSONL or CSV, resumable without duplicates and without lookups.

Every item is built and signed once and written to a journal (fsynced) *before*
it is sent. The journal belongs to one submission: the log it was built for (its
origin and EIP-712 domain), the agency and its signer, and the file's content; a
journal of another submission is never reused. An interrupted run re-sends every
journalled item byte for byte, acknowledged or not, so that whether an event is
already in the log is only ever said by that log's own answer (an identical
resubmission gets its original receipt, `created: false`).

No case is looked up first: every case is built on the head the run knows (a case
first seen starts at 0), and the ledger's stale-case-head answer, which carries the
case's current head, is the authority; the case's refused items are built again on
it and re-sent. So bulk onboarding never touches the citizens' rate-limited routes.

The journal's format and the send loop share one invariant (journalled before sent, re-sent byte for
byte), so they are one module; the input rows they start from are read by ledger.checker.submit_input.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ledger.checker.client import AgencyClient, CaseState
from ledger.checker.submit_input import InputEvent, read_input
from ledger.core.commitment import canonical_json
from ledger.core.encoding import hex0x
from ledger.core.events import ServiceEvent
from ledger.errors import InvalidInput, RetryLater, SaksiError, StaleCaseHead

JOURNAL_FORMAT = "saksi.submit-journal/v1"
MAX_REBASES = 5  # rounds of stale-case-head answers per batch before a case's items are reported refused


def submission_key(info: dict[str, Any], agency: str, signer: bytes, content: bytes) -> str:
    """What makes a submission: the log (origin and EIP-712 domain), the agency, its signer, the file."""
    identity = {
        "origin": info.get("origin"),
        "eip712Domain": info.get("eip712Domain"),
        "agency": agency,
        "signer": hex0x(signer),
        "file": hashlib.sha256(content).hexdigest(),
    }
    return hashlib.sha256(canonical_json(identity)).hexdigest()


def default_journal_path(path: Path, key: str) -> Path:
    """One journal per submission, beside the input. Two logs of the same contract address and chain
    id (two local demos) share one: harmless, since every journalled event is sent again and each
    server answers for itself."""
    return path.with_name(f"{path.name}.{key[:16]}.progress.jsonl")


class Journal:
    """Append-only JSONL: a header naming the submission, then built items and acknowledgements."""

    def __init__(self, path: Path, key: str, legacy: bool = False) -> None:
        """`legacy`: the caller named this journal, so one an earlier saksi submit wrote (no header,
        so no telling which submission it was) may be resumed: its items are sent again and the
        server says what it holds."""
        self.path = path
        self.built: dict[int, dict[str, Any]] = {}  # input line -> item (the latest build wins)
        self.acked: dict[int, dict[str, Any]] = {}  # input line -> receipt
        fresh = not path.exists() or path.stat().st_size == 0
        if not fresh:
            records = path.read_bytes().splitlines()
            header = _record(records[0]) if records else None
            headerless = legacy and header is not None and header.get("kind") in ("built", "acked")
            if not headerless and (not header or header.get("kind") != "header" or header.get("key") != key):
                raise InvalidInput(
                    f"{path} is the journal of another submission (another server, agency, key or file content): "
                    "give another --journal or remove it"
                )
            for raw in records if headerless else records[1:]:
                record = _record(raw)
                if record is None:
                    break  # a torn last line after a crash: everything before it is intact
                (self.built if record["kind"] == "built" else self.acked)[record["line"]] = record["data"]
        self._handle = open(path, "ab")  # noqa: SIM115 - kept open for the run
        if fresh:
            self._append([{"kind": "header", "format": JOURNAL_FORMAT, "key": key}])

    def write(self, kind: str, records: list[tuple[int, dict[str, Any]]]) -> None:
        self._append([{"kind": kind, "line": line, "data": data} for line, data in records])
        for line, data in records:
            (self.built if kind == "built" else self.acked)[line] = data

    def _append(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            self._handle.write(orjson.dumps(record) + b"\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


def _record(raw: bytes) -> dict[str, Any] | None:
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return record if isinstance(record, dict) else None


@dataclass
class SubmitReport:
    total: int = 0
    created: int = 0
    already: int = 0  # said by the server: an identical resubmission, answered with its original receipt
    rebuilt: int = 0  # built again on the head named by a stale-case-head answer
    failed: list[tuple[int, str]] = field(default_factory=list)
    journal: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "created": self.created,
            "alreadyAccepted": self.already,
            "rebuilt": self.rebuilt,
            "failed": [{"line": line, "error": error} for line, error in self.failed],
            "journal": None if self.journal is None else str(self.journal),
        }


CaseKey = tuple[str, bytes]


def submit_file(
    client: AgencyClient,
    path: Path,
    journal_path: Path | None = None,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
    max_wait_s: float = 300.0,
    on_total: Callable[[int], None] | None = None,
) -> SubmitReport:
    """Submit the file's events in batches; the next batch is built and signed while one is in flight.

    Requests stay one at a time and in order; only the building overlaps the server's answer."""
    events = read_input(path)
    if on_total:
        on_total(len(events))
    key = submission_key(client.info(), client.agency, client.address, path.read_bytes())
    named = journal_path is not None
    journal_path = journal_path or default_journal_path(path, key)
    legacy = path.with_name(path.name + ".progress.jsonl")
    if not named and legacy.exists() and not journal_path.exists():
        raise InvalidInput(
            f"{legacy} is the journal of an earlier saksi submit, which does not say which server it was for: "
            f"resume it with --journal {legacy} (every event in it is sent again and the server says which it "
            "holds), or remove it"
        )
    journal = Journal(journal_path, key, legacy=named)
    run = _Run(client, journal, SubmitReport(total=len(events), journal=journal_path), max_wait_s)
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="saksi-submit") as sender:
            in_flight: tuple[Future[list[Any]], dict[int, Pending], int] | None = None
            for chunk in _chunks(events, batch_size):
                pending = run.build(chunk)
                if in_flight is not None:
                    run.finish(*in_flight, progress)
                items = [pending[line][1] for line in sorted(pending)]
                in_flight = (sender.submit(_send_with_retry, client, items, max_wait_s), pending, len(chunk))
            if in_flight is not None:
                run.finish(*in_flight, progress)
    finally:
        journal.close()
    return run.report


Pending = tuple[InputEvent, dict[str, Any]]


class _Run:
    """The state of one submission: case heads as this run knows them, and the cases it stopped."""

    def __init__(self, client: AgencyClient, journal: Journal, report: SubmitReport, max_wait_s: float) -> None:
        self.client = client
        self.journal = journal
        self.report = report
        self.max_wait_s = max_wait_s
        self.cases: dict[CaseKey, CaseState] = {}
        self.blocked: dict[CaseKey, int] = {}  # a case whose event was refused: its later events are not sent

    def build(self, chunk: list[InputEvent]) -> dict[int, Pending]:
        """The chunk's items: journalled ones as they were signed, the others built and journalled now."""
        pending: dict[int, Pending] = {}
        new_built: list[tuple[int, dict[str, Any]]] = []
        for event in chunk:
            refused = self.blocked.get((event.case_ref, event.case_key))
            if refused is not None:
                self.report.failed.append((event.line, _after_refusal(refused)))
                continue
            item = self.journal.built.get(event.line)
            if item is None:
                item = _build(self.client, self.cases, event)
                new_built.append((event.line, item))
            else:
                _advance(self.cases, event, item)
            pending[event.line] = (event, item)
        if new_built:
            self.journal.write("built", new_built)  # before sending: a retry must resend the same bytes
        return pending

    def finish(
        self,
        sent: Future[list[Any]],
        pending: dict[int, Pending],
        size: int,
        progress: Callable[[int], None] | None,
    ) -> None:
        """Take the server's answers to a batch; send again, on the heads it named, what was stale."""
        outcomes = sent.result() if pending else []
        for _ in range(MAX_REBASES + 1):
            pending = self.answer(pending, outcomes)
            pending = {line: p for line, p in pending.items() if not self._stopped(line, p[0])}
            if not pending:
                break
            outcomes = _send_with_retry(self.client, [pending[line][1] for line in sorted(pending)], self.max_wait_s)
        for line, (event, _) in sorted(pending.items()):
            self.blocked.setdefault((event.case_ref, event.case_key), line)
            self.report.failed.append((line, "the case's head kept moving (stale-case-head): run again"))
        if progress:
            progress(size)

    def _stopped(self, line: int, event: InputEvent) -> bool:
        refused = self.blocked.get((event.case_ref, event.case_key))
        if refused is None:
            return False
        self.report.failed.append((line, _after_refusal(refused)))
        return True

    def answer(self, pending: dict[int, Pending], outcomes: list[Any]) -> dict[int, Pending]:
        """Count what the server said; return the stale items, built again on the heads it named.

        Only a case's first unaccepted event may move to the server's head: an event built on one
        the server refused would otherwise be appended on top of what the case already holds
        (twice, if the refused one was an earlier copy of the same step)."""
        report = self.report
        acked: list[tuple[int, dict[str, Any]]] = []
        stale: dict[CaseKey, list[tuple[int, StaleCaseHead]]] = {}
        for line, outcome in zip(sorted(pending), outcomes, strict=True):
            event = pending[line][0]
            case_key = (event.case_ref, event.case_key)
            if case_key in self.blocked:
                report.failed.append((line, _after_refusal(self.blocked[case_key])))
            elif isinstance(outcome, StaleCaseHead):
                stale.setdefault(case_key, []).append((line, outcome))
            elif isinstance(outcome, SaksiError):
                self.blocked[case_key] = line
                report.failed.append((line, _refusal(outcome)))
            else:
                acked.append((line, outcome))
                if outcome.get("created"):
                    report.created += 1
                else:
                    report.already += 1
        if acked:
            self.journal.write("acked", acked)
        again: dict[int, Pending] = {}
        rebuilt: list[tuple[int, dict[str, Any]]] = []
        for case_key, refused in stale.items():
            AgencyClient.rebase(self.cases[case_key], refused[0][1])  # the head before its first refused item
            for line, _ in refused:
                event = pending[line][0]
                item = _build(self.client, self.cases, event)
                again[line] = (event, item)
                rebuilt.append((line, item))
        if rebuilt:
            self.journal.write("built", rebuilt)
            report.rebuilt += len(rebuilt)
        return again


def _after_refusal(line: int) -> str:
    return f"not sent: an earlier event of this case (line {line}) was refused, and this one builds on it"


def _refusal(error: SaksiError) -> str:
    if error.kind == "duplicate-event":
        return (
            f"{error.message} (the log holds another event under this eventId; "
            "if this file was submitted before without its journal, its payload salts differ)"
        )
    return error.message


def _build(client: AgencyClient, cases: dict[CaseKey, CaseState], event: InputEvent) -> dict[str, Any]:
    case = cases.setdefault((event.case_ref, event.case_key), client.open_case(event.case_ref, event.case_key))
    return client.build(
        case,
        event.event_type,
        event.summary,
        occurred_at=event.occurred_at,
        event_id=event.event_id,
        payload=event.payload,
    )


def _advance(cases: dict[CaseKey, CaseState], event: InputEvent, item: dict[str, Any]) -> None:
    """Move the in-memory head past a journalled item."""
    built = ServiceEvent.from_json(item["event"])
    case = cases.setdefault((event.case_ref, event.case_key), CaseState(event.case_ref, event.case_key))
    case.seq, case.head = built.case_seq, built.hash_struct()


def _send_with_retry(client: AgencyClient, items: list[dict[str, Any]], max_wait_s: float) -> list[Any]:
    deadline = time.monotonic() + max_wait_s
    delay = 0.5
    while True:
        try:
            return client.submit(items)
        except RetryLater as exc:
            if time.monotonic() > deadline:
                raise
            wait = exc.evidence.get("retryAfter")
            pause = min(float(wait) if isinstance(wait, (int, float)) else delay, 60.0)
            if client.on_wait is not None:
                client.on_wait(pause, exc)
            time.sleep(pause)
            delay = min(delay * 2, 10.0)


def _chunks(items: list[InputEvent], size: int) -> Iterator[list[InputEvent]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
