"""daily rollups for reports: activities by team, behaviour and day; monthly participants;
organisation points per day

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 06:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('org_daily_points',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('issued', sa.BigInteger(), nullable=False),
    sa.Column('redeemed', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_org_daily_points_org_id_organisations')),
    sa.PrimaryKeyConstraint('org_id', 'day', name=op.f('pk_org_daily_points'))
    )
    op.create_table('activity_rollups',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('team_key', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('activities', sa.Integer(), nullable=False),
    sa.Column('co2e_g', sa.BigInteger(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('activities >= 0', name=op.f('ck_activity_rollups_activities_non_negative')),
    sa.CheckConstraint('co2e_g >= 0', name=op.f('ck_activity_rollups_co2e_non_negative')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_activity_rollups_org_id_organisations')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_activity_rollups_team_id_teams')),
    sa.PrimaryKeyConstraint('org_id', 'day', 'team_key', 'type', name=op.f('pk_activity_rollups'))
    )
    op.create_table('monthly_participants',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('activities', sa.Integer(), nullable=False),
    sa.CheckConstraint('activities >= 0', name=op.f('ck_monthly_participants_activities_non_negative')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_monthly_participants_org_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_monthly_participants_user_id_users')),
    sa.PrimaryKeyConstraint('org_id', 'month', 'user_id', name=op.f('pk_monthly_participants'))
    )


def downgrade():
    op.drop_table('monthly_participants')
    op.drop_table('activity_rollups')
    op.drop_table('org_daily_points')
