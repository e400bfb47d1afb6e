"""`saksi keys` and `saksi case`: encrypted keystores and new case references with access codes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.checker.client import CaseState
from ledger.cli.app import JsonFlag, app, console, password
from ledger.core.commitment import normalize_case_ref
from ledger.core.encoding import hex0x
from ledger.keys import keystore_address, new_keystore

keys_app = typer.Typer(help="Encrypted keystores for operator and agency keys.", no_args_is_help=True)
case_app = typer.Typer(help="Case references and access codes for citizens' receipts.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(case_app, name="case")


@keys_app.command("new")
def keys_new(
    path: Annotated[Path, typer.Argument(help="Keystore file to create (never overwritten).")],
    json_out: JsonFlag = False,
) -> None:
    """Create a new random key in an encrypted keystore (password from SAKSI_PASSWORD or a prompt)."""
    _, address = new_keystore(path, password("New keystore password", confirm=True))
    if json_out:
        console.print_json(data={"keystore": str(path), "address": hex0x(address)})
    else:
        console.print(f"created {path} for address {hex0x(address)}")


@keys_app.command("address")
def keys_address(path: Annotated[Path, typer.Argument(help="A keystore file.")]) -> None:
    """Print a keystore's address (no password needed)."""
    console.print(keystore_address(path))


@case_app.command("new")
def case_new(
    case_ref: Annotated[str, typer.Argument(metavar="CASE_REF", help="The case reference printed on the receipt.")],
    json_out: JsonFlag = False,
) -> None:
    """A fresh access code (case key) for a case reference, and its commitment."""
    case = CaseState.new(normalize_case_ref(case_ref))
    data = {"caseRef": case.ref, "accessCode": case.access_code, "caseCommitment": hex0x(case.commitment)}
    if json_out:
        console.print_json(data=data)
    else:
        for key, value in data.items():  # one line each, never wrapped (a code is copied whole)
            console.print(f"{key}: {value}", soft_wrap=True, highlight=False)
