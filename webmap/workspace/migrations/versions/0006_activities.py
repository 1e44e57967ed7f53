"""Activities of the agenda: what, where (a venue or a point), when (UTC), repeat rule.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("venue_id", sa.String(40), sa.ForeignKey("venues.id")),
        sa.Column("lon", sa.Float),
        sa.Column("lat", sa.Float),
        sa.Column("start_utc", sa.DateTime, nullable=False, index=True),
        sa.Column("end_utc", sa.DateTime, nullable=False),
        sa.Column("rrule", sa.String(500)),
        sa.Column("free", sa.Boolean, nullable=False),
        sa.Column("audience", sa.String(20), nullable=False),
        sa.Column("accessibility", sa.Text),
        sa.Column("organiser", sa.String(300)),
        sa.Column("source_url", sa.String(1000)),
        sa.Column("uid", sa.String(300), unique=True),
        sa.Column("cancelled", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("activities")
