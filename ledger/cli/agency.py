"""`saksi agency add|rotate|revoke|list`: the agency registry, on chain first, then mirrored."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ledger.cli.app import DEFAULT_DATA_DIR, DataDir, JsonFlag, app, console, password
from ledger.config import Settings
from ledger.core.encoding import hex0x, parse_address
from ledger.core.events import validate_agency_code
from ledger.keys import new_keystore
from ledger.runtime import build_runtime, open_store

agency_app = typer.Typer(help="Register, rotate and revoke agencies' signing keys (on chain).", no_args_is_help=True)
app.add_typer(agency_app, name="agency")

Code = Annotated[str, typer.Argument(metavar="CODE", help="Agency code, e.g. dukcapil.jaksel.")]
NewKey = Annotated[Path | None, typer.Option("--new-key", help="Create the agency's new keystore here.")]
Signer = Annotated[str | None, typer.Option("--signer", help="Or: the signer address (a key held elsewhere, an HSM).")]


def _signer(new_key: Path | None, signer: str | None, secret: str) -> str:
    if (new_key is None) == (signer is None):
        raise typer.BadParameter("give exactly one of --new-key FILE or --signer ADDRESS")
    if signer is not None:
        return hex0x(parse_address("signer", signer))
    _, address = new_keystore(new_key, secret)
    return hex0x(address)


def _on_chain(data_dir: Path, action) -> tuple[str, int]:
    settings = Settings.load(data_dir)
    runtime = build_runtime(settings, password())
    try:
        outcome = action(runtime)
        runtime.mirror.sync()
        return hex0x(outcome.tx_hash), outcome.block_number
    finally:
        runtime.close()


@agency_app.command("add")
def agency_add(
    code: Code,
    name: Annotated[str, typer.Option(help="Display name, e.g. 'Dinas Dukcapil Kota Jakarta Selatan'.")] = "",
    new_key: NewKey = None,
    signer: Signer = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
    json_out: JsonFlag = False,
) -> None:
    """Register an agency and its signer on chain (registrar role), then mirror it."""
    validate_agency_code(code, "CODE")
    address = _signer(new_key, signer, password("New agency keystore password", confirm=True) if new_key else "")

    def register(runtime):
        outcome = runtime.chain.register_agency(code, parse_address("signer", address))
        runtime.mirror.sync()
        with runtime.store.write() as tx:
            tx.set_agency_name(code, name or code)
        return outcome

    tx_hash, block = _on_chain(data_dir, register)
    _report(
        json_out,
        {"agency": code, "signer": address, "txHash": tx_hash, "block": block},
        f"registered {code} with signer {address}",
    )


@agency_app.command("rotate")
def agency_rotate(
    code: Code,
    new_key: NewKey = None,
    signer: Signer = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
    json_out: JsonFlag = False,
) -> None:
    """Rotate an agency's signer: events signed by the old key are refused from now on."""
    address = _signer(new_key, signer, password("New agency keystore password", confirm=True) if new_key else "")
    tx_hash, block = _on_chain(
        data_dir, lambda rt: rt.chain.rotate_agency_signer(code, parse_address("signer", address))
    )
    _report(
        json_out,
        {"agency": code, "signer": address, "txHash": tx_hash, "block": block},
        f"{code} now signs with {address}",
    )


@agency_app.command("revoke")
def agency_revoke(code: Code, data_dir: DataDir = DEFAULT_DATA_DIR, json_out: JsonFlag = False) -> None:
    """Revoke an agency: no further event is accepted from it; its past events stay valid."""
    tx_hash, block = _on_chain(data_dir, lambda rt: rt.chain.revoke_agency(code))
    _report(json_out, {"agency": code, "txHash": tx_hash, "block": block}, f"revoked {code}")


@agency_app.command("list")
def agency_list(data_dir: DataDir = DEFAULT_DATA_DIR, json_out: JsonFlag = False) -> None:
    """The agencies as mirrored from the chain."""
    store = open_store(Settings.load(data_dir))
    with store.read() as reader:
        rows = reader.agencies()
    store.engine.dispose()
    data = [{**r, "signer": None if r["signer"] is None else hex0x(r["signer"])} for r in rows]
    if json_out:
        console.print_json(data=data)
        return
    table = Table("code", "name", "status", "signer")
    for r in data:
        table.add_row(r["code"], r["name"], r["status"], r["signer"] or "")
    console.print(table)


def _report(json_out: bool, data: dict, line: str) -> None:
    if json_out:
        console.print_json(data=data)
    else:
        console.print(line)
