"""Live case streams: `GET /v1/cases/{caseCommitment}/stream` as Server-Sent Events (FORMATS 11.5.1).

One watcher per process serves every open stream. It wakes when this process appends (the ledger's
append listener) and at least every `poll_interval_s` (events appended by another process on the same
database, checkpoints that the anchoring and witnessing workers make count), reads the heads of all
watched cases in one query and the checkpoint citizens verify against, and fans out what is new:

- `event: step`: a new event of the case, as an entry of `GET /v1/cases/{caseCommitment}`'s `events`;
- `event: checkpoint`: a newer checkpoint that counts (FORMATS 9.2) and covers one of the case's events
  the stream had not yet announced as covered, as `GET /v1/checkpoints/latest` renders it.

Each message's `id` is `<caseSeq>.<treeSize>`: the newest step and checkpoint the stream has sent, so
that a reconnecting EventSource (its `Last-Event-ID`) resumes where it stopped; a first connection may
say the same with `?after=<caseSeq>&treeSize=<n>`. A comment line keeps idle connections alive. Streams
are bounded per client address and in total (`Limits.max_streams_per_client`, `max_streams_total`);
past either the answer is 429. A client too slow to take its messages is disconnected and resumes.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import re
import weakref
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from api import render
from ledger.errors import NotFound, SaksiError
from ledger.services.ledger import Ledger
from ledger.services.views import CheckpointView, TimelineEntry

log = logging.getLogger("api.live")

RETRY_MS = 3000
QUEUE_MESSAGES = 256
_EVENT_ID = re.compile(r"(-1|0|[1-9][0-9]{0,17})\.(0|[1-9][0-9]{0,17})")
_HUBS: weakref.WeakSet[CaseStreams] = weakref.WeakSet()


class TooManyStreams(Exception):
    """Over a stream limit; answered 429."""


def parse_position(last_event_id: str | None, after: int | None, tree_size: int | None) -> tuple[int, int]:
    """Where a stream resumes: (caseSeq last seen, tree size last seen); -1 and 0 when nothing was."""
    if last_event_id:
        found = _EVENT_ID.fullmatch(last_event_id.strip())
        if found:
            return int(found.group(1)), int(found.group(2))
    return (-1 if after is None else after), (0 if tree_size is None else tree_size)


@dataclass(eq=False)
class Subscriber:
    commitment: bytes
    client: str
    seq: int  # the newest caseSeq sent
    tree_size: int  # the newest checkpoint sent
    queue: asyncio.Queue[bytes | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_MESSAGES))
    closed: bool = False  # no more messages (ended)
    released: bool = False  # taken off the hub's counts

    def push(self, kind: str, data: bytes) -> None:
        if self.closed:
            return
        message = b"id: %d.%d\nevent: %s\ndata: %s\n\n" % (self.seq, self.tree_size, kind.encode(), data)
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:  # too slow: it reconnects with Last-Event-ID and catches up
            self.end()

    def end(self) -> None:
        if not self.closed:
            self.closed = True
            while True:  # room for the end mark, whatever was queued
                try:
                    self.queue.put_nowait(None)
                    return
                except asyncio.QueueFull:
                    self.queue.get_nowait()


@dataclass(eq=False)
class _Case:
    seq: int
    leaves: list[int]  # leaf indexes of the case's events, ascending
    subscribers: set[Subscriber] = field(default_factory=set)


class CaseStreams:
    def __init__(
        self,
        ledger: Ledger,
        *,
        max_total: int,
        max_per_client: int,
        poll_interval_s: float = 1.0,
        heartbeat_s: float = 15.0,
    ) -> None:
        self.ledger = ledger
        self.max_total, self.max_per_client = max_total, max_per_client
        self.poll_interval_s, self.heartbeat_s = poll_interval_s, heartbeat_s
        self._cases: dict[bytes, _Case] = {}
        self._clients: Counter[str] = Counter()
        self._total = 0
        self._view: CheckpointView | None = None
        self._view_key: tuple | None = None
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self.sent = Counter[str]()  # messages sent, by kind (metrics)
        ledger.add_append_listener(self.notify)
        _HUBS.add(self)

    @property
    def open_streams(self) -> int:
        return self._total

    # --- the watcher ---

    def notify(self) -> None:
        """From any thread: something was appended; look now rather than at the next poll."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._loop = asyncio.get_running_loop()
            self._wake = asyncio.Event()
            self._task = self._loop.create_task(self._run(), name="saksi-case-streams")

    async def _run(self) -> None:
        assert self._wake is not None
        while self._cases:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval_s)
            self._wake.clear()
            try:
                await self.tick()
            except SaksiError as exc:  # storage busy or down: the next round tries again
                log.warning("case streams: %s", exc.message)
            except Exception:  # never let one bad round end the watcher
                log.exception("case streams: a round failed")
        self._task = None

    async def tick(self) -> None:
        """One round: new steps of every watched case, then a newer counting checkpoint."""
        if self._cases:
            heads = await asyncio.to_thread(self.ledger.case_heads, list(self._cases))
            for commitment, head in heads.items():
                case = self._cases.get(commitment)
                if case is not None and head.case_seq > case.seq:
                    news = await asyncio.to_thread(self.ledger.case_news, commitment, case.seq)
                    self._add_steps(commitment, news)
        view = await asyncio.to_thread(self.ledger.citizen_checkpoint)
        key = None if view is None else _view_key(view)
        if view is not None and key != self._view_key:
            self._view, self._view_key = view, key
            data = _checkpoint_json(view)
            for case in list(self._cases.values()):
                for sub in list(case.subscribers):
                    self._offer_checkpoint(sub, case, view, data)

    def _add_steps(self, commitment: bytes, news: tuple[TimelineEntry, ...]) -> None:
        case = self._cases.get(commitment)
        if case is None:
            return
        for entry in news:
            seq = entry.stored.event.case_seq
            if seq <= case.seq:
                continue
            case.seq = seq
            bisect.insort(case.leaves, entry.stored.leaf_index)
            data = _step_json(entry)
            for sub in list(case.subscribers):
                if seq > sub.seq:
                    sub.seq = seq
                    sub.push("step", data)
                    self.sent["step"] += 1

    def _offer_checkpoint(self, sub: Subscriber, case: _Case, view: CheckpointView, data: bytes) -> None:
        """Send `view` if it covers one of the case's events `sub` has no covering checkpoint for."""
        size = view.checkpoint.tree_size
        if size <= sub.tree_size:
            return
        first_uncovered = bisect.bisect_left(case.leaves, sub.tree_size)
        if first_uncovered < len(case.leaves) and case.leaves[first_uncovered] < size:
            sub.tree_size = size
            sub.push("checkpoint", data)
            self.sent["checkpoint"] += 1

    # --- streams ---

    async def open(self, commitment: bytes, client: str, seq: int, tree_size: int) -> Subscriber:
        if self._total >= self.max_total:
            raise TooManyStreams("too many open case streams on this server; try again shortly")
        if self._clients[client] >= self.max_per_client:
            raise TooManyStreams(f"at most {self.max_per_client} open case streams per address")
        sub = Subscriber(commitment, client, seq, tree_size)
        self._total += 1
        self._clients[client] += 1
        try:
            await self._catch_up(sub)
        except BaseException:
            self.close(sub)
            raise
        self._ensure_running()
        return sub

    async def _catch_up(self, sub: Subscriber) -> None:
        case = self._cases.get(sub.commitment)
        if case is None:
            everything = await asyncio.to_thread(self.ledger.case_news, sub.commitment, -1)
            if not everything:
                raise NotFound("no events for this case")
            case = self._cases.get(sub.commitment)  # another stream of the case may have opened meanwhile
            if case is None:
                case = _Case(-1, [])
                self._cases[sub.commitment] = case
                self._fold(case, everything)
            earlier = [e for e in everything if e.stored.event.case_seq > sub.seq]
        else:
            earlier = (
                []
                if case.seq <= sub.seq
                else list(await asyncio.to_thread(self.ledger.case_news, sub.commitment, sub.seq))
            )
            self._fold(case, earlier)
        case.subscribers.add(sub)
        for entry in earlier:
            if entry.stored.event.case_seq > sub.seq:
                sub.seq = entry.stored.event.case_seq
                sub.push("step", _step_json(entry))
        view = self._view
        if view is None:
            view = await asyncio.to_thread(self.ledger.citizen_checkpoint)
            if view is not None and self._view is None:
                self._view, self._view_key = view, _view_key(view)
        if view is not None:
            self._offer_checkpoint(sub, case, view, _checkpoint_json(view))

    @staticmethod
    def _fold(case: _Case, entries: list[TimelineEntry] | tuple[TimelineEntry, ...]) -> None:
        for entry in entries:
            if entry.stored.event.case_seq > case.seq:
                case.seq = entry.stored.event.case_seq
                bisect.insort(case.leaves, entry.stored.leaf_index)

    def close(self, sub: Subscriber) -> None:
        if sub.released:
            return
        sub.released = True
        sub.end()
        self._total -= 1
        self._clients[sub.client] -= 1
        if self._clients[sub.client] <= 0:
            del self._clients[sub.client]
        case = self._cases.get(sub.commitment)
        if case is not None:
            case.subscribers.discard(sub)
            if not case.subscribers:
                del self._cases[sub.commitment]

    def end_all(self) -> None:
        """The server is stopping: end every stream (clients reconnect to whichever server answers)."""
        for case in list(self._cases.values()):
            for sub in list(case.subscribers):
                sub.end()

    async def messages(self, sub: Subscriber) -> AsyncIterator[bytes]:
        """The stream's body: a retry hint, then messages and keep-alive comments until it ends."""
        try:
            yield b"retry: %d\n\n" % RETRY_MS
            while True:
                try:
                    message = await asyncio.wait_for(sub.queue.get(), self.heartbeat_s)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if message is None:
                    return
                yield message
        finally:
            self.close(sub)


def server_stopping() -> None:
    """Called as the HTTP server starts its graceful shutdown (api.request_limits): streams never end
    by themselves, so they are ended here and the shutdown does not wait on them."""
    for hub in list(_HUBS):
        hub.end_all()


def _view_key(view: CheckpointView) -> tuple:
    """What makes a checkpoint worth announcing again: a new size, anchor status or cosignature."""
    return (view.checkpoint.tree_size, view.anchor_status, view.note)


_step_json = render.timeline_event
_checkpoint_json = render.checkpoint_json
