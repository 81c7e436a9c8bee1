"""Permissions are declared by modules in code; roles (in the database) are granted sets of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from his.kernel.i18n import lazy

ROLE_CODES = (
    "admin",
    "receptionist",
    "doctor",
    "nurse",
    "pharmacist",
    "lab_technician",
    "radiologist",
    "cashier",
    "auditor",
)


# How each role is named to people (English msgids).
ROLE_LABELS: dict[str, str] = {
    "admin": lazy("Administrator"),
    "receptionist": lazy("Receptionist"),
    "doctor": lazy("Doctor"),
    "nurse": lazy("Nurse"),
    "pharmacist": lazy("Pharmacist"),
    "lab_technician": lazy("Laboratory technician"),
    "radiologist": lazy("Radiologist"),
    "cashier": lazy("Cashier"),
    "auditor": lazy("Auditor"),
}


@dataclass(frozen=True, slots=True)
class PermissionDef:
    code: str
    description: str  # English msgid
    default_roles: tuple[str, ...]


@dataclass(slots=True)
class PermissionRegistry:
    """Built in create_app from every module's plugin; the route guard checks against it."""

    permissions: dict[str, PermissionDef] = field(default_factory=dict)

    def add(self, definitions: Iterable[PermissionDef]) -> None:
        for definition in definitions:
            if definition.code in self.permissions:
                raise ValueError(f"permission {definition.code} declared twice")
            unknown = set(definition.default_roles) - set(ROLE_CODES)
            if unknown:
                raise ValueError(f"permission {definition.code} grants unknown roles {sorted(unknown)}")
            self.permissions[definition.code] = definition

    def defaults_for(self, role: str) -> set[str]:
        return {code for code, d in self.permissions.items() if role in d.default_roles}


KERNEL_PERMISSIONS = (
    PermissionDef("admin.users", "Manage user accounts and their roles", ("admin",)),
    PermissionDef("admin.roles", "Change which permissions each role has", ("admin",)),
    PermissionDef("admin.config", "Change the hospital configuration", ("admin",)),
    PermissionDef("admin.tokens", "Issue and revoke API tokens for integrations", ("admin",)),
    PermissionDef("audit.read", "Read the audit history", ("admin", "auditor")),
    PermissionDef("system.monitor", "Read operational metrics", ("admin",)),
)
