"""activities, daily usage and rollups

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 11:10:00

Activities keep every input of their carbon and points; activity_daily_usage holds
the quantity credited per person, behaviour and local day (thousandths of a unit),
the row that is locked to keep daily caps exact.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('credited_quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('factor_version', sa.String(length=32), nullable=False),
    sa.Column('per_unit_saved_g', sa.Numeric(precision=18, scale=6), nullable=False),
    sa.Column('co2e_saved_g', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('capped', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('multiplier', sa.Numeric(precision=8, scale=3), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('accepted','voided')", name=op.f('ck_activities_status_known')),
    sa.CheckConstraint('co2e_saved_g >= 0', name=op.f('ck_activities_co2e_non_negative')),
    sa.CheckConstraint('credited_quantity >= 0 AND credited_quantity <= quantity', name=op.f('ck_activities_credited_within_quantity')),
    sa.CheckConstraint('points >= 0', name=op.f('ck_activities_points_non_negative')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_activities_quantity_positive')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_activities_org_id_organisations')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_activities_team_id_teams')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_activities_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities')),
    sa.UniqueConstraint('user_id', 'client_id', name=op.f('uq_activities_user_id_client_id'))
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_org_id_local_date', ['org_id', 'local_date'], unique=False)
        batch_op.create_index('ix_activities_user_id_occurred_at_id', ['user_id', 'occurred_at', 'id'], unique=False)
        batch_op.create_index('ix_activities_campaign_id', ['campaign_id'], unique=False)

    op.create_table('activity_daily_usage',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('used_milli', sa.Integer(), nullable=False),
    sa.CheckConstraint('used_milli >= 0', name=op.f('ck_activity_daily_usage_used_non_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_activity_daily_usage_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'type', 'day', name=op.f('pk_activity_daily_usage'))
    )


def downgrade():
    op.drop_table('activity_daily_usage')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_campaign_id')
        batch_op.drop_index('ix_activities_user_id_occurred_at_id')
        batch_op.drop_index('ix_activities_org_id_local_date')

    op.drop_table('activities')
