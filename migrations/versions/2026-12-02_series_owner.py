"""Series have an owner: whoever created one sees and renames it, even before it holds an event.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 08:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_series_owner_id'), ['owner_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_series_owner_id_user'), 'user', ['owner_id'], ['id'])
    # A series from before: its owner is the owner of its first event, so nobody loses sight of it.
    op.execute(
        "UPDATE series SET owner_id = (SELECT e.owner_id FROM event e WHERE e.series_id = series.id "
        "AND e.owner_id IS NOT NULL ORDER BY e.id LIMIT 1)"
    )


def downgrade() -> None:
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_series_owner_id_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_series_owner_id'))
        batch_op.drop_column('owner_id')
