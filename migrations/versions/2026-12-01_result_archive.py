"""Aggregated results kept when the retention command deletes single answers (DSGVO).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 20:49:09.936665
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('resultarchive',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('results', sa.Text(), nullable=False),
    sa.Column('archived_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_resultarchive_question_id_question')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resultarchive')),
    sa.UniqueConstraint('question_id', 'round', name=op.f('uq_resultarchive_question_id'))
    )
    with op.batch_alter_table('resultarchive', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resultarchive_question_id'), ['question_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('resultarchive', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resultarchive_question_id'))

    op.drop_table('resultarchive')
