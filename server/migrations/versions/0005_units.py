"""The org-unit tree replaces the flat village list; population by sex × age group.

Existing villages (and the responses and drafts that name them) are carried over in place: the
`village` table becomes `unit` (its rows keep their codes, so every foreign key still holds), each
old row a village-level unit whose `area` becomes a 城乡分类代码 (urban 121 镇中心区, rural 220 村庄)
with no parent (codes of the old synthetic list are not 统计用区划代码; the bundled county is imported
beside them). The old `township` text is dropped with the column.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.rename_table('village', 'unit')
    op.add_column('unit', sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False,
                                    server_default='village'))
    op.add_column('unit', sa.Column('parent', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True))
    op.add_column('unit', sa.Column('urban_rural', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True))
    op.add_column('unit', sa.Column('households', sa.Integer(), nullable=True))
    op.execute("UPDATE unit SET urban_rural = CASE WHEN area = 'urban' THEN '121' ELSE '220' END")
    op.drop_column('unit', 'township')
    op.drop_column('unit', 'area')
    op.create_index('ix_unit_parent', 'unit', ['parent'])
    op.create_table('population',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=12), sa.ForeignKey('unit.code'), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('sex', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
    sa.Column('age_group', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code', 'year', 'sex', 'age_group', name='uq_population_cell')
    )
    op.create_index('ix_population_code', 'population', ['code'])


def downgrade() -> None:
    op.drop_table('population')
    op.drop_index('ix_unit_parent', 'unit')
    op.add_column('unit', sa.Column('township', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False,
                                    server_default=''))
    op.add_column('unit', sa.Column('area', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False,
                                    server_default='rural'))
    for column in ('households', 'urban_rural', 'parent', 'level'):
        op.drop_column('unit', column)
    op.rename_table('unit', 'village')
