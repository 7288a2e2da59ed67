"""Trust: server-side login sessions, printed voting cards (strict mode), people in the hall and devices seen.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:20:07.452822
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('loginsession',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_loginsession_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loginsession'))
    )
    with op.batch_alter_table('loginsession', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loginsession_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_loginsession_user_id'), ['user_id'], unique=False)

    op.create_table('votingcard',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('batch', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_votingcard_event_id_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_votingcard')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_votingcard_code_hash'))
    )
    with op.batch_alter_table('votingcard', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_votingcard_event_id'), ['event_id'], unique=False)

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('people_in_hall', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('voting_cards', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('devices_seen', sa.Integer(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('devices_seen')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('voting_cards')
        batch_op.drop_column('people_in_hall')

    with op.batch_alter_table('votingcard', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_votingcard_event_id'))

    op.drop_table('votingcard')
    with op.batch_alter_table('loginsession', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loginsession_user_id'))
        batch_op.drop_index(batch_op.f('ix_loginsession_expires_at'))

    op.drop_table('loginsession')
