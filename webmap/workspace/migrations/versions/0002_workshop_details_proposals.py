"""Workshops get attendance and short minutes; proposals that came out of a workshop.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workshops") as batch:
        batch.add_column(sa.Column("attendance", sa.Integer))
        batch.add_column(sa.Column("minutes", sa.Text))
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("workshop_id", sa.String(40), sa.ForeignKey("workshops.id"), nullable=False,
                  index=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("councils", sa.Text, nullable=False),
        sa.Column("retired", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("proposals")
    with op.batch_alter_table("workshops") as batch:
        batch.drop_column("minutes")
        batch.drop_column("attendance")
