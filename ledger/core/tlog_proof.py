"""C2SP tlog-proof files (c2sp.org/tlog-proof@v1): an offline proof that an entry is in a witnessed log.

```
c2sp.org/tlog-proof@v1
extra <base64 of the event's 106 leaf bytes>      (Saksi's use of the optional extra line)
index <leaf index>
<base64 inclusion proof hash, leaf side first>…
<blank line>
<the signed, cosigned checkpoint note>
```

The extra line is NOT authenticated: a verifier only trusts the leaf hash it computes from it, and only
because the inclusion proof binds that hash to a checkpoint the policy's log signed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.core import merkle
from ledger.core.checkpoint import Checkpoint
from ledger.core.encoding import b64decode, b64encode
from ledger.core.events import Leaf
from ledger.core.note import MAX_NOTE_BYTES, Note
from ledger.core.policy import CheckedCheckpoint, Policy, check_checkpoint
from ledger.errors import InvalidField, TooLarge

PROOF_HEADER = "c2sp.org/tlog-proof@v1"
FILE_EXTENSION = ".tlog-proof"
#: A tree below 2^63 leaves has at most 63 levels.
MAX_INCLUSION_HASHES = 63
MAX_EXTRA_BYTES = 64 * 1024
MAX_PROOF_BYTES = MAX_NOTE_BYTES + 4 * MAX_EXTRA_BYTES
_INDEX = re.compile(r"index (0|[1-9][0-9]{0,18})")


@dataclass(frozen=True, slots=True)
class TlogProof:
    index: int
    inclusion: tuple[bytes, ...]
    checkpoint: Note
    extra: bytes | None = None

    def __post_init__(self) -> None:
        if isinstance(self.index, bool) or not isinstance(self.index, int) or not 0 <= self.index < 1 << 63:
            raise InvalidField("tlogProof.index", "must be an integer in [0, 2^63)")
        if len(self.inclusion) > MAX_INCLUSION_HASHES:
            raise InvalidField("tlogProof.inclusion", f"must have at most {MAX_INCLUSION_HASHES} hashes")
        if any(not isinstance(h, bytes) or len(h) != 32 for h in self.inclusion):
            raise InvalidField("tlogProof.inclusion", "hashes must be 32 bytes")
        if self.extra is not None and not 0 < len(self.extra) <= MAX_EXTRA_BYTES:
            raise InvalidField("tlogProof.extra", f"must be 1 to {MAX_EXTRA_BYTES} bytes (omit it when empty)")
        if not isinstance(self.checkpoint, Note):
            raise InvalidField("tlogProof.checkpoint", "must be a signed note")
        Checkpoint.from_text(self.checkpoint.text)

    @property
    def tree(self) -> Checkpoint:
        """The checkpoint body (origin, size, root); authenticated only by :func:`verify_tlog_proof`."""
        return Checkpoint.from_text(self.checkpoint.text)

    def serialize(self) -> str:
        lines = [PROOF_HEADER]
        if self.extra is not None:
            lines.append(f"extra {b64encode(self.extra)}")
        lines.append(f"index {self.index}")
        lines += [b64encode(h) for h in self.inclusion]
        return "".join(line + "\n" for line in lines) + "\n" + self.checkpoint.serialize()

    @classmethod
    def parse(cls, data: bytes | str) -> TlogProof:
        if isinstance(data, bytes):
            if len(data) > MAX_PROOF_BYTES:
                raise TooLarge(f"tlogProof: must be at most {MAX_PROOF_BYTES} bytes", field="tlogProof")
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidField("tlogProof", "must be valid UTF-8") from None
        if not isinstance(data, str):
            raise InvalidField("tlogProof", "must be bytes or a string")
        if len(data) > MAX_PROOF_BYTES:
            raise TooLarge(f"tlogProof: must be at most {MAX_PROOF_BYTES} bytes", field="tlogProof")
        split = data.find("\n\n")
        if split < 0:
            raise InvalidField("tlogProof", "must have a blank line before the checkpoint")
        lines = data[:split].split("\n")
        if lines[0] != PROOF_HEADER:
            raise InvalidField("tlogProof", f"must start with the line {PROOF_HEADER}")
        rest = lines[1:]
        extra = None
        if rest and rest[0].startswith("extra "):
            extra = b64decode("tlogProof.extra", rest[0][len("extra ") :])
            if not extra:
                raise InvalidField("tlogProof.extra", "must not be empty (omit the line instead)")
            rest = rest[1:]
        if not rest:
            raise InvalidField("tlogProof.index", "missing the line 'index <n>'")
        index_line = _INDEX.fullmatch(rest[0])
        if not index_line or int(index_line.group(1)) >= 1 << 63:
            raise InvalidField("tlogProof.index", "must be 'index <n>', decimal without leading zeros, below 2^63")
        hashes = rest[1:]
        if len(hashes) > MAX_INCLUSION_HASHES:
            raise InvalidField("tlogProof.inclusion", f"must have at most {MAX_INCLUSION_HASHES} hashes")
        inclusion = tuple(b64decode(f"tlogProof.inclusion[{i}]", h, 32) for i, h in enumerate(hashes))
        return cls(int(index_line.group(1)), inclusion, Note.parse(data[split + 2 :]), extra)

    def leaf(self) -> Leaf:
        """Saksi's extra line: the event's leaf bytes (FORMATS §5). Unauthenticated until verified."""
        if self.extra is None:
            raise InvalidField("tlogProof.extra", "missing: a Saksi proof carries the leaf bytes")
        return Leaf.from_bytes(self.extra)

    def leaf_hash(self) -> bytes:
        """SHA-256(0x00 ‖ leaf bytes) of the extra line, checked to be a version 1 leaf."""
        return merkle.leaf_hash(self.leaf().to_bytes())


def verify_tlog_proof(proof: TlogProof, leaf_hash: bytes, policy: Policy) -> CheckedCheckpoint:
    """The verification of c2sp.org/tlog-proof, given the leaf hash the caller computed (step 1).

    2-3. :func:`check_checkpoint`: the log's signature (VerificationFailed if missing or bad), the
         cosignatures of the policy's witnesses (VerificationFailed if one is bad), the quorum.
    4.   The inclusion proof places `leaf_hash` at `proof.index` under the checkpoint's root
         (InclusionProofInvalid otherwise).

    The caller decides what an unmet quorum means: the result says whether it was met.
    """
    checked = check_checkpoint(policy, proof.checkpoint)
    tree = checked.checkpoint
    merkle.verify_inclusion(proof.index, tree.tree_size, leaf_hash, proof.inclusion, tree.root_hash)
    return checked
