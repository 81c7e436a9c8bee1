"""charge source reference

Revision ID: billing_0002
Revises: billing_0001
Create Date: 2026-11-22 17:39:45.309403
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "billing_0002"
down_revision: str | None = "billing_0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("billing_charge", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_ref", sa.String(length=80), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_billing_charge_account_id_source_ref"), ["account_id", "source_ref"]
        )


def downgrade() -> None:
    with op.batch_alter_table("billing_charge", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_billing_charge_account_id_source_ref"), type_="unique")
        batch_op.drop_column("source_ref")
