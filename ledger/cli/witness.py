"""`saksi witness init|add-log|list|serve`: a c2sp.org/tlog-witness@v1 witness (logic in ledger.witness)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.app import JsonFlag, app, console
from ledger.errors import SaksiError

witness_app = typer.Typer(
    help="A witness an oversight body runs: cosigns the checkpoints of the logs it witnesses (c2sp.org/tlog-witness).",
    no_args_is_help=True,
)
app.add_typer(witness_app, name="witness")

WitnessDir = Annotated[
    Path, typer.Option("--data-dir", help="The witness's data directory.", envvar="SAKSI_WITNESS_DIR")
]
DEFAULT_DIR = Path("./witness-data")


def witness_password(confirm: bool = False) -> str:
    """From SAKSI_WITNESS_PASSWORD when set, else a prompt; never a flag."""
    value = os.environ.get("SAKSI_WITNESS_PASSWORD")
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise SaksiError("no password: set SAKSI_WITNESS_PASSWORD or run in a terminal")
    return typer.prompt("Witness key password", hide_input=True, confirmation_prompt=confirm)


@witness_app.command("init")
def witness_init(
    name: Annotated[str, typer.Option("--name", help="The witness's key name, e.g. ombudsman.go.id/witness.")],
    data_dir: WitnessDir = DEFAULT_DIR,
    demo: Annotated[bool, typer.Option("--demo", help="A weak key derivation and a DEMO WITNESS mark.")] = False,
) -> None:
    """Create a witness: its Ed25519 key (encrypted) and config; prints its cosigner vkey."""
    from ledger.witness.admin import init_witness

    vkey = init_witness(data_dir, name, witness_password(confirm=True), demo=demo)
    console.print(str(vkey), soft_wrap=True, highlight=False)


@witness_app.command("add-log")
def witness_add_log(
    vkey: Annotated[str, typer.Argument(metavar="VKEY", help="The log's checkpoint key (Ed25519 note vkey).")],
    origin: Annotated[str | None, typer.Option("--origin", help="The log's origin (default: the key name).")] = None,
    data_dir: WitnessDir = DEFAULT_DIR,
) -> None:
    """Witness a log: cosign its checkpoints signed by VKEY from now on."""
    from ledger.witness.admin import add_witnessed_log

    witnessed, _ = add_witnessed_log(data_dir, vkey, origin)
    console.print(f"witnessing {witnessed}", soft_wrap=True, highlight=False)


@witness_app.command("list")
def witness_list(data_dir: WitnessDir = DEFAULT_DIR, json_out: JsonFlag = False) -> None:
    """The logs witnessed and the latest cosigned size of each."""
    from ledger.witness.admin import list_logs

    config, rows = list_logs(data_dir)
    if json_out:
        data = {"witness": str(config.vkey), "demo": config.demo, "logs": [row.to_json() for row in rows]}
        console.print_json(data=data)
        return
    console.print(f"witness {config.vkey}{'  (DEMO WITNESS)' if config.demo else ''}", soft_wrap=True, highlight=False)
    for row in rows:
        size = "nothing cosigned yet" if row.cosigned_size is None else f"cosigned size {row.cosigned_size}"
        console.print(f"{row.origin}  {size}  {row.vkey}", soft_wrap=True, highlight=False)


@witness_app.command("serve")
def witness_serve(
    port: Annotated[int, typer.Option("--port", help="TCP port.")],
    data_dir: WitnessDir = DEFAULT_DIR,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Serve POST /add-checkpoint and GET /<origin hash>/checkpoint until stopped."""
    from ledger.witness.admin import open_witness, serve

    serve(open_witness(data_dir, witness_password()), host, port)
