"""campaigns, open-day events and check-ins

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 12:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'campaigns',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=True),
        sa.Column('region', sa.String(length=32), nullable=True),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('description', sa.String(length=4000), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('multiplier', sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column('activity_multipliers', sa.JSON(), nullable=False),
        sa.Column('goal_co2e_g', sa.BigInteger(), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('(org_id IS NULL) <> (region IS NULL)',
                           name=op.f('ck_campaigns_one_scope')),
        sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_campaigns_ends_after_start')),
        sa.CheckConstraint('multiplier >= 1 AND multiplier <= 5',
                           name=op.f('ck_campaigns_multiplier_in_range')),
        sa.CheckConstraint('goal_co2e_g IS NULL OR goal_co2e_g >= 0',
                           name=op.f('ck_campaigns_goal_non_negative')),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'],
                                name=op.f('fk_campaigns_created_by_users')),
        sa.ForeignKeyConstraint(['org_id'], ['organisations.id'],
                                name=op.f('fk_campaigns_org_id_organisations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    )
    op.create_index('ix_campaigns_org_id_starts_at', 'campaigns', ['org_id', 'starts_at'])
    op.create_index('ix_campaigns_region_starts_at', 'campaigns', ['region', 'starts_at'])
    op.create_table(
        'campaign_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('max_checkins', sa.Integer(), nullable=False),
        sa.Column('checkins', sa.Integer(), nullable=False),
        sa.Column('checkin_code', sa.String(length=16), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('ends_at > starts_at',
                           name=op.f('ck_campaign_events_ends_after_start')),
        sa.CheckConstraint('points >= 0', name=op.f('ck_campaign_events_points_non_negative')),
        sa.CheckConstraint('max_checkins >= 1',
                           name=op.f('ck_campaign_events_max_checkins_positive')),
        sa.CheckConstraint('checkins >= 0 AND checkins <= max_checkins',
                           name=op.f('ck_campaign_events_checkins_within_max')),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_campaign_events_campaign_id_campaigns')),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'],
                                name=op.f('fk_campaign_events_created_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_events')),
        sa.UniqueConstraint('checkin_code', name=op.f('uq_campaign_events_checkin_code')),
    )
    op.create_index(op.f('ix_campaign_events_campaign_id'), 'campaign_events', ['campaign_id'])
    op.create_table(
        'campaign_checkins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=True),
        sa.Column('team_id', sa.Integer(), nullable=True),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['campaign_events.id'],
                                name=op.f('fk_campaign_checkins_event_id_campaign_events')),
        sa.ForeignKeyConstraint(['org_id'], ['organisations.id'],
                                name=op.f('fk_campaign_checkins_org_id_organisations')),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'],
                                name=op.f('fk_campaign_checkins_team_id_teams')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_campaign_checkins_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_checkins')),
        sa.UniqueConstraint('event_id', 'user_id',
                            name=op.f('uq_campaign_checkins_event_id_user_id')),
    )
    op.create_index(op.f('ix_campaign_checkins_user_id'), 'campaign_checkins', ['user_id'])


def downgrade():
    op.drop_index(op.f('ix_campaign_checkins_user_id'), table_name='campaign_checkins')
    op.drop_table('campaign_checkins')
    op.drop_index(op.f('ix_campaign_events_campaign_id'), table_name='campaign_events')
    op.drop_table('campaign_events')
    op.drop_index('ix_campaigns_region_starts_at', table_name='campaigns')
    op.drop_index('ix_campaigns_org_id_starts_at', table_name='campaigns')
    op.drop_table('campaigns')
