"""Word-cloud terms the moderator merged (#16 point 6): question.term_merges, JSON, per question.

Terms that differ only by case, spaces, hyphens and the like count as one without a data migration: the key is
computed when the votes are counted, and the keys stored in question.hidden_terms are folded again when read
(app/domain/review.py), so a hidden term stays hidden.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-02 12:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('term_merges', sa.Text(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('term_merges')
