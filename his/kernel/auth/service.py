"""Use cases of the security kernel: accounts, roles, login sessions, API tokens, rate limits."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from his.kernel.auth.models import (
    ApiToken,
    KnownPermission,
    RateCounter,
    Role,
    RolePermission,
    Session,
    User,
    UserRole,
)
from his.kernel.auth.passwords import hash_password, needs_rehash, password_policy_problems, verify_password
from his.kernel.clock import Clock
from his.kernel.errors import Conflict, InvalidInput, NotFound
from his.kernel.permissions import ROLE_CODES, PermissionRegistry
from his.settings import SecuritySettings

TOKEN_PREFIX = "his_"


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting, as every service and the audit trail see it."""

    user_id: int
    username: str
    full_name: str
    roles: tuple[str, ...]
    permissions: frozenset[str]
    session_id: int | None = None
    token_id: int | None = None
    csrf_token: str | None = None

    def can(self, permission: str) -> bool:
        return permission in self.permissions


# ---------------------------------------------------------------- roles


async def sync_roles(session: AsyncSession, registry: PermissionRegistry) -> None:
    """Creates missing roles; grants each permission seen for the first time to its default roles."""
    existing = {r.code: r for r in (await session.scalars(select(Role))).all()}
    for code in ROLE_CODES:
        if code not in existing:
            role = Role(code=code)
            session.add(role)
            existing[code] = role
    await session.flush()
    known = set((await session.scalars(select(KnownPermission.code))).all())
    for code, definition in sorted(registry.permissions.items()):
        if code in known:
            continue
        session.add(KnownPermission(code=code))
        for role_code in definition.default_roles:
            session.add(RolePermission(role_id=existing[role_code].id, permission=code))
    await session.flush()


async def role_permissions(session: AsyncSession) -> dict[str, set[str]]:
    rows = await session.execute(select(Role.code, RolePermission.permission).outerjoin(RolePermission))
    result: dict[str, set[str]] = {code: set() for code in ROLE_CODES}
    for role_code, permission in rows:
        result.setdefault(role_code, set())
        if permission:
            result[role_code].add(permission)
    return result


async def set_role_permissions(
    session: AsyncSession, registry: PermissionRegistry, role_code: str, permissions: set[str]
) -> None:
    unknown = permissions - set(registry.permissions)
    if unknown:
        raise InvalidInput("Unknown permission: {name}", field="permissions", name=", ".join(sorted(unknown)))
    role = await session.scalar(select(Role).where(Role.code == role_code))
    if role is None:
        raise NotFound("No role {code}", code=role_code)
    if role_code == "admin" and not {"admin.roles", "admin.users"} <= permissions:
        raise InvalidInput("The admin role must keep the permissions to manage users and roles", field="permissions")
    await session.execute(delete(RolePermission).where(RolePermission.role_id == role.id))
    for permission in sorted(permissions):
        session.add(RolePermission(role_id=role.id, permission=permission))
    await session.flush()


# ---------------------------------------------------------------- users


async def _role_ids(session: AsyncSession, role_codes: list[str]) -> list[int]:
    unknown = set(role_codes) - set(ROLE_CODES)
    if unknown:
        raise InvalidInput("Unknown role: {name}", field="roles", name=", ".join(sorted(unknown)))
    rows = (await session.execute(select(Role.id).where(Role.code.in_(role_codes)))).scalars().all()
    return list(rows)


async def create_user(
    session: AsyncSession,
    hasher: PasswordHasher,
    clock: Clock,
    security: SecuritySettings,
    *,
    username: str,
    full_name: str,
    password: str,
    roles: list[str],
    staff_code: str | None = None,
) -> User:
    username = username.strip().lower()
    if not username or not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
        raise InvalidInput("A user name has letters, digits, dots, dashes or underscores only", field="username")
    if not full_name.strip():
        raise InvalidInput("The full name is required", field="full_name")
    problems = password_policy_problems(password, username=username, min_length=security.min_password_length)
    if problems:
        raise InvalidInput(problems[0], field="password", min_length=security.min_password_length)
    if await session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("The user name {username} is already taken", username=username)
    role_ids = await _role_ids(session, roles)
    now = clock.now()
    user = User(
        username=username,
        full_name=full_name.strip(),
        password_hash=await asyncio.to_thread(hash_password, hasher, password),
        is_active=True,
        failed_logins=0,
        password_changed_at=now,
        created_at=now,
        staff_code=staff_code,
    )
    session.add(user)
    await session.flush()
    for role_id in role_ids:
        session.add(UserRole(user_id=user.id, role_id=role_id))
    await session.flush()
    return user


async def get_user(session: AsyncSession, username: str) -> User:
    user = await session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound("No user {username}", username=username)
    return user


async def user_roles(session: AsyncSession, user_id: int) -> list[str]:
    rows = await session.scalars(
        select(Role.code)
        .join(UserRole, UserRole.role_id == Role.id)
        .where(UserRole.user_id == user_id)
        .order_by(Role.code)
    )
    return list(rows.all())


async def set_user_roles(session: AsyncSession, user: User, roles: list[str]) -> None:
    role_ids = await _role_ids(session, roles)
    await session.execute(delete(UserRole).where(UserRole.user_id == user.id))
    for role_id in role_ids:
        session.add(UserRole(user_id=user.id, role_id=role_id))
    await session.flush()


async def set_user_active(session: AsyncSession, clock: Clock, user: User, active: bool) -> None:
    user.is_active = active
    if not active:
        await revoke_all_sessions(session, clock, user.id)
    await session.flush()


async def reset_password(
    session: AsyncSession,
    hasher: PasswordHasher,
    clock: Clock,
    security: SecuritySettings,
    user: User,
    password: str,
) -> None:
    problems = password_policy_problems(password, username=user.username, min_length=security.min_password_length)
    if problems:
        raise InvalidInput(problems[0], field="password", min_length=security.min_password_length)
    user.password_hash = await asyncio.to_thread(hash_password, hasher, password)
    user.password_changed_at = clock.now()
    user.failed_logins = 0
    user.locked_until = None
    await revoke_all_sessions(session, clock, user.id)
    await session.flush()


async def list_users(session: AsyncSession) -> list[tuple[User, list[str]]]:
    users = (await session.scalars(select(User).order_by(User.username))).all()
    rows = await session.execute(select(UserRole.user_id, Role.code).join(Role, Role.id == UserRole.role_id))
    by_user: dict[int, list[str]] = {}
    for user_id, code in rows:
        by_user.setdefault(user_id, []).append(code)
    return [(u, sorted(by_user.get(u.id, []))) for u in users]


async def _actor_for(session: AsyncSession, user: User, **extra: object) -> Actor:
    roles = await user_roles(session, user.id)
    permissions = (
        await session.scalars(
            select(RolePermission.permission).join(Role, Role.id == RolePermission.role_id).where(Role.code.in_(roles))
        )
    ).all()
    return Actor(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        roles=tuple(roles),
        permissions=frozenset(permissions),
        **extra,  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------- login and sessions


@dataclass(frozen=True, slots=True)
class LoginResult:
    outcome: str  # "ok", "bad_credentials", "locked", "disabled"
    user_id: int | None = None
    session_token: str | None = None
    csrf_token: str | None = None


async def login(
    session: AsyncSession,
    hasher: PasswordHasher,
    clock: Clock,
    security: SecuritySettings,
    *,
    username: str,
    password: str,
    client_ip: str | None,
    user_agent: str | None,
) -> LoginResult:
    now = clock.now()
    user = await session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        # Spend the same time as a real check so that timing does not reveal which names exist.
        await asyncio.to_thread(verify_password, hasher, _DUMMY_HASH.get(hasher), password)
        return LoginResult("bad_credentials")
    if user.locked_until is not None and user.locked_until > now:
        return LoginResult("locked", user.id)
    # argon2 takes tens of milliseconds of CPU: off the event loop, so other requests keep flowing.
    if not await asyncio.to_thread(verify_password, hasher, user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= security.lockout_threshold:
            user.locked_until = now + timedelta(minutes=security.lockout_minutes)
            user.failed_logins = 0
            await session.flush()
            return LoginResult("locked", user.id)
        await session.flush()
        return LoginResult("bad_credentials", user.id)
    if not user.is_active:
        return LoginResult("disabled", user.id)
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(hasher, user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, hasher, password)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        Session(
            token_hash=sha256_hex(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=security.session_absolute_hours),
            client_ip=client_ip,
            user_agent=(user_agent or "")[:300],
        )
    )
    await session.flush()
    return LoginResult("ok", user.id, token, csrf)


class _DummyHash:
    """One hash of a random password per hasher, made lazily (no work at import)."""

    def __init__(self) -> None:
        self._value: str | None = None

    def get(self, hasher: PasswordHasher) -> str:
        if self._value is None:
            self._value = hasher.hash(secrets.token_hex(16))
        return self._value


_DUMMY_HASH = _DummyHash()


async def resolve_session(session: AsyncSession, clock: Clock, security: SecuritySettings, token: str) -> Actor | None:
    now = clock.now()
    row = await session.scalar(select(Session).where(Session.token_hash == sha256_hex(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if now - row.last_seen_at > timedelta(minutes=security.session_idle_minutes):
        row.revoked_at = now
        await session.flush()
        return None
    user = await session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    # Touch at most once a minute: idle timeout needs no finer grain, and it saves a write per request.
    if now - row.last_seen_at > timedelta(seconds=60):
        row.last_seen_at = now
        await session.flush()
    return await _actor_for(session, user, session_id=row.id, csrf_token=row.csrf_token)


async def logout(session: AsyncSession, clock: Clock, session_id: int) -> None:
    await session.execute(update(Session).where(Session.id == session_id).values(revoked_at=clock.now()))


async def revoke_all_sessions(session: AsyncSession, clock: Clock, user_id: int) -> int:
    result = await session.execute(
        update(Session).where(Session.user_id == user_id, Session.revoked_at.is_(None)).values(revoked_at=clock.now())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- API tokens


async def issue_api_token(
    session: AsyncSession,
    clock: Clock,
    registry: PermissionRegistry,
    *,
    user: User,
    name: str,
    scopes: list[str],
    valid_days: int | None,
) -> tuple[ApiToken, str]:
    if not name.strip():
        raise InvalidInput("The token needs a name", field="name")
    if not scopes:
        raise InvalidInput("The token needs at least one scope", field="scopes")
    unknown = set(scopes) - set(registry.permissions)
    if unknown:
        raise InvalidInput("Unknown permission: {name}", field="scopes", name=", ".join(sorted(unknown)))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    token = ApiToken(
        user_id=user.id,
        name=name.strip(),
        token_hash=sha256_hex(secret),
        prefix=secret[:12],
        scopes=" ".join(sorted(set(scopes))),
        created_at=now,
        expires_at=now + timedelta(days=valid_days) if valid_days else None,
    )
    session.add(token)
    await session.flush()
    return token, secret


async def revoke_api_token(session: AsyncSession, clock: Clock, token_id: int) -> None:
    token = await session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("No API token {id}", id=token_id)
    token.revoked_at = clock.now()
    await session.flush()


async def list_api_tokens(session: AsyncSession) -> list[tuple[ApiToken, str]]:
    rows = await session.execute(select(ApiToken, User.username).join(User).order_by(ApiToken.id))
    return [(t, u) for t, u in rows]


async def resolve_api_token(session: AsyncSession, clock: Clock, secret: str) -> Actor | None:
    now = clock.now()
    token = await session.scalar(select(ApiToken).where(ApiToken.token_hash == sha256_hex(secret)))
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    user = await session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(seconds=60):
        token.last_used_at = now
        await session.flush()
    actor = await _actor_for(session, user, token_id=token.id)
    # A token never exceeds its owner's rights: the scopes only narrow them.
    scoped = actor.permissions & frozenset(token.scopes.split())
    return Actor(
        user_id=actor.user_id,
        username=actor.username,
        full_name=actor.full_name,
        roles=actor.roles,
        permissions=scoped,
        token_id=token.id,
    )


# ---------------------------------------------------------------- rate limits


async def hit_rate_limit(
    session: AsyncSession, clock: Clock, *, bucket: str, limit: int, window_seconds: int
) -> int | None:
    """Counts one hit; returns the seconds to wait when over the limit, else None."""
    now = int(clock.now().timestamp())
    window = now - now % window_seconds
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(RateCounter)
        .values(bucket=bucket[:200], window_start=window, hits=1)
        .on_conflict_do_update(index_elements=["bucket", "window_start"], set_={"hits": RateCounter.hits + 1})
        .returning(RateCounter.hits)
    )
    hits = (await session.execute(statement)).scalar_one()
    if hits > limit:
        return window + window_seconds - now
    return None


async def prune_rate_counters(session: AsyncSession, clock: Clock, older_than_seconds: int = 3600) -> None:
    cutoff = int(clock.now().timestamp()) - older_than_seconds
    await session.execute(delete(RateCounter).where(RateCounter.window_start < cutoff))


def as_utc(value: datetime) -> str:
    return value.isoformat(timespec="seconds")
