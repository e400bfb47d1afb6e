"""Command modules are imported here so that they register on the app."""

from __future__ import annotations

from ledger.cli import admin, keys, submit, verify  # noqa: F401
