"""`saksi tiles export`: the log's tlog-tiles resources as a tree of static files, for any web host or CDN.

The directory holds exactly what ``GET /tlog/…`` serves: ``checkpoint`` (the newest signed checkpoint
as a signed note), ``tile/<L>/<N>[.p/<W>]`` and ``tile/entries/<N>[.p/<W>]`` (c2sp.org/tlog-tiles@v0.1.0).
Every file is written atomically (a temporary file in the same directory, fsynced, renamed, the
directory fsynced) and the checkpoint last, so a reader of the directory never sees a checkpoint
whose tiles are missing. A re-run starts from the checkpoint already in the directory: it writes
the full tiles completed since, the partial tiles of the checkpoints signed since, and the new
checkpoint; and, as the spec allows, removes the partial tiles whose full tile now exists.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ledger.core.checkpoint import Checkpoint
from ledger.core.note import Note, Vkey, verify_note
from ledger.core.tiles import Tile, full_tiles, has_tile, partial_tiles
from ledger.errors import InvalidInput, SaksiError
from ledger.services.proofs import served_checkpoint_note
from ledger.services.tiles import tile_bytes
from ledger.storage.sql import SqlStore


@dataclass(frozen=True)
class ExportResult:
    tree_size: int
    previous_size: int | None  # the checkpoint the directory held before, None for a new export
    written: int  # files written, the checkpoint included
    removed: int  # partial tiles removed because their full tile exists

    def to_json(self) -> dict[str, int | None]:
        return {
            "treeSize": self.tree_size,
            "previousSize": self.previous_size,
            "written": self.written,
            "removed": self.removed,
        }


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def exported_checkpoint(out: Path, log_vkey: Vkey) -> Checkpoint | None:
    """The checkpoint a previous export left in ``out`` (None if there is none); refuses a directory that
    holds another log's export, or a checkpoint this log's key did not sign."""
    path = out / "checkpoint"
    if not path.exists():
        return None
    try:
        note = Note.parse(path.read_bytes())
        verify_note(note, [log_vkey])
        return Checkpoint.from_text(note.text)
    except SaksiError as exc:
        raise InvalidInput(
            f"{path} is not a checkpoint signed by this log ({exc.message}): choose another --out"
        ) from None


def export_tiles(
    store: SqlStore, domain_separator: bytes, log_vkey: Vkey, out: Path, policy_hash: bytes | None = None
) -> ExportResult:
    """Write (or bring up to date) the tlog-tiles tree of the log in ``out``. Reads only."""
    out = Path(out)
    previous = exported_checkpoint(out, log_vkey)
    with store.read() as reader:
        note = served_checkpoint_note(reader, log_vkey, policy_hash)
        size = Checkpoint.from_text(note.text).tree_size
        old = 0 if previous is None else previous.tree_size
        if previous is not None and (old > size or (old == size and previous != Checkpoint.from_text(note.text))):
            raise InvalidInput(f"{out / 'checkpoint'} is ahead of this log ({old} > {size}): choose another --out")
        wanted: list[Tile] = list(full_tiles(old, size))
        for signed in reader.signed_sizes(after=old):
            if signed > size:
                break
            wanted += [t for t in partial_tiles(signed) if not has_tile(size, t.full())]
        written = 0
        for tile in dict.fromkeys(wanted):  # in order, once each
            path = out / tile.path()
            if not tile.partial or not path.exists():  # a partial tile never changes; a full one is rewritten
                atomic_write(path, tile_bytes(reader, tile, domain_separator))  # in case a crash cut it
                written += 1
    removed = 0
    for tile in wanted:
        if not tile.partial:
            partials = out / (tile.path() + ".p")
            if partials.is_dir():
                shutil.rmtree(partials)
                removed += 1
    served = note.serialize().encode()
    checkpoint = out / "checkpoint"
    if previous is None or checkpoint.read_bytes() != served:  # grown, or signed by more keys since
        atomic_write(checkpoint, served)
        written += 1
    return ExportResult(size, None if previous is None else old, written, removed)
