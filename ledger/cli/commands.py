"""Command modules are imported here so that they register on the app."""

from __future__ import annotations

from ledger.cli import admin, agency, audit, demo, erase, keys, monitor, serve, submit, tiles, verify, witness  # noqa: F401
