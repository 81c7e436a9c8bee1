"""Server-rendered pages: one Jinja environment per application, translated per request."""

from __future__ import annotations

from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from litestar import Request, Response
from litestar.enums import MediaType

from his.kernel.hospital import HospitalInfo, get_hospital
from his.kernel.modules import ModulePlugin
from his.kernel.permissions import ROLE_LABELS
from his.kernel.runtime import Kernel
from his.kernel.web.context import RequestContext, context_of


def build_environment(modules: tuple[ModulePlugin, ...]) -> Environment:
    loaders = [PackageLoader(m.package, "templates") for m in modules if m.templates]
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def translator_for(kernel: Kernel, ctx: RequestContext) -> Any:
    def gettext(message: str, **params: Any) -> str:
        return kernel.translator.gettext(ctx.locale, message, params or None)

    return gettext


async def render_page(
    request: Request[Any, Any, Any], template: str, *, status_code: int = 200, **values: Any
) -> Response[str]:
    kernel: Kernel = request.app.state["kernel"]
    async with kernel.db.transaction() as session:
        hospital = await get_hospital(session, kernel.settings.hospital)
    return render_page_with(request, template, hospital, status_code=status_code, **values)


def render_page_with(
    request: Request[Any, Any, Any],
    template: str,
    hospital: HospitalInfo,
    *,
    status_code: int = 200,
    **values: Any,
) -> Response[str]:
    """Synchronous rendering for callers that cannot await (exception handlers)."""
    kernel: Kernel = request.app.state["kernel"]
    env: Environment = request.app.state["templates"]
    ctx = context_of(request)
    actor = ctx.actor
    nav = [item for item in kernel.nav if actor is not None and actor.can(item.permission)]
    gettext = translator_for(kernel, ctx)
    html = env.get_template(template).render(
        _=gettext,
        role_label=lambda code: gettext(ROLE_LABELS.get(code, code)),
        ctx=ctx,
        actor=actor,
        nav=nav,
        hospital=hospital,
        current_path=request.url.path,
        csrf_token=actor.csrf_token if actor else "",
        **values,
    )
    return Response(html, media_type=MediaType.HTML, status_code=status_code)


def default_hospital(kernel: Kernel) -> HospitalInfo:
    defaults = kernel.settings.hospital
    return HospitalInfo(defaults.name, defaults.facility_code, "", "", False)


async def render_fragment(request: Request[Any, Any, Any], template: str, **values: Any) -> Response[str]:
    """An htmx partial: the same template machinery without the page chrome or the hospital lookup."""
    kernel: Kernel = request.app.state["kernel"]
    env: Environment = request.app.state["templates"]
    ctx = context_of(request)
    html = env.get_template(template).render(
        _=translator_for(kernel, ctx),
        ctx=ctx,
        actor=ctx.actor,
        csrf_token=(ctx.actor.csrf_token if ctx.actor else ""),
        **values,
    )
    return Response(html, media_type=MediaType.HTML)
