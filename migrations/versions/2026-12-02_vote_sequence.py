"""Votes carry the phone's order of its answers (`seq`), so a late resend of an older answer never replaces a
newer one (#16). Existing votes get 0, the number of a client that does not count.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_column('seq')
