"""Co-moderators per event, accounts that can be switched off, and the audit log of moderator actions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:51:24.127810
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('auditentry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_auditentry_event_id_event')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_auditentry_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auditentry'))
    )
    with op.batch_alter_table('auditentry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditentry_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_auditentry_event_id'), ['event_id'], unique=False)

    op.create_table('eventmoderator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_eventmoderator_event_id_event')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_eventmoderator_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eventmoderator')),
    sa.UniqueConstraint('event_id', 'user_id', name=op.f('uq_eventmoderator_event_id'))
    )
    with op.batch_alter_table('eventmoderator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eventmoderator_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_eventmoderator_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_active', sa.Boolean(), nullable=False, server_default=sa.true()))



def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('is_active')

    with op.batch_alter_table('eventmoderator', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eventmoderator_user_id'))
        batch_op.drop_index(batch_op.f('ix_eventmoderator_event_id'))

    op.drop_table('eventmoderator')
    with op.batch_alter_table('auditentry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditentry_event_id'))
        batch_op.drop_index(batch_op.f('ix_auditentry_at'))

    op.drop_table('auditentry')
