"""Witnessing's cost and speed (issue 18): ingest with and without witnesses, event -> cosigned by a 2-of-3
quorum, and the size of a tlog-proof for a 1,000,000-leaf log with three cosignatures.

- **Ingest**: the HTTP ingest client of benchmarks/service.py against one `saksi serve` (SQLite,
  embedded chain anchoring as configured), once with no witness policy and once with the demo's three
  witnesses (`saksi witness serve` processes of their own, the demo's 2-of-3 policy and its settings).
  Same events, same batches, one after the other on the same machine: the two figures side by side.
- **Event -> witnessed**: single events POSTed one at a time to the witnessed server; for each, the time
  until `GET /tlog/checkpoint` (which, under a policy, serves the newest checkpoint its quorum cosigned)
  covers the event's leaf, checked once more against the policy at the end.
- **tlog-proof size**: a real 1,000,000-leaf tree in memory, the proof of its deepest leaf with Saksi's
  106-byte leaf as the extra line, the checkpoint signed by the log and cosigned by three witnesses with
  names like the demo's; parsed and verified again before it is measured. Also its raw-deflate size (what
  a QR receipt carries, issue 19).

Run alone: ``python -m benchmarks.run witnessing``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import statistics
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

from benchmarks.service import (
    PASSWORD,
    _body,
    _client_spec,
    _load_average,
    _opt,
    _presign,
    figure,
    percentile,
    prepare_data_dir,
    run_client,
    serving,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("witnessing benchmark (benchmarks/bench_witnessing.py)")
    group.add_argument("--witness-samples", type=int, help="events timed to their quorum (default 20)")
    group.add_argument("--witness-rounds", type=int, help="ingest runs with and without witnesses (default 2)")


def bench_witnessing(args: argparse.Namespace | None = None) -> list[dict[str, Any]]:
    figures = [*_tlog_proof_size()]
    events = _opt(args, "ingest_events", 40_000)
    batch = _opt(args, "ingest_batch", 1000)
    lanes = _opt(args, "ingest_lanes", 2)
    samples = _opt(args, "witness_samples", 20)
    rounds = _opt(args, "witness_rounds", 2)
    runs: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    latency: list[dict[str, Any]] = []
    for round_ in range(rounds):  # alternated, so that a busy spell of the machine hits both alike
        for witnessed in (False, True):
            with tempfile.TemporaryDirectory(prefix="saksi-bench-") as tmp, contextlib.ExitStack() as stack:
                work = Path(tmp)
                settings, key = prepare_data_dir(work)
                policy_text = None
                if witnessed:
                    settings, policy_text = _with_demo_witnesses(settings, stack)
                server = stack.enter_context(serving(settings.data_dir, work))
                result = run_client(
                    _client_spec("ingest", server, settings, key, events=events, batch=batch, lanes=lanes),
                    work,
                    timeout=600,
                )
                runs[witnessed].append(result)
                if witnessed and round_ == rounds - 1:
                    assert policy_text is not None
                    latency = _event_to_witnessed(server.url, settings, key, policy_text, samples)
    best = {w: max(r["events"] / r["elapsed"] for r in runs[w]) for w in runs}
    for witnessed in (False, True):
        label = "the demo's 3 witnesses, 2-of-3" if witnessed else "no witnesses"
        each = ", ".join(f"{r['events'] / r['elapsed']:,.0f}" for r in runs[witnessed])
        figures.append(
            figure(
                f"HTTP ingest with {label}, SQLite, batches of {batch}",
                best[witnessed],
                "events/s",
                "within noise of no witnesses" if witnessed else "",
                f"best of {rounds} runs of {events:,} events, alternated ({each} events/s)"
                + (f"; {best[True] / best[False]:.2f} x the rate without" if witnessed else "")
                + f"; load avg {_load_average()}",
            )
        )
    return figures + latency


def _with_demo_witnesses(settings, stack: contextlib.ExitStack):
    from ledger.cli import demo_witnesses
    from ledger.runtime import log_signer
    from tests.live import free_port

    base = free_port()
    settings = demo_witnesses.prepare(settings, log_signer(settings, PASSWORD).vkey, PASSWORD, "127.0.0.1", base)
    stack.enter_context(demo_witnesses.Witnesses(settings, PASSWORD, "127.0.0.1", base))
    return settings, (Path(settings.data_dir) / demo_witnesses.POLICY_FILE).read_text()


def _event_to_witnessed(url: str, settings, key: bytes, policy_text: str, samples: int) -> list[dict[str, Any]]:
    import httpx

    from ledger.core.note import Note
    from ledger.core.policy import Policy, check_checkpoint

    spec = _client_spec("latency", type("S", (), {"url": url})(), settings, key)
    steps, _ = _presign(spec, samples, "WITNESS-LATENCY")
    seconds: list[float] = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for item in steps[0]:
            started = time.monotonic()
            answer = client.post("/v1/events", content=_body([item]), headers={"content-type": "application/json"})
            answer.raise_for_status()
            leaf = answer.json()["leafIndex"]
            while True:
                note = Note.parse(client.get("/tlog/checkpoint").content)
                if int(note.text.split("\n")[1]) > leaf:
                    break
                if time.monotonic() - started > 60:
                    raise RuntimeError(f"leaf {leaf} not witnessed within 60 s")
                time.sleep(0.02)
            seconds.append(time.monotonic() - started)
            time.sleep(0.5)  # events one at a time, apart: each waits for its own checkpoint
        checked = check_checkpoint(Policy.parse(policy_text), note)
    if not checked.quorum_met:
        raise RuntimeError("the checkpoint served does not meet the policy's quorum")
    note_text = (
        f"{samples} single events, each POSTed then GET /tlog/checkpoint polled every 20 ms until it covers the "
        f"leaf; demo settings (checkpoint at most every 1 s); last checkpoint cosigned by "
        f"{len(checked.cosigned_by)} of 3; median {statistics.median(seconds):.2f} s"
    )
    return [
        figure("event -> cosigned by a 2-of-3 quorum, p50", percentile(seconds, 0.5), "s", "", note_text),
        figure("event -> cosigned by a 2-of-3 quorum, max", max(seconds), "s", "<= 5 s"),
    ]


def _tlog_proof_size(size: int = 1_000_000) -> list[dict[str, Any]]:
    from ledger.core import merkle
    from ledger.core.checkpoint import Checkpoint
    from ledger.core.note import Cosigner, Note, NoteSigner
    from ledger.core.policy import Policy
    from ledger.core.tlog_proof import TlogProof, verify_tlog_proof

    origin = "saksi/eip155:31337/0x5fbdb2315678afecb367f032d93f642f64180aa3"
    log = NoteSigner(origin, hashlib.sha256(b"bench log key").digest())  # benchmark-only keys
    witnesses = [
        Cosigner(name, hashlib.sha256(name.encode()).digest())
        for name in ("ombudsman.go.id/witness", "bpk.go.id/witness", "ui.ac.id/witness")
    ]
    # a real step (signed by a benchmark-only agency key), so that its self-proving receipt verifies too
    from ledger.core.events import ServiceEvent, eip712_digest, leaf_bytes
    from ledger.core.receipt_proof import ReceiptProof, domain_of_origin, verify_receipt
    from ledger.core.signatures import sign_digest

    event = ServiceEvent.from_json(
        {
            "eventId": "ev-" + hashlib.sha256(b"bench event").hexdigest()[:40],
            "agency": "dukcapil.jaksel",
            "caseCommitment": "0x" + hashlib.sha256(b"bench case").hexdigest(),
            "caseSeq": 3,
            "prevEventHash": "0x" + hashlib.sha256(b"bench head").hexdigest(),
            "eventType": "biometrics.recorded",
            "summary": "Foto, sidik jari dan iris mata sudah direkam",
            "occurredAt": 1_764_000_000,
            "payloadDigest": "0x" + hashlib.sha256(b"bench payload").hexdigest(),
        }
    )
    digest = eip712_digest(domain_of_origin(origin), event.hash_struct())
    signature = sign_digest(digest, hashlib.sha256(b"bench agency key").digest())
    leaf = leaf_bytes(digest, signature, 1_764_000_000_123)  # 106 bytes, as FORMATS 5
    index = 0  # the deepest path of a 1,000,000-leaf tree: 20 hashes
    leaves = [merkle.leaf_hash(leaf)] + [hashlib.sha256(b"%d" % i).digest() for i in range(1, size)]
    tree = merkle.MemoryTree(leaves)
    checkpoint = Checkpoint(origin, size, tree.root())
    text = checkpoint.to_text()
    now = 1_800_000_000
    note = Note(text, (log.sign(text), *(w.cosign(text, now) for w in witnesses)))
    proof = TlogProof(index, tuple(tree.inclusion_proof(index)), note, leaf)
    raw = proof.serialize().encode()
    policy = "\n".join(
        [
            f"log {log.vkey}",
            *(f"witness w{i} {w.vkey}" for i, w in enumerate(witnesses)),
            "group g 2 w0 w1 w2",
            "quorum g",
            "",
        ]
    )
    verify_tlog_proof(TlogProof.parse(raw), merkle.leaf_hash(leaf), Policy.parse(policy))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = compressor.compress(raw) + compressor.flush()
    receipt = ReceiptProof.from_tlog_proof(event, proof)
    encoded = receipt.encode()
    verify_receipt(ReceiptProof.decode(encoded), Policy.parse(policy))
    return [
        figure(
            "self-proving receipt (QR text) of a 1,000,000-leaf log with 3 cosignatures",
            len(encoded),
            "chars",
            "<= 2,048",
            f"base64url of the raw-deflated container ({len(receipt.to_bytes()):,} bytes: the step's fields, "
            f"signature, receivedAt and tlog-proof; FORMATS 16.6), decoded and verified again",
        ),
        figure(
            "tlog-proof of a 1,000,000-leaf log with 3 cosignatures",
            len(raw),
            "bytes",
            "<= 2,048",
            f"{len(proof.inclusion)} inclusion hashes, the 106-byte leaf as its extra line; raw deflate "
            f"{len(deflated):,} bytes (base64url {(len(deflated) + 2) // 3 * 4:,})",
        ),
    ]
