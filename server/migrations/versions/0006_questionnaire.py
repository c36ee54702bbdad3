"""The office's state of each questionnaire: open or closed for responses, its own introduction and
contact line. No rows at first: a questionnaire without one is open, as every one was before.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('questionnaire',
    sa.Column('survey', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('intro', sa.Text(), nullable=False, server_default=''),
    sa.Column('contact', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('survey')
    )


def downgrade() -> None:
    op.drop_table('questionnaire')
