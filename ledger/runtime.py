"""The composition root: build store, chain, ledger and workers from a data directory's settings.

Only this module and the edges (CLI, API start-up) know which adapters exist; the
services receive them.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ledger.chain.port import ChainReader
from ledger.config import Settings
from ledger.core.encoding import hex0x, parse_address
from ledger.core.note import NoteSigner, Vkey
from ledger.errors import ChainUnavailable, Conflict, InvalidInput, SaksiError
from ledger.keys import (
    is_demo_keystore,
    new_keystore,
    new_note_keystore,
    note_keystore_vkey,
    read_keystore,
    read_note_keystore,
    write_keystore,
)
from ledger.services.ledger import Ledger
from ledger.storage.engine import DatabaseSettings, create_database_engine, upgrade
from ledger.storage.sql import SqlStore

if TYPE_CHECKING:  # the adapters and workers load on first use (the CLI's start-up time)
    from ledger.chain.rpc import RpcChain
    from ledger.services.anchoring import AnchorWorker
    from ledger.services.registry import RegistryMirror

OPERATOR_KEYSTORE = "keys/operator.json"
# The log's Ed25519 note-signing key (c2sp.org/signed-note), named by the checkpoint origin: it signs
# every checkpoint the log serves (FORMATS 9.1); beside the operator key, under the same password.
LOG_KEYSTORE = "keys/log-note.json"
AUDIT_LATEST = "audit-latest.json"
AUDIT_CURSOR = "audit-cursor.json"  # where `saksi audit --incremental` resumes (written after a clean audit)
EMBEDDED_DIR = "chain"
DEV_CHAIN_IDS = (31337, 1337)


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def open_store(settings: Settings, serving: bool = False) -> SqlStore:
    """The migrated store. `serving`: a long-running server, which checkpoints SQLite's WAL from a
    thread of its own rather than in whichever request's commit crosses the threshold."""
    engine = create_database_engine(
        DatabaseSettings(
            settings.database_url,
            sqlite_synchronous=settings.sqlite_synchronous,
            sqlite_wal_autocheckpoint=0 if serving else 1000,
            pool_size=settings.limits.worker_threads + 4,  # + anchoring, registry, checkpoints, spare
        )
    )
    upgrade(engine)
    store = SqlStore(engine)
    if serving:
        store.start_wal_checkpoints()
    return store


def open_read_only_store(settings: Settings) -> SqlStore:
    """The store as an auditor opens it: read-only (SQLite mode=ro, PostgreSQL READ ONLY transactions),
    never migrated, safe beside a running server."""
    from ledger.storage.engine import check_schema

    try:
        engine = create_database_engine(DatabaseSettings(settings.database_url, read_only=True, pool_size=2))
    except FileNotFoundError as exc:
        raise InvalidInput(f"{exc}: run `saksi init` (or point --data-dir at a ledger)") from None
    try:
        check_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return SqlStore(engine)


def open_chain_reader(settings: Settings, rpc_url: str | None = None) -> ChainReader:
    """A chain reader that holds no key, bound to the configured contract: for audits.

    The embedded chain is read from its store in the data directory, read-only and without its lock, so
    this works while `saksi serve` runs its node; another chain through JSON-RPC (`rpc_url`, else the
    configured URL)."""
    from ledger.chain.reader import ChainReaderAdapter
    from ledger.chain.rpc import RpcSettings

    if not settings.contract or not settings.chain_id:
        raise InvalidInput("this data directory has no deployed contract yet: run `saksi init`")
    contract = parse_address("contract", settings.contract)
    if settings.chain == "embedded" and not rpc_url:
        data_dir = Path(settings.data_dir) / EMBEDDED_DIR
        return ChainReaderAdapter.open_embedded(data_dir, settings.chain_id, contract, settings.deploy_block)
    rpc_settings = RpcSettings(confirmations=max(1, settings.confirmations), start_block=settings.deploy_block)
    return ChainReaderAdapter.connect(rpc_url or settings.chain, settings.chain_id, contract, rpc_settings)


def operator_key(settings: Settings, password: str) -> bytes:
    return read_keystore(Path(settings.data_dir) / OPERATOR_KEYSTORE, password)


def log_keystore(settings: Settings) -> Path:
    return Path(settings.data_dir) / LOG_KEYSTORE


def log_signer(settings: Settings, password: str) -> NoteSigner:
    """The log's note signer, from its keystore; created (and said so in the log) when the data directory
    has none yet: one initialised before the log signed its checkpoints. The key name is the origin, and
    a demo data directory's key gets the demo's fast KDF like its operator key."""
    path = log_keystore(settings)
    if path.exists():
        signer = read_note_keystore(path, password)
        if signer.vkey.name != settings.origin:
            raise InvalidInput(
                f"{path} signs as {signer.vkey.name!r}, but this ledger's checkpoint origin is {settings.origin!r}"
            )
        return signer
    demo = is_demo_keystore(Path(settings.data_dir) / OPERATOR_KEYSTORE)
    signer = new_note_keystore(path, settings.origin, password, demo=demo)
    logging.getLogger("ledger.runtime").info("created the log's note-signing key %s: vkey %s", path, signer.vkey)
    return signer


def log_vkey(settings: Settings) -> Vkey | None:
    """The log's public verifier key (no password needed), or None before the log has a key."""
    path = log_keystore(settings)
    return note_keystore_vkey(path) if path.exists() else None


def open_chain(settings: Settings, key: bytes, contract: bytes | None = None, serving: bool = False) -> RpcChain:
    """The configured chain adapter, bound to the deployed contract when there is one.

    `serving`: for a long-running server, the embedded chain runs in a child process."""
    from ledger.chain.rpc import RpcChain, RpcSettings

    if contract is None and settings.contract:
        contract = parse_address("contract", settings.contract)
    rpc_settings = RpcSettings(confirmations=max(1, settings.confirmations), start_block=settings.deploy_block)
    if settings.chain == "embedded":
        from ledger.chain.embedded import EmbeddedChain

        kwargs = {"chain_id": settings.chain_id} if settings.chain_id else {}
        return EmbeddedChain.open(
            Path(settings.data_dir) / EMBEDDED_DIR, key, contract=contract, separate_process=serving, **kwargs
        )
    if not settings.chain_id:
        raise InvalidInput("a JSON-RPC chain needs its chain id in the settings")
    return RpcChain.connect(settings.chain, settings.chain_id, key, contract, rpc_settings)


def _chain_id_of(url: str) -> int:
    from ledger.devchain.nodes import rpc

    try:
        return int(rpc(url, "eth_chainId"), 16)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the node
        raise ChainUnavailable(f"cannot reach the chain at {url}: {exc}") from None


def init_data_dir(
    data_dir: Path,
    password: str,
    chain: str = "embedded",
    database_url: str = "",
    demo: bool = False,
    operator_private_key: bytes | None = None,
) -> Settings:
    """Create the configuration, the operator key and the database, and deploy the contract."""
    data_dir = Path(data_dir)
    if (data_dir / "config.json").exists():
        raise Conflict(f"{data_dir} is already initialised (config.json exists)")
    keystore = data_dir / OPERATOR_KEYSTORE
    if operator_private_key is not None:
        write_keystore(keystore, operator_private_key, password, demo=demo)
        key = operator_private_key
    elif keystore.exists():
        key = read_keystore(keystore, password)
    else:
        key, _ = new_keystore(keystore, password, demo=demo)
    settings = Settings(data_dir=data_dir, database_url=database_url, chain=chain)
    open_store(settings).engine.dispose()

    if chain == "embedded":
        adapter = open_chain(settings, key)
    else:
        chain_id = _chain_id_of(chain)
        settings = settings.with_(chain_id=chain_id)
        if chain_id in DEV_CHAIN_IDS:
            from ledger.devchain.nodes import fund_from_dev_account, rpc

            if int(rpc(chain, "eth_getBalance", [hex0x(_address(key)), "latest"]), 16) == 0:
                fund_from_dev_account(chain, _address(key))
        adapter = open_chain(settings, key)
    try:
        address, outcome = adapter.deploy(adapter.operator, adapter.operator, adapter.operator)
        settings = settings.with_(chain_id=adapter.chain_id, contract=hex0x(address), deploy_block=outcome.block_number)
    finally:
        close = getattr(adapter, "close", None)
        if close:
            close()
    settings.save()
    if not log_keystore(settings).exists():
        new_note_keystore(log_keystore(settings), settings.origin, password, demo=demo)
    return settings


def _address(key: bytes) -> bytes:
    from ledger.core.signatures import address_of_key

    return address_of_key(key)


@dataclass
class Runtime:
    """Everything `saksi serve` runs: the ledger, the chain, and the background workers.

    `chain` is the concrete adapter (JSON-RPC or embedded, both :class:`RpcChain`): the server holds all
    three roles of the port with one key, and its /chain-rpc window passes raw requests through."""

    settings: Settings
    store: SqlStore
    ledger: Ledger
    chain: RpcChain
    mirror: RegistryMirror
    worker: AnchorWorker
    log_signer: NoteSigner

    @property
    def workers(self) -> tuple[RegistryMirror, AnchorWorker]:
        """The background workers in the order each tick runs them."""
        return (self.mirror, self.worker)

    def close(self) -> None:
        with contextlib.suppress(SaksiError):
            self.chain.close()
        self.store.close()


def agency_keystore(settings: Settings, code: str) -> Path:
    """Where the data directory keeps agency keys it holds itself (the complaints desk, the demo)."""
    return Path(settings.data_dir) / "keys" / "agencies" / f"{code}.json"


def build_runtime(settings: Settings, password: str, clock_ms=wall_clock_ms, serving: bool = False) -> Runtime:
    """Store, chain, ledger, registry mirror and anchoring worker for `saksi serve` and `saksi demo`.

    `serving`: a long-running server (WAL checkpoints from a thread, the embedded chain in a child process)."""
    from ledger.services.anchoring import AnchorSettings, AnchorWorker
    from ledger.services.proofs import sign_unsigned_checkpoints
    from ledger.services.registry import RegistryMirror

    key = operator_key(settings, password)
    signer = log_signer(settings, password)
    store = open_store(settings, serving=serving)
    try:
        signed = sign_unsigned_checkpoints(store, signer)
    except BaseException:
        store.close()
        raise
    if signed:
        logging.getLogger("ledger.runtime").info("signed %d checkpoints made before the log had its key", signed)
    try:
        chain = open_chain(settings, key, serving=serving)
    except BaseException:
        store.close()
        raise
    complaints_key = None
    if settings.complaints_agency and agency_keystore(settings, settings.complaints_agency).exists():
        complaints_key = read_keystore(agency_keystore(settings, settings.complaints_agency), password)
    ledger = Ledger(settings, store, clock_ms, complaints_key=complaints_key, log_vkey=signer.vkey)
    mirror = RegistryMirror(
        store, chain, clock_ms, start_block=settings.deploy_block, confirmations=max(1, settings.confirmations)
    )
    worker = AnchorWorker(
        store,
        chain,
        clock_ms,
        AnchorSettings(
            every_leaves=settings.anchor_every_leaves,
            every_seconds=settings.anchor_every_seconds,
            confirmations=max(1, settings.confirmations),
        ),
        origin=settings.origin,
        signer=signer,
    )
    return Runtime(settings, store, ledger, chain, mirror, worker, signer)


def run_background(runtime: Runtime, stop, interval_s: float = 1.0, on_tick=None) -> None:
    """The registry mirror, the anchoring worker and the public statistics, one tick each per
    interval, until `stop` is set."""
    import logging

    log = logging.getLogger("ledger.runtime")
    mirror, worker = runtime.workers
    while not stop.is_set():
        try:
            mirror.sync()
        except SaksiError as exc:
            log.warning("registry sync: %s", exc.message)
        except Exception:  # keep serving; the next tick retries
            log.exception("registry sync failed")
        try:
            result = worker.tick()  # the worker keeps its own backoff while the chain is down
            if on_tick is not None:
                on_tick(result)
        except Exception:
            log.exception("anchoring tick failed")
        try:
            runtime.ledger.refresh_stats()  # so that no request pays for folding in new leaves
        except Exception:
            log.exception("statistics refresh failed")
        stop.wait(interval_s)


def anchor_everything(runtime: Runtime, timeout_s: float = 120.0):
    """Anchor the whole tree now, whatever the thresholds, and wait until it is mined (or raise);
    returns (last tick result, worker status). See services.anchoring.anchor_now."""
    from ledger.services.anchoring import anchor_now

    result, status, _ = anchor_now(
        runtime.store,
        runtime.chain,
        runtime.ledger.clock_ms,
        runtime.settings.origin,
        timeout_s=timeout_s,
        signer=runtime.log_signer,
    )
    return result, status
