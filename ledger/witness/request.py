"""The add-checkpoint request body of c2sp.org/tlog-witness@v1, parsed strictly.

    old <size>\\n
    <base64 hash>\\n          (0 to 63 consistency proof lines)
    \\n
    <checkpoint note>        (c2sp.org/tlog-checkpoint@v1.0.0 text, then its c2sp.org/signed-note@v1.0.0 signatures)

Every line ends in LF (a CR anywhere is refused), numbers are ASCII decimal without leading zeros,
hashes canonical base64 of 32 bytes. Anything else is InvalidInput, which the witness answers 400.
The checkpoint may carry extension lines (the spec allows them; the cosignature covers the whole text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.core.encoding import b64decode
from ledger.core.note import Note
from ledger.errors import InvalidInput

MAX_BODY_BYTES = 128 * 1024  # 63 proof lines are 2.9 KB; the rest is room for 16+ large signatures
MAX_PROOF_LINES = 63
MAX_TREE_SIZE = (1 << 63) - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")


def parse_size(field: str, text: str) -> int:
    if not _DECIMAL.fullmatch(text) or int(text) > MAX_TREE_SIZE:
        raise InvalidInput(f"{field}: must be ASCII decimal without leading zeros, below 2^63")
    return int(text)


def parse_hash(field: str, text: str) -> bytes:
    try:
        return b64decode(field, text, 32)
    except InvalidInput:
        raise InvalidInput(f"{field}: must be the canonical base64 of a 32-byte hash") from None


@dataclass(frozen=True, slots=True)
class CheckpointBody:
    """The note text of a checkpoint: origin, tree size, root hash, then any extension lines."""

    origin: str
    tree_size: int
    root_hash: bytes
    text: str

    @classmethod
    def parse(cls, text: str) -> CheckpointBody:
        if not text.endswith("\n"):
            raise InvalidInput("checkpoint: the text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise InvalidInput("checkpoint: needs an origin, a tree size and a root hash line")
        if not lines[0]:
            raise InvalidInput("checkpoint: the origin line is empty")
        if any(not line for line in lines[3:]):
            raise InvalidInput("checkpoint: extension lines must not be empty")
        return cls(
            lines[0], parse_size("checkpoint tree size", lines[1]), parse_hash("checkpoint root hash", lines[2]), text
        )


@dataclass(frozen=True, slots=True)
class AddCheckpoint:
    old_size: int
    proof: tuple[bytes, ...]
    note: Note
    checkpoint: CheckpointBody

    @classmethod
    def parse(cls, body: bytes) -> AddCheckpoint:
        if len(body) > MAX_BODY_BYTES:
            raise InvalidInput(f"body: over {MAX_BODY_BYTES} bytes")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("body: not valid UTF-8") from None
        if "\r" in text:
            raise InvalidInput("body: lines must end in LF alone (no CR)")
        first, sep, rest = text.partition("\n")
        if not sep or not first.startswith("old "):
            raise InvalidInput("body: must start with an 'old <size>' line")
        old_size = parse_size("old size", first[4:])
        proof: list[bytes] = []
        while True:
            line, sep, rest = rest.partition("\n")
            if not sep:
                raise InvalidInput("body: the empty line before the checkpoint is missing")
            if not line:
                break
            if len(proof) == MAX_PROOF_LINES:
                raise InvalidInput(f"body: more than {MAX_PROOF_LINES} consistency proof lines")
            proof.append(parse_hash(f"proof line {len(proof) + 1}", line))
        note = Note.parse(rest)
        return cls(old_size, tuple(proof), note, CheckpointBody.parse(note.text))
