"""The kernel's services for one application instance, built by create_app (or the CLI) and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from his.kernel.audit.service import AuditActor, AuditEntry, append_audit
from his.kernel.auth.passwords import make_hasher
from his.kernel.clock import Clock, SystemClock
from his.kernel.db import Database
from his.kernel.i18n import Translator
from his.kernel.modules import ModulePlugin, NavItem
from his.kernel.permissions import PermissionRegistry
from his.settings import Settings


@dataclass(slots=True)
class Kernel:
    settings: Settings
    db: Database
    clock: Clock
    hasher: PasswordHasher
    registry: PermissionRegistry
    translator: Translator
    modules: tuple[ModulePlugin, ...]
    nav: list[NavItem] = field(default_factory=list)

    async def audit(self, actor: AuditActor, entry: AuditEntry, session: AsyncSession | None = None) -> None:
        """Audits inside the caller's transaction, or in its own one (for refusals, whose work rolls back)."""
        if session is not None:
            await append_audit(session, self.clock, actor, entry)
            return
        async with self.db.transaction() as own:
            await append_audit(own, self.clock, actor, entry)


def build_kernel(settings: Settings, modules: tuple[ModulePlugin, ...], clock: Clock | None = None) -> Kernel:
    registry = PermissionRegistry()
    for module in modules:
        registry.add(module.permissions)
    return Kernel(
        settings=settings,
        db=Database(settings.database_url, echo=settings.database_echo),
        clock=clock or SystemClock(),
        hasher=make_hasher(
            time_cost=settings.security.argon2_time_cost, memory_kib=settings.security.argon2_memory_kib
        ),
        registry=registry,
        translator=Translator([m.package for m in modules if m.translations], settings.default_locale),
        modules=modules,
        nav=[item for m in modules for item in m.nav],
    )
