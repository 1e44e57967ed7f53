"""Residents' proposals beside the workshops' ones (origin, moderation, public answer,
place or council, photo, supports) and the directory of local creators with relayed messages.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # existing rows were entered by planners at a workshop: published, origin "taller"
    with op.batch_alter_table("proposals") as batch:
        batch.alter_column("workshop_id", existing_type=sa.String(40), nullable=True)
        batch.add_column(sa.Column("origin", sa.String(10), nullable=False,
                                   server_default="taller"))
        batch.add_column(sa.Column("moderation", sa.String(12), nullable=False,
                                   server_default="publicada"))
        batch.add_column(sa.Column("held_reason", sa.String(200)))
        batch.add_column(sa.Column("category", sa.String(40)))
        batch.add_column(sa.Column("lon", sa.Float))
        batch.add_column(sa.Column("lat", sa.Float))
        batch.add_column(sa.Column("photo", sa.String(80)))
        batch.add_column(sa.Column("answer", sa.String(12)))
        batch.add_column(sa.Column("answer_text", sa.Text))
        batch.add_column(sa.Column("merged_into_id", sa.Integer))
        batch.add_column(sa.Column("supports", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("created_at", sa.DateTime))
    op.create_index("ix_proposals_moderation", "proposals", ["moderation"])
    op.create_table(
        "creators",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("disciplines", sa.Text, nullable=False),
        sa.Column("councils", sa.Text, nullable=False),
        sa.Column("area", sa.String(120)),
        sa.Column("links", sa.Text),
        sa.Column("contact_email", sa.String(254)),
        sa.Column("contact_phone", sa.String(40)),
        sa.Column("origin", sa.String(12), nullable=False),
        sa.Column("moderation", sa.String(12), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "creator_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("creator_id", sa.Integer, sa.ForeignKey("creators.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("reply_to", sa.String(254), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("relayed", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("creator_messages")
    op.drop_table("creators")
    op.drop_index("ix_proposals_moderation", "proposals")
    with op.batch_alter_table("proposals") as batch:
        for name in ("created_at", "supports", "merged_into_id", "answer_text", "answer",
                     "photo", "lat", "lon", "category", "held_reason", "moderation", "origin"):
            batch.drop_column(name)
        batch.alter_column("workshop_id", existing_type=sa.String(40), nullable=False)
