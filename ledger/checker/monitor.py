"""An independent witness: follow the contract's checkpoints and hold the API to them.

For every checkpoint the chain accepted, the witness asks the Saksi API for the same
checkpoint and for a consistency proof from the previous one it witnessed, and checks
both itself. An API that serves another root than the chain's, or cannot prove that
its log only grew, raises an alert. State is kept in a small JSON file (written
atomically), so a restarted witness resumes where it stopped.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ledger.core import merkle
from ledger.core.encoding import hex0x, parse_hex
from ledger.errors import SaksiError

log = logging.getLogger("ledger.monitor")

ChainCheckpoints = Callable[[int, int], list[tuple[int, int, bytes]]]  # (from_block, to_block) -> [(block, size, root)]


@dataclass(frozen=True)
class Alert:
    kind: str  # api-root-differs | api-inconsistent | api-unavailable | chain-not-growing
    tree_size: int
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "treeSize": self.tree_size, "detail": self.detail}


@dataclass
class WitnessState:
    next_block: int = 0
    tree_size: int = 0
    root_hash: bytes = merkle.EMPTY_ROOT
    alerts: int = 0

    @classmethod
    def load(cls, path: Path) -> WitnessState:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text())
        return cls(
            data["nextBlock"], data["treeSize"], parse_hex("rootHash", data["rootHash"], 32), data.get("alerts", 0)
        )

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps(
                {
                    "nextBlock": self.next_block,
                    "treeSize": self.tree_size,
                    "rootHash": hex0x(self.root_hash),
                    "alerts": self.alerts,
                }
            )
        )
        os.replace(tmp, path)


class Monitor:
    def __init__(
        self,
        api: httpx.Client,
        chain_checkpoints: ChainCheckpoints,
        chain_head: Callable[[], int],
        state_file: Path,
        start_block: int = 0,
    ) -> None:
        self.api = api
        self.chain_checkpoints = chain_checkpoints
        self.chain_head = chain_head
        self.state_file = Path(state_file)
        self.state = WitnessState.load(self.state_file)
        if self.state.next_block < start_block:
            self.state.next_block = start_block

    def check_once(self) -> list[Alert]:
        """Witness every checkpoint anchored since the last call; returns the alerts raised."""
        alerts: list[Alert] = []
        head = self.chain_head()
        for _, size, root in sorted(self.chain_checkpoints(self.state.next_block, head), key=lambda c: c[1]):
            alert = self._witness(size, root)
            if alert is not None:
                alerts.append(alert)
                log.error("ALERT %s at tree size %d: %s", alert.kind, alert.tree_size, alert.detail)
                if alert.kind == "api-unavailable":
                    break  # retry this checkpoint next time
            self.state.tree_size, self.state.root_hash = size, root
        else:
            self.state.next_block = head + 1
        self.state.alerts += len(alerts)
        self.state.save(self.state_file)
        return alerts

    def _witness(self, size: int, chain_root: bytes) -> Alert | None:
        previous_size, previous_root = self.state.tree_size, self.state.root_hash
        if size <= previous_size:
            return Alert("chain-not-growing", size, f"the chain anchored size {size} after {previous_size}")
        try:
            served = self._get(f"/v1/checkpoints/{size}")
            served_root = parse_hex("rootHash", served["rootHash"], 32)
            if served_root != chain_root:
                return Alert(
                    "api-root-differs",
                    size,
                    f"API serves root {hex0x(served_root)}, the chain anchored {hex0x(chain_root)}",
                )
            if previous_size:
                proof = self._get(f"/v1/proofs/consistency?from={previous_size}&to={size}")
                hashes = [parse_hex("proof", h, 32) for h in proof["proof"]]
                merkle.verify_consistency(previous_size, size, previous_root, chain_root, hashes)
        except httpx.HTTPError as exc:
            return Alert("api-unavailable", size, f"cannot reach the API: {exc}")
        except SaksiError as exc:
            return Alert("api-inconsistent", size, f"the API cannot prove {previous_size} -> {size}: {exc.message}")
        except (KeyError, ValueError, TypeError) as exc:
            return Alert("api-inconsistent", size, f"the API answered nonsense: {exc}")
        return None

    def _get(self, path: str) -> dict[str, Any]:
        response = self.api.get(path)
        if response.status_code != 200:
            raise SaksiError(f"GET {path} answered {response.status_code}")
        return response.json()
