"""The trust inputs of verifying a proof bundle (FORMATS 10.3) that come from outside it.

Step 2 needs a witness policy (`--policy FILE`, the verifier's own; or the `witnessPolicy` and `logVkey` a
server publishes in GET /v1/info, which are only as trustworthy as that server). Steps 7 and 8 read the
chain: the root the contract anchored, and the agency registry, which is the contract's
registered/rotated/revoked events placed in time by their blocks. Read through a key-less
:class:`~ledger.chain.reader.ChainReaderAdapter`, never the server's code (`saksi verify` and `saksi
monitor` share it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger.core import merkle
from ledger.core.bundle import ProofBundle
from ledger.core.encoding import hex0x
from ledger.core.note import Vkey
from ledger.core.policy import Policy
from ledger.core.signatures import normalize_signature, recover_signer
from ledger.core.tlog_proof import PROOF_HEADER, TlogProof
from ledger.core.verify import STEPS
from ledger.core.witnessing import PASS, WitnessReport, check_witnesses
from ledger.errors import (
    ChainUnavailable,
    InclusionProofInvalid,
    InvalidInput,
    NotFound,
    RetryLater,
    SaksiError,
    SignatureMismatch,
    VerificationFailed,
)

if TYPE_CHECKING:  # web3 loads on first use, not with every CLI command
    from ledger.chain.reader import ChainReaderAdapter

#: The prefix of `web3_clientVersion` on a Saksi server's POST /chain-rpc (api.chain_window).
SERVER_WINDOW = "saksi-chain-rpc/"
NOT_INDEPENDENT = (
    "the chain was read through the Saksi server's own window on its embedded chain (POST /chain-rpc): "
    "the on-chain checks are only as independent as that server; a deployment anchors on a chain you can ask directly"
)


@dataclass(frozen=True)
class ChainSource:
    """Where verify and monitor read the chain: an RPC URL and the first block worth scanning."""

    url: str
    from_block: int = 0


def chain_source(rpc: str | None, data_dir: Path | None, from_block: int | None) -> ChainSource | None:
    """--rpc, else the chain in --data-dir's config; None when neither is given.

    The embedded chain lives inside `saksi serve`: it is read through that server's POST /chain-rpc."""
    if rpc:
        return ChainSource(rpc, from_block or 0)
    if data_dir is None:
        return None
    from ledger.config import Settings

    settings = Settings.load(data_dir)
    if settings.chain == "embedded":
        raise InvalidInput(
            f"{data_dir} uses the embedded chain, which only its server can read: "
            "pass --rpc http://HOST:PORT/chain-rpc (the address `saksi serve` listens on)"
        )
    return ChainSource(settings.chain, settings.deploy_block if from_block is None else from_block)


def connect_reader(url: str, chain_id: int, contract: bytes) -> tuple[ChainReaderAdapter, bool]:
    """A read-only adapter on ``url`` bound to ``contract``, and whether it is a Saksi server's own window."""
    from ledger.chain.port import ChainIdMismatch, ContractMissing
    from ledger.chain.reader import ChainReaderAdapter
    from ledger.chain.rpc import NodeError, RpcSettings

    try:
        # reads only: a reader holds no key at all
        chain = ChainReaderAdapter.connect(url, chain_id, contract, RpcSettings(request_timeout_s=15.0))
    except ChainIdMismatch as exc:
        raise VerificationFailed(
            f"the RPC serves chain {exc.actual}, the bundle was anchored on chain {chain_id}"
        ) from None
    except ContractMissing:
        raise VerificationFailed(f"there is no contract at {hex0x(contract)} on the chain {url} serves") from None
    except NodeError as exc:
        raise ChainUnavailable(f"{url} refused {exc.method}: {exc.message}") from None
    return chain, chain.client_version().startswith(SERVER_WINDOW)


def chain_trust(bundle: ProofBundle, source: ChainSource, tolerance_ms: int):
    """root_at and signer_authorised for :func:`verify_bundle`, read from the bundle's contract."""
    from ledger.audit.inputs import signer_authorised, signer_windows

    chain, server_window = connect_reader(source.url, bundle.domain.chain_id, bundle.domain.verifying_contract)

    def root_at(tree_size: int) -> bytes:
        root = chain.root_at(tree_size)
        if root is None:
            raise VerificationFailed(f"{STEPS[6]}: the contract has no anchored root for tree size {tree_size}")
        return root

    head = chain.block_number()
    windows = signer_windows(chain.registry_events(source.from_block, head))
    return root_at, signer_authorised(windows, tolerance_ms), server_window


SERVERS_POLICY = (
    "the witness policy was read from the server (GET /v1/info): which witnesses count is the server's word; "
    "pass --policy FILE with a copy you trust"
)


def load_policy(path: Path) -> Policy:
    """`--policy FILE`: a C2SP tlog-policy the verifier trusts (its own copy, not the server's word)."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise NotFound(f"cannot read {path}: {exc.strerror}") from None
    try:
        return Policy.parse(text)
    except InvalidInput as exc:
        raise InvalidInput(f"{path}: {exc.message}") from None


@dataclass(frozen=True)
class ServerTrust:
    """What a Saksi server's GET /v1/info says about its own signatures: only as trustworthy as that server."""

    api: str
    log_vkey: Vkey | None
    policy: Policy | None


def server_trust(api: str, timeout_s: float = 15.0) -> ServerTrust:
    """The `logVkey` and `witnessPolicy` that GET /v1/info of the server at `api` publishes (either may be absent)."""
    import httpx

    url = api.rstrip("/") + "/v1/info"
    try:
        response = httpx.get(url, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise RetryLater(f"{url} did not answer: {exc}") from None
    if response.status_code != 200:
        raise RetryLater(f"{url} answered HTTP {response.status_code}")
    try:
        info = response.json()
    except ValueError:
        raise InvalidInput(f"{url} did not answer JSON") from None
    if not isinstance(info, dict):
        raise InvalidInput(f"{url} did not answer a JSON object")
    vkey, policy = info.get("logVkey"), info.get("witnessPolicy")
    if not isinstance(policy, str | None):
        raise InvalidInput(f"{url}: witnessPolicy must be a C2SP tlog-policy text or null")
    try:
        return ServerTrust(
            api, None if vkey is None else Vkey.parse(vkey), None if policy is None else Policy.parse(policy)
        )
    except InvalidInput as exc:
        raise InvalidInput(f"{url}: {exc.message}") from None


def _when(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def witness_line(report: WitnessReport) -> str:
    """Who witnessed the checkpoint, in plain words with the times of their cosignatures."""
    if report.status == PASS or report.cosigned:
        names = ", ".join(f"{c.display_name} (cosigned {_when(c.timestamp)})" for c in report.cosigned)
        count = f"{len(report.cosigned)} of the {report.policy_witnesses} witnesses the policy names; {report.required} required"
        lead = "Witnessed by" if report.status == PASS else "Not yet witnessed by enough: only"
        return f"{lead} {names} ({count})"
    return report.summary()[0].upper() + report.summary()[1:]


def witness_json(report: WitnessReport | None) -> dict[str, Any] | None:
    if report is None:
        return None
    return {
        "status": report.status,
        "reason": report.reason,
        "logKey": report.log_key,
        "cosigned": [
            {"witness": c.witness, "displayName": c.display_name, "timestamp": c.timestamp} for c in report.cosigned
        ],
        "policyWitnesses": report.policy_witnesses,
        "required": report.required,
        "summary": witness_line(report),
    }


# --- c2sp.org/tlog-proof@v1 files ------------------------------------------------------------------


@dataclass(frozen=True)
class TlogProofReport:
    """What `saksi verify FILE.tlog-proof` established: the leaf, the checkpoint, step 2's outcome, and whom
    the leaf's signature recovers to (the proof holds the leaf bytes, not the event: its content is not here)."""

    leaf_index: int
    tree_size: int
    origin: str
    leaf_hash: bytes
    signer: bytes
    received_at: int
    witnesses: WitnessReport

    @property
    def partial(self) -> bool:
        """Without a policy or a log key nothing authenticates the checkpoint the inclusion proof leads to."""
        return self.witnesses.log_key is None

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": not self.partial,
            "partial": self.partial,
            "format": PROOF_HEADER,
            "leafIndex": self.leaf_index,
            "treeSize": self.tree_size,
            "origin": self.origin,
            "leafHash": hex0x(self.leaf_hash),
            "signer": hex0x(self.signer),
            "receivedAt": self.received_at,
            "witnesses": witness_json(self.witnesses),
        }


def is_tlog_proof(raw: bytes) -> bool:
    return raw.startswith(PROOF_HEADER.encode() + b"\n")


def verify_tlog_proof_file(raw: bytes, *, policy: Policy | None, log_vkey: Vkey | None) -> TlogProofReport:
    """c2sp.org/tlog-proof's verification (its steps 1-4) of a Saksi proof file: the leaf hash from the extra
    line's leaf bytes, the checkpoint's log signature and witnesses (step 2 of FORMATS 10.3, so the same
    pass / warn / fail), the inclusion proof; and the signer the leaf's signature recovers to."""
    proof = TlogProof.parse(raw)
    leaf = proof.leaf()
    leaf_hash = proof.leaf_hash()
    tree = proof.tree
    try:
        witnesses = check_witnesses(tree, proof.checkpoint, policy=policy, log_vkey=log_vkey)
    except VerificationFailed as exc:
        raise VerificationFailed(f"{STEPS[1]}: {exc.message}", **exc.evidence) from None
    try:
        merkle.verify_inclusion(proof.index, tree.tree_size, leaf_hash, proof.inclusion, tree.root_hash)
    except SaksiError as exc:
        raise InclusionProofInvalid(f"{STEPS[4]}: leaf {proof.index}: {exc.message}") from None
    try:
        signer = recover_signer(leaf.digest, normalize_signature(leaf.signature))
    except SaksiError as exc:
        raise SignatureMismatch(f"{STEPS[2]}: leaf {proof.index}: {exc.message}") from None
    return TlogProofReport(proof.index, tree.tree_size, tree.origin, leaf_hash, signer, leaf.received_at_ms, witnesses)
