"""C2SP tlog-checkpoint bodies: `<origin>\\n<tree size>\\n<base64 root hash>\\n`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ledger.core.encoding import b64decode, b64encode, hex0x, parse_hex, parse_uint
from ledger.errors import InvalidField

_SIZE_RE = re.compile(r"0|[1-9][0-9]{0,19}")
MAX_TREE_SIZE = (1 << 63) - 1


def default_origin(chain_id: int, contract: bytes) -> str:
    """`saksi/eip155:<chainId>/<contract address, lower-case 0x hex>`."""
    return f"saksi/eip155:{chain_id}/{hex0x(contract)}"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes

    def __post_init__(self) -> None:
        if not self.origin or any(c in self.origin for c in "\n\r") or not self.origin.isprintable():
            raise InvalidField("checkpoint.origin", "must be a non-empty printable line")
        parse_uint("checkpoint.treeSize", self.tree_size, MAX_TREE_SIZE)
        if len(self.root_hash) != 32:
            raise InvalidField("checkpoint.rootHash", "must be 32 bytes")

    @classmethod
    def from_text(cls, text: Any) -> Checkpoint:
        """Parse a body; extension lines are not used by Saksi v1 and are refused."""
        if not isinstance(text, str):
            raise InvalidField("checkpoint", "must be a string")
        if not text.endswith("\n"):
            raise InvalidField("checkpoint", "must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) != 3:
            raise InvalidField("checkpoint", "must have exactly three lines: origin, tree size, root hash")
        origin, size_text, root_text = lines
        if not _SIZE_RE.fullmatch(size_text):
            raise InvalidField("checkpoint.treeSize", "must be decimal ASCII without leading zeros")
        size = int(size_text)
        if size > MAX_TREE_SIZE:
            raise InvalidField("checkpoint.treeSize", "must be below 2^63")
        return cls(origin, size, b64decode("checkpoint.rootHash", root_text, 32))

    def to_text(self) -> str:
        return f"{self.origin}\n{self.tree_size}\n{b64encode(self.root_hash)}\n"

    @classmethod
    def from_json(cls, data: Any) -> Checkpoint:
        """The API object {treeSize, rootHash, checkpoint}; the three must agree."""
        if not isinstance(data, dict):
            raise InvalidField("checkpoint", "must be an object")
        checkpoint = cls.from_text(data.get("checkpoint"))
        if parse_uint("checkpoint.treeSize", data.get("treeSize"), MAX_TREE_SIZE) != checkpoint.tree_size:
            raise InvalidField("checkpoint.treeSize", "differs from the checkpoint text")
        if parse_hex("checkpoint.rootHash", data.get("rootHash"), 32) != checkpoint.root_hash:
            raise InvalidField("checkpoint.rootHash", "differs from the checkpoint text")
        return checkpoint

    def to_json(self) -> dict[str, Any]:
        return {"treeSize": self.tree_size, "rootHash": hex0x(self.root_hash), "checkpoint": self.to_text()}
