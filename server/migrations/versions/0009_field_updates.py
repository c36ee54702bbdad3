"""The field app's applied-update ledger: each case update a device synced (visit, respondent, close),
claimed by its update id so that it is applied at most once, with its result; rejected ones keep
their problem for the supervisor.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('field_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('update_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('problem', sa.JSON(), nullable=True),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['fieldcase.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
    sa.ForeignKeyConstraint(['token_id'], ['api_token.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('update_id')
    )
    with op.batch_alter_table('field_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_field_update_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_field_update_staff_id'), ['staff_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('field_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_field_update_staff_id'))
        batch_op.drop_index(batch_op.f('ix_field_update_case_id'))
    op.drop_table('field_update')
