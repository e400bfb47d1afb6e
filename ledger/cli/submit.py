"""`saksi submit FILE`: sign events from JSONL or CSV with an agency keystore and submit them in batches."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import TaskID

from ledger.checker.client import AgencyClient
from ledger.checker.submit import submit_file
from ledger.cli.app import JsonFlag, app, console, err_console, password, progress_bar
from ledger.errors import SaksiError
from ledger.keys import read_keystore

SUBMIT_HELP = """Sign events with the agency's key and submit them; an interrupted run resumes without duplicates.

FILE holds one event a line: JSONL (one JSON object a line) or CSV (a header line, then rows). Example: examples/events.jsonl; the README's "Submitting events" says more.

\b
Columns:
  caseRef     the case reference on the receipt (required)
  accessCode  the case's access code, or caseKey (0x hex) (required)
  eventType   dotted lower case: application.submitted (required)
  summary     what the citizen sees, 1-280 characters (required)
  occurredAt  unix seconds (optional, default now)
  eventId     optional; by default derived from the case key
  payload     optional JSON (CSV: JSON text), kept off chain

Rows are unsigned: the command fills in caseCommitment, caseSeq and prevEventHash and signs each event. Its journal (FILE.<id>.progress.jsonl) belongs to one server log, agency, key and file content; a re-run sends every journalled event again, so "already accepted" is only what the server answered. A case the server already has is extended on the head the server names; nothing is looked up first.
"""


@app.command(help=SUBMIT_HELP)
def submit(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="Events as JSONL (one object a line) or CSV.")],
    agency: Annotated[str, typer.Option(help="The agency code the events are signed as.")],
    keystore: Annotated[Path, typer.Option(help="The agency's keystore (password from SAKSI_PASSWORD or a prompt).")],
    api: Annotated[str, typer.Option(help="Saksi API base URL.", envvar="SAKSI_API")] = "http://127.0.0.1:8080",
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Events per request.")] = 500,
    journal: Annotated[
        Path | None, typer.Option(help="Progress journal (default FILE.<submission id>.progress.jsonl).")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    client = AgencyClient(api, agency, read_keystore(keystore, password()))
    try:
        client.ensure_domain()
        with progress_bar("submitting", json_out, status=True) as bar:
            tasks: list[TaskID] = []  # the bar appears once the file is read, with its total

            def start(total: int) -> None:
                tasks.append(bar.add_task("", total=total))

            def waiting(seconds: float, error: SaksiError) -> None:
                if tasks:
                    bar.update(tasks[0], description=f"server busy, waiting {seconds:.0f} s ({error.message[:60]})")

            def advance(n: int) -> None:
                bar.update(tasks[0], advance=n, description="")

            client.on_wait = waiting
            report = submit_file(client, path, journal, batch, progress=advance, on_total=start)
    finally:
        client.close()
    if json_out:
        console.print_json(data=report.to_json())
    else:
        console.print(
            f"{report.total} events: {report.created} new, {report.already} already accepted (said by the server), "
            f"{len(report.failed)} refused",
            soft_wrap=True,
            highlight=False,
        )
        for line, error in report.failed[:20]:
            err_console.print(f"line {line}: {error}", markup=False, soft_wrap=True)
    if report.failed:
        raise typer.Exit(4)
