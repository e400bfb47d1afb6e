"""`saksi tiles export`: the log's tlog-tiles files (c2sp.org/tlog-tiles@v0.1.0) for a static host or CDN.

Like `saksi audit` it needs no secret: the database is opened read-only (safe beside a running
`saksi serve`) and the log's public key is read from its keystore without the password.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.app import DEFAULT_DATA_DIR, DataDir, JsonFlag, app, console
from ledger.config import Settings
from ledger.errors import NotFound
from ledger.runtime import load_witness_policy, log_vkey, open_read_only_store
from ledger.services.tiles_export import export_tiles

tiles_app = typer.Typer(help="The log as C2SP tlog-tiles files.", no_args_is_help=True)
app.add_typer(tiles_app, name="tiles")


@tiles_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="Directory to write (created; brought up to date on a re-run).")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
    json_out: JsonFlag = False,
) -> None:
    """Write checkpoint, tile/… and tile/entries/… as GET /tlog/… serves them; a re-run writes only what changed."""
    settings = Settings.load(data_dir)
    vkey = log_vkey(settings)
    if vkey is None:
        raise NotFound(f"{data_dir} has no log key yet, so no signed checkpoint: run `saksi serve` once")
    store = open_read_only_store(settings)
    try:
        loaded = load_witness_policy(settings)
        policy_hash = None if loaded is None else hashlib.sha256(loaded[1].encode()).digest()
        result = export_tiles(store, settings.domain.separator, vkey, out, policy_hash)
    finally:
        store.close()
    if json_out:
        console.print_json(data=result.to_json())
    else:
        console.print(
            f"exported tree size {result.tree_size} to {out}: {result.written} files written, "
            f"{result.removed} partial tiles removed",
            soft_wrap=True,
            highlight=False,
        )
