"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.CheckConstraint("status IN ('active', 'revoked')", name=op.f("ck_agencies_status")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_agencies")),
    )
    op.create_table(
        "checkpoints",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_checkpoints")),
    )
    op.create_table(
        "events",
        sa.Column("leaf_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("case_commitment", sa.LargeBinary(length=32), nullable=False),
        sa.Column("case_seq", sa.BigInteger(), nullable=False),
        sa.Column("prev_event_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        sa.Column("payload_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=65), nullable=False),
        sa.Column("signer", sa.LargeBinary(length=20), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("leaf_index", name=op.f("pk_events")),
        sa.UniqueConstraint("agency", "event_id", name=op.f("uq_events_agency_event_id")),
        sa.UniqueConstraint("case_commitment", "case_seq", name=op.f("uq_events_case_commitment_case_seq")),
    )
    op.create_table(
        "tree_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_tree_nodes")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "tree_state",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_tree_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tree_state")),
        comment="One row; locked by every append so writers on several hosts serialise.",
    )
    op.create_table(
        "agency_signers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("signer", sa.LargeBinary(length=20), nullable=False),
        sa.Column("valid_from", sa.BigInteger(), nullable=False, comment="unix ms the signer became active"),
        sa.Column("valid_until", sa.BigInteger(), nullable=True, comment="unix ms it was rotated out or revoked"),
        sa.Column(
            "block_number", sa.BigInteger(), nullable=True, comment="registry event's block, when mirrored from chain"
        ),
        sa.ForeignKeyConstraint(["agency"], ["agencies.code"], name=op.f("fk_agency_signers_agency_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_signers")),
    )
    with op.batch_alter_table("agency_signers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agency_signers_agency_valid_from"), ["agency", "valid_from"], unique=False)

    op.create_table(
        "anchors",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.LargeBinary(length=20), nullable=False),
        sa.Column("tx_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("nonce", sa.BigInteger(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'mined', 'confirmed', 'dropped')", name=op.f("ck_anchors_status")),
        sa.ForeignKeyConstraint(
            ["tree_size"], ["checkpoints.tree_size"], name=op.f("fk_anchors_tree_size_checkpoints")
        ),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_anchors")),
    )
    op.create_table(
        "case_heads",
        sa.Column("case_commitment", sa.LargeBinary(length=32), nullable=False),
        sa.Column("case_seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["leaf_index"], ["events.leaf_index"], name=op.f("fk_case_heads_leaf_index_events")),
        sa.PrimaryKeyConstraint("case_commitment", name=op.f("pk_case_heads")),
    )
    op.create_table(
        "erasures",
        sa.Column("leaf_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("erasure_leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["erasure_leaf_index"], ["events.leaf_index"], name=op.f("fk_erasures_erasure_leaf_index_events")
        ),
        sa.ForeignKeyConstraint(["leaf_index"], ["events.leaf_index"], name=op.f("fk_erasures_leaf_index_events")),
        sa.PrimaryKeyConstraint("leaf_index", name=op.f("pk_erasures")),
    )
    op.create_table(
        "payloads",
        sa.Column("leaf_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("salt", sa.LargeBinary(length=16), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False, comment="RFC 8785 canonical JSON bytes"),
        sa.ForeignKeyConstraint(["leaf_index"], ["events.leaf_index"], name=op.f("fk_payloads_leaf_index_events")),
        sa.PrimaryKeyConstraint("leaf_index", name=op.f("pk_payloads")),
    )


def downgrade() -> None:
    op.drop_table("payloads")
    op.drop_table("erasures")
    op.drop_table("case_heads")
    op.drop_table("anchors")
    with op.batch_alter_table("agency_signers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agency_signers_agency_valid_from"))

    op.drop_table("agency_signers")
    op.drop_table("tree_state")
    op.drop_table("tree_nodes")
    op.drop_table("events")
    op.drop_table("checkpoints")
    op.drop_table("agencies")
