"""The ledger's domain objects (ledger.services.views) rendered as the API's response models.

Each function builds the model of `api.schemas` that documents its route, so the OpenAPI schema and
the bytes a route sends are one thing: a field the model lacks cannot be sent, and a value that does
not fit it fails (a 500 and a test failure) instead of reaching a client. `api.responses.model_response`
serialises the model (field order = the model's, aliases applied).
"""

from __future__ import annotations

from api.schemas import (
    AnchoringOut,
    AnchorOut,
    CaseHeadOut,
    CheckpointItemOut,
    CheckpointOut,
    CheckpointsOut,
    ConsistencyOut,
    CosignedOut,
    EventRecordOut,
    InclusionOut,
    InfoOut,
    LeavesOut,
    StatsOut,
    TimelineEvent,
    TimelineOut,
    WitnessingOut,
)
from ledger.core.encoding import hex0x
from ledger.services.views import (
    CaseTimeline,
    CheckpointView,
    ConsistencyProof,
    DatedCheckpoint,
    EventRecord,
    InclusionProof,
    LeafPage,
    LogInfo,
    LogStatus,
    PublicStats,
    TimelineEntry,
)
from ledger.storage.sql import CaseHead


def case_head(head: CaseHead) -> CaseHeadOut:
    return CaseHeadOut(caseSeq=head.case_seq, headHash=hex0x(head.head_hash))


def _anchor(view: CheckpointView) -> AnchorOut | None:
    anchor = view.anchor
    if anchor is None:
        return None
    return AnchorOut(
        chainId=anchor.chain_id,
        contract=hex0x(anchor.contract),
        txHash=hex0x(anchor.tx_hash),
        blockNumber=anchor.block_number,
        status=view.anchor_status,
    )


def _witnessing(view: CheckpointView) -> WitnessingOut | None:
    w = view.witnessing
    if w is None:
        return None
    return WitnessingOut(
        quorumMet=w.quorum_met,
        cosignedBy=[
            CosignedOut(name=c.name, displayName=c.display_name, keyName=c.key_name, timestamp=c.timestamp)
            for c in w.cosigned_by
        ],
        witnessCount=w.witness_count,
    )


def _signed(view: CheckpointView) -> dict[str, object]:
    return {"note": None if view.note is None else view.note.serialize(), "witnessing": _witnessing(view)}


def checkpoint(view: CheckpointView) -> CheckpointOut:
    c = view.checkpoint
    return CheckpointOut(
        treeSize=c.tree_size,
        rootHash=hex0x(c.root_hash),
        checkpoint=c.to_text(),
        anchor=_anchor(view),
        **_signed(view),
    )


def checkpoints(dated: list[DatedCheckpoint]) -> CheckpointsOut:
    items = []
    for d in dated:
        c = d.view.checkpoint
        items.append(
            CheckpointItemOut(
                treeSize=c.tree_size,
                rootHash=hex0x(c.root_hash),
                checkpoint=c.to_text(),
                anchor=_anchor(d.view),
                **_signed(d.view),
                createdAt=d.created_at,
            )
        )
    return CheckpointsOut(checkpoints=items)


def _event_fields(entry: TimelineEntry) -> dict[str, object]:
    stored = entry.stored
    return {
        **stored.event.to_json(),
        "signature": hex0x(stored.signature),
        "signer": hex0x(stored.signer),
        "leafIndex": stored.leaf_index,
        "leafHash": hex0x(stored.leaf_hash),
        "receivedAt": stored.received_at,
        "anchored": entry.anchored,
    }


def timeline_event(entry: TimelineEntry) -> bytes:
    """One entry of a timeline's `events` as JSON (a live stream's `step`, api.live)."""
    model = TimelineEvent.model_validate(_event_fields(entry))
    return type(model).__pydantic_serializer__.to_json(model, by_alias=True)


def checkpoint_json(view: CheckpointView) -> bytes:
    """A checkpoint as GET /v1/checkpoints/latest renders it, as JSON (a live stream's `checkpoint`)."""
    model = checkpoint(view)
    return type(model).__pydantic_serializer__.to_json(model, by_alias=True)


def timeline(t: CaseTimeline) -> TimelineOut:
    # validated in one call (one pass of pydantic-core over the whole case), not model by model
    return TimelineOut.model_validate(
        {
            "caseCommitment": hex0x(t.case_commitment),
            "events": [_event_fields(e) for e in t.events],
            "head": case_head(t.head),
            "checkpoint": None if t.checkpoint is None else checkpoint(t.checkpoint),
        }
    )


def event_record(record: EventRecord) -> EventRecordOut:
    return EventRecordOut.model_validate({**_event_fields(record.entry), "caseHead": case_head(record.case_head)})


def inclusion(p: InclusionProof) -> InclusionOut:
    return InclusionOut(
        leafIndex=p.leaf_index, treeSize=p.tree_size, leafHash=hex0x(p.leaf_hash), proof=[hex0x(h) for h in p.proof]
    )


def consistency(p: ConsistencyProof) -> ConsistencyOut:
    return ConsistencyOut(from_=p.old_size, to=p.new_size, proof=[hex0x(h) for h in p.proof])


def leaves(page: LeafPage) -> LeavesOut:
    return LeavesOut(start=page.start, end=page.end, leafHashes=[hex0x(h) for h in page.leaf_hashes])


def info(i: LogInfo, public_rpc_url: str | None) -> InfoOut:
    """`public_rpc_url` is the configured one, else (on the embedded chain) this server's window."""
    return InfoOut(
        origin=i.origin,
        chainId=i.domain.chain_id,
        contract=hex0x(i.domain.verifying_contract),
        eip712Domain=i.domain.to_json(),
        publicRpcUrl=public_rpc_url,
        logVkey=None if i.log_vkey is None else str(i.log_vkey),
        witnessPolicy=i.witness_policy,
        checkpointCountsWhen=list(i.counts_when),
        version=i.version,
    )


def log_status(s: LogStatus) -> AnchoringOut:
    return AnchoringOut(
        treeSize=s.tree_size,
        anchoredSize=s.anchored_size,
        unanchoredLeaves=s.unanchored_leaves,
        anchorLagSeconds=s.anchor_lag_s,
    )


def stats(s: PublicStats) -> StatsOut:
    return StatsOut.model_validate(
        {
            **s.body,
            "asOf": {"treeSize": s.tree_size, "computedAt": s.computed_at},
            "anchoring": log_status(s.anchoring),
        }
    )
