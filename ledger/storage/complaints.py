"""The complaints desk's index of filed complaints (one row per complaint case, written with its
``complaint.filed`` event in the same transaction)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from ledger.storage.schema import complaints, events, payloads


@dataclass(frozen=True, slots=True)
class ComplaintRecord:
    """A filed complaint: its own case, the case and agency it concerns, and where it was filed."""

    case_commitment: bytes
    concerns_case: bytes
    concerns_agency: str
    category: str
    filed_leaf_index: int
    filed_at: int


@dataclass(frozen=True, slots=True)
class FiledComplaint:
    """A complaint as an agency's inbox shows it: the record and the filing's payload (None once erased)."""

    record: ComplaintRecord
    payload: bytes | None


class ComplaintRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def record(self, complaint: ComplaintRecord) -> None:
        self.conn.execute(
            insert(complaints).values(
                case_commitment=complaint.case_commitment,
                concerns_case=complaint.concerns_case,
                concerns_agency=complaint.concerns_agency,
                category=complaint.category,
                filed_leaf_index=complaint.filed_leaf_index,
                filed_at=complaint.filed_at,
            )
        )

    def about(self, agency: str, after: int = 0, limit: int = 100) -> list[FiledComplaint]:
        """Complaints about ``agency``'s cases filed at leaf ``after`` or later, oldest first."""
        rows = self.conn.execute(
            select(complaints, payloads.c.payload)
            .join(events, events.c.leaf_index == complaints.c.filed_leaf_index)
            .outerjoin(payloads, payloads.c.leaf_index == complaints.c.filed_leaf_index)
            .where(complaints.c.concerns_agency == agency, complaints.c.filed_leaf_index >= after)
            .order_by(complaints.c.filed_leaf_index)
            .limit(limit)
        ).all()
        return [
            FiledComplaint(
                ComplaintRecord(
                    bytes(r.case_commitment),
                    bytes(r.concerns_case),
                    r.concerns_agency,
                    r.category,
                    r.filed_leaf_index,
                    r.filed_at,
                ),
                None if r.payload is None else bytes(r.payload),
            )
            for r in rows
        ]
