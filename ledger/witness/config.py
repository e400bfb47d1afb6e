"""A witness's data directory: its layout, its config and the logs it witnesses.

    DIR/                          mode 0700
      witness.json                name, cosigner vkey, demo flag
      witness-key.json            the Ed25519 seed, encrypted (ledger.witness.keystore)
      logs.json                   the logs witnessed: origin and the log's note vkey(s), type 0x01
      state/<origin hash>/checkpoint   latest cosigned checkpoint: text, log signature(s), cosignature
      state/<origin hash>/lock         flock'ed while an add-checkpoint for the origin is decided
      evidence/<origin hash>/<time>-<sha256>.txt   requests that showed the log inconsistent

`<origin hash>` is the lower-case hex SHA-256 of the origin, as in the monitoring route.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.core.note import SIG_COSIGNATURE_V1, SIG_ED25519, Vkey
from ledger.errors import Conflict, InvalidInput, NotFound
from ledger.witness.files import FileLocks, atomic_write

CONFIG_FORMAT = "saksi-witness/v1"
LOGS_FORMAT = "saksi-witness-logs/v1"


def origin_hash(origin: str) -> str:
    return hashlib.sha256(origin.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "witness.json"

    @property
    def key(self) -> Path:
        return self.root / "witness-key.json"

    @property
    def logs(self) -> Path:
        return self.root / "logs.json"

    @property
    def logs_lock(self) -> Path:
        return self.root / "logs.lock"

    def state_dir(self, origin: str) -> Path:
        return self.root / "state" / origin_hash(origin)

    def evidence_dir(self, origin: str) -> Path:
        return self.root / "evidence" / origin_hash(origin)


@dataclass(frozen=True)
class WitnessConfig:
    name: str
    vkey: Vkey
    demo: bool

    def to_json(self) -> bytes:
        data = {"format": CONFIG_FORMAT, "name": self.name, "vkey": str(self.vkey), "demo": self.demo}
        return (json.dumps(data, indent=2) + "\n").encode()

    @classmethod
    def load(cls, layout: Layout) -> WitnessConfig:
        try:
            data = json.loads(layout.config.read_text())
        except FileNotFoundError:
            raise NotFound(f"no witness in {layout.root}: run saksi witness init first") from None
        except (OSError, ValueError):
            raise InvalidInput(f"{layout.config} is not a witness config") from None
        if not isinstance(data, dict) or data.get("format") != CONFIG_FORMAT:
            raise InvalidInput(f"{layout.config} is not a {CONFIG_FORMAT} config")
        vkey = Vkey.parse(str(data.get("vkey")))
        if vkey.sig_type != SIG_COSIGNATURE_V1 or vkey.name != data.get("name"):
            raise InvalidInput(f"{layout.config}: vkey is not the witness's cosigner key")
        return cls(vkey.name, vkey, bool(data.get("demo")))


@dataclass(frozen=True)
class LogEntry:
    origin: str
    vkey: Vkey


def parse_log_vkey(text: str) -> Vkey:
    vkey = Vkey.parse(text.strip())
    if vkey.sig_type != SIG_ED25519:
        raise InvalidInput("VKEY: a log's checkpoint key must be an Ed25519 note key (type 0x01)")
    return vkey


def _entries(data: Any, path: Path) -> tuple[LogEntry, ...]:
    if not isinstance(data, dict) or data.get("format") != LOGS_FORMAT or not isinstance(data.get("logs"), list):
        raise InvalidInput(f"{path} is not a {LOGS_FORMAT} file")
    out = []
    for item in data["logs"]:
        if not isinstance(item, dict) or not isinstance(item.get("origin"), str):
            raise InvalidInput(f"{path}: every log needs an origin")
        out.append(LogEntry(item["origin"], parse_log_vkey(str(item.get("vkey")))))
    return tuple(out)


def read_logs(layout: Layout) -> tuple[LogEntry, ...]:
    try:
        raw = layout.logs.read_bytes()
    except FileNotFoundError:
        return ()
    try:
        data = json.loads(raw)
    except ValueError:
        raise InvalidInput(f"{layout.logs} is not JSON") from None
    return _entries(data, layout.logs)


def add_log(layout: Layout, locks: FileLocks, vkey: Vkey, origin: str | None) -> LogEntry:
    """Witness a log from now on: its origin (default: the key's name) and its note key."""
    entry = LogEntry(vkey.name if origin is None else origin, vkey)
    if not entry.origin or "\n" in entry.origin or not entry.origin.isprintable():
        raise InvalidInput("--origin: must be a non-empty printable line")
    WitnessConfig.load(layout)
    with locks.hold(layout.logs_lock):
        logs = read_logs(layout)
        for known in logs:
            if known.origin == entry.origin and str(known.vkey) == str(vkey):
                raise Conflict(f"already witnessing {entry.origin} with this key")
            if known.origin == entry.origin and (known.vkey.name, known.vkey.key_id) == (vkey.name, vkey.key_id):
                raise Conflict(f"{entry.origin} already has a key with this name and key ID")
        rows = [{"origin": e.origin, "vkey": str(e.vkey)} for e in (*logs, entry)]
        atomic_write(layout.logs, (json.dumps({"format": LOGS_FORMAT, "logs": rows}, indent=2) + "\n").encode())
    return entry


class LogsView:
    """logs.json as the server sees it: re-read when the file changes, so add-log needs no restart."""

    def __init__(self, layout: Layout) -> None:
        self._layout = layout
        self._stamp: tuple[int, int, int] | None = None
        self._by_origin: dict[str, tuple[Vkey, ...]] = {}
        self._by_hash: dict[str, str] = {}
        self._lock = threading.Lock()
        self.refresh()

    def refresh(self) -> None:
        with self._lock:
            self._refresh()

    def _refresh(self) -> None:
        try:
            st = self._layout.logs.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            stamp = (0, 0, 0)
        if stamp == self._stamp:
            return
        try:
            entries = read_logs(self._layout)
        except InvalidInput:
            if self._stamp is None:
                raise  # at start: refuse to serve on a broken logs.json
            logging.getLogger("saksi.witness").error(
                f"{self._layout.logs} does not parse; keeping the logs read before"
            )
            self._stamp = stamp
            return
        by_origin: dict[str, list[Vkey]] = {}
        for entry in entries:
            by_origin.setdefault(entry.origin, []).append(entry.vkey)
        self._by_origin = {origin: tuple(keys) for origin, keys in by_origin.items()}
        self._by_hash = {origin_hash(origin): origin for origin in self._by_origin}
        self._stamp = stamp

    def keys_for(self, origin: str) -> tuple[Vkey, ...]:
        self.refresh()
        return self._by_origin.get(origin, ())

    def origin_of(self, hashed: str) -> str | None:
        """The witnessed origin whose SHA-256 hex is `hashed`, if any."""
        self.refresh()
        return self._by_hash.get(hashed)

    def origins(self) -> tuple[str, ...]:
        self.refresh()
        return tuple(self._by_origin)
