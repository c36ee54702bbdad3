"""A drawn village's stratum id holds up to 1,000 characters: a stratum merged from several townships
names every part (`149901008000-rural+149901009000-rural+…`), past the 40 first allowed.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('wave_village', schema=None) as batch_op:
        batch_op.alter_column('stratum', existing_type=sqlmodel.sql.sqltypes.AutoString(length=40),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=1000), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('wave_village', schema=None) as batch_op:
        batch_op.alter_column('stratum', existing_type=sqlmodel.sql.sqltypes.AutoString(length=1000),
                              type_=sa.String(length=40), existing_nullable=False)
