"""institution energy ledger: profiles, carrier years, readings and their versions, reviews,
year totals

Revision ID: 0013
Revises: 0014
Create Date: 2026-12-04 17:06:48

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('energy_carrier_years',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('carrier', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('annual', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_energy_carrier_years_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_energy_carrier_years')),
    sa.UniqueConstraint('org_id', 'carrier', 'year', 'annual', name=op.f('uq_energy_carrier_years_granularity')),
    sa.UniqueConstraint('org_id', 'carrier', 'year', name=op.f('uq_energy_carrier_years_org_id_carrier_year'))
    )
    op.create_table('energy_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('building_area_m2', sa.BigInteger(), nullable=False),
    sa.Column('occupants', sa.Integer(), nullable=False),
    sa.Column('heating_area_m2', sa.BigInteger(), nullable=True),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('building_area_m2 > 0', name=op.f('ck_energy_profiles_area_positive')),
    sa.CheckConstraint('heating_area_m2 IS NULL OR heating_area_m2 > 0', name=op.f('ck_energy_profiles_heating_area_positive')),
    sa.CheckConstraint('occupants > 0', name=op.f('ck_energy_profiles_occupants_positive')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_energy_profiles_org_id_organisations')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_energy_profiles_updated_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_energy_profiles')),
    sa.UniqueConstraint('org_id', 'year', name=op.f('uq_energy_profiles_org_id_year'))
    )
    with op.batch_alter_table('energy_profiles', schema=None) as batch_op:
        batch_op.create_index('ix_energy_profiles_year_org_id', ['year', 'org_id'], unique=False)

    op.create_table('energy_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('comment', sa.String(length=1000), nullable=True),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('submitted','approved','returned')", name=op.f('ck_energy_submissions_status_known')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_energy_submissions_org_id_organisations')),
    sa.ForeignKeyConstraint(['reviewed_by'], ['users.id'], name=op.f('fk_energy_submissions_reviewed_by_users')),
    sa.ForeignKeyConstraint(['submitted_by'], ['users.id'], name=op.f('fk_energy_submissions_submitted_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_energy_submissions'))
    )
    with op.batch_alter_table('energy_submissions', schema=None) as batch_op:
        batch_op.create_index('ix_energy_submissions_org_id_year', ['org_id', 'year'], unique=False)
        batch_op.create_index('ix_energy_submissions_status_id', ['status', 'id'], unique=False)

    op.create_table('energy_readings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('carrier', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('annual', sa.Boolean(), nullable=False),
    sa.Column('quantity', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('base_quantity_milli', sa.BigInteger(), nullable=False),
    sa.Column('cost_fen', sa.BigInteger(), nullable=True),
    sa.Column('kgce_g', sa.BigInteger(), nullable=False),
    sa.Column('co2e_g', sa.BigInteger(), nullable=False),
    sa.Column('factor_version', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('restated', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('draft','submitted','approved')", name=op.f('ck_energy_readings_status_known')),
    sa.CheckConstraint('(month = 0) = annual', name=op.f('ck_energy_readings_annual_has_no_month')),
    sa.CheckConstraint('base_quantity_milli >= 0', name=op.f('ck_energy_readings_quantity_non_negative')),
    sa.CheckConstraint('cost_fen IS NULL OR cost_fen >= 0', name=op.f('ck_energy_readings_cost_non_negative')),
    sa.CheckConstraint('kgce_g >= 0 AND co2e_g >= 0', name=op.f('ck_energy_readings_grams_non_negative')),
    sa.CheckConstraint('month >= 0 AND month <= 12', name=op.f('ck_energy_readings_month_in_range')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_energy_readings_created_by_users')),
    sa.ForeignKeyConstraint(['org_id', 'carrier', 'year', 'annual'], ['energy_carrier_years.org_id', 'energy_carrier_years.carrier', 'energy_carrier_years.year', 'energy_carrier_years.annual'], name='fk_energy_readings_carrier_year'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_energy_readings_org_id_organisations')),
    sa.ForeignKeyConstraint(['submission_id'], ['energy_submissions.id'], name=op.f('fk_energy_readings_submission_id_energy_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_energy_readings')),
    sa.UniqueConstraint('org_id', 'carrier', 'year', 'month', name=op.f('uq_energy_readings_org_id_carrier_year_month'))
    )
    with op.batch_alter_table('energy_readings', schema=None) as batch_op:
        batch_op.create_index('ix_energy_readings_year_org_id', ['year', 'org_id'], unique=False)

    op.create_table('energy_reading_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reading_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('base_quantity_milli', sa.BigInteger(), nullable=False),
    sa.Column('cost_fen', sa.BigInteger(), nullable=True),
    sa.Column('kgce_g', sa.BigInteger(), nullable=False),
    sa.Column('co2e_g', sa.BigInteger(), nullable=False),
    sa.Column('factor_version', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('restatement', sa.Boolean(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_energy_reading_versions_actor_id_users')),
    sa.ForeignKeyConstraint(['reading_id'], ['energy_readings.id'], name=op.f('fk_energy_reading_versions_reading_id_energy_readings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_energy_reading_versions')),
    sa.UniqueConstraint('reading_id', 'version', name=op.f('uq_energy_reading_versions_reading_id_version'))
    )
    op.create_table('energy_year_totals',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('readings', sa.Integer(), nullable=False),
    sa.Column('kgce_g', sa.BigInteger(), nullable=False),
    sa.Column('co2e_g', sa.BigInteger(), nullable=False),
    sa.Column('water_milli', sa.BigInteger(), nullable=False),
    sa.Column('water_readings', sa.Integer(), nullable=False),
    sa.Column('restated_readings', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_energy_year_totals_org_id_organisations')),
    sa.PrimaryKeyConstraint('org_id', 'year', 'status', name=op.f('pk_energy_year_totals'))
    )
    op.create_index('ix_energy_year_totals_year_org_id', 'energy_year_totals', ['year', 'org_id'])


def downgrade():
    op.drop_index('ix_energy_year_totals_year_org_id', table_name='energy_year_totals')
    op.drop_table('energy_year_totals')
    op.drop_table('energy_reading_versions')
    with op.batch_alter_table('energy_readings', schema=None) as batch_op:
        batch_op.drop_index('ix_energy_readings_year_org_id')

    op.drop_table('energy_readings')
    with op.batch_alter_table('energy_submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_energy_submissions_status_id')
        batch_op.drop_index('ix_energy_submissions_org_id_year')

    op.drop_table('energy_submissions')
    with op.batch_alter_table('energy_profiles', schema=None) as batch_op:
        batch_op.drop_index('ix_energy_profiles_year_org_id')

    op.drop_table('energy_profiles')
    op.drop_table('energy_carrier_years')
