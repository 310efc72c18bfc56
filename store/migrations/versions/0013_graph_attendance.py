"""Teams' attendance reports: each group day's meeting as Graph knows it, the polls, the copy.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 18:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "graph_meetings",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("organizer_id", sa.String(length=64), nullable=True),
        sa.Column("graph_id", sa.String(length=1000), nullable=True),
        sa.Column("next_poll_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("polls_done", sa.Integer(), nullable=False),
        sa.Column("problem", sa.String(length=20), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_graph_meetings_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "day", name=op.f("pk_graph_meetings")),
    )
    with op.batch_alter_table("graph_meetings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_graph_meetings_next_poll_at"), ["next_poll_at"], unique=False
        )
    op.create_table(
        "graph_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("report_id", sa.String(length=400), nullable=False),
        sa.Column("person_key", sa.String(length=400), nullable=False),
        sa.Column("aad_object_id", sa.String(length=64), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("display_name", sa.String(length=400), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("total_seconds", sa.Integer(), nullable=False),
        sa.Column("intervals", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_graph_attendance_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graph_attendance")),
        sa.UniqueConstraint(
            "group_id", "day", "report_id", "person_key", name=op.f("uq_graph_attendance_group_id")
        ),
    )
    with op.batch_alter_table("graph_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_graph_attendance_aad_object_id"), ["aad_object_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("graph_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_graph_attendance_aad_object_id"))
    op.drop_table("graph_attendance")
    with op.batch_alter_table("graph_meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_graph_meetings_next_poll_at"))
    op.drop_table("graph_meetings")
