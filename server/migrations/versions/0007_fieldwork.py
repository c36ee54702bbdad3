"""Fieldwork: waves and their sampled villages, household listings, cases and visits, reviews; a
draft now knows whether it is a collector's interview of a case (its channel and collector).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wave',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('surveys', sa.JSON(), nullable=False),
    sa.Column('villages', sa.Integer(), nullable=False),
    sa.Column('per_village', sa.Integer(), nullable=False),
    sa.Column('reserve', sa.Integer(), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('strata', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('allocation', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('given', sa.JSON(), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('merges', sa.JSON(), nullable=False),
    sa.Column('drawn_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['unit'], ['unit.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wave_unit'), ['unit'], unique=False)

    op.create_table('fieldcase',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('village', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('survey', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('instance_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('reserve', sa.Boolean(), nullable=False),
    sa.Column('reserve_order', sa.Integer(), nullable=True),
    sa.Column('released', sa.Boolean(), nullable=False),
    sa.Column('replaces', sa.Integer(), nullable=True),
    sa.Column('collector_id', sa.Integer(), nullable=True),
    sa.Column('p_village', sa.Float(), nullable=False),
    sa.Column('p_household', sa.Float(), nullable=False),
    sa.Column('eligible', sa.Integer(), nullable=True),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('kish_table', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('p_person', sa.Float(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('disposition', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('practice', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['collector_id'], ['staff.id'], ),
    sa.ForeignKeyConstraint(['village'], ['unit.code'], ),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('instance_id')
    )
    with op.batch_alter_table('fieldcase', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fieldcase_collector_id'), ['collector_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fieldcase_village'), ['village'], unique=False)
        batch_op.create_index(batch_op.f('ix_fieldcase_wave_id'), ['wave_id'], unique=False)

    op.create_table('listing_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('village', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('locator', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.ForeignKeyConstraint(['village'], ['unit.code'], ),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('wave_id', 'village', 'number', name='uq_listing_number')
    )
    with op.batch_alter_table('listing_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_entry_wave_id'), ['wave_id'], unique=False)

    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('comments', sa.JSON(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_response_id'), ['response_id'], unique=False)

    op.create_table('wave_village',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('village', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('stratum', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('prob', sa.Float(), nullable=False),
    sa.Column('certainty', sa.Boolean(), nullable=False),
    sa.Column('selection_order', sa.Integer(), nullable=False),
    sa.Column('listed', sa.Integer(), nullable=True),
    sa.Column('listed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['village'], ['unit.code'], ),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('wave_id', 'village', name='uq_wave_village')
    )
    with op.batch_alter_table('wave_village', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wave_village_wave_id'), ['wave_id'], unique=False)

    op.create_table('visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('result', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['fieldcase.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_case_id'), ['case_id'], unique=False)

    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=8), server_default='web', nullable=False))
        batch_op.add_column(sa.Column('staff_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_draft_staff', 'staff', ['staff_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('draft', schema=None) as batch_op:
        batch_op.drop_constraint('fk_draft_staff', type_='foreignkey')
        batch_op.drop_column('staff_id')
        batch_op.drop_column('channel')

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_case_id'))

    op.drop_table('visit')
    with op.batch_alter_table('wave_village', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wave_village_wave_id'))

    op.drop_table('wave_village')
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_response_id'))

    op.drop_table('review')
    with op.batch_alter_table('listing_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_entry_wave_id'))

    op.drop_table('listing_entry')
    with op.batch_alter_table('fieldcase', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fieldcase_wave_id'))
        batch_op.drop_index(batch_op.f('ix_fieldcase_village'))
        batch_op.drop_index(batch_op.f('ix_fieldcase_collector_id'))

    op.drop_table('fieldcase')
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wave_unit'))

    op.drop_table('wave')
