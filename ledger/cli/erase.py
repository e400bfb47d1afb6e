"""`saksi erase`: lawful erasure of a case's personal data, signed by the agency that recorded it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.checker.client import AgencyClient
from ledger.cli.app import JsonFlag, app, console, password
from ledger.core.commitment import normalize_case_ref, parse_access_code
from ledger.keys import read_keystore


@app.command()
def erase(
    case_ref: Annotated[str, typer.Option("--case-ref", help="The case reference.")],
    leaf: Annotated[list[int], typer.Option("--leaf", help="Leaf index of an event whose payload is erased (repeat).")],
    legal_basis: Annotated[
        str, typer.Option("--legal-basis", help="e.g. 'UU 27/2022 Pasal 8, permintaan subjek data'.")
    ],
    agency: Annotated[str, typer.Option(help="The agency that recorded the events.")],
    keystore: Annotated[Path, typer.Option(help="The agency's keystore (password from SAKSI_PASSWORD or a prompt).")],
    api: Annotated[str, typer.Option(help="Saksi API base URL.", envvar="SAKSI_API")] = "http://127.0.0.1:8080",
    access_code_env: Annotated[
        str, typer.Option("--access-code-env", help="Environment variable holding the case's access code.")
    ] = "SAKSI_ACCESS_CODE",
    json_out: JsonFlag = False,
) -> None:
    """Append an erasure.personal_data event and shred the named payloads; the leaves and proofs stay valid."""
    import os

    code = os.environ.get(access_code_env)
    if not code:
        code = typer.prompt("Case access code", hide_input=True)
    client = AgencyClient(api, agency, read_keystore(keystore, password()))
    try:
        case = client.open_case(normalize_case_ref(case_ref), parse_access_code(code))
        answer = client.erase(case, leaf, legal_basis)
    finally:
        client.close()
    if json_out:
        console.print_json(data=answer)
    else:
        console.print(
            f"erased the payloads of leaves {answer['erased']} under event {answer['receipt']['eventId']} ({legal_basis})"
        )
