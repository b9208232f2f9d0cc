"""organisations carry a campaign rules stamp: workers cache campaign rules while it matches

Revision ID: 0019
Revises: 0009
Create Date: 2026-12-04 21:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisations') as batch_op:
        batch_op.add_column(sa.Column('campaign_rules_stamp', sa.BigInteger(),
                                      server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('organisations') as batch_op:
        batch_op.drop_column('campaign_rules_stamp')
