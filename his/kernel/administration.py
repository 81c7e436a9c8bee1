"""Audited administration use cases, shared by the JSON API, the admin pages and the `his` command.

Each runs in one transaction: the change and its audit record commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from his.kernel.audit.service import AuditActor, AuditEntry
from his.kernel.auth import service as auth
from his.kernel.auth.models import ApiToken, User
from his.kernel.errors import InvalidInput, NotFound
from his.kernel.hospital import HospitalInfo, update_hospital
from his.kernel.runtime import Kernel


@dataclass(frozen=True, slots=True)
class UserView:
    username: str
    full_name: str
    roles: list[str]
    is_active: bool
    locked: bool
    staff_code: str | None


@dataclass(frozen=True, slots=True)
class TokenView:
    id: int
    name: str
    username: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked: bool


def user_view(user: User, roles: list[str], now: datetime) -> UserView:
    locked = user.locked_until is not None and user.locked_until > now
    return UserView(user.username, user.full_name, roles, user.is_active, locked, user.staff_code)


def token_view(token: ApiToken, username: str) -> TokenView:
    return TokenView(
        id=token.id,
        name=token.name,
        username=username,
        prefix=token.prefix,
        scopes=token.scopes.split(),
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked=token.revoked_at is not None,
    )


async def create_user(
    kernel: Kernel,
    actor: AuditActor,
    *,
    username: str,
    full_name: str,
    password: str,
    roles: list[str],
    staff_code: str | None = None,
) -> UserView:
    async with kernel.db.transaction() as session:
        user = await auth.create_user(
            session,
            kernel.hasher,
            kernel.clock,
            kernel.settings.security,
            username=username,
            full_name=full_name,
            password=password,
            roles=roles,
            staff_code=(staff_code or "").strip() or None,
        )
        await kernel.audit(
            actor,
            AuditEntry(action="user.create", object_type="user", object_id=user.username, detail=",".join(roles)),
            session,
        )
        return user_view(user, sorted(roles), kernel.clock.now())


async def update_user(
    kernel: Kernel,
    actor: AuditActor,
    username: str,
    *,
    full_name: str | None = None,
    roles: list[str] | None = None,
    active: bool | None = None,
) -> UserView:
    async with kernel.db.transaction() as session:
        user = await auth.get_user(session, username)
        changes: list[str] = []
        if full_name is not None:
            if not full_name.strip():
                raise InvalidInput("The full name is required", field="full_name")
            if full_name.strip() != user.full_name:
                user.full_name = full_name.strip()
                changes.append("full_name")
        if roles is not None:
            await auth.set_user_roles(session, user, roles)
            changes.append("roles=" + ",".join(sorted(roles)))
        if active is not None:
            if not active and user.id == actor.user_id:
                raise InvalidInput("You cannot disable your own account", field="active")
            await auth.set_user_active(session, kernel.clock, user, active)
            changes.append(f"active={active}")
        await kernel.audit(
            actor,
            AuditEntry(action="user.update", object_type="user", object_id=user.username, detail="; ".join(changes)),
            session,
        )
        return user_view(user, await auth.user_roles(session, user.id), kernel.clock.now())


async def reset_password(kernel: Kernel, actor: AuditActor, username: str, password: str) -> None:
    async with kernel.db.transaction() as session:
        user = await auth.get_user(session, username)
        await auth.reset_password(session, kernel.hasher, kernel.clock, kernel.settings.security, user, password)
        await kernel.audit(
            actor, AuditEntry(action="user.reset_password", object_type="user", object_id=user.username), session
        )


async def set_role_permissions(kernel: Kernel, actor: AuditActor, role: str, permissions: set[str]) -> None:
    async with kernel.db.transaction() as session:
        await auth.set_role_permissions(session, kernel.registry, role, permissions)
        await kernel.audit(
            actor,
            AuditEntry(action="role.update", object_type="role", object_id=role, detail=",".join(sorted(permissions))),
            session,
        )


async def issue_token(
    kernel: Kernel, actor: AuditActor, *, owner: str, name: str, scopes: list[str], valid_days: int | None
) -> tuple[TokenView, str]:
    """Returns the token and its secret, which is shown once and never stored."""
    async with kernel.db.transaction() as session:
        try:
            user = await auth.get_user(session, owner)
        except NotFound as missing:
            raise InvalidInput(missing.message, field="username", **missing.params) from missing
        token, secret = await auth.issue_api_token(
            session, kernel.clock, kernel.registry, user=user, name=name, scopes=scopes, valid_days=valid_days
        )
        await kernel.audit(
            actor,
            AuditEntry(action="token.issue", object_type="api_token", object_id=str(token.id), detail=token.scopes),
            session,
        )
        return token_view(token, user.username), secret


async def revoke_token(kernel: Kernel, actor: AuditActor, token_id: int) -> None:
    async with kernel.db.transaction() as session:
        await auth.revoke_api_token(session, kernel.clock, token_id)
        await kernel.audit(
            actor, AuditEntry(action="token.revoke", object_type="api_token", object_id=str(token_id)), session
        )


async def configure_hospital(
    kernel: Kernel,
    actor: AuditActor,
    *,
    name: str,
    facility_code: str,
    address: str,
    phone: str,
    logo: tuple[bytes, str] | None = None,
    head_insurance_number: str | None = None,
) -> HospitalInfo:
    async with kernel.db.transaction() as session:
        info = await update_hospital(
            session,
            kernel.clock,
            kernel.settings.hospital,
            name=name,
            facility_code=facility_code,
            address=address,
            phone=phone,
            logo=logo,
            head_insurance_number=head_insurance_number,
        )
        detail = f"{info.name}; {info.facility_code}; MA_TTDV {info.head_insurance_number or '-'}" + (
            "; logo" if logo else ""
        )
        await kernel.audit(
            actor, AuditEntry(action="config.update", object_type="hospital", object_id="1", detail=detail), session
        )
        return info
