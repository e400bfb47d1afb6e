"""The agency registry mirror: agencies, their signers and the window each signer was active in.

:class:`AgencyQueries` and :class:`AgencyWrites` are part of every ``Reader`` / ``WriteTx``;
:class:`RegistryMirror` is what the registry sync needs to resume where it stopped."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from ledger.errors import Conflict, NotFound
from ledger.storage.queries import Queries, _chunks
from ledger.storage.schema import agencies, agency_signers


@dataclass(frozen=True, slots=True)
class AgencySigner:
    agency: str
    signer: bytes
    valid_from: int
    valid_until: int | None
    status: str


class AgencyQueries(Queries):
    def active_signers(self, codes: Iterable[str]) -> dict[str, AgencySigner]:
        """Each known agency among `codes`: its current signer, or status "revoked" and no signer."""
        out: dict[str, AgencySigner] = {}
        for chunk in _chunks(sorted(set(codes))):
            rows = self._all(
                "SELECT a.code, a.status, s.signer, s.valid_from FROM agencies a "
                "LEFT OUTER JOIN agency_signers s ON s.agency = a.code AND s.valid_until IS NULL "
                f"WHERE a.code IN ({', '.join('?' * len(chunk))})",
                tuple(chunk),
            )
            for code, status, signer, valid_from in rows:
                out[code] = AgencySigner(code, b"" if signer is None else bytes(signer), valid_from or 0, None, status)
        return out

    def signer_history(self, signers: Iterable[bytes]) -> list[AgencySigner]:
        """Every registration of these addresses, to explain why a signer is refused."""
        out: list[AgencySigner] = []
        for chunk in _chunks(sorted(set(signers))):
            rows = self.conn.execute(
                select(agency_signers, agencies.c.status)
                .join(agencies, agencies.c.code == agency_signers.c.agency)
                .where(agency_signers.c.signer.in_(chunk))
            )
            out += [AgencySigner(r.agency, bytes(r.signer), r.valid_from, r.valid_until, r.status) for r in rows]
        return out

    def agencies(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(
                agencies.c.code,
                agencies.c.name,
                agencies.c.status,
                agency_signers.c.signer,
                agency_signers.c.valid_from,
            )
            .outerjoin(
                agency_signers,
                and_(agency_signers.c.agency == agencies.c.code, agency_signers.c.valid_until.is_(None)),
            )
            .order_by(agencies.c.code)
        )
        return [
            {
                "code": r.code,
                "name": r.name,
                "status": r.status,
                "signer": None if r.signer is None else bytes(r.signer),
                "since": r.valid_from,
            }
            for r in rows
        ]

    def signer_windows(self) -> list[AgencySigner]:
        """Every agency's signers with the window each was active in (the registry's history)."""
        rows = self.conn.execute(
            select(agency_signers, agencies.c.status)
            .join(agencies, agencies.c.code == agency_signers.c.agency)
            .order_by(agency_signers.c.agency, agency_signers.c.valid_from)
        )
        return [AgencySigner(r.agency, bytes(r.signer), r.valid_from, r.valid_until, r.status) for r in rows]


class AgencyWrites(AgencyQueries):
    def register_agency(self, code: str, name: str, signer: bytes, at: int, block_number: int | None = None) -> None:
        if self.conn.execute(select(agencies.c.code).where(agencies.c.code == code)).first() is not None:
            raise Conflict(f"agency {code} is already registered")
        self.conn.execute(insert(agencies).values(code=code, name=name, status="active"))
        self.conn.execute(
            insert(agency_signers).values(agency=code, signer=signer, valid_from=at, block_number=block_number)
        )

    def rotate_agency_signer(self, code: str, signer: bytes, at: int, block_number: int | None = None) -> None:
        current = self.active_signers([code]).get(code)
        if current is None or current.status != "active":
            raise NotFound(f"agency {code} is not registered and active")
        self._close_signer(code, at)
        self.conn.execute(
            insert(agency_signers).values(agency=code, signer=signer, valid_from=at, block_number=block_number)
        )

    def revoke_agency(self, code: str, at: int) -> None:
        current = self.active_signers([code]).get(code)
        if current is None or current.status != "active":
            raise NotFound(f"agency {code} is not registered and active")
        self._close_signer(code, at)
        self.conn.execute(update(agencies).where(agencies.c.code == code).values(status="revoked"))

    def set_agency_name(self, code: str, name: str) -> None:
        """The display name (the registry on chain only knows codes)."""
        self.conn.execute(update(agencies).where(agencies.c.code == code).values(name=name))

    def _close_signer(self, code: str, at: int) -> None:
        self.conn.execute(
            update(agency_signers)
            .where(agency_signers.c.agency == code, agency_signers.c.valid_until.is_(None))
            .values(valid_until=at)
        )


class RegistryMirror:
    """What the registry sync needs to resume where it stopped, on one transaction's connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def last_mirrored_block(self) -> int | None:
        """The newest block a mirrored registration or rotation came from (None if nothing was mirrored)."""
        block: int | None = self.conn.execute(select(func.max(agency_signers.c.block_number))).scalar_one()
        return block

    def has_mirrored(self, code: str, signer: bytes, block_number: int) -> bool:
        """Whether the signer row that a registry event at ``block_number`` creates is already there."""
        row = self.conn.execute(
            select(agency_signers.c.id).where(
                agency_signers.c.agency == code,
                agency_signers.c.signer == signer,
                agency_signers.c.block_number == block_number,
            )
        ).first()
        return row is not None
