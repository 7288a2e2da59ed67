"""Question types, rounds, countdowns, projector modes and templates across a series.

Existing rows get defaults: round 1, results on phones after closing, a fresh key per question.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 20:07:26.656978
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_template_owner_id_user')),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_template_series_id_series')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template'))
    )
    with op.batch_alter_table('template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_template_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_template_series_id'), ['series_id'], unique=False)

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('projector_mode', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default='question'))
        batch_op.add_column(sa.Column('projector_topic_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('template_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_event_template_id_template'), 'template', ['template_id'], ['id'])

    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('scale_min', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('scale_max', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('scale_label_min', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('scale_label_max', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('phone_results', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default='after_close'))
        batch_op.add_column(sa.Column('round', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('compare_rounds', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('time_limit_s', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('closes_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('hidden_terms', sa.Text(), nullable=False, server_default='[]'))
        batch_op.create_index(batch_op.f('ix_question_key'), ['key'], unique=False)
    # Every existing question is its own: a fresh random key each.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE question SET key = lower(hex(randomblob(16))) WHERE key = ''")
    else:
        op.execute("UPDATE question SET key = md5(random()::text || id::text) WHERE key = ''")

    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('moderation', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('flagged', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.alter_column('choices',
               existing_type=sa.VARCHAR(length=400),
               type_=sa.Text(),
               existing_nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_vote_question_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_vote_question_id'), ['question_id', 'round', 'device_hash'])



def downgrade() -> None:
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_vote_question_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_vote_question_id'), ['question_id', 'device_hash'])
        batch_op.alter_column('choices',
               existing_type=sa.Text(),
               type_=sa.VARCHAR(length=400),
               existing_nullable=False)
        batch_op.drop_column('flagged')
        batch_op.drop_column('moderation')
        batch_op.drop_column('round')

    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_key'))
        batch_op.drop_column('hidden_terms')
        batch_op.drop_column('closes_at')
        batch_op.drop_column('time_limit_s')
        batch_op.drop_column('compare_rounds')
        batch_op.drop_column('round')
        batch_op.drop_column('phone_results')
        batch_op.drop_column('scale_label_max')
        batch_op.drop_column('scale_label_min')
        batch_op.drop_column('scale_max')
        batch_op.drop_column('scale_min')
        batch_op.drop_column('key')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_event_template_id_template'), type_='foreignkey')
        batch_op.drop_column('template_id')
        batch_op.drop_column('projector_topic_id')
        batch_op.drop_column('projector_mode')

    with op.batch_alter_table('template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_template_series_id'))
        batch_op.drop_index(batch_op.f('ix_template_owner_id'))

    op.drop_table('template')
