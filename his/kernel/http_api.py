"""Kernel JSON API under /api/v1: sign-in, users, roles, API tokens, audit history, hospital configuration."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Request, Response, Router, delete, get, patch, post, put
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import select

from his.kernel import administration
from his.kernel.audit.service import AuditEntry, AuditFilter, search_audit
from his.kernel.auth import service as auth
from his.kernel.auth.models import User
from his.kernel.hospital import get_hospital
from his.kernel.login import perform_login
from his.kernel.runtime import Kernel
from his.kernel.schemas import (
    AuditOut,
    HospitalIn,
    HospitalOut,
    LoginIn,
    MeOut,
    Page,
    PasswordIn,
    PermissionOut,
    RoleIn,
    RoleOut,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from his.kernel.web.context import context_of
from his.kernel.web.guard import AUTHENTICATED, public, requires
from his.kernel.web.middleware import SESSION_COOKIE

MAX_PAGE = 200


def _kernel(request: Request[Any, Any, Any]) -> Kernel:
    kernel: Kernel = request.app.state["kernel"]
    return kernel


def session_cookie(kernel: Kernel, value: str, *, expire: bool = False) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value="" if expire else value,
        httponly=True,
        samesite="strict",
        secure=kernel.settings.security.cookie_secure,
        path="/",
        max_age=0 if expire else kernel.settings.security.session_absolute_hours * 3600,
    )


@post("/auth/login", opt=public(), status_code=200, summary="Sign in; sets the session cookie")
async def api_login(request: Request[Any, Any, Any], data: JSONBody[LoginIn]) -> Response[MeOut]:
    kernel = _kernel(request)
    ctx = context_of(request)
    result = await perform_login(kernel, ctx, data.username, data.password)
    assert result.session_token is not None
    async with kernel.db.transaction() as session:
        actor = await auth.resolve_session(session, kernel.clock, kernel.settings.security, result.session_token)
    assert actor is not None
    me = MeOut(actor.username, actor.full_name, list(actor.roles), sorted(actor.permissions), result.csrf_token)
    return Response(me, cookies=[session_cookie(kernel, result.session_token)])


@post("/auth/logout", opt=requires(AUTHENTICATED), status_code=200)
async def api_logout(
    request: Request[Any, Any, Any], all_sessions: FromQuery[bool] = False
) -> Response[dict[str, int]]:
    kernel = _kernel(request)
    ctx = context_of(request)
    actor = ctx.require_actor()
    async with kernel.db.transaction() as session:
        if all_sessions:
            closed = await auth.revoke_all_sessions(session, kernel.clock, actor.user_id)
        else:
            closed = 0
            if actor.session_id is not None:
                await auth.logout(session, kernel.clock, actor.session_id)
                closed = 1
        await kernel.audit(
            ctx.audit_actor(),
            AuditEntry(action="auth.logout_all" if all_sessions else "auth.logout"),
            session,
        )
    return Response({"sessions_closed": closed}, cookies=[session_cookie(kernel, "", expire=True)])


@get("/auth/me", opt=requires(AUTHENTICATED))
async def api_me(request: Request[Any, Any, Any]) -> MeOut:
    actor = context_of(request).require_actor()
    return MeOut(actor.username, actor.full_name, list(actor.roles), sorted(actor.permissions), actor.csrf_token)


def _user_out(view: administration.UserView) -> UserOut:
    return UserOut(view.username, view.full_name, view.roles, view.is_active, view.locked, view.staff_code)


@get("/users", opt=requires("admin.users"))
async def api_list_users(request: Request[Any, Any, Any]) -> list[UserOut]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        users = await auth.list_users(session)
    now = kernel.clock.now()
    return [_user_out(administration.user_view(u, roles, now)) for u, roles in users]


@post("/users", opt=requires("admin.users"), status_code=201)
async def api_create_user(request: Request[Any, Any, Any], data: JSONBody[UserIn]) -> UserOut:
    view = await administration.create_user(
        _kernel(request),
        context_of(request).audit_actor(),
        username=data.username,
        full_name=data.full_name,
        password=data.password,
        roles=data.roles,
        staff_code=data.staff_code,
    )
    return _user_out(view)


@patch("/users/{username:str}", opt=requires("admin.users"))
async def api_update_user(
    request: Request[Any, Any, Any], username: FromPath[str], data: JSONBody[UserPatch]
) -> UserOut:
    view = await administration.update_user(
        _kernel(request),
        context_of(request).audit_actor(),
        username,
        full_name=data.full_name,
        roles=data.roles,
        active=data.is_active,
    )
    return _user_out(view)


@post("/users/{username:str}/password", opt=requires("admin.users"), status_code=200)
async def api_reset_password(
    request: Request[Any, Any, Any], username: FromPath[str], data: JSONBody[PasswordIn]
) -> dict[str, str]:
    await administration.reset_password(_kernel(request), context_of(request).audit_actor(), username, data.password)
    return {"status": "ok"}


@get("/permissions", opt=requires("admin.roles"))
async def api_permissions(request: Request[Any, Any, Any]) -> list[PermissionOut]:
    kernel = _kernel(request)
    locale = context_of(request).locale
    return [
        PermissionOut(code, kernel.translator.gettext(locale, d.description))
        for code, d in sorted(kernel.registry.permissions.items())
    ]


@get("/roles", opt=requires("admin.roles"))
async def api_roles(request: Request[Any, Any, Any]) -> list[RoleOut]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        grants = await auth.role_permissions(session)
    return [RoleOut(code, sorted(perms)) for code, perms in grants.items()]


@put("/roles/{code:str}", opt=requires("admin.roles"))
async def api_set_role(request: Request[Any, Any, Any], code: FromPath[str], data: JSONBody[RoleIn]) -> RoleOut:
    permissions = set(data.permissions)
    await administration.set_role_permissions(_kernel(request), context_of(request).audit_actor(), code, permissions)
    return RoleOut(code, sorted(permissions))


def _token_out(view: administration.TokenView, secret: str | None = None) -> TokenOut:
    return TokenOut(
        id=view.id,
        name=view.name,
        username=view.username,
        prefix=view.prefix,
        scopes=view.scopes,
        created_at=view.created_at,
        expires_at=view.expires_at,
        revoked=view.revoked,
        secret=secret,
    )


@get("/tokens", opt=requires("admin.tokens"))
async def api_list_tokens(request: Request[Any, Any, Any]) -> list[TokenOut]:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        tokens = await auth.list_api_tokens(session)
    return [_token_out(administration.token_view(t, u)) for t, u in tokens]


@post(
    "/tokens",
    opt=requires("admin.tokens"),
    status_code=201,
    summary="Issue an API token; the secret is shown once",
)
async def api_issue_token(request: Request[Any, Any, Any], data: JSONBody[TokenIn]) -> TokenOut:
    ctx = context_of(request)
    view, secret = await administration.issue_token(
        _kernel(request),
        ctx.audit_actor(),
        owner=data.username or ctx.require_actor().username,
        name=data.name,
        scopes=data.scopes,
        valid_days=data.valid_days,
    )
    return _token_out(view, secret)


@delete("/tokens/{token_id:int}", opt=requires("admin.tokens"), status_code=204)
async def api_revoke_token(request: Request[Any, Any, Any], token_id: FromPath[int]) -> None:
    await administration.revoke_token(_kernel(request), context_of(request).audit_actor(), token_id)


def parse_audit_filter(
    username: str | None,
    patient_id: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
) -> AuditFilter:
    return AuditFilter(
        username=username or None,
        patient_id=patient_id or None,
        action=action or None,
        since=since,
        until=until,
    )


@get("/audit", opt=requires("audit.read"))
async def api_audit(
    request: Request[Any, Any, Any],
    username: FromQuery[str | None] = None,
    patient_id: FromQuery[str | None] = None,
    action: FromQuery[str | None] = None,
    since: FromQuery[datetime | None] = None,
    until: FromQuery[datetime | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, QueryParameter(ge=0)] = 0,
) -> Page[AuditOut]:
    kernel = _kernel(request)
    ctx = context_of(request)
    flt = parse_audit_filter(username, patient_id, action, since, until)
    async with kernel.db.transaction() as session:
        rows, total = await search_audit(session, flt, limit=limit, offset=offset)
        await kernel.audit(
            ctx.audit_actor(), AuditEntry(action="audit.read", detail=describe_audit_filter(flt)), session
        )
    items = [
        AuditOut(
            r.id,
            r.at,
            r.username,
            r.role,
            r.action,
            r.object_type,
            r.object_id,
            r.patient_id,
            r.client_ip,
            r.request_id,
            r.outcome,
            r.detail,
        )
        for r in rows
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)


def describe_audit_filter(flt: AuditFilter) -> str:
    parts = [f"{k}={v}" for k, v in vars(flt).items() if v] if hasattr(flt, "__dict__") else []
    if not parts:
        parts = [f"{name}={getattr(flt, name)}" for name in flt.__slots__ if getattr(flt, name)]  # type: ignore[attr-defined]
    return "; ".join(parts)[:500]


@get("/config/hospital", opt=requires(AUTHENTICATED))
async def api_get_hospital(request: Request[Any, Any, Any]) -> HospitalOut:
    kernel = _kernel(request)
    async with kernel.db.transaction() as session:
        info = await get_hospital(session, kernel.settings.hospital)
    return HospitalOut(
        info.name, info.facility_code, info.address, info.phone, info.has_logo, info.head_insurance_number
    )


@put("/config/hospital", opt=requires("admin.config"))
async def api_put_hospital(request: Request[Any, Any, Any], data: JSONBody[HospitalIn]) -> HospitalOut:
    info = await administration.configure_hospital(
        _kernel(request),
        context_of(request).audit_actor(),
        name=data.name,
        facility_code=data.facility_code,
        address=data.address,
        phone=data.phone,
        head_insurance_number=data.head_insurance_number,
    )
    return HospitalOut(
        info.name, info.facility_code, info.address, info.phone, info.has_logo, info.head_insurance_number
    )


async def user_exists(kernel: Kernel, username: str) -> bool:
    async with kernel.db.transaction() as session:
        return await session.scalar(select(User.id).where(User.username == username)) is not None


def api_router() -> Router:
    return Router(
        path="/api/v1",
        route_handlers=[
            api_login,
            api_logout,
            api_me,
            api_list_users,
            api_create_user,
            api_update_user,
            api_reset_password,
            api_permissions,
            api_roles,
            api_set_role,
            api_list_tokens,
            api_issue_token,
            api_revoke_token,
            api_audit,
            api_get_hospital,
            api_put_hospital,
        ],
        tags=["kernel"],
    )
