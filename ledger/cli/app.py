"""The Typer app and the one place where errors become exit codes."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ledger.errors import SaksiError

app = typer.Typer(
    name="saksi",
    help="Saksi: tamper-evident audit ledger for public services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

DataDir = Annotated[
    Path,
    typer.Option(
        "--data-dir", help="Data directory (config, database, keys, embedded chain).", envvar="SAKSI_DATA_DIR"
    ),
]
DEFAULT_DATA_DIR = Path("./saksi-data")
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def progress_bar(label: str, quiet: bool, status: bool = False):
    """A progress bar on stderr, shown only in a terminal and never with --json.

    With `status`, the task's description is shown after the bar (what it is waiting for)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = [TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    if status:
        columns.append(TextColumn("{task.description}"))
    return Progress(*columns, console=err_console, disable=quiet or not err_console.is_terminal)


@app.callback()
def _root() -> None:
    """Saksi: tamper-evident audit ledger for public services."""


def password(prompt: str = "Keystore password", confirm: bool = False) -> str:
    """From SAKSI_PASSWORD when set, else a prompt; never a flag."""
    value = os.environ.get("SAKSI_PASSWORD")
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise SaksiError("no password: set SAKSI_PASSWORD or run in a terminal")
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)


def fail_line(message: str) -> None:
    """One plain line on stderr, never wrapped or styled, whatever the terminal."""
    sys.stderr.write("saksi: " + " ".join(str(message).split()) + "\n")
    sys.stderr.flush()


DEFAULT_RECURSION_LIMIT = 1000  # CPython's


def run(typer_app: typer.Typer) -> int:
    # py_ecc, imported with eth-account, raised the limit to 100,000 for the whole process; at that
    # depth recursive C code (the standard library's JSON parser reading a hostile file) overflows the
    # C stack before Python stops it. py-evm raises it again (12,288) where a command runs the EVM.
    sys.setrecursionlimit(DEFAULT_RECURSION_LIMIT)
    try:
        # Without standalone mode, click returns the code of a typer.Exit instead of raising it.
        result = typer_app(standalone_mode=False)
        if isinstance(result, int) and not isinstance(result, bool):
            return result
    except SaksiError as exc:
        fail_line(exc.message)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        fail_line("aborted")
        return 130
    except KeyboardInterrupt:
        fail_line("interrupted")
        return 130
    except Exception as exc:  # usage errors and the unexpected: still one line
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):  # click-style usage errors
            fail_line(exc.format_message())
            return int(exc.exit_code)
        fail_line(f"unexpected error: {type(exc).__name__}: {exc}")
        return 70
    return 0
