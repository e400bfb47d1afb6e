"""The latest cosigned checkpoint of each log, one file per origin, updated under the origin's lock.

`state/<origin hash>/checkpoint` is the signed note the monitoring route serves: the checkpoint text,
the log signature(s) the witness verified, and the witness's cosignature. It is replaced atomically
(ledger.witness.files) and read again inside the lock at every decision, so two servers or threads
on one data directory decide one after the other on what the other persisted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ledger.core.note import Note
from ledger.errors import InvalidInput
from ledger.witness.config import Layout
from ledger.witness.files import FileLocks, atomic_write, make_private_dir
from ledger.witness.request import CheckpointBody


class StateUnreadable(Exception):
    """A state file that does not parse: never the client's fault, so not an InvalidInput."""


@dataclass(frozen=True)
class Cosigned:
    note: Note
    checkpoint: CheckpointBody

    @classmethod
    def parse(cls, data: bytes) -> Cosigned:
        note = Note.parse(data)
        return cls(note, CheckpointBody.parse(note.text))


class StateStore:
    def __init__(self, layout: Layout, locks: FileLocks | None = None) -> None:
        self.layout = layout
        self.locks = locks or FileLocks()
        self._swept: set[str] = set()

    def _file(self, origin: str) -> Path:
        return self.layout.state_dir(origin) / "checkpoint"

    def read_bytes(self, origin: str) -> bytes | None:
        try:
            return self._file(origin).read_bytes()
        except FileNotFoundError:
            return None

    def latest(self, origin: str) -> Cosigned | None:
        data = self.read_bytes(origin)
        if data is None:
            return None
        try:
            cosigned = Cosigned.parse(data)
        except InvalidInput as exc:
            raise StateUnreadable(f"state of {origin!r} does not parse: {exc.message}") from None
        if cosigned.checkpoint.origin != origin:
            raise StateUnreadable(f"state of {origin!r} holds a checkpoint of another origin")
        return cosigned

    @contextmanager
    def locked(self, origin: str) -> Iterator[Callable[[], Cosigned | None]]:
        """Hold the origin's lock; yields a reader of the state as persisted now."""
        directory = self.layout.state_dir(origin)
        make_private_dir(directory)
        with self.locks.hold(directory / "lock"):
            if origin not in self._swept:
                self._sweep(directory, self.layout.evidence_dir(origin))
                self._swept.add(origin)
            yield lambda: self.latest(origin)

    @staticmethod
    def _sweep(*directories: Path) -> None:
        """Remove the temporary files a crash left (every writer holds the lock held now, so any is stale)."""
        for directory in directories:
            for stale in directory.glob(".*.tmp"):
                stale.unlink(missing_ok=True)

    def persist(self, origin: str, cosigned: Note) -> None:
        """Call only while holding `locked(origin)`."""
        atomic_write(self._file(origin), cosigned.serialize().encode("utf-8"))
