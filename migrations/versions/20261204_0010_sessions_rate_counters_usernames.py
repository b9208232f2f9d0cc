"""token versions, case-insensitive usernames, rate limit counters shared by every worker

Revision ID: 0010
Revises: 0012
Create Date: 2026-12-04 17:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_version', sa.Integer(), server_default='0',
                                      nullable=False))
    # Fails if two usernames already differ only in case: rename one first.
    op.create_index('uq_users_username_lower', 'users', [sa.text('lower(username)')],
                    unique=True)
    op.create_table(
        'rate_counters',
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('window_no', sa.Integer(), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_rate_counters')),
    )
    op.create_index(op.f('ix_rate_counters_expires_at'), 'rate_counters', ['expires_at'],
                    unique=False)


def downgrade():
    op.drop_index(op.f('ix_rate_counters_expires_at'), table_name='rate_counters')
    op.drop_table('rate_counters')
    op.drop_index('uq_users_username_lower', table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('token_version')
