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
    pass


def downgrade():
    pass
