"""`saksi audit`: recompute the whole ledger and compare it with itself and the chain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ledger.cli.app import DEFAULT_DATA_DIR, DataDir, JsonFlag, app, console, password, progress_bar
from ledger.config import Settings
from ledger.errors import SaksiError
from ledger.runtime import AUDIT_CURSOR, AUDIT_LATEST, build_runtime, open_store, wall_clock_ms
from ledger.services.auditor import AuditCursor, Auditor


@app.command()
def audit(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    no_chain: Annotated[bool, typer.Option("--no-chain", help="Skip the chain comparisons (offline).")] = False,
    no_signatures: Annotated[
        bool, typer.Option("--no-signatures", help="Skip the signature recheck (faster).")
    ] = False,
    incremental: Annotated[
        bool, typer.Option("--incremental", help="Only what came since the last clean audit (its cursor file).")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Audit the ledger. Exit 0 clean, 1 discrepancies found, 2 could not run."""
    try:
        settings = Settings.load(data_dir)
        trust: dict = {}
        runtime = None
        if no_chain:
            store = open_store(settings)
        else:
            from ledger.services.audit_inputs import chain_trust_inputs

            runtime = build_runtime(settings, password())
            store = runtime.store
            trust = chain_trust_inputs(runtime.chain, settings.deploy_block)
        with progress_bar("auditing", json_out) as bar:
            task = bar.add_task("audit", total=None)
            auditor = Auditor(
                store,
                settings.domain,
                wall_clock_ms,
                verify_signatures=not no_signatures,
                max_unanchored_lag_s=settings.max_anchor_lag_s,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                **trust,
            )
            cursor_path = Path(data_dir) / AUDIT_CURSOR
            resume = None
            if incremental and cursor_path.exists():
                resume = AuditCursor.from_json(json.loads(cursor_path.read_text()))
            report = auditor.run(resume)
            if report.clean and report.cursor is not None:
                cursor_path.write_text(json.dumps(report.cursor.to_json()) + "\n")
        if runtime is not None:
            runtime.close()
    except SaksiError as exc:
        raise typer.Exit(_could_not_run(exc)) from None
    data = report.to_json()
    (Path(data_dir) / AUDIT_LATEST).write_text(json.dumps(data, indent=2) + "\n")
    if json_out:
        console.print_json(data=data)
    else:
        verdict = "[green]clean[/green]" if report.clean else f"[red]{len(report.discrepancies)} discrepancies[/red]"
        console.print(
            f"audit of {report.events_checked} events ({report.signatures_checked} signatures), "
            f"{report.checkpoints_checked} checkpoints, {report.anchors_checked} anchors, "
            f"{report.lawful_erasures} lawful erasures: {verdict}"
        )
        if not report.clean:
            table = Table("kind", "leaf", "agency", "event", "size", "detail")
            for d in report.discrepancies[:200]:
                table.add_row(
                    d.kind, str(d.leaf_index or ""), d.agency or "", d.event_id or "", str(d.tree_size or ""), d.detail
                )
            console.print(table)
    raise typer.Exit(0 if report.clean else 1)


def _could_not_run(exc: SaksiError) -> int:
    from ledger.cli.app import fail_line

    fail_line(f"audit could not run: {exc.message}")
    return 2
