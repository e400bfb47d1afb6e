"""`saksi audit`: recompute the whole ledger and compare it with itself and the chain.

An auditor needs no operator secret: the database is opened read-only (never migrated) and the chain is
read without a key (the embedded chain's store read-only beside a running `saksi serve`, or any JSON-RPC
node with `--rpc`). No password is asked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ledger.audit.report import AuditCursor, AuditReport
from ledger.audit.run import PAGE, Auditor
from ledger.cli.app import DEFAULT_DATA_DIR, DataDir, JsonFlag, app, console, progress_bar
from ledger.config import Settings
from ledger.core.policy import Policy
from ledger.errors import SaksiError
from ledger.runtime import AUDIT_CURSOR, AUDIT_LATEST, open_chain_reader, open_read_only_store, wall_clock_ms


@app.command()
def audit(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    no_chain: Annotated[bool, typer.Option("--no-chain", help="Skip the chain comparisons (offline).")] = False,
    rpc: Annotated[
        str | None,
        typer.Option("--rpc", help="Read the chain from this JSON-RPC URL (default: the configured chain)."),
    ] = None,
    no_signatures: Annotated[
        bool, typer.Option("--no-signatures", help="Skip the signature recheck (faster).")
    ] = False,
    incremental: Annotated[
        bool, typer.Option("--incremental", help="Only what came since the last clean audit (its cursor file).")
    ] = False,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the report as one self-contained HTML page here.")
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of the HTML report: id or en.")] = "id",
    policy: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            metavar="FILE",
            help="A C2SP tlog-policy: check the log's signature and the witnesses' cosignatures of every checkpoint "
            "(default: the config's witness policy, when it has one).",
        ),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Audit the ledger. Exit 0 clean, 1 discrepancies found, 2 could not run."""
    try:
        settings = Settings.load(data_dir)
        witness_policy = _witness_policy(policy, settings, Path(data_dir))
        report, per_day = _run(
            settings, Path(data_dir), no_chain, rpc, no_signatures, incremental, json_out, witness_policy
        )
    except SaksiError as exc:
        raise typer.Exit(_could_not_run(exc)) from None
    data = report.to_json()
    (Path(data_dir) / AUDIT_LATEST).write_text(json.dumps(data, indent=2) + "\n")
    if html is not None:
        from ledger.reports.audit_html import render_audit_html

        html.write_text(render_audit_html(data, per_day, lang=lang), encoding="utf-8")
    if json_out:
        console.print_json(data=data)
    else:
        _print(report)
    raise typer.Exit(0 if report.clean else 1)


def _witness_policy(path: Path | None, settings: Settings, data_dir: Path) -> Policy | None:
    """--policy, else the data directory's configured witness policy file (a path relative to it), else None."""
    from ledger.checker.verify import load_policy

    # the config key is the witness runtime's (`witness_policy` in config.json); absent, nothing to check
    configured = getattr(settings, "witness_policy", None)
    if path is None and configured:
        path = Path(configured) if Path(configured).is_absolute() else data_dir / configured
    return None if path is None else load_policy(path)


def _run(
    settings: Settings,
    data_dir: Path,
    no_chain: bool,
    rpc: str | None,
    no_signatures: bool,
    incremental: bool,
    quiet: bool,
    witness_policy: Policy | None = None,
) -> tuple[AuditReport, dict[str, int]]:
    from ledger.audit.inputs import chain_trust_inputs
    from ledger.reports.audit_html import events_per_day

    chain = None
    store = open_read_only_store(settings)
    try:
        if not no_chain:
            chain = _chain_reader(settings, rpc)
        with progress_bar("auditing", quiet) as bar:
            task = bar.add_task("audit", total=None)
            auditor = Auditor(
                store,
                settings.domain,
                wall_clock_ms,
                verify_signatures=not no_signatures,
                max_unanchored_lag_s=settings.max_anchor_lag_s,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                origin=settings.origin,
                complaints_agency=settings.complaints_agency or None,
                chain_inputs=None if chain is None else (lambda: chain_trust_inputs(chain, settings.deploy_block)),
                witness_policy=witness_policy,
            )
            cursor_path = data_dir / AUDIT_CURSOR
            resume = None
            if incremental and cursor_path.exists():
                resume = AuditCursor.from_json(json.loads(cursor_path.read_text()))
            report = auditor.run(resume)
        if incremental:
            report.scope["incremental"] = _incremental_note(resume, report)
        if report.clean and report.cursor is not None:
            cursor_path.write_text(json.dumps(report.cursor.to_json()) + "\n")
        with store.read() as reader:
            per_day = events_per_day(reader)
    finally:
        close = getattr(chain, "close", None)  # the embedded store reader has a file to close
        if close is not None:
            close()
        store.close()
    return report, per_day


def _chain_reader(settings: Settings, rpc: str | None):
    from ledger.chain.embedded import ChainDataError

    try:
        return open_chain_reader(settings, rpc)
    except ChainDataError as exc:
        raise type(exc)(
            f"{exc.message}; audit the database alone with --no-chain, or read another node with --rpc URL"
        ) from None


def _incremental_note(resume: AuditCursor | None, report: AuditReport) -> dict:
    """Say what an incremental audit actually covered: it resumes at a page boundary a clean audit
    vouched for, so a log smaller than a page (or with no clean audit yet) is audited whole."""
    if resume is None:
        reason = "no cursor from an earlier clean audit: audited from leaf 0"
    elif resume.boundary == 0:
        reason = f"the last clean audit ended inside the first page ({PAGE} leaves): audited from leaf 0"
    else:
        reason = f"resumed at leaf {resume.boundary}, the last page boundary a clean audit vouched for"
    return {
        "requested": True,
        "resumedFrom": report.incremental_from,
        "pageSize": PAGE,
        "reason": reason,
    }


def _print(report: AuditReport) -> None:
    verdict = "[green]clean[/green]" if report.clean else f"[red]{len(report.discrepancies)} discrepancies[/red]"
    console.print(
        f"audit of {report.events_checked} events ({report.signatures_checked} signatures), "
        f"{report.checkpoints_checked} checkpoints, {report.anchors_checked} anchors, "
        f"{report.lawful_erasures} lawful erasures: {verdict}"
    )
    console.print(scope_line(report.scope), markup=False, highlight=False)
    if not report.clean:
        table = Table("kind", "leaf", "agency", "event", "size", "node", "detail")
        for d in report.discrepancies[:200]:
            node = "" if d.node is None else f"{d.node.level}/{d.node.index}"
            table.add_row(
                d.kind,
                "" if d.leaf_index is None else str(d.leaf_index),
                d.agency or "",
                d.event_id or "",
                "" if d.tree_size is None else str(d.tree_size),
                node,
                d.detail,
            )
        console.print(table)


def scope_line(scope: dict) -> str:
    """One line: what was checked, when, up to which size, and what was not."""
    from datetime import UTC, datetime

    when = datetime.fromtimestamp(scope.get("auditedAt", 0) / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    chain = scope.get("chain")
    where = (
        "chain skipped"
        if chain is None
        else f"chain {chain.get('chainId')} contract {chain.get('contract')} up to block {chain.get('headBlock')}"
    )
    line = f"scope: leaves {scope.get('fromLeaf', 0)}-{max(scope.get('treeSize', 0) - 1, 0)} of {scope.get('treeSize', 0)}, {where}, at {when}"
    witnesses = scope.get("witnesses")
    if witnesses:
        line += f", {witnesses['signaturesChecked']} checkpoint signatures checked against the witness policy"
    if scope.get("notChecked"):
        line += "; not checked: " + ", ".join(scope["notChecked"])
    note = scope.get("incremental")
    if note:
        line += f"; incremental: {note['reason']}"
    return line


def _could_not_run(exc: SaksiError) -> int:
    from ledger.cli.app import fail_line
    from ledger.errors import ChainUnavailable

    hint = ""
    if isinstance(exc, ChainUnavailable):
        hint = "; read another node with --rpc URL, or audit the database alone with --no-chain"
    fail_line(f"audit could not run: {exc.message}{hint}")
    return 2
