"""Witnessing: collect cosignatures for the log's checkpoints from the witnesses of a C2SP tlog-policy.

:class:`WitnessWorker` runs beside the anchoring worker, in its style (a :meth:`~WitnessWorker.tick` the
server calls in a loop from its own thread, all state in the database, so a crash or ``kill -9`` loses
nothing and the next tick carries on). A tick:

1. checkpoints the tree if it grew and the newest checkpoint is older than ``checkpoint_every_s``
   (the log signs each checkpoint, :func:`ledger.services.proofs.make_checkpoint`);
2. sends the newest checkpoint, with a consistency proof from the size each witness last cosigned, to
   every witness of the policy that has a URL and has not cosigned it yet (c2sp.org/tlog-witness
   ``add-checkpoint``, all witnesses in parallel): 200 → the cosignature is verified against the
   witness's key and stored; 409 → the witness's size is recorded and the request re-proved from it at
   once; 5xx, timeouts and refused connections → that witness backs off exponentially (with jitter);
   403/404/422/400 → an error the operator must look at (a fork, a key the witness does not know), and a
   longer back-off;
3. records the checkpoint as *witnessed* under this policy once the cosignatures stored for it meet the
   policy's quorum (c2sp.org/tlog-policy).

The append path never waits for witnesses: while they are down events are accepted and anchored as
before, and :meth:`~WitnessWorker.status` says how far witnessing lags (metrics, /readyz, the citizen page).
"""

from __future__ import annotations

import base64
import logging
import random
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from ledger.core.checkpoint import Checkpoint
from ledger.core.note import Note, NoteSignature, NoteSigner, verify_note
from ledger.core.policy import Policy, PolicyWitness, policy_digest
from ledger.errors import RetryLater, SaksiError
from ledger.services.proofs import consistency_proof, make_checkpoint
from ledger.storage.sql import SqlStore

log = logging.getLogger("ledger.witnessing")

#: c2sp.org/tlog-witness: at most 63 consistency proof lines; the witness's answer is a few lines.
MAX_RESPONSE_BYTES = 64 * 1024
SIZE_CONTENT_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class WitnessSettings:
    #: Checkpoint a grown tree at most this often (each checkpoint is signed and sent to the witnesses).
    checkpoint_every_s: float = 1.0
    #: One add-checkpoint request's limit (connect, send, answer).
    timeout_s: float = 5.0
    min_backoff_s: float = 1.0
    max_backoff_s: float = 300.0
    #: Back-off after an answer that needs the operator (403, 404, 422, 400, a bad cosignature).
    refused_backoff_s: float = 60.0
    #: Pause of :meth:`WitnessWorker.run` between ticks.
    poll_interval_s: float = 0.5


def policy_hash(policy_text: str | bytes) -> bytes:
    """What names a policy in storage: SHA-256 of the file's bytes (ledger.core.policy.policy_digest)."""
    return policy_digest(policy_text)


class WitnessTransport(Protocol):
    def post(self, url: str, body: bytes, timeout_s: float) -> tuple[int, str, bytes]:
        """POST ``body``; (status, content type, body). Raises httpx.TransportError when unreachable."""
        ...


class HttpTransport:
    """Keep-alive HTTP (c2sp.org/tlog-witness: clients SHOULD use keep-alive connections)."""

    def __init__(self) -> None:
        self._client = httpx.Client(headers={"User-Agent": "saksi-log"}, follow_redirects=False)
        self._lock = threading.Lock()

    def post(self, url: str, body: bytes, timeout_s: float) -> tuple[int, str, bytes]:
        with self._client.stream(
            "POST", url, content=body, headers={"Content-Type": "text/plain; charset=utf-8"}, timeout=timeout_s
        ) as response:
            data = b""
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > MAX_RESPONSE_BYTES:
                    raise WitnessRefused(f"answer larger than {MAX_RESPONSE_BYTES} bytes")
            return response.status_code, response.headers.get("content-type", ""), data

    def close(self) -> None:
        self._client.close()


class WitnessRefused(SaksiError):
    """The witness answered, but not with a cosignature we can use (the operator should look)."""

    kind = "witness-refused"


class WitnessUnavailable(RetryLater):
    """A witness that is down or overloaded (5xx, a timeout, 409 twice): back off and try again."""

    kind = "witness-unavailable"


@dataclass
class _WitnessState:
    witness: PolicyWitness
    failures: int = 0
    backoff_s: float = 0.0
    next_attempt_ms: int = 0
    last_error: str | None = None
    last_status: int | None = None
    last_cosigned_at_ms: int | None = None


@dataclass(frozen=True)
class WitnessView:
    name: str
    display_name: str
    key_name: str
    url: str | None
    cosigned_size: int
    lag_leaves: int
    consecutive_failures: int
    backoff_s: float
    last_error: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "displayName": self.display_name,
            "keyName": self.key_name,
            "url": self.url,
            "cosignedSize": self.cosigned_size,
            "lagLeaves": self.lag_leaves,
            "consecutiveFailures": self.consecutive_failures,
            "backoffSeconds": self.backoff_s,
            "lastError": self.last_error,
        }


@dataclass(frozen=True)
class WitnessStatus:
    """How far witnessing has come, from the database and this worker's memory (never from a witness)."""

    checkpoint_size: int
    witnessed_size: int
    lag_leaves: int
    #: Since the newest checkpoint was made, when it is not witnessed yet (0 when it is).
    seconds_unwitnessed: float
    witnesses: tuple[WitnessView, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "checkpointSize": self.checkpoint_size,
            "witnessedSize": self.witnessed_size,
            "lagLeaves": self.lag_leaves,
            "secondsUnwitnessed": self.seconds_unwitnessed,
            "witnesses": [w.to_json() for w in self.witnesses],
        }


@dataclass(frozen=True)
class WitnessTickResult:
    tree_size: int | None
    cosigned_by: tuple[str, ...] = ()
    witnessed: bool = False
    errors: dict[str, str] = field(default_factory=dict)


class WitnessWorker:
    """Collects cosignatures for ``store``'s checkpoints from ``policy``'s witnesses."""

    def __init__(
        self,
        store: SqlStore,
        policy: Policy,
        policy_text: str | bytes,
        log_signer: NoteSigner,
        origin: str,
        clock_ms: Callable[[], int],
        settings: WitnessSettings | None = None,
        transport: WitnessTransport | None = None,
    ) -> None:
        self.store = store
        self.policy = policy
        self.policy_hash = policy_hash(policy_text)
        self.signer = log_signer
        self.origin = origin
        self.clock_ms = clock_ms
        self.settings = settings or WitnessSettings()
        self.transport = transport or HttpTransport()
        self._states = [_WitnessState(w) for w in policy.witnesses]
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(self._states)), thread_name_prefix="saksi-witness")
        self._random = random.Random()

    # --- the loop ---

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # keep the worker alive, loudly; the next tick retries
                log.exception("witnessing tick failed")
            stop.wait(self.settings.poll_interval_s)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        close = getattr(self.transport, "close", None)
        if close is not None:
            close()

    def tick(self) -> WitnessTickResult:
        now = self.clock_ms()
        checkpoint = self._checkpoint(now)
        if checkpoint is None or checkpoint.tree_size == 0:
            return WitnessTickResult(None)
        note = Note(checkpoint.to_text(), (self.signer.sign(checkpoint.to_text()),))
        with self.store.read() as reader:
            have = {(c.key_name, c.key_id) for c in reader.witnessing.cosignatures_for(checkpoint.tree_size)}
            progress = reader.witnessing.progress()
        due = [
            s
            for s in self._states
            if s.witness.url and (s.witness.vkey.name, s.witness.vkey.key_id) not in have and s.next_attempt_ms <= now
        ]
        errors: dict[str, str] = {}
        cosigned: list[str] = []
        futures = [(s, self._pool.submit(self._collect, s, checkpoint, note, progress)) for s in due]
        for state, future in futures:
            try:
                if future.result():
                    cosigned.append(state.witness.name)
                    self._succeeded(state)
            except (SaksiError, httpx.HTTPError) as exc:
                errors[state.witness.name] = self._failed(state, exc)
        witnessed = self._evaluate(checkpoint.tree_size)
        return WitnessTickResult(checkpoint.tree_size, tuple(cosigned), witnessed, errors)

    # --- one checkpoint ---

    def _checkpoint(self, now: int) -> Checkpoint | None:
        with self.store.read() as reader:
            size = reader.tree_size()
            latest = reader.latest_checkpoint()
            created = reader.witnessing.newest_checkpoint_created_at()
        grown = latest is None or size > latest[0]
        if grown and (created is None or now - created >= self.settings.checkpoint_every_s * 1000):
            return make_checkpoint(self.store, self.origin, self.clock_ms, self.signer)
        if latest is None:
            return None
        return Checkpoint(latest[2], latest[0], latest[1])

    def _collect(
        self, state: _WitnessState, checkpoint: Checkpoint, note: Note, progress: dict[tuple[str, int], tuple[int, int]]
    ) -> bool:
        """Ask one witness to cosign; True once its cosignature is stored. A 409 is re-proved once."""
        vkey = state.witness.vkey
        old = progress.get((vkey.name, vkey.key_id), (0, 0))[0]
        for _attempt in range(2):
            if old > checkpoint.tree_size:
                raise WitnessRefused(
                    f"the witness has cosigned tree size {old}, larger than this log's newest checkpoint "
                    f"{checkpoint.tree_size}: the log may have lost entries or forked"
                )
            status, content_type, body = self.transport.post(
                _add_checkpoint_url(state.witness.url or ""),
                self._request(old, checkpoint, note),
                self.settings.timeout_s,
            )
            state.last_status = status
            if status == 200:
                self._store(state, checkpoint, note, body)
                return True
            if status == 409:
                old = _conflict_size(content_type, body)
                with self.store.write() as tx:
                    tx.witnessing.set_progress(vkey.name, vkey.key_id, old, self.clock_ms())
                log.info("witness %s is at tree size %d: re-proving from there", state.witness.name, old)
                continue
            text = body[:200].decode("utf-8", "replace").strip()
            if status >= 500:
                raise WitnessUnavailable(f"witness answered {status}: {text}")
            raise WitnessRefused(f"witness refused the checkpoint ({status}): {text}")
        raise WitnessUnavailable("witness moved again while re-proving (409 twice)")

    def _request(self, old: int, checkpoint: Checkpoint, note: Note) -> bytes:
        proof: list[bytes] = []
        if 0 < old < checkpoint.tree_size:
            with self.store.read() as reader:
                proof = consistency_proof(reader, old, checkpoint.tree_size)
        lines = [f"old {old}\n"] + [base64.b64encode(h).decode() + "\n" for h in proof] + ["\n"]
        return ("".join(lines) + note.serialize()).encode()

    def _store(self, state: _WitnessState, checkpoint: Checkpoint, note: Note, body: bytes) -> None:
        vkey = state.witness.vkey
        try:
            lines = body.decode("utf-8").splitlines()
        except UnicodeDecodeError:
            raise WitnessRefused("the witness's answer is not UTF-8") from None
        mine = []
        for line in lines:
            if not line:
                continue
            signature = NoteSignature.parse_line(line + "\n")
            if (signature.name, signature.key_id) == (vkey.name, vkey.key_id):
                mine.append(signature)
        if not mine:
            raise WitnessRefused("the witness answered 200 without a cosignature from its key")
        verified = verify_note(Note(note.text, tuple(mine)), [vkey])  # raises on a bad cosignature
        now = self.clock_ms()
        with self.store.write() as tx:
            for signature in mine:
                tx.witnessing.add_cosignature(checkpoint.tree_size, vkey.name, vkey.key_id, signature.signature, now)
            tx.witnessing.set_progress(vkey.name, vkey.key_id, checkpoint.tree_size, now)
        state.last_cosigned_at_ms = now
        log.info(
            "witness %s cosigned tree size %d (timestamp %s)",
            state.witness.name,
            checkpoint.tree_size,
            ", ".join(str(v.timestamp) for v in verified),
        )

    def _evaluate(self, tree_size: int) -> bool:
        """Mark ``tree_size`` witnessed once its stored cosignatures meet the quorum."""
        with self.store.read() as reader:
            have = {(c.key_name, c.key_id) for c in reader.witnessing.cosignatures_for(tree_size)}
        names = [w.name for w in self.policy.witnesses if (w.vkey.name, w.vkey.key_id) in have]
        if not self.policy.quorum_met(names):
            return False
        with self.store.write() as tx:
            if tx.witnessing.mark_witnessed(tree_size, self.policy_hash, self.clock_ms()):
                log.info("tree size %d is witnessed: %s", tree_size, ", ".join(names) or "quorum none")
        return True

    # --- back-off ---

    def _succeeded(self, state: _WitnessState) -> None:
        state.failures = 0
        state.backoff_s = 0.0
        state.next_attempt_ms = 0
        state.last_error = None

    def _failed(self, state: _WitnessState, exc: Exception) -> str:
        state.failures += 1
        message = exc.message if isinstance(exc, SaksiError) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, (RetryLater, httpx.HTTPError)):
            backoff = min(self.settings.max_backoff_s, self.settings.min_backoff_s * 2 ** (state.failures - 1))
            level = logging.WARNING
        else:  # refused, a bad cosignature, a malformed answer: not transient, the operator should look
            backoff = self.settings.refused_backoff_s
            level = logging.ERROR
        state.backoff_s = backoff * (0.5 + self._random.random() / 2)  # jitter: witnesses are shared by many logs
        state.next_attempt_ms = self.clock_ms() + int(state.backoff_s * 1000)
        state.last_error = message
        log.log(level, "witness %s: %s (next try in %.1f s)", state.witness.name, message, state.backoff_s)
        return message

    # --- status ---

    def status(self) -> WitnessStatus:
        now = self.clock_ms()
        with self.store.read() as reader:
            latest = reader.latest_checkpoint()
            created = reader.witnessing.newest_checkpoint_created_at()
            witnessed = reader.witnessing.latest_witnessed(self.policy_hash)
            progress = reader.witnessing.progress()
        size = latest[0] if latest else 0
        witnessed_size = witnessed[0] if witnessed else 0
        unwitnessed = 0.0 if witnessed_size >= size or created is None else max(0.0, (now - created) / 1000)
        views = []
        for s in self._states:
            cosigned = progress.get((s.witness.vkey.name, s.witness.vkey.key_id), (0, 0))[0]
            views.append(
                WitnessView(
                    s.witness.name,
                    s.witness.display_name,
                    s.witness.vkey.name,
                    s.witness.url,
                    cosigned,
                    max(0, size - cosigned),
                    s.failures,
                    s.backoff_s,
                    s.last_error,
                )
            )
        return WitnessStatus(size, witnessed_size, max(0, size - witnessed_size), unwitnessed, tuple(views))


def _add_checkpoint_url(prefix: str) -> str:
    return prefix.rstrip("/") + "/add-checkpoint"


def _conflict_size(content_type: str, body: bytes) -> int:
    """c2sp.org/tlog-witness 409: the witness's latest cosigned size, "<decimal>\\n", text/x.tlog.size."""
    if content_type.split(";")[0].strip().lower() != SIZE_CONTENT_TYPE:
        raise WitnessRefused(f"409 without {SIZE_CONTENT_TYPE} (got {content_type or 'no content type'!r})")
    text = body.decode("ascii", "replace")
    digits = text[:-1] if text.endswith("\n") else ""
    if not digits.isdigit() or (len(digits) > 1 and digits[0] == "0") or len(digits) > 19:
        raise WitnessRefused(f"409 with a malformed size {text[:40]!r}")
    return int(digits)


def cosigners(stored: Sequence[tuple[str, int]], policy: Policy) -> list[PolicyWitness]:
    """The policy's witnesses among stored (key name, key id) pairs, in the policy's order."""
    have = set(stored)
    return [w for w in policy.witnesses if (w.vkey.name, w.vkey.key_id) in have]


def anchor_chooser(
    store: SqlStore,
    origin: str,
    clock_ms: Callable[[], int],
    policy_hash: bytes,
    scope: tuple[int, bytes],
    grace_s: float,
    signer: NoteSigner | None = None,
) -> Callable[[], Checkpoint | None]:
    """What the anchoring worker anchors when a policy names witnesses: the newest checkpoint their
    quorum cosigned, if it is newer than the last anchor (so anchored checkpoints are witnessed ones);
    otherwise, once the oldest leaf no anchor covers has waited ``grace_s``, the whole tree (witnesses
    that are down must not stop anchoring); otherwise nothing yet."""

    def choose() -> Checkpoint | None:
        with store.read() as reader:
            witnessed = reader.witnessing.latest_witnessed(policy_hash)
            anchored = reader.anchored_size(*scope)
            waiting_since = reader.received_at(anchored) if reader.tree_size() > anchored else None
        if witnessed is not None and witnessed[0] > anchored:
            return Checkpoint(witnessed[2], witnessed[0], witnessed[1])
        if waiting_since is not None and clock_ms() - waiting_since >= grace_s * 1000:
            log.warning("no witnessed checkpoint within %.0f s: anchoring one the witnesses have not cosigned", grace_s)
            return make_checkpoint(store, origin, clock_ms, signer)
        return None

    return choose
