"""Public results pages (#17): a publication per event and per series, the public flag per question, follow-up notes.

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-02 18:00:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'publication',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('series_id', sa.Integer(), nullable=True),
        sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('published', sa.Boolean(), nullable=False),
        sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('show_texts', sa.Boolean(), nullable=False),
        sa.Column('downloads', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_publication_event_id_event')),
        sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_publication_series_id_series')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_publication')),
        sa.UniqueConstraint('event_id', name=op.f('uq_publication_event_id')),
        sa.UniqueConstraint('series_id', name=op.f('uq_publication_series_id')),
        sa.UniqueConstraint('slug', name=op.f('uq_publication_slug')),
    )
    op.create_table(
        'followupnote',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('topic_id', sa.Integer(), nullable=False),
        sa.Column('date', sa.Date(), nullable=False),
        sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_followupnote_event_id_event')),
        sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], name=op.f('fk_followupnote_topic_id_topic')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_followupnote')),
    )
    with op.batch_alter_table('followupnote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followupnote_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_followupnote_topic_id'), ['topic_id'], unique=False)
    # Default none: a question becomes public only when the moderator ticks it.
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('public')
    with op.batch_alter_table('followupnote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followupnote_topic_id'))
        batch_op.drop_index(batch_op.f('ix_followupnote_event_id'))
    op.drop_table('followupnote')
    op.drop_table('publication')
