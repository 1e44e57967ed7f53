"""Juntas de vecinos registered by the planners: name, unit, sede (a venue), private contact.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "juntas",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("council_id", sa.String(40), nullable=False),
        sa.Column("sede_venue_id", sa.String(40), sa.ForeignKey("venues.id")),
        sa.Column("contact", sa.Text),
        sa.Column("retired", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("juntas")
