"""The app's state: what `create_app` builds once and the routes read, as one typed object.

Starlette's `app.state` takes any attribute; reading loose attributes with `getattr(..., None)`
hides a misspelt or missing one until a route runs. `create_app` sets one `AppState` instead,
and routes and dependencies read it through `app_state` or the `StateDep` dependency.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from starlette.applications import Starlette

if TYPE_CHECKING:
    from api.chain_window import ChainWindow
    from api.deps import RateLimiter
    from api.live import CaseStreams
    from api.metrics import Metrics
    from ledger.services.ledger import Ledger
    from ledger.services.tiles import TlogReads


@dataclass
class AppState:
    ledger: Ledger
    metrics: Metrics
    citizen_limiter: RateLimiter
    complaint_limiter: RateLimiter
    # the embedded chain's read-only window (POST /chain-rpc); None on an external chain
    chain_window: ChainWindow | None = None
    # the chain node's block number, for /readyz; None when nothing is to be probed
    chain_probe: Callable[[], int] | None = None
    # the anchoring worker's status, for /readyz and /metrics; None when no worker runs here
    anchor_status: Callable[[], Any] | None = None
    # the witnessing worker's status (ledger.services.witnessing), for /readyz and /metrics; None without one
    witness_status: Callable[[], Any] | None = None
    # the tlog-tiles resources (GET /tlog/…); None for a ledger without a log key
    tlog: TlogReads | None = None
    # the live case streams (GET /v1/cases/{c}/stream); set by create_app
    case_streams: CaseStreams | None = None


def app_state(app: Starlette) -> AppState:
    return app.state.saksi


def set_app_state(app: Starlette, state: AppState) -> None:
    app.state.saksi = state


async def get_state(request: Request) -> AppState:  # async: see api.deps.get_ledger
    return request.app.state.saksi


StateDep = Annotated[AppState, Depends(get_state)]
