"""points per day of a behaviour, event approval, pickup-code failures

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 17:00:00

Activities keep their points before the campaign multiplier (`base_points`); the usage
row of a (person, behaviour, day) adds those points up, so only the day's
first entry earns the minimum. Organisations get the points above which an open day
needs an admin's approval; events record that approval; redemptions count wrong
pickup codes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('activities') as batch:
        batch.add_column(sa.Column('base_points', sa.Integer(), nullable=False,
                                   server_default='0'))
        batch.create_check_constraint(op.f('ck_activities_base_points_non_negative'), 'base_points >= 0')
    with op.batch_alter_table('activity_daily_usage') as batch:
        batch.add_column(sa.Column('base_points', sa.Integer(), nullable=False,
                                   server_default='0'))
        batch.create_check_constraint(op.f('ck_activity_daily_usage_base_points_non_negative'), 'base_points >= 0')
    # Existing entries: their points stand for their base points (a multiplier only ever
    # raised them, so the days' totals err on the side of earning less afterwards).
    op.execute("UPDATE activities SET base_points = points")
    op.execute(
        "UPDATE activity_daily_usage SET "
        "base_points = (SELECT coalesce(sum(a.base_points), 0) FROM activities a "
        + _same_day() + ")")
    with op.batch_alter_table('organisations') as batch:
        batch.add_column(sa.Column('event_approval_points', sa.Integer(), nullable=False,
                                   server_default='50'))
        batch.create_check_constraint(op.f('ck_organisations_event_approval_non_negative'),
                                      'event_approval_points >= 0')
    with op.batch_alter_table('campaign_events') as batch:
        batch.add_column(sa.Column('requires_approval', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('approved_by', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_campaign_events_approved_by_users'), 'users',
                                 ['approved_by'], ['id'])
    with op.batch_alter_table('redemptions') as batch:
        batch.add_column(sa.Column('failed_pickup_attempts', sa.Integer(), nullable=False,
                                   server_default='0'))
        batch.create_check_constraint(op.f('ck_redemptions_failed_pickup_non_negative'),
                                      'failed_pickup_attempts >= 0')


def _same_day():
    return ("WHERE a.user_id = activity_daily_usage.user_id "
            "AND a.type = activity_daily_usage.type "
            "AND a.local_date = activity_daily_usage.day "
            "AND a.status = 'accepted' AND a.credited_quantity > 0")


def downgrade():
    with op.batch_alter_table('redemptions') as batch:
        batch.drop_constraint(op.f('ck_redemptions_failed_pickup_non_negative'), type_='check')
        batch.drop_column('failed_pickup_attempts')
    with op.batch_alter_table('campaign_events') as batch:
        batch.drop_constraint(op.f('fk_campaign_events_approved_by_users'), type_='foreignkey')
        batch.drop_column('approved_by')
        batch.drop_column('approved_at')
        batch.drop_column('requires_approval')
    with op.batch_alter_table('organisations') as batch:
        batch.drop_constraint(op.f('ck_organisations_event_approval_non_negative'), type_='check')
        batch.drop_column('event_approval_points')
    with op.batch_alter_table('activity_daily_usage') as batch:
        batch.drop_constraint(op.f('ck_activity_daily_usage_base_points_non_negative'), type_='check')
        batch.drop_column('base_points')
    with op.batch_alter_table('activities') as batch:
        batch.drop_constraint(op.f('ck_activities_base_points_non_negative'), type_='check')
        batch.drop_column('base_points')
