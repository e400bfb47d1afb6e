"""The relational schema (SQLAlchemy Core). Alembic migrations must produce exactly this.

Hashes, signatures and addresses are raw bytes; times are unix milliseconds
(`received_at`) or seconds (`occurred_at`, as signed). Level-0 tree nodes are
the events' leaf hashes; `tree_nodes` holds every completed perfect subtree of
level >= 1, so any proof needs O(log n) point reads.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

tree_state = Table(
    "tree_state",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("tree_size", BigInteger, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
    comment="One row; locked by every append so writers on several hosts serialise.",
)

events = Table(
    "events",
    metadata,
    Column("leaf_index", BigInteger, primary_key=True, autoincrement=False),
    Column("agency", String(32), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("case_commitment", LargeBinary(32), nullable=False),
    Column("case_seq", BigInteger, nullable=False),
    Column("prev_event_hash", LargeBinary(32), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("summary", Text, nullable=False),
    Column("occurred_at", BigInteger, nullable=False),
    Column("payload_digest", LargeBinary(32), nullable=False),
    Column("signature", LargeBinary(65), nullable=False),
    Column("signer", LargeBinary(20), nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    UniqueConstraint("agency", "event_id"),
    UniqueConstraint("case_commitment", "case_seq"),
)

payloads = Table(
    "payloads",
    metadata,
    Column("leaf_index", BigInteger, ForeignKey("events.leaf_index"), primary_key=True, autoincrement=False),
    Column("salt", LargeBinary(16), nullable=False),
    Column("payload", LargeBinary, nullable=False, comment="RFC 8785 canonical JSON bytes"),
)

erasures = Table(
    "erasures",
    metadata,
    Column("leaf_index", BigInteger, ForeignKey("events.leaf_index"), primary_key=True, autoincrement=False),
    Column("erasure_leaf_index", BigInteger, ForeignKey("events.leaf_index"), nullable=False),
    Column("legal_basis", Text, nullable=False),
)

tree_nodes = Table(
    "tree_nodes",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
    sqlite_with_rowid=False,
)

case_heads = Table(
    "case_heads",
    metadata,
    Column("case_commitment", LargeBinary(32), primary_key=True),
    Column("case_seq", BigInteger, nullable=False),
    Column("head_hash", LargeBinary(32), nullable=False),
    Column("leaf_index", BigInteger, ForeignKey("events.leaf_index"), nullable=False),
)

agencies = Table(
    "agencies",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", Text, nullable=False, server_default=""),
    Column("status", String(16), nullable=False),
    CheckConstraint("status IN ('active', 'revoked')", name="status"),
)

agency_signers = Table(
    "agency_signers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agency", String(32), ForeignKey("agencies.code"), nullable=False),
    Column("signer", LargeBinary(20), nullable=False),
    Column("valid_from", BigInteger, nullable=False, comment="unix ms the signer became active"),
    Column("valid_until", BigInteger, nullable=True, comment="unix ms it was rotated out or revoked"),
    Column("block_number", BigInteger, nullable=True, comment="registry event's block, when mirrored from chain"),
    Index(None, "agency", "valid_from"),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("origin", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column(
        "log_signature",
        LargeBinary(64),
        nullable=True,
        comment="Ed25519 signature of the checkpoint text by the log key (c2sp.org/signed-note); "
        "null for checkpoints made before the log had a key, until they are signed",
    ),
)

anchors = Table(
    "anchors",
    metadata,
    Column("tree_size", BigInteger, ForeignKey("checkpoints.tree_size"), primary_key=True, autoincrement=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("contract", LargeBinary(20), nullable=False),
    Column("tx_hash", LargeBinary(32), nullable=True),
    Column("nonce", BigInteger, nullable=True),
    Column("block_number", BigInteger, nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    CheckConstraint("status IN ('pending', 'mined', 'confirmed', 'dropped')", name="status"),
)

cosignatures = Table(
    "cosignatures",
    metadata,
    Column("tree_size", BigInteger, ForeignKey("checkpoints.tree_size"), primary_key=True, autoincrement=False),
    Column("key_name", Text, primary_key=True),
    Column("key_id", BigInteger, primary_key=True, autoincrement=False),
    Column("signature", LargeBinary, nullable=False, comment="after the key id: u64 timestamp || Ed25519 signature"),
    Column("received_at", BigInteger, nullable=False),
    comment="Witnesses' cosignature/v1 lines (c2sp.org/tlog-cosignature) over stored checkpoints, as returned.",
)

witness_progress = Table(
    "witness_progress",
    metadata,
    Column("key_name", Text, primary_key=True),
    Column("key_id", BigInteger, primary_key=True, autoincrement=False),
    Column("tree_size", BigInteger, nullable=False, comment="the size the witness last cosigned or named (409)"),
    Column("updated_at", BigInteger, nullable=False),
)

witnessed_checkpoints = Table(
    "witnessed_checkpoints",
    metadata,
    Column("tree_size", BigInteger, ForeignKey("checkpoints.tree_size"), primary_key=True, autoincrement=False),
    Column("policy_hash", LargeBinary(32), primary_key=True, comment="SHA-256 of the policy file whose quorum met"),
    Column("met_at", BigInteger, nullable=False),
)

complaints = Table(
    "complaints",
    metadata,
    Column("case_commitment", LargeBinary(32), primary_key=True, comment="the complaint's own case"),
    Column("concerns_case", LargeBinary(32), nullable=False, comment="the case the complaint is about"),
    Column("concerns_agency", String(32), nullable=False),
    Column("category", String(32), nullable=False),
    Column("filed_leaf_index", BigInteger, ForeignKey("events.leaf_index"), nullable=False),
    Column("filed_at", BigInteger, nullable=False),
    Index(None, "concerns_agency", "filed_at"),
)
