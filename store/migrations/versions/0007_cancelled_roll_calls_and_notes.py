"""Cancelled roll calls (when, by whom); the reason an instructor gives for a correction.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("roll_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cancelled_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_roll_calls_cancelled_by_people"),
            "people",
            ["cancelled_by"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("attendance_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attendance_changes", schema=None) as batch_op:
        batch_op.drop_column("note")
    with op.batch_alter_table("roll_calls", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_roll_calls_cancelled_by_people"), type_="foreignkey"
        )
        batch_op.drop_column("cancelled_by")
        batch_op.drop_column("cancelled_at")
