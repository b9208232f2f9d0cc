"""points policy per organisation, monthly earnings, job leases, activity reviews

Revision ID: 0014
Revises: 0008
Create Date: 2026-12-04 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('points_policies',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('grams_per_point', sa.Integer(), nullable=False),
    sa.Column('monthly_earn_cap', sa.Integer(), nullable=True),
    sa.Column('expiry_months', sa.Integer(), nullable=True),
    sa.Column('point_value_e4', sa.Integer(), nullable=False),
    sa.Column('annual_budget_fen', sa.BigInteger(), nullable=True),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('grams_per_point > 0', name=op.f('ck_points_policies_grams_per_point_positive')),
    sa.CheckConstraint('monthly_earn_cap IS NULL OR monthly_earn_cap >= 0', name=op.f('ck_points_policies_monthly_earn_cap_non_negative')),
    sa.CheckConstraint('expiry_months IS NULL OR (expiry_months BETWEEN 1 AND 120)', name=op.f('ck_points_policies_expiry_months_range')),
    sa.CheckConstraint('point_value_e4 > 0', name=op.f('ck_points_policies_point_value_positive')),
    sa.CheckConstraint('annual_budget_fen IS NULL OR annual_budget_fen > 0', name=op.f('ck_points_policies_annual_budget_positive')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_points_policies_org_id_organisations')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_points_policies_updated_by_users')),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_points_policies'))
    )
    op.create_table('points_monthly_earnings',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.CheckConstraint('points >= 0', name=op.f('ck_points_monthly_earnings_points_non_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_points_monthly_earnings_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'month', name=op.f('pk_points_monthly_earnings'))
    )
    op.create_table('job_leases',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=False),
    sa.Column('next_run_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_leases'))
    )
    op.create_table('activity_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('shortfall_points', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open','accepted','voided')", name=op.f('ck_activity_reviews_status_known')),
    sa.CheckConstraint("rule IN ('outlier_quantity','cap_streak','long_trips')", name=op.f('ck_activity_reviews_rule_known')),
    sa.CheckConstraint('shortfall_points >= 0', name=op.f('ck_activity_reviews_shortfall_non_negative')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_activity_reviews_org_id_organisations')),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_reviews_activity_id_activities')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_activity_reviews_user_id_users')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_activity_reviews_decided_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_reviews')),
    sa.UniqueConstraint('activity_id', name=op.f('uq_activity_reviews_activity_id'))
    )
    op.create_index('ix_activity_reviews_org_id_status_id', 'activity_reviews', ['org_id', 'status', 'id'], unique=False)
    # Plain ADD COLUMN on both engines (no table rebuild of the activities on SQLite).
    op.add_column('activities', sa.Column('grams_per_point', sa.Integer(), nullable=True))
    op.add_column('activities', sa.Column('points_capped', sa.Boolean(), nullable=False,
                                          server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_column('points_capped')
        batch_op.drop_column('grams_per_point')
    op.drop_index('ix_activity_reviews_org_id_status_id', table_name='activity_reviews')
    op.drop_table('activity_reviews')
    op.drop_table('job_leases')
    op.drop_table('points_monthly_earnings')
    op.drop_table('points_policies')
