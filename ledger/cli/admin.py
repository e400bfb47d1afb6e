"""`saksi init`: configuration, operator key, database, and the contract deployed."""

from __future__ import annotations

from typing import Annotated

import typer

from ledger.cli.app import DEFAULT_DATA_DIR, DataDir, JsonFlag, app, console, password
from ledger.errors import Conflict
from ledger.runtime import init_data_dir


@app.command()
def init(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    chain: Annotated[
        str, typer.Option(help='"embedded" (in-process chain kept in the data directory) or a JSON-RPC URL.')
    ] = "embedded",
    database: Annotated[
        str, typer.Option(help="SQLAlchemy URL (default: SQLite in the data directory), e.g. postgresql+psycopg://…")
    ] = "",
    json_out: JsonFlag = False,
) -> None:
    """Create the configuration, the operator keystore and the database, and deploy the ledger contract."""
    if (data_dir / "config.json").exists():  # say so before asking for a password
        raise Conflict(f"{data_dir} is already initialised (config.json exists)")
    settings = init_data_dir(data_dir, password("Operator keystore password", confirm=True), chain, database)
    info = {
        "dataDir": str(data_dir),
        "chain": settings.chain,
        "chainId": settings.chain_id,
        "contract": settings.contract,
        "origin": settings.origin,
    }
    if json_out:
        console.print_json(data=info)
    else:
        console.print(
            f"initialised {data_dir}: contract {settings.contract} on chain {settings.chain_id} ({settings.chain})"
        )
