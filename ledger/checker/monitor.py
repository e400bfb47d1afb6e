"""`saksi monitor`: an independent monitor that holds a Saksi API to the chain and to its witnesses.

Two watches, each optional (FORMATS 11.8):

- **the chain**: for every checkpoint the contract accepted, the API must serve the same root and a
  consistency proof from the previous one this monitor checked (alerts `api-root-differs`,
  `api-inconsistent`, `chain-not-growing`);
- **the signed log** (ledger.checker.log_watch): the log's signed checkpoint, its witnesses'
  cosignatures and quorum under a tlog-policy, its consistency with what the monitor saw before, and
  the witnesses' own checkpoints, so that a log showing one history to the monitor and another to a
  witness (a split view) is caught, with the two signed checkpoints kept as evidence.

State is kept in a small JSON file (written atomically), so a restarted monitor resumes where it stopped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ledger.checker.log_watch import LogView, LogWatch
from ledger.core import merkle
from ledger.core.encoding import hex0x, parse_hex
from ledger.errors import SaksiError
from ledger.witness.files import atomic_write

log = logging.getLogger("ledger.monitor")

ChainCheckpoints = Callable[[int, int], list[tuple[int, int, bytes]]]  # (from_block, to_block) -> [(block, size, root)]


@dataclass(frozen=True)
class Alert:
    kind: str  # FORMATS 11.8: api-root-differs | api-inconsistent | api-unavailable | chain-not-growing | log_watch's
    tree_size: int
    detail: str
    evidence: Path | None = None  # the evidence file kept for it (log-inconsistent, split-view)
    witness: str | None = None  # the policy name of the witness it concerns

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "treeSize": self.tree_size, "detail": self.detail}
        if self.witness is not None:
            out["witness"] = self.witness
        if self.evidence is not None:
            out["evidence"] = str(self.evidence)
        return out


@dataclass
class WitnessState:
    next_block: int = 0
    tree_size: int = 0
    root_hash: bytes = merkle.EMPTY_ROOT
    alerts: int = 0
    log: LogView = field(default_factory=LogView)

    @classmethod
    def load(cls, path: Path) -> WitnessState:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text())
        log_view = data.get("log") or {}
        return cls(
            data["nextBlock"],
            data["treeSize"],
            parse_hex("rootHash", data["rootHash"], 32),
            data.get("alerts", 0),
            LogView(log_view.get("note"), dict(log_view.get("witnesses", {}))),
        )

    def save(self, path: Path) -> None:
        data = {
            "nextBlock": self.next_block,
            "treeSize": self.tree_size,
            "rootHash": hex0x(self.root_hash),
            "alerts": self.alerts,
            "log": {"note": self.log.note, "witnesses": self.log.witnesses},
        }
        atomic_write(path, json.dumps(data, indent=2).encode() + b"\n")


class Monitor:
    def __init__(
        self,
        api: httpx.Client,
        chain_checkpoints: ChainCheckpoints | None,
        chain_head: Callable[[], int] | None,
        state_file: Path,
        start_block: int = 0,
        log_watch: LogWatch | None = None,
    ) -> None:
        if (chain_checkpoints is None) != (chain_head is None):
            raise ValueError("chain_checkpoints and chain_head come together")
        if chain_checkpoints is None and log_watch is None:
            raise ValueError("nothing to monitor: give a chain, a log watch, or both")
        self.api = api
        self.chain_checkpoints = chain_checkpoints
        self.chain_head = chain_head
        self.log_watch = log_watch
        self.state_file = Path(state_file)
        self.state = WitnessState.load(self.state_file)
        if self.state.next_block < start_block:
            self.state.next_block = start_block

    def check_once(self) -> list[Alert]:
        """One round: the chain's new checkpoints, then the signed log and its witnesses; the alerts raised."""
        alerts = self._follow_chain() if self.chain_checkpoints is not None else []
        if self.log_watch is not None:
            alerts += [
                Alert(f.kind, f.tree_size, f.detail, f.evidence, f.witness)
                for f in self.log_watch.check(self.state.log)
            ]
        for alert in alerts:
            log.error("ALERT %s at tree size %d: %s", alert.kind, alert.tree_size, alert.detail)
        self.state.alerts += len(alerts)
        self.state.save(self.state_file)
        return alerts

    def _follow_chain(self) -> list[Alert]:
        """Witness every checkpoint anchored since the last call."""
        assert self.chain_checkpoints is not None and self.chain_head is not None
        alerts: list[Alert] = []
        head = self.chain_head()
        for _, size, root in sorted(self.chain_checkpoints(self.state.next_block, head), key=lambda c: c[1]):
            alert = self._witness(size, root)
            if alert is not None:
                alerts.append(alert)
                if alert.kind == "api-unavailable":
                    break  # retry this checkpoint next time
            self.state.tree_size, self.state.root_hash = size, root
        else:
            self.state.next_block = head + 1
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
