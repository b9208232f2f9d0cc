"""monthly rollups for reports: activities by behaviour and organisation-local month

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('activity_monthly_rollups',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('activities', sa.Integer(), nullable=False),
    sa.Column('co2e_g', sa.BigInteger(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('activities >= 0', name=op.f('ck_activity_monthly_rollups_activities_non_negative')),
    sa.CheckConstraint('co2e_g >= 0', name=op.f('ck_activity_monthly_rollups_co2e_non_negative')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_activity_monthly_rollups_org_id_organisations')),
    sa.PrimaryKeyConstraint('org_id', 'month', 'type', name=op.f('pk_activity_monthly_rollups'))
    )
    # Filled from the raw activities, as `flask rollups rebuild` would (an existing
    # database has history the commit-time upserts never saw).
    op.execute(
        "INSERT INTO activity_monthly_rollups (org_id, month, type, activities, co2e_g, points) "
        "SELECT org_id, month, type, sum(activities), sum(co2e_g), sum(points) FROM ("
        "SELECT org_id, " + _month_of('day') + " AS month, type, activities, co2e_g, points "
        "FROM activity_rollups) AS days GROUP BY org_id, month, type")


def _month_of(column):
    if op.get_bind().dialect.name == 'postgresql':
        return f"CAST(date_trunc('month', {column}) AS DATE)"
    return f"date({column}, 'start of month')"


def downgrade():
    op.drop_table('activity_monthly_rollups')
