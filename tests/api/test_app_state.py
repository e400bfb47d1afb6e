"""The app's state is one typed AppState that create_app sets; the routers read it through api.state."""

from __future__ import annotations

import ast
from pathlib import Path

from api.app import create_app
from api.deps import RateLimiter
from api.metrics import Metrics
from api.state import AppState, app_state

ROUTERS = Path(__file__).resolve().parents[2] / "api" / "routers"


def test_create_app_sets_one_typed_state(ledger):
    probe = lambda: 7  # noqa: E731
    app = create_app(ledger.settings, ledger=ledger, chain_probe=probe)
    state = app_state(app)
    assert isinstance(state, AppState)
    assert state.ledger is ledger and isinstance(state.metrics, Metrics)
    assert isinstance(state.citizen_limiter, RateLimiter) and isinstance(state.complaint_limiter, RateLimiter)
    assert state.citizen_limiter is not state.complaint_limiter
    assert (state.chain_window, state.chain_probe, state.anchor_status) == (None, probe, None)


def test_the_readiness_probe_is_read_from_the_state(client):
    app_state(client.app).chain_probe = lambda: 42
    assert client.get("/readyz").json()["checks"]["chain"] == {"ok": True, "blockNumber": 42}


def test_no_router_reaches_into_app_state():
    """Routers read the state through api.state (StateDep, app_state), never `request.app.state.<name>`
    nor `getattr(request.app.state, ...)`: a misspelt name would otherwise surface only when a route runs."""
    offenders = []
    for source in sorted(ROUTERS.glob("*.py")):
        for node in ast.walk(ast.parse(source.read_text())):
            reads_state = isinstance(node, ast.Attribute) and node.attr == "state"
            if reads_state and isinstance(node.value, ast.Attribute) and node.value.attr == "app":
                offenders.append(f"{source.name}:{node.lineno}")
    assert offenders == []
