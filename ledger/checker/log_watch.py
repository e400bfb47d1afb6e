"""The monitor's view of the log's signed checkpoints and of its witnesses (FORMATS 11.8).

Each round:

1. `GET /tlog/checkpoint` of the log: the note must carry the log's signature by the trusted key
   (`log-signature-invalid`), every cosignature of a policy witness must verify (`cosignature-invalid`),
   and the policy's quorum must have cosigned it (`quorum-not-met`).
2. It must extend the last signed checkpoint this monitor verified: same size, same root; larger, a
   consistency proof from the log that verifies (`log-inconsistent`, with the two signed notes kept as
   evidence: two checkpoints signed by one key that cannot both be true).
3. Each witness of the policy that names a URL serves the newest checkpoint it cosigned at
   `GET <url>/<hex sha256(origin)>/checkpoint`. It must carry the log's signature and the witness's own
   cosignature (`witness-misbehaving`), and be consistent with the log's view: same root at the same
   size, a verifying consistency proof otherwise. A checkpoint the log signed that the log cannot prove
   consistent with the one it shows this monitor is a **split view** (`split-view`, evidence kept); a
   witness that does not answer is `witness-unavailable` (the log is not blamed for it).

Evidence is a JSON file per finding in the evidence directory, written atomically, named by the time
and the SHA-256 of its content, so the same finding seen again is kept once.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ledger.core import merkle
from ledger.core.checkpoint import Checkpoint
from ledger.core.encoding import hex0x, parse_hex
from ledger.core.note import SIG_ED25519, Note, Vkey, verify_note, verify_signatures
from ledger.core.policy import Policy, PolicyWitness
from ledger.core.witnessing import QUORUM_NOT_MET, check_witnesses
from ledger.errors import SaksiError, VerificationFailed
from ledger.witness.files import atomic_write, make_private_dir

#: The alert kinds of this module (FORMATS 11.8); the chain's are in ledger.checker.monitor.
LOG_SIGNATURE_INVALID = "log-signature-invalid"
COSIGNATURE_INVALID = "cosignature-invalid"
QUORUM_MISSING = "quorum-not-met"
LOG_INCONSISTENT = "log-inconsistent"
SPLIT_VIEW = "split-view"
WITNESS_UNAVAILABLE = "witness-unavailable"
WITNESS_MISBEHAVING = "witness-misbehaving"
API_UNAVAILABLE = "api-unavailable"

MAX_NOTE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Finding:
    kind: str
    tree_size: int
    detail: str
    evidence: Path | None = None
    witness: str | None = None


@dataclass
class LogView:
    """The newest signed checkpoint this monitor verified (persisted in the state file)."""

    note: str | None = None  # the serialized note, signatures included
    witnesses: dict[str, int] = field(default_factory=dict)  # witness -> size last seen consistent

    def checkpoint(self) -> Checkpoint | None:
        return None if self.note is None else Checkpoint.from_text(Note.parse(self.note).text)


class Unavailable(Exception):
    """A peer (the log or a witness) gave no usable answer; not evidence of anything."""


class LogWatch:
    """Step 1-3 above, for one log, against the trust the monitor's operator gave it."""

    def __init__(
        self,
        api: httpx.Client,
        *,
        log_vkey: Vkey | None,
        policy: Policy | None,
        evidence_dir: Path,
        witness_client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if log_vkey is None and policy is None:
            raise ValueError("a log key or a policy is needed to watch signed checkpoints")
        self.api = api
        self.log_vkey = log_vkey
        self.policy = policy
        self.evidence_dir = Path(evidence_dir)
        self.witness_client = witness_client or httpx.Client(timeout=10.0)
        self._clock = clock

    # --- one round ---

    def check(self, view: LogView) -> list[Finding]:
        try:
            text = self._get_text(self.api, "/tlog/checkpoint")
        except Unavailable as exc:
            return [Finding(API_UNAVAILABLE, 0, f"GET /tlog/checkpoint: {exc}")]
        try:
            note = Note.parse(text)
            checkpoint = Checkpoint.from_text(note.text)
        except SaksiError as exc:
            return [Finding(LOG_SIGNATURE_INVALID, 0, f"/tlog/checkpoint is not a signed checkpoint: {exc.message}")]
        size = checkpoint.tree_size
        log_key = self._log_key(checkpoint.origin)
        if log_key is None:
            return [Finding(LOG_SIGNATURE_INVALID, size, f"no trusted log key for the origin {checkpoint.origin}")]
        try:
            verify_note(note, [log_key])
        except VerificationFailed as exc:
            return [Finding(LOG_SIGNATURE_INVALID, size, f"the log's signature by {log_key}: {exc.message}")]
        findings: list[Finding] = []
        if self.policy is not None:
            findings += self._witness_quorum(checkpoint, note)
        previous = view.checkpoint()
        if previous is not None:
            assert view.note is not None
            problem = self._inconsistency(previous, checkpoint)
            if isinstance(problem, Finding):  # the log did not answer: try again next round
                return [*findings, problem]
            if problem is not None:
                evidence = self._keep(
                    LOG_INCONSISTENT, {"earlier": view.note, "later": note.serialize(), "problem": problem}
                )
                # the earlier view stays: a log that forked does not get to move the monitor onto the fork
                return [*findings, Finding(LOG_INCONSISTENT, size, problem, evidence)]
        if previous is None or size >= previous.tree_size:
            view.note = note.serialize()
        if self.policy is not None:
            findings += self._witnesses(view, checkpoint, note, log_key)
        return findings

    # --- the log's own checkpoint ---

    def _log_key(self, origin: str) -> Vkey | None:
        if self.policy is not None:
            key = self.policy.log_for(origin)
            if key is None or (self.log_vkey is not None and key != self.log_vkey):
                return None
            return key
        assert self.log_vkey is not None
        if self.log_vkey.name != origin or self.log_vkey.sig_type != SIG_ED25519:
            return None
        return self.log_vkey

    def _witness_quorum(self, checkpoint: Checkpoint, note: Note) -> list[Finding]:
        size = checkpoint.tree_size
        try:
            report = check_witnesses(checkpoint, note, policy=self.policy, log_vkey=self.log_vkey)
        except VerificationFailed as exc:
            kind = COSIGNATURE_INVALID if "witness" in exc.evidence else LOG_SIGNATURE_INVALID
            return [Finding(kind, size, exc.message, witness=exc.evidence.get("witness"))]
        if report.reason == QUORUM_NOT_MET:
            return [Finding(QUORUM_MISSING, size, f"the checkpoint the log serves is {report.summary()}")]
        return []

    def _inconsistency(self, earlier: Checkpoint, later: Checkpoint) -> str | Finding | None:
        """Why `later` cannot extend `earlier` (either may be the larger), None when it does."""
        if earlier.origin != later.origin:
            return f"the origin changed from {earlier.origin} to {later.origin}"
        small, large = sorted((earlier, later), key=lambda c: c.tree_size)
        if small.tree_size == large.tree_size:
            if small.root_hash != large.root_hash:
                return (
                    f"two signed checkpoints of size {small.tree_size} with different roots: "
                    f"{hex0x(earlier.root_hash)} and {hex0x(later.root_hash)}"
                )
            return None
        if small.tree_size == 0:
            return None if small.root_hash == merkle.EMPTY_ROOT else "a signed empty checkpoint with a non-empty root"
        try:
            proof = self._consistency(small.tree_size, large.tree_size)
        except Unavailable as exc:
            return Finding(API_UNAVAILABLE, later.tree_size, f"consistency proof: {exc}")
        except (KeyError, ValueError, TypeError, SaksiError) as exc:
            return f"the log answered no usable consistency proof {small.tree_size} -> {large.tree_size}: {exc}"
        try:
            merkle.verify_consistency(small.tree_size, large.tree_size, small.root_hash, large.root_hash, proof)
        except SaksiError as exc:
            return f"the log cannot prove {small.tree_size} -> {large.tree_size} consistent: {exc.message}"
        return None

    def _consistency(self, first: int, second: int) -> list[bytes]:
        response = self._request(self.api, f"/v1/proofs/consistency?from={first}&to={second}")
        if response.status_code >= 500:
            raise Unavailable(f"HTTP {response.status_code}")
        if response.status_code != 200:
            raise ValueError(f"HTTP {response.status_code}")
        return [parse_hex("proof", h, 32) for h in response.json()["proof"]]

    # --- the witnesses ---

    def _witnesses(self, view: LogView, checkpoint: Checkpoint, note: Note, log_key: Vkey) -> list[Finding]:
        assert self.policy is not None
        origin_hash = hashlib.sha256(checkpoint.origin.encode()).hexdigest()
        findings = []
        for witness in self.policy.witnesses:
            if witness.url is None:
                continue
            finding = self._witness(
                view, witness, f"{witness.url.rstrip('/')}/{origin_hash}/checkpoint", checkpoint, note, log_key
            )
            if finding is not None:
                findings.append(finding)
        return findings

    def _witness(
        self, view: LogView, witness: PolicyWitness, url: str, ours: Checkpoint, our_note: Note, log_key: Vkey
    ) -> Finding | None:
        name = witness.display_name
        try:
            response = self._request(self.witness_client, url)
        except Unavailable as exc:
            return Finding(WITNESS_UNAVAILABLE, ours.tree_size, f"{name}: {exc}", witness=witness.name)
        if response.status_code == 404:
            return None  # it has cosigned nothing of this log yet
        if response.status_code != 200:
            return Finding(
                WITNESS_UNAVAILABLE, ours.tree_size, f"{name}: HTTP {response.status_code}", witness=witness.name
            )
        try:
            theirs_note = Note.parse(response.content[:MAX_NOTE_BYTES])
            theirs = Checkpoint.from_text(theirs_note.text)
            verify_note(theirs_note, [log_key])
            if not verify_signatures(theirs_note, [witness.vkey]):
                raise VerificationFailed("it carries no cosignature of its own")
        except (SaksiError, UnicodeDecodeError) as exc:
            message = exc.message if isinstance(exc, SaksiError) else str(exc)
            return Finding(
                WITNESS_MISBEHAVING,
                ours.tree_size,
                f"{name} serves a checkpoint that does not verify: {message}",
                witness=witness.name,
            )
        problem = self._inconsistency(ours, theirs)
        if isinstance(problem, Finding):
            return problem
        if problem is not None:
            evidence = self._keep(
                SPLIT_VIEW,
                {
                    "witness": witness.name,
                    "witnessName": name,
                    "witnessUrl": url,
                    "logView": our_note.serialize(),
                    "witnessView": theirs_note.serialize(),
                    "problem": problem,
                },
            )
            detail = f"{name} cosigned size {theirs.tree_size}, which the log cannot reconcile with its size {ours.tree_size}: {problem}"
            return Finding(SPLIT_VIEW, ours.tree_size, detail, evidence, witness.name)
        view.witnesses[witness.name] = theirs.tree_size
        return None

    # --- plumbing ---

    def _request(self, client: httpx.Client, path: str) -> httpx.Response:
        try:
            return client.get(path)
        except httpx.HTTPError as exc:
            raise Unavailable(str(exc) or type(exc).__name__) from None

    def _get_text(self, client: httpx.Client, path: str) -> bytes:
        response = self._request(client, path)
        if response.status_code != 200:
            raise Unavailable(f"HTTP {response.status_code}")
        return response.content[:MAX_NOTE_BYTES]

    def _keep(self, kind: str, body: dict[str, Any]) -> Path:
        now = self._clock()
        record = {"kind": kind, "detectedAt": int(now), **body}
        data = json.dumps(record, indent=2, sort_keys=True).encode() + b"\n"
        digest = hashlib.sha256(json.dumps({**record, "detectedAt": 0}, sort_keys=True).encode()).hexdigest()
        make_private_dir(self.evidence_dir)
        existing = next(self.evidence_dir.glob(f"*-{kind}-{digest[:16]}.json"), None)
        if existing is not None:
            return existing
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        path = self.evidence_dir / f"{stamp}-{kind}-{digest[:16]}.json"
        atomic_write(path, data)
        return path
