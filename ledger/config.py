"""Typed configuration, kept as `config.json` in the data directory.

Only the edges (CLI, API start-up) read files and the environment; everything
else receives a :class:`Settings`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, get_type_hints

import orjson

from ledger.core.checkpoint import default_origin
from ledger.core.encoding import parse_address
from ledger.core.events import Domain
from ledger.errors import InvalidInput, NotFound

CONFIG_FILE = "config.json"
COUNTS_WHEN = frozenset({"anchored", "witnessed"})


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 4 * 1024 * 1024
    max_batch: int = 1000
    max_payload_bytes: int = 64 * 1024
    max_clock_skew_s: int = 300
    leaves_page: int = 1000
    citizen_rate_per_minute: int = 120
    complaint_rate_per_hour: int = 10
    # Threads running the API's database and signature work (the database pool has a few more
    # connections). Few on purpose: CPU-bound threads share one interpreter lock, and every extra
    # runnable thread takes turns from the single writer: under the mixed load of the `load`
    # benchmark (benchmarks/results.json) on 2 cores, POST p99 grew with every thread added past two.
    # More suit PostgreSQL on its own host, where threads mostly wait on the network.
    worker_threads: int = 2
    # GET /v1/stats is public: its aggregates fold in the leaves appended since their last refresh
    # at most this often, whoever asks (ledger.services.stats); the anchoring lag in it is current.
    stats_max_age_s: float = 60.0
    # Live case streams (GET /v1/cases/{c}/stream, api.live): open at once per client address and in all,
    # a keep-alive comment this often on an idle stream, and how often the watcher looks for news that
    # did not come from this process's own appends (other processes, the workers' checkpoints).
    max_streams_per_client: int = 8
    max_streams_total: int = 2000
    stream_heartbeat_s: float = 15.0
    stream_poll_s: float = 1.0


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str = ""
    chain: str = "embedded"  # "embedded" or a JSON-RPC URL
    chain_id: int = 0
    contract: str = ""  # 0x address of the ledger contract, set by `saksi init`
    deploy_block: int = 0  # the contract's deployment block: where event scans start
    public_rpc_url: str = ""  # shown to citizens' browsers to check roots on chain
    anchor_every_leaves: int = 1000
    anchor_every_seconds: float = 30.0
    confirmations: int = 0
    max_anchor_lag_s: float = 600.0
    sqlite_synchronous: str = "FULL"
    cors_origins: tuple[str, ...] = ()
    complaints_agency: str = ""  # agency code the complaints desk signs as
    # Witnessing (c2sp.org/tlog-witness): the C2SP tlog-policy file naming the witnesses and the quorum,
    # a path relative to the data directory (or absolute); empty: no witnesses.
    witness_policy: str = ""
    # What a checkpoint needs before citizens verify against it: "anchored", "witnessed" or both.
    # Empty: "anchored", and "witnessed" too when a witness policy is set.
    checkpoint_counts_when: tuple[str, ...] = ()
    checkpoint_every_seconds: float = 1.0  # a grown tree is checkpointed (and sent to witnesses) this often
    witness_timeout_s: float = 5.0
    # Anchoring waits this long for a witnessed checkpoint before it anchors one the witnesses have not
    # cosigned (witnesses down must not stop anchoring).
    witness_grace_seconds: float = 60.0
    # /readyz says witnessing lags (never "not ready") once the newest checkpoint waits this long for its quorum
    max_witness_lag_s: float = 60.0
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        unknown = set(self.checkpoint_counts_when) - COUNTS_WHEN
        if unknown:
            raise InvalidInput(
                f"setting 'checkpoint_counts_when' may hold only {sorted(COUNTS_WHEN)}, not {sorted(unknown)[0]!r}"
            )
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{Path(self.data_dir) / 'saksi.db'}")

    @property
    def domain(self) -> Domain:
        if not self.contract or not self.chain_id:
            raise NotFound("this data directory has no deployed contract yet: run `saksi init`")
        return Domain(self.chain_id, parse_address("contract", self.contract))

    @property
    def origin(self) -> str:
        domain = self.domain
        return default_origin(domain.chain_id, domain.verifying_contract)

    @property
    def policy_path(self) -> Path | None:
        if not self.witness_policy:
            return None
        path = Path(self.witness_policy)
        return path if path.is_absolute() else Path(self.data_dir) / path

    @property
    def counts_when(self) -> frozenset[str]:
        """What a checkpoint needs to count for citizens (FORMATS §9.2)."""
        if self.checkpoint_counts_when:
            return frozenset(self.checkpoint_counts_when)
        return frozenset({"anchored", "witnessed"} if self.witness_policy else {"anchored"})

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    # --- persistence ---------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["data_dir"] = None  # the folder the file is in; never written as a machine path
        data["cors_origins"] = list(self.cors_origins)
        default_db = f"sqlite:///{Path(self.data_dir) / 'saksi.db'}"
        if self.database_url == default_db:
            data["database_url"] = ""
        return {k: v for k, v in data.items() if k != "data_dir"}

    def save(self) -> Path:
        path = Path(self.data_dir) / CONFIG_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, data_dir: Path | str) -> Settings:
        path = Path(data_dir) / CONFIG_FILE
        if not path.exists():
            raise NotFound(f"{path} does not exist: run `saksi init --data-dir {data_dir}` first")
        try:
            # orjson: bounded nesting without the interpreter's stack (the standard library's parser
            # recurses in C, past the C stack once a dependency has raised the recursion limit)
            raw = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:  # not JSON, not UTF-8, or nested over 1024
            raise InvalidInput(f"{path} is not valid JSON: {exc}") from None
        values = _checked(cls, raw, str(path), "", skip={"data_dir"})
        limits = Limits(**_checked(Limits, values.pop("limits", {}), str(path), "limits."))
        return cls(data_dir=Path(data_dir), limits=limits, **values)


def _checked(cls: type, raw: Any, path: str, prefix: str, skip: frozenset[str] | set[str] = frozenset()) -> dict:
    """The members of `raw` for dataclass `cls`, each of its field's type; else one line naming the key."""
    where = prefix.rstrip(".") or "the file"
    if not isinstance(raw, dict):
        raise InvalidInput(f"{path}: {where} must be a JSON object")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)} - set(skip)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InvalidInput(f"{path}: unknown setting {prefix + unknown[0]!r}")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        expected = hints[name]
        if expected is Limits:
            values[name] = value  # checked by the caller, member by member
            continue
        ok, value = _coerce(expected, value)
        if not ok:
            raise InvalidInput(f"{path}: setting {prefix + name!r} must be {_describe(expected)}, not {value!r}")
        values[name] = value
    return values


def _coerce(expected: Any, value: Any) -> tuple[bool, Any]:
    if expected is bool:
        return isinstance(value, bool), value
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if expected is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return ok, float(value) if ok else value
    if expected is str:
        return isinstance(value, str), value
    if expected == tuple[str, ...]:
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
        return ok, tuple(value) if ok else value
    raise TypeError(f"no rule for settings of type {expected!r}")  # a new field's type: add its rule


def _describe(expected: Any) -> str:
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(
        expected, "a list of strings"
    )
