"""Reports read a group's attendance changes over a date range: an index for it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 15:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_attendance_changes_group_id_day", "attendance_changes", ["group_id", "day"])


def downgrade() -> None:
    op.drop_index("ix_attendance_changes_group_id_day", table_name="attendance_changes")
