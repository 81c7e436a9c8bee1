"""HTTP shapes of the kernel API (msgspec Structs), kept apart from the ORM models."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

import msgspec

T = TypeVar("T")


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class LoginIn(msgspec.Struct):
    username: str
    password: str


class UserOut(msgspec.Struct):
    username: str
    full_name: str
    roles: list[str]
    is_active: bool
    locked: bool
    staff_code: str | None = None


class MeOut(msgspec.Struct):
    username: str
    full_name: str
    roles: list[str]
    permissions: list[str]
    csrf_token: str | None


class UserIn(msgspec.Struct):
    username: str
    full_name: str
    password: str
    roles: list[str]
    staff_code: str | None = None


class UserPatch(msgspec.Struct):
    full_name: str | None = None
    roles: list[str] | None = None
    is_active: bool | None = None


class PasswordIn(msgspec.Struct):
    password: str


class RoleOut(msgspec.Struct):
    code: str
    permissions: list[str]


class RoleIn(msgspec.Struct):
    permissions: list[str]


class PermissionOut(msgspec.Struct):
    code: str
    description: str


class TokenIn(msgspec.Struct):
    name: str
    scopes: list[str]
    username: str | None = None
    valid_days: int | None = None


class TokenOut(msgspec.Struct):
    id: int
    name: str
    username: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked: bool
    secret: str | None = None


class AuditOut(msgspec.Struct):
    id: int
    at: datetime
    username: str | None
    role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    patient_id: str | None
    client_ip: str | None
    request_id: str | None
    outcome: str
    detail: str | None


class HospitalIn(msgspec.Struct):
    name: str
    facility_code: str
    address: str = ""
    phone: str = ""
    head_insurance_number: str | None = None  # MA_TTDV, 10 digits; None keeps the stored one


class HospitalOut(msgspec.Struct):
    name: str
    facility_code: str
    address: str
    phone: str
    has_logo: bool
    head_insurance_number: str = ""
