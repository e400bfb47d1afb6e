"""What the anchoring worker (ledger.services.anchoring) is configured with and what it reports.

`AnchorSettings` come from config.json; `AnchorTickResult` says what one tick did (for logs and
tests), `AnchorStatus` the lag as the database alone sees it (for /readyz, /metrics and `saksi anchor`);
`Tick` collects what one tick notes on its way, for its result and the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

from ledger.core.encoding import hex0x

log = logging.getLogger("ledger.anchoring")


@dataclass(frozen=True)
class AnchorSettings:
    #: Anchor once this many leaves are not anchored yet...
    every_leaves: int = 1000
    #: ...or once this long has passed since the last anchor (and at least one leaf waits).
    every_seconds: float = 60.0
    #: Blocks, the anchor's own included, before an anchor counts as ``confirmed`` (1: once mined).
    confirmations: int = 3
    min_backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    #: How much a replacement raises the fees (nodes require at least 10 %).
    fee_bump_percent: int = 25
    #: A transaction still in the pool after this long is replaced with higher fees.
    resend_after_s: float = 120.0
    #: Pause of :meth:`AnchorWorker.run` between ticks.
    poll_interval_s: float = 1.0


Action = Literal["idle", "waiting", "anchored", "resent", "recorded", "backoff"]


@dataclass(frozen=True)
class AnchorTickResult:
    """What one tick did. ``notes`` list every state change, in order, for logs and tests."""

    action: Action
    tree_size: int | None = None
    tx_hash: bytes | None = None
    notes: tuple[str, ...] = ()
    #: Gas used by anchors this tick saw mined: tree size -> gas.
    gas_used: dict[int, int] = field(default_factory=dict)
    retry_in_s: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class AnchorStatus:
    """The lag, for health checks and metrics; computed from the database, never from the chain."""

    tree_size: int
    #: Largest size mined or confirmed.
    anchored_size: int
    confirmed_size: int
    pending_size: int | None
    pending_tx: bytes | None
    lag_leaves: int
    #: Since the newest live anchor was recorded (None before the first).
    seconds_since_last_anchor: float | None
    #: Age of the oldest leaf no anchor covers yet (0 when all are anchored).
    oldest_unanchored_age_s: float
    chain_available: bool
    consecutive_failures: int
    backoff_s: float
    last_error: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "treeSize": self.tree_size,
            "anchoredSize": self.anchored_size,
            "confirmedSize": self.confirmed_size,
            "pendingSize": self.pending_size,
            "pendingTx": None if self.pending_tx is None else hex0x(self.pending_tx),
            "lagLeaves": self.lag_leaves,
            "secondsSinceLastAnchor": self.seconds_since_last_anchor,
            "oldestUnanchoredAgeSeconds": self.oldest_unanchored_age_s,
            "chainAvailable": self.chain_available,
            "consecutiveFailures": self.consecutive_failures,
            "backoffSeconds": self.backoff_s,
            "lastError": self.last_error,
        }


class Tick:
    """What one tick learns and does, collected for its result."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.gas_used: dict[int, int] = {}

    def note(self, message: str, *args: object, level: int = logging.INFO) -> None:
        text = message % args if args else message
        log.log(level, text)
        self.notes.append(text)
