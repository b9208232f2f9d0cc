"""machine clients and regional data sharing: api keys, exchange partners, peer documents

Revision ID: 0017
Revises: 0011
Create Date: 2026-12-04 18:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=16), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=True),
        sa.Column('region', sa.String(length=32), nullable=True),
        sa.Column('scopes', sa.JSON(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('(org_id IS NULL) <> (region IS NULL)',
                           name=op.f('ck_api_keys_org_or_region')),
        sa.ForeignKeyConstraint(['org_id'], ['organisations.id'],
                                name=op.f('fk_api_keys_org_id_organisations')),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'],
                                name=op.f('fk_api_keys_created_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
        sa.UniqueConstraint('public_id', name=op.f('uq_api_keys_public_id')),
    )
    op.create_index(op.f('ix_api_keys_org_id'), 'api_keys', ['org_id'])
    op.create_index(op.f('ix_api_keys_region'), 'api_keys', ['region'])
    op.create_table(
        'exchange_partners',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('region', sa.String(length=32), nullable=False),
        sa.Column('public_key', sa.String(length=64), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'],
                                name=op.f('fk_exchange_partners_created_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_partners')),
        sa.UniqueConstraint('region', name=op.f('uq_exchange_partners_region')),
    )
    op.create_table(
        'peer_documents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=False),
        sa.Column('region', sa.String(length=32), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=200), nullable=False),
        sa.Column('generated_at', sa.String(length=40), nullable=False),
        sa.Column('document', sa.JSON(), nullable=False),
        sa.Column('imported_by', sa.Integer(), nullable=True),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['partner_id'], ['exchange_partners.id'],
                                name=op.f('fk_peer_documents_partner_id_exchange_partners')),
        sa.ForeignKeyConstraint(['imported_by'], ['users.id'],
                                name=op.f('fk_peer_documents_imported_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_peer_documents')),
        sa.UniqueConstraint('region', 'year', name=op.f('uq_peer_documents_region_year')),
    )
    op.create_index(op.f('ix_peer_documents_partner_id'), 'peer_documents', ['partner_id'])
    op.create_table(
        'meter_readings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('meter_id', sa.String(length=64), nullable=False),
        sa.Column('carrier', sa.String(length=32), nullable=False),
        sa.Column('unit', sa.String(length=16), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('register_value', sa.String(length=40), nullable=True),
        sa.Column('register_milli', sa.BigInteger(), nullable=True),
        sa.Column('interval_quantity', sa.String(length=40), nullable=True),
        sa.Column('consumed_milli', sa.BigInteger(), nullable=False),
        sa.Column('booked', sa.JSON(), nullable=False),
        sa.Column('flags', sa.JSON(), nullable=False),
        sa.Column('api_key_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('consumed_milli >= 0',
                           name=op.f('ck_meter_readings_consumed_non_negative')),
        sa.ForeignKeyConstraint(['org_id'], ['organisations.id'],
                                name=op.f('fk_meter_readings_org_id_organisations')),
        sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'],
                                name=op.f('fk_meter_readings_api_key_id_api_keys')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meter_readings')),
        sa.UniqueConstraint('org_id', 'meter_id', 'read_at',
                            name=op.f('uq_meter_readings_org_id_meter_id_read_at')),
    )
    op.add_column('energy_readings', sa.Column('source', sa.String(length=16), nullable=False,
                                               server_default='manual'))


def downgrade():
    with op.batch_alter_table('energy_readings') as batch:
        batch.drop_column('source')
    op.drop_table('meter_readings')
    op.drop_table('peer_documents')
    op.drop_table('exchange_partners')
    op.drop_table('api_keys')
