"""drop probe_writes: the bench's commit baseline keeps its own table outside the schema

Revision ID: 0009
Revises: 0011
Create Date: 2026-12-04 17:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table('probe_writes')


def downgrade():
    op.create_table(
        'probe_writes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_probe_writes')),
    )
