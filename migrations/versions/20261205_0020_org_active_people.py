"""organisations' active people per local month and year, kept as rows (filled from the
monthly participants) instead of counted per report

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 00:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('org_active_people',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('span', sa.String(length=5), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.CheckConstraint('people >= 0', name=op.f('ck_org_active_people_people_non_negative')),
    sa.CheckConstraint("span IN ('month','year')", name=op.f('ck_org_active_people_span_known')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_org_active_people_org_id_organisations')),
    sa.PrimaryKeyConstraint('org_id', 'start', 'span', name=op.f('pk_org_active_people'))
    )
    op.create_index('ix_monthly_participants_user_id_month', 'monthly_participants',
                    ['user_id', 'month'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        year = "CAST(date_trunc('year', month) AS date)"
    else:
        year = "date(month, 'start of year')"
    op.execute("INSERT INTO org_active_people (org_id, start, span, people) "
               "SELECT org_id, month, 'month', count(*) FROM monthly_participants "
               "WHERE activities > 0 GROUP BY org_id, month")
    op.execute(f"INSERT INTO org_active_people (org_id, start, span, people) "
               f"SELECT org_id, {year}, 'year', count(DISTINCT user_id) "
               f"FROM monthly_participants WHERE activities > 0 GROUP BY org_id, {year}")


def downgrade():
    op.drop_index('ix_monthly_participants_user_id_month', table_name='monthly_participants')
    op.drop_table('org_active_people')
