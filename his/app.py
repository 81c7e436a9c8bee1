"""create_app(settings) -> Litestar. The only file that knows every module."""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router

from his.kernel.clock import Clock
from his.kernel.errors import DomainError
from his.kernel.logs import configure_logging
from his.kernel.modules import ModulePlugin
from his.kernel.runtime import Kernel, build_kernel
from his.kernel.web.guard import authorize
from his.kernel.web.metrics import Metrics
from his.kernel.web.middleware import request_context_middleware
from his.kernel.web.problems import (
    domain_error_handler,
    http_error_handler,
    unhandled_error_handler,
    validation_error_handler,
)
from his.kernel.web.render import build_environment
from his.kernel.web.security_headers import security_headers_middleware
from his.settings import Settings


def installed_modules() -> tuple[ModulePlugin, ...]:
    """Every module of the hospital (see docs/architecture.md for the other places a new module is named)."""
    from his.appointments.plugin import plugin as appointments_plugin
    from his.bhyt.plugin import plugin as bhyt_plugin
    from his.billing.plugin import plugin as billing_plugin
    from his.catalogs.plugin import plugin as catalogs_plugin
    from his.claims.plugin import plugin as claims_plugin
    from his.decision.plugin import plugin as decision_plugin
    from his.inpatient.plugin import plugin as inpatient_plugin
    from his.kernel.plugin import plugin as kernel_plugin
    from his.orders.plugin import plugin as orders_plugin
    from his.outpatient.plugin import plugin as outpatient_plugin
    from his.patients.plugin import plugin as patients_plugin
    from his.pharmacy.plugin import plugin as pharmacy_plugin
    from his.queues.plugin import plugin as queues_plugin
    from his.reception.plugin import plugin as reception_plugin
    from his.statistics.plugin import plugin as statistics_plugin

    # Dependency order: a module comes after every module whose api it calls (the demo seed runs in this order).
    return (
        kernel_plugin(),
        catalogs_plugin(),
        patients_plugin(),
        reception_plugin(),
        outpatient_plugin(prescription_checks=decision_plugin().prescription_checks),
        pharmacy_plugin(),
        billing_plugin(),
        bhyt_plugin(),
        claims_plugin(),
        orders_plugin(),
        appointments_plugin(),
        queues_plugin(),
        inpatient_plugin(medication_checks=decision_plugin().prescription_checks),
        decision_plugin(),
        statistics_plugin(),
    )


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Litestar:
    settings = settings or Settings()
    configure_logging(settings.log_level, json_output=settings.log_json)
    modules = installed_modules()
    kernel = build_kernel(settings, modules, clock)
    metrics = Metrics()
    handlers: list[object] = []
    for module in modules:
        handlers.extend(module.route_handlers())
    static_dirs: list[Path | PathLike[Any] | str] = [_static_dir(m) for m in modules if m.static]
    handlers.append(
        create_static_files_router(
            path="/static", directories=static_dirs, opt={"public": True}, include_in_schema=False
        )
    )

    async def on_startup() -> None:
        from his.kernel.auth.service import sync_roles

        async with kernel.db.transaction() as session:
            await sync_roles(session, kernel.registry)
        from his.kernel.events.dispatcher import OutboxWorker

        OutboxWorker.start_for(kernel)

    async def on_shutdown() -> None:
        from his.kernel.events.dispatcher import OutboxWorker

        await OutboxWorker.stop_for(kernel)
        await kernel.db.dispose()

    return Litestar(
        route_handlers=handlers,  # type: ignore[arg-type]
        guards=[authorize],
        middleware=[security_headers_middleware(settings), request_context_middleware(kernel, metrics)],
        exception_handlers={
            DomainError: domain_error_handler,
            ValidationException: validation_error_handler,
            HTTPException: http_error_handler,
            Exception: unhandled_error_handler,
        },
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        state=_state(kernel, metrics, modules),
        openapi_config=OpenAPIConfig(
            title="HIS Viet Nam API",
            version="1",
            path="/schema",
            # The API description holds no patient data: readable without signing in.
            openapi_router=Router(path="/schema", route_handlers=[], opt={"public": True}),
        ),
        debug=False,
        request_max_body_size=20 * 1024 * 1024,
    )


def _state(kernel: Kernel, metrics: Metrics, modules: tuple[ModulePlugin, ...]) -> State:
    return State({"kernel": kernel, "metrics": metrics, "templates": build_environment(modules)})


def _static_dir(module: ModulePlugin) -> str:
    from importlib import resources

    return str(resources.files(module.package) / "static")
