"""Administration pages (users, roles, tokens, hospital configuration) and the audit history page.

Thin HTML handlers over the kernel services: every change goes through his.kernel.auth.service or
his.kernel.hospital, is audited in the same transaction as the API does, and ends with a 303 redirect
carrying a notice. A refused change re-renders the form with the translated message beside its field (422).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, MultipartBody, URLEncodedBody
from litestar.response import Redirect

from his.kernel import administration
from his.kernel.administration import user_view
from his.kernel.audit.service import AuditEntry, search_audit
from his.kernel.auth import service as auth
from his.kernel.errors import Conflict, DomainError, InvalidInput, NotFound
from his.kernel.hospital import LOGO_TYPES, get_hospital
from his.kernel.http_api import describe_audit_filter, parse_audit_filter
from his.kernel.i18n import lazy
from his.kernel.permissions import ROLE_CODES, ROLE_LABELS
from his.kernel.runtime import Kernel
from his.kernel.web.context import RequestContext, context_of
from his.kernel.web.guard import requires
from his.kernel.web.render import render_fragment, render_page

AUDIT_PAGE_SIZE = 50
MAX_TOKEN_DAYS = 3650
DEFAULT_TOKEN_DAYS = 90
LOCAL_ZONE_NAME = "Asia/Ho_Chi_Minh"
AUDIT_RESULTS_ID = "audit-results"

FormData = dict[str, str | list[str]]

OUTCOME_LABELS: dict[str, str] = {
    "success": lazy("Success"),
    "denied": lazy("Denied"),
    "bad_credentials": lazy("Wrong user name or password"),
    "locked": lazy("Account locked"),
    "disabled": lazy("Account disabled"),
    "throttled": lazy("Too many attempts"),
}

# Notices after a redirect: a fixed set of keys, so that no text from the address is echoed into the page.
NOTICES: dict[str, str] = {
    "created": lazy("The user account was created."),
    "saved": lazy("The changes were saved."),
    "enabled": lazy("The account was enabled."),
    "disabled": lazy("The account was disabled and its sessions were closed."),
    "password": lazy("The password was reset, the account unlocked and its sessions closed."),
    "role": lazy("The permissions of the role were saved."),
    "revoked": lazy("The API token was revoked."),
    "hospital": lazy("The hospital configuration was saved."),
}

# Action codes offered as suggestions in the audit filter (the filter itself matches any prefix).
KNOWN_ACTIONS = (
    "auth.",
    "auth.login",
    "auth.logout",
    "access.denied",
    "audit.read",
    "config.update",
    "role.update",
    "token.issue",
    "token.revoke",
    "user.",
    "user.create",
    "user.update",
    "user.reset_password",
)


def _kernel(request: Request[Any, Any, Any]) -> Kernel:
    kernel: Kernel = request.app.state["kernel"]
    return kernel


class _Text:
    """Translates msgids into the language of one request."""

    def __init__(self, kernel: Kernel, ctx: RequestContext) -> None:
        self.kernel = kernel
        self.locale = ctx.locale

    def __call__(self, message: str, params: Mapping[str, Any] | None = None) -> str:
        return self.kernel.translator.gettext(self.locale, message, params or None)

    def error(self, err: DomainError) -> str:
        return self(err.message, err.params)


def _texts(request: Request[Any, Any, Any]) -> _Text:
    return _Text(_kernel(request), context_of(request))


def _field_of(err: DomainError, fallback: str) -> str:
    if isinstance(err, InvalidInput) and err.field:
        return err.field
    return fallback


def _one(data: Mapping[str, str | list[str]], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):
        return value[-1] if value else ""
    return value


def _many(data: Mapping[str, str | list[str]], name: str) -> list[str]:
    value = data.get(name)
    if value is None or value == "":
        return []
    return [v for v in value if v] if isinstance(value, list) else [value]


def _done(path: str, notice: str) -> Redirect:
    return Redirect(f"{path}?{urlencode({'notice': notice})}", status_code=303)


def _notice(text: _Text, key: str | None) -> str | None:
    message = NOTICES.get(key or "")
    return text(message) if message else None


def _role_options(text: _Text) -> list[tuple[str, str]]:
    return [(code, text(ROLE_LABELS.get(code, code))) for code in ROLE_CODES]


def _role_labels(text: _Text) -> dict[str, str]:
    return dict(_role_options(text))


@cache
def local_zone() -> tzinfo:
    """Viet Nam time (UTC+7, no daylight saving since 1975), also where no tz database is installed."""
    try:
        return ZoneInfo(LOCAL_ZONE_NAME)
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=7), "ICT")


def local_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M:%S")


# ---------------------------------------------------------------- users


async def _load_users(kernel: Kernel) -> list[administration.UserView]:
    async with kernel.db.transaction() as session:
        users = await auth.list_users(session)
    now = kernel.clock.now()
    return [user_view(user, roles, now) for user, roles in users]


async def _users_page(
    request: Request[Any, Any, Any],
    *,
    status_code: int = 200,
    form: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    notice: str | None = None,
) -> Response[str]:
    text = _texts(request)
    return await render_page(
        request,
        "admin/users.html",
        status_code=status_code,
        users=await _load_users(_kernel(request)),
        role_options=_role_options(text),
        role_labels=_role_labels(text),
        form=form or {"roles": []},
        errors=errors or {},
        notice=_notice(text, notice),
    )


@get("/admin/users", opt=requires("admin.users"), include_in_schema=False)
async def users_page(request: Request[Any, Any, Any], notice: FromQuery[str | None] = None) -> Response[str]:
    return await _users_page(request, notice=notice)


@post("/admin/users", opt=requires("admin.users"), include_in_schema=False)
async def users_create(request: Request[Any, Any, Any], data: URLEncodedBody[FormData]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    roles = _many(data, "roles")
    form: dict[str, Any] = {
        "username": _one(data, "username"),
        "full_name": _one(data, "full_name"),
        "staff_code": _one(data, "staff_code"),
        "roles": roles,
    }
    try:
        user = await administration.create_user(
            kernel,
            ctx.audit_actor(),
            username=form["username"],
            full_name=form["full_name"],
            password=_one(data, "password"),
            roles=roles,
            staff_code=form["staff_code"],
        )
    except DomainError as err:
        field = _field_of(err, "username" if isinstance(err, Conflict) else "form")
        return await _users_page(request, status_code=422, form=form, errors={field: _texts(request).error(err)})
    return _done(f"/admin/users/{user.username}", "created")


async def _user_page(
    request: Request[Any, Any, Any],
    username: str,
    *,
    status_code: int = 200,
    errors: Mapping[str, str] | None = None,
    notice: str | None = None,
    chosen_roles: list[str] | None = None,
) -> Response[str]:
    kernel = _kernel(request)
    text = _texts(request)
    async with kernel.db.transaction() as session:
        user = await auth.get_user(session, username)
        roles = await auth.user_roles(session, user.id)
    now = kernel.clock.now()
    locked = user.locked_until is not None and user.locked_until > now
    return await render_page(
        request,
        "admin/user.html",
        status_code=status_code,
        user=user_view(user, roles, now),
        chosen_roles=roles if chosen_roles is None else chosen_roles,
        locked_until=local_time(user.locked_until) if locked else "",
        password_changed_at=local_time(user.password_changed_at),
        created_at=local_time(user.created_at),
        role_options=_role_options(text),
        role_labels=_role_labels(text),
        is_self=context_of(request).require_actor().user_id == user.id,
        errors=errors or {},
        notice=_notice(text, notice),
        min_password_length=kernel.settings.security.min_password_length,
    )


@get("/admin/users/{username:str}", opt=requires("admin.users"), include_in_schema=False)
async def user_page(
    request: Request[Any, Any, Any], username: FromPath[str], notice: FromQuery[str | None] = None
) -> Response[str]:
    return await _user_page(request, username, notice=notice)


@post("/admin/users/{username:str}", opt=requires("admin.users"), include_in_schema=False)
async def user_update(
    request: Request[Any, Any, Any], username: FromPath[str], data: URLEncodedBody[FormData]
) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    roles = _many(data, "roles")
    full_name = _one(data, "full_name").strip()
    try:
        user = await administration.update_user(kernel, ctx.audit_actor(), username, full_name=full_name, roles=roles)
    except NotFound:
        raise
    except DomainError as err:
        field = _field_of(err, "roles")
        return await _user_page(
            request, username, status_code=422, errors={field: _texts(request).error(err)}, chosen_roles=roles
        )
    return _done(f"/admin/users/{user.username}", "saved")


@post("/admin/users/{username:str}/active", opt=requires("admin.users"), include_in_schema=False)
async def user_set_active(
    request: Request[Any, Any, Any], username: FromPath[str], data: URLEncodedBody[FormData]
) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    active = _one(data, "active") == "1"
    try:
        user = await administration.update_user(kernel, ctx.audit_actor(), username, active=active)
    except NotFound:
        raise
    except DomainError as err:
        return await _user_page(
            request, username, status_code=422, errors={_field_of(err, "active"): _texts(request).error(err)}
        )
    return _done(f"/admin/users/{user.username}", "enabled" if active else "disabled")


@post("/admin/users/{username:str}/password", opt=requires("admin.users"), include_in_schema=False)
async def user_reset_password(
    request: Request[Any, Any, Any], username: FromPath[str], data: URLEncodedBody[FormData]
) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    try:
        await administration.reset_password(kernel, ctx.audit_actor(), username, _one(data, "password"))
    except NotFound:
        raise
    except DomainError as err:
        return await _user_page(
            request,
            username,
            status_code=422,
            errors={_field_of(err, "password"): _texts(request).error(err)},
        )
    return _done(f"/admin/users/{username}", "password")


# ---------------------------------------------------------------- roles


async def _roles_page(
    request: Request[Any, Any, Any],
    *,
    status_code: int = 200,
    errors: Mapping[str, str] | None = None,
    notice: str | None = None,
    pending: tuple[str, set[str]] | None = None,
) -> Response[str]:
    kernel = _kernel(request)
    text = _texts(request)
    async with kernel.db.transaction() as session:
        grants = await auth.role_permissions(session)
    if pending is not None:
        # Show what the administrator ticked, not what is stored, next to the refusal.
        grants[pending[0]] = set(pending[1])
    permissions = [(code, text(d.description)) for code, d in sorted(kernel.registry.permissions.items())]
    return await render_page(
        request,
        "admin/roles.html",
        status_code=status_code,
        roles=[(code, text(ROLE_LABELS.get(code, code))) for code in grants],
        permissions=permissions,
        grants=grants,
        errors=errors or {},
        notice=_notice(text, notice),
    )


@get("/admin/roles", opt=requires("admin.roles"), include_in_schema=False)
async def roles_page(request: Request[Any, Any, Any], notice: FromQuery[str | None] = None) -> Response[str]:
    return await _roles_page(request, notice=notice)


@post("/admin/roles/{code:str}", opt=requires("admin.roles"), include_in_schema=False)
async def role_save(
    request: Request[Any, Any, Any], code: FromPath[str], data: URLEncodedBody[FormData]
) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    permissions = set(_many(data, "permissions"))
    try:
        await administration.set_role_permissions(kernel, ctx.audit_actor(), code, permissions)
    except NotFound:
        raise
    except DomainError as err:
        return await _roles_page(
            request, status_code=422, errors={code: _texts(request).error(err)}, pending=(code, permissions)
        )
    return Redirect(f"/admin/roles?{urlencode({'notice': 'role'})}#role-{code}", status_code=303)


# ---------------------------------------------------------------- API tokens


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: int
    name: str
    username: str
    prefix: str
    scopes: list[str]
    created_at: str
    expires_at: str
    last_used_at: str
    status: str  # "active", "revoked", "expired"


async def _tokens_page(
    request: Request[Any, Any, Any],
    *,
    status_code: int = 200,
    form: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    notice: str | None = None,
    issued: tuple[str, str] | None = None,
) -> Response[str]:
    kernel = _kernel(request)
    text = _texts(request)
    actor = context_of(request).require_actor()
    now = kernel.clock.now()
    async with kernel.db.transaction() as session:
        tokens = await auth.list_api_tokens(session)
        users = await auth.list_users(session)
    rows = []
    for token, username in tokens:
        status = "active"
        if token.revoked_at is not None:
            status = "revoked"
        elif token.expires_at is not None and token.expires_at <= now:
            status = "expired"
        rows.append(
            TokenRow(
                token.id,
                token.name,
                username,
                token.prefix,
                token.scopes.split(),
                local_time(token.created_at),
                local_time(token.expires_at),
                local_time(token.last_used_at),
                status,
            )
        )
    rows.reverse()  # newest first
    return await render_page(
        request,
        "admin/tokens.html",
        status_code=status_code,
        tokens=rows,
        owners=[(u.username, u.full_name) for u, _ in users if u.is_active],
        permissions=[(code, text(d.description)) for code, d in sorted(kernel.registry.permissions.items())],
        form=form or {"username": actor.username, "scopes": [], "valid_days": str(DEFAULT_TOKEN_DAYS)},
        errors=errors or {},
        notice=_notice(text, notice),
        issued=issued,
        max_days=MAX_TOKEN_DAYS,
    )


@get("/admin/tokens", opt=requires("admin.tokens"), include_in_schema=False)
async def tokens_page(request: Request[Any, Any, Any], notice: FromQuery[str | None] = None) -> Response[str]:
    return await _tokens_page(request, notice=notice)


def _valid_days(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TOKEN_DAYS:
        raise InvalidInput(
            "Enter a whole number of days from 1 to {max_days}, or leave empty for no expiry",
            field="valid_days",
            max_days=MAX_TOKEN_DAYS,
        )
    return int(raw)


@post("/admin/tokens", opt=requires("admin.tokens"), include_in_schema=False)
async def token_issue(request: Request[Any, Any, Any], data: URLEncodedBody[FormData]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form: dict[str, Any] = {
        "name": _one(data, "name"),
        "username": _one(data, "username") or ctx.require_actor().username,
        "scopes": _many(data, "scopes"),
        "valid_days": _one(data, "valid_days"),
    }
    try:
        valid_days = _valid_days(form["valid_days"])
        token, secret = await administration.issue_token(
            kernel,
            ctx.audit_actor(),
            owner=form["username"],
            name=form["name"],
            scopes=form["scopes"],
            valid_days=valid_days,
        )
    except DomainError as err:
        field = _field_of(err, "name")
        return await _tokens_page(request, status_code=422, form=form, errors={field: _texts(request).error(err)})
    # The secret is shown in this response only (no redirect: it must never travel in an address).
    return await _tokens_page(request, issued=(token.name, secret))


@post("/admin/tokens/{token_id:int}/revoke", opt=requires("admin.tokens"), include_in_schema=False)
async def token_revoke(request: Request[Any, Any, Any], token_id: FromPath[int]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    await administration.revoke_token(kernel, ctx.audit_actor(), token_id)
    return _done("/admin/tokens", "revoked")


# ---------------------------------------------------------------- hospital configuration


def _sniff_image(content: bytes) -> str:
    """The image type from the bytes themselves; the browser's declared type is not trusted."""
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    head = content[:1024].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in content[:4096].lower():
        return "image/svg+xml"
    return "application/octet-stream"


async def _hospital_page(
    request: Request[Any, Any, Any],
    *,
    status_code: int = 200,
    form: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    notice: str | None = None,
) -> Response[str]:
    kernel = _kernel(request)
    if form is None:
        async with kernel.db.transaction() as session:
            info = await get_hospital(session, kernel.settings.hospital)
        form = {
            "name": info.name,
            "facility_code": info.facility_code,
            "address": info.address,
            "phone": info.phone,
            "head_insurance_number": info.head_insurance_number,
        }
    return await render_page(
        request,
        "admin/hospital.html",
        status_code=status_code,
        form=form,
        errors=errors or {},
        notice=_notice(_texts(request), notice),
        logo_types=",".join(sorted(LOGO_TYPES)),
    )


@get("/admin/hospital", opt=requires("admin.config"), include_in_schema=False)
async def hospital_page(request: Request[Any, Any, Any], notice: FromQuery[str | None] = None) -> Response[str]:
    return await _hospital_page(request, notice=notice)


@post("/admin/hospital", opt=requires("admin.config"), include_in_schema=False)
async def hospital_save(request: Request[Any, Any, Any], data: MultipartBody[dict[str, Any]]) -> Response[Any]:
    kernel = _kernel(request)
    ctx = context_of(request)
    form = {
        name: str(data.get(name) or "")
        for name in ("name", "facility_code", "address", "phone", "head_insurance_number")
    }
    logo: tuple[bytes, str] | None = None
    upload = data.get("logo")
    if isinstance(upload, UploadFile):
        content = await upload.read()
        if content:
            logo = (content, _sniff_image(content))
    try:
        await administration.configure_hospital(
            kernel,
            ctx.audit_actor(),
            name=form["name"],
            facility_code=form["facility_code"],
            address=form["address"],
            phone=form["phone"],
            logo=logo,
            head_insurance_number=form["head_insurance_number"],
        )
    except DomainError as err:
        field = _field_of(err, "name")
        return await _hospital_page(request, status_code=422, form=form, errors={field: _texts(request).error(err)})
    return _done("/admin/hospital", "hospital")


# ---------------------------------------------------------------- audit history


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: str
    username: str
    role: str
    action: str
    object: str
    patient_id: str
    client_ip: str
    request_id: str
    outcome: str
    outcome_label: str
    detail: str


def parse_local_datetime(day: str | None, clock: str | None = None, *, field: str, end: bool) -> datetime | None:
    """A date (YYYY-MM-DD) and an optional time (HH:MM[:SS]) in Viet Nam time; "YYYY-MM-DDTHH:MM" works too.

    An end bound takes in the whole of its day, minute or second, so that "to 2026-01-05" includes that day.
    """
    day = (day or "").strip()
    clock = (clock or "").strip()
    if "T" in day and not clock:
        day, _, clock = day.partition("T")
    if not day:
        if clock:
            raise InvalidInput("Enter the date as well as the time", field=field)
        return None
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise InvalidInput("Enter a date as YYYY-MM-DD", field=field) from None
    if not clock:
        start = datetime.combine(when, time(0), local_zone())
        return start + timedelta(days=1) if end else start
    try:
        at = time.fromisoformat(clock)
    except ValueError:
        raise InvalidInput("Enter a time as HH:MM", field=f"{field}_time") from None
    moment = datetime.combine(when, at.replace(tzinfo=None), local_zone())
    if end:
        moment += timedelta(minutes=1) if len(clock) <= 5 else timedelta(seconds=1)
    return moment


def _audit_query(values: Mapping[str, str], page: int | None = None) -> str:
    kept = {k: v for k, v in values.items() if v}
    if page is not None and page > 1:
        kept["page"] = str(page)
    return "/audit" + ("?" + urlencode(kept) if kept else "")


@get("/audit", opt=requires("audit.read"), include_in_schema=False)
async def audit_page(
    request: Request[Any, Any, Any],
    username: FromQuery[str | None] = None,
    patient_id: FromQuery[str | None] = None,
    action: FromQuery[str | None] = None,
    since: FromQuery[str | None] = None,
    since_time: FromQuery[str | None] = None,
    until: FromQuery[str | None] = None,
    until_time: FromQuery[str | None] = None,
    page: FromQuery[int] = 1,
) -> Response[str]:
    kernel = _kernel(request)
    ctx = context_of(request)
    text = _texts(request)
    values = {
        "username": (username or "").strip(),
        "patient_id": (patient_id or "").strip(),
        "action": (action or "").strip(),
        "since": (since or "").strip(),
        "since_time": (since_time or "").strip(),
        "until": (until or "").strip(),
        "until_time": (until_time or "").strip(),
    }
    page = max(page, 1)
    errors: dict[str, str] = {}
    rows: list[AuditRow] = []
    usernames: list[str] = []
    total = 0
    try:
        start = parse_local_datetime(values["since"], values["since_time"], field="since", end=False)
        stop = parse_local_datetime(values["until"], values["until_time"], field="until", end=True)
        if start is not None and stop is not None and start >= stop:
            raise InvalidInput("The start of the period is after its end", field="until")
        flt = parse_audit_filter(values["username"], values["patient_id"], values["action"], start, stop)
    except InvalidInput as err:
        errors[err.field or "since"] = text.error(err)
    else:
        async with kernel.db.transaction() as session:
            records, total = await search_audit(
                session, flt, limit=AUDIT_PAGE_SIZE, offset=(page - 1) * AUDIT_PAGE_SIZE
            )
            detail = describe_audit_filter(flt)
            if page > 1:
                detail = f"{detail}; page={page}".lstrip("; ")
            await kernel.audit(ctx.audit_actor(), AuditEntry(action="audit.read", detail=detail), session)
            usernames = sorted(u.username for u, _ in await auth.list_users(session))
        role_labels = _role_labels(text)
        for r in records:
            roles = [role_labels.get(code, code) for code in (r.role or "").split(",") if code]
            rows.append(
                AuditRow(
                    id=r.id,
                    at=local_time(r.at),
                    username=r.username or "",
                    role=", ".join(roles),
                    action=r.action,
                    object=" ".join(p for p in (r.object_type, r.object_id) if p),
                    patient_id=r.patient_id or "",
                    client_ip=r.client_ip or "",
                    request_id=r.request_id or "",
                    outcome=r.outcome,
                    outcome_label=text(OUTCOME_LABELS[r.outcome]) if r.outcome in OUTCOME_LABELS else r.outcome,
                    detail=r.detail or "",
                )
            )
    pages = max(1, math.ceil(total / AUDIT_PAGE_SIZE))
    results = {
        "rows": rows,
        "total": total,
        "page": page,
        "pages": pages,
        "first": (page - 1) * AUDIT_PAGE_SIZE + 1 if rows else 0,
        "last": (page - 1) * AUDIT_PAGE_SIZE + len(rows),
        "prev_url": _audit_query(values, page - 1) if page > 1 else None,
        "next_url": _audit_query(values, page + 1) if page < pages else None,
        "errors": errors,
        "zone": LOCAL_ZONE_NAME,
        "results_id": AUDIT_RESULTS_ID,
    }
    wants_fragment = (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-target") == AUDIT_RESULTS_ID
        and request.headers.get("hx-history-restore-request") != "true"
    )
    if wants_fragment:
        # htmx swaps only 2xx answers: a refused filter comes back as 200, its message in the table's place.
        response = await render_fragment(request, "audit/_results.html", **results)
    else:
        response = await render_page(
            request,
            "audit/index.html",
            status_code=422 if errors else 200,
            filters=values,
            usernames=usernames,
            actions=KNOWN_ACTIONS,
            **results,
        )
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response


ADMIN_PAGE_HANDLERS: tuple[object, ...] = (
    users_page,
    users_create,
    user_page,
    user_update,
    user_set_active,
    user_reset_password,
    roles_page,
    role_save,
    tokens_page,
    token_issue,
    token_revoke,
    hospital_page,
    hospital_save,
    audit_page,
)
