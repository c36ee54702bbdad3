"""Corrections and paradata: a response may name the response it corrects (`supersedes`; both are kept),
and a draft started to correct one carries that id until it is finished; drafts and responses keep
the seconds and visits per page (paradata for the quality flags).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supersedes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('paradata', sa.JSON(), nullable=True))

    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supersedes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('paradata', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_response_supersedes'), ['supersedes'], unique=False)
        batch_op.create_foreign_key('fk_response_supersedes', 'response', ['supersedes'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_constraint('fk_response_supersedes', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_response_supersedes'))
        batch_op.drop_column('paradata')
        batch_op.drop_column('supersedes')

    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.drop_column('paradata')
        batch_op.drop_column('supersedes')
