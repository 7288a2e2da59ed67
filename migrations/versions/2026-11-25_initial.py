"""Initial schema: accounts, series, events, agenda topics, questions, options and votes.

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 16:04:45.142267
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_series'))
    )
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user'))
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_username'), ['username'], unique=True)

    op.create_table('event',
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('date', sa.Date(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('join_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('projector_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('current_question_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_event_owner_id_user')),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_event_series_id_series')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_join_code'), ['join_code'], unique=True)
        batch_op.create_index(batch_op.f('ix_event_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_projector_token'), ['projector_token'], unique=True)
        batch_op.create_index(batch_op.f('ix_event_series_id'), ['series_id'], unique=False)

    op.create_table('topic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_topic_event_id_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topic'))
    )
    with op.batch_alter_table('topic', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_topic_event_id'), ['event_id'], unique=False)

    op.create_table('question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('max_choices', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('results_shown', sa.Boolean(), nullable=False),
    sa.Column('opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_question_event_id_event')),
    sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], name=op.f('fk_question_topic_id_topic')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question'))
    )
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_topic_id'), ['topic_id'], unique=False)

    op.create_table('option',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_option_question_id_question')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_option'))
    )
    with op.batch_alter_table('option', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_option_question_id'), ['question_id'], unique=False)

    op.create_table('vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('device_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('choices', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('vote_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_vote_question_id_question')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote')),
    sa.UniqueConstraint('question_id', 'device_hash', name=op.f('uq_vote_question_id'))
    )
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_question_id'), ['question_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_question_id'))

    op.drop_table('vote')
    with op.batch_alter_table('option', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_option_question_id'))

    op.drop_table('option')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_topic_id'))
        batch_op.drop_index(batch_op.f('ix_question_event_id'))

    op.drop_table('question')
    with op.batch_alter_table('topic', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_topic_event_id'))

    op.drop_table('topic')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_series_id'))
        batch_op.drop_index(batch_op.f('ix_event_projector_token'))
        batch_op.drop_index(batch_op.f('ix_event_owner_id'))
        batch_op.drop_index(batch_op.f('ix_event_join_code'))

    op.drop_table('event')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_username'))

    op.drop_table('user')
    op.drop_table('series')
