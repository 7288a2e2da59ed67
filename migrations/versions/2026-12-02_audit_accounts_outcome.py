"""Audit log: account actions without an event (event_id nullable), and each entry's outcome.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:00:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('auditentry', schema=None) as batch_op:
        batch_op.alter_column('event_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default='done'))


def downgrade() -> None:
    op.execute("DELETE FROM auditentry WHERE event_id IS NULL")
    with op.batch_alter_table('auditentry', schema=None) as batch_op:
        batch_op.drop_column('outcome')
        batch_op.alter_column('event_id', existing_type=sa.Integer(), nullable=False)
