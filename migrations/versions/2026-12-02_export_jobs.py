"""Results exports as background jobs (#15): the exportjob table with its options, progress and finished file.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 08:10:00.000000
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exportjob',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('params_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('file', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_exportjob_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exportjob'))
    )
    with op.batch_alter_table('exportjob', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exportjob_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exportjob_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_exportjob_params_hash'), ['params_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_exportjob_series_id'), ['series_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exportjob_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('exportjob', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exportjob_user_id'))
        batch_op.drop_index(batch_op.f('ix_exportjob_series_id'))
        batch_op.drop_index(batch_op.f('ix_exportjob_params_hash'))
        batch_op.drop_index(batch_op.f('ix_exportjob_expires_at'))
        batch_op.drop_index(batch_op.f('ix_exportjob_event_id'))

    op.drop_table('exportjob')
