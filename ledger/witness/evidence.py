"""Evidence of log misbehaviour: validly signed checkpoints the witness refused as inconsistent.

tlog-witness lets a witness log such a request, "as it might be proof of log misbehavior". The body
is kept as it came, in `evidence/<origin hash>/<UTC time>-<sha256 of the body>.txt`, once per distinct
body and within a cap per origin (anyone may replay a signed checkpoint with a bogus proof, so the
directory must not grow without bound). The first requests are kept; past the cap, new ones are only
logged. Nothing else changes: the latest cosigned checkpoint stays as it was.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

from ledger.witness.files import atomic_write, make_private_dir

MAX_FILES_PER_ORIGIN = 256
MAX_BYTES_PER_ORIGIN = 16 * 1024 * 1024


class EvidenceStore:
    def __init__(
        self,
        directory_for: Callable[[str], Path],
        *,
        max_files: int = MAX_FILES_PER_ORIGIN,
        max_bytes: int = MAX_BYTES_PER_ORIGIN,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._directory_for = directory_for
        self.max_files, self.max_bytes, self._clock = max_files, max_bytes, clock

    def keep(self, origin: str, body: bytes) -> tuple[str, Path | None]:
        """Keep `body`; returns its sha256 and the file (None when past the cap). Idempotent per body."""
        digest = hashlib.sha256(body).hexdigest()
        directory = self._directory_for(origin)
        make_private_dir(directory)
        existing = sorted(p for p in directory.glob("*.txt") if not p.name.startswith("."))
        for path in existing:
            if path.name.endswith(f"-{digest}.txt"):
                return digest, path
        used = sum(p.stat().st_size for p in existing)
        if len(existing) >= self.max_files or used + len(body) > self.max_bytes:
            return digest, None
        now = self._clock()
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f".{int(now * 1e6) % 1_000_000:06d}Z"
        path = directory / f"{stamp}-{digest}.txt"
        atomic_write(path, body)  # a crash leaves no half-written evidence (callers hold the origin's lock)
        return digest, path
