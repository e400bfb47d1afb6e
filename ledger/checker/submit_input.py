"""What `saksi submit` reads: unsigned rows, one event each, as JSONL or CSV (the README's columns).

The whole file is parsed and every row checked against the rules of docs/FORMATS.md §3.3 before
anything is built, signed or sent (ledger.checker.submit), so a bad line names itself and stops the run.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ledger.core.commitment import canonical_json, normalize_case_ref, parse_access_code
from ledger.core.encoding import ZERO32, hex0x, parse_hex
from ledger.core.events import ServiceEvent
from ledger.errors import InvalidField, InvalidInput, SaksiError

INPUT_FIELDS = {"caseRef", "accessCode", "caseKey", "eventId", "eventType", "summary", "occurredAt", "payload"}
INPUT_HELP = (
    "columns: caseRef, accessCode (or caseKey), eventType, summary, and optionally occurredAt, eventId, payload"
)
SIGNED_EVENT_FIELDS = {"agency", "caseCommitment", "caseSeq", "prevEventHash", "payloadDigest", "event", "signature"}


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


def _check_event_fields(row: dict[str, Any], occurred: int | None) -> None:
    """Every rule of docs/FORMATS.md §3.3 the row's own fields must keep, checked before anything is sent."""
    ServiceEvent.from_json(
        {
            "eventId": row.get("eventId") or "probe",
            "agency": "probe",
            "caseCommitment": "0x" + "11" * 32,
            "caseSeq": 1,
            "prevEventHash": hex0x(ZERO32),
            "eventType": row["eventType"],
            "summary": row["summary"],
            "occurredAt": 1 if occurred is None else occurred,
            "payloadDigest": hex0x(ZERO32),
        }
    )


def _parse_row(row: dict[str, Any], line: int) -> InputEvent:
    try:
        unknown = sorted(set(row) - INPUT_FIELDS)
        if unknown:
            if set(row) & SIGNED_EVENT_FIELDS:
                raise InvalidInput(
                    f"{unknown[0]} is not an input column: saksi submit signs the events itself and takes unsigned "
                    f"rows, not signed events (docs/FORMATS.md §3); {INPUT_HELP}"
                )
            raise InvalidInput(f"{unknown[0]} is not an input column; {INPUT_HELP}")
        if "accessCode" in row and row["accessCode"]:
            key = parse_access_code(row["accessCode"])
        elif row.get("caseKey"):
            key = parse_hex("caseKey", row["caseKey"], 32)
        else:
            raise InvalidField("accessCode", "each event needs the case's accessCode (or caseKey)")
        for name in ("caseRef", "eventType", "summary"):
            if not isinstance(row.get(name), str) or not row[name]:
                raise InvalidField(name, "is required")
        ref = normalize_case_ref(row["caseRef"])
        occurred = row.get("occurredAt")
        if isinstance(occurred, str):
            occurred = int(occurred) if occurred.strip().isdigit() else None if not occurred.strip() else "bad"
        if occurred is not None and (isinstance(occurred, bool) or not isinstance(occurred, int)):
            raise InvalidField("occurredAt", "must be unix seconds (an integer)")
        _check_event_fields(row, occurred)
        payload = row.get("payload")
        if isinstance(payload, str) and payload.strip():
            payload = orjson.loads(payload)
        elif payload == "":
            payload = None
        if payload is not None:
            canonical_json(payload)
        return InputEvent(
            line, ref, key, row["eventType"], row["summary"], row.get("eventId") or None, occurred, payload
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
