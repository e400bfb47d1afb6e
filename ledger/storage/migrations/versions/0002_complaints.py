"""complaints: which case a complaint case concerns, for the agency's inbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("case_commitment", sa.LargeBinary(length=32), nullable=False, comment="the complaint's own case"),
        sa.Column(
            "concerns_case", sa.LargeBinary(length=32), nullable=False, comment="the case the complaint is about"
        ),
        sa.Column("concerns_agency", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("filed_leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("filed_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["filed_leaf_index"], ["events.leaf_index"], name=op.f("fk_complaints_filed_leaf_index_events")
        ),
        sa.PrimaryKeyConstraint("case_commitment", name=op.f("pk_complaints")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaints_concerns_agency_filed_at"), ["concerns_agency", "filed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaints_concerns_agency_filed_at"))
    op.drop_table("complaints")
