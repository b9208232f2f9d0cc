"""console sign-in sessions, one row per signed-in browser

Revision ID: 0012
Revises: 0013
Create Date: 2026-12-04 17:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'console_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ip', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_console_sessions_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_console_sessions')),
        sa.UniqueConstraint('key_hash', name=op.f('uq_console_sessions_key_hash')),
    )
    op.create_index('ix_console_sessions_user_id_revoked_at', 'console_sessions',
                    ['user_id', 'revoked_at'])


def downgrade():
    op.drop_index('ix_console_sessions_user_id_revoked_at', table_name='console_sessions')
    op.drop_table('console_sessions')
