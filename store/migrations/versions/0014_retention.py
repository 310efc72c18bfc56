"""Retention: when a client's service ended, and a feedback round's anonymous aggregate.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-07 18:30:00.000000

people.service_ended_on comes from the organisation file (`service_ended`); a client's
attendance is kept until RETAIN_ATTENDANCE_YEARS after it. feedback_rounds.summary holds the
round's counts (asked, answered, scores, written answers), written before its answers are
purged, so the aggregate outlives the answers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision: str | None = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_ended_on", sa.Date(), nullable=True))
    with op.batch_alter_table("feedback_rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback_rounds", schema=None) as batch_op:
        batch_op.drop_column("summary")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("service_ended_on")
