"""Every voice counted (#18): hand counts and paper slips, help-desk links and tablet ballots, segment questions.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 19:00:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'manualcount',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('counts', sa.Text(), nullable=False),
        sa.Column('voters', sa.Integer(), nullable=False),
        sa.Column('estimated', sa.Boolean(), nullable=False),
        sa.Column('counted_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_manualcount_question_id_question')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_manualcount')),
        sa.UniqueConstraint('question_id', 'round', 'source', name=op.f('uq_manualcount_question_id')),
    )
    with op.batch_alter_table('manualcount', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manualcount_question_id'), ['question_id'], unique=False)
    op.create_table(
        'desklink',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_desklink_event_id_event')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_desklink')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_desklink_token_hash')),
    )
    with op.batch_alter_table('desklink', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desklink_event_id'), ['event_id'], unique=False)
    op.create_table(
        'ballottoken',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('desk_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['desk_id'], ['desklink.id'], name=op.f('fk_ballottoken_desk_id_desklink')),
        sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_ballottoken_question_id_question')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ballottoken')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_ballottoken_token_hash')),
    )
    with op.batch_alter_table('ballottoken', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballottoken_desk_id'), ['desk_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ballottoken_question_id'), ['question_id'], unique=False)
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('segment', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counting', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('counting_question_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('projector_segment_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('projector_segment_id')
        batch_op.drop_column('counting_question_id')
        batch_op.drop_column('counting')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('segment')
    for table, indexes in (('ballottoken', ('ix_ballottoken_question_id', 'ix_ballottoken_desk_id')),
                           ('desklink', ('ix_desklink_event_id',)), ('manualcount', ('ix_manualcount_question_id',))):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(index)
        op.drop_table(table)
