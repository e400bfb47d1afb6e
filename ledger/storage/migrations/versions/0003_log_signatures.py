"""checkpoints.log_signature: the log's Ed25519 signed-note signature of each checkpoint's text

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "log_signature",
                sa.LargeBinary(length=64),
                nullable=True,
                comment="Ed25519 signature of the checkpoint text by the log key (c2sp.org/signed-note); "
                "null for checkpoints made before the log had a key, until they are signed",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.drop_column("log_signature")
