"""`saksi submit FILE`: sign events from JSONL or CSV with an agency keystore and submit them in batches."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.app import JsonFlag, app, console, err_console, password, progress_bar
from ledger.client import AgencyClient
from ledger.keys import read_keystore
from ledger.services.submit import submit_file


@app.command()
def submit(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="Events as JSONL (one object a line) or CSV.")],
    agency: Annotated[str, typer.Option(help="The agency code the events are signed as.")],
    keystore: Annotated[Path, typer.Option(help="The agency's keystore (password from SAKSI_PASSWORD or a prompt).")],
    api: Annotated[str, typer.Option(help="Saksi API base URL.", envvar="SAKSI_API")] = "http://127.0.0.1:8080",
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Events per request.")] = 500,
    journal: Annotated[Path | None, typer.Option(help="Progress journal (default FILE.progress.jsonl).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Submit events; an interrupted run resumes from its journal without duplicates."""
    client = AgencyClient(api, agency, read_keystore(keystore, password()))
    try:
        client.ensure_domain()
        with progress_bar("submitting", json_out) as bar:
            task = bar.add_task("submit", total=None)
            report = submit_file(client, path, journal, batch, progress=lambda n: bar.advance(task, n))
    finally:
        client.close()
    if json_out:
        console.print_json(data=report.to_json())
    else:
        console.print(
            f"{report.total} events: {report.created} new, {report.already} already accepted, {len(report.failed)} refused"
        )
        for line, error in report.failed[:20]:
            err_console.print(f"line {line}: {error}", markup=False)
    if report.failed:
        raise typer.Exit(4)
