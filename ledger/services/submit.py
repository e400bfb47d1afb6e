"""Bulk submission from JSONL or CSV, resumable without duplicates.

Every item is built and signed once and written to a journal (fsynced) *before*
it is sent; acknowledgements are journalled after. An interrupted run re-sends
the journalled items byte for byte, which the ledger answers with their
original receipts, and builds the rest on top of the journalled case heads.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ledger.client import AgencyClient, CaseState
from ledger.core.commitment import parse_access_code
from ledger.core.encoding import parse_hex
from ledger.core.events import ServiceEvent
from ledger.errors import InvalidField, InvalidInput, RetryLater, SaksiError

INPUT_FIELDS = {"caseRef", "accessCode", "caseKey", "eventId", "eventType", "summary", "occurredAt", "payload"}


@dataclass(frozen=True)
class InputEvent:
    line: int
    case_ref: str
    case_key: bytes
    event_type: str
    summary: str
    event_id: str | None
    occurred_at: int | None
    payload: Any


def _parse_row(row: dict[str, Any], line: int) -> InputEvent:
    try:
        unknown = sorted(set(row) - INPUT_FIELDS)
        if unknown:
            raise InvalidField(unknown[0], "is not an input column")
        if "accessCode" in row and row["accessCode"]:
            key = parse_access_code(row["accessCode"])
        elif row.get("caseKey"):
            key = parse_hex("caseKey", row["caseKey"], 32)
        else:
            raise InvalidField("accessCode", "each event needs the case's accessCode (or caseKey)")
        for name in ("caseRef", "eventType", "summary"):
            if not isinstance(row.get(name), str) or not row[name]:
                raise InvalidField(name, "is required")
        occurred = row.get("occurredAt")
        if isinstance(occurred, str):
            occurred = int(occurred) if occurred.strip().isdigit() else None if not occurred.strip() else "bad"
        if occurred is not None and (isinstance(occurred, bool) or not isinstance(occurred, int)):
            raise InvalidField("occurredAt", "must be unix seconds")
        payload = row.get("payload")
        if isinstance(payload, str) and payload.strip():
            payload = orjson.loads(payload)
        elif payload == "":
            payload = None
        return InputEvent(
            line, row["caseRef"], key, row["eventType"], row["summary"], row.get("eventId") or None, occurred, payload
        )
    except orjson.JSONDecodeError:
        raise InvalidInput(f"line {line}: payload is not JSON") from None
    except SaksiError as exc:
        raise InvalidInput(f"line {line}: {exc.message}") from None


def read_input(path: Path) -> list[InputEvent]:
    """Parse the whole file first: a bad line stops the run before anything is sent."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{path} does not exist") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8") from None
    out: list[InputEvent] = []
    if path.suffix.lower() == ".csv":
        for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
            out.append(_parse_row({k: v for k, v in row.items() if k is not None}, number))
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError:
                raise InvalidInput(f"line {number}: not a JSON object") from None
            if not isinstance(row, dict):
                raise InvalidInput(f"line {number}: not a JSON object")
            out.append(_parse_row(row, number))
    if not out:
        raise InvalidInput(f"{path} has no events")
    return out


class Journal:
    """Append-only JSONL next to the input: built items, then acknowledgements."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.built: dict[int, dict[str, Any]] = {}  # input line -> item
        self.acked: dict[int, dict[str, Any]] = {}  # input line -> receipt
        if path.exists():
            for raw in path.read_bytes().splitlines():
                try:
                    record = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    break  # a torn last line after a crash: everything before it is intact
                (self.built if record["kind"] == "built" else self.acked)[record["line"]] = record["data"]
        self._handle = open(path, "ab")  # noqa: SIM115 - kept open for the run

    def write(self, kind: str, records: list[tuple[int, dict[str, Any]]]) -> None:
        for line, data in records:
            self._handle.write(orjson.dumps({"kind": kind, "line": line, "data": data}) + b"\n")
            (self.built if kind == "built" else self.acked)[line] = data
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


@dataclass
class SubmitReport:
    total: int = 0
    created: int = 0
    already: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "created": self.created,
            "alreadyAccepted": self.already,
            "failed": [{"line": line, "error": error} for line, error in self.failed],
        }


def submit_file(
    client: AgencyClient,
    path: Path,
    journal_path: Path | None = None,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
    max_wait_s: float = 300.0,
) -> SubmitReport:
    events = read_input(path)
    journal = Journal(journal_path or path.with_name(path.name + ".progress.jsonl"))
    report = SubmitReport(total=len(events))
    try:
        cases: dict[str, CaseState] = {}
        for chunk in _chunks(events, batch_size):
            items: list[tuple[int, dict[str, Any]]] = []
            new_built: list[tuple[int, dict[str, Any]]] = []
            for event in chunk:
                if event.line in journal.acked:
                    report.already += 1
                    _advance(cases, event, journal.built[event.line])
                    if progress:
                        progress(1)
                    continue
                item = journal.built.get(event.line)
                if item is None:
                    case = cases.get(event.case_ref) or client.open_case(event.case_ref, event.case_key)
                    cases[event.case_ref] = case
                    item = client.build(
                        case,
                        event.event_type,
                        event.summary,
                        occurred_at=event.occurred_at,
                        event_id=event.event_id,
                        payload=event.payload,
                    )
                    new_built.append((event.line, item))
                else:
                    _advance(cases, event, item)
                items.append((event.line, item))
            if new_built:
                journal.write("built", new_built)  # before sending: a retry must resend the same bytes
            if items:
                outcomes = _send_with_retry(client, [item for _, item in items], max_wait_s)
                acked: list[tuple[int, dict[str, Any]]] = []
                for (line, _), outcome in zip(items, outcomes, strict=True):
                    if isinstance(outcome, SaksiError):
                        report.failed.append((line, outcome.message))
                    else:
                        acked.append((line, outcome))
                        if outcome.get("created"):
                            report.created += 1
                        else:
                            report.already += 1
                journal.write("acked", acked)
                if progress:
                    progress(len(items))
    finally:
        journal.close()
    return report


def _advance(cases: dict[str, CaseState], event: InputEvent, item: dict[str, Any]) -> None:
    """Move the in-memory head past a journalled item."""
    built = ServiceEvent.from_json(item["event"])
    case = cases.setdefault(event.case_ref, CaseState(event.case_ref, event.case_key))
    if built.case_seq > case.seq:
        case.seq, case.head = built.case_seq, built.hash_struct()


def _send_with_retry(client: AgencyClient, items: list[dict[str, Any]], max_wait_s: float) -> list[Any]:
    import time

    deadline = time.monotonic() + max_wait_s
    delay = 0.5
    while True:
        try:
            return client.submit(items)
        except RetryLater:
            if time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 10.0)


def _chunks(items: list[InputEvent], size: int) -> Iterator[list[InputEvent]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
