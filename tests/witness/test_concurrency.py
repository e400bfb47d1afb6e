"""The race of tlog-witness ("rolling back K leaves"): parallel add-checkpoints from one old size.

Each round sends many requests that all start from the latest cosigned size, to different new sizes.
Exactly one may win; the others must get 409 with the winner's size, and the persisted state must be the
winner's. Over HTTP (threads of one server) and with two Witness objects on one data directory, whose
only common lock is the flock on the state's lock file (what two processes would share).
"""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

from ledger.errors import SaksiError
from ledger.witness.admin import open_witness
from ledger.witness.witness import OldSizeMismatch
from tests.witness.conftest import PASSWORD, leaves
from tests.witness.spec_client import Log


def race(calls):
    """Run the calls at once (a barrier releases them together); their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            return call()
        except SaksiError as exc:
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def persisted_size(served) -> int:
    hashed = hashlib.sha256(served.log.key.name.encode()).hexdigest()
    text = (served.data_dir / "state" / hashed / "checkpoint").read_text()
    return int(text.split("\n")[1])


def test_parallel_requests_over_http_never_roll_back(served):
    log = Log(served.log.key, leaves(400))
    latest = 0
    for _round in range(6):
        sizes = [latest + k for k in range(1, 25)]
        bodies = [log.request(latest, size) for size in sizes]
        responses = race([lambda b=b: served.post(b) for b in bodies])
        results = list(zip(sizes, responses, strict=True))
        winners = [size for size, response in results if response.status_code == 200]
        assert len(winners) == 1, [(s, r.status_code) for s, r in results]
        for size, response in results:
            if size != winners[0]:
                assert (response.status_code, response.content) == (409, f"{winners[0]}\n".encode())
        assert persisted_size(served) == winners[0] > latest
        latest = winners[0]


def test_two_witnesses_on_one_directory_exclude_each_other_by_flock(served):
    """Two Witness objects, each with its own in-process locks: only the flock is shared."""
    first = served.witness
    second = open_witness(served.data_dir, PASSWORD)
    assert first.store.locks is not second.store.locks
    log = Log(served.log.key, leaves(300))
    latest = 0
    for _round in range(8):
        sizes = [latest + k for k in range(1, 17)]
        witnesses = [first if number % 2 else second for number in range(len(sizes))]
        bodies = [log.request(latest, size) for size in sizes]
        answers = race([lambda w=w, b=b: w.add_checkpoint(b) for w, b in zip(witnesses, bodies, strict=True)])
        results = [(size, a if isinstance(a, SaksiError) else None) for size, a in zip(sizes, answers, strict=True)]
        winners = [size for size, exc in results if exc is None]
        assert len(winners) == 1, results
        assert all(isinstance(exc, OldSizeMismatch) and exc.latest_size == winners[0] for _, exc in results if exc)
        assert persisted_size(served) == winners[0]
        latest = winners[0]
