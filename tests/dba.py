"""Edits as a DBA makes them, for the audit's tamper tests: one transaction, foreign keys and triggers off."""

from __future__ import annotations

from sqlalchemy import Engine, text


def run_as_dba(engine: Engine, *statements) -> None:
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        else:
            conn.execute(text("SET session_replication_role = replica"))
        for statement in statements:
            conn.execute(statement)
        conn.commit()
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
        else:
            conn.execute(text("RESET session_replication_role"))
            conn.commit()
