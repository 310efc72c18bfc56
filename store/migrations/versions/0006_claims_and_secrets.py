"""Handled-activity claims with an owner, outbox throttle counts, the app's own secrets.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("processed_activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=100), nullable=True))
        # claims made before this revision were finished turns
        batch_op.add_column(
            sa.Column("done", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("throttles", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_app_secrets")),
    )


def downgrade() -> None:
    op.drop_table("app_secrets")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("throttles")
    with op.batch_alter_table("processed_activities", schema=None) as batch_op:
        batch_op.drop_column("done")
        batch_op.drop_column("owner")
