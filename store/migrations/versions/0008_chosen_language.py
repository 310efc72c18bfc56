"""A person's own language choice, kept apart from the organisation file's; a unit's language.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 09:30:00.000000

Before this revision one column held both. A value there stays the organisation file's (the
next import rewrites it); the choice made with `kieli`/`språk`/`language` is in
chosen_language from now on and wins over the file. A unit may have a language (its groups'
unless a group says otherwise, and its coordinators' unless they have their own).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chosen_language", sa.String(length=2), nullable=True))
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("chosen_language")
