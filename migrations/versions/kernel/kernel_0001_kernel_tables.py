"""kernel tables

Revision ID: kernel_0001
Revises:
Create Date: 2026-11-22 16:13:37.516599
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import his.kernel.db

revision: str = "kernel_0001"
down_revision: str | None = None
branch_labels: Sequence[str] | None = ("kernel",)
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kernel_audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", his.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=64), nullable=True),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("patient_id", sa.String(length=64), nullable=True),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kernel_audit")),
    )
    with op.batch_alter_table("kernel_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kernel_audit_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_kernel_audit_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_kernel_audit_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_kernel_audit_user_id"), ["user_id"], unique=False)

    op.create_table(
        "kernel_hospital",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("facility_code", sa.String(length=5), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_type", sa.String(length=40), nullable=True),
        sa.Column("updated_at", his.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kernel_hospital")),
    )
    op.create_table(
        "kernel_known_permission",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_kernel_known_permission")),
    )
    op.create_table(
        "kernel_rate_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kernel_rate_counter")),
        sa.UniqueConstraint("bucket", "window_start", name=op.f("uq_kernel_rate_counter_bucket_window_start")),
    )
    op.create_table(
        "kernel_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kernel_role")),
        sa.UniqueConstraint("code", name=op.f("uq_kernel_role_code")),
    )
    op.create_table(
        "kernel_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", his.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("password_changed_at", his.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", his.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("staff_code", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kernel_user")),
        sa.UniqueConstraint("username", name=op.f("uq_kernel_user_username")),
    )
    op.create_table(
        "kernel_api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("created_at", his.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", his.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", his.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", his.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["kernel_user.id"],
            name=op.f("fk_kernel_api_token_user_id_kernel_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kernel_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_kernel_api_token_token_hash")),
    )
    with op.batch_alter_table("kernel_api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kernel_api_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "kernel_role_permission",
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("permission", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["kernel_role.id"],
            name=op.f("fk_kernel_role_permission_role_id_kernel_role"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("role_id", "permission", name=op.f("pk_kernel_role_permission")),
    )
    op.create_table(
        "kernel_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", his.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", his.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", his.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", his.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["kernel_user.id"],
            name=op.f("fk_kernel_session_user_id_kernel_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kernel_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_kernel_session_token_hash")),
    )
    with op.batch_alter_table("kernel_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kernel_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "kernel_user_role",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["kernel_role.id"],
            name=op.f("fk_kernel_user_role_role_id_kernel_role"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["kernel_user.id"],
            name=op.f("fk_kernel_user_role_user_id_kernel_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "role_id", name=op.f("pk_kernel_user_role")),
    )

    _make_audit_append_only()


def downgrade() -> None:
    _drop_audit_append_only()
    op.drop_table("kernel_user_role")
    with op.batch_alter_table("kernel_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kernel_session_user_id"))

    op.drop_table("kernel_session")
    op.drop_table("kernel_role_permission")
    with op.batch_alter_table("kernel_api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kernel_api_token_user_id"))

    op.drop_table("kernel_api_token")
    op.drop_table("kernel_user")
    op.drop_table("kernel_role")
    op.drop_table("kernel_rate_counter")
    op.drop_table("kernel_known_permission")
    op.drop_table("kernel_hospital")
    with op.batch_alter_table("kernel_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kernel_audit_user_id"))
        batch_op.drop_index(batch_op.f("ix_kernel_audit_patient_id"))
        batch_op.drop_index(batch_op.f("ix_kernel_audit_at"))
        batch_op.drop_index(batch_op.f("ix_kernel_audit_action"))

    op.drop_table("kernel_audit")


# The audit table refuses UPDATE and DELETE inside the database itself (criterion 115): the application's
# own account cannot rewrite history; changing it needs a deliberate DDL step, which the hash chain then exposes.
def _make_audit_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION kernel_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'kernel_audit is append-only'; END $$;
            """
        )
        op.execute(
            "CREATE TRIGGER kernel_audit_append_only BEFORE UPDATE OR DELETE ON kernel_audit "
            "FOR EACH ROW EXECUTE FUNCTION kernel_audit_refuse_change()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER kernel_audit_no_{event.lower()} BEFORE {event} ON kernel_audit "
                "BEGIN SELECT RAISE(ABORT, 'kernel_audit is append-only'); END"
            )


def _drop_audit_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS kernel_audit_append_only ON kernel_audit")
        op.execute("DROP FUNCTION IF EXISTS kernel_audit_refuse_change()")
    else:
        op.execute("DROP TRIGGER IF EXISTS kernel_audit_no_update")
        op.execute("DROP TRIGGER IF EXISTS kernel_audit_no_delete")
