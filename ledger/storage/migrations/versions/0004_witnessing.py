"""witnessing: the witnesses' cosignatures, how far each witness has cosigned, the checkpoints a quorum met

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cosignatures",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("key_name", sa.Text(), nullable=False),
        sa.Column("key_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column(
            "signature",
            sa.LargeBinary(),
            nullable=False,
            comment="after the key id: u64 timestamp || Ed25519 signature",
        ),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tree_size"], ["checkpoints.tree_size"], name=op.f("fk_cosignatures_tree_size_checkpoints")
        ),
        sa.PrimaryKeyConstraint("tree_size", "key_name", "key_id", name=op.f("pk_cosignatures")),
        comment="Witnesses' cosignature/v1 lines (c2sp.org/tlog-cosignature) over stored checkpoints, as returned.",
    )
    op.create_table(
        "witness_progress",
        sa.Column("key_name", sa.Text(), nullable=False),
        sa.Column("key_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column(
            "tree_size",
            sa.BigInteger(),
            nullable=False,
            comment="the size the witness last cosigned or named (409)",
        ),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key_name", "key_id", name=op.f("pk_witness_progress")),
    )
    op.create_table(
        "witnessed_checkpoints",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column(
            "policy_hash",
            sa.LargeBinary(length=32),
            nullable=False,
            comment="SHA-256 of the policy file whose quorum met",
        ),
        sa.Column("met_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tree_size"], ["checkpoints.tree_size"], name=op.f("fk_witnessed_checkpoints_tree_size_checkpoints")
        ),
        sa.PrimaryKeyConstraint("tree_size", "policy_hash", name=op.f("pk_witnessed_checkpoints")),
    )


def downgrade() -> None:
    op.drop_table("witnessed_checkpoints")
    op.drop_table("witness_progress")
    op.drop_table("cosignatures")
