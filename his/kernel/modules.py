"""What a module hands to the application: routes, permissions, navigation, templates, translations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from his.kernel.permissions import PermissionDef


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str  # English msgid
    href: str
    permission: str
    group: str = "main"


@dataclass(frozen=True, slots=True)
class ModulePlugin:
    name: str
    package: str
    route_handlers: Callable[[], Sequence[Any]]
    permissions: Sequence[PermissionDef] = ()
    nav: Sequence[NavItem] = ()
    templates: bool = False
    static: bool = False
    translations: bool = True
    cli_commands: Callable[[], Sequence[Any]] = field(default=lambda: ())
    # Adds this module's part of the demo hospital: (kernel, random.Random) -> awaitable.
    demo_seed: Callable[[Any, Any], Awaitable[None]] | None = None
    # The module's outbox consumers: () -> Sequence[his.kernel.events.EventHandler] (imported when called).
    event_handlers: Callable[[], Sequence[Any]] = field(default=lambda: ())
